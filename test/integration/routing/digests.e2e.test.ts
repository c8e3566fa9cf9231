/**
 * Per-route digests through the real BullMQ schedulers on the test Redis, with the local Slack and
 * Cloudflare servers: three routes plus the top level, each route's digest with its own hostnames,
 * channels, schedule and time zone, `subscribe <route>`, and the zone checks shared by every digest
 * of one slot.
 */
import { TZDate } from '@date-fns/tz';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  JOB_NAMES,
  routeDigestSchedulerId,
  SCHEDULER_IDS,
  safeJobId,
  type TickPayload,
} from '../../../src/queue/names.js';
import { redisKeys } from '../../../src/store/keys.js';
import { startTestApp, type TestApp } from '../../support/app-harness.js';
import { type FakeCloudflare, startFakeCloudflare } from '../../support/fake-cloudflare.js';
import { type FakeSlack, startFakeSlack } from '../../support/fake-slack.js';
import { connectTestRedis } from '../../support/redis.js';
import {
  associateOnOneCertificate,
  deletePrefix,
  digestParents,
  expiresInDays,
  messageText,
  NEVER,
  NOW,
  slash,
  waitForCompleteDigest,
  withDigestQueue,
  zoneId,
} from '../digest/support.js';

const COM = { id: zoneId(1), name: 'example.com' };
const ORG = { id: zoneId(2), name: 'example.org' };
const NET = { id: zoneId(3), name: 'example.net' };

const WHOLE_CHANNEL = 'C0SRE';
const PAY_CHANNEL = 'C0PAYOPS';
const PLATFORM_CHANNEL = 'C0PLATFORM';
const SHOP_CHANNEL = 'C0SHOPOPS';

/** Three routes plus the top level; every route takes a part of the inventory. */
const ROUTED_FILE = {
  timezone: 'Europe/Berlin',
  zones: [COM, ORG, NET],
  digest: { schedule: NEVER, channels: [WHOLE_CHANNEL] },
  routes: [
    {
      name: 'payments',
      match: { zones: ['example.com'], hostnames: ['*.pay.example.com', 'checkout.example.com'] },
      digest: { channels: [PAY_CHANNEL], schedule: '0 9 * * 1-5', timezone: 'America/New_York' },
      thresholds: { warning_days: 45, critical_days: 14 },
    },
    {
      name: 'platform',
      match: { zones: [COM.id] },
      digest: { channels: [PLATFORM_CHANNEL], schedule: '0 9 * * 1-5' },
    },
    { name: 'shop', match: { hostnames: ['*.example.org'] }, digest: { schedule: NEVER } },
  ],
};

let slack: FakeSlack;
let cloudflare: FakeCloudflare;
const apps: TestApp[] = [];

beforeEach(async () => {
  slack = await startFakeSlack();
  cloudflare = await startFakeCloudflare();
});

afterEach(async () => {
  for (const app of apps.splice(0)) {
    await app.stop();
    await deletePrefix(app.prefix);
  }
  await slack.close();
  await cloudflare.close();
});

/** Every hostname expires in 10 days: critical for payments (14), warning elsewhere (30/7). */
function seed(): void {
  for (const zone of [COM, ORG, NET]) cloudflare.state.addZone(zone);
  const expiring = { expires_on: expiresInDays(10) };
  associateOnOneCertificate(cloudflare, COM.id, ['a.pay.example.com', 'checkout.example.com'], expiring);
  associateOnOneCertificate(cloudflare, COM.id, ['www.example.com', 'pay.example.com'], expiring);
  associateOnOneCertificate(cloudflare, ORG.id, ['shop.example.org'], expiring);
  associateOnOneCertificate(cloudflare, NET.id, ['blog.example.net'], expiring);
}

async function boot(file: Record<string, unknown> = ROUTED_FILE, prefix?: string): Promise<TestApp> {
  const app = await startTestApp({
    slackApiUrl: slack.apiUrl,
    cloudflareBaseUrl: cloudflare.baseUrl,
    clock: () => NOW,
    file,
    ...(prefix ? { prefix } : {}),
  });
  apps.push(app);
  return app;
}

/** Queues the scheduled ticks of one slot as the job schedulers would: `null` is the whole inventory. */
async function tickSlot(app: TestApp, slotTimeMs: number, routes: (string | null)[]): Promise<void> {
  await withDigestQueue(app, async (queue) => {
    for (const route of routes) {
      const data: TickPayload = { trigger: 'schedule', slotTimeMs, ...(route ? { route } : {}) };
      await queue.add(JOB_NAMES.digestTick, data, {
        jobId: safeJobId('test-tick', route ?? 'all', slotTimeMs),
      });
    }
  });
}

