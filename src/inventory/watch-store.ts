import type { Redis } from 'ioredis';
import type { RedisKeys } from '../store/keys.js';

/** A hostname added at run time with `/aop-status watch`. */
export interface WatchEntry {
  hostname: string;
  zoneId: string;
  zoneName: string | null;
  addedBy: string;
  addedAt: string;
}

/**
 * The run-time part of the inventory (watch list, ignored discoveries, digest subscriptions),
 * persisted in Redis so it survives restarts and is shared by every process.
 */
export interface WatchStore {
  listWatched(): Promise<WatchEntry[]>;
  watch(entry: WatchEntry): Promise<'added' | 'already_watched'>;
  unwatch(hostname: string): Promise<boolean>;
  ignore(hostname: string): Promise<boolean>;
  unignore(hostname: string): Promise<boolean>;
  listIgnored(): Promise<Set<string>>;
  /** `route` null (the default): the whole-inventory digest, stored as before routes existed. */
  subscribe(channelId: string, route?: string | null): Promise<boolean>;
  unsubscribe(channelId: string, route?: string | null): Promise<boolean>;
  listSubscribedChannels(route?: string | null): Promise<string[]>;
}

export function createWatchStore(redis: Redis, keys: RedisKeys): WatchStore {
  const subscriptionKey = (route: string | null) =>
    route === null ? keys.subscribedChannels : keys.routeSubscribedChannels(route);
  return {
    async listWatched() {
      const values = await redis.hvals(keys.watchedHostnames);
      return values
        .map((value) => {
          try {
            return JSON.parse(value) as WatchEntry;
          } catch {
            return null;
          }
        })
        .filter((entry): entry is WatchEntry => entry !== null)
        .sort((a, b) => a.hostname.localeCompare(b.hostname));
    },
    async watch(entry) {
      const added = await redis.hsetnx(keys.watchedHostnames, entry.hostname, JSON.stringify(entry));
      await redis.srem(keys.ignoredHostnames, entry.hostname);
      return added === 1 ? 'added' : 'already_watched';
    },
    async unwatch(hostname) {
      return (await redis.hdel(keys.watchedHostnames, hostname)) === 1;
    },
    async ignore(hostname) {
      return (await redis.sadd(keys.ignoredHostnames, hostname)) === 1;
    },
    async unignore(hostname) {
      return (await redis.srem(keys.ignoredHostnames, hostname)) === 1;
    },
    async listIgnored() {
      return new Set(await redis.smembers(keys.ignoredHostnames));
    },
    async subscribe(channelId, route = null) {
      return (await redis.sadd(subscriptionKey(route), channelId)) === 1;
    },
    async unsubscribe(channelId, route = null) {
      return (await redis.srem(subscriptionKey(route), channelId)) === 1;
    },
    async listSubscribedChannels(route = null) {
      return (await redis.smembers(subscriptionKey(route))).sort();
    },
  };
}
