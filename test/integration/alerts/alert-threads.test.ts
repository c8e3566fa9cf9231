import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../../src/slack/ids.js';
import { SIGNING_SECRET, startTestApp, type TestApp } from '../../support/app-harness.js';
import {
  certificateFields,
  type FakeCloudflare,
  generateSelfSignedCertificate,
  startFakeCloudflare,
} from '../../support/fake-cloudflare.js';
import {
  blockActionPayload,
  type FakeSlack,
  sendInteraction,
  startFakeSlack,
} from '../../support/fake-slack.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../support/redis.js';
import { evaluateNow, slackCallsSince, waitForQueuesIdle } from '../../support/runs.js';

const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
const HOSTNAME = 'app.example.com';
const INCIDENT = 'C0INCIDENT';
const MENTION = '<!subteam^S0123>';
const DAY_MS = 86_400_000;
const EXPIRY = new Date('2027-01-01T00:00:00Z');

let slack: FakeSlack;
let cloudflare: FakeCloudflare;
let apps: TestApp[];
let now: Date;
let prefix: string;

function installCertificate(notAfter: Date, serialNumber: bigint, notBefore: Date): void {
  const generated = generateSelfSignedCertificate({ hostname: HOSTNAME, notAfter, notBefore, serialNumber });
  const certificate = cloudflare.state.addCertificate(ZONE_ID, certificateFields(generated));
  cloudflare.state.associate(ZONE_ID, { hostname: HOSTNAME, cert_id: certificate.id });
}

async function start(): Promise<TestApp> {
  const app = await startTestApp({
    slackApiUrl: slack.apiUrl,
    cloudflareBaseUrl: cloudflare.baseUrl,
    clock: () => now,
    prefix,
    file: {
      timezone: 'Europe/Berlin',
      zones: [{ id: ZONE_ID, name: 'example.com', hostnames: [HOSTNAME] }],
      // One thread per hostname, as before grouping: what this file pins down exactly.
      alerts: { channel: INCIDENT, mention_on_critical: MENTION, group_by: 'hostname' },
    },
  });
  apps.push(app);
  return app;
}

/** The Slack calls made since `from`, as "method" or "method(thread)" strings. */
/** Alert button clicks the app has finished handling, from its log. */
function buttonsHandled(app: TestApp): number {
  return app.logs.filter((line) => line.msg === 'alert button handled').length;
}

function callsSince(from: number): string[] {
  return slackCallsSince(slack, from);
}

function lastReplyText(): string {
  const replies = slack.callsTo('chat.postMessage').filter((call) => call.args.thread_ts);
  return String(replies.at(-1)?.args.text ?? '');
}

beforeEach(async () => {
  slack = await startFakeSlack();
  cloudflare = await startFakeCloudflare();
  cloudflare.state.addZone({ id: ZONE_ID, name: 'example.com' });
  installCertificate(EXPIRY, 1001n, new Date(EXPIRY.getTime() - 365 * DAY_MS));
  apps = [];
  prefix = uniquePrefix('alerts');
  now = new Date(EXPIRY.getTime() - 40 * DAY_MS);
});

afterEach(async () => {
  for (const app of apps) await app.stop();
  await slack.close();
  await cloudflare.close();
  const redis = connectTestRedis();
  await deleteKeysWithPrefix(redis, prefix);
  redis.disconnect();
});

