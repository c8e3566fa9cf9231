/**
 * Scenario 5 of issue 5: Slack misbehaving. 429 `ratelimited` with Retry-After, 500s, a transient
 * `internal_error`, `channel_not_found`, `message_not_found` on chat.update (an alert parent someone
 * deleted) and an expired response_url. Every message either arrives exactly once or is reported
 * as failed, in an error log line and in the metrics: none is lost in silence.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DAY_MS,
  deletePrefix,
  digestParents,
  enqueueScheduledTick,
  FAST_QUEUE,
  logLines,
  metricValue,
  NEVER,
  repliesOf,
  startTunedTestApp,
  waitForCompleteDigest,
} from '../integration/digest/support.js';
import { SIGNING_SECRET, type TestApp } from '../support/app-harness.js';
import {
  certificateFields,
  type FakeCloudflare,
  generateSelfSignedCertificate,
  startFakeCloudflare,
} from '../support/fake-cloudflare.js';
import { type FakeSlack, sendSlashCommand, startFakeSlack } from '../support/fake-slack.js';
import { evaluateNow, waitForQueuesIdle } from '../support/runs.js';
import { scenarioFigures } from './figures.js';

const figures = scenarioFigures('5-slack-faults');
const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
const HOSTNAME = 'app.example.com';
const EXPIRY = new Date('2027-01-01T00:00:00Z');
const DIGEST_CHANNELS = ['C0DIGEST1', 'C0DIGEST2'];
const GONE = 'C0GONE';
const ALERTS = 'C0ALERTS';

let slack: FakeSlack;
let cloudflare: FakeCloudflare;
let app: TestApp;
let now = new Date(EXPIRY.getTime() - 10 * DAY_MS);

/** Messages that had to reach Slack, and what became of them. */
const ledger = { expected: 0, delivered: 0, reportedFailed: 0 };

const calls = (outcome: string, method = 'chat.postMessage') =>
  metricValue(app, 'aop_slack_calls_total', { method, outcome });
const failed = (kind: string) => metricValue(app, 'aop_slack_messages_failed_total', { kind });

beforeAll(async () => {
  slack = await startFakeSlack();
  cloudflare = await startFakeCloudflare();
  cloudflare.state.addZone({ id: ZONE_ID, name: 'example.com' });
  const generated = generateSelfSignedCertificate({
    hostname: HOSTNAME,
    notAfter: EXPIRY,
    notBefore: new Date(EXPIRY.getTime() - 365 * DAY_MS),
    serialNumber: 4242n,
  });
  const certificate = cloudflare.state.addCertificate(ZONE_ID, certificateFields(generated));
  cloudflare.state.associate(ZONE_ID, { hostname: HOSTNAME, cert_id: certificate.id });
  app = await startTunedTestApp({
    slackApiUrl: slack.apiUrl,
    cloudflareBaseUrl: cloudflare.baseUrl,
    clock: () => now,
    tuning: { queue: FAST_QUEUE, slackChannelIntervalMs: 20 },
    file: {
      timezone: 'Europe/Berlin',
      zones: [{ id: ZONE_ID, name: 'example.com', hostnames: [HOSTNAME] }],
      digest: { schedule: NEVER, channels: [...DIGEST_CHANNELS, GONE] },
      alerts: { channel: ALERTS, schedule: NEVER },
    },
  });
});

afterAll(async () => {
  await app?.stop();
  if (app) await deletePrefix(app.prefix);
  await slack?.close();
  await cloudflare?.close();
});

