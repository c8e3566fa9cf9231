import type { KnownBlock } from '@slack/types';
import type { SlackMessageRef } from './episode.js';

/** A parent (no `threadTs`) or a thread reply on its way to Slack. */
export interface AlertPost {
  channel: string;
  text: string;
  blocks: KnownBlock[];
  threadTs?: string;
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
}

/** A parent brought up to date in place. */
export interface AlertUpdate {
  channel: string;
  ts: string;
  text: string;
  blocks: KnownBlock[];
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
}

/**
 * What alert threads need from Slack: post (resolving once Slack confirmed, with the message's
 * channel and ts) and update a parent. A refusal that retrying will not change throws
 * `SlackPlatformError` (src/errors.ts), e.g. `message_not_found` for a deleted parent. The
 * composition root passes the Slack poster; tests may pass a fake.
 */
export interface AlertPoster {
  postMessage(message: AlertPost): Promise<SlackMessageRef>;
  updateMessage(update: AlertUpdate): Promise<void>;
}

/** The alert thread buttons, as the Slack listeners hand them over once the value is decoded. */
export type AlertButtonAction = 'acknowledge' | 'snooze' | 'refresh' | 'hostnames';

/** A message shown only to the person who clicked (Block Kit, with its fallback text). */
export interface PrivateMessage {
  text: string;
  blocks: KnownBlock[];
}

/** Handles the alert thread buttons (Acknowledge, Snooze, Refresh) for one episode. */
export interface AlertButtonHandler {
  handle(
    action: AlertButtonAction,
    episodeId: string,
    context: { userId: string; channelId: string | null; messageTs: string | null },
  ): Promise<{ ok: true; privateMessages?: PrivateMessage[] } | { ok: false; message: string }>;
}
