/**
 * Zone snapshots and zone-check job results stored by the previous release have no `zoneLevel`
 * (zone-level certificates were not checked then). They stay readable: the digest, `/metrics` and
 * `list` show their hostnames as before, and simply nothing at zone level.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { digestInputFromRun } from '../../../src/digest/input.js';
import type { RunPayload } from '../../../src/inventory/run.js';
import type { ZoneCheckResult } from '../../../src/inventory/zone-check.js';
import { gaugeRowsOf } from '../../../src/inventory/zone-summary.js';
import { certificateGaugeExposition } from '../../../src/observability/hostname-gauges.js';
import {
  deserializeZoneCheck,
  reviveZoneCheck,
  serializeZoneCheck,
} from '../../../src/queue/serialization.js';
import { renderDigest } from '../../../src/render/digest.js';

const OLD_SNAPSHOT = readFileSync(
  new URL('../../fixtures/state/zone-snapshot-before-zone-level.json', import.meta.url),
  'utf8',
);
const NOW = new Date('2026-11-20T12:01:00.000Z');

function payload(): RunPayload {
  return {
    purpose: 'digest',
    slotId: 'digest-slot-1',
    slotTimeMs: NOW.getTime(),
    startedAtMs: NOW.getTime(),
    lateByMs: 0,
    trigger: 'on_demand',
    channel: 'C1',
    zonesTotal: 1,
    plans: [],
  };
}

/** The old snapshot with one zone-level certificate in use, as a current check would store it. */
function withZoneCertificate(
  old: ZoneCheckResult,
  { uploadedOn, severity }: { uploadedOn: Date | null; severity: 'critical' | 'warning' },
): ZoneCheckResult {
  return {
    ...old,
    zoneLevel: {
      state: 'checked',
      zoneLevelAop: true,
      certificates: [
        {
          zone: old.zone,
          certificate: {
            zoneId: old.zone.id,
            certificateId: 'zone-1',
            status: 'active',
            zoneAopEnabled: true,
            expiresOn: new Date('2026-11-23T00:00:00.000Z'),
            issuer: null,
            signature: null,
            certificatePem: null,
            uploadedOn,
          },
          inUse: true,
          assessment: {
            severity,
            reasons: [],
            effectiveExpiry: new Date('2026-11-23T00:00:00.000Z'),
            daysUntilExpiry: 2,
          },
        },
      ],
    },
  };
}

describe('state stored before zone-level certificates were checked', () => {
  it('is read from a snapshot and a job result alike, with its dates revived', () => {
    for (const result of [deserializeZoneCheck(OLD_SNAPSHOT), reviveZoneCheck(JSON.parse(OLD_SNAPSHOT))]) {
      expect(result.zoneLevel).toBeUndefined();
      expect(result.checks[0]?.assessment.effectiveExpiry).toEqual(new Date('2026-11-23T12:00:00.000Z'));
    }
  });

  it('still makes the same digest: its hostname is listed and no zone line is invented', () => {
    const input = digestInputFromRun(
      { payload: payload(), results: [deserializeZoneCheck(OLD_SNAPSHOT)] },
      { timeZone: 'UTC', now: NOW, nextDigestAt: null },
    );
    expect(input.zoneCertificates).toEqual([]);
    expect(input.zoneLevelFailures).toEqual([]);
    const { kind, messages } = renderDigest(input);
    expect(kind).toBe('attention');
    const text = JSON.stringify(messages);
    expect(text).toContain('app.example.com');
    expect(text).not.toContain('Zone certificates:');
    expect(text).not.toContain('zone certificate');
  });

  it('exports its hostname gauges at hostname level', () => {
    const exported = [...certificateGaugeExposition([gaugeRowsOf(deserializeZoneCheck(OLD_SNAPSHOT))])].join(
      '',
    );
    expect(exported).toContain(
      'aop_hostname_severity{zone="example.com",hostname="app.example.com",level="hostname",certificate_id="2458ce5a-0c35-4c7f-82c7-8e9487d3ff60",route="",account="default"} 4',
    );
  });

  it('round-trips a new snapshot with zone-level certificates, their upload time revived', () => {
    const old = deserializeZoneCheck(OLD_SNAPSHOT);
    const uploadedOn = new Date('2026-06-01T00:00:00.000Z');
    const withZoneLevel = withZoneCertificate(old, { uploadedOn, severity: 'critical' });
    const read = deserializeZoneCheck(serializeZoneCheck(withZoneLevel));
    expect(read).toEqual(withZoneLevel);
  });
});

describe('per-certificate gauges', () => {
  it('include zone-level certificates with level="zone"', () => {
    const old = deserializeZoneCheck(OLD_SNAPSHOT);
    const exported = [
      ...certificateGaugeExposition([
        gaugeRowsOf(withZoneCertificate(old, { uploadedOn: null, severity: 'warning' })),
      ]),
    ].join('');
    expect(exported).toContain(
      'aop_certificate_expiry_timestamp_seconds{zone="example.com",hostname="",level="zone",certificate_id="zone-1",route="",account="default"} 1795392000',
    );
    expect(exported).toContain('level="zone",certificate_id="zone-1",route="",account="default"} 3');
  });
});
