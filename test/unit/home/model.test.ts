import { describe, expect, it } from 'vitest';
import type { HostnameCheck } from '../../../src/digest/model.js';
import { buildHomeOverview, type HomeState } from '../../../src/home/model.js';
import type { ZoneCheckResult } from '../../../src/inventory/zone-check.js';
import { summarizeZoneCheck, type ZoneSummary } from '../../../src/inventory/zone-summary.js';
import {
  associationCheck,
  noAssociationCheck,
  unreachableCheck,
  ZONE_A,
  ZONE_B,
  zoneFailure,
} from '../digest/builders.js';
import { thread } from './builders.js';

const NOW = new Date('2026-11-26T08:00:00.000Z');
const DAY_MS = 86_400_000;

/** An association check whose certificate has `serial` (the identity alert threads use). */
function onCertificate(check: HostnameCheck, serial: string): HostnameCheck {
  if (check.observation.kind !== 'association') throw new Error('not an association');
  return {
    ...check,
    observation: {
      ...check.observation,
      association: { ...check.observation.association, serialNumber: serial },
    },
  };
}

/** The summary of a zone check, as stored beside its snapshot and read by the Home tab. */
function snapshot(
  zone = ZONE_A,
  checks: HostnameCheck[] = [],
  options: Partial<ZoneCheckResult> = {},
): ZoneSummary {
  return summarizeZoneCheck({
    zone,
    checkedAt: new Date(NOW.getTime() - 3_600_000),
    checks,
    failure: null,
    requests: 2,
    ...options,
  });
}

function state(overrides: Partial<HomeState> = {}): HomeState {
  return {
    zones: [ZONE_A],
    summaries: [],
    openThreads: [],
    digests: [],
    cloudflareBudget: null,
    ...overrides,
  };
}

describe('buildHomeOverview', () => {
  it('counts hostnames by severity, and each certificate once with the worst severity of its hostnames', () => {
    const overview = buildHomeOverview(
      state({
        summaries: [
          snapshot(ZONE_A, [
            onCertificate(associationCheck('a.example', 'critical'), 'aa'),
            onCertificate(associationCheck('b.example', 'warning'), 'aa'),
            onCertificate(associationCheck('c.example', 'ok'), 'cc'),
            noAssociationCheck('d.example'),
            unreachableCheck('e.example'),
          ]),
        ],
      }),
      NOW,
    );
    expect(overview.hostnames).toEqual({ critical: 1, warning: 1, unknown: 1, info: 1, ok: 1 });
    expect(overview.certificates).toEqual({ critical: 1, warning: 0, unknown: 0, info: 0, ok: 1 });
  });

  it('names every zone not checked: never checked, or failed at the last check; ignores zones no longer watched', () => {
    const overview = buildHomeOverview(
      state({
        zones: [ZONE_A, ZONE_B, { id: 'zone-c-id', name: null }],
        summaries: [
          snapshot(ZONE_A, [associationCheck('a.example', 'ok')]),
          snapshot(ZONE_B, [], { failure: zoneFailure(ZONE_B), checkedAt: new Date(NOW.getTime() - 60_000) }),
          snapshot(
            { id: 'zone-gone', name: 'gone.example' },
            [associationCheck('x.gone.example', 'critical')],
            {
              checkedAt: NOW,
            },
          ),
        ],
      }),
      NOW,
    );
    expect(overview.zonesTotal).toBe(3);
    expect(overview.zonesNotChecked).toEqual([
      {
        zone: ZONE_B,
        reason: 'The API token may not read this zone',
        errorCode: 'cloudflare_forbidden',
        lastCheckedAt: new Date(NOW.getTime() - 60_000),
      },
      {
        zone: { id: 'zone-c-id', name: null },
        reason: 'Not checked yet.',
        errorCode: null,
        lastCheckedAt: null,
      },
    ]);
    // The removed zone's newer snapshot neither counts nor moves the last sweep.
    expect(overview.lastSweepAt).toEqual(new Date(NOW.getTime() - 60_000));
    expect(overview.hostnames.critical).toBe(0);
  });

  it('lists open threads worst first, then soonest expiry, with whole days left', () => {
    const overview = buildHomeOverview(
      state({
        openThreads: [
          thread({
            hostnames: ['w.example'],
            severity: 'warning',
            expiresOn: new Date(NOW.getTime() + 20 * DAY_MS),
          }),
          thread({ hostnames: ['later.example'], expiresOn: new Date(NOW.getTime() + 5.5 * DAY_MS) }),
          thread({
            hostnames: ['blind.example'],
            kind: 'cannot_check',
            expiresOn: null,
            certificateKey: null,
          }),
          thread({ hostnames: ['expired.example'], expiresOn: new Date(NOW.getTime() - 2 * DAY_MS) }),
        ],
      }),
      NOW,
    );
    expect(overview.openThreads.map((entry) => [entry.hostnames[0], entry.daysLeft])).toEqual([
      ['expired.example', -2],
      ['later.example', 5],
      ['blind.example', null],
      ['w.example', 20],
    ]);
  });
});
