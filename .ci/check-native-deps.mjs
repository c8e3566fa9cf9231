// Loads every dependency that ships compiled code, on the Node running this script, and fails
// when one does not load. node_modules comes from `npm ci` on the machine's Node; this proves the
// same tree works on another major (a prebuilt addon picked for one ABI must not fail on the other).
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const checks = [
  // bullmq → msgpackr: without the addon msgpackr falls back to plain JavaScript, silently.
  [
    'msgpackr-extract (bullmq, production)',
    () => typeof require('msgpackr-extract').extractStrings === 'function',
  ],
  ['rolldown binding (vitest)', () => typeof require('rolldown/experimental').transform === 'function'],
  [
    'esbuild binary (tsx)',
    () =>
      /^\d+\.\d+\.\d+$/.test(
        execFileSync(require.resolve('esbuild/bin/esbuild'), ['--version']).toString().trim(),
      ),
  ],
];

let failed = 0;
for (const [name, check] of checks) {
  let result;
  try {
    result = check() ? 'ok' : 'loaded, but not as expected';
  } catch (error) {
    result = `FAILED: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
  }
  if (result !== 'ok') failed += 1;
  process.stdout.write(`  ${name}: ${result}\n`);
}
process.exit(failed === 0 ? 0 : 1);
