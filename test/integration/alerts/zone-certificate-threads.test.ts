import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../support/app-harness.js';
import { type FakeCloudflare, startFakeCloudflare } from '../../support/fake-cloudflare.js';
import { type FakeSlack, type StoredMessage, startFakeSlack } from '../../support/fake-slack.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../support/redis.js';
import { evaluateNow, slackCallsSince } from '../../support/runs.js';

/**
 * Zone-level certificate threads end to end: the real app on the test Redis against the local
 * Slack and Cloudflare servers, one zone certificate in use walked down the ladder to its renewal.
 */

const ZONE_ID = '9a7806061c88ada191ed06f989cc3dac';
const INCIDENT = 'C0INCIDENT';
const MENTION = '<!subteam^S0123>';
const DAY_MS = 86_400_000;
const EXPIRY = new Date('2027-03-01T00:00:00Z');

let slack: FakeSlack;
let cloudflare: FakeCloudflare;
let app: TestApp;
let now: Date;
let prefix: string;
let oldCertificateId: string;

function parents(): StoredMessage[] {
  return slack.messages.filter((message) => message.channel === INCIDENT && !message.threadTs);
}

function lastReply(): string {
  return String(
    slack
      .callsTo('chat.postMessage')
      .filter((call) => call.args.thread_ts)
      .at(-1)?.args.text ?? '',
  );
}

beforeEach(async () => {
  slack = await startFakeSlack();
  cloudflare = await startFakeCloudflare();
  cloudflare.state.addZone({ id: ZONE_ID, name: 'example.net', aopEnabled: true });
  oldCertificateId = cloudflare.state.addZoneCertificate(ZONE_ID, {
    issuer: 'CN=Example Zone CA',
    expires_on: EXPIRY.toISOString(),
    uploaded_on: '2026-03-01T00:00:00Z',
  }).id;
  // An older one left behind: not in use, so never an alert of its own.
  cloudflare.state.addZoneCertificate(ZONE_ID, {
    issuer: 'CN=Example Zone CA',
    expires_on: new Date(EXPIRY.getTime() - 5 * DAY_MS).toISOString(),
    uploaded_on: '2025-03-01T00:00:00Z',
  });
  prefix = uniquePrefix('zone-cert');
  now = new Date(EXPIRY.getTime() - 200 * DAY_MS);
  app = await startTestApp({
    slackApiUrl: slack.apiUrl,
    cloudflareBaseUrl: cloudflare.baseUrl,
    clock: () => now,
    prefix,
    file: {
      timezone: 'Europe/Berlin',
      // Watched without an association of its own: the zone certificate is what its origin sees.
      zones: [{ id: ZONE_ID, name: 'example.net', hostnames: ['www.example.net'] }],
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

describe('zone certificate alert threads', () => {
  it('walks the zone certificate in use down the ladder to its renewal with exactly the expected Slack calls', async () => {
    const steps: [string, number, string[]][] = [
      ['healthy at 200 days', 200, []],
      ['warning at 20 days: one parent, then the runbook', 20, ['parent', 'reply']],
      ['nothing new at 19 days', 19, []],
      ['crossing 14 days', 10, ['reply', 'update']],
      ['crossing 7 and 3 days at once: one reply', 2, ['reply', 'update']],
      ['nothing changed an hour later', 2 - 1 / 24, []],
    ];
    for (const [label, daysLeft, expected] of steps) {
      now = new Date(EXPIRY.getTime() - daysLeft * DAY_MS);
      const from = slack.calls.length;
      await evaluateNow(app);
      expect(slackCallsSince(slack, from), label).toEqual(expected);
    }
    expect(parents()).toHaveLength(1);
    const parent = parents()[0];
    expect(parent?.metadata?.event_type).toBe('aop_alert');
    expect(parent?.metadata?.event_payload).toMatchObject({
      kind: 'zone_certificate',
      zone_id: ZONE_ID,
      certificate_key: oldCertificateId,
      hostnames: [],
      route: null,
    });
    const shown = JSON.stringify(parent?.blocks);
    expect(shown).toContain('every hostname of the zone without its own association');
    expect(shown).toContain('Example Zone CA');
    for (const actionId of ['Acknowledge', 'Snooze', 'Refresh', 'Hostnames'])
      expect(shown).toContain(actionId);

    const replies = slack.messages.filter((message) => message.threadTs === parent?.ts);
    const runbook = JSON.stringify(replies[0]?.blocks ?? replies[0]?.text);
    expect(runbook).toContain(`POST /zones/${ZONE_ID}/origin_tls_client_auth`);
    expect(runbook).not.toContain('/hostnames');
    expect(runbook).toContain(`DELETE /zones/${ZONE_ID}/origin_tls_client_auth/${oldCertificateId}`);
    expect(lastReply()).toContain('Less than 3 days left');
    expect(lastReply().startsWith(MENTION)).toBe(true);

    // The replacement is uploaded: the newest active one is in use, the thread resolves once.
    const renewed = cloudflare.state.addZoneCertificate(ZONE_ID, {
      issuer: 'CN=Example Zone CA',
      expires_on: new Date(EXPIRY.getTime() + 365 * DAY_MS).toISOString(),
      uploaded_on: new Date(now.getTime() - 60_000).toISOString(),
    });
    now = new Date(now.getTime() + 3_600_000);
    let from = slack.calls.length;
    await evaluateNow(app);
    expect(slackCallsSince(slack, from), 'renewed').toEqual(['reply', 'update']);
    expect(lastReply()).toMatch(/Renewed/);
    expect(lastReply()).toContain(renewed.id);
    expect(JSON.stringify(slack.messages.find((message) => message.ts === parent?.ts)?.blocks)).toMatch(
      /Resolved/,
    );

    // The old one stays uploaded (not in use): nothing more is said.
    now = new Date(now.getTime() + 3_600_000);
    from = slack.calls.length;
    await evaluateNow(app);
    expect(slackCallsSince(slack, from), 'after the renewal').toEqual([]);
    expect(parents()).toHaveLength(1);
  });
});
