/**
 * How much one digest of a large inventory costs: Cloudflare requests, wall time and the app's
 * peak memory, for the note on issue 3.
 *
 *   npx tsx bench/digest-scale-probe.ts
 *   npx tsx bench/digest-scale-probe.ts --zones 100 --hostnames-per-zone 100 --certificates-per-zone 20
 *
 * The real app (createAopStatus: BullMQ tick → one zone-check job per zone → assemble → Slack)
 * runs in this process against Redis (REDIS_URL, default redis://127.0.0.1:6379) under a fresh key
 * prefix that is deleted afterwards. The local Cloudflare and Slack servers run in a child process
 * (this file with --serve-fakes), so the peak RSS reported is the app's own. The app keeps the
 * default Cloudflare budget (1,200 requests per 300 s) and Slack pacing (one message a second per
 * channel); the local Cloudflare enforces the same 1,200 per 300 s and counts any 429.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { createAopStatus } from '../src/app.js';
import { loadConfig } from '../src/config/load.js';
import { createLogger } from '../src/observability/logger.js';
import { createMetrics } from '../src/observability/metrics.js';
import {
  certificateFields,
  FAKE_API_TOKEN,
  type FakeCloudflare,
  generateSelfSignedCertificate,
  startFakeCloudflare,
} from '../test/support/fake-cloudflare.js';
import { type FakeSlack, startFakeSlack } from '../test/support/fake-slack.js';

const DAY_MS = 86_400_000;
const CHANNEL = 'C0BENCH';

interface Sizes {
  zones: number;
  hostnamesPerZone: number;
  certificatesPerZone: number;
}

interface SeededZone {
  id: string;
  name: string;
}

interface FakesStats {
  cloudflare: {
    requests: number;
    rateLimited: number;
    byRoute: Record<string, number>;
    lastAtMs: number | null;
  };
  slack: { posts: Array<{ atMs: number; part: number; partCount: number; ok: boolean }> };
}

type ToChild = { type: 'stats' } | { type: 'stop' };
type FromChild =
  | {
      type: 'ready';
      cloudflareBaseUrl: string;
      slackApiUrl: string;
      zones: SeededZone[];
      problemShare: string;
    }
  | { type: 'stats'; stats: FakesStats };

// ---------------------------------------------------------------------------------------------
// Child: the local Cloudflare and Slack

/**
 * Per zone, `certificatesPerZone` certificates shared evenly by its hostnames: certificate 0
 * expires in 4 days (critical), 1 and 2 in 20 days (warning), the hostnames on 3 have AOP switched
 * off (disabled), the rest expire in 120 to 400 days (healthy). With 20 certificates per zone that
 * is 5% critical, 10% warning, 5% disabled.
 */
function seed(cloudflare: FakeCloudflare, sizes: Sizes): SeededZone[] {
  const zones: SeededZone[] = [];
  const now = Date.now();
  for (let zoneIndex = 0; zoneIndex < sizes.zones; zoneIndex += 1) {
    const name = `z${String(zoneIndex).padStart(3, '0')}.probe.example`;
    const zone = cloudflare.state.addZone({ id: zoneIndex.toString(16).padStart(32, 'a'), name });
    const certificates = Array.from({ length: sizes.certificatesPerZone }, (_, index) => {
      const days = index === 0 ? 4 : index <= 2 ? 20 : 120 + ((index * 37) % 280);
      const generated = generateSelfSignedCertificate({
        hostname: `*.${name}`,
        notAfter: new Date(now + days * DAY_MS),
        notBefore: new Date(now - 30 * DAY_MS),
      });
      return cloudflare.state.addCertificate(zone.id, certificateFields(generated));
    });
    for (let index = 0; index < sizes.hostnamesPerZone; index += 1) {
      const certificateIndex = index % sizes.certificatesPerZone;
      cloudflare.state.associate(zone.id, {
        hostname: `h${String(index).padStart(5, '0')}.${name}`,
        cert_id: certificates[certificateIndex]?.id ?? '',
        ...(certificateIndex === 3 ? { enabled: false } : {}),
      });
    }
    zones.push({ id: zone.id, name });
  }
  return zones;
}

