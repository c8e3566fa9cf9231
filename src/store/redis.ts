import { Redis } from 'ioredis';

export interface ConnectOptions {
  /** Connect on the first command or an explicit `connect()` instead of at once. */
  lazyConnect?: boolean;
}

/**
 * Two kinds of connection. Commands issued while serving a person (rate limiter, watch list) fail
 * fast when Redis is away, so the lookup can fall back instead of hanging; BullMQ's connections
 * wait and retry forever (`maxRetriesPerRequest: null`), which BullMQ requires for workers.
 */
export function connectRedisForCommands(url: string, options: ConnectOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    lazyConnect: options.lazyConnect ?? false,
  });
}

export function connectRedisForQueues(url: string, options: ConnectOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    lazyConnect: options.lazyConnect ?? false,
  });
}

/** Resolves once the connection is ready, or rejects after `timeoutMs`. */
export async function waitUntilReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis did not become ready within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}
