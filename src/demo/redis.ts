/**
 * A Redis for the demo: REDIS_URL when set, else the usual local one, else a throw-away
 * `redis-server` on a free loopback port, stopped when the demo ends.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';

export interface DemoRedis {
  url: string;
  /** How it was found, for the demo's opening lines. */
  origin: 'REDIS_URL' | 'local' | 'started';
  /** Stops the server the demo started; does nothing to a Redis it found. */
  stop(): Promise<void>;
}

const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379';

/** One line, everything a person needs: the demo starts redis-server itself once it is installed. */
export const MISSING_REDIS_SERVER =
  'No Redis at 127.0.0.1:6379 and no redis-server to start one: install it with your package manager ' +
  '(apt-get install redis-server, dnf install redis, brew install redis) or run `docker compose up -d redis`, then try again.';

/** True when the Redis at `url` answers PING within `timeoutMs`. */
export async function redisAnswers(url: string, timeoutMs = 1_000): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port')),
      );
    });
  });
}

/**
 * Finds or starts a Redis. Throws with what to do when none answers and redis-server is missing.
 *
 * @example const redis = await ensureDemoRedis({ REDIS_URL: process.env.REDIS_URL }); … await redis.stop();
 */
export async function ensureDemoRedis(
  env: Record<string, string | undefined>,
  options: {
    /** Where a Redis usually answers; tests point it at a closed port. */
    localRedisUrl?: string;
    /** The binary to start; tests name one that does not exist. */
    redisServerCommand?: string;
  } = {},
): Promise<DemoRedis> {
  const localRedisUrl = options.localRedisUrl ?? LOCAL_REDIS_URL;
  const redisServer = options.redisServerCommand ?? 'redis-server';
  const configured = env.REDIS_URL?.trim();
  if (configured) {
    if (!(await redisAnswers(configured))) {
      throw new Error(
        `REDIS_URL is set to ${configured}, but no Redis answers there. Start it, or unset REDIS_URL.`,
      );
    }
    return { url: configured, origin: 'REDIS_URL', stop: async () => {} };
  }
  if (await redisAnswers(localRedisUrl, 500)) {
    return { url: localRedisUrl, origin: 'local', stop: async () => {} };
  }
  if (spawnSync('sh', ['-c', 'command -v "$0"', redisServer]).status !== 0) {
    throw new Error(MISSING_REDIS_SERVER);
  }
  const port = await freeLoopbackPort();
  const directory = mkdtempSync(path.join(tmpdir(), 'aop-status-demo-redis-'));
  const child: ChildProcess = spawn(
    redisServer,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', directory],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(directory, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!(await redisAnswers(url, 300))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not answer on 127.0.0.1:${port} within 10 s.`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, origin: 'started', stop };
}

/** Deletes every key containing `prefix` (the app's keys and its BullMQ queues alike). */
export async function deleteDemoKeys(url: string, prefix: string): Promise<number> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
  return deleted;
}
