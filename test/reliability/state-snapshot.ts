/**
 * "No side effect", measured: a snapshot of every Redis key under an app's prefix with a digest of
 * its value, and the difference between two snapshots. Keys that change by design on every
 * request (the replay cache, the Cloudflare rate-limit window) or on a timer (BullMQ's
 * stalled-job check) are left out, so what remains is the app's state.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Keys that change without any state change: replay cache, rate-limit window, BullMQ housekeeping. */
export const VOLATILE_KEY_PATTERNS: readonly RegExp[] = [
  /:slack:seen:/,
  /\{cloudflare-ratelimit\}/,
  /:slack:pace:/,
  /:stalled-check$/,
];

export type StateSnapshot = Map<string, string>;

/** Every non-volatile key containing `prefix`, mapped to a digest of its serialised value. */
export async function snapshotState(redis: Redis, prefix: string): Promise<StateSnapshot> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  const snapshot: StateSnapshot = new Map();
  for (const key of keys.sort()) {
    if (VOLATILE_KEY_PATTERNS.some((pattern) => pattern.test(key))) continue;
    const dumped = await redis.dumpBuffer(key);
    if (dumped === null) continue;
    snapshot.set(key, createHash('sha256').update(dumped).digest('hex').slice(0, 16));
  }
  return snapshot;
}

/** Keys added, removed or changed between two snapshots, as readable lines (empty when equal). */
export function diffState(before: StateSnapshot, after: StateSnapshot): string[] {
  const changes: string[] = [];
  for (const [key, digest] of after) {
    const previous = before.get(key);
    if (previous === undefined) changes.push(`added ${key}`);
    else if (previous !== digest) changes.push(`changed ${key}`);
  }
  for (const key of before.keys()) if (!after.has(key)) changes.push(`removed ${key}`);
  return changes;
}