function hostnamesIn(text: string): string[] {
  return [...new Set(text.match(/[a-z0-9.-]+\.example\.(?:com|org|net)/g) ?? [])].sort();
}

const zoneListRequests = () =>
  cloudflare.requests.filter((request) =>
    /^\/zones\/[^/]+\/origin_tls_client_auth\/hostnames/.test(request.path),
  );

describe('digests per route', () => {
  it("posts each route's digest with its hostnames only, the top level's with everything, and reads each zone once for the slot", async () => {
    seed();
    const app = await boot();
    const slot = Date.UTC(2026, 10, 23, 8, 0, 0);

    await tickSlot(app, slot, [null, 'payments', 'platform']);
    const [whole, pay, platform] = await Promise.all([
      waitForCompleteDigest(slack, WHOLE_CHANNEL),
      waitForCompleteDigest(slack, PAY_CHANNEL),
      waitForCompleteDigest(slack, PLATFORM_CHANNEL),
    ]);

    const payText = [pay.parent, ...pay.replies].map(messageText).join('\n');
    expect(hostnamesIn(payText)).toEqual(['a.pay.example.com', 'checkout.example.com']);
    expect(pay.parent.metadata).toMatchObject({
      event_type: 'aop_digest',
      event_payload: { route: 'payments', critical: 2, warning: 0 },
    });
    // The route's thresholds (critical within 14 days) decide its hostnames' severity everywhere.
    expect(payText).toContain(':red_circle:');
    // Its own time zone: 08:00 UTC on 23 November is 03:00 in New York.
    expect(JSON.stringify(pay.parent.blocks)).toContain('AOP digest (payments)');

    const platformText = [platform.parent, ...platform.replies].map(messageText).join('\n');
    expect(hostnamesIn(platformText)).toEqual(['pay.example.com', 'www.example.com']);
    expect(platform.parent.metadata?.event_payload).toMatchObject({
      route: 'platform',
      warning: 2,
      critical: 0,
    });

    const wholeText = [whole.parent, ...whole.replies].map(messageText).join('\n');
    expect(hostnamesIn(wholeText)).toEqual([
      'a.pay.example.com',
      'blog.example.net',
      'checkout.example.com',
      'pay.example.com',
      'shop.example.org',
      'www.example.com',
    ]);
    expect(whole.parent.metadata?.event_payload).toMatchObject({ route: null, critical: 2, warning: 4 });
    // The route with no channel posted nothing; nothing else reached a route channel.
    expect(digestParents(slack)).toHaveLength(3);

    // Three digests in one slot, one reading of each zone: each hostname list endpoint once per
    // zone, and the routes read only zones they can own hostnames in.
    const perZone = new Map<string, number>();
    for (const request of zoneListRequests()) {
      const zone = /^\/zones\/([^/]+)\//.exec(request.path)?.[1] ?? '';
      perZone.set(zone, (perZone.get(zone) ?? 0) + 1);
    }
    expect(Object.fromEntries(perZone)).toEqual({ [COM.id]: 2, [ORG.id]: 2, [NET.id]: 2 });
  });

  it('reads for a glob-only route only the zones its globs reach, and shows zone-level lines of those zones only', async () => {
    seed();
    // Zone certificates in use expiring in 3 days, in a zone shop reaches and in one it does not.
    for (const zone of [COM, ORG])
      cloudflare.state.addZoneCertificate(zone.id, { issuer: 'CN=Zone CA', expires_on: expiresInDays(3) });
    const routes = ROUTED_FILE.routes.map((route) =>
      route.name === 'shop' ? { ...route, digest: { channels: [SHOP_CHANNEL], schedule: NEVER } } : route,
    );
    const app = await boot({ ...ROUTED_FILE, routes });
    await tickSlot(app, Date.UTC(2026, 10, 23, 8, 0, 0), ['shop']);
    const shop = await waitForCompleteDigest(slack, SHOP_CHANNEL);
    const text = [shop.parent, ...shop.replies].map(messageText).join('\n');
    expect(hostnamesIn(text)).toEqual(['shop.example.org']);
    expect(text).toContain('zone certificate of example.org');
    expect(text).not.toContain('example.com');
    expect(text).not.toContain('example.net');
    const zonesRead = new Set(
      zoneListRequests().map((request) => /^\/zones\/([^/]+)\//.exec(request.path)?.[1]),
    );
    expect([...zonesRead]).toEqual([ORG.id]);
  });

  it('gives every route its own job scheduler on its schedule and time zone, and removes it when the route goes', async () => {
    seed();
    const before = Date.now();
    const app = await boot();

    const schedulers = await withDigestQueue(app, async (queue) => ({
      whole: await queue.getJobScheduler(SCHEDULER_IDS.digest),
      payments: await queue.getJobScheduler(routeDigestSchedulerId('payments')),
      platform: await queue.getJobScheduler(routeDigestSchedulerId('platform')),
      shop: await queue.getJobScheduler(routeDigestSchedulerId('shop')),
    }));
    expect(schedulers.whole).toMatchObject({ pattern: NEVER, tz: 'Europe/Berlin' });
    expect(schedulers.payments).toMatchObject({ pattern: '0 9 * * 1-5', tz: 'America/New_York' });
    expect(schedulers.platform).toMatchObject({ pattern: '0 9 * * 1-5', tz: 'Europe/Berlin' });
    expect(schedulers.shop).toMatchObject({ pattern: NEVER });
    const nextNewYork = new TZDate(schedulers.payments?.next ?? 0, 'America/New_York');
    const nextBerlin = new TZDate(schedulers.platform?.next ?? 0, 'Europe/Berlin');
    expect([nextNewYork.getHours(), nextNewYork.getMinutes()]).toEqual([9, 0]);
    expect([nextBerlin.getHours(), nextBerlin.getMinutes()]).toEqual([9, 0]);
    expect(schedulers.payments?.next).toBeGreaterThan(before);
    expect(app.service.queues.nextDigestAt('payments', new Date(before))?.getTime()).toBe(
      schedulers.payments?.next,
    );
    expect(schedulers.payments?.template?.data).toEqual({ trigger: 'schedule', route: 'payments' });

    // Restart with `shop` gone and `platform` on another schedule.
    await app.stop();
    apps.splice(apps.indexOf(app), 1);
    const changed = {
      ...ROUTED_FILE,
      routes: [ROUTED_FILE.routes[0], { ...ROUTED_FILE.routes[1], digest: { schedule: '30 8 * * *' } }],
    };
    const restarted = await boot(changed, app.prefix);
    const after = await withDigestQueue(restarted, async (queue) => ({
      platform: await queue.getJobScheduler(routeDigestSchedulerId('platform')),
      shop: await queue.getJobScheduler(routeDigestSchedulerId('shop')),
      ids: (await queue.getJobSchedulers()).map((scheduler) => scheduler.key).sort(),
    }));
    expect(after.platform).toMatchObject({ pattern: '30 8 * * *', tz: 'Europe/Berlin' });
    expect(after.shop).toBeUndefined();
    expect(after.ids).toEqual([
      SCHEDULER_IDS.digest,
      routeDigestSchedulerId('payments'),
      routeDigestSchedulerId('platform'),
    ]);
  });

  it("fires a route's seconds-cron for real and posts to its channel only", async () => {
    seed();
    const file = {
      ...ROUTED_FILE,
      routes: [
        { ...ROUTED_FILE.routes[0], digest: { channels: [PAY_CHANNEL], schedule: '*/2 * * * * *' } },
        ROUTED_FILE.routes[1],
      ],
    };
    await boot(file);

    const { parent } = await waitForCompleteDigest(slack, PAY_CHANNEL, { timeoutMs: 15_000 });

    expect(parent.metadata?.event_payload).toMatchObject({ route: 'payments', trigger: 'schedule' });
    expect(digestParents(slack, WHOLE_CHANNEL)).toEqual([]);
    expect(digestParents(slack, PLATFORM_CHANNEL)).toEqual([]);
  });
});

describe('subscribe <route>', () => {
  it("sends a subscribed channel that route's digest only, until it unsubscribes", async () => {
    seed();
    const app = await boot();
    const channel = 'C0SHOPTEAM';

    const subscribed = await slash(app, slack, 'subscribe shop', { channelId: channel });
    expect(subscribed.responses[0]?.text).toBe(
      ':white_check_mark: This channel now gets the digest of route `shop` (its hostnames only, on its schedule).',
    );
    const unknown = await slash(app, slack, 'subscribe shops', { channelId: channel });
    expect(unknown.responses[0]?.text).toBe(
      'There is no route named `shops`. Routes: `payments`, `platform`, `shop`.',
    );

    const slot = Date.UTC(2026, 10, 23, 8, 0, 0);
    await tickSlot(app, slot, [null, 'shop']);
    const { parent } = await waitForCompleteDigest(slack, channel);
    await waitForCompleteDigest(slack, WHOLE_CHANNEL);
    expect(hostnamesIn(messageText(parent))).toEqual(['shop.example.org']);
    expect(parent.metadata?.event_payload).toMatchObject({ route: 'shop' });
    // Subscribed to the route only: the whole-inventory digest did not come here.
    expect(digestParents(slack, channel)).toHaveLength(1);

    const unsubscribed = await slash(app, slack, 'unsubscribe shop', { channelId: channel });
    expect(unsubscribed.responses[0]?.text).toBe('This channel no longer gets the digest of route `shop`.');
    const requestsBefore = cloudflare.requests.length;
    await tickSlot(app, slot + 60_000, ['shop']);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(digestParents(slack, channel)).toHaveLength(1);
    // No channel wants the route's digest any more: not one Cloudflare request for it.
    expect(cloudflare.requests.length).toBe(requestsBefore);
  });

  it('keeps delivering the whole digest to channels subscribed before routes existed (stored in the old shape)', async () => {
    seed();
    const prefix = `t-routes-old-${Date.now().toString(36)}`;
    const redis = connectTestRedis();
    try {
      // What `subscribe` wrote before routes: one set of channel ids.
      await redis.sadd(redisKeys(prefix).subscribedChannels, 'C0OLDSUB');
    } finally {
      redis.disconnect();
    }
    const app = await boot(ROUTED_FILE, prefix);

    await tickSlot(app, Date.UTC(2026, 10, 23, 8, 0, 0), [null]);
    const { parent } = await waitForCompleteDigest(slack, 'C0OLDSUB');

    expect(parent.metadata?.event_payload).toMatchObject({ route: null });
    expect(hostnamesIn(messageText(parent))).toContain('blog.example.net');
    const list = await slash(app, slack, 'unsubscribe', { channelId: 'C0OLDSUB' });
    expect(list.responses[0]?.text).toBe('This channel no longer gets the scheduled digest.');
  });
});

describe('Cloudflare requests per slot', () => {
  /** `count` routes over the same two zones, all due in one slot, each with a channel. */
  function fileWithRoutes(count: number) {
    return {
      timezone: 'UTC',
      zones: [COM, ORG],
      digest: { schedule: NEVER },
      routes: Array.from({ length: count }, (_, index) => ({
        name: `team-${index}`,
        match: { hostnames: [`*.team-${index}.example.com`, `*.team-${index}.example.org`] },
        digest: { channels: [`C0TEAM${index}`], schedule: NEVER },
      })),
    };
  }

  async function oneSlot(routes: number): Promise<{ requests: number; texts: string[] }> {
    cloudflare.requests.length = 0;
    const app = await boot(fileWithRoutes(routes));
    const names = Array.from({ length: routes }, (_, index) => `team-${index}`);
    await tickSlot(app, Date.UTC(2026, 10, 23, 9, 0, 0), names);
    const digests = await Promise.all(
      names.map((_, index) => waitForCompleteDigest(slack, `C0TEAM${index}`)),
    );
    await app.stop();
    apps.splice(apps.indexOf(app), 1);
    await deletePrefix(app.prefix);
    return { requests: cloudflare.requests.length, texts: digests.map(({ parent }) => messageText(parent)) };
  }

  it('costs the same with 10 routes as with 1 when their slots coincide', async () => {
    for (const zone of [COM, ORG]) cloudflare.state.addZone(zone);
    for (let index = 0; index < 10; index += 1) {
      const expiring = { expires_on: expiresInDays(10) };
      associateOnOneCertificate(cloudflare, COM.id, [`a.team-${index}.example.com`], expiring);
      associateOnOneCertificate(cloudflare, ORG.id, [`b.team-${index}.example.org`], expiring);
    }

    const one = await oneSlot(1);
    slack.messages.length = 0;
    const ten = await oneSlot(10);

    process.stdout.write(
      `Cloudflare requests for one digest slot over 2 zones: 1 route ${one.requests}, 10 routes ${ten.requests}\n`,
    );
    // Two zones, four requests each (the two hostname lists, the zone-level certificates and switch).
    expect(one.requests).toBe(8);
    expect(ten.requests).toBe(one.requests);
    ten.texts.forEach((text, index) => {
      expect(hostnamesIn(text)).toEqual([`a.team-${index}.example.com`, `b.team-${index}.example.org`]);
    });
  });
});
