import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deserializeGroupState } from '../../../src/alerts/group.js';
import { redisKeys } from '../../../src/store/keys.js';
import { readAlertFixture, seedStoredAlerts } from '../../support/alert-fixtures.js';
import { startTestApp, type TestApp } from '../../support/app-harness.js';
import { type FakeCloudflare, startFakeCloudflare } from '../../support/fake-cloudflare.js';
import { type FakeSlack, type StoredMessage, startFakeSlack } from '../../support/fake-slack.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../support/redis.js';
import { evaluateNow, slackCallsSince } from '../../support/runs.js';

/**
 * Upgrading to grouped threads loses nothing. The fixture is the Redis alert state (and the channel)
 * written by the release before `alerts.group_by` existed, produced by running that release against
 * the local servers: a, b, c on one certificate warned separately (a acknowledged, b snoozed),
 * e switched off after being on, zone 9a78… not checkable for f and g.
 */

const FIXTURE = readAlertFixture('per-hostname-release');
const ZONE_A = '023e105f4ecef8ad9ca31a8372d0c353';
const ZONE_B = '9a7806061c88ada191ed06f989cc3dac';
const INCIDENT = 'C0INCIDENT';
const DAY_MS = 86_400_000;
const EXPIRY = new Date('2027-01-01T00:00:00Z');
const PARENT = {
  a: '1700000000.000001',
  b: '1700000000.000002',
  c: '1700000000.000003',
  e: '1700000000.000008',
  f: '1700000000.000009',
  g: '1700000000.000010',
};

let slack: FakeSlack;
let cloudflare: FakeCloudflare;
let app: TestApp;
let now: Date;
let prefix: string;

function callsSince(from: number): string[] {
  return slackCallsSince(slack, from, { withTs: true });
}

function message(ts: string): StoredMessage | undefined {
  return slack.messages.find((candidate) => candidate.ts === ts);
}