async function serveFakes(sizes: Sizes): Promise<void> {
  const cloudflare = await startFakeCloudflare({ rateLimit: { requests: 1200, windowMs: 300_000 } });
  const slack: FakeSlack = await startFakeSlack();
  const stats: FakesStats = {
    cloudflare: { requests: 0, rateLimited: 0, byRoute: {}, lastAtMs: null },
    slack: { posts: [] },
  };
  const handle = cloudflare.handle.bind(cloudflare);
  cloudflare.handle = (request) => {
    const outcome = handle(request);
    const route = cloudflare.requests.at(-1)?.route ?? 'unknown';
    stats.cloudflare.requests += 1;
    stats.cloudflare.lastAtMs = Date.now();
    stats.cloudflare.byRoute[route] = (stats.cloudflare.byRoute[route] ?? 0) + 1;
    if (outcome.kind === 'respond' && outcome.status === 429) stats.cloudflare.rateLimited += 1;
    // The log would keep every request's headers; the counts above are all the probe needs.
    cloudflare.requests.length = 0;
    return outcome;
  };
  const zones = seed(cloudflare, sizes);
  const send = (message: FromChild) => process.send?.(message);
  process.on('message', (message: ToChild) => {
    if (message.type === 'stats') {
      stats.slack.posts = slack.messages
        .filter((stored) => stored.channel === CHANNEL)
        .map((stored) => ({
          atMs:
            slack.calls.find((call) => call.args.text === stored.text && call.method === 'chat.postMessage')
              ?.at ?? 0,
          part: Number(stored.metadata?.event_payload.part ?? 0),
          partCount: Number(stored.metadata?.event_payload.part_count ?? 0),
          ok: true,
        }));
      send({ type: 'stats', stats });
    }
  });
  process.on('disconnect', () => {
    void Promise.all([cloudflare.close(), slack.close()]).then(() => process.exit(0));
  });
  const problems = (1 + 2 + 1) / sizes.certificatesPerZone;
  send({
    type: 'ready',
    cloudflareBaseUrl: cloudflare.baseUrl,
    slackApiUrl: slack.apiUrl,
    zones,
    problemShare: `${Math.round(problems * 100)}% of hostnames need attention`,
  });
}

// ---------------------------------------------------------------------------------------------
// Parent: the app under measurement

