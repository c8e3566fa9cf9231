/**
 * Alert threads by route, end to end: the real app on the test Redis against the local Slack and
 * Cloudflare servers. Three routes plus the top level, each episode in its owner's channel with its
 * owner's mention; one certificate split over two routes; and a restart with changed routes, where
 * every open episode moves to its new owner with nothing lost and nothing posted twice.
 */
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deserializeGroupState } from '../../../src/alerts/group.js';
import { QUEUE_NAMES, SCHEDULER_IDS } from '../../../src/queue/names.js';
import { ACTION_IDS } from '../../../src/slack/ids.js';
import { redisKeys } from '../../../src/store/keys.js';
import { SIGNING_SECRET, startTestApp, type TestApp } from '../../support/app-harness.js';
import { type FakeCloudflare, startFakeCloudflare } from '../../support/fake-cloudflare.js';
import {
  blockActionPayload,
  type FakeSlack,
  type StoredMessage,
  sendInteraction,
  startFakeSlack,
} from '../../support/fake-slack.js';
import { connectTestRedis, deleteKeysWithPrefix, testRedisUrl, uniquePrefix } from '../../support/redis.js';
import { evaluateNow, slackCallsSince } from '../../support/runs.js';

const COM = { id: `${'0'.repeat(31)}1`, name: 'example.com' };
const ORG = { id: `${'0'.repeat(31)}2`, name: 'example.org' };
const NET = { id: `${'0'.repeat(31)}3`, name: 'example.net' };

const TOP_CHANNEL = 'C0INCIDENT';
const PAY_CHANNEL = 'C0PAYINC';
const PLATFORM_CHANNEL = 'C0PLATINC';
const SHOP_CHANNEL = 'C0SHOPINC';
const STORE_CHANNEL = 'C0STOREINC';
const TOP_MENTION = '<!subteam^S0TOP>';
const PAY_MENTION = '<!subteam^S0PAY>';
const PLATFORM_MENTION = '<!subteam^S0PLAT>';
const STORE_MENTION = '<!subteam^S0STORE>';

const DAY_MS = 86_400_000;
const NOW = new Date('2026-12-01T08:00:00Z');

const PAYMENTS = {
  name: 'payments',
  match: { zones: ['example.com'], hostnames: ['*.pay.example.com', 'checkout.example.com'] },
  alerts_channel: PAY_CHANNEL,
  mention_on_critical: PAY_MENTION,
  thresholds: { warning_days: 45, critical_days: 14 },
};
const PLATFORM = {
  name: 'platform',
  match: { zones: [COM.id] },
  alerts_channel: PLATFORM_CHANNEL,
  mention_on_critical: PLATFORM_MENTION,
};
/** No mention of its own: the top level's applies. */
const SHOP = { name: 'shop', match: { hostnames: ['*.example.org'] }, alerts_channel: SHOP_CHANNEL };

function file(routes: Record<string, unknown>[]): Record<string, unknown> {
  return {
    timezone: 'Europe/Berlin',
    zones: [
      {
        ...COM,
        hostnames: [
          'a.pay.example.com',
          'checkout.example.com',
          'www.example.com',
          'api.example.com',
          'b.pay.example.com',
          'web2.example.com',
        ],
      },
      { ...ORG, hostnames: ['shop.example.org'] },
      { ...NET, hostnames: ['x.example.net'] },
    ],
    digest: { schedule: '0 0 1 1 *' },
    alerts: { channel: TOP_CHANNEL, mention_on_critical: TOP_MENTION, schedule: '0 0 1 1 *' },
    routes,
  };
}

let slack: FakeSlack;
let cloudflare: FakeCloudflare;
let now: Date;
let prefix: string;
const apps: TestApp[] = [];

async function start(
  routes: Record<string, unknown>[],
  topLevelChannel = true,
  groupBy: 'certificate' | 'hostname' = 'certificate',
): Promise<TestApp> {
  const base = file(routes);
  const config = { ...base, alerts: { ...(base.alerts as Record<string, unknown>), group_by: groupBy } };
  const app = await startTestApp({
    slackApiUrl: slack.apiUrl,
    cloudflareBaseUrl: cloudflare.baseUrl,
    // Slack's one message per second per channel is not what these tests are about.
    tuning: { slackChannelIntervalMs: 20 },
    clock: () => now,
    prefix,
    file: topLevelChannel ? config : { ...config, alerts: { schedule: '0 0 1 1 *', group_by: groupBy } },
  });
  apps.push(app);
  return app;
}

