/**
 * Posting a digest to Slack exactly once per channel and slot, on the local Slack server and the
 * test Redis: retried deliveries, a Slack 500 mid-thread, 429 Retry-After, pacing, and a channel
 * that does not exist.
 */
import { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deliverDigest } from '../../../src/digest/deliver.js';
import { createLogger } from '../../../src/observability/logger.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import type { DigestMessage } from '../../../src/render/digest.js';
import { createSlackPoster, type SlackPoster } from '../../../src/slack/poster.js';
import { redisKeys } from '../../../src/store/keys.js';
import { startTestApp, type TestApp } from '../../support/app-harness.js';
import { type FakeCloudflare, startFakeCloudflare } from '../../support/fake-cloudflare.js';
import { type FakeSlack, startFakeSlack } from '../../support/fake-slack.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../support/redis.js';
import {
  associateOnOneCertificate,
  deletePrefix,
  digestParents,
  enqueueScheduledTick,
  expiresInDays,
  logLines,
  metricValue,
  NEVER,
  NOW,
  repliesOf,
  startTunedTestApp,
  waitForCompleteDigest,
  zoneId,
} from './support.js';

const CHANNEL = 'C0DIGEST';

let slack: FakeSlack;

beforeEach(async () => {
  slack = await startFakeSlack();
});

afterEach(async () => {
  await slack.close();
});

function digestParts(count: number, label: string): DigestMessage[] {
  return Array.from({ length: count }, (_, index) => ({
    text: `${label} part ${index + 1}`,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `${label} part ${index + 1}` } }],
    ...(index === 0 ? { metadata: { event_type: 'aop_digest', event_payload: { part: 1 } } } : {}),
    isThreadReply: index > 0,
  }));
}

describe('deliverDigest against the local Slack', () => {
  const prefix = uniquePrefix('deliver');
  const keys = redisKeys(prefix);
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString().split('\n'))
          if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
        callback();
      },
    }),
  });
  let redis: Redis;

  beforeAll(() => {
    redis = connectTestRedis();
  });

  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
  });

  function poster(options: { maxAttempts: number }): {
    poster: SlackPoster;
    metrics: ReturnType<typeof createMetrics>;
  } {
    const metrics = createMetrics({ collectProcessMetrics: false });
    return {
      metrics,
      poster: createSlackPoster({
        token: 'xoxb-test-token',
        apiUrl: slack.apiUrl,
        redis,
        keys,
        logger,
        metrics,
        channelIntervalMs: 10,
        maxAttempts: options.maxAttempts,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 50))),
      }),
    };
  }

  it('posts a slot once even when the delivery runs twice', async () => {
    const { poster: slackPoster, metrics } = poster({ maxAttempts: 3 });
    const options = { redis, keys, poster: slackPoster, logger, metrics };
    const parts = digestParts(3, 'twice');

    expect(await deliverDigest(CHANNEL, 'digest-slot-1', parts, options)).toBe('posted');
    expect(await deliverDigest(CHANNEL, 'digest-slot-1', parts, options)).toBe('already_posted');

    expect(slack.messages.map((message) => message.text)).toEqual([
      'twice part 1',
      'twice part 2',
      'twice part 3',
    ]);
    const [parent, ...replies] = slack.messages;
    expect(replies.map((reply) => reply.threadTs)).toEqual([parent?.ts, parent?.ts]);
    // Another slot is another digest.
    expect(await deliverDigest(CHANNEL, 'digest-slot-2', parts, options)).toBe('posted');
    expect(slack.messages).toHaveLength(6);
  });

  it('resumes after the last confirmed part when a 500 stops it mid-thread: nothing twice, nothing lost', async () => {
    const { poster: slackPoster, metrics } = poster({ maxAttempts: 1 });
    const options = { redis, keys, poster: slackPoster, logger, metrics };
    const parts = digestParts(4, 'resume');
    // Parent and part 2 go through, part 3 meets a 500.
    const original = slackPoster.postMessage.bind(slackPoster);
    let posts = 0;
    slackPoster.postMessage = async (message) => {
      posts += 1;
      if (posts === 3) slack.failNext('chat.postMessage', { status: 500 });
      return original(message);
    };

    await expect(deliverDigest(CHANNEL, 'digest-slot-resume', parts, options)).rejects.toMatchObject({
      code: 'slack_request_failed',
    });
    expect(slack.messages.map((message) => message.text)).toEqual(['resume part 1', 'resume part 2']);

    // The job is retried: the same delivery runs again.
    expect(await deliverDigest(CHANNEL, 'digest-slot-resume', parts, options)).toBe('posted');

    expect(slack.messages.map((message) => message.text)).toEqual([
      'resume part 1',
      'resume part 2',
      'resume part 3',
      'resume part 4',
    ]);
    const [parent, ...replies] = slack.messages;
    expect(replies.every((reply) => reply.threadTs === parent?.ts)).toBe(true);
    expect(slack.callsTo('chat.postMessage')).toHaveLength(5);
  });

  it('retries a Slack 500 within the poster so the thread goes out whole in one delivery', async () => {
    const { poster: slackPoster, metrics } = poster({ maxAttempts: 3 });
    const options = { redis, keys, poster: slackPoster, logger, metrics };
    slack.failNext('chat.postMessage', { status: 500 });

    expect(await deliverDigest(CHANNEL, 'digest-slot-500', digestParts(2, 'five-hundred'), options)).toBe(
      'posted',
    );

    expect(slack.messages.map((message) => message.text)).toEqual([
      'five-hundred part 1',
      'five-hundred part 2',
    ]);
    const calls = await metrics.registry.getSingleMetric('aop_slack_calls_total')?.get();
    expect(calls?.values.map((value) => [value.labels.outcome, value.value])).toEqual([
      ['error', 1],
      ['ok', 2],
    ]);
  });

  it('says busy while another worker holds the channel, and posts nothing', async () => {
    const { poster: slackPoster, metrics } = poster({ maxAttempts: 3 });
    await redis.set(`${keys.digestDelivery(CHANNEL, 'digest-slot-busy')}:lock`, 'someone-else', 'PX', 5_000);

    expect(
      await deliverDigest(CHANNEL, 'digest-slot-busy', digestParts(2, 'busy'), {
        redis,
        keys,
        poster: slackPoster,
        logger,
        metrics,
      }),
    ).toBe('busy');
    expect(slack.messages).toEqual([]);
  });
});

