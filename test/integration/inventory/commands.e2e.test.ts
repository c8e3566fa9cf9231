/**
 * The inventory commands through signed slash commands on the real app: `watch`, `unwatch`,
 * `subscribe`, `unsubscribe`, `list` and `digest`, their persistence in Redis across a restart,
 * and `access.admins`.
 */
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  gaugeRowsOf,
  parseZoneGaugeRows,
  parseZoneSummary,
  summarizeZoneCheck,
} from '../../../src/inventory/zone-summary.js';
import { deserializeZoneCheck } from '../../../src/queue/serialization.js';
import { redisKeys } from '../../../src/store/keys.js';
import { startTestApp, type TestApp } from '../../support/app-harness.js';
import { type FakeCloudflare, startFakeCloudflare } from '../../support/fake-cloudflare.js';
import { type FakeSlack, startFakeSlack } from '../../support/fake-slack.js';
import { connectTestRedis, uniquePrefix } from '../../support/redis.js';
import { waitForQueuesIdle } from '../../support/runs.js';
import {
  associateOnOneCertificate,
  deletePrefix,
  digestParents,
  enqueueScheduledTick,
  expiresInDays,
  messageText,
  NEVER,
  NOW,
  slash,
  waitForCompleteDigest,
  zoneId,
} from '../digest/support.js';

const ZONE = { id: zoneId(1), name: 'example.com' };
const OTHER_ZONE = { id: zoneId(2), name: 'other.org' };
const DIGEST_CHANNEL = 'C0DIGEST';
const TEAM_CHANNEL = 'C0TEAM';
const ADMIN = 'U0ADMIN';

let slack: FakeSlack;
let cloudflare: FakeCloudflare;
let redis: Redis;
const apps: TestApp[] = [];
const prefixes = new Set<string>();

beforeAll(() => {
  redis = connectTestRedis();
});

afterAll(() => {
  redis.disconnect();
});

beforeEach(async () => {
  slack = await startFakeSlack();
  cloudflare = await startFakeCloudflare();
  cloudflare.state.addZone(ZONE);
  associateOnOneCertificate(cloudflare, ZONE.id, ['app.example.com'], { expires_on: expiresInDays(3) });
  associateOnOneCertificate(cloudflare, ZONE.id, ['api.example.com'], { expires_on: expiresInDays(20) });
  associateOnOneCertificate(
    cloudflare,
    ZONE.id,
    ['old.example.com'],
    { expires_on: expiresInDays(300) },
    { enabled: false },
  );
  associateOnOneCertificate(cloudflare, ZONE.id, ['ok.example.com'], { expires_on: expiresInDays(300) });
  cloudflare.state.addZone(OTHER_ZONE);
  associateOnOneCertificate(cloudflare, OTHER_ZONE.id, ['shop.other.org'], { expires_on: expiresInDays(10) });
});

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.stop()));
  for (const prefix of prefixes) await deletePrefix(prefix);
  prefixes.clear();
  await slack.close();
  await cloudflare.close();
});

async function boot(options: { prefix?: string; admins?: string[] } = {}): Promise<TestApp> {
  const app = await startTestApp({
    slackApiUrl: slack.apiUrl,
    cloudflareBaseUrl: cloudflare.baseUrl,
    clock: () => NOW,
    prefix: options.prefix ?? uniquePrefix('inventory'),
    file: {
      timezone: 'Europe/Berlin',
      zones: [{ ...ZONE, hostnames: ['app.example.com'] }],
      digest: { schedule: NEVER, channels: [DIGEST_CHANNEL] },
      access: { admins: options.admins ?? [] },
    },
  });
  apps.push(app);
  prefixes.add(app.prefix);
  return app;
}

/** The hostnames a `list` answer shows, in the order shown. */
function listedHostnames(responses: Array<{ blocks?: unknown[] }>): string[] {
  return responses.flatMap((response) =>
    messageText({ blocks: response.blocks } as Parameters<typeof messageText>[0])
      .split('\n')
      .flatMap((line) => /^:[a-z_]+: \*([a-z0-9.-]+)\* · /.exec(line)?.[1] ?? []),
  );
}

