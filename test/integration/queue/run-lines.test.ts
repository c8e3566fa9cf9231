import { describe, expect, it } from 'vitest';
import { createRunLines, type RunInProgress } from '../../../src/queue/run-lines.js';
import { redisKeys } from '../../../src/store/keys.js';
import { uniquePrefix, withRedis } from '../../support/redis.js';

const MINUTE = 60_000;
const run = (slotTimeMs: number, startedAtMs = slotTimeMs): RunInProgress => ({
  slotId: `alerts-slot-${slotTimeMs}`,
  slotTimeMs,
  startedAtMs,
});

describe('run lines (scheduled runs never overlap)', () => {
  it('holds a slot that fires while the run before it is going, and hands back the latest one when it ends', async () => {
    const prefix = uniquePrefix('run-lines');
    await withRedis(prefix, async (redis) => {
      const running = new Set<string>();
      const lines = createRunLines({
        redis,
        key: redisKeys(prefix).runLines,
        isRunning: async (_line, slotId) => running.has(slotId),
      });
      const first = run(15 * MINUTE);
      expect(await lines.begin('alerts', first)).toBeNull();
      running.add(first.slotId);

      // Two slots fire while the first run is still going: neither starts.
      expect(await lines.begin('alerts', run(30 * MINUTE))).toEqual(first);
      expect(await lines.begin('alerts', run(45 * MINUTE))).toEqual(first);
      // Another schedule is a line of its own.
      expect(await lines.begin('digest', { ...run(30 * MINUTE), slotId: 'digest-slot-1800000' })).toBeNull();

      // The first run ends: the latest held slot is the one to start now, once.
      running.delete(first.slotId);
      expect(await lines.end('alerts', first.slotId)).toBe(45 * MINUTE);
      expect(await lines.end('alerts', first.slotId)).toBeNull();
      expect(await lines.begin('alerts', run(45 * MINUTE, 50 * MINUTE))).toBeNull();
    });
  });

  it('lets a retried tick of the slot that holds the line start again', async () => {
    const prefix = uniquePrefix('run-lines-retry');
    await withRedis(prefix, async (redis) => {
      const lines = createRunLines({ redis, key: redisKeys(prefix).runLines, isRunning: async () => true });
      expect(await lines.begin('alerts', run(15 * MINUTE))).toBeNull();
      expect(await lines.begin('alerts', run(15 * MINUTE))).toBeNull();
    });
  });

  it('is not held by a run whose jobs are gone without its end being recorded', async () => {
    const prefix = uniquePrefix('run-lines-stale');
    await withRedis(prefix, async (redis) => {
      const lines = createRunLines({ redis, key: redisKeys(prefix).runLines, isRunning: async () => false });
      expect(await lines.begin('alerts', run(15 * MINUTE))).toBeNull();
      expect(await lines.begin('alerts', run(30 * MINUTE))).toBeNull();
      // The stale run's end changes nothing; the live one still holds the line.
      expect(await lines.end('alerts', run(15 * MINUTE).slotId)).toBeNull();
      expect(await lines.end('alerts', run(30 * MINUTE).slotId)).toBeNull();
    });
  });
});
