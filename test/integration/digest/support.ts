import { Queue } from 'bullmq';
import type { AopStatusOptions } from '../../../src/app.js';
import { JOB_NAMES, QUEUE_NAMES, safeJobId, type TickPayload } from '../../../src/queue/names.js';
import type { QueueTuning } from '../../../src/queue/runtime.js';
import { redisKeys } from '../../../src/store/keys.js';
import {
  SIGNING_SECRET,
  startTestApp,
  type TestApp,
  type TestAppOptions,
} from '../../support/app-harness.js';
import {
  type AddCertificateInput,
  AUTHENTICATION_ERROR,
  type FakeCloudflare,
  type FakeOutcome,
} from '../../support/fake-cloudflare.js';
import { type FakeSlack, type StoredMessage, sendSlashCommand } from '../../support/fake-slack.js';
import { connectTestRedis, deleteKeysWithPrefix, testRedisUrl } from '../../support/redis.js';

/** The domain clock of these tests: severities are computed as of this instant. */
export const NOW = new Date('2026-11-20T12:00:00Z');
export const DAY_MS = 86_400_000;
/** A schedule that cannot fire while a test runs (1 January, midnight). */
export const NEVER = '0 0 1 1 *';

/** A 32-hex zone id that reads as its number, e.g. zoneId(7) → '0000…0007'. */
export function zoneId(index: number): string {
  return index.toString(16).padStart(32, '0');
}

/** Expiry `days` after NOW, in Cloudflare's wire format. */
export function expiresInDays(days: number): string {
  return new Date(NOW.getTime() + days * DAY_MS).toISOString().replace('.000Z', 'Z');
}

export interface SeededHostname {
  hostname: string;
  zoneId: string;
  /** What the digest must make of it. */
  problem: boolean;
}

/**
 * Associates `hostnames` in `zone`, all on one new certificate with `certificate`'s fields.
 * Returns the certificate id.
 */
export function associateOnOneCertificate(
  cloudflare: FakeCloudflare,
  zone: string,
  hostnames: string[],
  certificate: AddCertificateInput,
  association: { enabled?: boolean | null; status?: string } = {},
): string {
  const added = cloudflare.state.addCertificate(zone, certificate);
  for (const hostname of hostnames)
    cloudflare.state.associate(zone, { hostname, cert_id: added.id, ...association });
  return added.id;
}

const ZONE_PATH = /^\/zones\/([^/]+)\//;

/**
 * Makes every request for `zone` meet `fault` (the fake's `inject` and `forbiddenRoutes` apply to
 * a route across all zones). Requests are still recorded. Returns a function that undoes it.
 */
export function failZone(
  cloudflare: FakeCloudflare,
  zone: string,
  fault: 'server_error' | 'forbidden',
): () => void {
  const original = cloudflare.handle.bind(cloudflare);
  const outcome: FakeOutcome =
    fault === 'server_error'
      ? {
          kind: 'respond',
          status: 500,
          headers: { 'content-type': 'application/json' },
          rawBody: JSON.stringify({
            success: false,
            errors: [{ code: 10001, message: 'Internal server error' }],
            messages: [],
            result: null,
          }),
        }
      : {
          kind: 'respond',
          status: 403,
          headers: { 'content-type': 'application/json' },
          rawBody: JSON.stringify({
            success: false,
            errors: [AUTHENTICATION_ERROR],
            messages: [],
            result: null,
          }),
        };
  cloudflare.handle = (request) => {
    const answer = original(request);
    return ZONE_PATH.exec(request.path)?.[1] === zone ? outcome : answer;
  };
  return () => {
    cloudflare.handle = original;
  };
}

/** Requests the fake received for one zone. */
export function requestsForZone(cloudflare: FakeCloudflare, zone: string) {
  return cloudflare.requests.filter((request) => ZONE_PATH.exec(request.path)?.[1] === zone);
}

/** Digest parents (not thread replies), optionally in one channel, in posting order. */
export function digestParents(slack: FakeSlack, channel?: string): StoredMessage[] {
  return slack.messages.filter(
    (message) =>
      message.metadata?.event_type === 'aop_digest' &&
      message.threadTs === undefined &&
      (channel === undefined || message.channel === channel),
  );
}

/** The thread replies of `parent`, in posting order. */
export function repliesOf(slack: FakeSlack, parent: StoredMessage): StoredMessage[] {
  return slack.messages.filter(
    (message) => message.channel === parent.channel && message.threadTs === parent.ts,
  );
}