async function watched(app: TestApp): Promise<Record<string, { zoneId: string; addedBy: string }>> {
  const raw = await redis.hgetall(redisKeys(app.prefix).watchedHostnames);
  return Object.fromEntries(Object.entries(raw).map(([hostname, json]) => [hostname, JSON.parse(json)]));
}

async function subscribed(app: TestApp): Promise<string[]> {
  return (await redis.smembers(redisKeys(app.prefix).subscribedChannels)).sort();
}

describe('watch, unwatch and list', () => {
  it('adds and removes hostnames, and lists every watched hostname worst first', async () => {
    const app = await boot();

    const api = await slash(app, slack, 'watch api.example.com');
    expect(api.responses[0]?.text).toBe(
      ':eyes: Now watching `api.example.com` in example.com. It appears in the next digest and alert evaluation.',
    );
    await slash(app, slack, 'watch ok.example.com');
    await slash(app, slack, 'watch old.example.com');
    const elsewhere = await slash(app, slack, 'watch shop.other.org');
    expect(elsewhere.responses[0]?.text).toContain('Now watching `shop.other.org` in other.org');
    const again = await slash(app, slack, 'watch api.example.com');
    expect(again.responses[0]?.text).toBe('`api.example.com` was already on the watch list.');
    const configured = await slash(app, slack, 'watch app.example.com');
    expect(configured.responses[0]?.text).toContain(
      'is already watched: the config file lists it in example.com',
    );

    expect(await watched(app)).toEqual({
      'api.example.com': expect.objectContaining({ zoneId: ZONE.id, addedBy: 'U0ONCALL' }),
      'ok.example.com': expect.objectContaining({ zoneId: ZONE.id }),
      'old.example.com': expect.objectContaining({ zoneId: ZONE.id }),
      'shop.other.org': expect.objectContaining({ zoneId: OTHER_ZONE.id }),
    });

    const list = await slash(app, slack, 'list');
    expect(listedHostnames(list.responses)).toEqual([
      'app.example.com', // critical, 3 days
      'shop.other.org', // warning, 10 days
      'api.example.com', // warning, 20 days
      'old.example.com', // disabled
      'ok.example.com', // healthy
    ]);

    const removed = await slash(app, slack, 'unwatch api.example.com');
    expect(removed.responses[0]?.text).toBe('Stopped watching `api.example.com`.');
    const notThere = await slash(app, slack, 'unwatch api.example.com');
    expect(notThere.responses[0]?.text).toBe('`api.example.com` is not on the watch list.');
    expect(Object.keys(await watched(app)).sort()).toEqual([
      'ok.example.com',
      'old.example.com',
      'shop.other.org',
    ]);
    expect(listedHostnames((await slash(app, slack, 'list')).responses)).not.toContain('api.example.com');
  });

  it('lists a hostname watched after the last run stored its zone', async () => {
    const app = await boot();
    // A digest run stores the zone's result; `list` reads it from then on.
    await slash(app, slack, 'digest', { channelId: DIGEST_CHANNEL });
    await waitForCompleteDigest(slack, DIGEST_CHANNEL);
    expect(listedHostnames((await slash(app, slack, 'list')).responses)).toEqual(['app.example.com']);
    // Beside the snapshot, its summary: what /metrics, App Home and `zones` read.
    const keys = redisKeys(app.prefix);
    const snapshot = await redis.hget(keys.zoneSnapshots, ZONE.id);
    const stored = deserializeZoneCheck(snapshot ?? '');
    const summary = await redis.hget(keys.zoneSummaries, ZONE.id);
    expect(parseZoneSummary(summary ?? '')).toEqual(summarizeZoneCheck(stored));
    expect(parseZoneGaugeRows((await redis.hget(keys.zoneGaugeRows, ZONE.id)) ?? '')).toEqual(
      gaugeRowsOf(stored),
    );

    await slash(app, slack, 'watch api.example.com');

    expect(listedHostnames((await slash(app, slack, 'list')).responses)).toEqual([
      'app.example.com',
      'api.example.com',
    ]);
  });
});

