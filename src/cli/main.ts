/**
 * `npm run cli -- check <hostname> [zone]` and `npm run cli -- digest --dry-run` (see `--help`).
 * The exit status says what was found, for scripts and deploy pipelines.
 */
import { runCli } from './run.js';

runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
}).then(
  (exitCode) => {
    process.exitCode = exitCode;
  },
  (error: unknown) => {
    console.error('aop-status: unexpected failure:', error instanceof Error ? error.stack : error);
    process.exitCode = 1;
  },
);
