/**
 * Zone discovery's state in Redis, shared by every process: the last good list of discovered zones
 * (what the runs plan from, kept when a listing fails), how each account's last listing went, and
 * the changes the next digest announces once.
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { DiscoveredZone } from '../domain/discovery.js';
import type { ZoneRef } from '../domain/types.js';
import type { RedisKeys } from '../store/keys.js';

/** How one account's last listing went. */
export interface AccountListingStatus {
  /** The last listing that answered. null: never. */
  lastGoodAt: Date | null;
  /** Set while the account's listings fail: the first failure's time and the last error. */
  failure: { errorCode: string; errorMessage: string; since: Date } | null;
}

export interface StoredDiscovery {
  /** The last listing round, good or not. */
  listedAt: Date;
  zones: DiscoveredZone[];
  accounts: Record<string, AccountListingStatus>;
}

/** Zones that joined or left the list in one listing round, told once in the next digest. */
export interface ZoneListNotice {
  at: Date;
  added: ZoneRef[];
  removed: ZoneRef[];
}

export interface DiscoveryStore {
  read(): Promise<StoredDiscovery | null>;
  write(state: StoredDiscovery): Promise<void>;
  addNotice(notice: ZoneListNotice): Promise<void>;
  /** Every notice not yet told, oldest first; `count` is what `dropNotices` takes once they are told. */
  readNotices(): Promise<{ notices: ZoneListNotice[]; count: number }>;
  /** Zones that left the list and whose open alert threads are still to be resolved. */
  addGone(zones: readonly ZoneRef[]): Promise<void>;
  listGone(): Promise<ZoneRef[]>;
  dropGone(zoneIds: readonly string[]): Promise<void>;
  /** Drops the `count` oldest notices (the ones a digest has just told). */
  dropNotices(count: number): Promise<void>;
}

const SCHEMA_VERSION = 1;

const zoneRefSchema = z.object({ id: z.string(), name: z.string().nullable() });
const storedSchema = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  listedAt: z.string(),
  zones: z.array(
    z.object({ id: z.string(), name: z.string(), account: z.string(), accountId: z.string().nullable() }),
  ),
  accounts: z.record(
    z.string(),
    z.object({
      lastGoodAt: z.string().nullable(),
      failure: z.object({ errorCode: z.string(), errorMessage: z.string(), since: z.string() }).nullable(),
    }),
  ),
});
const noticeSchema = z.object({
  at: z.string(),
  added: z.array(zoneRefSchema),
  removed: z.array(zoneRefSchema),
});

export function createDiscoveryStore(redis: Redis, keys: RedisKeys): DiscoveryStore {
  return {
    async read() {
      const text = await redis.get(keys.discoveredZones);
      if (text === null) return null;
      const parsed = storedSchema.safeParse(JSON.parse(text));
      // Unreadable state is treated as none: the next listing rebuilds it, nothing is lost.
      if (!parsed.success) return null;
      const { listedAt, zones, accounts } = parsed.data;
      return {
        listedAt: new Date(listedAt),
        zones,
        accounts: Object.fromEntries(
          Object.entries(accounts).map(([name, status]) => [
            name,
            {
              lastGoodAt: status.lastGoodAt === null ? null : new Date(status.lastGoodAt),
              failure:
                status.failure === null ? null : { ...status.failure, since: new Date(status.failure.since) },
            },
          ]),
        ),
      };
    },
    async write(state) {
      await redis.set(
        keys.discoveredZones,
        JSON.stringify({
          schemaVersion: SCHEMA_VERSION,
          listedAt: state.listedAt.toISOString(),
          zones: state.zones,
          accounts: Object.fromEntries(
            Object.entries(state.accounts).map(([name, status]) => [
              name,
              {
                lastGoodAt: status.lastGoodAt?.toISOString() ?? null,
                failure:
                  status.failure === null
                    ? null
                    : { ...status.failure, since: status.failure.since.toISOString() },
              },
            ]),
          ),
        }),
      );
    },
    async addNotice(notice) {
      await redis.rpush(keys.zoneListNotices, JSON.stringify({ ...notice, at: notice.at.toISOString() }));
    },
    async readNotices() {
      const values = await redis.lrange(keys.zoneListNotices, 0, -1);
      const notices = values.flatMap((value) => {
        const parsed = noticeSchema.safeParse(JSON.parse(value));
        return parsed.success ? [{ ...parsed.data, at: new Date(parsed.data.at) }] : [];
      });
      return { notices, count: values.length };
    },
    async addGone(zones) {
      if (zones.length === 0) return;
      await redis.hset(
        keys.goneZones,
        Object.fromEntries(zones.map((zone) => [zone.id, JSON.stringify({ id: zone.id, name: zone.name })])),
      );
    },
    async listGone() {
      const values = await redis.hvals(keys.goneZones);
      return values.flatMap((value) => {
        const parsed = zoneRefSchema.safeParse(JSON.parse(value));
        return parsed.success ? [parsed.data] : [];
      });
    },
    async dropGone(zoneIds) {
      if (zoneIds.length > 0) await redis.hdel(keys.goneZones, ...zoneIds);
    },
    async dropNotices(count) {
      if (count > 0) await redis.lpop(keys.zoneListNotices, count);
    },
  };
}
