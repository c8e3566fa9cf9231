/**
 * Publishes the App Home overview: reads the stored state (Redis and the config only, never
 * Cloudflare), renders it, and calls views.publish at most once per user per 10 seconds (shared
 * across processes through Redis). Links to alert threads come from chat.getPermalink, cached in
 * Redis because a message's permalink never changes.
 */
import type { HomeView } from '@slack/types';
import type { Redis } from 'ioredis';
import pLimit from 'p-limit';
import type { ZoneRef } from '../domain/types.js';
import type { ZoneSummary } from '../inventory/zone-summary.js';
import type { Logger } from '../observability/logger.js';
import { renderHomeView } from '../render/home.js';
import type { RedisKeys } from '../store/keys.js';
import {
  buildHomeOverview,
  type CloudflareBudgetUse,
  type DigestScheduleEntry,
  type HomeOverview,
  type OpenAlertThreadSource,
} from './model.js';

/** The two Slack calls the Home tab makes; the listener builds it from Bolt's client. */
export interface HomeSlackApi {
  publish(userId: string, view: HomeView): Promise<void>;
  permalink(channel: string, messageTs: string): Promise<string>;
}

export interface HomeServiceOptions {
  redis: Redis;
  keys: RedisKeys;
  timeZone: string;
  /** Every zone the inventory holds (configured, watched, discovered). */
  listZones(): Promise<ZoneRef[]>;
  /** The summary of each zone's latest stored check (src/queue/zone-summaries.ts). */
  readZoneSummaries(): Promise<ZoneSummary[]>;
  threads: OpenAlertThreadSource;
  /** The next digest of each route; the whole inventory's while there are no per-route digests. */
  digestSchedules(now: Date): Promise<DigestScheduleEntry[]>;
  /** Each token's budget in use and what the schedules need of it; absent: the section is left out. */
  cloudflareBudget?: () => Promise<CloudflareBudgetUse[]>;
  clock: () => Date;
  logger: Logger;
  /** Default 10 s: at most one views.publish per user in this window. */
  publishIntervalMs?: number;
}

export type HomePublishOutcome = 'published' | 'throttled';

export interface HomeService {
  /** The overview as it would be shown now (no Slack call; for the demo and tests). */
  overview(slack: Pick<HomeSlackApi, 'permalink'> | null): Promise<HomeOverview>;
  /** Publishes the overview for `userId`, unless it was published for them within the interval. */
  publishFor(userId: string, slack: HomeSlackApi): Promise<HomePublishOutcome>;
}

const DEFAULT_PUBLISH_INTERVAL_MS = 10_000;
/** Cached permalinks outlive any alert thread worth listing; they expire so old ones do not pile up. */
const PERMALINK_TTL_SECONDS = 90 * 24 * 3600;
/** chat.getPermalink calls at once when many threads are new to the cache. */
const PERMALINK_CONCURRENCY = 4;

export function createHomeService(options: HomeServiceOptions): HomeService {
  const { redis, keys, logger } = options;
  const intervalMs = options.publishIntervalMs ?? DEFAULT_PUBLISH_INTERVAL_MS;
  /** Used only while Redis is unreachable, so the limit still holds within this process. */
  const localLastPublish = new Map<string, number>();

  /** True when this caller may publish for `userId` now; claims the window in the same step. */
  const claimPublishSlot = async (userId: string): Promise<boolean> => {
    try {
      const claimed = await redis.set(keys.homePublished(userId), '1', 'PX', intervalMs, 'NX');
      return claimed === 'OK';
    } catch (error) {
      logger.warn({ err: error }, 'Redis unavailable for the Home tab limit; limiting in this process');
      const nowMs = Date.now();
      for (const [user, at] of localLastPublish) if (nowMs - at >= intervalMs) localLastPublish.delete(user);
      const last = localLastPublish.get(userId);
      if (last !== undefined && nowMs - last < intervalMs) return false;
      localLastPublish.set(userId, nowMs);
      return true;
    }
  };

  const permalinks = async (
    refs: Array<{ channel: string; ts: string }>,
    slack: Pick<HomeSlackApi, 'permalink'> | null,
  ): Promise<Array<string | null>> => {
    if (refs.length === 0) return [];
    const cacheKeys = refs.map((ref) => keys.slackPermalink(ref.channel, ref.ts));
    const cached = await redis.mget(...cacheKeys).catch(() => refs.map(() => null));
    if (slack === null) return cached;
    const limit = pLimit(PERMALINK_CONCURRENCY);
    return Promise.all(
      refs.map((ref, index) =>
        limit(async () => {
          const known = cached[index];
          if (known) return known;
          try {
            const link = await slack.permalink(ref.channel, ref.ts);
            await redis.set(cacheKeys[index] ?? '', link, 'EX', PERMALINK_TTL_SECONDS).catch(() => undefined);
            return link;
          } catch (error) {
            // The thread is still listed, naming its channel instead of linking it.
            logger.warn({ err: error, channel: ref.channel, ts: ref.ts }, 'chat.getPermalink failed');
            return null;
          }
        }),
      ),
    );
  };

  const overview = async (slack: Pick<HomeSlackApi, 'permalink'> | null): Promise<HomeOverview> => {
    const now = options.clock();
    const [zones, summaries, threads, digests, budget] = await Promise.all([
      options.listZones(),
      options.readZoneSummaries(),
      options.threads.listOpenThreads(),
      options.digestSchedules(now),
      // Context: without it the section is left out, the rest of the tab still shown.
      options.cloudflareBudget ? options.cloudflareBudget().catch(() => null) : Promise.resolve(null),
    ]);
    const links = await permalinks(
      threads.map((thread) => thread.parent),
      slack,
    );
    return buildHomeOverview(
      {
        zones,
        summaries,
        openThreads: threads.map((thread, index) => ({ ...thread, permalink: links[index] ?? null })),
        digests,
        cloudflareBudget: budget,
      },
      now,
    );
  };

  return {
    overview,
    async publishFor(userId, slack) {
      if (!(await claimPublishSlot(userId))) return 'throttled';
      try {
        const view = renderHomeView(await overview(slack), { timeZone: options.timeZone });
        await slack.publish(userId, view);
      } catch (error) {
        // Nothing was shown, so the next open may try again at once.
        await redis.del(keys.homePublished(userId)).catch(() => undefined);
        localLastPublish.delete(userId);
        throw error;
      }
      return 'published';
    },
  };
}
