/**
 * `npm run demo`: the real app (createAopStatus: the Slack app in HTTP mode and the BullMQ
 * workers) and a real Redis, against the local Cloudflare and Slack stand-ins, seeded with a
 * dozen hostnames in every state. It sends signed slash commands, asks for a digest and an alert
 * evaluation, and prints every message the bot sent to Slack as terminal text. Then it stops
 * everything and removes its Redis keys. Loopback only, bounded in time.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { stringify } from 'yaml';
import { type AopStatus, createAopStatus } from '../app.js';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../observability/logger.js';
import { createMetrics } from '../observability/metrics.js';
import { blockKitBuilderLink, describeBuilderLink } from '../render/block-kit-builder.js';
import { blocksToTerminalText, displayWidth, type TerminalMessage } from '../render/terminal.js';
import { type DemoRedis, deleteDemoKeys, ensureDemoRedis } from './redis.js';
import { DEMO_CHANNELS, demoConfigFile, type SeededHostname, seedDemoCloudflare } from './seed.js';
import {
  type DemoFakeCloudflare,
  type DemoFakeSlack,
  type DemoRecordedCall,
  type DemoStandIns,
  loadStandIns,
} from './stand-ins.js';

/** Where the demo writes; `process.stdout` qualifies. */
export interface DemoOutput {
  write(text: string): unknown;
}

export interface DemoOptions {
  output: DemoOutput;
  /** Only REDIS_URL is read. */
  env?: Record<string, string | undefined>;
  /** Default: loaded from test/support (see stand-ins.ts). */
  standIns?: DemoStandIns;
  clock?: () => Date;
  /** The app's log level; default `silent`, so only the Slack messages show. */
  logLevel?: string;
  logDestination?: { write(text: string): unknown };
  /** The whole run must finish within this; default 55 s. */
  timeoutMs?: number;
}

export interface DemoSummary {
  /** Slack messages printed (acks, response_url posts, chat.postMessage and chat.update calls). */
  messagesPrinted: number;
  durationMs: number;
  redisPrefix: string;
}

const RULE_WIDTH = 88;
/** Starts the line under each message that links it to Block Kit Builder (or says why not). */
export const BUILDER_LINK_MARK = '↗';
const DEMO_USER = 'U0DEMO';
/** How long a response_url must stay quiet before its messages are taken as complete. */
const QUIET_MS = 300;

class DemoTimeoutError extends Error {}