describe('alert threads with group_by: hostname', () => {
  it('walks from healthy through the ladder to expired and renewed, with exactly the expected Slack calls', async () => {
    const app = await start();
    const steps: [string, number, string[]][] = [
      ['healthy at 40 days', 40, []],
      ['still healthy on a second evaluation', 39, []],
      ['warning at 29 days opens the thread', 29, ['parent']],
      ['nothing new at 28 days', 28, []],
      ['crossing 14 days', 13, ['reply', 'update']],
      ['crossing 7 days escalates to critical', 6.5, ['reply', 'update']],
      ['crossing 3 days', 2.5, ['reply', 'update']],
      ['crossing 1 day', 0.5, ['reply', 'update']],
      ['expired', -0.1, ['reply', 'update']],
    ];
    for (const [label, daysLeft, expected] of steps) {
      now = new Date(EXPIRY.getTime() - daysLeft * DAY_MS);
      const from = slack.calls.length;
      await evaluateNow(app);
      expect(callsSince(from), label).toEqual(expected);
    }
    const parent = slack.callsTo('chat.postMessage').find((call) => !call.args.thread_ts);
    expect(parent?.args.channel).toBe(INCIDENT);
    expect(parent?.args.metadata).toMatchObject({
      event_type: 'aop_alert',
      event_payload: { hostname: HOSTNAME, zone_id: ZONE_ID },
    });
    const parentTs = slack.messages.find((message) => !message.threadTs)?.ts;
    for (const reply of slack.callsTo('chat.postMessage').filter((call) => call.args.thread_ts)) {
      expect(reply.args.thread_ts).toBe(parentTs);
    }
    const mentions = slack
      .callsTo('chat.postMessage')
      .filter((call) => String(call.args.text).includes(MENTION));
    expect(mentions.length).toBeGreaterThanOrEqual(1);

    // Renewal: a new certificate replaces the old one.
    installCertificate(new Date(EXPIRY.getTime() + 365 * DAY_MS), 2002n, new Date(EXPIRY.getTime() - DAY_MS));
    now = new Date(EXPIRY.getTime() + 0.2 * DAY_MS);
    const from = slack.calls.length;
    await evaluateNow(app);
    expect(callsSince(from).sort()).toEqual(['reply', 'update']);
    expect(lastReplyText()).toMatch(/renew/i);
    const finalParent = slack.messages.find((message) => message.ts === parentTs);
    expect(JSON.stringify(finalParent?.blocks)).toMatch(/resolved/i);

    // Healthy again and quiet.
    const quiet = slack.calls.length;
    await evaluateNow(app);
    expect(callsSince(quiet)).toEqual([]);
  });

  it('records Acknowledge and holds replies while snoozed, through signed button clicks', async () => {
    const app = await start();
    now = new Date(EXPIRY.getTime() - 10 * DAY_MS);
    await evaluateNow(app);
    const parentCall = slack.callsTo('chat.postMessage').find((call) => !call.args.thread_ts);
    const blocks = JSON.stringify(parentCall?.args.blocks);
    const value = /"action_id":"aop_alert_ack"[^}]*"value":"((?:[^"\\]|\\.)*)"/
      .exec(blocks)?.[1]
      ?.replace(/\\"/g, '"');
    expect(value).toBeDefined();
    const parentTs = slack.messages.find((message) => !message.threadTs)?.ts ?? '';

    const from = slack.calls.length;
    const click = await sendInteraction(
      app.url,
      SIGNING_SECRET,
      blockActionPayload({
        actionId: ACTION_IDS.alertAcknowledge,
        value: value ?? '',
        responseUrl: slack.responseUrl(),
        userId: 'U0RESPONDER',
        channelId: INCIDENT,
        messageTs: parentTs,
        isEphemeral: false,
      }),
    );
    expect(click.status).toBe(200);
    await slack.waitFor(() => callsSince(from).length >= 2, { what: 'acknowledge reply and update' });
    expect(callsSince(from).sort()).toEqual(['reply', 'update']);
    expect(lastReplyText()).toContain('U0RESPONDER');

    // A second click changes nothing.
    const again = slack.calls.length;
    const handledBefore = buttonsHandled(app);
    await sendInteraction(
      app.url,
      SIGNING_SECRET,
      blockActionPayload({
        actionId: ACTION_IDS.alertAcknowledge,
        value: value ?? '',
        responseUrl: slack.responseUrl(),
        channelId: INCIDENT,
        isEphemeral: false,
      }),
    );
    // The positive signal: the click was handled (logged after the handler returned).
    await slack.waitFor(() => buttonsHandled(app) > handledBefore, { what: 'the second click handled' });
    expect(callsSince(again)).toEqual([]);

    // Acknowledged: crossing 7 days posts the rung without the mention.
    now = new Date(EXPIRY.getTime() - 6 * DAY_MS);
    const rung = slack.calls.length;
    await evaluateNow(app);
    expect(callsSince(rung)).toEqual(['reply', 'update']);
    expect(lastReplyText()).not.toContain(MENTION);

    // Snooze (24 h): crossing the next rung inside it updates the parent but holds the reply.
    now = new Date(EXPIRY.getTime() - 3.2 * DAY_MS);
    const snoozeFrom = slack.calls.length;
    await sendInteraction(
      app.url,
      SIGNING_SECRET,
      blockActionPayload({
        actionId: ACTION_IDS.alertSnooze,
        value: value ?? '',
        responseUrl: slack.responseUrl(),
        channelId: INCIDENT,
        isEphemeral: false,
      }),
    );
    await slack.waitFor(() => callsSince(snoozeFrom).length >= 2, { what: 'snooze reply and update' });
    now = new Date(EXPIRY.getTime() - 2.9 * DAY_MS);
    const held = slack.calls.length;
    await evaluateNow(app);
    expect(callsSince(held)).toEqual(['update']);

    // Once the snooze is over, one summary reply says what was held.
    now = new Date(EXPIRY.getTime() - 2.1 * DAY_MS);
    const summary = slack.calls.length;
    await evaluateNow(app);
    expect(callsSince(summary)).toContain('reply');
    expect(callsSince(summary).filter((call) => call === 'reply')).toHaveLength(1);
  });

  it('posts one parent when two evaluators run at once', async () => {
    const first = await start();
    const second = await start();
    now = new Date(EXPIRY.getTime() - 10 * DAY_MS);
    await Promise.all([first.service.queues.requestEvaluation(), second.service.queues.requestEvaluation()]);
    await waitForQueuesIdle(first);
    await waitForQueuesIdle(second);
    expect(callsSince(0)).toEqual(['parent']);
  });

  it('posts a fresh parent when someone deleted the old one', async () => {
    const app = await start();
    now = new Date(EXPIRY.getTime() - 10 * DAY_MS);
    await evaluateNow(app);
    const parent = slack.messages.find((message) => !message.threadTs);
    slack.deleteMessage(INCIDENT, parent?.ts ?? '');
    now = new Date(EXPIRY.getTime() - 6 * DAY_MS);
    const from = slack.calls.length;
    await evaluateNow(app);
    const after = callsSince(from);
    expect(after).toContain('parent');
    const parents = slack.messages.filter((message) => !message.threadTs);
    expect(parents).toHaveLength(1);
    expect(parents[0]?.ts).not.toBe(parent?.ts);
  });

  it('survives Slack answering 429 and 500: the post is retried, never lost or doubled', async () => {
    const app = await start();
    slack.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 1 });
    slack.failNext('chat.postMessage', { status: 500 });
    now = new Date(EXPIRY.getTime() - 10 * DAY_MS);
    await evaluateNow(app);
    expect(slack.messages.filter((message) => !message.threadTs)).toHaveLength(1);
    now = new Date(EXPIRY.getTime() - 9 * DAY_MS);
    const from = slack.calls.length;
    await evaluateNow(app);
    expect(callsSince(from)).toEqual([]);
  });
});
