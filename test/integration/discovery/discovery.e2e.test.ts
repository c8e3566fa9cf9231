import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDiscoveryStore } from '../../../src/discovery/store.js';
import { JOB_NAMES, safeJobId, type TickPayload } from '../../../src/queue/names.js';
import { redisKeys } from '../../../src/store/keys.js';
import {
  ACCOUNT_TOKEN_ENV,
  ACCOUNT_TOKENS,
  type SeededAccounts,
  seedThreeAccounts,
  THREE_ACCOUNTS_YAML,
} from '../../support/accounts.js';
import { readAlertFixture, seedStoredAlerts } from '../../support/alert-fixtures.js';
import { startTestApp, type TestApp } from '../../support/app-harness.js';
import { type FakeCloudflare, type FakeZone, startFakeCloudflare } from '../../support/fake-cloudflare.js';
import { type FakeSlack, startFakeSlack } from '../../support/fake-slack.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../support/redis.js';
import { evaluateNow, slackCallsSince, waitForQueuesIdle } from '../../support/runs.js';
import { messageText, slash, withDigestQueue } from '../digest/support.js';

/**
 * Zone discovery end to end: the real app on the test Redis against the local Slack server and a
 * local Cloudflare server with three accounts and 260 zones (six pages for the largest), one token
 * each, the brands zones visible to two tokens.
 */

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const INCIDENT = 'C0INCIDENT';
const DIGEST = 'C0DIGEST';
const NEVER = '0 0 1 1 *';

let slack: FakeSlack;
let cloudflare: FakeCloudflare;
let seeded: SeededAccounts;
let app: TestApp;
/** The app to stop after the test; null when none started. */
let running: TestApp | null = null;
let now: Date;
let prefix: string;

function zone(account: keyof SeededAccounts['zones'], index: number): FakeZone {
  const found = seeded.zones[account][index];
  if (!found) throw new Error(`no seeded zone ${account}[${index}]`);
  return found;
}

/** A hostname on a certificate expiring in `days`: the zone uses AOP. */
function useAop(target: FakeZone, hostname: string, days: number): void {
  const certificate = cloudflare.state.addCertificate(target.id, {
    serial_number: `${target.name}-serial`,
    issuer: 'CN=Example Origin CA',
    expires_on: new Date(now.getTime() + days * DAY_MS).toISOString(),
  });
  cloudflare.state.associate(target.id, { hostname, cert_id: certificate.id });
}

/** The zones Cloudflare was asked about (any zone endpoint) since request number `from`. */
function zonesReadSince(from: number): Set<string> {
  const ids = new Set<string>();
  for (const request of cloudflare.requests.slice(from)) {
    const match = /^\/zones\/([0-9a-f]{32})\//.exec(request.path);
    if (match?.[1]) ids.add(match[1]);
  }
  return ids;
}

async function digestNow(): Promise<string> {
  const before = slack.messages.length;
  await app.service.queues.requestDigest(DIGEST, 'U0TEST');
  await waitForQueuesIdle(app);
  const posted = slack.messages.slice(before).filter((message) => message.channel === DIGEST);
  return posted.map((message) => `${message.text}\n${JSON.stringify(message.blocks)}`).join('\n');
}

async function discoverNow(): Promise<void> {
  await app.service.queues.requestDiscovery();
  await waitForQueuesIdle(app);
}

async function startApp(file: Record<string, unknown> = {}): Promise<void> {
  app = await startTestApp({
    slackApiUrl: slack.apiUrl,
    cloudflareBaseUrl: cloudflare.baseUrl,
    clock: () => now,
    prefix,
    env: ACCOUNT_TOKEN_ENV,
    tuning: { queue: { zoneCheckAttempts: 1, tickAttempts: 1 } },
    file: {
      timezone: 'Europe/Berlin',
      // Budgets wide enough for several full runs of 259 zones in one test.
      cloudflare: {
        accounts: THREE_ACCOUNTS_YAML.map((entry) => ({
          ...entry,
          rate_limit: { requests: 100_000, per_seconds: 300 },
        })),
      },
      discover: {
        every: '1h',
        match: ['*.example.com', '*.example.net', 'edge-?.example.org'],
        exclude: ['site-25*.example.com'],
      },
      digest: { schedule: NEVER, channels: [DIGEST] },
      alerts: { channel: INCIDENT, schedule: NEVER },
      ...file,
    },
  });
  running = app;
}

