import { describe, expect, it } from 'vitest';
import {
  findReplacements,
  type ListedHostnameCertificate,
  listHostnameCertificates,
  zoneSlotsWhenFull,
} from '../../../src/domain/replacement.js';
import type { HostnameCertificate } from '../../../src/domain/types.js';
import { FITNESS_PEMS } from '../../fixtures/pem/fitness.js';

const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
const NOW = new Date('2026-11-20T12:00:00Z');
const OLD_EXPIRY = new Date('2026-12-01T12:00:00Z');
const NEW_EXPIRY = new Date('2027-12-01T12:00:00Z');

function uploaded(overrides: Partial<HostnameCertificate>): HostnameCertificate {
  return {
    zoneId: ZONE_ID,
    certificateId: 'old',
    status: 'active',
    expiresOn: OLD_EXPIRY,
    issuer: 'CN=Fixture Origin Pull CA',
    serialNumber: '4097',
    signature: 'SHA256WithRSA',
    certificatePem: null,
    uploadedOn: new Date('2026-01-02T09:00:00Z'),
    ...overrides,
  };
}

function listed(overrides: Partial<ListedHostnameCertificate>): ListedHostnameCertificate {
  return {
    certificateId: 'old',
    serialNumber: '4097',
    status: 'active',
    issuer: null,
    expiresOn: OLD_EXPIRY,
    uploadedOn: new Date('2026-01-02T09:00:00Z'),
    names: ['app.example.com', 'www.example.com'],
    associations: 30,
    findings: [],
    ...overrides,
  };
}

const OLD = listed({});
const candidate = (id: string, overrides: Partial<ListedHostnameCertificate> = {}) =>
  listed({
    certificateId: id,
    serialNumber: null,
    expiresOn: NEW_EXPIRY,
    uploadedOn: new Date('2026-11-19T09:00:00Z'),
    associations: 0,
    ...overrides,
  });

describe('listHostnameCertificates', () => {
  it('reads names, association counts and fitness from each PEM, and keeps no PEM', () => {
    const [old, fit, unfit, bare] = listHostnameCertificates(
      [
        uploaded({ certificatePem: FITNESS_PEMS.client_auth.pem }),
        uploaded({
          certificateId: 'fit',
          serialNumber: '4109',
          expiresOn: NEW_EXPIRY,
          certificatePem: FITNESS_PEMS.renewal_fit.pem,
        }),
        uploaded({
          certificateId: 'unfit',
          serialNumber: '4110',
          expiresOn: NEW_EXPIRY,
          certificatePem: FITNESS_PEMS.renewal_server_auth_only.pem,
        }),
        uploaded({ certificateId: 'bare', certificatePem: null }),
      ],
      [
        { certificateId: 'OLD', associationStatus: 'active' },
        { certificateId: 'old', associationStatus: 'pending_deployment' },
        { certificateId: 'old', associationStatus: 'deleted' },
        { certificateId: 'fit', associationStatus: 'active' },
      ],
      { now: NOW, timeZone: 'UTC' },
    );
    expect(old).toMatchObject({
      names: ['app.example.com', 'www.example.com'],
      associations: 2,
      findings: [],
    });
    expect(fit).toMatchObject({ associations: 1, findings: [] });
    expect(unfit?.findings?.map((finding) => finding.code)).toEqual(['client_auth_missing']);
    expect(bare).toMatchObject({ names: [], associations: 0, findings: null });
    expect(JSON.stringify([old, fit, unfit, bare])).not.toContain('BEGIN CERTIFICATE');
  });
});

