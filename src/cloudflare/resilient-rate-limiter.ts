import type { RateLimiter, Sleep } from './rate-limiter.js';
import { abortableSleep } from './rate-limiter.js';

/**
 * A limiter that keeps the bot answering while Redis is away: it uses the shared Redis limiter
 * and, whenever Redis cannot answer, an in-process sliding window with the same budget. A lookup
 * must never fail because the queue's database is restarting.
 */
export function createResilientRateLimiter(options: {
  shared: RateLimiter;
  requests: number;
  perSeconds: number;
  nowMs?: () => number;
  sleep?: Sleep;
  onFallback?: (error: unknown) => void;
}): RateLimiter {
  const nowMs = options.nowMs ?? Date.now;
  const sleep = options.sleep ?? abortableSleep;
  const windowMs = options.perSeconds * 1000;
  const stamps: number[] = [];
  let localPausedUntilMs = 0;

  const acquireLocally = async (signal?: AbortSignal): Promise<void> => {
    for (;;) {
      const now = nowMs();
      while (stamps.length > 0 && (stamps[0] ?? 0) <= now - windowMs) stamps.shift();
      const waitForPauseMs = localPausedUntilMs - now;
      if (waitForPauseMs <= 0 && stamps.length < options.requests) {
        stamps.push(now);
        return;
      }
      const waitForSlotMs = stamps.length >= options.requests ? (stamps[0] ?? now) + windowMs - now : 0;
      await sleep(Math.max(waitForPauseMs, waitForSlotMs, 1), signal);
    }
  };

  return {
    async acquire(signal) {
      try {
        await options.shared.acquire(signal);
      } catch (error) {
        if (signal?.aborted) throw error;
        options.onFallback?.(error);
        await acquireLocally(signal);
      }
    },
    async pauseUntil(epochMs) {
      localPausedUntilMs = Math.max(localPausedUntilMs, epochMs);
      try {
        await options.shared.pauseUntil(epochMs);
      } catch (error) {
        options.onFallback?.(error);
      }
    },
  };
}
