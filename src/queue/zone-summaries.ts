/**
 * The zone summaries and gauge rows stored beside the zone snapshots (see
 * src/inventory/zone-summary.ts): written in the same transaction as a snapshot, read by App Home,
 * `zones`, the budget planner, `/metrics` and the lookup card's quota line instead of every
 * hostname's full record.
 */
import type { ChainableCommander, Redis } from 'ioredis';
import type { ZoneQuotaSnapshot } from '../domain/lookup.js';
import type { ZoneCheckResult } from '../inventory/zone-check.js';
import {
  gaugeRowsOf,
  parseZoneGaugeRows,
  parseZoneSummary,
  serializeZoneGaugeRows,
  serializeZoneSummary,
  summarizeZoneCheck,
  type ZoneGaugeRows,
  type ZoneSummary,
  zoneQuotaOf,
} from '../inventory/zone-summary.js';
import type { Logger } from '../observability/logger.js';
import type { RedisKeys } from '../store/keys.js';
import { deserializeZoneCheck } from './serialization.js';

/** Stored values read per Redis call: a summary is a few hundred bytes, a zone's gauge rows a few kilobytes. */
const PAGE_ZONES = 100;
/** Full snapshots read at once for zones stored without them: a zone of thousands of hostnames is a megabyte. */
const SNAPSHOT_BATCH_ZONES = 4;

/** Adds the summary and gauge rows of `result` to the transaction that stores its snapshot. */
export function writeZoneSummary(writes: ChainableCommander, keys: RedisKeys, result: ZoneCheckResult): void {
  writes
    .hset(keys.zoneSummaries, result.zone.id, serializeZoneSummary(summarizeZoneCheck(result)))
    .hset(keys.zoneGaugeRows, result.zone.id, serializeZoneGaugeRows(gaugeRowsOf(result)));
}

export interface ZoneSummaryReader {
  /** The summary of every stored zone snapshot, in no particular order. */
  readSummaries(): Promise<ZoneSummary[]>;
  /** The gauge rows of every stored zone snapshot, in no particular order. */
  readGaugeRows(): Promise<ZoneGaugeRows[]>;
  /** The quota one zone's last check counted (the lookup card); null when none was stored or counted. */
  readZoneQuota(zoneId: string): Promise<ZoneQuotaSnapshot | null>;
}

/**
 * Reads what was stored beside the zones' snapshots. A zone whose snapshot was stored before
 * summaries existed (or whose stored value cannot be read) is summarised from its snapshot, a few
 * zones at a time, and what is made is stored unless a zone check wrote it meanwhile, so the next
 * read is cheap without waiting for the zone's next check.
 */
export function createZoneSummaryReader(options: {
  redis: Redis;
  keys: RedisKeys;
  logger: Logger;
}): ZoneSummaryReader {
  const { redis, keys, logger } = options;

  const readAll = async <T>(
    key: string,
    parse: (text: string) => T | null,
    make: (result: ZoneCheckResult) => T,
  ): Promise<T[]> => {
    const zoneIds = await redis.hkeys(keys.zoneSnapshots);
    const found: T[] = [];
    const missing: string[] = [];
    for (let start = 0; start < zoneIds.length; start += PAGE_ZONES) {
      const page = zoneIds.slice(start, start + PAGE_ZONES);
      const stored = await redis.hmget(key, ...page);
      page.forEach((zoneId, index) => {
        const text = stored[index];
        const value = text ? parse(text) : null;
        if (value === null) missing.push(zoneId);
        else found.push(value);
      });
    }
    for (let start = 0; start < missing.length; start += SNAPSHOT_BATCH_ZONES) {
      const batch = missing.slice(start, start + SNAPSHOT_BATCH_ZONES);
      const snapshots = await redis.hmget(keys.zoneSnapshots, ...batch);
      const results: ZoneCheckResult[] = [];
      for (const text of snapshots) {
        if (!text) continue;
        const result = deserializeZoneCheck(text);
        found.push(make(result));
        results.push(result);
      }
      await storeMissing(results);
    }
    return found;
  };

  /** Stores the summary and gauge rows of zones read from their snapshot, for the next read. */
  const storeMissing = async (results: readonly ZoneCheckResult[]) => {
    if (results.length === 0) return;
    // HSETNX: what a zone check wrote since the snapshot was read is newer; it stays.
    const writes = redis.multi();
    for (const result of results)
      writes
        .hsetnx(keys.zoneSummaries, result.zone.id, serializeZoneSummary(summarizeZoneCheck(result)))
        .hsetnx(keys.zoneGaugeRows, result.zone.id, serializeZoneGaugeRows(gaugeRowsOf(result)));
    await writes.exec().catch((error: unknown) => {
      logger.warn({ err: error }, 'could not store the summaries of zones stored before them');
    });
  };

  return {
    readSummaries: () => readAll(keys.zoneSummaries, parseZoneSummary, summarizeZoneCheck),
    readGaugeRows: () => readAll(keys.zoneGaugeRows, parseZoneGaugeRows, gaugeRowsOf),
    async readZoneQuota(zoneId) {
      const text = await redis.hget(keys.zoneSummaries, zoneId);
      const summary = text ? parseZoneSummary(text) : null;
      const quota = summary ? zoneQuotaOf(summary) : undefined;
      if (summary && quota !== undefined) return quota ? { quota, checkedAt: summary.checkedAt } : null;
      // No summary (stored before them, or of another version), or one without the association
      // figures: the zone's full result has them. A zone of thousands of hostnames is a megabyte.
      const stored = await redis.hget(keys.zoneSnapshots, zoneId);
      if (stored === null) return null;
      const result = deserializeZoneCheck(stored);
      if (summary === null) await storeMissing([result]);
      return result.quota ? { quota: result.quota, checkedAt: result.checkedAt } : null;
    },
  };
}
