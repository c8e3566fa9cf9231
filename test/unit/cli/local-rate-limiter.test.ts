import { describe, expect, it } from 'vitest';
import { createLocalRateLimiter } from '../../../src/cloudflare/resilient-rate-limiter.js';

/** A limiter on a fake clock whose sleeps move the clock forward and are recorded. */
function limiterOnFakeClock(requests: number, perSeconds: number, backgroundRequests?: number) {
  let nowMs = 1_000_000;
  const sleeps: number[] = [];
  const limiter = createLocalRateLimiter({
    requests,
    perSeconds,
    ...(backgroundRequests === undefined ? {} : { backgroundRequests }),
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

  it('stops background requests at their share of the window and lets urgent ones use the rest', async () => {
    const { limiter, sleeps, advance } = limiterOnFakeClock(5, 10, 4);
    for (let request = 0; request < 4; request += 1) {
      await limiter.acquire();
      advance(1_000);
    }
    expect(sleeps).toEqual([]);
    // The reserve: a person's request goes out at once.
    await limiter.acquire(undefined, { urgent: true });
    expect(sleeps).toEqual([]);
    // A fifth background request waits until the window holds fewer than 4 (the urgent one counts
    // too): two stamps must leave, the second of them (3 s old) in 7 s.
    await limiter.acquire();
    expect(sleeps).toEqual([7_000]);
  });
});
