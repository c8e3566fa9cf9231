import type { Redis } from 'ioredis';
import { TtlCache } from '../lookup/ttl-cache.js';
import type { RedisKeys } from '../store/keys.js';
import type { ReplayCache } from './request-guard.js';

/**
 * Signatures seen in the last few minutes, shared by every web process through Redis. While Redis
 * is away this process still remembers what it saw itself, so slash commands keep working and a
 * replay to the same process is still caught.
 */
export function createReplayCache(
  redis: Redis,
  keys: RedisKeys,
  nowMs: () => number = Date.now,
): ReplayCache {
  const local = new TtlCache<true>(50_000, nowMs);
  return {
    async remember(signature, ttlMs) {
      const seenLocally = local.get(signature) !== undefined;
      local.set(signature, true, ttlMs);
      if (seenLocally) return false;
      try {
        return (await redis.set(keys.slackSeenSignature(signature), '1', 'PX', ttlMs, 'NX')) === 'OK';
      } catch {
        return true;
      }
    },
  };
}
