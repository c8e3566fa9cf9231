import { Writable } from 'node:stream';
import { stringify } from 'yaml';
import { type AopStatus, type AopStatusOptions, createAopStatus } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import type { AppConfig } from '../../src/config/types.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { FAKE_API_TOKEN } from './fake-cloudflare.js';
import { testRedisUrl, uniquePrefix } from './redis.js';

export const SIGNING_SECRET = 'test-signing-secret';

export interface TestApp {
  url: string;
  port: number;
  config: AppConfig;
  service: AopStatus;
  prefix: string;
  /** Every log line the app wrote, parsed. */
  logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

export interface TestAppOptions {
  slackApiUrl: string;
  cloudflareBaseUrl: string;
  /** The YAML file's content as an object (snake_case keys, as users write it). */
  file?: Record<string, unknown>;
  env?: Record<string, string | undefined>;
  clock?: () => Date;
  prefix?: string;
  /** Job backoff and Slack pacing, shortened for tests that must exhaust retries. */
  tuning?: AopStatusOptions['tuning'];
}

/** Boots the real app (HTTP mode, PORT=0) against the local Slack and Cloudflare servers and the test Redis. */
export async function startTestApp(options: TestAppOptions): Promise<TestApp> {
  const prefix = options.prefix ?? uniquePrefix('app');
  const token = FAKE_API_TOKEN.scheme === 'api_token' ? FAKE_API_TOKEN.token : '';
  const yamlText = stringify(options.file ?? {});
  const result = loadConfig({
    env: {
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: options.slackApiUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      CLOUDFLARE_API_TOKEN: token,
      CLOUDFLARE_API_BASE_URL: options.cloudflareBaseUrl,
      REDIS_URL: testRedisUrl(),
      AOP_REDIS_PREFIX: prefix,
      LOG_LEVEL: 'debug',
      ...options.env,
    },
    cwd: '/virtual',
    fileExists: (file) => file === '/virtual/aop-status.yml',
    readFile: () => yamlText,
  });
  if (!result.ok) throw new Error(`test config invalid:\n${result.problems.join('\n')}`);
  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n'))
        if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  const logger = createLogger({ level: result.config.logLevel, destination });
  const service = createAopStatus({
    config: result.config,
    logger,
    metrics: createMetrics({ collectProcessMetrics: false }),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.tuning ? { tuning: options.tuning } : {}),
  });
  const { port } = await service.start();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    config: result.config,
    service,
    prefix,
    logs,
    stop: () => service.stop(),
  };
}