/** Waits until `channel` holds a digest parent and all the parts its metadata announces. */
export async function waitForCompleteDigest(
  slack: FakeSlack,
  channel: string,
  options: { timeoutMs?: number; index?: number } = {},
): Promise<{ parent: StoredMessage; replies: StoredMessage[] }> {
  return slack.waitFor(
    () => {
      const parent = digestParents(slack, channel)[options.index ?? 0];
      if (!parent) return undefined;
      const partCount = Number(parent.metadata?.event_payload.part_count ?? 1);
      const replies = repliesOf(slack, parent);
      return replies.length >= partCount - 1 ? { parent, replies } : undefined;
    },
    { timeoutMs: options.timeoutMs ?? 15_000, what: `a complete digest in ${channel}` },
  );
}

/** Every text object's text in a message, joined by newlines. */
export function messageText(message: StoredMessage): string {
  const texts: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === 'object' && value !== null) {
      const record = value as Record<string, unknown>;
      if ((record.type === 'mrkdwn' || record.type === 'plain_text') && typeof record.text === 'string') {
        texts.push(record.text);
      } else Object.values(record).forEach(walk);
    }
  };
  walk(message.blocks ?? []);
  return texts.join('\n');
}

/** Sends a signed `/aop-status <text>` and returns the bodies posted to its response_url. */
export async function slash(
  app: TestApp,
  slack: FakeSlack,
  text: string,
  options: { channelId?: string; userId?: string; expectResponses?: number } = {},
): Promise<{
  ack: { status: number; body: string };
  responses: Array<{ text: string; blocks?: unknown[] }>;
}> {
  const responseUrl = slack.responseUrl();
  const ack = await sendSlashCommand(app.url, SIGNING_SECRET, {
    text,
    response_url: responseUrl,
    channel_id: options.channelId ?? 'C0ONCALL',
    user_id: options.userId ?? 'U0ONCALL',
  });
  const expected = options.expectResponses ?? (ack.body === '' ? 1 : 0);
  if (expected === 0) return { ack, responses: [] };
  const posts = await slack.waitFor(
    () => {
      const found = slack.responsesTo(responseUrl);
      return found.length >= expected ? found : undefined;
    },
    { timeoutMs: 10_000, what: `${expected} response(s) to "/aop-status ${text}"` },
  );
  return { ack, responses: posts.map((post) => post.body as { text: string; blocks?: unknown[] }) };
}

/** Deletes every key of `prefix` (app keys and BullMQ keys alike). */
export async function deletePrefix(prefix: string): Promise<void> {
  const redis = connectTestRedis();
  try {
    await deleteKeysWithPrefix(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

/** The value of one Prometheus sample from the app's registry, 0 when absent. */
export async function metricValue(
  app: TestApp,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = await app.service.metrics.registry.getSingleMetric(name)?.get();
  const sample = metric?.values.find((value) =>
    Object.entries(labels).every(([key, expected]) => String(value.labels[key]) === expected),
  );
  return sample?.value ?? 0;
}

/** Short retries for runs that must exhaust them; Slack pacing kept at its production value unless asked. */
export const FAST_QUEUE: QueueTuning = {
  tickBackoffMs: 100,
  zoneCheckBackoffMs: 100,
  assembleBackoffMs: 200,
};

/** `startTestApp` with the app's `tuning` (job backoff, Slack pacing) required. */
export function startTunedTestApp(
  options: TestAppOptions & { tuning: NonNullable<AopStatusOptions['tuning']> },
): Promise<TestApp> {
  return startTestApp(options);
}

/**
 * Runs `fn` with the app's digest queue (same Redis, same prefix), to inspect or feed it, and
 * closes it afterwards.
 */
export async function withDigestQueue<T>(
  app: { prefix: string },
  fn: (queue: Queue) => Promise<T>,
): Promise<T> {
  const url = new URL(testRedisUrl());
  // The queue owns its connection, so close() ends it after any command still in flight.
  const queue = new Queue(QUEUE_NAMES.digest, {
    connection: { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null },
    prefix: redisKeys(app.prefix).queuePrefix,
  });
  try {
    return await fn(queue);
  } finally {
    await queue.close();
  }
}

/**
 * Queues a scheduled tick for `slotTimeMs`, as a job scheduler (or a catch-up at start) would:
 * the app's workers fan it out and post the digest to every configured and subscribed channel.
 */
export async function enqueueScheduledTick(app: { prefix: string }, slotTimeMs: number): Promise<void> {
  await withDigestQueue(app, async (queue) => {
    const data: TickPayload = { trigger: 'schedule', slotTimeMs };
    await queue.add(JOB_NAMES.digestTick, data, { jobId: safeJobId('test-tick', slotTimeMs) });
  });
}

/** Log lines at `level` or worse whose message contains `text`. */
export function logLines(app: TestApp, text: string, minimumLevel = 10): Record<string, unknown>[] {
  return app.logs.filter(
    (line) => typeof line.msg === 'string' && line.msg.includes(text) && Number(line.level) >= minimumLevel,
  );
}
