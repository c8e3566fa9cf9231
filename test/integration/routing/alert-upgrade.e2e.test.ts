import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deserializeGroupState } from '../../../src/alerts/group.js';
import { ACTION_IDS } from '../../../src/slack/ids.js';
import { redisKeys } from '../../../src/store/keys.js';
import { startTestApp, type TestApp } from '../../support/app-harness.js';
import { type FakeCloudflare, startFakeCloudflare } from '../../support/fake-cloudflare.js';
import { type FakeSlack, type StoredMessage, startFakeSlack } from '../../support/fake-slack.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../support/redis.js';
import { evaluateNow, slackCallsSince } from '../../support/runs.js';

/**
 * Adopting routes loses nothing. The fixture is the Redis alert state (and the channel) written by
 * the release before alert threads followed routes, produced by running it against the local
 * servers: every grouped episode in C0INCIDENT with `route: null` — certificate 1001 on
 * a.pay/checkout/www/api.example.com (acknowledged by U0ONCALL), 2001 on shop.example.org, 3001 on
 * x.example.net and example.com's zone certificate in use, all 5 days from expiry.
 */

interface Fixture {
  now: string;
  zoneCertificateId: string;
  groups: Record<string, string>;
  episodes: Record<string, string>;
  states: Record<string, string>;
  messages: {
    channel: string;
    ts: string;
    threadTs: string | null;
    text: string;
    metadata: StoredMessage['metadata'] | null;
  }[];
}

const FIXTURE = JSON.parse(
  readFileSync(new URL('../../fixtures/alerts/grouped-before-routing.json', import.meta.url), 'utf8'),
) as Fixture;
const COM = { id: `${'0'.repeat(31)}1`, name: 'example.com' };
const ORG = { id: `${'0'.repeat(31)}2`, name: 'example.org' };
const NET = { id: `${'0'.repeat(31)}3`, name: 'example.net' };
const TOP_CHANNEL = 'C0INCIDENT';
const DAY_MS = 86_400_000;
const NOW = new Date(FIXTURE.now);

let slack: FakeSlack;
let cloudflare: FakeCloudflare;
let app: TestApp;
let prefix: string;

function oldParent(kind: string, certificateKey: string): StoredMessage {
  const parent = slack.messages.find(
    (message) =>
      message.channel === TOP_CHANNEL &&
      !message.threadTs &&
      message.metadata?.event_payload.kind === kind &&
      message.metadata.event_payload.certificate_key === certificateKey,
  );
  if (!parent) throw new Error(`no ${kind} parent for ${certificateKey} in the fixture`);
  return parent;
}

/** The certificate id the fixture's episode for `serial` recorded. */
function certificateIdOf(serial: string): string {
  for (const json of Object.values(FIXTURE.groups)) {
    const group = deserializeGroupState(json);
    if (group.key.certificateKey === serial && group.episode?.group?.certificate?.id)
      return group.episode.group.certificate.id;
  }
  throw new Error(`no certificate ${serial} in the fixture`);
}

function writesSince(from: number): string[] {
  return slackCallsSince(slack, from, { withChannel: true });
}

function parentsIn(channel: string): StoredMessage[] {
  return slack.messages.filter((message) => message.channel === channel && !message.threadTs);
}

