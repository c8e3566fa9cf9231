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

async function packagesLoadedBy(modules: string[]): Promise<string[]> {
  const script = `
    import { createRequire } from 'node:module';
    for (const file of ${JSON.stringify(modules)}) await import(file);
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    const names = loaded.flatMap((file) => {
      const match = /.*\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(file);
      return match ? [match[1]] : [];
    });
    process.stdout.write(JSON.stringify([...new Set(names)]));
  `;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    { cwd: REPO_ROOT, timeout: 60_000 },
  );
  return JSON.parse(stdout) as string[];
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
});
