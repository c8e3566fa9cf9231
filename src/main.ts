import { createAopStatus } from './app.js';
import { ConfigError, loadConfig } from './config/load.js';
import { isAopError } from './errors.js';
import { cloudflareSecrets, createLogger } from './observability/logger.js';

/**
 * `npm start`: validate the configuration (all problems at once), then run the Slack app and the
 * workers in this process until SIGTERM/SIGINT.
 */
async function main(): Promise<void> {
  const result = loadConfig({ env: process.env, cwd: process.cwd() });
  if (!result.ok) {
    const error = new ConfigError(result.problems);
    console.error(`aop-status: ${error.message}\n${error.hint ?? ''}`);
    process.exitCode = 78; // EX_CONFIG
    return;
  }
  const logger = createLogger({
    level: result.config.logLevel,
    secrets: cloudflareSecrets(result.config),
  });
  for (const warning of result.warnings) logger.warn({ warning }, 'configuration warning');

  const service = createAopStatus({ config: result.config, logger });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const forceExit = setTimeout(() => {
      logger.error('shutdown took longer than 25 s; exiting anyway');
      process.exit(1);
    }, 25_000);
    forceExit.unref();
    service.stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));

  await service.start();
}

main().catch((error: unknown) => {
  const hint = isAopError(error) && error.hint ? `\n${error.hint}` : '';
  console.error(
    `aop-status failed to start: ${error instanceof Error ? error.message : String(error)}${hint}`,
  );
  process.exit(isAopError(error, 'config_invalid') ? 78 : 1);
});
