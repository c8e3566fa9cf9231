/**
 * Checks a rendered message against every limit in BLOCK_KIT_LIMITS, offline. Slack only tells us
 * at post time (`invalid_blocks`, `msg_blocks_too_long`), so renderer tests call this on every
 * message they produce. All violations are reported together, each naming the block and the limit.
 */
import { expect } from 'vitest';
import { BLOCK_KIT_LIMITS } from '../../src/render/limits.js';

/** The parts of a message this check reads; blocks are walked structurally so any block type is accepted. */
export interface MessageUnderTest {
  text?: string | undefined;
  blocks?: readonly unknown[] | undefined;
}

/**
 * Fails the test with a readable list of every Block Kit limit the message breaks.
 *
 * @example
 * for (const message of renderDigest(input).messages) assertWithinBlockKitLimits(message);
 */
export function assertWithinBlockKitLimits(
  message: MessageUnderTest,
  label = 'message',
  options: BlockKitSurfaceOptions = {},
): void {
  expect(blockKitViolations(message, options), `${label} breaks Block Kit limits`).toEqual([]);
}

export interface BlockKitSurfaceOptions {
  /** `message` (default): 50 blocks and a fallback `text`. `home`: a Home tab view, 100 blocks, no `text`. */
  surface?: 'message' | 'home';
}

/** Every limit the message (or Home tab view) breaks, as sentences; empty when it is within all of them. */
export function blockKitViolations(
  message: MessageUnderTest,
  options: BlockKitSurfaceOptions = {},
): string[] {
  const limits = BLOCK_KIT_LIMITS;
  const violations: string[] = [];
  const blocks = message.blocks ?? [];
  const surface = options.surface ?? 'message';

  if (surface === 'message') {
    if (typeof message.text !== 'string' || message.text.trim() === '') {
      violations.push('fallback `text` is missing or empty');
    } else if (message.text.length > limits.fallbackTextChars) {
      violations.push(
        `fallback \`text\` has ${message.text.length} chars (limit ${limits.fallbackTextChars})`,
      );
    }
  }
  const maxBlocks = surface === 'home' ? limits.blocksPerHomeView : limits.blocksPerMessage;
  if (blocks.length > maxBlocks) {
    violations.push(`${blocks.length} blocks (limit ${maxBlocks})`);
  }

  blocks.forEach((raw, index) => {
    const block = asRecord(raw);
    const where = `block ${index} (${String(block.type)})`;
    const blockId = block.block_id;
    if (typeof blockId === 'string' && blockId.length > limits.blockIdChars) {
      violations.push(`${where}: block_id has ${blockId.length} chars (limit ${limits.blockIdChars})`);
    }
    switch (block.type) {
      case 'header': {
        const text = textObject(block.text);
        if (text === null || text.type !== 'plain_text')
          violations.push(`${where}: header text must be plain_text`);
        else checkLength(violations, where, 'header text', text.text, 1, limits.headerTextChars);
        break;
      }
      case 'section': {
        const text = textObject(block.text);
        const fields = Array.isArray(block.fields) ? block.fields : null;
        if (text === null && (fields === null || fields.length === 0)) {
          violations.push(`${where}: section needs text or fields`);
        }
        if (text !== null)
          checkLength(violations, where, 'section text', text.text, 1, limits.sectionTextChars);
        if (fields !== null) {
          if (fields.length > limits.sectionFieldCount) {
            violations.push(`${where}: ${fields.length} fields (limit ${limits.sectionFieldCount})`);
          }
          fields.forEach((field, fieldIndex) => {
            const fieldText = textObject(field);
            if (fieldText === null) violations.push(`${where}: field ${fieldIndex} is not a text object`);
            else
              checkLength(
                violations,
                where,
                `field ${fieldIndex}`,
                fieldText.text,
                1,
                limits.sectionFieldChars,
              );
          });
        }
        checkElement(violations, where, block.accessory);
        break;
      }
      case 'context': {
        const elements = Array.isArray(block.elements) ? block.elements : [];
        if (elements.length === 0) violations.push(`${where}: context has no elements`);
        if (elements.length > limits.contextElements) {
          violations.push(`${where}: ${elements.length} context elements (limit ${limits.contextElements})`);
        }
        break;
      }
      case 'actions': {
        const elements = Array.isArray(block.elements) ? block.elements : [];
        if (elements.length > limits.actionsElements) {
          violations.push(`${where}: ${elements.length} actions elements (limit ${limits.actionsElements})`);
        }
        for (const element of elements) checkElement(violations, where, element);
        break;
      }
      default:
        break;
    }
  });

  // msg_blocks_too_long is a message error; a view is bounded by its 100 blocks and their own limits.
  const totalChars = blocks.reduce<number>((sum, block) => sum + textCharsIn(block), 0);
  if (surface === 'message' && totalChars > limits.messageTextBudgetChars) {
    violations.push(
      `blocks hold ${totalChars} chars of text in all (budget ${limits.messageTextBudgetChars})`,
    );
  }
  return violations;
}

/** Total length of every text object (plain_text or mrkdwn) anywhere inside `value`. */
export function textCharsIn(value: unknown): number {
  if (Array.isArray(value)) return value.reduce<number>((sum, entry) => sum + textCharsIn(entry), 0);
  if (typeof value !== 'object' || value === null) return 0;
  const text = textObject(value);
  if (text !== null) return text.text.length;
  return Object.values(value).reduce<number>((sum, entry) => sum + textCharsIn(entry), 0);
}

/** Every text of every text object in the message's blocks, in order; handy for content assertions. */
export function allBlockTexts(message: MessageUnderTest): string[] {
  const texts: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === 'object' && value !== null) {
      const text = textObject(value);
      if (text !== null) texts.push(text.text);
      else Object.values(value).forEach(walk);
    }
  };
  walk(message.blocks ?? []);
  return texts;
}

function checkElement(violations: string[], where: string, raw: unknown): void {
  if (typeof raw !== 'object' || raw === null) return;
  const element = asRecord(raw);
  const limits = BLOCK_KIT_LIMITS;
  if (typeof element.action_id === 'string' && element.action_id.length > limits.actionIdChars) {
    violations.push(
      `${where}: action_id has ${element.action_id.length} chars (limit ${limits.actionIdChars})`,
    );
  }
  if (element.type === 'button') {
    const text = textObject(element.text);
    if (text === null) violations.push(`${where}: button has no text`);
    else checkLength(violations, where, 'button text', text.text, 1, limits.buttonTextChars);
    if (typeof element.value === 'string' && element.value.length > limits.buttonValueChars) {
      violations.push(
        `${where}: button value has ${element.value.length} chars (limit ${limits.buttonValueChars})`,
      );
    }
  }
}

function checkLength(
  violations: string[],
  where: string,
  what: string,
  text: string,
  min: number,
  max: number,
): void {
  if (text.length < min || text.length > max) {
    const preview = text.length > 60 ? `${text.slice(0, 60)}…` : text;
    violations.push(`${where}: ${what} has ${text.length} chars (allowed ${min}–${max}): "${preview}"`);
  }
}

function textObject(value: unknown): { type: string; text: string } | null {
  if (typeof value !== 'object' || value === null) return null;
  const record = asRecord(value);
  if ((record.type === 'plain_text' || record.type === 'mrkdwn') && typeof record.text === 'string') {
    return { type: record.type, text: record.text };
  }
  return null;
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}
