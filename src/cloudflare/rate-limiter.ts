/**
 * One request budget for every process that talks to Cloudflare with the same credentials.
 * Cloudflare counts 1200 requests per 5 minutes per user and, once that is exceeded, blocks every
 * call for five minutes; so the web process answering a slash command and the workers running a
 * digest must draw on one shared budget, and a 429 seen by one must stop all of them.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AopError } from '../errors.js';

export interface AcquireOptions {
  /**
   * Someone is waiting for this request (a lookup, a Refresh): it may use the whole limit. Other
   * requests (digests, alert evaluations) stop at the limiter's `backgroundRequests`, so the rest
   * of every window stays free for people.
   */
  urgent?: boolean;
}

export interface RateLimiter {
  /** Resolves when one more request may be sent; rejects with `signal.reason` when aborted first. */
  acquire(signal?: AbortSignal, options?: AcquireOptions): Promise<void>;
  /** Stops every process from sending until `epochMs` (a 429's Retry-After); never shortens a pause. */
  pauseUntil(epochMs: number): Promise<void>;
}

/** Waits `ms`, or rejects with `signal.reason` as soon as `signal` aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/**
 * A setTimeout-based Sleep that honours an AbortSignal.
 *
 * @example
 * await abortableSleep(250, AbortSignal.timeout(1000));
 */
export const abortableSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * The two Redis keys of the shared limiter. The only place their names are spelled. Both carry the
 * same hash tag so the one Lua script that touches them runs on Redis Cluster too. `budgetId`
 * names one token's own budget (see `tokenBudgetId`); without it, the single credential's keys,
 * unchanged since before there were several accounts.
 *
 * @example cloudflareRateLimitKeys('aop').window // 'aop:{cloudflare-ratelimit}:window'
 */
export function cloudflareRateLimitKeys(
  keyPrefix: string,
  budgetId?: string,
): { window: string; pausedUntil: string } {
  const tag = budgetId ? `cloudflare-ratelimit-${budgetId}` : 'cloudflare-ratelimit';
  return {
    window: `${keyPrefix}:{${tag}}:window`,
    pausedUntil: `${keyPrefix}:{${tag}}:paused-until`,
  };
}

/**
 * Cloudflare counts requests per token, so the budget is keyed by the token itself: two account
 * entries with the same token share one budget, and no key ever holds the token (a SHA-256 prefix).
 *
 * @example tokenBudgetId('cfat_…') // '3f2a…' (16 hex characters)
 */
export function tokenBudgetId(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 16);
}

/**
 * KEYS[1] sorted set of request stamps (score = Redis ms), KEYS[2] paused-until (Redis ms).
 * ARGV[1] limit (the whole budget, or the background part of it), ARGV[2] window ms, ARGV[3] a unique member.
 * Returns 0 when a slot was taken, otherwise the ms to wait before asking again.
 * Time comes from Redis TIME so the processes' own clocks never matter.
 */
const ACQUIRE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused > now then
  return paused - now
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window + 1000)
  return 0
end
-- The stamp whose expiry brings the window back under this request's limit.
local oldest = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
local wait = tonumber(oldest[2]) + window - now + 1
if wait < 1 then wait = 1 end
return wait
`;

/**
 * KEYS[1] paused-until. ARGV[1] how long to pause, in ms from now (Redis time).
 * Only ever extends the pause, so two processes reporting 429s cannot shorten each other's wait.
 */
const PAUSE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilMs = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilMs > current then
  redis.call('SET', KEYS[1], untilMs, 'PX', tonumber(ARGV[1]) + 1000)
end
return untilMs
`;

/**
 * Requests every process sent in the current window of one budget (what the App Home shows).
 *
 * @example await requestsInWindow(redis, cloudflareRateLimitKeys('aop'), 300_000) // 412
 */
export async function requestsInWindow(
  redis: Pick<Redis, 'zcount'>,
  keys: { window: string },
  windowMs: number,
  nowMs = Date.now(),
): Promise<number> {
  return redis.zcount(keys.window, nowMs - windowMs, '+inf');
}

/** The Redis commands the limiter needs; an ioredis `Redis` satisfies it. */
export type RateLimiterRedis = Pick<Redis, 'eval' | 'evalsha'>;

