import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** REDIS_URL when set, else the usual local Redis. The benchmark never starts one of its own. */
export function benchRedisUrl(): string {
  return process.env.REDIS_URL?.trim() || 'redis://127.0.0.1:6379';
}

/**
 * A key prefix (and BullMQ prefix) no other run uses, so a benchmark never reads a previous
 * run's rate-limit window, snapshots or jobs, and can remove exactly what it wrote.
 */
export function benchPrefix(label: string): string {
  const prefix = `bench-${label}-${randomUUID().slice(0, 8)}`;
  usedPrefixes.push(prefix);
  return prefix;
}

/** Every prefix handed out in this process, so the run can prove it left nothing behind. */
export const usedPrefixes: string[] = [];

export function connectBenchRedis(): Redis {
  return new Redis(benchRedisUrl(), { maxRetriesPerRequest: 1, connectTimeout: 2_000, lazyConnect: false });
}

/** Removes every key containing `prefix` (plain keys and BullMQ's `{prefix}:…` keys alike). */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.del(...keys);
  } while (cursor !== '0');
  return deleted;
}

export async function countKeysWithPrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let count = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000);
    cursor = next;
    count += keys.length;
  } while (cursor !== '0');
  return count;
}

export async function redisServerVersion(redis: Redis): Promise<string> {
  const info = await redis.info('server');
  return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
}
