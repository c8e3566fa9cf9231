import type { Logger as BoltLogger, LogLevel as BoltLogLevel } from '@slack/bolt';
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths pino blanks out wherever they appear. Secrets reach logs mostly through error objects
 * (request headers, client options), so the list covers those shapes too.
 */
export const REDACTED_PATHS = [
  'token',
  'botToken',
  'appToken',
  'signingSecret',
  'apiKey',
  'key',
  'password',
  'authorization',
  'headers.authorization',
  'headers["x-auth-key"]',
  'headers["x-auth-email"]',
  'headers["x-slack-signature"]',
  '*.token',
  '*.botToken',
  '*.appToken',
  '*.signingSecret',
  '*.authorization',
  '*.headers.authorization',
  '*.headers["x-auth-key"]',
  'config.slack',
  'config.cloudflare.auth',
  'err.config',
  'err.request',
];

/** Token shapes that must never appear in a log line, whatever object carried them. */
const SECRET_PATTERN = /\b(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+)\b/g;

/** Replaces Slack token shapes in free text, e.g. an error message that echoes a request. */
export function scrubSecrets(text: string): string {
  return text.replace(SECRET_PATTERN, '[REDACTED]');
}

export interface LoggerOptions {
  level: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to read them back. */
  destination?: DestinationStream;
  base?: Record<string, unknown>;
}

/** JSON logs with secrets redacted; every line carries `service: aop-status`. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'aop-status', ...options.base },
      redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
      formatters: {
        log(object) {
          for (const [key, value] of Object.entries(object)) {
            if (typeof value === 'string') object[key] = scrubSecrets(value);
          }
          return object;
        },
      },
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((argument) =>
              typeof argument === 'string' ? scrubSecrets(argument) : argument,
            ) as typeof args,
          );
        },
      },
      serializers: {
        err: (error: unknown) => {
          const serialized = pino.stdSerializers.err(error as Error);
          if (typeof serialized.message === 'string') serialized.message = scrubSecrets(serialized.message);
          if (typeof serialized.stack === 'string') serialized.stack = scrubSecrets(serialized.stack);
          return serialized;
        },
      },
    },
    options.destination,
  );
}

/** Bolt wants its own Logger interface; this routes it into pino under `component: bolt`. */
export function toBoltLogger(logger: Logger): BoltLogger {
  const child = logger.child({ component: 'bolt' });
  const join = (parts: unknown[]) => scrubSecrets(parts.map((part) => String(part)).join(' '));
  return {
    debug: (...message) => child.debug(join(message)),
    info: (...message) => child.info(join(message)),
    warn: (...message) => child.warn(join(message)),
    error: (...message) => child.error(join(message)),
    setLevel: () => {},
    getLevel: () => child.level as BoltLogLevel,
    setName: () => {},
  };
}
