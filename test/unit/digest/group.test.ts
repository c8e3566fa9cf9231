import { describe, expect, it } from 'vitest';
import { digestItemEntryCount, groupDigestItems } from '../../../src/digest/group.js';
import type { DigestItem, ZoneFailure } from '../../../src/digest/model.js';
import {
  associationCheck,
  daysAfterSlot,
  digestInput,
  noAssociationCheck,
  unreachableCheck,
  ZONE_A,
  ZONE_B,
  zoneFailure,
} from './builders.js';

describe('groupDigestItems', () => {
  it('groups 37 hostnames behind one certificate into one item', () => {
    const hostnames = Array.from(
      { length: 37 },
      (_, index) => `h${String(index).padStart(2, '0')}.a.example`,
    );
    const checks = hostnames
      .map((hostname) =>
        associationCheck(hostname, 'critical', { certificateId: 'cert-1', expiresOn: daysAfterSlot(7) }),
      )
      .reverse();

    const { sections } = groupDigestItems(digestInput({ checks }));

    expect(sections.critical).toHaveLength(1);
    expect(sections.critical[0]).toEqual({
      kind: 'hostnames',
      section: 'critical',
      severity: 'critical',
      zone: ZONE_A,
      certificateId: 'cert-1',
      hostnames,
      reasonCode: 'expiring_critical',
      reasonText: 'Certificate expires soon',
      errorCode: null,
      expiresOn: daysAfterSlot(7),
      daysUntilExpiry: 7,
    });
  });

  it('keeps hostnames apart when the zone, the severity or the governing reason differs', () => {
    const checks = [
      associationCheck('one.a.example', 'warning', { certificateId: 'cert-1' }),
      associationCheck('two.b.example', 'warning', { certificateId: 'cert-1', zone: ZONE_B }),
      associationCheck('three.a.example', 'critical', { certificateId: 'cert-1' }),
      associationCheck('four.a.example', 'warning', {
        certificateId: 'cert-1',
        reason: { code: 'stuck_pending', text: 'Pending for 3 hours' },
      }),
    ];

    const { sections } = groupDigestItems(digestInput({ checks }));

    expect(sections.warning.map((item) => item.hostnames)).toEqual([
      ['four.a.example'],
      ['one.a.example'],
      ['two.b.example'],
    ]);
    expect(sections.critical.map((item) => item.hostnames)).toEqual([['three.a.example']]);
  });

  it('orders critical and warning items by earliest expiry, then by hostname, whatever the input order', () => {
    const checks = [
      associationCheck('late.a.example', 'critical', { expiresOn: daysAfterSlot(6) }),
      associationCheck('b-same.a.example', 'critical', { expiresOn: daysAfterSlot(2) }),
      associationCheck('no-expiry.a.example', 'critical', { expiresOn: null }),
      associationCheck('a-same.a.example', 'critical', { expiresOn: daysAfterSlot(2) }),
      associationCheck('expired.a.example', 'critical', { expiresOn: daysAfterSlot(-3) }),
      associationCheck('w2.a.example', 'warning', { expiresOn: daysAfterSlot(20) }),
      associationCheck('w1.a.example', 'warning', { expiresOn: daysAfterSlot(10) }),
    ];

    const forward = groupDigestItems(digestInput({ checks }));
    const backward = groupDigestItems(digestInput({ checks: [...checks].reverse() }));

    expect(forward.sections.critical.map((item) => item.hostnames[0])).toEqual([
      'expired.a.example',
      'a-same.a.example',
      'b-same.a.example',
      'late.a.example',
      'no-expiry.a.example',
    ]);
    expect(forward.sections.warning.map((item) => item.hostnames[0])).toEqual([
      'w1.a.example',
      'w2.a.example',
    ]);
    expect(backward).toEqual(forward);
  });

  it('lists info hostnames under disabled and only counts healthy ones', () => {
    const checks = [
      associationCheck('off.a.example', 'info', { reason: { code: 'disabled', text: 'AOP is off' } }),
      associationCheck('voided.a.example', 'info', {
        reason: { code: 'voided', text: 'Association voided' },
      }),
      noAssociationCheck('bare.a.example'),
      associationCheck('fine.a.example', 'ok'),
      associationCheck('fine2.a.example', 'ok'),
    ];

    const { sections, counts } = groupDigestItems(digestInput({ checks }));

    expect(sections.disabled.map((item) => [item.hostnames[0], item.reasonCode])).toEqual([
      ['bare.a.example', 'no_association'],
      ['off.a.example', 'disabled'],
      ['voided.a.example', 'voided'],
    ]);
    expect(sections.critical).toEqual([]);
    expect(sections.warning).toEqual([]);
    expect(sections.unknown).toEqual([]);
    expect(counts.bySeverity).toEqual({ critical: 0, warning: 0, unknown: 0, info: 3, ok: 2 });
  });

  it('reports failed zones first under unknown, with their configured hostnames, then unreachable hostnames grouped by error', () => {
    const checks = [
      unreachableCheck('t2.a.example'),
      unreachableCheck('t1.a.example'),
      unreachableCheck('n1.a.example', { errorCode: 'cloudflare_network', errorMessage: 'Connection reset' }),
      associationCheck('fine.a.example', 'ok'),
    ];
    const zoneFailures = [
      zoneFailure({ id: 'zone-d-id', name: 'd.example' }),
      zoneFailure({ id: 'zone-c-id', name: 'c.example' }, ['y.c.example', 'x.c.example']),
    ];

    const { sections, counts } = groupDigestItems(digestInput({ checks, zoneFailures, zonesTotal: 4 }));

    expect(
      sections.unknown.map((item) => ({
        kind: item.kind,
        zone: item.zone.name,
        hostnames: item.hostnames,
        reason: item.reasonText,
        errorCode: item.errorCode,
      })),
    ).toEqual([
      {
        kind: 'zone_failure',
        zone: 'c.example',
        hostnames: ['x.c.example', 'y.c.example'],
        reason: 'The API token may not read this zone',
        errorCode: 'cloudflare_forbidden',
      },
      {
        kind: 'zone_failure',
        zone: 'd.example',
        hostnames: [],
        reason: 'The API token may not read this zone',
        errorCode: 'cloudflare_forbidden',
      },
      {
        kind: 'hostnames',
        zone: 'a.example',
        hostnames: ['n1.a.example'],
        reason: 'Connection reset',
        errorCode: 'cloudflare_network',
      },
      {
        kind: 'hostnames',
        zone: 'a.example',
        hostnames: ['t1.a.example', 't2.a.example'],
        reason: 'Cloudflare did not answer within 10 s',
        errorCode: 'cloudflare_timeout',
      },
    ]);
    expect(counts).toEqual({
      bySeverity: { critical: 0, warning: 0, unknown: 3, info: 0, ok: 1 },
      hostnamesChecked: 1,
      hostnamesUnreachable: 3,
      hostnamesInFailedZones: 2,
      hostnamesNotChecked: 5,
      zonesNotListed: 1,
      zonesChecked: 2,
      zonesTotal: 4,
      zoneCertificatesBySeverity: { critical: 0, warning: 0, unknown: 0, info: 0, ok: 0 },
      zonesWithoutZoneLevel: 0,
    });
  });

  it('sorts hostnames in natural order, so web-2 comes before web-10', () => {
    const checks = ['web-10.a.example', 'web-2.a.example', 'web-1.a.example'].map((hostname) =>
      associationCheck(hostname, 'warning', { certificateId: 'shared' }),
    );

    const { sections } = groupDigestItems(digestInput({ checks }));

    expect(sections.warning[0]?.hostnames).toEqual([
      'web-1.a.example',
      'web-2.a.example',
      'web-10.a.example',
    ]);
  });

  it('keeps hostnames without a certificate id as items of their own', () => {
    const checks = [
      associationCheck('b.a.example', 'warning', { certificateId: null }),
      associationCheck('a.a.example', 'warning', { certificateId: null }),
    ];

    const { sections } = groupDigestItems(digestInput({ checks }));

    expect(sections.warning.map((item) => item.hostnames)).toEqual([['a.a.example'], ['b.a.example']]);
  });
});