describe('Slack misbehaving', () => {
  it('delivers the digest once per channel through 429, 500 and internal_error, and reports the missing channel', async () => {
    // The first post meets all four in a row; the poster's fifth attempt goes through.
    slack.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 1 });
    slack.failNext('chat.postMessage', { status: 500, times: 2 });
    slack.failNext('chat.postMessage', { error: 'internal_error' });
    slack.missingChannels.add(GONE);

    await enqueueScheduledTick(app, Date.now());
    for (const channel of DIGEST_CHANNELS) await waitForCompleteDigest(slack, channel, { timeoutMs: 20_000 });
    await waitForQueuesIdle(app);

    const posts = slack.callsTo('chat.postMessage');
    const rateLimitedAt = posts[0]?.at ?? 0;
    const duringPause = posts.filter((call) => call.at > rateLimitedAt && call.at < rateLimitedAt + 900);
    const perChannel = Object.fromEntries(
      [...DIGEST_CHANNELS, GONE].map((channel) => {
        const parents = digestParents(slack, channel);
        return [
          channel,
          parents.length + parents.reduce((sum, parent) => sum + repliesOf(slack, parent).length, 0),
        ];
      }),
    );
    const goneLogged = logLines(app, 'digest could not be posted to this channel', 50).filter(
      (line) => line.channel === GONE,
    );
    figures.record('digest_messages_per_channel', JSON.stringify(perChannel), {
      note: 'one digest (one message) per reachable channel',
    });
    figures.record('slack_calls_during_retry_after_pause', duringPause.length, { note: 'must be 0' });

    expect(perChannel).toEqual({ C0DIGEST1: 1, C0DIGEST2: 1, C0GONE: 0 });
    expect(duringPause).toEqual([]);
    expect(goneLogged).toHaveLength(1);
    expect(await failed('digest')).toBe(1);
    expect(await calls('rate_limited')).toBe(1);
    expect(await calls('error')).toBe(2);
    expect(await calls('internal_error')).toBe(1);
    expect(await calls('channel_not_found')).toBe(1);
    expect(await calls('ok')).toBe(2);
    ledger.expected += 3;
    ledger.delivered += (perChannel.C0DIGEST1 ?? 0) + (perChannel.C0DIGEST2 ?? 0);
    ledger.reportedFailed += goneLogged.length;
  });

  it('posts a fresh alert parent when chat.update finds the old one deleted', async () => {
    await evaluateNow(app);
    const first = slack.messages.find((message) => message.channel === ALERTS && !message.threadTs);
    expect(first).toBeDefined();
    slack.deleteMessage(ALERTS, first?.ts ?? '');
    const notFoundBefore = await calls('message_not_found', 'chat.update');

    now = new Date(EXPIRY.getTime() - 6.5 * DAY_MS);
    await evaluateNow(app);

    const parents = slack.messages.filter((message) => message.channel === ALERTS && !message.threadTs);
    expect(parents).toHaveLength(1);
    expect(parents[0]?.ts).not.toBe(first?.ts);
    expect(parents[0]?.metadata?.event_payload).toMatchObject({ hostname: HOSTNAME, zone_id: ZONE_ID });
    expect(String(parents[0]?.text)).toMatch(/critical/i);
    expect((await calls('message_not_found', 'chat.update')) - notFoundBefore).toBe(1);
    expect(logLines(app, 'alert parent is gone; posting a fresh one', 40)).toHaveLength(1);
    figures.record('alert_parents_after_deletion', parents.length, {
      note: 'a fresh parent, current status',
    });
    // The opening parent and the re-posted one, with the critical status the update carried.
    ledger.expected += 2;
    ledger.delivered += 2;
  });

  it('reports an alert whose channel is gone once, and does not retry what retrying cannot fix', async () => {
    slack.missingChannels.add(ALERTS);
    const failedBefore = await failed('alert');
    const errorsBefore = logLines(app, 'alert post failed', 50).length;
    // The scheduler keeps its next tick delayed; a retry would be one more.
    const delayedBefore = (await app.service.queues.queueDepths()).alerts?.delayed;
    try {
      now = new Date(EXPIRY.getTime() - 2.5 * DAY_MS);
      await evaluateNow(app);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const depths = await app.service.queues.queueDepths();
      const reported = logLines(app, 'alert post failed', 50).length - errorsBefore;
      figures.record('alert_to_missing_channel_reported', reported, { note: 'error log lines; must be 1' });
      expect(reported).toBe(1);
      expect((await failed('alert')) - failedBefore).toBe(1);
      // No retry is queued: the next scheduled evaluation tries again from the last confirmed post.
      expect(depths.alerts).toMatchObject({ delayed: delayedBefore, waiting: 0, active: 0 });
      ledger.expected += 1;
      ledger.reportedFailed += reported;
    } finally {
      slack.missingChannels.delete(ALERTS);
    }
  });

  it('logs and counts a lookup answer that meets an expired response_url, and keeps serving', async () => {
    const responseUrl = slack.responseUrl();
    slack.expireResponseUrl(responseUrl);
    const expiredBefore = await calls('expired', 'response_url');
    const ack = await sendSlashCommand(app.url, SIGNING_SECRET, {
      text: HOSTNAME,
      response_url: responseUrl,
    });
    expect(ack.status).toBe(200);
    await slack.waitFor(() => logLines(app, 'could not answer through the response_url', 50).length > 0, {
      what: 'the error line',
    });
    expect(await calls('expired', 'response_url')).toBe(expiredBefore + 1);
    expect(await failed('lookup')).toBe(1);
    expect(slack.responsesTo(responseUrl)).toEqual([]);

    // A response_url used up (Slack allows 5 posts) is the same: logged, counted, nothing thrown.
    const onceOnly = slack.responseUrl({ maxUses: 0 });
    await sendSlashCommand(app.url, SIGNING_SECRET, { text: 'list', response_url: onceOnly });
    await slack.waitFor(() => logLines(app, 'could not answer through the response_url', 50).length > 1, {
      what: 'the second error line',
    });
    expect(await failed('list')).toBe(1);

    const working = slack.responseUrl();
    await sendSlashCommand(app.url, SIGNING_SECRET, { text: HOSTNAME, response_url: working });
    await slack.waitFor(() => slack.responsesTo(working).length > 0, { what: 'the card' });
    const reported = logLines(app, 'could not answer through the response_url', 50).length;
    figures.record('response_url_failures_reported', reported, {
      note: 'expired and used-up: logged and counted',
    });
    ledger.expected += 3;
    ledger.delivered += 1;
    ledger.reportedFailed += reported;
  });

  it('answers slash commands while the Slack Web API is failing: commands need only the response_url', async () => {
    const authTestsBefore = slack.callsTo('auth.test').length;
    // A healthy command first: how many Web API calls does answering one cost?
    const first = slack.responseUrl();
    await sendSlashCommand(app.url, SIGNING_SECRET, { text: HOSTNAME, response_url: first });
    await slack.waitFor(() => slack.responsesTo(first).length > 0, { what: 'the card' });
    const authTestsPerCommand = slack.callsTo('auth.test').length - authTestsBefore;
    figures.record('web_api_calls_per_slash_command', authTestsPerCommand, {
      note: 'auth.test per inbound request; must be 0 (the token was verified at start)',
    });

    // Then the Web API fails: the lookup answers all the same.
    slack.failNext('auth.test', { status: 500, times: 3 });
    const during = slack.responseUrl();
    const ack = await sendSlashCommand(app.url, SIGNING_SECRET, { text: HOSTNAME, response_url: during });
    const answered = await slack
      .waitFor(() => slack.responsesTo(during).length > 0, { timeoutMs: 5_000, what: 'the card' })
      .then(
        () => true,
        () => false,
      );
    figures.record('slash_command_answered_while_web_api_fails', answered, {
      note: 'must be true',
      details: { ackStatus: ack.status, ackMs: Math.round(ack.elapsedMs) },
    });
    expect(ack.status).toBe(200);
    expect(answered).toBe(true);
    expect(authTestsPerCommand).toBe(0);
  });

  it('lost no message in silence: each was delivered once or reported as failed', () => {
    const lost = ledger.expected - ledger.delivered - ledger.reportedFailed;
    figures.record('messages_expected', ledger.expected);
    figures.record('messages_delivered_once', ledger.delivered);
    figures.record('messages_reported_failed', ledger.reportedFailed, {
      note: 'each with an error log line and a metric',
    });
    figures.record('messages_lost', lost, { note: 'must be 0' });
    expect(ledger.expected).toBe(9);
    expect(lost).toBe(0);
  });
});
