/**
 * The bot under test, in a process of its own (so its peak RSS is its own): the real composition
 * root in HTTP mode, configured the way a deployment would be, pointed at the local fakes.
 * Driven over IPC by bench/run.ts (see bench/lib/rpc.ts).
 */
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { stringify } from 'yaml';
import { type AopStatus, createAopStatus } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/observability/logger.js';
import { FAKE_API_TOKEN } from '../../test/support/fake-cloudflare.js';
import { BENCH_SIGNING_SECRET } from '../lib/constants.js';
import { serveRpc } from '../lib/rpc.js';

interface LogLine {
  msg?: string;
  level?: number;
  [key: string]: unknown;
}

type LogWaiter = { match: (line: LogLine) => boolean; resolve: (line: LogLine) => void };

let service: AopStatus | null = null;
const waiters = new Set<LogWaiter>();
/** Warnings and errors the app logged, for the report when something goes wrong. */
const problems: string[] = [];

// The messages worth parsing; everything else is only written, as it would be to stdout.
const WATCHED = [
  'digest run done',
  'digest ready but no channel',
  'alert evaluation done',
  'job failed',
  '"level":50',
  '"level":60',
];

const destination = new Writable({
  write(chunk: Buffer, _encoding, callback) {
    const text = chunk.toString();
    if (WATCHED.some((marker) => text.includes(marker))) {
      for (const raw of text.split('\n')) {
        if (!raw.trim()) continue;
        const line = JSON.parse(raw) as LogLine;
        if ((line.level ?? 0) >= 40 && problems.length < 20)
          problems.push(`${line.msg ?? ''} ${raw.slice(0, 300)}`);
        for (const waiter of waiters) {
          if (waiter.match(line)) {
            waiters.delete(waiter);
            waiter.resolve(line);
          }
        }
      }
    }
    callback();
  },
});

function waitForLog(match: (line: LogLine) => boolean, timeoutMs: number, what: string): Promise<LogLine> {
  return new Promise((resolve, reject) => {
    const waiter: LogWaiter = {
      match,
      resolve: (line) => {
        clearTimeout(timer);
        resolve(line);
      },
    };
    const timer = setTimeout(() => {
      waiters.delete(waiter);
      reject(new Error(`no "${what}" within ${timeoutMs} ms; the app logged: ${problems.join(' | ')}`));
    }, timeoutMs);
    waiters.add(waiter);
  });
}

function requireService(): AopStatus {
  if (!service) throw new Error('start first');
  return service;
}

/** Samples RSS and heap while a run is in progress; the kernel's maxRSS covers the whole process life. */
function startMemorySampler(intervalMs: number) {
  let peakRssBytes = process.memoryUsage.rss();
  let peakHeapUsedBytes = process.memoryUsage().heapUsed;
  let ticks = 0;
  const timer = setInterval(() => {
    peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss());
    ticks += 1;
    if (ticks % 5 === 0) peakHeapUsedBytes = Math.max(peakHeapUsedBytes, process.memoryUsage().heapUsed);
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return { peakRssBytes, peakHeapUsedBytes };
    },
  };
}

/** RSS and heap before a read, and their peaks during it (sampled every 5 ms). */
function startReadSampler() {
  const baseline = process.memoryUsage();
  let peakRssBytes = baseline.rss;
  let peakHeapUsedBytes = baseline.heapUsed;
  const sample = () => {
    const now = process.memoryUsage();
    peakRssBytes = Math.max(peakRssBytes, now.rss);
    peakHeapUsedBytes = Math.max(peakHeapUsedBytes, now.heapUsed);
  };
  const timer = setInterval(sample, 5);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return {
        baselineRssBytes: baseline.rss,
        peakRssBytes,
        baselineHeapUsedBytes: baseline.heapUsed,
        peakHeapUsedBytes,
      };
    },
  };
}

let readSampler: ReturnType<typeof startReadSampler> | null = null;

