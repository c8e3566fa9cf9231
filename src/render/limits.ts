/**
 * Block Kit limits, in one table that the renderers and their tests both read
 * (docs.slack.dev/reference/block-kit/blocks; @slack/types JSDoc).
 */
export const BLOCK_KIT_LIMITS = {
  blocksPerMessage: 50,
  /** A Home tab view (views.publish) holds up to 100 blocks. */
  blocksPerHomeView: 100,
  sectionTextChars: 3000,
  sectionFieldCount: 10,
  sectionFieldChars: 2000,
  headerTextChars: 150,
  contextElements: 10,
  actionsElements: 25,
  blockIdChars: 255,
  buttonTextChars: 75,
  buttonValueChars: 2000,
  actionIdChars: 255,
  /**
   * Slack rejects a message with `msg_blocks_too_long` well below the 40,000-character truncation
   * limit (seen at about 13,200 characters across blocks), so each message keeps its blocks' text
   * under this budget.
   */
  messageTextBudgetChars: 12_000,
  /** The top-level `text` fallback; Slack truncates messages past 40,000 characters. */
  fallbackTextChars: 3000,
} as const;