beforeEach(async () => {
  slack = await startFakeSlack();
  for (const seeded of FIXTURE.messages) {
    slack.seedMessage({
      channel: seeded.channel,
      ts: seeded.ts,
      threadTs: seeded.threadTs ?? undefined,
      text: seeded.text,
      metadata: seeded.metadata ?? undefined,
    });
  }
  cloudflare = await startFakeCloudflare();
  for (const zone of [COM, ORG, NET]) cloudflare.state.addZone({ ...zone, aopEnabled: true });
  const certificate = (zoneId: string, serial: string, hostnames: string[]) => {
    const id = cloudflare.state.addCertificate(zoneId, {
      // The ids Cloudflare gave them then: the stored parents show them.
      id: certificateIdOf(serial),
      serial_number: serial,
      issuer: 'CN=Example Origin CA',
      expires_on: new Date(NOW.getTime() + 5 * DAY_MS).toISOString(),
    }).id;
    for (const hostname of hostnames) cloudflare.state.associate(zoneId, { hostname, cert_id: id });
  };
  certificate(COM.id, '1001', [
    'a.pay.example.com',
    'checkout.example.com',
    'www.example.com',
    'api.example.com',
  ]);
  certificate(ORG.id, '2001', ['shop.example.org']);
  certificate(NET.id, '3001', ['x.example.net']);
  cloudflare.state.addZoneCertificate(COM.id, {
    id: FIXTURE.zoneCertificateId,
    issuer: 'CN=Example Zone CA',
    expires_on: new Date(NOW.getTime() + 5 * DAY_MS).toISOString(),
    uploaded_on: '2026-03-01T00:00:00Z',
  });

  prefix = uniquePrefix('routes-upgrade');
  const keys = redisKeys(prefix);
  const redis = connectTestRedis();
  for (const [field, json] of Object.entries(FIXTURE.groups)) await redis.hset(keys.alertGroups, field, json);
  for (const [field, json] of Object.entries(FIXTURE.states)) await redis.hset(keys.alertStates, field, json);
  for (const [id, owner] of Object.entries(FIXTURE.episodes)) await redis.hset(keys.alertEpisodes, id, owner);
  redis.disconnect();

  app = await startTestApp({
    slackApiUrl: slack.apiUrl,
    cloudflareBaseUrl: cloudflare.baseUrl,
    // Slack's one message per second per channel is not what these tests are about.
    tuning: { slackChannelIntervalMs: 20 },
    clock: () => new Date(NOW.getTime() + 3_600_000),
    prefix,
    file: {
      timezone: 'Europe/Berlin',
      zones: [
        {
          ...COM,
          hostnames: ['a.pay.example.com', 'checkout.example.com', 'www.example.com', 'api.example.com'],
        },
        { ...ORG, hostnames: ['shop.example.org'] },
        { ...NET, hostnames: ['x.example.net'] },
      ],
      digest: { schedule: '0 0 1 1 *' },
      alerts: { channel: TOP_CHANNEL, mention_on_critical: '<!subteam^S0TOP>', schedule: '0 0 1 1 *' },
      routes: [
        {
          name: 'payments',
          match: { zones: ['example.com'], hostnames: ['*.pay.example.com', 'checkout.example.com'] },
          alerts_channel: 'C0PAYINC',
          mention_on_critical: '<!subteam^S0PAY>',
        },
        {
          name: 'platform',
          match: { zones: [COM.id] },
          alerts_channel: 'C0PLATINC',
          mention_on_critical: '<!subteam^S0PLAT>',
        },
        { name: 'shop', match: { hostnames: ['*.example.org'] }, alerts_channel: 'C0SHOPINC' },
      ],
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

describe('adopting routes with alert threads open', () => {
  it("moves each open thread of the previous release to its owner's channel, pointing each old parent there once", async () => {
    const shared = oldParent('certificate', '1001');
    const shop = oldParent('certificate', '2001');
    const zone = oldParent('zone_certificate', FIXTURE.zoneCertificateId);
    const untouched = oldParent('certificate', '3001');
    const updatesBefore = new Map(
      [shared, shop, zone, untouched].map((parent) => [parent.ts, parent.updates]),
    );
    const from = slack.calls.length;
    await evaluateNow(app);
    expect(writesSince(from).sort()).toEqual(
      [
        // 1001 splits two and two; payments (first by name) continues it, platform opens its own.
        'parent:C0PAYINC',
        'reply:C0PAYINC',
        'parent:C0PLATINC',
        'reply:C0PLATINC',
        `update:${TOP_CHANNEL}`,
        // example.com's zone certificate: platform takes the whole zone.
        'parent:C0PLATINC',
        'reply:C0PLATINC',
        `update:${TOP_CHANNEL}`,
        // 2001: shop.
        'parent:C0SHOPINC',
        'reply:C0SHOPINC',
        `update:${TOP_CHANNEL}`,
      ].sort(),
    );

    const payments = parentsIn('C0PAYINC')[0];
    expect(payments?.metadata?.event_payload).toMatchObject({
      route: 'payments',
      certificate_key: '1001',
      hostnames: ['a.pay.example.com', 'checkout.example.com'],
      state: 'acknowledged',
    });
    expect(String(payments?.text), 'acknowledged before the move: no mention').not.toContain('<!subteam');
    const platform = parentsIn('C0PLATINC');
    const platformShare = platform.find((message) => message.metadata?.event_payload.kind === 'certificate');
    expect(platformShare?.metadata?.event_payload).toMatchObject({
      route: 'platform',
      hostnames: ['api.example.com', 'www.example.com'],
      state: 'open',
    });
    expect(String(platformShare?.text)).toContain('<!subteam^S0PLAT>');
    const zoneThread = platform.find(
      (message) => message.metadata?.event_payload.kind === 'zone_certificate',
    );
    expect(zoneThread?.metadata?.event_payload).toMatchObject({ route: 'platform', hostnames: [] });
    expect(String(zoneThread?.text), 'critical, not acknowledged: the new owner hears of it').toContain(
      '<!subteam^S0PLAT>',
    );
    expect(parentsIn('C0SHOPINC')[0]?.metadata?.event_payload).toMatchObject({
      route: 'shop',
      hostnames: ['shop.example.org'],
    });

    const edited = (parent: StoredMessage) => slack.messages.find((message) => message.ts === parent.ts);
    const editsOf = (parent: StoredMessage) =>
      (edited(parent)?.updates ?? 0) - (updatesBefore.get(parent.ts) ?? 0);
    expect([shared, shop, zone].map(editsOf), 'one edit of each moved parent').toEqual([1, 1, 1]);
    expect(editsOf(untouched)).toBe(0);
    const pointer = JSON.stringify(edited(shared)?.blocks);
    expect(String(edited(shared)?.text)).toContain('continues in <#C0PAYINC> (route payments)');
    expect(pointer).toContain('in its own thread in <#C0PLATINC>');
    expect(pointer).not.toContain(ACTION_IDS.alertAcknowledge);
    expect(String(edited(zone)?.text)).toContain('continues in <#C0PLATINC> (route platform)');
    expect(String(edited(shop)?.text)).toContain('continues in <#C0SHOPINC> (route shop)');

    const redis = connectTestRedis();
    const keys = redisKeys(prefix);
    const moved = deserializeGroupState(
      (await redis.hget(keys.alertGroups, `certificate|${COM.id}|1001||payments`)) ?? '',
    );
    const old = deserializeGroupState(
      (await redis.hget(keys.alertGroups, `certificate|${COM.id}|1001||`)) ?? '',
    );
    redis.disconnect();
    expect(moved.episode?.acknowledged?.userId).toBe('U0ONCALL');
    expect(moved.episode?.rungsPosted).toEqual([30, 14, 7]);
    expect(old.episode).toBeNull();

    // Settled: the next evaluation says nothing anywhere.
    const quiet = slack.calls.length;
    await evaluateNow(app);
    expect(writesSince(quiet)).toEqual([]);
  });
});
