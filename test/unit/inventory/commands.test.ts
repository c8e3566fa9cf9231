import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../../src/config/load.js';
import type { AppConfig } from '../../../src/config/types.js';
import type { HostnameCheck } from '../../../src/digest/model.js';
import { createInventoryCommands, snapshotCovers } from '../../../src/inventory/commands.js';
import type { WatchEntry, WatchStore } from '../../../src/inventory/watch-store.js';
import type { ZoneCheckResult } from '../../../src/inventory/zone-check.js';
import type { ZoneResolver } from '../../../src/lookup/zone-resolver.js';

const NOW = new Date('2026-11-20T12:00:00Z');
const ZONE_ID = '0123456789abcdef0123456789abcdef';
const ZONE = { id: ZONE_ID, name: 'a.example' };

/** Built by the config loader (pure with these sources), so it always has every field AppConfig has. */
function loadTestConfig(): AppConfig {
  const yamlText = stringify({
    timezone: 'Europe/Berlin',
    zones: [{ id: ZONE_ID, name: ZONE.name, hostnames: ['app.a.example'] }],
    digest: { channels: ['C0DIGEST'] },
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
      checkZonesNow: async (zoneIds) => {
        checkedLive.push(zoneIds);
        return [snapshot(['app.a.example', 'api.a.example'])];
      },
      requestDigest: async () => ({ queued: true }),
      clock: () => NOW,
    });

    const [message] = await commands.handle({ kind: 'list' }, { userId: 'U1', channelId: 'C1' });

    expect(checkedLive).toEqual([[ZONE.id]]);
    expect(message?.text).toContain('Watched hostnames: 0 critical, 0 warning, 0 unknown, 2 info, 0 ok');
    expect(JSON.stringify(message?.blocks)).toContain('api.a.example');
  });

  it('reads a stored run that covers every watched hostname without asking Cloudflare', async () => {
    const checkedLive: string[][] = [];
    const commands = createInventoryCommands({
      config: CONFIG,
      watchStore: memoryWatchStore(),
      zoneResolver: resolver,
      readSnapshots: async () => [snapshot(['app.a.example', 'unlisted.a.example'])],
      checkZonesNow: async (zoneIds) => {
        checkedLive.push(zoneIds);
        return [];
      },
      requestDigest: async () => ({ queued: true }),
      clock: () => NOW,
    });

    const [message] = await commands.handle({ kind: 'list' }, { userId: 'U1', channelId: 'C1' });

    expect(checkedLive).toEqual([]);
    // Only what is watched: the stored run's extra hostname is not on the list.
    expect(message?.text).toContain('Watched hostnames: 0 critical, 0 warning, 0 unknown, 1 info, 0 ok');
    expect(JSON.stringify(message?.blocks)).not.toContain('unlisted.a.example');
  });
});