beforeEach(async () => {
  slack = await startFakeSlack();
  cloudflare = await startFakeCloudflare();
  seeded = seedThreeAccounts(cloudflare.state);
  now = new Date('2026-11-20T09:00:00Z');
  prefix = uniquePrefix('discovery');
  useAop(zone('prod', 0), 'app.site-000.example.com', 3);
  useAop(zone('brands', 1), 'www.brand-1.example.net', 200);
});

afterEach(async () => {
  await running?.stop();
  running = null;
  await slack.close();
  await cloudflare.close();
  const redis = connectTestRedis();
  await deleteKeysWithPrefix(redis, prefix);
  redis.disconnect();
});

describe('zone discovery across accounts', () => {
  it('watches the zones of three tokens (six pages for one), filtered by globs and excludes, each read once with its own token', async () => {
    await startApp();
    // Six pages for prod, one each for brands and edge (edge sees nine zones: its own and the brands').
    expect(cloudflare.requestsTo('zones')).toHaveLength(8);
    const redis = connectTestRedis();
    const stored = await createDiscoveryStore(redis, redisKeys(prefix)).read();
    redis.disconnect();
    // 251 prod zones less site-250 (excluded), 5 brands, 4 edge: 259.
    expect(stored?.zones).toHaveLength(259);
    expect(stored?.zones.some((entry) => entry.name === 'site-250.example.com')).toBe(false);
    const brandAccounts = new Set(
      stored?.zones.filter((entry) => entry.name.startsWith('brand-')).map((entry) => entry.account),
    );
    expect([...brandAccounts]).toEqual(['brands']);

    const from = cloudflare.requests.length;
    await evaluateNow(app);
    expect(zonesReadSince(from).size).toBe(259);
    // A brands zone, visible to the edge token too, is read once, with the brands token.
    const brandRequests = cloudflare.requests
      .slice(from)
      .filter((request) => request.path.startsWith(`/zones/${zone('brands', 1).id}/`));
    expect(brandRequests.length).toBeGreaterThan(0);
    expect(new Set(brandRequests.map((request) => request.headers.authorization))).toEqual(
      new Set([`Bearer ${ACCOUNT_TOKENS.brands}`]),
    );
    const edgeRequests = cloudflare.requests
      .slice(from)
      .filter((request) => request.path.startsWith(`/zones/${zone('edge', 2).id}/`));
    expect(new Set(edgeRequests.map((request) => request.headers.authorization))).toEqual(
      new Set([`Bearer ${ACCOUNT_TOKENS.edge}`]),
    );
    // The critical certificate of a discovered zone opens an alert thread.
    expect(
      slack.messages.filter((message) => message.channel === INCIDENT && !message.threadTs),
    ).toHaveLength(1);
  });

  it('checks idle zones at discover.every only, and zones using AOP at every run', async () => {
    await startApp();
    await evaluateNow(app);
    now = new Date(now.getTime() + 15 * 60_000);
    let from = cloudflare.requests.length;
    await evaluateNow(app);
    expect([...zonesReadSince(from)].sort()).toEqual([zone('prod', 0).id, zone('brands', 1).id].sort());
    const digest = await digestNow();
    expect(digest).toContain('257 zones without AOP not re-checked');

    now = new Date(now.getTime() + HOUR_MS);
    from = cloudflare.requests.length;
    await evaluateNow(app);
    expect(zonesReadSince(from).size).toBe(259);
  });

  it('watches a zone added between two listings from the next run, and says so once in the next digest', async () => {
    await startApp();
    await evaluateNow(app);
    const added = cloudflare.state.addZone({
      name: 'site-new.example.com',
      accountId: seeded.accounts.prod.id,
    });
    await discoverNow();
    const from = cloudflare.requests.length;
    await evaluateNow(app);
    expect(zonesReadSince(from).has(added.id)).toBe(true);
    expect(await digestNow()).toContain('Now watching 1 new zone: site-new.example.com');
    now = new Date(now.getTime() + 60_000);
    expect(await digestNow()).not.toContain('Now watching');
  });

  it('names a removed zone once and ends its open alert thread with that reason, not as renewed', async () => {
    await startApp();
    await evaluateNow(app);
    const parent = slack.messages.find((message) => message.channel === INCIDENT && !message.threadTs);
    expect(parent).toBeDefined();
    cloudflare.state.removeZone(zone('prod', 0).id);
    await discoverNow();
    const replies = slack.messages.filter((message) => message.threadTs === parent?.ts);
    const last = replies.at(-1);
    expect(last?.text).toContain('no longer watched');
    expect(last?.text).not.toContain('Renewed');
    const digest = await digestNow();
    expect(digest).toContain('No longer watching 1 zone');
    expect(digest).toContain('site-000.example.com');
    now = new Date(now.getTime() + 60_000);
    expect(await digestNow()).not.toContain('No longer watching');
    // Not checked any more.
    const from = cloudflare.requests.length;
    await evaluateNow(app);
    expect(zonesReadSince(from).has(zone('prod', 0).id)).toBe(false);
  });

  it("makes a revoked token's zones one cannot-check episode for its account while the other accounts carry on", async () => {
    await startApp();
    await evaluateNow(app);
    const incidentParents = () =>
      slack.messages.filter((message) => message.channel === INCIDENT && !message.threadTs);
    const before = incidentParents().length;
    cloudflare.state.revokeToken(ACCOUNT_TOKENS.edge);
    // The edge zones are idle: a refusal shows at their next check, discover.every later.
    now = new Date(now.getTime() + HOUR_MS);
    const from = cloudflare.requests.length;
    await evaluateNow(app);
    expect(zonesReadSince(from).size).toBe(259);
    const opened = incidentParents().slice(before);
    expect(opened).toHaveLength(1);
    expect(opened[0]?.text).toContain('Cannot check account edge: 4 zones not watched');
    expect(opened[0]?.metadata?.event_payload).toMatchObject({
      kind: 'cannot_check',
      hostnames: seeded.zones.edge.map((entry) => entry.name).sort(),
    });
    // Still refused an hour later: the same thread, no second one.
    now = new Date(now.getTime() + HOUR_MS);
    await evaluateNow(app);
    expect(incidentParents()).toHaveLength(before + 1);
    // The token rolled: the thread ends as checks working again.
    cloudflare.state.addToken(ACCOUNT_TOKENS.edge, [seeded.accounts.edge.id, seeded.accounts.brands.id]);
    now = new Date(now.getTime() + HOUR_MS);
    await evaluateNow(app);
    const replies = slack.messages.filter((message) => message.threadTs === opened[0]?.ts);
    expect(replies.at(-1)?.text).toContain('Checks work again');
  });

  describe('a refused token when routes have their own alert channels', () => {
    const ROUTES = [
      {
        name: 'payments',
        match: { zones: ['edge-0.example.org', 'edge-1.example.org'] },
        alerts_channel: 'C0PAYINC',
        mention_on_critical: '<!subteam^S0PAY>',
      },
      { name: 'shop', match: { zones: ['edge-2.example.org'] }, alerts_channel: 'C0SHOPINC' },
      { name: 'web', match: { hostnames: ['www.edge-3.example.org'] }, alerts_channel: 'C0WEBINC' },
    ];
    const parentIn = (channel: string) =>
      slack.messages.filter((message) => message.channel === channel && !message.threadTs);
    /** Evaluates an hour later; the Slack writes it made, as `parent:C…`, sorted. */
    const evaluateAnHourLater = async (): Promise<string[]> => {
      now = new Date(now.getTime() + HOUR_MS);
      const from = slack.calls.length;
      await evaluateNow(app);
      return slackCallsSince(slack, from, { withChannel: true }).sort();
    };
    const rollEdgeToken = () =>
      cloudflare.state.addToken(ACCOUNT_TOKENS.edge, [seeded.accounts.edge.id, seeded.accounts.brands.id]);

    it('tells each route owning something in the refused zones in its own channel, listing only its zones', async () => {
      useAop(zone('edge', 3), 'www.edge-3.example.org', 200);
      // No top-level alerts channel: only the routes hear about alerts.
      await startApp({ alerts: { schedule: NEVER }, routes: ROUTES });
      await evaluateNow(app);
      cloudflare.state.revokeToken(ACCOUNT_TOKENS.edge);
      // One parent per owning route, nothing else: cannot-check threads have no runbook.
      expect(await evaluateAnHourLater()).toEqual(['parent:C0PAYINC', 'parent:C0SHOPINC', 'parent:C0WEBINC']);
      const zonesIn = (channel: string) => parentIn(channel)[0]?.metadata?.event_payload.hostnames;
      expect(zonesIn('C0PAYINC')).toEqual(['edge-0.example.org', 'edge-1.example.org']);
      expect(zonesIn('C0SHOPINC')).toEqual(['edge-2.example.org']);
      // edge-3 is nobody's as a whole: the route owning its watched hostname hears of it.
      expect(zonesIn('C0WEBINC')).toEqual(['edge-3.example.org']);
      expect(parentIn('C0PAYINC')[0]?.text).toContain('Cannot check account edge: 2 zones not watched');
      expect(messageText(parentIn('C0PAYINC')[0] as never)).toContain(
        'where route `payments` has hostnames, so they are not being watched',
      );
      // Still refused an hour later: nothing new.
      expect(await evaluateAnHourLater()).toEqual([]);
      // The token rolled: each thread ends in its own channel.
      rollEdgeToken();
      expect(await evaluateAnHourLater()).toEqual([
        'reply:C0PAYINC',
        'reply:C0SHOPINC',
        'reply:C0WEBINC',
        'update:C0PAYINC',
        'update:C0SHOPINC',
        'update:C0WEBINC',
      ]);
      for (const channel of ['C0PAYINC', 'C0SHOPINC', 'C0WEBINC'])
        expect(
          slack.messages.filter((message) => message.threadTs === parentIn(channel)[0]?.ts).at(-1)?.text,
        ).toContain('Checks work again');
    });

    it("shows a refused account as one digest line, and each route's digest the same line over its own zones", async () => {
      await startApp({
        routes: [{ ...ROUTES[0], digest: { channels: ['C0PAYDIG'], schedule: NEVER } }, ...ROUTES.slice(1)],
      });
      cloudflare.state.revokeToken(ACCOUNT_TOKENS.edge);
      now = new Date(now.getTime() + HOUR_MS);
      const whole = await digestNow();
      /** Every digest line about account edge, up to its error. */
      const accountLines = (text: string) =>
        [...text.matchAll(/\*account edge\*[^·]*· [^(]*/g)].map((match) => match[0]);
      expect(accountLines(whole)).toEqual([
        '*account edge*: token refused (`cloudflare_unauthorized`), 4 zones not checked: edge-0.example.org, edge-1.example.org, edge-2.example.org and 1 more · Cloudflare did not accept the API credentials ',
      ]);
      expect(whole).toContain('roll it under My Profile');
      expect(whole).not.toContain('*edge-3.example.org*');
      const before = slack.messages.length;
      // payments' own slot, as its job scheduler would queue it.
      await withDigestQueue(app, async (queue) => {
        const data: TickPayload = { trigger: 'schedule', slotTimeMs: now.getTime(), route: 'payments' };
        await queue.add(JOB_NAMES.digestTick, data, {
          jobId: safeJobId('test-tick', 'payments', now.getTime()),
        });
      });
      await waitForQueuesIdle(app);
      const routeDigest = slack.messages
        .slice(before)
        .filter((message) => message.channel === 'C0PAYDIG')
        .map((message) => JSON.stringify(message.blocks))
        .join('\n');
      expect(accountLines(routeDigest)).toEqual([
        '*account edge*: token refused (`cloudflare_unauthorized`), 2 zones not checked: edge-0.example.org, edge-1.example.org · Cloudflare did not accept the API credentials ',
      ]);
    });

    /**
     * test/fixtures/alerts/account-refused-before-routes.json: the alert state and channel the
     * release before per-route account threads left with the edge token refused: one account
     * thread in C0INCIDENT (`route: null`) listing the four edge zones.
     */
    const fixture = readAlertFixture('account-refused-before-routes');
    /** As when the fixture was written: no hostname of prod's about to expire, so only the account thread speaks. */
    const withoutExpiringHostname = () => cloudflare.state.zone(zone('prod', 0).id).associations.clear();

    it('keeps an account thread stored by the previous release: the same thread while refused, resolved when the token works', async () => {
      withoutExpiringHostname();
      await seedStoredAlerts(fixture, { prefix, slack });
      await startApp();
      cloudflare.state.revokeToken(ACCOUNT_TOKENS.edge);
      now = new Date(fixture.now);
      expect(await evaluateAnHourLater()).toEqual([]);
      rollEdgeToken();
      expect(await evaluateAnHourLater()).toEqual(['reply:C0INCIDENT', 'update:C0INCIDENT']);
      const parent = parentIn(INCIDENT)[0];
      expect(slack.messages.filter((message) => message.threadTs === parent?.ts).at(-1)?.text).toContain(
        'Checks work again',
      );
    });

    it('moves an account thread stored by the previous release to the routes now owning its zones, the old parent pointing there once', async () => {
      withoutExpiringHostname();
      await seedStoredAlerts(fixture, { prefix, slack });
      const oldParent = parentIn(INCIDENT)[0];
      await startApp({
        routes: [
          {
            name: 'payments',
            match: { zones: ['edge-0.example.org', 'edge-1.example.org'] },
            alerts_channel: 'C0PAYINC',
          },
          {
            name: 'shop',
            match: { zones: ['edge-2.example.org', 'edge-3.example.org'] },
            alerts_channel: 'C0SHOPINC',
          },
        ],
      });
      cloudflare.state.revokeToken(ACCOUNT_TOKENS.edge);
      now = new Date(fixture.now);
      // payments continues the thread (two zones each: the name sorting first), shop opens its own.
      expect(await evaluateAnHourLater()).toEqual([
        'parent:C0PAYINC',
        'parent:C0SHOPINC',
        'update:C0INCIDENT',
      ]);
      expect(parentIn('C0PAYINC')[0]?.metadata?.event_payload.hostnames).toEqual([
        'edge-0.example.org',
        'edge-1.example.org',
      ]);
      expect(parentIn('C0SHOPINC')[0]?.metadata?.event_payload.hostnames).toEqual([
        'edge-2.example.org',
        'edge-3.example.org',
      ]);
      const edited = slack.messages.find((message) => message.ts === oldParent?.ts);
      expect(edited?.text).toContain('continues in <#C0PAYINC>');
      expect(await evaluateAnHourLater()).toEqual([]);
      rollEdgeToken();
      expect(await evaluateAnHourLater()).toEqual([
        'reply:C0PAYINC',
        'reply:C0SHOPINC',
        'update:C0PAYINC',
        'update:C0SHOPINC',
      ]);
    });
  });

  it('lists every watched zone with /aop-status zones: configured or discovered, account, hostnames, certificates used, last check', async () => {
    const configured = zone('edge', 0);
    await startApp({ zones: [{ id: configured.id, name: configured.name, account: 'edge' }] });
    await evaluateNow(app);
    const { responses } = await slash(app, slack, 'zones');
    const text = responses.map((response) => messageText({ blocks: response.blocks } as never)).join('\n');
    expect(text).toContain('Watched zones: 259 in 3 accounts');
    expect(text).toContain('1 configured, 258 discovered');
    expect(text).toContain(
      '*site-000.example.com* · `prod` · discovered · 1 hostname · 1 of 10 hostname certificates · checked 20 Nov 10:00',
    );
    expect(text).toContain('*brand-1.example.net* · `brands` · discovered · 1 hostname');
    expect(text).toContain('256 discovered zones without AOP are checked once per discovery interval (1h)');
    // The configured zone has nothing to watch but is shown as configured, never as idle.
    expect(text).toContain(
      `*${configured.name}* · \`edge\` · configured · 0 hostnames · 0 of 10 hostname certificates`,
    );
    expect(text).toContain('site-100.example.com (prod)');
  });

  it('stops at start naming the Zone Read permission when a token cannot list zones', async () => {
    cloudflare.state.forbiddenRoutes.add('zones');
    const starting = startApp();
    await expect(starting).rejects.toMatchObject({ code: 'config_invalid' });
    const message = String((await starting.catch((error: unknown) => error)) as Error);
    for (const variable of [
      'CLOUDFLARE_API_TOKEN_PROD',
      'CLOUDFLARE_API_TOKEN_BRANDS',
      'CLOUDFLARE_API_TOKEN_EDGE',
    ])
      expect(message).toContain(variable);
    expect(message).toContain('Zone Read');
  });

  it('stops at start naming a configured zone that no token can read, with the other problems', async () => {
    const orphan = cloudflare.state.addZone({ name: 'orphan.example.com' });
    const starting = startApp({ zones: [{ id: orphan.id, name: 'orphan.example.com' }] });
    await expect(starting).rejects.toMatchObject({
      code: 'config_invalid',
      message: expect.stringContaining(
        'zones[0] (orphan.example.com): no token in cloudflare.accounts can read this zone',
      ),
    });
  });

  it('keeps the last good list when a listing fails, and says so in the digest footer', async () => {
    await startApp();
    // Every attempt of every account's first page fails (three accounts, three attempts each).
    cloudflare.inject('zones', { kind: 'respond', status: 503, body: { success: false, errors: [] } }, 9);
    await discoverNow();
    const redis = connectTestRedis();
    const stored = await createDiscoveryStore(redis, redisKeys(prefix)).read();
    redis.disconnect();
    expect(stored?.zones).toHaveLength(259);
    expect(stored?.accounts.prod?.failure?.errorCode).toBeDefined();
    const from = cloudflare.requests.length;
    await evaluateNow(app);
    expect(zonesReadSince(from).size).toBe(259);
    const digest = await digestNow();
    expect(digest).toContain('the zone list of account prod could not be read');
    expect(digest).toContain('last good list');
  });
});
