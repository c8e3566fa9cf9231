/**
 * One zone check shared by every scheduled digest of a slot. Routes whose schedules coincide (and
 * the whole inventory's digest) each run their own flow, but the zone checks of one slot would all
 * read the same Cloudflare lists; the first worker to reach a (slot, zone, plan) checks it, the
 * others wait for its result in Redis and reuse it. Ten routes over the same zones therefore cost
 * what one does.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ZoneCheckResult, ZonePlan } from '../inventory/zone-check.js';
import type { RedisKeys } from '../store/keys.js';
import { stableJson } from './schedule.js';
import { deserializeZoneCheck, serializeZoneCheck } from './serialization.js';

/** What one check produced; only a final result (no retry will follow) is shared. */
export interface ZoneCheckOutcome {
  result: ZoneCheckResult;
  final: boolean;
}

export interface SharedZoneChecks {
  /**
   * Runs `check` for `shareKey` unless another worker has (then its final result is returned) or
   * is (then this waits for it). A failed or non-final check is not shared: a waiter then checks
   * the zone itself, as its own retry would.
   */
  once(
    shareKey: string,
    check: () => Promise<ZoneCheckOutcome>,
  ): Promise<ZoneCheckOutcome & { shared: boolean }>;
}

export interface SharedZoneCheckOptions {
  redis: Redis;
  keys: RedisKeys;
  /** How long a finished check is reused: long past every digest of its slot. */
  keepMs?: number;
  /** A check holds its key this long at most; a worker that died mid-check is replaced after it. */
  lockMs?: number;
  pollMs?: number;
}

/**
 * The share key of a zone check: the slot, the zone and what is checked in it (a hostname watched
 * between two routes' ticks gives a different plan, so it is checked, not missed).
 *
 * @example zoneCheckShareKey(1_800_000_000_000, plan) // '1800000000000:023e…:5f1c…'
 */
export function zoneCheckShareKey(slotTimeMs: number, plan: ZonePlan): string {
  const planHash = createHash('sha256').update(stableJson(plan)).digest('hex').slice(0, 16);
  return `${slotTimeMs}:${plan.zone.id}:${planHash}`;
}

const RELEASE_LOCK =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

export function createSharedZoneChecks(options: SharedZoneCheckOptions): SharedZoneChecks {
  const keepMs = options.keepMs ?? 30 * 60_000;
  const lockMs = options.lockMs ?? 120_000;
  const pollMs = options.pollMs ?? 100;
  const { redis, keys } = options;

  const read = async (resultKey: string): Promise<ZoneCheckResult | null> => {
    const stored = await redis.get(resultKey);
    return stored === null ? null : deserializeZoneCheck(stored);
  };

  return {
    async once(shareKey, check) {
      const resultKey = keys.sharedZoneCheck(shareKey);
      const lockKey = `${resultKey}:lock`;
      for (;;) {
        const cached = await read(resultKey);
        if (cached) return { result: cached, final: true, shared: true };
        const token = randomUUID();
        if ((await redis.set(lockKey, token, 'PX', lockMs, 'NX')) === 'OK') {
          try {
            // Finished between the read and the lock.
            const finished = await read(resultKey);
            if (finished) return { result: finished, final: true, shared: true };
            const outcome = await check();
            if (outcome.final) {
              await redis.set(resultKey, serializeZoneCheck(outcome.result), 'PX', keepMs);
            }
            return { ...outcome, shared: false };
          } finally {
            await redis.eval(RELEASE_LOCK, 1, lockKey, token);
          }
        }
        // Another worker is checking this zone for this slot: its answer is moments away.
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    },
  };
}
