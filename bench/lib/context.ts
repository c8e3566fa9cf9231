/**
 * What every scenario receives, and the one shape a scenario has. Adding a scenario is writing one
 * `Scenario` and listing it in bench/scenarios/index.ts.
 */
import type { Redis } from 'ioredis';
import type { BareBoltHandlers } from '../children/bare-bolt.js';
import type { BotHandlers } from '../children/bot.js';
import type { FakesHandlers } from '../children/fakes.js';
import { BENCH_SIGNING_SECRET } from './constants.js';
import { benchPrefix, deleteKeysWithPrefix } from './redis.js';
import type { ScenarioReport } from './report.js';
import { type ChildHandle, REPO_ROOT, startChild } from './rpc.js';
import { startHeapFlags } from './start-flags.js';

export interface BenchContext {
  redisUrl: string;
  /** For reading what a run stored and removing its keys. */
  redis: Redis;
  /** The local Cloudflare and Slack servers (one process for the whole run). */
  fakes: ChildHandle<FakesHandlers>;
  /** Smaller sizes and fewer runs, to check the harness itself quickly (`--quick`). */
  quick: boolean;
  /** Progress, to stderr. */
  log(message: string): void;
  /** Computes once per run; lets two scenarios share the same measurements (digest and growth). */
  memo<T>(key: string, compute: () => Promise<T>): Promise<T>;
}

export interface Scenario {
  id: string;
  /** The section heading in BENCHMARKS.md. */
  title: string;
  run(context: BenchContext): Promise<ScenarioReport>;
}

export interface RunningBot {
  handle: ChildHandle<BotHandlers>;
  origin: string;
  prefix: string;
  /** Stops the process and removes every Redis key it wrote. */
  stop(): Promise<void>;
}

/** The YAML settings every benchmark bot shares; scenarios add zones and limits. */
export function benchFile(extra: Record<string, unknown>): Record<string, unknown> {
  return {
    timezone: 'UTC',
    // Never fires during a run (1 January, midnight), so only the digests the benchmark asks for run.
    digest: { schedule: '0 0 1 1 *', channels: [] },
    ...extra,
  };
}

/** Starts the bot in a fresh process with a fresh Redis prefix. */
export async function startBot(
  context: BenchContext,
  options: {
    label: string;
    cloudflareBaseUrl: string;
    slackApiUrl: string;
    file: Record<string, unknown>;
    /** Another process's prefix, to join its queues and rate limit; a fresh one by default. */
    prefix?: string;
    role?: 'all' | 'web' | 'worker';
    /** Start node as it starts by default instead of with `npm start`'s heap flags (for comparison). */
    nodeDefaultHeap?: boolean;
  },
): Promise<RunningBot> {
  const prefix = options.prefix ?? benchPrefix(options.label);
  const handle = await startChild<BotHandlers>('bot', {
    nodeFlags: options.nodeDefaultHeap ? [] : startHeapFlags(REPO_ROOT),
  });
  try {
    const { port } = await handle.call('start', {
      cloudflareBaseUrl: options.cloudflareBaseUrl,
      slackApiUrl: options.slackApiUrl,
      redisUrl: context.redisUrl,
      prefix,
      file: options.file,
      ...(options.role ? { role: options.role } : {}),
    });
    return {
      handle,
      origin: `http://127.0.0.1:${port}`,
      prefix,
      async stop() {
        await handle.stop(15_000);
        await deleteKeysWithPrefix(context.redis, prefix);
      },
    };
  } catch (error) {
    await handle.stop();
    await deleteKeysWithPrefix(context.redis, prefix);
    throw error;
  }
}

export interface RunningBareBolt {
  handle: ChildHandle<BareBoltHandlers>;
  origin: string;
  stop(): Promise<void>;
}

export async function startBareBolt(options: { slackApiUrl: string }): Promise<RunningBareBolt> {
  // The same runtime as the bot, so the comparison is of what each does per request.
  const handle = await startChild<BareBoltHandlers>('bare-bolt', { nodeFlags: startHeapFlags(REPO_ROOT) });
  const { port } = await handle.call('start', {
    signingSecret: BENCH_SIGNING_SECRET,
    slackApiUrl: options.slackApiUrl,
  });
  return { handle, origin: `http://127.0.0.1:${port}`, stop: () => handle.stop() };
}
