import { describe, expect, it } from 'vitest';
import type { RouteConfig } from '../../../src/config/types.js';
import type { ZoneLevelCheck } from '../../../src/digest/model.js';
import { routerFromConfig, sliceForRoute, zoneThresholdsFor } from '../../../src/inventory/routing.js';
import {
  associationCheck,
  digestInput,
  ZONE_A,
  ZONE_B,
  zoneCertificateCheck,
  zoneFailure,
} from '../digest/builders.js';

/** A route's digest holds its own hostnames, and zone-level facts only of the zones it can own hostnames in. */

function route(name: string, match: RouteConfig['match']): RouteConfig {
  return {
    name,
    match,
    alertsChannel: null,
    mentionOnCritical: '',
    digest: { channels: [], schedule: '0 9 * * *', timeZone: 'Europe/Berlin' },
    thresholds: { warningDays: 30, criticalDays: 7, stuckPendingMinutes: 120 },
  };
}

const router = routerFromConfig({
  zones: [
    { id: ZONE_A.id, name: ZONE_A.name, hostnames: null },
    { id: ZONE_B.id, name: ZONE_B.name, hostnames: null },
  ],
  routes: [
    route('web-a', { zones: null, hostnames: ['*.a.example'] }),
    route('zone-b', { zones: [ZONE_B.name ?? ''], hostnames: null }),
  ],
});

const quota = {
  certificatesUsed: 10,
  certificatesLimit: 10,
  largestAssociationCount: 1,
  largestAssociationCertificateId: null,
  associationsLimit: 100,
};
const levelFailure = (zone: typeof ZONE_A): Extract<ZoneLevelCheck, { state: 'not_checked' }> => ({
  state: 'not_checked',
  zone,
  errorCode: 'cloudflare_forbidden',
  errorMessage: 'no permission',
  permission: 'SSL and Certificates Read',
});

describe('sliceForRoute', () => {
  const whole = digestInput({
    checks: [
      associationCheck('www.a.example', 'warning'),
      associationCheck('www.b.example', 'warning', { zone: ZONE_B }),
    ],
    zoneFailures: [zoneFailure(ZONE_A), zoneFailure(ZONE_B)],
    zoneCertificates: [zoneCertificateCheck('critical'), zoneCertificateCheck('critical', { zone: ZONE_B })],
    zoneLevelFailures: [levelFailure(ZONE_A), levelFailure(ZONE_B)],
    zoneQuotas: [
      { zone: ZONE_A, quota },
      { zone: ZONE_B, quota },
    ],
  });

  it("keeps a glob-only route's hostnames and the zone-level facts of the zones its globs reach", () => {
    const slice = sliceForRoute(router, 'web-a', whole);
    expect(slice.checks.map((check) => check.hostname)).toEqual(['www.a.example']);
    expect(slice.zoneFailures.map((failure) => failure.zone.id)).toEqual([ZONE_A.id]);
    expect(slice.zoneCertificates?.map((entry) => entry.zone.id)).toEqual([ZONE_A.id]);
    expect(slice.zoneLevelFailures?.map((entry) => entry.zone.id)).toEqual([ZONE_A.id]);
    expect(slice.zoneQuotas?.map((entry) => entry.zone.id)).toEqual([ZONE_A.id]);
  });

  it("keeps a zone route's zone-level facts of its zone only", () => {
    const slice = sliceForRoute(router, 'zone-b', whole);
    expect(slice.checks.map((check) => check.hostname)).toEqual(['www.b.example']);
    expect(slice.zoneCertificates?.map((entry) => entry.zone.id)).toEqual([ZONE_B.id]);
    expect(slice.zoneQuotas?.map((entry) => entry.zone.id)).toEqual([ZONE_B.id]);
  });

  it('leaves out zone-level parts the run did not have', () => {
    const slice = sliceForRoute(router, 'zone-b', { checks: [], zoneFailures: [] });
    expect(Object.keys(slice).sort()).toEqual(['checks', 'zoneFailures']);
  });
});

describe('zoneThresholdsFor', () => {
  it("uses the thresholds of the route taking the whole zone, else the top level's", () => {
    const top = { warningDays: 20, criticalDays: 5, stuckPendingMinutes: 60 };
    const thresholds = zoneThresholdsFor(router, top);
    expect(thresholds(ZONE_B)).toEqual({ warningDays: 30, criticalDays: 7, stuckPendingMinutes: 120 });
    // web-a only names hostnames: zone A's own certificates are the top level's.
    expect(thresholds(ZONE_A)).toEqual(top);
  });
});
