/**
 * `list`'s reader of the stored zone snapshots: a page of zones per Redis call, each parsed when
 * it is reached, from snapshots as the previous release stored them.
 */
import { describe, expect, it } from 'vitest';
import { deserializeZoneCheck, serializeZoneCheck } from '../../../src/queue/serialization.js';
import { readStoredSnapshots } from '../../../src/queue/stored-snapshots.js';
import { redisKeys } from '../../../src/store/keys.js';
import { uniquePrefix, withRedis } from '../../support/redis.js';
import { readStoredStrings } from '../../support/state-fixtures.js';

/** Zone snapshots exactly as the previous release stored them. */
const STORED_BEFORE = readStoredStrings('zone-snapshots-before-summaries.json');

describe('stored zone snapshots read a page at a time', () => {
  it('gives the stored result of each zone asked for, in that order, leaving out zones with none', async () => {
    const prefix = uniquePrefix('stored-snapshots');
    const keys = redisKeys(prefix);
    await withRedis(prefix, async (redis) => {
      const results = STORED_BEFORE.map(deserializeZoneCheck);
      for (const [index, result] of results.entries())
        await redis.hset(keys.zoneSnapshots, result.zone.id, STORED_BEFORE[index] ?? '');
      const zoneIds = [...results.map((result) => result.zone.id)].reverse();
      zoneIds.splice(1, 0, 'zone-never-stored');

      const read = [];
      for await (const result of readStoredSnapshots(redis, keys, zoneIds, 2)) read.push(result);

      expect(read).toEqual([...results].reverse());
      expect(read[0]?.checkedAt).toBeInstanceOf(Date);
      expect(results.length).toBeGreaterThan(2);
    });
  });

  it('reads the next page only when the zones before it have been taken', async () => {
    const prefix = uniquePrefix('stored-snapshots');
    const keys = redisKeys(prefix);
    await withRedis(prefix, async (redis) => {
      const results = STORED_BEFORE.map(deserializeZoneCheck).slice(0, 3);
      for (const result of results)
        await redis.hset(keys.zoneSnapshots, result.zone.id, serializeZoneCheck(result));
      const reading = readStoredSnapshots(
        redis,
        keys,
        results.map((result) => result.zone.id),
        2,
      );

      expect((await reading.next()).value).toEqual(results[0]);
      // The third zone is on the second page, not read yet: a check stored meanwhile is what comes.
      const third = results[2];
      if (!third) throw new Error('the fixture holds at least three zones');
      const rechecked = { ...third, checkedAt: new Date('2030-01-01T00:00:00.000Z') };
      await redis.hset(keys.zoneSnapshots, third.zone.id, serializeZoneCheck(rechecked));
      expect((await reading.next()).value).toEqual(results[1]);
      expect((await reading.next()).value).toEqual(rechecked);
      expect((await reading.next()).done).toBe(true);
    });
  });
});
