import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../../src/config/load.js';
import type { AppConfig } from '../../../src/config/types.js';
import type { HostnameCheck, ZoneFailure } from '../../../src/digest/model.js';
import {
  createInventoryCommands,
  type InventoryCommandOptions,
  snapshotCovers,
} from '../../../src/inventory/commands.js';
import { routerFromConfig, sliceForRoute } from '../../../src/inventory/routing.js';
import type { WatchEntry, WatchStore } from '../../../src/inventory/watch-store.js';
import type { ZoneCheckResult, ZonePlan } from '../../../src/inventory/zone-check.js';
import { summarizeZoneCheck } from '../../../src/inventory/zone-summary.js';
import type { ZoneResolver } from '../../../src/lookup/zone-resolver.js';
import { renderWatchList } from '../../../src/render/watch-list.js';
import { associationCheck } from '../digest/builders.js';

const NOW = new Date('2026-11-20T12:00:00Z');
const ZONE_ID = '0123456789abcdef0123456789abcdef';
const ZONE = { id: ZONE_ID, name: 'a.example' };

/** Built by the config loader (pure with these sources), so it always has every field AppConfig has. */
function loadTestConfig(extra: Record<string, unknown> = {}): AppConfig {
  const yamlText = stringify({
    timezone: 'Europe/Berlin',
    zones: [{ id: ZONE_ID, name: ZONE.name, hostnames: ['app.a.example'] }],
    digest: { channels: ['C0DIGEST'] },
    ...extra,
  });
  const result = loadConfig({
    env: { SLACK_BOT_TOKEN: 'xoxb-unit', SLACK_SIGNING_SECRET: 'secret', CLOUDFLARE_API_TOKEN: 'unit' },
    cwd: '/virtual',
    fileExists: (file) => file === '/virtual/aop-status.yml',
    readFile: () => yamlText,
  });
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.config;
}

const CONFIG = loadTestConfig();

function okCheck(hostname: string): HostnameCheck {
  return {
    hostname,
    zone: ZONE,
    observation: { kind: 'no_association', hostname, zoneId: ZONE.id },
    assessment: {
      severity: 'info',
      reasons: [{ code: 'no_association', severity: 'info', text: 'No association' }],
      effectiveExpiry: null,
      daysUntilExpiry: null,
    },
  };
}

function snapshot(hostnames: string[]): ZoneCheckResult {
  return { zone: ZONE, checkedAt: NOW, checks: hostnames.map(okCheck), failure: null, requests: 2 };
}

function memoryWatchStore(entries: WatchEntry[] = []): WatchStore {
  const watched = new Map(entries.map((entry) => [entry.hostname, entry]));
  const subscribed = new Set<string>();
  const ignored = new Set<string>();
  return {
    listWatched: async () => [...watched.values()],
    watch: async (entry) => {
      if (watched.has(entry.hostname)) return 'already_watched';
      watched.set(entry.hostname, entry);
      return 'added';
    },
    unwatch: async (hostname) => watched.delete(hostname),
    ignore: async (hostname) => !ignored.has(hostname) && Boolean(ignored.add(hostname)),
    unignore: async (hostname) => ignored.delete(hostname),
    listIgnored: async () => new Set(ignored),
    subscribe: async (channel) => !subscribed.has(channel) && Boolean(subscribed.add(channel)),
    unsubscribe: async (channel) => subscribed.delete(channel),
    listSubscribedChannels: async () => [...subscribed].sort(),
  };
}

const resolver: ZoneResolver = {
  resolve: async () => ({ zone: ZONE, source: 'inventory' }),
  fromInventory: () => ZONE,
};

describe('snapshotCovers', () => {
  it('answers for a zone only when the stored run checked every listed hostname', () => {
    expect(snapshotCovers(undefined, ['app.a.example'])).toBe(false);
    expect(snapshotCovers(snapshot(['app.a.example']), ['app.a.example'])).toBe(true);
    expect(snapshotCovers(snapshot(['app.a.example']), ['app.a.example', 'api.a.example'])).toBe(false);
  });

  it('lets a stored zone failure answer for every hostname of the zone', () => {
    const failed: ZoneCheckResult = {
      ...snapshot([]),
      failure: { zone: ZONE, errorCode: 'cloudflare_forbidden', errorMessage: 'refused', hostnames: [] },
    };
    expect(snapshotCovers(failed, ['app.a.example', 'api.a.example'])).toBe(true);
  });
});