function certificate(zoneId: string, serial: string, daysLeft: number, hostnames: string[]): void {
  const id = cloudflare.state.addCertificate(zoneId, {
    serial_number: serial,
    issuer: 'CN=Example Origin CA',
    expires_on: new Date(NOW.getTime() + daysLeft * DAY_MS).toISOString(),
  }).id;
  for (const hostname of hostnames) cloudflare.state.associate(zoneId, { hostname, cert_id: id });
}

function parentsIn(channel: string): StoredMessage[] {
  return slack.messages.filter((message) => message.channel === channel && !message.threadTs);
}

function onlyParentIn(channel: string): StoredMessage {
  const parents = parentsIn(channel);
  expect(parents, `parents in ${channel}`).toHaveLength(1);
  return parents[0] as StoredMessage;
}

function writesSince(from: number): string[] {
  return slackCallsSince(slack, from, { withChannel: true });
}

function buttonValue(message: StoredMessage, actionId: string): string {
  const blocks = JSON.stringify(message.blocks ?? []);
  const match = new RegExp(`"action_id":"${actionId}"[^}]*"value":"((?:[^"\\\\]|\\\\.)*)"`).exec(blocks);
  return match?.[1]?.replace(/\\"/g, '"') ?? '';
}

beforeEach(async () => {
  slack = await startFakeSlack();
  cloudflare = await startFakeCloudflare();
  for (const zone of [COM, ORG, NET]) cloudflare.state.addZone(zone);
  // One critical certificate over payments' and platform's hostnames: two episodes.
  certificate(COM.id, '1001', 5, [
    'a.pay.example.com',
    'checkout.example.com',
    'www.example.com',
    'api.example.com',
  ]);
  // 40 days left: a warning under payments' warning_days 45 only; platform keeps the top level's 30.
  certificate(COM.id, '1002', 40, ['b.pay.example.com', 'web2.example.com']);
  certificate(ORG.id, '2001', 5, ['shop.example.org']);
  certificate(NET.id, '3001', 5, ['x.example.net']);
  now = NOW;
  prefix = uniquePrefix('routed-alerts');
});

afterEach(async () => {
  for (const app of apps.splice(0)) await app.stop();
  await slack.close();
  await cloudflare.close();
  const redis = connectTestRedis();
  await deleteKeysWithPrefix(redis, prefix);
  redis.disconnect();
});

describe('alert threads by route', () => {
  it("posts each route's episodes in its channel with its mention, splitting a certificate between two routes", async () => {
    const app = await start([PAYMENTS, PLATFORM, SHOP]);
    const from = slack.calls.length;
    await evaluateNow(app);
    // Five episodes, each one parent and its runbook, each in its owner's channel.
    expect(writesSince(from).sort()).toEqual(
      [
        ...[PAY_CHANNEL, PAY_CHANNEL, PLATFORM_CHANNEL, SHOP_CHANNEL, TOP_CHANNEL].map((c) => `parent:${c}`),
        ...[PAY_CHANNEL, PAY_CHANNEL, PLATFORM_CHANNEL, SHOP_CHANNEL, TOP_CHANNEL].map((c) => `reply:${c}`),
      ].sort(),
    );

    const payments = parentsIn(PAY_CHANNEL);
    const split = payments.find((message) => message.metadata?.event_payload.certificate_key === '1001');
    expect(split?.metadata?.event_payload).toMatchObject({
      kind: 'certificate',
      route: 'payments',
      hostnames: ['a.pay.example.com', 'checkout.example.com'],
      severity: 'critical',
    });
    expect(String(split?.text)).toContain(PAY_MENTION);
    // Route thresholds reach the grouped severity: 40 days is a warning under payments' 45.
    const warned = payments.find((message) => message.metadata?.event_payload.certificate_key === '1002');
    expect(warned?.metadata?.event_payload).toMatchObject({
      route: 'payments',
      hostnames: ['b.pay.example.com'],
      severity: 'warning',
    });
    expect(String(warned?.text)).not.toContain('<!subteam');

    const platform = onlyParentIn(PLATFORM_CHANNEL);
    expect(platform.metadata?.event_payload).toMatchObject({
      certificate_key: '1001',
      route: 'platform',
      hostnames: ['api.example.com', 'www.example.com'],
    });
    expect(String(platform.text)).toContain(PLATFORM_MENTION);
    expect(JSON.stringify(platform.blocks)).not.toContain('checkout.example.com');

    const shop = onlyParentIn(SHOP_CHANNEL);
    expect(shop.metadata?.event_payload).toMatchObject({ route: 'shop', hostnames: ['shop.example.org'] });
    expect(String(shop.text), 'a route without a mention uses the top level one').toContain(TOP_MENTION);

    const top = onlyParentIn(TOP_CHANNEL);
    expect(top.metadata?.event_payload).toMatchObject({ route: null, hostnames: ['x.example.net'] });
    expect(String(top.text)).toContain(TOP_MENTION);

    // Nothing changed: nothing said, in any channel.
    now = new Date(NOW.getTime() + 3_600_000);
    const quiet = slack.calls.length;
    await evaluateNow(app);
    expect(writesSince(quiet)).toEqual([]);
  });

  it('moves open episodes to their new owners after a restart with changed routes: one edit of each old parent, no rung told twice', async () => {
    const first = await start([PAYMENTS, PLATFORM, SHOP]);
    await evaluateNow(first);
    const platformParent = onlyParentIn(PLATFORM_CHANNEL);
    const shopParent = onlyParentIn(SHOP_CHANNEL);
    const paymentParents = parentsIn(PAY_CHANNEL);

    // Someone on platform acknowledges before the routes change.
    const acknowledged = slack.calls.length;
    await sendInteraction(
      first.url,
      SIGNING_SECRET,
      blockActionPayload({
        actionId: ACTION_IDS.alertAcknowledge,
        value: buttonValue(platformParent, ACTION_IDS.alertAcknowledge),
        responseUrl: slack.responseUrl(),
        userId: 'U0PLATFORM',
        channelId: PLATFORM_CHANNEL,
        messageTs: platformParent.ts,
        isEphemeral: false,
      }),
    );
    await slack.waitFor(() => writesSince(acknowledged).length >= 2, {
      what: 'acknowledge reply and update',
    });
    await first.stop();
    apps.splice(apps.indexOf(first), 1);

    // platform removed (its hostnames fall to the top level), shop renamed to storefront with its own channel.
    const second = await start([
      PAYMENTS,
      {
        name: 'storefront',
        match: { hostnames: ['*.example.org'] },
        alerts_channel: STORE_CHANNEL,
        mention_on_critical: STORE_MENTION,
      },
    ]);
    now = new Date(NOW.getTime() + 3_600_000);
    const from = slack.calls.length;
    await evaluateNow(second);
    // Per moved episode: the new parent, its runbook, one edit of the old parent. Payments and the top level's own: nothing.
    expect(writesSince(from).sort()).toEqual(
      [
        `parent:${TOP_CHANNEL}`,
        `reply:${TOP_CHANNEL}`,
        `update:${PLATFORM_CHANNEL}`,
        `parent:${STORE_CHANNEL}`,
        `reply:${STORE_CHANNEL}`,
        `update:${SHOP_CHANNEL}`,
      ].sort(),
    );

    const moved = parentsIn(TOP_CHANNEL).find(
      (message) => message.metadata?.event_payload.certificate_key === '1001',
    );
    expect(moved?.metadata?.event_payload).toMatchObject({
      route: null,
      hostnames: ['api.example.com', 'www.example.com'],
      state: 'acknowledged',
    });
    expect(String(moved?.text), 'acknowledged: no mention').not.toContain('<!subteam');
    const store = onlyParentIn(STORE_CHANNEL);
    expect(store.metadata?.event_payload).toMatchObject({
      route: 'storefront',
      hostnames: ['shop.example.org'],
    });
    expect(String(store.text), 'critical and not acknowledged: the new owner is mentioned').toContain(
      STORE_MENTION,
    );

    for (const [old, channel] of [
      [platformParent, TOP_CHANNEL],
      [shopParent, STORE_CHANNEL],
    ] as const) {
      const edited = slack.messages.find((message) => message.ts === old.ts);
      expect(edited?.updates, `edits of ${old.channel}'s parent after the move`).toBe(
        old === platformParent ? 2 : 1,
      );
      expect(String(edited?.text)).toContain(`continues in <#${channel}>`);
      expect(JSON.stringify(edited?.blocks)).not.toContain(ACTION_IDS.alertAcknowledge);
      expect(edited?.metadata?.event_payload.state).toBe('continued');
    }
    for (const parent of paymentParents) {
      expect(slack.messages.find((message) => message.ts === parent.ts)?.updates).toBe(0);
    }

    const redis = connectTestRedis();
    const keys = redisKeys(prefix);
    const group = deserializeGroupState(
      (await redis.hget(keys.alertGroups, `certificate|${COM.id}|1001||`)) ?? '',
    );
    const old = deserializeGroupState(
      (await redis.hget(keys.alertGroups, `certificate|${COM.id}|1001||platform`)) ?? '',
    );
    redis.disconnect();
    expect(group.episode?.acknowledged?.userId).toBe('U0PLATFORM');
    expect(group.episode?.parent?.channel).toBe(TOP_CHANNEL);
    expect(old.episode).toBeNull();

    // Nothing changed since: nothing said.
    now = new Date(NOW.getTime() + 2 * 3_600_000);
    const quiet = slack.calls.length;
    await evaluateNow(second);
    expect(writesSince(quiet)).toEqual([]);

    // The next rung is told once, in the new threads only.
    now = new Date(NOW.getTime() + 4.5 * DAY_MS);
    const rung = slack.calls.length;
    await evaluateNow(second);
    const writes = writesSince(rung);
    expect(
      writes.filter((write) => write.endsWith(PLATFORM_CHANNEL) || write.endsWith(SHOP_CHANNEL)),
    ).toEqual([]);
    expect(writes.filter((write) => write === `reply:${TOP_CHANNEL}`)).toHaveLength(2);
    expect(writes.filter((write) => write === `reply:${STORE_CHANNEL}`)).toHaveLength(1);
  });

  it('runs the alert schedule for a route with a channel when the top level has none, and opens threads only for it', async () => {
    const app = await start([PAYMENTS], false);
    const url = new URL(testRedisUrl());
    const queue = new Queue(QUEUE_NAMES.alerts, {
      connection: { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null },
      prefix: redisKeys(prefix).queuePrefix,
    });
    try {
      expect((await queue.getJobSchedulers()).map((scheduler) => scheduler.key)).toContain(
        SCHEDULER_IDS.alerts,
      );
    } finally {
      await queue.close();
    }
    const from = slack.calls.length;
    await evaluateNow(app);
    expect(writesSince(from).sort()).toEqual(
      [
        `parent:${PAY_CHANNEL}`,
        `parent:${PAY_CHANNEL}`,
        `reply:${PAY_CHANNEL}`,
        `reply:${PAY_CHANNEL}`,
      ].sort(),
    );
  });

  it("puts a per-hostname thread (group_by: hostname) in its owner's channel with its mention and route", async () => {
    const app = await start([PAYMENTS, PLATFORM, SHOP], true, 'hostname');
    const from = slack.calls.length;
    await evaluateNow(app);
    const channelsOf = (hostnames: string[]) =>
      hostnames.map((hostname) => {
        const parent = slack.messages.find(
          (message) => !message.threadTs && message.metadata?.event_payload.hostname === hostname,
        );
        return [
          hostname,
          parent?.channel,
          parent?.metadata?.event_payload.route,
          /<!subteam\^\w+>/.exec(String(parent?.text))?.[0],
        ];
      });
    expect(channelsOf(['a.pay.example.com', 'www.example.com', 'shop.example.org', 'x.example.net'])).toEqual(
      [
        ['a.pay.example.com', PAY_CHANNEL, 'payments', PAY_MENTION],
        ['www.example.com', PLATFORM_CHANNEL, 'platform', PLATFORM_MENTION],
        ['shop.example.org', SHOP_CHANNEL, 'shop', TOP_MENTION],
        ['x.example.net', TOP_CHANNEL, null, TOP_MENTION],
      ],
    );
    // One parent per hostname with a problem: 4 on 1001, b.pay (warning for payments), shop, x.
    expect(writesSince(from).filter((write) => write.startsWith('parent:'))).toHaveLength(7);
  });
});
