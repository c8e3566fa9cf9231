import { describe, expect, it } from 'vitest';
import { buildZonePlans } from '../../../src/inventory/plan.js';
import type { WatchEntry } from '../../../src/inventory/watch-store.js';

const watched = (hostname: string, zoneId: string, zoneName: string | null = null): WatchEntry => ({
  hostname,
  zoneId,
  zoneName,
  addedBy: 'U0ONCALL',
  addedAt: '2026-11-20T12:00:00.000Z',
});

describe('buildZonePlans', () => {
  it('merges hostnames added with watch into the configured zone they belong to, once', () => {
    const plans = buildZonePlans(
      [{ id: 'zone-a', name: 'a.example', hostnames: ['app.a.example'] }],
      [watched('api.a.example', 'zone-a'), watched('app.a.example', 'zone-a')],
      [],
    );

    expect(plans).toEqual([
      {
        zone: { id: 'zone-a', name: 'a.example' },
        discoverAll: false,
        hostnames: ['app.a.example', 'api.a.example'],
        ignored: [],
      },
    ]);
  });

  it('gives a watched hostname in a zone the config does not list a plan of its own', () => {
    const plans = buildZonePlans([], [watched('shop.other.org', 'zone-o', 'other.org')], []);

    expect(plans).toEqual([
      {
        zone: { id: 'zone-o', name: 'other.org' },
        discoverAll: false,
        hostnames: ['shop.other.org'],
        ignored: [],
      },
    ]);
  });

  it('discovers a zone configured without hostnames and carries the unwatched names to skip', () => {
    const plans = buildZonePlans(
      [{ id: 'zone-a', name: 'a.example', hostnames: null }],
      [],
      new Set(['old.a.example']),
    );

    expect(plans).toEqual([
      {
        zone: { id: 'zone-a', name: 'a.example' },
        discoverAll: true,
        hostnames: [],
        ignored: ['old.a.example'],
      },
    ]);
  });

  it('does not change the config it was given', () => {
    const zones = [{ id: 'zone-a', name: 'a.example', hostnames: ['app.a.example'] }];
    buildZonePlans(zones, [watched('api.a.example', 'zone-a')], []);
    expect(zones[0]?.hostnames).toEqual(['app.a.example']);
  });
});
