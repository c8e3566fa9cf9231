import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * A module a process loads stays in its memory for the rest of its life. These tests load parts of
 * the bot in a fresh process (the test runner's own modules would hide what they load) and list the
 * packages that came with them.
 */
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Every file under node_modules that loading `modules` loaded, as `package/path/in/it.js`. */
async function filesLoadedBy(modules: string[]): Promise<string[]> {
  const script = `
    import { createRequire } from 'node:module';
    for (const file of ${JSON.stringify(modules)}) await import(file);
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    process.stdout.write(JSON.stringify(loaded.flatMap((file) => file.split('/node_modules/').slice(-1))));
  `;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    { cwd: REPO_ROOT, timeout: 60_000 },
  );
  return JSON.parse(stdout) as string[];
}

async function packagesLoadedBy(modules: string[]): Promise<string[]> {
  const files = await filesLoadedBy(modules);
  return [...new Set(files.map((file) => /^((?:@[^/]+\/)?[^/]+)\//.exec(file)?.[1] ?? file))];
}

describe('packages each part of the bot loads', () => {
  it('the composition root loads the queues but not Bolt: a worker process never serves Slack', async () => {
    const loaded = await packagesLoadedBy(['./src/app.ts']);
    expect(loaded).toContain('bullmq');
    expect(loaded).not.toContain('@slack/bolt');
    expect(loaded).not.toContain('express');
  });

  it('the Slack side loads Bolt but not Express, which only receivers the bot never uses need', async () => {
    const loaded = await packagesLoadedBy(['./src/app.ts', './src/slack/app.ts']);
    expect(loaded).toContain('@slack/bolt');
    expect(loaded).not.toContain('express');
  });

  it("the queues load BullMQ's Redis classes but not its PostgreSQL backend", async () => {
    const files = await filesLoadedBy(['./src/app.ts']);
    expect(files).toContain('bullmq/dist/cjs/classes/worker.js');
    expect(files.filter((file) => file.startsWith('bullmq/dist/cjs/postgres/'))).toEqual([]);
  });
});
