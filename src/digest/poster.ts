import type { KnownBlock } from '@slack/types';

/** One digest message on its way to a channel; `threadTs` puts it under the digest's parent. */
export interface DigestPost {
  channel: string;
  text: string;
  blocks: KnownBlock[];
  threadTs?: string;
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
}

/**
 * What delivering a digest needs from Slack: post and learn the ts once Slack confirmed it.
 * A refusal that retrying will not change throws `SlackPlatformError` (src/errors.ts).
 * The composition root passes the Slack poster; tests may pass a fake.
 */
export interface DigestPoster {
  postMessage(message: DigestPost): Promise<{ channel: string; ts: string }>;
}