describe('zone failures of one account', () => {
  const refused = (index: number): ZoneFailure => ({
    ...zoneFailure({ id: `edge-${index}-id`, name: `edge-${String(index).padStart(3, '0')}.example.org` }),
    account: 'edge',
  });

  it('makes the zones of one account failing with the same error one item, in name order', () => {
    const zoneFailures = [refused(2), refused(0), { ...refused(1), hostnames: ['www.edge-001.example.org'] }];
    const { sections, counts } = groupDigestItems(digestInput({ zoneFailures, zonesTotal: 3 }));

    expect(sections.unknown).toHaveLength(1);
    expect(sections.unknown[0]).toMatchObject({
      kind: 'zone_failure',
      zone: { name: 'edge-000.example.org' },
      errorCode: 'cloudflare_forbidden',
      hostnames: ['www.edge-001.example.org'],
      account: {
        name: 'edge',
        zones: [
          { id: 'edge-0-id', name: 'edge-000.example.org' },
          { id: 'edge-1-id', name: 'edge-001.example.org' },
          { id: 'edge-2-id', name: 'edge-002.example.org' },
        ],
      },
    });
    expect(digestItemEntryCount(sections.unknown[0] as DigestItem)).toBe(3);
    // The counts still speak of every zone.
    expect(counts.zonesNotListed).toBe(2);
    expect(counts.hostnamesInFailedZones).toBe(1);
  });

  it('keeps a lone failing zone of an account, another error, another account and a zone without an account on their own lines', () => {
    const zoneFailures: ZoneFailure[] = [
      refused(0),
      refused(1),
      { ...refused(2), errorCode: 'cloudflare_server_error', errorMessage: 'Cloudflare had a server error' },
      { ...zoneFailure({ id: 'prod-id', name: 'site.example.com' }), account: 'prod' },
      zoneFailure({ id: 'plain-id', name: 'plain.example.com' }),
    ];
    const { sections } = groupDigestItems(digestInput({ zoneFailures, zonesTotal: 5 }));

    expect(
      sections.unknown.map((item) => [item.zone.name, item.account?.zones.length ?? null, item.errorCode]),
    ).toEqual([
      ['edge-000.example.org', 2, 'cloudflare_forbidden'],
      ['edge-002.example.org', null, 'cloudflare_server_error'],
      ['plain.example.com', null, 'cloudflare_forbidden'],
      ['site.example.com', null, 'cloudflare_forbidden'],
    ]);
  });
});
