import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { freeLoopbackPort, redisAnswers } from '../../src/demo/redis.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * Finds a Redis for the suite: REDIS_URL when set, else the usual local one, else a
 * throw-away `redis-server` on a free port that is stopped when the run ends.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const configured = process.env.REDIS_URL;
  if (configured) {
    project.provide('redisUrl', configured);
    return () => {};
  }
  if (await redisAnswers(DEFAULT_REDIS_URL)) {
    project.provide('redisUrl', DEFAULT_REDIS_URL);
    return () => {};
  }
  const which = spawnSync('sh', ['-c', 'command -v redis-server']);
  if (which.status !== 0) {
    throw new Error(
      'No Redis answers at 127.0.0.1:6379, REDIS_URL is not set, and redis-server is not installed. ' +
        'Install it (apt-get install redis-server) or point REDIS_URL at a Redis 6.2+.',
    );
  }
  const port = await freeLoopbackPort();
  const dir = mkdtempSync(path.join(tmpdir(), 'aop-status-redis-'));
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 10_000;
  while (!(await redisAnswers(`redis://127.0.0.1:${port}`, 500))) {
    if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port} within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  project.provide('redisUrl', `redis://127.0.0.1:${port}`);
  return () => {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
}