const handlers = {
  async start(params: {
    cloudflareBaseUrl: string;
    slackApiUrl: string;
    redisUrl: string;
    prefix: string;
    /** The YAML file's content, as users write it. */
    file: Record<string, unknown>;
    /** `AOP_ROLE`; several processes on one prefix share the queues and the rate limit. Default `all`. */
    role?: 'all' | 'web' | 'worker';
  }) {
    const token = FAKE_API_TOKEN.scheme === 'api_token' ? FAKE_API_TOKEN.token : '';
    const yamlText = stringify(params.file);
    const result = loadConfig({
      env: {
        SLACK_BOT_TOKEN: 'xoxb-bench-token',
        SLACK_SIGNING_SECRET: BENCH_SIGNING_SECRET,
        SLACK_API_URL: params.slackApiUrl,
        PORT: '0',
        CLOUDFLARE_API_TOKEN: token,
        CLOUDFLARE_API_BASE_URL: params.cloudflareBaseUrl,
        REDIS_URL: params.redisUrl,
        AOP_REDIS_PREFIX: params.prefix,
        LOG_LEVEL: 'info',
        AOP_ROLE: params.role ?? 'all',
      },
      cwd: '/virtual',
      fileExists: (file) => file === '/virtual/aop-status.yml',
      readFile: () => yamlText,
    });
    if (!result.ok) throw new Error(`bench config invalid:\n${result.problems.join('\n')}`);
    service = createAopStatus({
      config: result.config,
      logger: createLogger({ level: result.config.logLevel, destination }),
    });
    const { port } = await service.start();
    return { port, rssBytes: process.memoryUsage.rss() };
  },

  /** Requests one digest into `channel` and resolves once every part of it is posted. */
  async runDigest(params: { channel: string; timeoutMs: number }) {
    const app = requireService();
    const baseline = process.memoryUsage();
    const sampler = startMemorySampler(20);
    const done = waitForLog(
      (line) =>
        line.msg === 'digest run done' ||
        line.msg === 'digest ready but no channel is configured or subscribed; nothing posted',
      params.timeoutMs,
      'digest run done',
    );
    const requestedAtMs = Date.now();
    const startedMs = performance.now();
    try {
      const { queued } = await app.queues.requestDigest(params.channel, 'U0BENCH');
      if (!queued) throw new Error('the digest request was deduplicated; use a fresh prefix per run');
      const line = await done;
      const durationMs = performance.now() - startedMs;
      const peaks = sampler.stop();
      return {
        requestedAtMs,
        durationMs,
        messages: typeof line.messages === 'number' ? line.messages : 0,
        kind: typeof line.kind === 'string' ? line.kind : 'unknown',
        baselineRssBytes: baseline.rss,
        baselineHeapUsedBytes: baseline.heapUsed,
        peakRssBytes: peaks.peakRssBytes,
        peakHeapUsedBytes: peaks.peakHeapUsedBytes,
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
        problems: [...problems],
      };
    } finally {
      sampler.stop();
    }
  },

  /**
   * Runs one alert evaluation and resolves once the evaluator has logged its summary and the
   * alerts and zone-check queues are idle again (so a retried job is waited for too).
   */
  async runEvaluation(params: { timeoutMs: number }) {
    const app = requireService();
    const baseline = process.memoryUsage();
    const sampler = startMemorySampler(20);
    const summaries: LogLine[] = [];
    // Every summary the evaluator logs during this call: a retried job logs one per attempt.
    const collector: LogWaiter = {
      match: (line) => {
        if (line.msg === 'alert evaluation done') summaries.push(line);
        return false;
      },
      resolve: () => {},
    };
    waiters.add(collector);
    const requestedAtMs = Date.now();
    const startedMs = performance.now();
    try {
      const evaluated = waitForLog(
        (line) => line.msg === 'alert evaluation done',
        params.timeoutMs,
        'alert evaluation done',
      );
      await app.queues.requestEvaluation();
      await evaluated;
      const deadline = Date.now() + params.timeoutMs;
      let idlePolls = 0;
      let depths: Record<string, Record<string, number>> = {};
      while (idlePolls < 2) {
        if (Date.now() > deadline)
          throw new Error(`evaluation not idle within ${params.timeoutMs} ms: ${JSON.stringify(depths)}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
        depths = await app.queues.queueDepths();
        // `delayed` is left out: each job scheduler always keeps its next tick there.
        const busy = Object.values(depths).some(
          (counts) => (counts.waiting ?? 0) + (counts.active ?? 0) + (counts['waiting-children'] ?? 0) > 0,
        );
        idlePolls = busy ? 0 : idlePolls + 1;
      }
      const durationMs = performance.now() - startedMs;
      const peaks = sampler.stop();
      const count = (key: string) =>
        summaries.reduce((total, line) => total + (typeof line[key] === 'number' ? line[key] : 0), 0);
      return {
        requestedAtMs,
        durationMs,
        attempts: summaries.length,
        /** From the evaluator's own summary lines, summed over attempts. */
        hostnames: typeof summaries.at(-1)?.hostnames === 'number' ? Number(summaries.at(-1)?.hostnames) : 0,
        withActions: count('withActions'),
        slackCalls: count('slackCalls'),
        failed: count('failed'),
        refused: count('refused'),
        skippedBusy: count('skippedBusy'),
        baselineRssBytes: baseline.rss,
        peakRssBytes: peaks.peakRssBytes,
        peakHeapUsedBytes: peaks.peakHeapUsedBytes,
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
        problems: [...problems],
      };
    } finally {
      waiters.delete(collector);
      sampler.stop();
    }
  },

  /** Queues one digest into `channel` and returns at once; any worker on the prefix may assemble it. */
  async requestDigest(params: { channel: string }) {
    const requestedAtMs = Date.now();
    const { queued } = await requireService().queues.requestDigest(params.channel, 'U0BENCH');
    if (!queued) throw new Error('the digest request was deduplicated; use a fresh prefix per run');
    return { requestedAtMs };
  },

  /**
   * Resolves once this process logs a finished digest (`done: true`, with the time), or after
   * `timeoutMs` with `done: false`: among several workers only the one that assembles it logs it.
   */
  async digestDone(params: { timeoutMs: number }) {
    try {
      await waitForLog(
        (line) =>
          line.msg === 'digest run done' ||
          line.msg === 'digest ready but no channel is configured or subscribed; nothing posted',
        params.timeoutMs,
        'digest run done',
      );
      return { done: true, atMs: Date.now() };
    } catch {
      return { done: false, atMs: Date.now() };
    }
  },

  /** CPU time this process has used so far (user + system), to see which workers did the work. */
  async cpuMs(_params: Record<string, never>) {
    const usage = process.cpuUsage();
    return { cpuMs: (usage.user + usage.system) / 1000 };
  },

  /**
   * One read of the stored zone checks in this process: `/aop-status list` as the slash command
   * answers it (every messages' blocks built), or the App Home overview. Timed, with RSS and heap
   * sampled every 5 ms meanwhile.
   */
  async readStoredState(params: { reader: 'list' | 'home' }) {
    const app = requireService();
    const sampler = startReadSampler();
    const startedMs = performance.now();
    let found: Record<string, number>;
    try {
      if (params.reader === 'list') {
        const messages = await app.inventory.handle(
          { kind: 'list', route: null },
          { userId: 'U0BENCH', channelId: 'C0BENCH' },
        );
        // The first message opens with "*Watched hostnames: 100,000 in 1,000 zones*".
        const opening = JSON.stringify(messages[0]?.blocks[0] ?? '');
        const counted = /Watched hostnames: ([\d,]+) in ([\d,]+) zones?/.exec(opening);
        const number = (text: string | undefined) => Number((text ?? '').replace(/,/g, ''));
        found = {
          hostnames: number(counted?.[1]),
          zones: number(counted?.[2]),
          messages: messages.length,
          bytes: Buffer.byteLength(JSON.stringify(messages)),
        };
      } else {
        const overview = await app.home.overview(null);
        found = {
          zones: overview.zonesTotal - overview.zonesNotChecked.length,
          hostnames: Object.values(overview.hostnames).reduce((total, count) => total + count, 0),
        };
      }
    } catch (error) {
      sampler.stop();
      throw error;
    }
    return { durationMs: performance.now() - startedMs, found, ...sampler.stop() };
  },

  /** Starts sampling RSS and heap every 5 ms, for a request the benchmark sends from outside (a scrape). */
  async startReadSampling(_params: Record<string, never>) {
    readSampler = startReadSampler();
    return null;
  },

  async stopReadSampling(_params: Record<string, never>) {
    if (!readSampler) throw new Error('startReadSampling first');
    const figures = readSampler.stop();
    readSampler = null;
    return figures;
  },

  async memory(_params: Record<string, never>) {
    return { rssBytes: process.memoryUsage.rss(), maxRssBytes: process.resourceUsage().maxRSS * 1024 };
  },
};

export type BotHandlers = typeof handlers;

serveRpc(handlers, async () => {
  await service?.stop();
  service = null;
});
