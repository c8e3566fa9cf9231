/**
 * The zone summaries in Redis: written beside each snapshot, read instead of it, and made from the
 * snapshot for zones stored by the previous release (which wrote no summary).
 */
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  gaugeRowsOf,
  parseZoneGaugeRows,
  parseZoneSummary,
  summarizeZoneCheck,
} from '../../../src/inventory/zone-summary.js';
import { createLogger } from '../../../src/observability/logger.js';
import { deserializeZoneCheck, serializeZoneCheck } from '../../../src/queue/serialization.js';
import { createZoneSummaryReader, writeZoneSummary } from '../../../src/queue/zone-summaries.js';
import { redisKeys } from '../../../src/store/keys.js';
import { uniquePrefix, withRedis } from '../../support/redis.js';

/** Zone snapshots exactly as the previous release stored them: no summary beside them. */
const STORED_BEFORE = (
  JSON.parse(
    readFileSync(
      new URL('../../fixtures/state/zone-snapshots-before-summaries.json', import.meta.url),
      'utf8',
    ),
  ) as unknown[]
).map((snapshot) => JSON.stringify(snapshot));

const logger = createLogger({
  level: 'silent',
  destination: new Writable({ write: (_chunk, _encoding, callback) => callback() }),
});

const byZone = <T extends { zone: { id: string } }>(items: T[]) =>
  [...items].sort((a, b) => a.zone.id.localeCompare(b.zone.id));

describe('zone summaries in Redis', () => {
  it('summarise snapshots stored by the previous release from the snapshot, and store that summary for the next read', async () => {
    const prefix = uniquePrefix('zone-summaries');
    const keys = redisKeys(prefix);
    await withRedis(prefix, async (redis) => {
      for (const text of STORED_BEFORE) {
        await redis.hset(keys.zoneSnapshots, deserializeZoneCheck(text).zone.id, text);
      }
      expect(await redis.exists(keys.zoneSummaries)).toBe(0);
      const reader = createZoneSummaryReader({ redis, keys, logger });
      const results = STORED_BEFORE.map(deserializeZoneCheck);
      const summaries = byZone(results.map(summarizeZoneCheck));
      const gaugeRows = byZone(results.map(gaugeRowsOf));

      expect(byZone(await reader.readSummaries())).toEqual(summaries);
      // Both were stored from the one reading of each snapshot.
      expect(await redis.hlen(keys.zoneSummaries)).toBe(STORED_BEFORE.length);
      expect(await redis.hlen(keys.zoneGaugeRows)).toBe(STORED_BEFORE.length);

      // From now on the snapshots are not read at all: unreadable ones would otherwise throw.
      for (const zoneId of await redis.hkeys(keys.zoneSnapshots)) {
        await redis.hset(keys.zoneSnapshots, zoneId, 'not json');
      }
      expect(byZone(await reader.readSummaries())).toEqual(summaries);
      expect(byZone(await reader.readGaugeRows())).toEqual(gaugeRows);
    });
  });

  it('are written in the transaction that stores the snapshot, and read without it', async () => {
    const prefix = uniquePrefix('zone-summaries');
    const keys = redisKeys(prefix);
    await withRedis(prefix, async (redis) => {
      const result = deserializeZoneCheck(STORED_BEFORE[0] ?? '');
      const writes = redis.multi().hset(keys.zoneSnapshots, result.zone.id, serializeZoneCheck(result));
      writeZoneSummary(writes, keys, result);
      await writes.exec();

      expect(parseZoneSummary((await redis.hget(keys.zoneSummaries, result.zone.id)) ?? '')).toEqual(
        summarizeZoneCheck(result),
      );
      expect(parseZoneGaugeRows((await redis.hget(keys.zoneGaugeRows, result.zone.id)) ?? '')).toEqual(
        gaugeRowsOf(result),
      );
      const reader = createZoneSummaryReader({ redis, keys, logger });
      expect(await reader.readSummaries()).toEqual([summarizeZoneCheck(result)]);
      expect(await reader.readGaugeRows()).toEqual([gaugeRowsOf(result)]);
    });
  });

  it('leave out zones without a snapshot, and read the snapshot of a zone whose summary is of another version', async () => {
    const prefix = uniquePrefix('zone-summaries');
    const keys = redisKeys(prefix);
    await withRedis(prefix, async (redis) => {
      const [first, second] = STORED_BEFORE.map(deserializeZoneCheck);
      if (!first || !second) throw new Error('fixture has two zones at least');
      await redis.hset(keys.zoneSnapshots, first.zone.id, serializeZoneCheck(first));
      await redis.hset(keys.zoneSummaries, first.zone.id, JSON.stringify({ version: 99, zone: first.zone }));
      // A summary whose snapshot is gone (its zone left the inventory) is not a zone to report.
      await redis.hset(keys.zoneSummaries, second.zone.id, '{"version":1}');

      expect(await createZoneSummaryReader({ redis, keys, logger }).readSummaries()).toEqual([
        summarizeZoneCheck(first),
      ]);
      // The other version's summary is left for the release that wrote it; the next check replaces it.
      expect(await redis.hget(keys.zoneSummaries, first.zone.id)).toContain('"version":99');
    });
  });
});
