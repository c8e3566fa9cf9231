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
import { readStoredStrings } from '../../support/state-fixtures.js';

/** Zone snapshots exactly as the previous release stored them: no summary beside them. */
const STORED_BEFORE = readStoredStrings('zone-snapshots-before-summaries.json');

/** Summaries as the release that introduced them stored them for those snapshots. */
const SUMMARIES_FIRST_RELEASE = (
  JSON.parse(
    readFileSync(new URL('../../fixtures/state/zone-summaries-first-release.json', import.meta.url), 'utf8'),
  ) as unknown[]
).map((summary) => JSON.stringify(summary));

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

  it("give a lookup its zone's quota from the summary, and from the snapshot for zones stored earlier", async () => {
    const prefix = uniquePrefix('zone-summaries');
    const keys = redisKeys(prefix);
    await withRedis(prefix, async (redis) => {
      const results = STORED_BEFORE.map(deserializeZoneCheck);
      const counted = results.filter((result) => result.quota);
      const [checked, stored] = counted;
      const uncounted = results.find((result) => !result.quota);
      if (!checked || !stored || !uncounted) throw new Error('fixture zones are missing');
      const quotaOf = (result: (typeof results)[number]) => ({
        quota: result.quota,
        checkedAt: result.checkedAt,
      });
      const reader = createZoneSummaryReader({ redis, keys, logger });

      // Checked by this release: the summary answers, the snapshot is not parsed.
      for (const result of [checked, uncounted]) {
        const writes = redis.multi().hset(keys.zoneSnapshots, result.zone.id, 'not json');
        writeZoneSummary(writes, keys, result);
        await writes.exec();
      }
      expect(await reader.readZoneQuota(checked.zone.id)).toEqual(quotaOf(checked));
      expect(await reader.readZoneQuota(uncounted.zone.id)).toBeNull();

      // Stored before summaries: the snapshot answers, and the summary is stored for the next read.
      await redis.hset(keys.zoneSnapshots, stored.zone.id, serializeZoneCheck(stored));
      expect(await reader.readZoneQuota(stored.zone.id)).toEqual(quotaOf(stored));
      expect(parseZoneSummary((await redis.hget(keys.zoneSummaries, stored.zone.id)) ?? '')).toEqual(
        summarizeZoneCheck(stored),
      );

      // A summary of the release that introduced them has no association figures: the snapshot has.
      const old = checked;
      const firstRelease = SUMMARIES_FIRST_RELEASE.find((text) => text.includes(old.zone.id));
      if (!firstRelease) throw new Error('fixture summary is missing');
      await redis.hset(keys.zoneSnapshots, old.zone.id, serializeZoneCheck(old));
      await redis.hset(keys.zoneSummaries, old.zone.id, firstRelease);
      expect(await reader.readZoneQuota(old.zone.id)).toEqual(quotaOf(old));

      expect(await reader.readZoneQuota('zone-never-checked')).toBeNull();
    });
  });
});
