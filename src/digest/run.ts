import type { Redis } from 'ioredis';
import type { AppConfig } from '../config/types.js';
import { type ConfigRouter, sliceForRoute } from '../inventory/routing.js';
import { type AssembledRun, isFinalAttempt } from '../inventory/run.js';
import type { WatchStore } from '../inventory/watch-store.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { renderDigest } from '../render/digest.js';
import type { RedisKeys } from '../store/keys.js';
import { deliverDigest } from './deliver.js';
import { digestInputFromRun } from './input.js';
import type { ZoneListDigest } from './model.js';
import type { DigestPoster } from './poster.js';

export interface DigestRunOptions {
  config: AppConfig;
  redis: Redis;
  keys: RedisKeys;
  poster: DigestPoster;
  watchStore: WatchStore;
  logger: Logger;
  metrics: Metrics;
  clock: () => Date;
  router: ConfigRouter;
  /** The next digest of a route (null: the whole inventory's). */
  nextDigestAt: (route: string | null, after: Date) => Date | null;
  /**
   * With `discover:`: what the digest tells about the zone list. `told(token)` runs once the digest
   * is in every channel, so zones that joined or left are told once, in the next digest posted.
   */
  zoneList?: {
    read(): Promise<{ changes: Omit<ZoneListDigest, 'idleZones'>; token: number }>;
    told(token: number): Promise<void>;
  };
  /** Says when the schedules do not fit the Cloudflare budget (the footer line); null when they do. */
  budgetNote?: () => Promise<string | null>;
}

/** Raised when another worker is mid-delivery for a channel: BullMQ retries the job later. */
export class DeliveryBusyError extends Error {
  constructor(channels: string[]) {
    super(`digest delivery is in progress elsewhere for ${channels.join(', ')}; retrying`);
    this.name = 'DeliveryBusyError';
  }
}

/**
 * Raised when some channels did not get their digest this attempt (Slack kept failing, or another
 * worker held the channel): BullMQ retries the job, and the channels already done are skipped.
 */
export class DigestDeliveryIncompleteError extends Error {
  constructor(
    readonly pending: Array<{ channel: string; reason: string }>,
    options: { cause?: unknown } = {},
  ) {
    super(
      `digest not yet delivered to ${pending.map((entry) => `${entry.channel} (${entry.reason})`).join(', ')}; retrying`,
      options,
    );
    this.name = 'DigestDeliveryIncompleteError';
  }
}

/**
 * The assemble step of a digest run: render once, then deliver to every channel (the configured
 * ones plus the run-time subscriptions, or just the requesting channel for `/aop-status digest`).
 */
export function createDigestRunner(options: DigestRunOptions): (run: AssembledRun) => Promise<void> {
  return async (run) => {
    const now = options.clock();
    const routeName = run.payload.route ?? null;
    const route = routeName === null ? null : options.router.named(routeName);
    const log = options.logger.child({
      slotId: run.payload.slotId,
      jobId: run.attempt.jobId,
      route: routeName,
    });
    if (routeName !== null && !route) {
      log.warn('digest of a route the config no longer has; nothing posted');
      return;
    }
    const whole = digestInputFromRun(run, {
      timeZone: route?.digest.timeZone ?? options.config.timezone,
      now,
      nextDigestAt: options.nextDigestAt(routeName, now),
    });
    const zoneList = await options.zoneList?.read();
    if (zoneList) whole.zoneList = { ...zoneList.changes, idleZones: run.payload.idleZones ?? 0 };
    // Context, not content: a digest goes out without it rather than not at all.
    const budgetNote = await options.budgetNote?.().catch(() => null);
    if (budgetNote) whole.budgetNote = budgetNote;
    // A route's digest shows its own hostnames only, in its own time zone.
    const input = route
      ? { ...whole, ...sliceForRoute(options.router, route.name, whole), route: route.name }
      : { ...whole, route: null };
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
              ...(route ? route.digest.channels : options.config.digest.channels),
              ...(await options.watchStore.listSubscribedChannels(routeName)),
            ]),
          ];
    if (channels.length === 0) {
      log.warn('digest ready but no channel is configured or subscribed; nothing posted');
      return;
    }
    // One channel's trouble must not hold back the others: each is tried, and the job is retried
    // for the ones left (the delivery records skip what is already posted).
    const pending: Array<{ channel: string; reason: string; error: unknown }> = [];
    for (const channel of channels) {
      try {
        const outcome = await deliverDigest(channel, run.payload.slotId, rendered.messages, options);
        if (outcome === 'busy') {
          pending.push({ channel, reason: 'delivery in progress elsewhere', error: null });
        }
      } catch (error) {
        pending.push({ channel, reason: error instanceof Error ? error.message : String(error), error });
      }
    }
    if (pending.length > 0) {
      const finalAttempt = isFinalAttempt(run.attempt);
      if (finalAttempt) {
        // The last chance: after this the digest is lost for these channels, so say so loudly.
        for (const entry of pending) {
          options.metrics.slackMessagesFailed.inc({ kind: 'digest' });
          log.error(
            { channel: entry.channel, err: entry.error ?? undefined, reason: entry.reason },
            'digest could not be delivered to this channel after every retry',
          );
        }
      }
      const firstError = pending.find((entry) => entry.error !== null)?.error;
      throw pending.every((entry) => entry.error === null)
        ? new DeliveryBusyError(pending.map((entry) => entry.channel))
        : new DigestDeliveryIncompleteError(
            pending.map(({ channel, reason }) => ({ channel, reason })),
            { cause: firstError },
          );
    }
    if (zoneList) await options.zoneList?.told(zoneList.token);
    log.info(
      { channels: channels.length, messages: rendered.messages.length, kind: rendered.kind },
      'digest run done',
    );
  };
}
