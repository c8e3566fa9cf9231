import type { Logger as BoltLogger, LogLevel as BoltLogLevel } from '@slack/bolt';
import { type DestinationStream, type Logger, pino } from 'pino';
import type { AppConfig } from '../config/types.js';

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
  'config.cloudflare.accounts',
  'auth',
  '*.auth',
  'accounts[*].auth',
  'err.config',
  'err.request',
];

/**
 * Token shapes that must never appear in a log line, whatever object carried them: Slack's bot,
 * user and app tokens, and Cloudflare's account- and user-owned API tokens (`cfat_`, `cfut_`).
 */
const SECRET_PATTERN = /\b(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|cf[au]t_[A-Za-z0-9_-]+)/g;

/** Shorter values are not scrubbed literally: they would blank ordinary words. */
const MIN_LITERAL_SECRET_LENGTH = 8;

/**
 * Replaces token shapes in free text (an error message that echoes a request), and every literal
 * secret in `secrets` (the configured Cloudflare tokens, whatever their shape).
 *
 * @example scrubSecrets('Bearer cfat_abc123 refused') // 'Bearer [REDACTED] refused'
 */
export function scrubSecrets(text: string, secrets: readonly string[] = []): string {
  let scrubbed = text.replace(SECRET_PATTERN, '[REDACTED]');
  for (const secret of secrets) {
    if (secret.length >= MIN_LITERAL_SECRET_LENGTH && scrubbed.includes(secret))
      scrubbed = scrubbed.split(secret).join('[REDACTED]');
  }
  return scrubbed;
}

/** Every configured Cloudflare credential, for `LoggerOptions.secrets`. */
export function cloudflareSecrets(config: Pick<AppConfig, 'cloudflare'>): string[] {
  return config.cloudflare.accounts.flatMap((account) =>
    account.auth.scheme === 'api_token' ? [account.auth.token] : [account.auth.key],
  );
}

export interface LoggerOptions {
  level: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to read them back. */
  destination?: DestinationStream;
  base?: Record<string, unknown>;
  /** Literal secrets (every configured Cloudflare token) blanked wherever they appear in text. */
  secrets?: readonly string[];
}

/** JSON logs with secrets redacted; every line carries `service: aop-status`. */
export function createLogger(options: LoggerOptions): Logger {
  const secrets = options.secrets ?? [];
  const scrub = (text: string) => scrubSecrets(text, secrets);
  return pino(
    {
      level: options.level,
      base: { service: 'aop-status', ...options.base },
      redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
      formatters: {
        log(object) {
          for (const [key, value] of Object.entries(object)) {
            if (typeof value === 'string') object[key] = scrub(value);
          }
          return object;
        },
      },
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((argument) =>
              typeof argument === 'string' ? scrub(argument) : argument,
            ) as typeof args,
          );
        },
      },
      serializers: {
        err: (error: unknown) => {
          const serialized = pino.stdSerializers.err(error as Error);
          if (typeof serialized.message === 'string') serialized.message = scrub(serialized.message);
          if (typeof serialized.stack === 'string') serialized.stack = scrub(serialized.stack);
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
