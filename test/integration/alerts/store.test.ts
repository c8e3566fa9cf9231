import { describe, expect, it } from 'vitest';
import { initialAlertState } from '../../../src/alerts/episode.js';
import { createAlertStore } from '../../../src/alerts/store.js';
import { createLogger } from '../../../src/observability/logger.js';
import { redisKeys } from '../../../src/store/keys.js';
import { uniquePrefix, withRedis } from '../../support/redis.js';

const ZONE = '023e105f4ecef8ad9ca31a8372d0c353';

describe('alert store', () => {
  it('never lets bookkeeping from an older read overwrite a state another evaluator just saved', async () => {
    const prefix = uniquePrefix('alert-store');
    await withRedis(prefix, async (redis) => {
      const store = createAlertStore(redis, redisKeys(prefix), createLogger({ level: 'silent' }));
      const staleRead = initialAlertState(ZONE, 'app.example.com');
      // Another evaluator saved something newer meanwhile.
      const newer = { ...staleRead, consecutiveCheckFailures: 2 };
      await store.save(newer);
      const bookkeeping = { ...staleRead, lastSeenSwitch: 'on' as const };
      expect(await store.saveManyIfUnchanged([{ previous: null, next: bookkeeping }])).toBe(0);
      expect(await store.load(ZONE, 'app.example.com')).toEqual(newer);
      // From the current read, the write goes through.
      const next = { ...newer, lastSeenSwitch: 'on' as const };
      expect(await store.saveManyIfUnchanged([{ previous: newer, next }])).toBe(1);
      expect(await store.load(ZONE, 'app.example.com')).toEqual(next);
    });
  });

  it('writes the bookkeeping of 100,000 hostnames seen for the first time in one call', async () => {
    const prefix = uniquePrefix('alert-store-many');
    await withRedis(prefix, async (redis) => {
      const keys = redisKeys(prefix);
      const store = createAlertStore(redis, keys, createLogger({ level: 'silent' }));
      const updates = Array.from({ length: 100_000 }, (_, index) => ({
        previous: null,
        next: { ...initialAlertState(ZONE, `h${index}.example.com`), lastSeenSwitch: 'on' as const },
      }));
      expect(await store.saveManyIfUnchanged(updates)).toBe(100_000);
      expect(await redis.hlen(keys.alertStates)).toBe(100_000);
      expect(await store.load(ZONE, 'h99999.example.com')).toEqual(updates[99_999]?.next);
    });
  });

  it('reads only the states asked for: those a filter keeps, a slice at a time, and a page of hostnames', async () => {
    const prefix = uniquePrefix('alert-store-read');
    await withRedis(prefix, async (redis) => {
      const store = createAlertStore(redis, redisKeys(prefix), createLogger({ level: 'silent' }));
      const OTHER_ZONE = '9a7806061c88ada191ed06f989cc3dac';
      const states = Array.from({ length: 2_500 }, (_, index) => ({
        ...initialAlertState(index % 2 === 0 ? ZONE : OTHER_ZONE, `h${index}.example.com`),
        consecutiveCheckFailures: index % 5,
      }));
      expect(await store.saveManyIfUnchanged(states.map((next) => ({ previous: null, next })))).toBe(2_500);
      // Over several HSCAN slices (1,000 a call): exactly the kept ones, keyed by alertStateKey.
      const failing = await store.loadWhere(
        (state) => state.zoneId === OTHER_ZONE && state.consecutiveCheckFailures === 4,
      );
      const expected = states.filter(
        (state) => state.zoneId === OTHER_ZONE && state.consecutiveCheckFailures === 4,
      );
      expect(failing.size).toBe(expected.length);
      expect(failing.get(`${OTHER_ZONE}/h9.example.com`)).toEqual(states[9]);
      // A page of hostnames over several HMGETs; one never stored is simply absent.
      const page = [...states.slice(0, 1_200), initialAlertState(ZONE, 'never-seen.example.com')];
      const loaded = await store.loadMany(page);
      expect(loaded.size).toBe(1_200);
      expect(loaded.get(`${ZONE}/h1198.example.com`)).toEqual(states[1_198]);
      expect(loaded.has(`${ZONE}/never-seen.example.com`)).toBe(false);
    });
  });
});
