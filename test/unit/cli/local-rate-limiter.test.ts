import { describe, expect, it } from 'vitest';
import { createLocalRateLimiter } from '../../../src/cloudflare/resilient-rate-limiter.js';

/** A limiter on a fake clock whose sleeps move the clock forward and are recorded. */
function limiterOnFakeClock(requests: number, perSeconds: number) {
  let nowMs = 1_000_000;
  const sleeps: number[] = [];
  const limiter = createLocalRateLimiter({
    requests,
    perSeconds,
    nowMs: () => nowMs,
    sleep: async (ms) => {
      sleeps.push(ms);
      nowMs += ms;
    },
  });
  return { limiter, sleeps, advance: (ms: number) => (nowMs += ms), now: () => nowMs };
}

describe('createLocalRateLimiter (the command line has no Redis)', () => {
  it('lets the budget through at once, then waits until the oldest request leaves the window', async () => {
    const { limiter, sleeps, advance } = limiterOnFakeClock(3, 10);
    await limiter.acquire();
    advance(2_000);
    await limiter.acquire();
    await limiter.acquire();
    expect(sleeps).toEqual([]);
    await limiter.acquire();
    expect(sleeps).toEqual([8_000]);
  });

  it('holds every request until a 429 pause is over, and never shortens a pause', async () => {
    const { limiter, sleeps, now } = limiterOnFakeClock(100, 300);
    const pausedUntil = now() + 30_000;
    await limiter.pauseUntil(pausedUntil);
    await limiter.pauseUntil(pausedUntil - 20_000);
    await limiter.acquire();
    expect(sleeps).toEqual([30_000]);
  });

  it('rejects with the abort reason when the wait is aborted', async () => {
    const limiter = createLocalRateLimiter({ requests: 1, perSeconds: 60 });
    await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    controller.abort(new Error('lookup cancelled'));
    await expect(waiting).rejects.toThrow('lookup cancelled');
  });
});
