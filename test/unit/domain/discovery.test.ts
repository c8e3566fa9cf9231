import { describe, expect, it } from 'vitest';
import {
  type DiscoveredZone,
  diffZoneLists,
  isIdleZone,
  selectDiscoveredZones,
  type ZoneUseReading,
  zoneCheckDue,
  zoneGlobMatches,
  zonePassesFilter,
} from '../../../src/domain/discovery.js';

const NONE = { match: [], exclude: [], accountIds: [] };

function listed(id: string, name: string, accountId = 'a1') {
  return { id, name, accountId };
}

const IDLE: ZoneUseReading = {
  checkedAt: new Date('2026-11-20T10:00:00Z'),
  failed: false,
  hostnames: 0,
  hostnameCertificates: 0,
  zoneLevel: { aop: false, certificates: 0 },
};

describe('zone-name globs', () => {
  it('lets a whole-label * stand for one or more labels, and other glob characters act within a label', () => {
    expect(zoneGlobMatches('*.example.com', 'a.example.com')).toBe(true);
    expect(zoneGlobMatches('*.example.com', 'a.b.example.com')).toBe(true);
    expect(zoneGlobMatches('*.example.com', 'example.com')).toBe(false);
    expect(zoneGlobMatches('shop-*.example.com', 'shop-de.example.com')).toBe(true);
    expect(zoneGlobMatches('shop-*.example.com', 'a.shop-de.example.com')).toBe(false);
    expect(zoneGlobMatches('edge-?.Example.ORG', 'EDGE-3.example.org')).toBe(true);
    expect(zoneGlobMatches('{a,b}.example.com', 'b.example.com')).toBe(true);
  });

  it('filters by account id, then match, then exclude', () => {
    const filter = { match: ['*.example.com'], exclude: ['staging.example.com'], accountIds: ['a1'] };
    expect(zonePassesFilter({ name: 'shop.example.com', accountId: 'a1' }, filter)).toBe(true);
    expect(zonePassesFilter({ name: 'shop.example.com', accountId: 'a2' }, filter)).toBe(false);
    expect(zonePassesFilter({ name: 'staging.example.com', accountId: 'a1' }, filter)).toBe(false);
    expect(zonePassesFilter({ name: 'example.org', accountId: 'a1' }, filter)).toBe(false);
  });
});

describe('selecting discovered zones', () => {
  it('keeps a zone two tokens list once, with the first account, and leaves configured zones to the config', () => {
    const selection = selectDiscoveredZones({
      listings: [
        {
          account: 'brands',
          ok: true,
          zones: [listed('z1', 'b.example.com'), listed('z0', 'c.example.com')],
        },
        { account: 'edge', ok: true, zones: [listed('z1', 'b.example.com'), listed('z2', 'e.example.com')] },
      ],
      filter: NONE,
      previous: [],
      configured: [{ id: 'z0' }],
    });
    expect(selection.zones.map((zone) => [zone.id, zone.account])).toEqual([
      ['z1', 'brands'],
      ['z2', 'edge'],
    ]);
  });

  it("keeps a failed account's zones from the last good list and names the account", () => {
    const previous: DiscoveredZone[] = [
      { id: 'z9', name: 'p.example.com', account: 'prod', accountId: 'a1' },
    ];
    const selection = selectDiscoveredZones({
      listings: [{ account: 'prod', ok: false, errorCode: 'cloudflare_server_error', errorMessage: '503' }],
      filter: NONE,
      previous,
      configured: [],
    });
    expect(selection.zones).toEqual(previous);
    expect(selection.failedAccounts).toEqual([
      { account: 'prod', errorCode: 'cloudflare_server_error', errorMessage: '503' },
    ]);
  });

  it('tells zones added and removed, and nothing on the first listing', () => {
    const a: DiscoveredZone = { id: 'a', name: 'a.example.com', account: 'prod', accountId: null };
    const b: DiscoveredZone = { id: 'b', name: 'b.example.com', account: 'prod', accountId: null };
    expect(diffZoneLists(null, [a, b])).toEqual({ added: [], removed: [] });
    expect(diffZoneLists([a], [b])).toEqual({ added: [b], removed: [a] });
  });
});

describe('idle zones', () => {
  it('is idle only with no association, no certificate, and zone-level AOP not on', () => {
    expect(isIdleZone(IDLE)).toBe(true);
    expect(isIdleZone({ ...IDLE, hostnames: 1 })).toBe(false);
    expect(isIdleZone({ ...IDLE, hostnameCertificates: 1 })).toBe(false);
    expect(isIdleZone({ ...IDLE, zoneLevel: { aop: true, certificates: 0 } })).toBe(false);
    expect(isIdleZone({ ...IDLE, zoneLevel: { aop: false, certificates: 1 } })).toBe(false);
    expect(isIdleZone({ ...IDLE, zoneLevel: null })).toBe(false);
    expect(isIdleZone({ ...IDLE, failed: true })).toBe(false);
  });

  it('checks an idle zone again once discover.every has passed, a little early counting as due', () => {
    const hour = 3_600_000;
    expect(zoneCheckDue(IDLE, new Date('2026-11-20T10:15:00Z'), hour)).toBe(false);
    expect(zoneCheckDue(IDLE, new Date('2026-11-20T10:59:30Z'), hour)).toBe(true);
    expect(zoneCheckDue(null, new Date('2026-11-20T10:15:00Z'), hour)).toBe(true);
    expect(zoneCheckDue({ ...IDLE, hostnames: 2 }, new Date('2026-11-20T10:15:00Z'), hour)).toBe(true);
  });
});
