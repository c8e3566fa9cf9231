import type { KnownBlock } from '@slack/types';
import type { AlertButtonHandler } from '../alerts/poster.js';
import type { AppConfig } from '../config/types.js';
import type { Command } from '../domain/command.js';
import type { HomeService } from '../home/service.js';
import type { LookupService } from '../lookup/lookup-service.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { AnswerQueue } from './answer-queue.js';
import type { LookupTiming } from './lookup-deadline.js';

/** What a renderer hands to Slack: blocks plus the fallback text Slack shows in notifications. */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

export interface InventoryContext {
  userId: string;
  channelId: string;
}

/** The inventory and digest commands (`list`, `watch`, `digest`, …), provided where Redis and queues run. */
export interface InventoryCommands {
  handle(command: Command, context: InventoryContext): Promise<SlackMessage[]>;
}

export type { AlertButtonHandler };

/** Everything the Slack listeners need, passed in by the composition root. */
export interface SlackDeps {
  config: AppConfig;
  lookup: LookupService;
  logger: Logger;
  metrics: Metrics;
  clock: () => Date;
  inventory?: InventoryCommands;
  alertButtons?: AlertButtonHandler;
  /** The App Home overview; absent where the stored state is not reachable. */
  home?: HomeService;
  /**
   * Where a lookup and its card wait after the ack: they start once requests stop arriving, a few
   * at a time, so a burst of commands is acked at the pace of a bare app (see answer-queue.ts).
   */
  answers: AnswerQueue;
  /** The slow notice and the deadline of a lookup; DEFAULT_LOOKUP_TIMING unless a test shortens them. */
  lookupTiming?: LookupTiming;
}