describe('findReplacements', () => {
  it('finds a certificate no hostname uses yet, uploaded after the old one and expiring later', () => {
    expect(findReplacements({ key: '4097', id: 'old' }, [OLD, candidate('new')], new Map())).toEqual([
      {
        id: 'new',
        serialNumber: null,
        uploadedOn: new Date('2026-11-19T09:00:00Z'),
        expiresOn: NEW_EXPIRY,
        namesMatch: true,
        unfit: [],
      },
    ]);
  });

  it.each([
    ['in use by a hostname', candidate('new', { associations: 1 })],
    ['uploaded before the old one', candidate('new', { uploadedOn: new Date('2025-12-01T00:00:00Z') })],
    ['uploaded at an unknown time', candidate('new', { uploadedOn: null })],
    ['expiring no later than the old one', candidate('new', { expiresOn: OLD_EXPIRY })],
    ['being deleted', candidate('new', { status: 'pending_deletion' })],
  ])('leaves out a certificate %s', (_label, certificate) => {
    expect(findReplacements({ key: '4097', id: 'old' }, [OLD, certificate], new Map())).toEqual([]);
  });

  it('keeps a candidate whose only hostnames moved from the episode to it', () => {
    const inProgress = candidate('new', { serialNumber: '4109', associations: 12 });
    expect(
      findReplacements({ key: '4097', id: 'old' }, [OLD, inProgress], new Map([['4109', 12]])),
    ).toHaveLength(1);
    expect(findReplacements({ key: '4097', id: 'old' }, [OLD, inProgress], new Map([['4109', 11]]))).toEqual(
      [],
    );
  });

  it('ranks matching names first, then fit ones, then the newest upload, and says what makes one unfit', () => {
    const unfitFinding = {
      code: 'client_auth_missing' as const,
      text: 'Extended key usage is serverAuth only, without clientAuth',
      consequence: 'x',
    };
    const found = findReplacements(
      { key: '4097', id: 'old' },
      [
        OLD,
        candidate('elsewhere-newest', {
          names: ['other.example.net'],
          uploadedOn: new Date('2026-11-20T00:00:00Z'),
        }),
        candidate('matching-unfit', { findings: [unfitFinding] }),
        candidate('matching-older', { uploadedOn: new Date('2026-11-18T00:00:00Z') }),
        candidate('matching-newer', {
          findings: [{ code: 'expiry_mismatch', text: 'dates disagree', consequence: 'y' }],
        }),
      ],
      new Map(),
    );
    expect(found.map((item) => item.id)).toEqual([
      'matching-newer',
      'matching-older',
      'matching-unfit',
      'elsewhere-newest',
    ]);
    expect(found.find((item) => item.id === 'matching-unfit')?.unfit).toEqual([
      { code: 'client_auth_missing', text: unfitFinding.text },
    ]);
    // A date disagreement alone does not make a replacement unfit.
    expect(found[0]?.unfit).toEqual([]);
  });

  it('finds nothing when the old certificate is not in the list', () => {
    expect(findReplacements({ key: '9999', id: 'gone' }, [candidate('new')], new Map())).toEqual([]);
  });
});

describe('zoneSlotsWhenFull', () => {
  const full = (expired: number) => [
    OLD,
    ...Array.from({ length: 9 }, (_, index) =>
      listed({
        certificateId: `c${index}`,
        serialNumber: String(5000 + index),
        associations: index === 0 ? 1 : 0,
        expiresOn: index < expired ? new Date(`202${3 + index}-06-01T00:00:00Z`) : NEW_EXPIRY,
      }),
    ),
  ];

  it('is null while a slot is free, deleted certificates not counted', () => {
    expect(zoneSlotsWhenFull(full(3).slice(0, 9), { now: NOW, replacingId: 'old' })).toBeNull();
    const withDeleted = full(3).map((item, index) => (index === 9 ? { ...item, status: 'deleted' } : item));
    expect(zoneSlotsWhenFull(withDeleted, { now: NOW, replacingId: 'old' })).toBeNull();
  });

  it('names the expired certificates, oldest first, not the one being replaced', () => {
    const afterExpiry = new Date('2026-12-02T00:00:00Z');
    expect(zoneSlotsWhenFull(full(2), { now: afterExpiry, replacingId: 'old' })).toEqual({
      used: 10,
      limit: 10,
      deletable: [
        { id: 'c0', serialNumber: '5000', expiresOn: new Date('2023-06-01T00:00:00Z'), associations: 1 },
        { id: 'c1', serialNumber: '5001', expiresOn: new Date('2024-06-01T00:00:00Z'), associations: 0 },
      ],
    });
    expect(zoneSlotsWhenFull(full(0), { now: NOW, replacingId: 'old' })?.deletable).toEqual([]);
  });
});