export interface RedisRateLimiterOptions {
  redis: RateLimiterRedis;
  keyPrefix: string;
  /** One token's budget (`tokenBudgetId`); absent: the single credential's. */
  budgetId?: string;
  /** At most this many requests ... */
  requests: number;
  /** ... in any sliding window of this many seconds, across all processes. */
  perSeconds: number;
  /** Of `requests`, how many requests that are not urgent may take in a window; default all of them. */
  backgroundRequests?: number;
  sleep?: Sleep;
  /** Local clock used only to turn `pauseUntil(epochMs)` into a duration. */
  clock?: () => Date;
  /** Longest single wait before asking Redis again, so a freed slot is noticed promptly. */
  maxPollMs?: number;
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/**
 * A sliding-window limiter shared through Redis: a sorted set of request stamps with unique
 * members, trimmed to the window on every acquire inside one Lua script, plus a shared
 * "paused until" key that `pauseUntil` sets after a 429 and every acquire honours.
 *
 * @example
 * const limiter = createRedisRateLimiter({ redis, keyPrefix: 'aop', requests: 1200, perSeconds: 300 });
 * await limiter.acquire();
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  const { redis, keyPrefix, requests, perSeconds } = options;
  if (!Number.isInteger(requests) || requests < 1)
    throw new RangeError('requests must be a positive integer');
  if (!(perSeconds > 0)) throw new RangeError('perSeconds must be positive');
  const sleep = options.sleep ?? abortableSleep;
  const clock = options.clock ?? (() => new Date());
  const maxPollMs = options.maxPollMs ?? 5_000;
  const backgroundRequests = Math.min(requests, options.backgroundRequests ?? requests);
  const keys = cloudflareRateLimitKeys(keyPrefix, options.budgetId);
  const windowMs = Math.round(perSeconds * 1000);
  const scripts = new Map([
    [ACQUIRE_SCRIPT, sha1(ACQUIRE_SCRIPT)],
    [PAUSE_SCRIPT, sha1(PAUSE_SCRIPT)],
  ]);

  async function run(script: string, keyList: string[], args: (string | number)[]): Promise<number> {
    const digest = scripts.get(script) ?? sha1(script);
    try {
      let reply: unknown;
      try {
        reply = await redis.evalsha(digest, keyList.length, ...keyList, ...args);
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        reply = await redis.eval(script, keyList.length, ...keyList, ...args);
      }
      return Number(reply);
    } catch (error) {
      throw new AopError('redis_unavailable', 'The shared Cloudflare rate limiter could not reach Redis.', {
        hint: 'Check that Redis is up and REDIS_URL is right; Cloudflare calls wait for it.',
        cause: error,
      });
    }
  }

  return {
    async acquire(signal, acquireOptions) {
      // One window for both: a background request counts against people's requests too, it only
      // stops earlier.
      const limit = acquireOptions?.urgent ? requests : backgroundRequests;
      for (;;) {
        if (signal?.aborted) throw signal.reason;
        const waitMs = await run(
          ACQUIRE_SCRIPT,
          [keys.window, keys.pausedUntil],
          [limit, windowMs, randomUUID()],
        );
        if (waitMs <= 0) return;
        await sleep(Math.min(waitMs, maxPollMs), signal);
      }
    },
    async pauseUntil(epochMs) {
      const durationMs = Math.ceil(epochMs - clock().getTime());
      if (durationMs <= 0) return;
      await run(PAUSE_SCRIPT, [keys.pausedUntil], [durationMs]);
    },
  };
}

/**
 * A limiter that never waits, for unit tests and one-off scripts; `pauseUntil` is recorded in
 * `pauses` (epoch ms) so tests can see that a 429 was reported.
 *
 * @example
 * const limiter = createUnlimitedRateLimiter();
 * await limiter.acquire(); // resolves at once
 */
export function createUnlimitedRateLimiter(): RateLimiter & {
  readonly pauses: number[];
  readonly acquired: number;
} {
  const pauses: number[] = [];
  let acquired = 0;
  return {
    pauses,
    get acquired() {
      return acquired;
    },
    async acquire(signal) {
      if (signal?.aborted) throw signal.reason;
      acquired += 1;
    },
    async pauseUntil(epochMs) {
      pauses.push(epochMs);
    },
  };
}
