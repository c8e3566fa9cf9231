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
});