describe('digest posting through the app', () => {
  let cloudflare: FakeCloudflare;
  let app: TestApp | undefined;

  beforeEach(async () => {
    cloudflare = await startFakeCloudflare();
  });

  afterEach(async () => {
    await app?.stop();
    if (app) await deletePrefix(app.prefix);
    app = undefined;
    await cloudflare.close();
  });

  async function boot(
    channels: string[],
    hostnames: number,
    assembleAttempts?: number,
    slackChannelIntervalMs = 20,
  ): Promise<TestApp> {
    const zone = cloudflare.state.addZone({ id: zoneId(1), name: 'example.com' });
    // One certificate per hostname, so every hostname is a line of its own.
    for (let index = 0; index < hostnames; index += 1)
      associateOnOneCertificate(cloudflare, zone.id, [`host-${index}.example.com`], {
        expires_on: expiresInDays(3),
      });
    const options = {
      slackApiUrl: slack.apiUrl,
      cloudflareBaseUrl: cloudflare.baseUrl,
      clock: () => NOW,
      file: {
        timezone: 'Europe/Berlin',
        zones: [{ id: zone.id, name: 'example.com' }],
        digest: { schedule: NEVER, channels },
      },
    };
    app =
      assembleAttempts === undefined
        ? await startTestApp(options)
        : await startTunedTestApp({
            ...options,
            // Every poster attempt waits for the channel's pacing slot; 20 ms keeps 20 attempts short.
            tuning: { queue: { assembleAttempts, assembleBackoffMs: 100 }, slackChannelIntervalMs },
          });
    return app;
  }

  it('paces a threaded digest at one message a second per channel, and a 500 mid-thread loses nothing', async () => {
    const running = await boot([CHANNEL], 150);
    await enqueueScheduledTick(running, Date.now());
    // Fail the first reply once: the parent is in, the reply is a second away.
    await slack.waitFor(() => digestParents(slack, CHANNEL).length > 0, { what: 'the parent' });
    slack.failNext('chat.postMessage', { status: 500 });

    const { parent, replies } = await waitForCompleteDigest(slack, CHANNEL);

    expect(replies.length).toBeGreaterThanOrEqual(2);
    expect(digestParents(slack, CHANNEL)).toHaveLength(1);
    expect(repliesOf(slack, parent).map((reply) => reply.metadata?.event_payload.part)).toEqual(
      replies.map((_, index) => index + 2),
    );
    const mentioned = [parent, ...replies].flatMap((message) =>
      JSON.stringify(message.blocks).match(/host-\d+\.example\.com/g),
    );
    expect(new Set(mentioned).size).toBe(150);
    const successful = slack.callsTo('chat.postMessage').filter((call) => call.at > 0);
    const gaps = successful.slice(1).map((call, index) => call.at - (successful[index]?.at ?? 0));
    // 1 s per channel, with a few ms of timer slack.
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(950);
    expect(
      await metricValue(running, 'aop_slack_calls_total', { method: 'chat.postMessage', outcome: 'error' }),
    ).toBe(1);
  });

  it('honours Retry-After on a 429 from chat.postMessage: waits, then posts once', async () => {
    const running = await boot([CHANNEL], 1);
    slack.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 2 });

    await enqueueScheduledTick(running, Date.now());
    await waitForCompleteDigest(slack, CHANNEL);

    const calls = slack.callsTo('chat.postMessage');
    expect(calls).toHaveLength(2);
    expect((calls[1]?.at ?? 0) - (calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(1_950);
    expect(digestParents(slack, CHANNEL)).toHaveLength(1);
    expect(
      await metricValue(running, 'aop_slack_calls_total', {
        method: 'chat.postMessage',
        outcome: 'rate_limited',
      }),
    ).toBe(1);
    expect(await metricValue(running, 'aop_slack_messages_failed_total', { kind: 'digest' })).toBe(0);
  });

  it('posts to the other channels when one is channel_not_found, logs an error and counts the failure', async () => {
    slack.missingChannels.add('C0GONE');
    const running = await boot(['C0GONE', CHANNEL, 'C0TEAM'], 1);

    await enqueueScheduledTick(running, Date.now());
    await waitForCompleteDigest(slack, 'C0TEAM');

    expect(digestParents(slack, CHANNEL)).toHaveLength(1);
    expect(digestParents(slack, 'C0TEAM')).toHaveLength(1);
    expect(slack.messages.filter((message) => message.channel === 'C0GONE')).toEqual([]);
    // Retrying cannot fix a missing channel: one attempt, one error line, one count.
    expect(slack.callsTo('chat.postMessage').filter((call) => call.args.channel === 'C0GONE')).toHaveLength(
      1,
    );
    const errors = logLines(running, 'digest could not be posted to this channel', 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ channel: 'C0GONE', slackError: 'channel_not_found' });
    expect(await metricValue(running, 'aop_slack_messages_failed_total', { kind: 'digest' })).toBe(1);
  });

  it('keeps posting to the other channels while one keeps failing, and retries only the one left', async () => {
    const running = await boot(['C0FIRST', 'C0SECOND'], 1, 3);
    // The poster gives up after 5 attempts; these 5 all meet a 429 (Retry-After 0), so C0FIRST's
    // first delivery fails while C0SECOND's goes out; the job's retry then posts C0FIRST.
    slack.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 0, times: 5 });

    await enqueueScheduledTick(running, Date.now());
    await waitForCompleteDigest(slack, 'C0FIRST');

    expect(digestParents(slack).map((message) => message.channel)).toEqual(['C0SECOND', 'C0FIRST']);
    expect(await metricValue(running, 'aop_slack_messages_failed_total', { kind: 'digest' })).toBe(0);
  });

  it('gives up loudly after the last retry: an error line and a count for every channel left without its digest', async () => {
    const running = await boot(['C0FIRST', 'C0SECOND'], 1, 2);
    // 2 job attempts × 2 channels × 5 poster attempts.
    slack.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 0, times: 20 });

    await enqueueScheduledTick(running, Date.now());
    const errors = await slack.waitFor(
      () => {
        const lines = logLines(
          running,
          'digest could not be delivered to this channel after every retry',
          50,
        );
        return lines.length >= 2 ? lines : undefined;
      },
      { timeoutMs: 10_000, what: 'two error lines' },
    );

    expect(errors.map((line) => line.channel)).toEqual(['C0FIRST', 'C0SECOND']);
    expect(await metricValue(running, 'aop_slack_messages_failed_total', { kind: 'digest' })).toBe(2);
    expect(slack.callsTo('chat.postMessage')).toHaveLength(20);
    expect(slack.messages).toEqual([]);
  });

  it('resumes a thread after the job is retried mid-thread: every part once, all under the one parent', async () => {
    // 300 ms pacing leaves time to fault the first reply once the parent is in.
    const running = await boot([CHANNEL], 150, 3, 300);
    await enqueueScheduledTick(running, Date.now());
    await slack.waitFor(() => digestParents(slack, CHANNEL).length > 0, { what: 'the parent' });
    // The poster gives up on the first reply (5 attempts), so this job attempt fails mid-thread.
    slack.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 0, times: 5 });

    const { parent, replies } = await waitForCompleteDigest(slack, CHANNEL);

    expect(logLines(running, 'job failed; it will be retried')).toHaveLength(1);
    expect(digestParents(slack, CHANNEL)).toHaveLength(1);
    expect(replies.map((reply) => reply.metadata?.event_payload.part)).toEqual(
      replies.map((_, index) => index + 2),
    );
    expect(replies.every((reply) => reply.threadTs === parent.ts)).toBe(true);
    expect(slack.messages).toHaveLength(1 + replies.length);
  });
});
