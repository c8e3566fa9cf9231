import type { Redis } from 'ioredis';
import type { AppConfig } from '../config/types.js';
import type { WatchStore } from '../inventory/watch-store.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { AssembledRun } from '../queue/runtime.js';
import { digestInputFromRun } from '../queue/runtime.js';
import { renderDigest } from '../render/digest.js';
import type { SlackPoster } from '../slack/poster.js';
import type { RedisKeys } from '../store/keys.js';
import { deliverDigest } from './deliver.js';

export interface DigestRunOptions {
  config: AppConfig;
  redis: Redis;
  keys: RedisKeys;
  poster: SlackPoster;
  watchStore: WatchStore;
  logger: Logger;
  metrics: Metrics;
  clock: () => Date;
  nextDigestAt: (after: Date) => Date | null;
}

/** Raised when another worker is mid-delivery for a channel: BullMQ retries the job later. */
export class DeliveryBusyError extends Error {
  constructor(channels: string[]) {
    super(`digest delivery is in progress elsewhere for ${channels.join(', ')}; retrying`);
  }
}

/**
 * The assemble step of a digest run: render once, then deliver to every channel (the configured
 * ones plus the run-time subscriptions, or just the requesting channel for `/aop-status digest`).
 */
export function createDigestRunner(options: DigestRunOptions): (run: AssembledRun) => Promise<void> {
  return async (run) => {
    const now = options.clock();
    const log = options.logger.child({ slotId: run.payload.slotId, jobId: run.job.id });
    const input = digestInputFromRun(run, {
      timeZone: options.config.timezone,
      now,
      nextDigestAt: options.nextDigestAt(now),
    });
    const rendered = renderDigest(input);
    if (
      rendered.kind === 'all_clear' &&
      run.payload.trigger === 'schedule' &&
      !options.config.digest.postWhenAllClear
    ) {
      log.info('all clear and post_when_all_clear is false: no digest posted');
      return;
    }
    const channels =
      run.payload.trigger === 'on_demand' && run.payload.channel
        ? [run.payload.channel]
        : [
            ...new Set([
              ...options.config.digest.channels,
              ...(await options.watchStore.listSubscribedChannels()),
            ]),
          ];
    if (channels.length === 0) {
      log.warn('digest ready but no channel is configured or subscribed; nothing posted');
      return;
    }
    const busy: string[] = [];
    for (const channel of channels) {
      const outcome = await deliverDigest(channel, run.payload.slotId, rendered.messages, options);
      if (outcome === 'busy') busy.push(channel);
    }
    if (busy.length > 0) throw new DeliveryBusyError(busy);
    log.info(
      { channels: channels.length, messages: rendered.messages.length, kind: rendered.kind },
      'digest run done',
    );
  };
}