describe('list', () => {
  it('checks a zone live when a hostname was watched after its last stored run, and lists it', async () => {
    const checkedLive: string[][] = [];
    const commands = createInventoryCommands({
      config: CONFIG,
      router: routerFromConfig(CONFIG),
      watchStore: memoryWatchStore([
        {
          hostname: 'api.a.example',
          zoneId: ZONE.id,
          zoneName: ZONE.name,
          addedBy: 'U1',
          addedAt: NOW.toISOString(),
        },
      ]),
      zoneResolver: resolver,
      readSnapshots: async () => [snapshot(['app.a.example'])],
      readZoneSummaries: async () => [snapshot(['app.a.example'])].map(summarizeZoneCheck),
      checkZonesNow: async (zoneIds) => {
        checkedLive.push(zoneIds);
        return [snapshot(['app.a.example', 'api.a.example'])];
      },
      requestDigest: async () => ({ queued: true }),
      clock: () => NOW,
    });

    const [message] = await commands.handle({ kind: 'list', route: null }, { userId: 'U1', channelId: 'C1' });

    expect(checkedLive).toEqual([[ZONE.id]]);
    expect(message?.text).toContain('Watched hostnames: 0 critical, 0 warning, 0 unknown, 2 info, 0 ok');
    expect(JSON.stringify(message?.blocks)).toContain('api.a.example');
  });

  it("resolves the zone of a hostname to watch or route as a person's request, from the budget kept for people", async () => {
    const asked: unknown[] = [];
    const commands = createInventoryCommands({
      config: CONFIG,
      router: routerFromConfig(CONFIG),
      watchStore: memoryWatchStore(),
      zoneResolver: {
        ...resolver,
        resolve: async (_hostname, _zone, requestOptions) => {
          asked.push(requestOptions);
          return { zone: ZONE, source: 'inventory' };
        },
      },
      readSnapshots: async () => [],
      readZoneSummaries: async () => [].map(summarizeZoneCheck),
      checkZonesNow: async () => [],
      requestDigest: async () => ({ queued: true }),
      clock: () => NOW,
    });
    await commands.handle(
      { kind: 'watch', hostname: 'new.a.example', zone: null },
      { userId: 'U1', channelId: 'C1' },
    );
    await commands.handle(
      { kind: 'route', hostname: 'new.a.example', zone: null },
      { userId: 'U1', channelId: 'C1' },
    );
    expect(asked).toEqual([{ urgent: true }, { urgent: true }]);
  });

  it('leaves a discovered zone no run has read yet to the runs instead of reading it live', async () => {
    const checkedLive: string[][] = [];
    const discovered = { id: 'fedcba9876543210fedcba9876543210', name: 'found.example' };
    const commands = createInventoryCommands({
      config: CONFIG,
      router: routerFromConfig(CONFIG),
      watchStore: memoryWatchStore(),
      zoneResolver: resolver,
      readSnapshots: async () => [snapshot(['app.a.example'])],
      readZoneSummaries: async () => [snapshot(['app.a.example'])].map(summarizeZoneCheck),
      checkZonesNow: async (zoneIds) => {
        checkedLive.push(zoneIds);
        return [];
      },
      requestDigest: async () => ({ queued: true }),
      clock: () => NOW,
      planZones: async () => [
        { zone: ZONE, discoverAll: false, hostnames: ['app.a.example'], ignored: [] },
        {
          zone: discovered,
          discoverAll: true,
          hostnames: [],
          ignored: [],
          account: 'prod',
          discovered: true,
        },
      ],
    });
    await commands.handle({ kind: 'list', route: null }, { userId: 'U1', channelId: 'C1' });
    expect(checkedLive).toEqual([]);
  });

  it('reads a stored run that covers every watched hostname without asking Cloudflare', async () => {
    const checkedLive: string[][] = [];
    const commands = createInventoryCommands({
      config: CONFIG,
      router: routerFromConfig(CONFIG),
      watchStore: memoryWatchStore(),
      zoneResolver: resolver,
      readSnapshots: async () => [snapshot(['app.a.example', 'unlisted.a.example'])],
      readZoneSummaries: async () =>
        [snapshot(['app.a.example', 'unlisted.a.example'])].map(summarizeZoneCheck),
      checkZonesNow: async (zoneIds) => {
        checkedLive.push(zoneIds);
        return [];
      },
      requestDigest: async () => ({ queued: true }),
      clock: () => NOW,
    });

    const [message] = await commands.handle({ kind: 'list', route: null }, { userId: 'U1', channelId: 'C1' });

    expect(checkedLive).toEqual([]);
    // Only what is watched: the stored run's extra hostname is not on the list.
    expect(message?.text).toContain('Watched hostnames: 0 critical, 0 warning, 0 unknown, 1 info, 0 ok');
    expect(JSON.stringify(message?.blocks)).not.toContain('unlisted.a.example');
  });
});