/**
 * Runs the whole demo and resolves once everything it started is stopped again.
 *
 * @example await runDemo({ output: process.stdout, env: { REDIS_URL: process.env.REDIS_URL } });
 */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const startedAtMs = Date.now();
  const deadlineMs = startedAtMs + (options.timeoutMs ?? 55_000);
  const clock = options.clock ?? (() => new Date());
  const { output } = options;
  const standIns = options.standIns ?? (await loadStandIns());
  const prefix = `demo-${randomUUID().slice(0, 8)}`;
  const signingSecret = randomBytes(16).toString('hex');
  const cloudflareToken = `demo-${randomBytes(12).toString('hex')}`;
  let printed = 0;

  const write = (text: string) => output.write(text);
  const heading = (title: string) => {
    const rule = '━'.repeat(Math.max(3, RULE_WIDTH - displayWidth(title) - 4));
    write(`\n━━ ${title} ${rule}\n\n`);
  };
  /** The message (or Home tab) as text, then a link that opens exactly these blocks in Block Kit Builder. */
  const printMessage = (title: string, message: TerminalMessage, surface: 'message' | 'home' = 'message') => {
    heading(title);
    write(`${blocksToTerminalText(message)}\n`);
    const link = blockKitBuilderLink({ type: surface, blocks: message.blocks ?? [] });
    write(`\n${BUILDER_LINK_MARK} ${describeBuilderLink(link)}\n`);
    printed += 1;
  };
  const waitFor = async <T>(
    what: string,
    probe: () => Promise<T | undefined> | T | undefined,
  ): Promise<T> => {
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadlineMs) throw new DemoTimeoutError(`the demo timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  let redis: DemoRedis | null = null;
  let cloudflare: DemoFakeCloudflare | null = null;
  let slack: DemoFakeSlack | null = null;
  let service: AopStatus | null = null;
  try {
    redis = await ensureDemoRedis(options.env ?? {});
    cloudflare = await standIns.startFakeCloudflare();
    cloudflare.state.credentials = [{ scheme: 'api_token', token: cloudflareToken }];
    slack = await standIns.startFakeSlack();
    const seeded = seedDemoCloudflare(cloudflare, standIns, clock());

    const fileText = stringify(demoConfigFile());
    const loaded = loadConfig({
      env: {
        SLACK_BOT_TOKEN: 'xoxb-demo-token',
        SLACK_SIGNING_SECRET: signingSecret,
        SLACK_API_URL: slack.apiUrl,
        PORT: '0',
        HOST: '127.0.0.1',
        CLOUDFLARE_API_TOKEN: cloudflareToken,
        CLOUDFLARE_API_BASE_URL: cloudflare.baseUrl,
        REDIS_URL: redis.url,
        AOP_REDIS_PREFIX: prefix,
        LOG_LEVEL: options.logLevel ?? 'silent',
      },
      cwd: '/demo',
      fileExists: (file) => file === '/demo/aop-status.yml',
      readFile: () => fileText,
    });
    if (!loaded.ok)
      throw new Error(`the demo's own configuration is invalid:\n${loaded.problems.join('\n')}`);
    const logger = createLogger({
      level: loaded.config.logLevel,
      ...(options.logDestination
        ? { destination: { write: (text: string) => void options.logDestination?.write(text) } }
        : {}),
    });
    service = createAopStatus({
      config: loaded.config,
      logger,
      clock,
      metrics: createMetrics({ collectProcessMetrics: false }),
    });
    const { port } = await service.start();
    const appUrl = `http://127.0.0.1:${port}`;
    writeIntroduction(write, { redis, prefix, cloudflare, slack, appUrl, seeded });

    const activeService = service;
    const activeSlack = slack;
    const queuesBusy = async () => {
      const depths = await activeService.queues.queueDepths();
      return Object.values(depths).some(
        (counts) => (counts.waiting ?? 0) + (counts.active ?? 0) + (counts['waiting-children'] ?? 0) > 0,
      );
    };

    /** Sends `/aop-status <text>` as Slack would and prints the answer: the ack, or the response_url posts. */
    const slash = async (text: string, channel: string = DEMO_CHANNELS.oncall) => {
      const label = `/aop-status ${text}${channel === DEMO_CHANNELS.oncall ? '' : ` in #${channel}`}`;
      const responseUrl = activeSlack.responseUrl();
      const ack = await standIns.sendSlashCommand(appUrl, signingSecret, {
        text,
        response_url: responseUrl,
        channel_id: channel,
        user_id: DEMO_USER,
      });
      if (ack.status !== 200) throw new Error(`the app answered HTTP ${ack.status} to ${label}`);
      if (ack.body.trim() !== '') {
        const body = JSON.parse(ack.body) as Record<string, unknown>;
        printMessage(`${label} → ack (${String(body.response_type ?? 'ephemeral')})`, asMessage(body));
        return;
      }
      let seen = 0;
      let quietSinceMs = Date.now();
      const posts = await waitFor(`the answer to ${label}`, () => {
        const found = activeSlack.responsesTo(responseUrl);
        if (found.length !== seen) {
          seen = found.length;
          quietSinceMs = Date.now();
        }
        return found.length > 0 && Date.now() - quietSinceMs >= QUIET_MS ? found : undefined;
      });
      posts.forEach((post, index) => {
        const part = posts.length > 1 ? `, ${index + 1} of ${posts.length}` : '';
        printMessage(
          `${label} → response_url (${String(post.body.response_type ?? 'ephemeral')}${part})`,
          asMessage(post.body),
        );
      });
    };
    /**
     * Prints the chat.postMessage and chat.update calls made from `from` on, as they arrive (the
     * bot paces posts to one a second per channel, as Slack asks), until the queues are idle.
     */
    const printCallsUntilIdle = async (from: number, note: (call: DemoRecordedCall) => string) => {
      let next = from;
      const printNew = () => {
        for (const call of activeSlack.calls.slice(next)) {
          if (call.method === 'chat.postMessage' || call.method === 'chat.update') {
            printMessage(`${call.method} #${String(call.args.channel)}${note(call)}`, asMessage(call.args));
          }
        }
        next = activeSlack.calls.length;
      };
      await waitFor('the queues to finish', async () => {
        printNew();
        return (await queuesBusy()) ? undefined : true;
      });
      printNew();
      return next - from;
    };

    section(write, 'Slash commands, answered only to the person who typed them');
    await slash('app.demo.example');
    await slash('pay.demo.example demo.example');
    await slash('help');
    await slash('app..demo.example');
    await slash('list');

    section(write, 'An on-demand digest: every zone checked through the queue, posted in the channel');
    const beforeDigest = activeSlack.calls.length;
    await slash('digest', DEMO_CHANNELS.digest);
    await printCallsUntilIdle(beforeDigest, (call) =>
      call.args.thread_ts ? ' (thread reply)' : ' (digest)',
    );

    section(
      write,
      'An alert evaluation: one thread per problem in the incident channel, posted a second apart',
    );
    const beforeAlerts = activeSlack.calls.length;
    await activeService.queues.requestEvaluation();
    await printCallsUntilIdle(beforeAlerts, (call) => {
      if (call.method === 'chat.update') return ' (alert parent kept current)';
      return call.args.thread_ts ? ' (thread reply)' : ' (alert parent)';
    });

    section(
      write,
      'The App Home tab, as the on-call engineer opens it: stored state only, no Cloudflare call',
    );
    const beforeHome = activeSlack.calls.length;
    const opened = await standIns.sendEvent(appUrl, signingSecret, standIns.appHomeOpenedEvent(DEMO_USER));
    if (opened.status !== 200) throw new Error(`the app answered HTTP ${opened.status} to app_home_opened`);
    const publish = await waitFor('the Home tab', () =>
      activeSlack.calls.slice(beforeHome).find((call) => call.method === 'views.publish'),
    );
    const view = (publish.args.view ?? {}) as { blocks?: unknown[] };
    printMessage(
      `views.publish for ${DEMO_USER} (Home tab)`,
      { text: '', blocks: Array.isArray(view.blocks) ? view.blocks : [] },
      'home',
    );
  } finally {
    await stopAll({ service, slack, cloudflare, redis, prefix });
  }
  const durationMs = Date.now() - startedAtMs;
  write(
    `\n${'━'.repeat(RULE_WIDTH)}\nDone in ${(durationMs / 1000).toFixed(1)} s: ${printed} Slack messages shown. ` +
      `The app, its workers and the stand-ins are stopped${redisStopNote(redis)}; Redis keys under ${prefix} are removed.\n`,
  );
  return { messagesPrinted: printed, durationMs, redisPrefix: prefix };
}

