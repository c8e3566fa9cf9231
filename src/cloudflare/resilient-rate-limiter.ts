import type { RateLimiter, Sleep } from './rate-limiter.js';
import { abortableSleep } from './rate-limiter.js';

export interface LocalRateLimiterOptions {
  /** At most this many requests ... */
  requests: number;
  /** ... in any sliding window of this many seconds, in this process. */
  perSeconds: number;
  /** Of `requests`, how many requests that are not urgent may take in a window; default all of them. */
  backgroundRequests?: number;
  nowMs?: () => number;
  sleep?: Sleep;
}

/**
 * An in-process sliding window: the fallback of the resilient limiter, and the whole limiter for a
 * process that talks to Cloudflare on its own without Redis (the command line).
 *
 * @example
 * const limiter = createLocalRateLimiter({ requests: 1200, perSeconds: 300 });
 * await limiter.acquire();
 */
export function createLocalRateLimiter(options: LocalRateLimiterOptions): RateLimiter {
  const nowMs = options.nowMs ?? Date.now;
  const sleep = options.sleep ?? abortableSleep;
  const windowMs = options.perSeconds * 1000;
  const stamps: number[] = [];
  let pausedUntilMs = 0;
  const backgroundRequests = Math.min(options.requests, options.backgroundRequests ?? options.requests);

  return {
    async acquire(signal, acquireOptions) {
      const limit = acquireOptions?.urgent ? options.requests : backgroundRequests;
      for (;;) {
        const now = nowMs();
        while (stamps.length > 0 && (stamps[0] ?? 0) <= now - windowMs) stamps.shift();
        const waitForPauseMs = pausedUntilMs - now;
        if (waitForPauseMs <= 0 && stamps.length < limit) {
          stamps.push(now);
          return;
        }
        // The stamp whose expiry brings the window back under this request's limit.
        const waitForSlotMs =
          stamps.length >= limit ? (stamps[stamps.length - limit] ?? now) + windowMs - now : 0;
        await sleep(Math.max(waitForPauseMs, waitForSlotMs, 1), signal);
      }
    },
    async pauseUntil(epochMs) {
      pausedUntilMs = Math.max(pausedUntilMs, epochMs);
    },
  };
}

/**
 * A limiter that keeps the bot answering while Redis is away: it uses the shared Redis limiter
 * and, whenever Redis cannot answer, an in-process sliding window with the same budget. A lookup
 * must never fail because the queue's database is restarting.
 */
export function createResilientRateLimiter(options: {
  shared: RateLimiter;
  requests: number;
  perSeconds: number;
  backgroundRequests?: number;
  nowMs?: () => number;
  sleep?: Sleep;
  onFallback?: (error: unknown) => void;
}): RateLimiter {
  const local = createLocalRateLimiter(options);

  return {
    async acquire(signal, acquireOptions) {
      try {
        await options.shared.acquire(signal, acquireOptions);
      } catch (error) {
        if (signal?.aborted) throw error;
        options.onFallback?.(error);
        await local.acquire(signal, acquireOptions);
      }
    },
    async pauseUntil(epochMs) {
      await local.pauseUntil(epochMs);
      try {
        await options.shared.pauseUntil(epochMs);
      } catch (error) {
        options.onFallback?.(error);
      }
    },
  };
}
