import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../../src/slack/ids.js';
import { SIGNING_SECRET, startTestApp, type TestApp } from '../../support/app-harness.js';
import { type FakeCloudflare, startFakeCloudflare } from '../../support/fake-cloudflare.js';
import {
  blockActionPayload,
  type FakeSlack,
  type StoredMessage,
  sendInteraction,
  startFakeSlack,
} from '../../support/fake-slack.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../support/redis.js';
import { evaluateNow, slackCallsSince } from '../../support/runs.js';

/**
 * Grouped alert threads (`alerts.group_by: certificate`, the default) end to end: the real app on
 * the test Redis against the local Slack and Cloudflare servers, time moved by the test clock.
 */

const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
const INCIDENT = 'C0INCIDENT';
const MENTION = '<!subteam^S0123>';
const DAY_MS = 86_400_000;
const EXPIRY = new Date('2027-01-01T00:00:00Z');
const OLD_SERIAL = '4097';
const NEW_SERIAL = '8193';
const HOSTNAMES = Array.from(
  { length: 100 },
  (_, index) => `app-${String(index).padStart(3, '0')}.example.com`,
);

let slack: FakeSlack;
let cloudflare: FakeCloudflare;
let app: TestApp;
let now: Date;
let prefix: string;

function addCertificate(serial: string, expiresOn: Date): string {
  return cloudflare.state.addCertificate(ZONE_ID, {
    serial_number: serial,
    issuer: 'CN=Example Origin CA',
    expires_on: expiresOn.toISOString(),
  }).id;
}

function moveTo(certificateId: string, hostnames: readonly string[]): void {
  for (const hostname of hostnames) cloudflare.state.associate(ZONE_ID, { hostname, cert_id: certificateId });
}

/** The Slack calls made since `from`: 'parent', 'reply' or 'update'. */
function callsSince(from: number): string[] {
  return slackCallsSince(slack, from);
}

function lastReply(): string {
  return String(
    slack
      .callsTo('chat.postMessage')
      .filter((call) => call.args.thread_ts)
      .at(-1)?.args.text ?? '',
  );
}

function parents(): StoredMessage[] {
  return slack.messages.filter((message) => message.channel === INCIDENT && !message.threadTs);
}