function redisStopNote(redis: DemoRedis | null): string {
  return redis?.origin === 'started' ? ', and so is the redis-server it started' : '';
}

/** Slack's `text` + `blocks`, from a parsed request body or recorded call arguments. */
function asMessage(body: Record<string, unknown>): TerminalMessage {
  return {
    text: typeof body.text === 'string' ? body.text : '',
    blocks: Array.isArray(body.blocks) ? body.blocks : [],
  };
}

function section(write: (text: string) => unknown, title: string): void {
  write(`\n\n▌ ${title}\n`);
}

function writeIntroduction(
  write: (text: string) => unknown,
  context: {
    redis: DemoRedis;
    prefix: string;
    cloudflare: DemoFakeCloudflare;
    slack: DemoFakeSlack;
    appUrl: string;
    seeded: SeededHostname[];
  },
): void {
  const redisOrigin = {
    REDIS_URL: 'from REDIS_URL',
    local: 'found on the usual port',
    started: 'a redis-server started for the demo',
  }[context.redis.origin];
  const width = Math.max(...context.seeded.map((entry) => entry.hostname.length));
  write(
    [
      'aop-status demo: the real app, its workers and Redis, against local stand-ins for Cloudflare and Slack.',
      'Nothing leaves this machine and no account is needed.',
      '',
      `  App         ${context.appUrl} (Slack app in HTTP mode, digest and alert workers)`,
      `  Redis       ${context.redis.url} (${redisOrigin}); keys under ${context.prefix}, removed at the end`,
      `  Slack       ${context.slack.apiUrl} (stand-in; records every message the bot sends)`,
      `  Cloudflare  ${context.cloudflare.baseUrl} (stand-in), ${context.seeded.length} hostnames in 3 zones:`,
      ...context.seeded.map((entry) => `    ${entry.hostname.padEnd(width)}  ${entry.state}`),
      '',
    ].join('\n'),
  );
}

async function stopAll(parts: {
  service: AopStatus | null;
  slack: DemoFakeSlack | null;
  cloudflare: DemoFakeCloudflare | null;
  redis: DemoRedis | null;
  prefix: string;
}): Promise<void> {
  // Each part is stopped even when another fails to, so nothing is left running.
  const attempt = async (step: () => Promise<unknown>) => {
    try {
      await step();
    } catch {
      // Best effort: the demo is over, and a failure here must not hide the one that ended it.
    }
  };
  if (parts.service) {
    const service = parts.service;
    await attempt(() => service.stop());
  }
  if (parts.slack) await attempt(parts.slack.close.bind(parts.slack));
  if (parts.cloudflare) await attempt(parts.cloudflare.close.bind(parts.cloudflare));
  if (parts.redis) {
    const redis = parts.redis;
    await attempt(() => deleteDemoKeys(redis.url, parts.prefix));
    await attempt(() => redis.stop());
  }
}
