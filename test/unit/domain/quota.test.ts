import { describe, expect, it } from 'vitest';
import { describeZoneQuota, isQuotaExhausted, zoneQuota } from '../../../src/domain/quota.js';

const active = { status: 'active' };

function associations(certificateId: string, count: number, associationStatus = 'active') {
  return Array.from({ length: count }, () => ({ certificateId, associationStatus }));
}

describe('zoneQuota', () => {
  it('counts certificates, expired ones included, and the busiest certificate', () => {
    const quota = zoneQuota(
      [active, { status: 'active' }, { status: 'pending_deletion' }, { status: 'deleted' }],
      [...associations('c2', 30), ...associations('c1', 30), ...associations('c3', 40, 'deleted')],
    );
    expect(quota).toEqual({
      certificatesUsed: 3,
      certificatesLimit: 10,
      largestAssociationCount: 30,
      // A tie goes to the smaller id, whatever the list order.
      largestAssociationCertificateId: 'c1',
      associationsLimit: 100,
    });
    expect(describeZoneQuota(quota)).toBe(
      '3 of 10 hostname certificates · 30 of 100 associations on one certificate',
    );
    expect(isQuotaExhausted(quota)).toBe(false);
  });

  it('says when a zone has no slot for a replacement, or a certificate is full', () => {
    const noSlot = zoneQuota(Array(10).fill(active), associations('c1', 5));
    expect(describeZoneQuota(noSlot)).toBe(
      '10 of 10 hostname certificates (no slot for a replacement) · 5 of 100 associations on one certificate',
    );
    expect(isQuotaExhausted(noSlot)).toBe(true);
    const fullCertificate = zoneQuota([active], associations('c1', 100));
    expect(describeZoneQuota(fullCertificate)).toContain('100 of 100 associations on one certificate (full)');
    expect(isQuotaExhausted(fullCertificate)).toBe(true);
  });

  it('is zero for an empty zone', () => {
    expect(zoneQuota([], [])).toMatchObject({ certificatesUsed: 0, largestAssociationCount: 0 });
  });
});