function buttonValue(message: StoredMessage | undefined, actionId: string): string {
  const blocks = JSON.stringify(message?.blocks ?? []);
  const match = new RegExp(`"action_id":"${actionId}"[^}]*"value":"((?:[^"\\\\]|\\\\.)*)"`).exec(blocks);
  return match?.[1]?.replace(/\\"/g, '"') ?? '';
}

beforeEach(async () => {
  slack = await startFakeSlack();
  cloudflare = await startFakeCloudflare();
  cloudflare.state.addZone({ id: ZONE_ID, name: 'example.com' });
  moveTo(addCertificate(OLD_SERIAL, EXPIRY), HOSTNAMES);
  prefix = uniquePrefix('grouped');
  now = new Date(EXPIRY.getTime() - 200 * DAY_MS);
  app = await startTestApp({
    slackApiUrl: slack.apiUrl,
    cloudflareBaseUrl: cloudflare.baseUrl,
    clock: () => now,
    prefix,
    file: {
      timezone: 'Europe/Berlin',
      // No hostnames listed: every association of the zone is watched.
      zones: [{ id: ZONE_ID, name: 'example.com' }],
      alerts: { channel: INCIDENT, mention_on_critical: MENTION },
    },
  });
});

afterEach(async () => {
  await app.stop();
  await slack.close();
  await cloudflare.close();
  const redis = connectTestRedis();
  await deleteKeysWithPrefix(redis, prefix);
  redis.disconnect();
});

describe('alert threads grouped by certificate', () => {
  it('walks 100 hostnames on one certificate from 200 days to renewed with one parent and exactly the expected calls', async () => {
    const steps: [string, number, string[]][] = [
      ['healthy at 200 days', 200, []],
      ['warning at 25 days: one parent, then the runbook', 25, ['parent', 'reply']],
      ['nothing new at 24 days', 24, []],
      ['crossing 14 days: one reply for all 100 hostnames', 10, ['reply', 'update']],
      ['crossing 7 and 3 days at once: one reply naming the lowest', 2, ['reply', 'update']],
    ];
    for (const [label, daysLeft, expected] of steps) {
      now = new Date(EXPIRY.getTime() - daysLeft * DAY_MS);
      const from = slack.calls.length;
      await evaluateNow(app);
      expect(callsSince(from), label).toEqual(expected);
    }
    expect(parents()).toHaveLength(1);
    const parent = parents()[0];
    const payload = parent?.metadata?.event_payload ?? {};
    expect(parent?.metadata?.event_type).toBe('aop_alert');
    expect(payload).toMatchObject({
      kind: 'certificate',
      zone_id: ZONE_ID,
      certificate_key: OLD_SERIAL,
      route: null,
      hostname: HOSTNAMES[0],
    });
    expect(payload.hostnames).toEqual(HOSTNAMES);
    expect(payload.episode_id).toMatch(/^ep_/);
    const shown = JSON.stringify(parent?.blocks);
    expect(shown).toContain('app-009.example.com');
    expect(shown).not.toContain('app-010.example.com');
    expect(shown).toContain('and 90 more');
    expect(shown).toContain('100 hostnames');
    expect(shown).toContain('Example Origin CA');

    const replies = slack.messages.filter((message) => message.threadTs === parent?.ts);
    const runbookSections = (replies[0]?.blocks ?? []).map((block) =>
      String((block as { text?: { text?: string } }).text?.text ?? ''),
    );
    const runbook = runbookSections.join('\n');
    expect(runbook).toContain(`PUT /zones/${ZONE_ID}/origin_tls_client_auth/hostnames`);
    expect(runbook).toContain(`POST /zones/${ZONE_ID}/origin_tls_client_auth/hostnames/certificates`);
    for (const hostname of HOSTNAMES)
      expect(runbook).toContain(`{"hostname":"${hostname}","cert_id":"NEW_CERTIFICATE_ID","enabled":true}`);
    expect(String(replies.at(-1)?.text)).toContain('Less than 3 days left');
    expect(String(replies.at(-1)?.text).startsWith(MENTION)).toBe(true);

    // Half of the hostnames move to the replacement: one batched reply and the parent shows progress.
    const newCertificate = addCertificate(NEW_SERIAL, new Date(EXPIRY.getTime() + 365 * DAY_MS));
    moveTo(newCertificate, HOSTNAMES.slice(0, 50));
    now = new Date(EXPIRY.getTime() - 1.5 * DAY_MS);
    let from = slack.calls.length;
    await evaluateNow(app);
    expect(callsSince(from), 'half moved').toEqual(['reply', 'update']);
    expect(lastReply()).toContain('50 of 100 hostnames moved');
    expect(lastReply()).toContain('Still on the old certificate (50)');
    const afterHalf = slack.messages.find((message) => message.ts === parent?.ts);
    expect(JSON.stringify(afterHalf?.blocks)).toContain('50 of 100 hostnames moved');
    expect(afterHalf?.metadata?.event_payload.hostnames).toEqual(HOSTNAMES.slice(50));

    now = new Date(now.getTime() + 3_600_000);
    from = slack.calls.length;
    await evaluateNow(app);
    expect(callsSince(from), 'nothing changed: no Slack call').toEqual([]);

    // The rest move: the resolution reply and the parent shows it.
    moveTo(newCertificate, HOSTNAMES.slice(50));
    now = new Date(now.getTime() + 3_600_000);
    from = slack.calls.length;
    await evaluateNow(app);
    expect(callsSince(from), 'all moved').toEqual(['reply', 'update']);
    expect(lastReply()).toMatch(/Renewed/);
    expect(lastReply()).toContain(NEW_SERIAL);
    expect(JSON.stringify(slack.messages.find((message) => message.ts === parent?.ts)?.blocks)).toMatch(
      /Resolved/,
    );
    // The resolved parent still names every hostname it was about.
    expect(
      slack.messages.find((message) => message.ts === parent?.ts)?.metadata?.event_payload,
    ).toMatchObject({
      hostnames: HOSTNAMES,
      hostname: HOSTNAMES[0],
      state: 'resolved',
    });
    now = new Date(now.getTime() + 3_600_000);
    from = slack.calls.length;
    await evaluateNow(app);
    expect(callsSince(from), 'healthy again').toEqual([]);
    expect(parents()).toHaveLength(1);
  });

  it('lists every hostname privately from the Hostnames button, and acknowledges once for all of them', async () => {
    now = new Date(EXPIRY.getTime() - 10 * DAY_MS);
    await evaluateNow(app);
    const parent = parents()[0];
    const responseUrl = slack.responseUrl();
    const click = await sendInteraction(
      app.url,
      SIGNING_SECRET,
      blockActionPayload({
        actionId: ACTION_IDS.alertHostnames,
        value: buttonValue(parent, ACTION_IDS.alertHostnames),
        responseUrl,
        userId: 'U0RESPONDER',
        channelId: INCIDENT,
        messageTs: parent?.ts ?? '',
        isEphemeral: false,
      }),
    );
    expect(click.status).toBe(200);
    const answers = await slack.waitFor(
      () => {
        const found = slack.responsesTo(responseUrl);
        return found.length > 0 ? found : undefined;
      },
      { what: 'hostnames answer' },
    );
    const listed = JSON.stringify(answers.map((answer) => answer.body));
    for (const hostname of HOSTNAMES) expect(listed).toContain(hostname);
    expect(answers.every((answer) => answer.body.response_type === 'ephemeral')).toBe(true);

    const from = slack.calls.length;
    await sendInteraction(
      app.url,
      SIGNING_SECRET,
      blockActionPayload({
        actionId: ACTION_IDS.alertAcknowledge,
        value: buttonValue(parent, ACTION_IDS.alertAcknowledge),
        responseUrl: slack.responseUrl(),
        userId: 'U0RESPONDER',
        channelId: INCIDENT,
        messageTs: parent?.ts ?? '',
        isEphemeral: false,
      }),
    );
    await slack.waitFor(() => callsSince(from).length >= 2, { what: 'acknowledge reply and update' });
    expect(callsSince(from).sort()).toEqual(['reply', 'update']);

    // Acknowledged: crossing 7 days replies once, without the mention.
    now = new Date(EXPIRY.getTime() - 6 * DAY_MS);
    const rung = slack.calls.length;
    await evaluateNow(app);
    expect(callsSince(rung)).toEqual(['reply', 'update']);
    expect(lastReply()).not.toContain(MENTION);
  });

  it('opens one episode per zone that cannot be checked, not one per hostname, and resolves it once', async () => {
    now = new Date(EXPIRY.getTime() - 200 * DAY_MS);
    await evaluateNow(app);
    // The token loses the permission to list the zone's associations: the zone cannot be checked.
    cloudflare.state.forbiddenRoutes.add('hostnameAssociations');
    const calls: string[][] = [];
    for (let run = 0; run < 4; run += 1) {
      // Each evaluation is its own slot: on-demand runs are named after the clock.
      now = new Date(now.getTime() + 3_600_000);
      const from = slack.calls.length;
      await evaluateNow(app);
      calls.push(callsSince(from));
    }
    expect(calls).toEqual([[], [], ['parent'], []]);
    const blind = parents()[0];
    expect(blind?.metadata?.event_payload).toMatchObject({ kind: 'cannot_check', certificate_key: null });
    expect(blind?.metadata?.event_payload.hostnames).toEqual(HOSTNAMES);
    cloudflare.state.forbiddenRoutes.delete('hostnameAssociations');
    now = new Date(now.getTime() + 3_600_000);
    const from = slack.calls.length;
    await evaluateNow(app);
    expect(callsSince(from)).toEqual(['reply', 'update']);
    expect(lastReply()).toMatch(/Checks work again/);
  });
});