function startFakesChild(
  sizes: Sizes,
): Promise<{ child: ChildProcess; ready: Extract<FromChild, { type: 'ready' }> }> {
  const child = fork(
    fileURLToPath(import.meta.url),
    [
      '--serve-fakes',
      '--zones',
      String(sizes.zones),
      '--hostnames-per-zone',
      String(sizes.hostnamesPerZone),
      '--certificates-per-zone',
      String(sizes.certificatesPerZone),
    ],
    { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the fakes process exited with ${code}`)));
    child.once('message', (message: FromChild) => {
      if (message.type === 'ready') resolve({ child, ready: message });
    });
  });
}

function askStats(child: ChildProcess): Promise<FakesStats> {
  return new Promise((resolve) => {
    const onMessage = (message: FromChild) => {
      if (message.type !== 'stats') return;
      child.off('message', onMessage);
      resolve(message.stats);
    };
    child.on('message', onMessage);
    child.send({ type: 'stats' } satisfies ToChild);
  });
}

async function deleteKeysWithPrefix(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  let cursor = '0';
  let deleted = 0;
  try {
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function measure(sizes: Sizes): Promise<void> {
  const redisUrl = process.env.REDIS_URL?.trim() || 'redis://127.0.0.1:6379';
  const prefix = `probe-${randomUUID().slice(0, 8)}`;
  const seedStarted = performance.now();
  const { child, ready } = await startFakesChild(sizes);
  console.log(
    `seeded ${sizes.zones} zones × ${sizes.hostnamesPerZone} hostnames (${sizes.certificatesPerZone} certificates per zone, ${ready.problemShare}) in ${seconds(performance.now() - seedStarted)}`,
  );

  const file = {
    timezone: 'Europe/Berlin',
    zones: ready.zones.map((zone) => ({ id: zone.id, name: zone.name })),
    digest: { schedule: '0 0 1 1 *', channels: [] },
  };
  const yamlText = stringify(file);
  const loaded = loadConfig({
    env: {
      SLACK_BOT_TOKEN: 'xoxb-probe-token',
      SLACK_SIGNING_SECRET: 'probe-signing-secret',
      SLACK_API_URL: ready.slackApiUrl,
      PORT: '0',
      CLOUDFLARE_API_TOKEN: FAKE_API_TOKEN.scheme === 'api_token' ? FAKE_API_TOKEN.token : '',
      CLOUDFLARE_API_BASE_URL: ready.cloudflareBaseUrl,
      REDIS_URL: redisUrl,
      AOP_REDIS_PREFIX: prefix,
      LOG_LEVEL: 'info',
    },
    cwd: '/virtual',
    fileExists: (path) => path === '/virtual/aop-status.yml',
    readFile: () => yamlText,
  });
  if (!loaded.ok) throw new Error(`config invalid:\n${loaded.problems.join('\n')}`);
  const logLines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString().split('\n')) {
          if (line.trim()) logLines.push(JSON.parse(line) as Record<string, unknown>);
        }
        callback();
      },
    }),
  });
  const service = createAopStatus({
    config: loaded.config,
    logger,
    metrics: createMetrics({ collectProcessMetrics: false }),
  });
  await service.start();
  const rssBeforeBytes = process.memoryUsage().rss;
  let peakHeapBytes = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => {
    peakHeapBytes = Math.max(peakHeapBytes, process.memoryUsage().heapUsed);
  }, 50);

  const startedAtMs = Date.now();
  await service.queues.requestDigest(CHANNEL, 'U0PROBE');
  let stats = await askStats(child);
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    const parent = stats.slack.posts.find((post) => post.part === 1);
    if (parent && stats.slack.posts.length >= parent.partCount) break;
    if (Date.now() > deadline) throw new Error('the digest did not arrive within 15 minutes');
    await new Promise((resolve) => setTimeout(resolve, 100));
    stats = await askStats(child);
  }
  const finishedAtMs = Date.now();
  clearInterval(sampler);
  const maxRssBytes = process.resourceUsage().maxRSS * 1024;
  const fannedOut = logLines.find((line) => line.msg === 'run fanned out');
  const assembled = logLines.find((line) => line.msg === 'digest run done');
  const parentAtMs = Math.min(...stats.slack.posts.map((post) => post.atMs));
  const lastPartAtMs = Math.max(...stats.slack.posts.map((post) => post.atMs));

  console.log(`
Cloudflare requests:      ${stats.cloudflare.requests} (${Object.entries(stats.cloudflare.byRoute)
    .map(([route, count]) => `${route} ${count}`)
    .join(', ')}); 429 answers: ${stats.cloudflare.rateLimited}
zone checks done after:   ${seconds((stats.cloudflare.lastAtMs ?? startedAtMs) - startedAtMs)} (last Cloudflare request)
parent message after:     ${seconds(parentAtMs - startedAtMs)}
digest complete after:    ${seconds(lastPartAtMs - startedAtMs)} (${stats.slack.posts.length} messages: parent + ${stats.slack.posts.length - 1} thread replies at 1 per second)
wall time (probe view):   ${seconds(finishedAtMs - startedAtMs)}
peak RSS (app process):   ${megabytes(maxRssBytes)} (RSS after start, before the run: ${megabytes(rssBeforeBytes)})
peak heap used:           ${megabytes(peakHeapBytes)}
log: fanned out ${fannedOut ? String(fannedOut.zones) : '?'} zones; assembled ${assembled ? String(assembled.messages) : '?'} messages`);

  await service.stop();
  child.disconnect();
  const deleted = await deleteKeysWithPrefix(redisUrl, prefix);
  console.log(`cleaned up: ${deleted} Redis keys under ${prefix}`);
}

const { values } = parseArgs({
  options: {
    'serve-fakes': { type: 'boolean', default: false },
    zones: { type: 'string', default: '100' },
    'hostnames-per-zone': { type: 'string', default: '100' },
    'certificates-per-zone': { type: 'string', default: '20' },
  },
});
const sizes: Sizes = {
  zones: Number(values.zones),
  hostnamesPerZone: Number(values['hostnames-per-zone']),
  certificatesPerZone: Math.max(4, Number(values['certificates-per-zone'])),
};

if (values['serve-fakes']) {
  await serveFakes(sizes);
} else {
  await measure(sizes).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