beforeEach(async () => {
  slack = await startFakeSlack();
  cloudflare = await startFakeCloudflare();
  // Zone A as the fixture left it; zone B still unknown to Cloudflare, so it still cannot be checked.
  cloudflare.state.addZone({ id: ZONE_A, name: 'example.com' });
  const expiring = cloudflare.state.addCertificate(ZONE_A, {
    serial_number: '4097',
    issuer: 'CN=Example Origin CA',
    expires_on: EXPIRY.toISOString(),
  }).id;
  const healthy = cloudflare.state.addCertificate(ZONE_A, {
    serial_number: '8194',
    expires_on: new Date(EXPIRY.getTime() + 200 * DAY_MS).toISOString(),
  }).id;
  for (const hostname of ['a.example.com', 'b.example.com', 'c.example.com'])
    cloudflare.state.associate(ZONE_A, { hostname, cert_id: expiring });
  cloudflare.state.associate(ZONE_A, { hostname: 'd.example.com', cert_id: healthy });
  cloudflare.state.associate(ZONE_A, { hostname: 'e.example.com', cert_id: healthy, enabled: false });

  prefix = uniquePrefix('upgrade');
  await seedStoredAlerts(FIXTURE, { prefix, slack });

  now = new Date(new Date(FIXTURE.now).getTime() + 3_600_000);
  app = await startTestApp({
    slackApiUrl: slack.apiUrl,
    cloudflareBaseUrl: cloudflare.baseUrl,
    clock: () => now,
    prefix,
    file: {
      timezone: 'Europe/Berlin',
      zones: [
        {
          id: ZONE_A,
          name: 'example.com',
          hostnames: ['a.example.com', 'b.example.com', 'c.example.com', 'd.example.com', 'e.example.com'],
        },
        { id: ZONE_B, name: 'example.net', hostnames: ['f.example.net', 'g.example.net'] },
      ],
      // group_by is left out: certificate is the default.
      alerts: { channel: INCIDENT, mention_on_critical: '<!subteam^S0123>' },
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

describe('upgrading from per-hostname threads', () => {
  it('continues every open problem in one grouped thread, adopting an old parent and pointing the others at it once', async () => {
    const parentsBefore = slack.messages.filter((candidate) => !candidate.threadTs).length;
    const from = slack.calls.length;
    await evaluateNow(app);
    const calls = callsSince(from);
    expect(
      calls.filter((call) => call === 'parent'),
      'no second parent',
    ).toEqual([]);
    // Adopted and rewritten: a's (certificate 4097), e's (switched off), f's (zone B blind).
    // Pointed at them: b's and c's (to a's), g's (to f's). The runbook goes into the adopted thread.
    expect([...calls].sort()).toEqual(
      [
        `reply:${PARENT.a}`,
        `update:${PARENT.a}`,
        `update:${PARENT.b}`,
        `update:${PARENT.c}`,
        `update:${PARENT.e}`,
        `update:${PARENT.f}`,
        `update:${PARENT.g}`,
      ].sort(),
    );
    expect(slack.messages.filter((candidate) => !candidate.threadTs)).toHaveLength(parentsBefore);
    for (const ts of Object.values(PARENT)) expect(message(ts)?.updates, `updates of ${ts}`).toBe(1);

    expect(message(PARENT.a)?.metadata?.event_payload).toMatchObject({
      kind: 'certificate',
      certificate_key: '4097',
      hostnames: ['a.example.com', 'b.example.com', 'c.example.com'],
      hostname: 'a.example.com',
      route: null,
      state: 'acknowledged',
    });
    for (const ts of [PARENT.b, PARENT.c]) {
      expect(String(message(ts)?.text)).toContain('continued in the thread for certificate `4097`');
      expect(JSON.stringify(message(ts)?.blocks)).toContain(PARENT.a);
      expect(JSON.stringify(message(ts)?.blocks)).not.toContain('aop_alert_ack');
    }
    expect(message(PARENT.e)?.metadata?.event_payload).toMatchObject({
      kind: 'association',
      hostnames: ['e.example.com'],
    });
    expect(message(PARENT.f)?.metadata?.event_payload).toMatchObject({
      kind: 'cannot_check',
      hostnames: ['f.example.net', 'g.example.net'],
    });
    expect(JSON.stringify(message(PARENT.g)?.blocks)).toContain(PARENT.f);

    // Acknowledgement and snooze carried over; the per-hostname episodes are gone.
    const redis = connectTestRedis();
    const keys = redisKeys(prefix);
    const group = deserializeGroupState(
      (await redis.hget(keys.alertGroups, `certificate|${ZONE_A}|4097||`)) ?? '',
    );
    const states = Object.values(await redis.hgetall(keys.alertStates)).map(
      (json) => JSON.parse(json) as { episode: unknown },
    );
    redis.disconnect();
    expect(group.episode?.acknowledged?.userId).toBe('U0ACKER');
    expect(group.episode?.snoozedUntil?.toISOString()).toBe('2026-12-19T12:00:00.000Z');
    expect(group.episode?.rungsPosted).toEqual([30, 14]);
    expect(states.every((state) => state.episode === null)).toBe(true);

    // Nothing changed: nothing said.
    now = new Date(now.getTime() + 3_600_000);
    const quiet = slack.calls.length;
    await evaluateNow(app);
    expect(callsSince(quiet)).toEqual([]);

    // After the snooze, the next rung is one reply in the adopted thread, without a mention (acknowledged).
    now = new Date(EXPIRY.getTime() - 6 * DAY_MS);
    const rung = slack.calls.length;
    await evaluateNow(app);
    expect(callsSince(rung)).toEqual([`reply:${PARENT.a}`, `update:${PARENT.a}`]);
    const reply = slack.messages.filter((candidate) => candidate.threadTs === PARENT.a).at(-1);
    expect(String(reply?.text)).toContain('Less than 7 days left');
    expect(String(reply?.text)).not.toContain('<!subteam');
  });
});