describe('state stored by the previous release', () => {
  it('lists and exports a zone snapshot written before zone-level certificates were checked', async () => {
    const app = await boot();
    // The fixture is a snapshot as the previous release stored it: no `zoneLevel`.
    const old = readFileSync(
      new URL('../../fixtures/state/zone-snapshot-before-zone-level.json', import.meta.url),
      'utf8',
    ).replaceAll('023e105f4ecef8ad9ca31a8372d0c353', ZONE.id);
    expect(JSON.parse(old)).not.toHaveProperty('zoneLevel');
    await redis.hset(redisKeys(app.prefix).zoneSnapshots, ZONE.id, old);

    expect(listedHostnames((await slash(app, slack, 'list')).responses)).toEqual(['app.example.com']);
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toContain(
      `aop_hostname_severity{zone="example.com",hostname="app.example.com",level="hostname",certificate_id="2458ce5a-0c35-4c7f-82c7-8e9487d3ff60",route="",account="default"} 4`,
    );
    expect(metrics).not.toMatch(/^aop_[a-z_]+\{[^}]*level="zone"/m);
    // The scrape stored the summary the previous release did not write; the next one reads it alone.
    expect(await redis.hexists(redisKeys(app.prefix).zoneGaugeRows, ZONE.id)).toBe(1);
    const again = await (await fetch(`${app.url}/metrics`)).text();
    const perCertificate = (text: string) =>
      text.split('\n').filter((line) => /^aop_(certificate_expiry|hostname_severity)/.test(line));
    expect(perCertificate(again)).toEqual(perCertificate(metrics));
    expect(perCertificate(again)).toHaveLength(2);
    // Each gauge once, after the registry's metrics, and the answer ends as the text format wants.
    expect(again.match(/^# TYPE aop_hostname_severity gauge$/gm)).toHaveLength(1);
    expect(again.match(/^# TYPE aop_certificate_expiry_timestamp_seconds gauge$/gm)).toHaveLength(1);
    expect(again).toMatch(
      /\n\n# HELP aop_hostname_severity [^\n]+\n# TYPE aop_hostname_severity gauge\naop_hostname_severity\{[^\n]+\n$/,
    );
  });
});

describe('subscribe and unsubscribe', () => {
  it('sends the scheduled digest to subscribed channels too, until they unsubscribe', async () => {
    const app = await boot();

    const subscribe = await slash(app, slack, 'subscribe', { channelId: TEAM_CHANNEL });
    expect(subscribe.responses[0]?.text).toBe(
      ':white_check_mark: This channel now gets the scheduled digest.',
    );
    expect(await subscribed(app)).toEqual([TEAM_CHANNEL]);
    const twice = await slash(app, slack, 'subscribe', { channelId: TEAM_CHANNEL });
    expect(twice.responses[0]?.text).toBe('This channel already gets the scheduled digest.');

    await enqueueScheduledTick(app, Date.now());
    await waitForCompleteDigest(slack, TEAM_CHANNEL);
    await waitForCompleteDigest(slack, DIGEST_CHANNEL);
    expect(
      digestParents(slack)
        .map((message) => message.channel)
        .sort(),
    ).toEqual([DIGEST_CHANNEL, TEAM_CHANNEL]);

    const unsubscribe = await slash(app, slack, 'unsubscribe', { channelId: TEAM_CHANNEL });
    expect(unsubscribe.responses[0]?.text).toBe('This channel no longer gets the scheduled digest.');
    expect(await subscribed(app)).toEqual([]);
    const configured = await slash(app, slack, 'unsubscribe', { channelId: DIGEST_CHANNEL });
    expect(configured.responses[0]?.text).toContain('is listed in `digest.channels` in the config file');

    await enqueueScheduledTick(app, Date.now() + 1);
    await waitForCompleteDigest(slack, DIGEST_CHANNEL, { index: 1 });
    expect(digestParents(slack, TEAM_CHANNEL)).toHaveLength(1);
  });
});

describe('persistence', () => {
  it('keeps the watch list and the subscriptions across a restart', async () => {
    const first = await boot();
    await slash(first, slack, 'watch api.example.com');
    await slash(first, slack, 'subscribe', { channelId: TEAM_CHANNEL });
    await first.stop();
    apps.splice(apps.indexOf(first), 1);

    const second = await boot({ prefix: first.prefix });

    expect(listedHostnames((await slash(second, slack, 'list')).responses)).toEqual([
      'app.example.com',
      'api.example.com',
    ]);
    await enqueueScheduledTick(second, Date.now());
    const { parent } = await waitForCompleteDigest(slack, TEAM_CHANNEL);
    expect(messageText(parent)).toContain('*api.example.com*');
  });
});

describe('access.admins', () => {
  it('refuses watch, unwatch, subscribe and unsubscribe from everyone else, and changes nothing', async () => {
    const app = await boot({ admins: [ADMIN] });
    await slash(app, slack, 'watch ok.example.com', { userId: ADMIN });
    await slash(app, slack, 'subscribe', { channelId: TEAM_CHANNEL, userId: ADMIN });
    const before = { watched: await watched(app), subscribed: await subscribed(app) };

    const refusals = {
      watch: await slash(app, slack, 'watch api.example.com', { userId: 'U0SOMEONE' }),
      unwatch: await slash(app, slack, 'unwatch ok.example.com', { userId: 'U0SOMEONE' }),
      subscribe: await slash(app, slack, 'subscribe', { channelId: 'C0ELSEWHERE', userId: 'U0SOMEONE' }),
      unsubscribe: await slash(app, slack, 'unsubscribe', { channelId: TEAM_CHANNEL, userId: 'U0SOMEONE' }),
    };

    const refusedWith = Object.fromEntries(
      Object.entries(refusals).map(([command, answer]) => [
        command,
        {
          status: answer.ack.status,
          text: (JSON.parse(answer.ack.body) as { text: string }).text,
          later: answer.responses,
        },
      ]),
    );
    const refusal = (action: string) => ({
      status: 200,
      text: `Only aop-status admins may ${action}. Ask one of them, or an operator to add you to \`access.admins\`.`,
      later: [],
    });
    expect(refusedWith).toEqual({
      watch: refusal('watch hostnames'),
      unwatch: refusal('unwatch hostnames'),
      subscribe: refusal('subscribe channels to the digest'),
      unsubscribe: refusal('unsubscribe channels from the digest'),
    });
    expect({ watched: await watched(app), subscribed: await subscribed(app) }).toEqual(before);
    expect(Object.keys(before.watched)).toEqual(['ok.example.com']);
    expect(before.subscribed).toEqual([TEAM_CHANNEL]);
    // Reading is for everyone.
    expect(listedHostnames((await slash(app, slack, 'list', { userId: 'U0SOMEONE' })).responses)).toEqual([
      'app.example.com',
      'ok.example.com',
    ]);
  });
});

describe('digest', () => {
  it('posts the digest into the channel that asked, and only there', async () => {
    const app = await boot();

    const answer = await slash(app, slack, 'digest', { channelId: 'C0ASKING', userId: 'U0SOMEONE' });
    expect(answer.responses[0]?.text).toBe(
      ':hourglass_flowing_sand: Checking every watched hostname; the digest will be posted in this channel shortly.',
    );
    const { parent } = await waitForCompleteDigest(slack, 'C0ASKING');

    expect(parent.metadata?.event_payload).toMatchObject({ trigger: 'on_demand', critical: 1 });
    expect(messageText(parent)).toContain('(on request)');
    expect(messageText(parent)).toContain('*app.example.com*');
    // The positive signal that the run is over: no digest job is queued or running any more.
    await waitForQueuesIdle(app);
    expect(slack.messages.map((message) => message.channel)).toEqual(['C0ASKING']);
    const repeat = await slash(app, slack, 'digest', { channelId: 'C0ASKING' });
    expect(repeat.responses[0]?.text).toBe(
      'A digest for this channel was requested less than a minute ago; it will be posted shortly.',
    );
  });
});
