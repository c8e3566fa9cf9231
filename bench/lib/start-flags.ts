/**
 * The node flags `npm start` gives the bot (package.json `scripts.start`) that shape its memory, so
 * the app under test runs with the heap it is deployed with. Read from package.json rather than
 * repeated here: a change there is measured the next time the benchmarks run.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Heap-sizing flags, the only start flags that change what a process measures. */
const HEAP_FLAG = /^--max-(old|semi)-space-size=\d+$/;

/**
 * The heap-sizing flags of `scripts.start` in `<repoRoot>/package.json`.
 *
 * @example startHeapFlags('/repo') // ['--max-old-space-size=512']
 */
export function startHeapFlags(repoRoot: string): string[] {
  const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    scripts?: { start?: string };
  };
  return (manifest.scripts?.start ?? '').split(/\s+/).filter((token) => HEAP_FLAG.test(token));
}