describe('routes', () => {
  const ROUTED = loadTestConfig({
    alerts: { channel: 'C0INCIDENT' },
    routes: [
      {
        name: 'payments',
        match: { zones: [ZONE.name], hostnames: ['*.pay.a.example'] },
        alerts_channel: 'C0PAYINC',
        mention_on_critical: '<!subteam^S0PAY>',
        digest: { channels: ['C0PAYOPS'], timezone: 'America/New_York' },
      },
    ],
  });

  function routedCommands(hostnames: string[]) {
    return createInventoryCommands({
      config: ROUTED,
      router: routerFromConfig(ROUTED),
      watchStore: memoryWatchStore(
        hostnames.map((hostname) => ({
          hostname,
          zoneId: ZONE.id,
          zoneName: ZONE.name,
          addedBy: 'U1',
          addedAt: NOW.toISOString(),
        })),
      ),
      zoneResolver: resolver,
      readSnapshots: async () => [snapshot(['app.a.example', ...hostnames])],
      readZoneSummaries: async () => [snapshot(['app.a.example', ...hostnames])].map(summarizeZoneCheck),
      checkZonesNow: async () => [],
      requestDigest: async () => ({ queued: true }),
      clock: () => NOW,
    });
  }
  const context = { userId: 'U1', channelId: 'C1' };

  it('lists only the hostnames the route owns with `list <route>`, and everything with `list`', async () => {
    const commands = routedCommands(['x.pay.a.example', 'y.z.pay.a.example']);
    const [routed] = await commands.handle({ kind: 'list', route: 'payments' }, context);
    const routedBlocks = JSON.stringify(routed?.blocks);
    expect(routedBlocks).toContain('of route payments: 2');
    expect(routedBlocks).toContain('x.pay.a.example');
    expect(routedBlocks).toContain('y.z.pay.a.example');
    expect(routedBlocks).not.toContain('app.a.example');
    const [all] = await commands.handle({ kind: 'list', route: null }, context);
    expect(JSON.stringify(all?.blocks)).toContain('app.a.example');
  });

  it('names the configured routes when `list` gets an unknown one, and says when a route owns nothing', async () => {
    const commands = routedCommands([]);
    const [unknown] = await commands.handle({ kind: 'list', route: 'payment' }, context);
    expect(unknown?.text).toBe('There is no route named `payment`. Routes: `payments`.');
    const [empty] = await commands.handle({ kind: 'list', route: 'payments' }, context);
    expect(empty?.text).toContain('Route `payments` owns none of the watched hostnames.');
  });

  it('says which route owns a hostname, which criteria matched, and where its messages go', async () => {
    const commands = routedCommands([]);
    const [owned] = await commands.handle(
      { kind: 'route', hostname: 'x.pay.a.example', zone: null },
      context,
    );
    const text = JSON.stringify(owned?.blocks);
    expect(text).toContain('belongs to route *payments*, the 1st of 1');
    expect(text).toContain('zone `a.example` is in `match.zones`');
    expect(text).toContain('`*.pay.a.example` in `match.hostnames` matches');
    // The route's own alerts channel and mention, where its alert threads really go.
    expect(text).toContain('Alert threads go to <#C0PAYINC>');
    expect(text).toContain('critical escalations mention `&lt;!subteam^S0PAY&gt;`');
    expect(text).not.toContain('<#C0INCIDENT>');
    // payments names hostnames, so it does not take the zone as a whole: its certificate is the top level's.
    expect(text).toContain('zone-level certificate of a.example belong to the top level');
    expect(text).toContain('America/New_York');
    const [unowned] = await commands.handle(
      { kind: 'route', hostname: 'pay.a.example', zone: null },
      context,
    );
    expect(JSON.stringify(unowned?.blocks)).toContain('belongs to no route');
    expect(JSON.stringify(unowned?.blocks)).toContain('<#C0INCIDENT>');
  });
});

