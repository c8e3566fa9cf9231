import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../../src/config/load.js';
import type { AppConfig } from '../../../src/config/types.js';
import type { HostnameCheck } from '../../../src/digest/model.js';
import { createInventoryCommands, snapshotCovers } from '../../../src/inventory/commands.js';
import { routerFromConfig } from '../../../src/inventory/routing.js';
import type { WatchEntry, WatchStore } from '../../../src/inventory/watch-store.js';
import type { ZoneCheckResult } from '../../../src/inventory/zone-check.js';
import { summarizeZoneCheck } from '../../../src/inventory/zone-summary.js';
import type { ZoneResolver } from '../../../src/lookup/zone-resolver.js';

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
