import { describe, expect, it } from 'vitest';
import { cloudflareRateLimitKeys, createRedisRateLimiter } from '../../../src/cloudflare/rate-limiter.js';
import { connectTestRedis, uniquePrefix, withRedis } from '../../support/redis.js';

/** Milliseconds `fn` took. */
async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

describe('the shared Redis rate limiter', () => {
  it('lets two processes share one budget: with 5 per second the 6th acquire waits for the window', async () => {
    const prefix = uniquePrefix('cf-limit');
    await withRedis(prefix, async (redisA) => {
      const redisB = connectTestRedis();
      try {
        const a = createRedisRateLimiter({ redis: redisA, keyPrefix: prefix, requests: 5, perSeconds: 1 });
        const b = createRedisRateLimiter({ redis: redisB, keyPrefix: prefix, requests: 5, perSeconds: 1 });
        const started = performance.now();
        const firstFive = await timed(async () => {
          await a.acquire();
          await b.acquire();
          await a.acquire();
          await b.acquire();
          await a.acquire();
        });
        expect(firstFive).toBeLessThan(500);
        await b.acquire();
        const sixthAfterMs = performance.now() - started;
        expect(sixthAfterMs).toBeGreaterThanOrEqual(950);
        expect(sixthAfterMs).toBeLessThan(2_500);
        expect(await redisA.zcard(cloudflareRateLimitKeys(prefix).window)).toBeLessThanOrEqual(5);
      } finally {
        redisB.disconnect();
      }
    });
  });

  it('keeps the reserve for people: background requests stop at 4 of 5, an urgent one still goes at once', async () => {
    const prefix = uniquePrefix('cf-reserve');
    await withRedis(prefix, async (redisA) => {
      const redisB = connectTestRedis();
      try {
        const options = { keyPrefix: prefix, requests: 5, perSeconds: 1, backgroundRequests: 4 };
        const worker = createRedisRateLimiter({ redis: redisA, ...options });
        const web = createRedisRateLimiter({ redis: redisB, ...options });
        const started = performance.now();
        for (let request = 0; request < 4; request += 1) await worker.acquire();
        expect(await timed(() => web.acquire(undefined, { urgent: true }))).toBeLessThan(300);
        await worker.acquire();
        expect(performance.now() - started).toBeGreaterThanOrEqual(950);
        expect(await redisA.zcard(cloudflareRateLimitKeys(prefix).window)).toBeLessThanOrEqual(5);
      } finally {
        redisB.disconnect();
      }
    });
  });

  it('makes every process wait while one of them has reported a 429', async () => {
    const prefix = uniquePrefix('cf-pause');
    await withRedis(prefix, async (redisA) => {
      const redisB = connectTestRedis();
      try {
        const a = createRedisRateLimiter({ redis: redisA, keyPrefix: prefix, requests: 100, perSeconds: 1 });
        const b = createRedisRateLimiter({ redis: redisB, keyPrefix: prefix, requests: 100, perSeconds: 1 });
        await a.pauseUntil(Date.now() + 700);
        const waitedMs = await timed(() => b.acquire());
        expect(waitedMs).toBeGreaterThanOrEqual(600);
        expect(waitedMs).toBeLessThan(2_000);
        // Once the pause is over nobody waits.
        expect(await timed(() => a.acquire())).toBeLessThan(200);
      } finally {
        redisB.disconnect();
      }
    });
  });

  it('never shortens a pause another process set', async () => {
    const prefix = uniquePrefix('cf-pause-max');
    await withRedis(prefix, async (redis) => {
      const limiter = createRedisRateLimiter({ redis, keyPrefix: prefix, requests: 100, perSeconds: 1 });
      await limiter.pauseUntil(Date.now() + 800);
      await limiter.pauseUntil(Date.now() + 50);
      expect(await timed(() => limiter.acquire())).toBeGreaterThanOrEqual(700);
    });
  });

  it('gives up waiting when the signal aborts', async () => {
    const prefix = uniquePrefix('cf-abort');
    await withRedis(prefix, async (redis) => {
      const limiter = createRedisRateLimiter({ redis, keyPrefix: prefix, requests: 1, perSeconds: 30 });
      await limiter.acquire();
      const reason = new Error('caller gave up');
      await expect(limiter.acquire(AbortSignal.timeout(100))).rejects.toMatchObject({
        name: 'TimeoutError',
      });
      const controller = new AbortController();
      controller.abort(reason);
      await expect(limiter.acquire(controller.signal)).rejects.toBe(reason);
    });
  });

  it('keeps its keys under the deployment prefix with an expiry', async () => {
    const prefix = uniquePrefix('cf-keys');
    await withRedis(prefix, async (redis) => {
      const limiter = createRedisRateLimiter({ redis, keyPrefix: prefix, requests: 10, perSeconds: 2 });
      await limiter.acquire();
      await limiter.pauseUntil(Date.now() + 500);
      const keys = cloudflareRateLimitKeys(prefix);
      expect(keys).toEqual({
        window: `${prefix}:{cloudflare-ratelimit}:window`,
        pausedUntil: `${prefix}:{cloudflare-ratelimit}:paused-until`,
      });
      const windowTtlMs = await redis.pttl(keys.window);
      const pauseTtlMs = await redis.pttl(keys.pausedUntil);
      expect(windowTtlMs).toBeGreaterThan(0);
      expect(windowTtlMs).toBeLessThanOrEqual(3_000);
      expect(pauseTtlMs).toBeGreaterThan(0);
      expect(pauseTtlMs).toBeLessThanOrEqual(1_500);
    });
  });

  it('reports an unreachable Redis as redis_unavailable', async () => {
    const { Redis } = await import('ioredis');
    const redis = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    redis.on('error', () => {});
    try {
      const limiter = createRedisRateLimiter({ redis, keyPrefix: 'unused', requests: 1, perSeconds: 1 });
      await expect(limiter.acquire()).rejects.toMatchObject({ code: 'redis_unavailable' });
    } finally {
      redis.disconnect();
    }
  });
});