describe('list, read a zone at a time', () => {
  const ROUTED = loadTestConfig({
    routes: [{ name: 'payments', match: { zones: [ZONE.name], hostnames: ['*.pay.a.example'] } }],
  });
  const ZONE_B = { id: 'b'.repeat(32), name: 'b.example' };
  const ZONE_C = { id: 'c'.repeat(32), name: 'c.example' };
  const SEVERITIES = ['critical', 'warning', 'unknown', 'info', 'ok'] as const;

  /** Each check with its own copy of the zone, as checks read back from JSON have. */
  const check = (hostname: string, index: number, zone: { id: string; name: string }) =>
    associationCheck(hostname, SEVERITIES[index % SEVERITIES.length] ?? 'ok', {
      zone: { ...zone },
      expiresOn: new Date(NOW.getTime() + ((index % 45) - 5) * 86_400_000),
    });
  const hostnamesA = Array.from({ length: 3000 }, (_, index) =>
    index % 3 === 0 ? `h${index}.pay.a.example` : `h${index}.a.example`,
  );
  const hostnamesC = Array.from({ length: 20 }, (_, index) => `c${index}.c.example`);
  const storedA: ZoneCheckResult = {
    zone: ZONE,
    checkedAt: NOW,
    checks: [...hostnamesA, 'unlisted.a.example'].map((hostname, index) => check(hostname, index, ZONE)),
    failure: null,
    requests: 2,
  };
  const storedB: ZoneCheckResult = {
    zone: ZONE_B,
    checkedAt: NOW,
    checks: [],
    failure: { zone: ZONE_B, errorCode: 'cloudflare_forbidden', errorMessage: 'refused', hostnames: [] },
    requests: 1,
  };
  const liveC: ZoneCheckResult = {
    zone: ZONE_C,
    checkedAt: NOW,
    checks: hostnamesC.map((hostname, index) => check(hostname, index, ZONE_C)),
    failure: null,
    requests: 2,
  };
  const plans: ZonePlan[] = [
    { zone: ZONE, discoverAll: false, hostnames: hostnamesA, ignored: [] },
    { zone: ZONE_B, discoverAll: false, hostnames: ['one.b.example', 'two.b.example'], ignored: [] },
    { zone: ZONE_C, discoverAll: false, hostnames: hostnamesC, ignored: [] },
  ];

  function commandsReading(readSnapshots: InventoryCommandOptions['readSnapshots']) {
    const checkedLive: string[][] = [];
    const commands = createInventoryCommands({
      config: ROUTED,
      router: routerFromConfig(ROUTED),
      watchStore: memoryWatchStore(),
      zoneResolver: resolver,
      readSnapshots,
      readZoneSummaries: async () => [],
      checkZonesNow: async (zoneIds) => {
        checkedLive.push(zoneIds);
        return [liveC];
      },
      requestDigest: async () => ({ queued: true }),
      clock: () => NOW,
      planZones: async () => plans,
    });
    return { commands, checkedLive };
  }

  it('answers with the same messages as when every stored check is collected at once', async () => {
    const asked: string[][] = [];
    const paged = commandsReading(async function* (zoneIds) {
      asked.push([...zoneIds]);
      // Another order than the plans': what is shown must not depend on it.
      for (const result of [storedB, storedA]) if (zoneIds.includes(result.zone.id)) yield result;
    });
    const whole = commandsReading(async () => [storedA, storedB]);
    // What `list` answered when it collected every check of every zone before rendering.
    const checks = [...storedA.checks.filter((c) => c.hostname !== 'unlisted.a.example'), ...liveC.checks];
    const zoneFailures = [{ ...storedB.failure, hostnames: plans[1]?.hostnames ?? [] } as ZoneFailure];
    const options = { timeZone: ROUTED.timezone, now: NOW };
    const router = routerFromConfig(ROUTED);
    const slice = sliceForRoute(router, 'payments', { checks, zoneFailures });
    const expected = {
      all: renderWatchList(checks, { ...options, zoneFailures }),
      payments: renderWatchList(slice.checks, {
        ...options,
        zoneFailures: slice.zoneFailures,
        routeName: 'payments',
      }),
    };
    // The whole list does not fit: the compact form and the note of what was left out are compared too.
    expect(JSON.stringify(expected.all)).toContain('more hostnames not shown here');
    expect(slice.checks.length).toBe(1000);

    for (const [route, messages] of Object.entries(expected)) {
      const command = { kind: 'list' as const, route: route === 'all' ? null : route };
      expect(await paged.commands.handle(command, { userId: 'U1', channelId: 'C1' })).toEqual(messages);
      expect(await whole.commands.handle(command, { userId: 'U1', channelId: 'C1' })).toEqual(messages);
    }
    // Only the planned zones are read; the zone no run has stored is checked live.
    expect(asked[0]).toEqual([ZONE.id, ZONE_B.id, ZONE_C.id]);
    expect(paged.checkedLive).toEqual([[ZONE_C.id], [ZONE_C.id]]);
  });
});
