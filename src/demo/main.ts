/**
 * `npm run demo`: see what the bot does before creating anything (run.ts has the details).
 * `--verbose` also prints the app's JSON logs to stderr.
 */
import { runDemo } from './run.js';

const verbose = process.argv.includes('--verbose');

runDemo({
  output: process.stdout,
  env: { REDIS_URL: process.env.REDIS_URL },
  ...(verbose ? { logLevel: 'info', logDestination: process.stderr } : {}),
}).then(
  () => {
    process.exitCode = 0;
  },
  (error: unknown) => {
    console.error(`\naop-status demo failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
