import { describe, expect, it } from 'vitest';
import {
  joinAssociationsWithCertificates,
  parseCloudflareTimestamp,
  toAopSwitch,
  toHostnameAssociation,
  toZoneCertificate,
} from '../../../src/cloudflare/mapping.js';

const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';

describe('parseCloudflareTimestamp', () => {
  it.each([
    ['2100-01-01T05:20:00Z', '2100-01-01T05:20:00.000Z'],
    ['2019-10-28T18:11:23.37411Z', '2019-10-28T18:11:23.374Z'],
    ['2014-01-01T05:20:00.12345Z', '2014-01-01T05:20:00.123Z'],
    ['2026-06-01T00:00:00.123456789Z', '2026-06-01T00:00:00.123Z'],
    ['2026-06-01T00:00:00.5Z', '2026-06-01T00:00:00.500Z'],
    ['2026-06-01t00:00:00z', '2026-06-01T00:00:00.000Z'],
    ['2026-06-01T02:00:00+02:00', '2026-06-01T00:00:00.000Z'],
    ['2026-05-31T19:30:00.25-04:30', '2026-06-01T00:00:00.250Z'],
    ['2014-01-01 05:20:00 +0000 UTC', '2014-01-01T05:20:00.000Z'],
    ['2026-06-01T00:00:00', '2026-06-01T00:00:00.000Z'],
    ['2016-12-31T23:59:60Z', '2016-12-31T23:59:59.000Z'],
  ])('reads %s as %s', (input, expected) => {
    expect(parseCloudflareTimestamp(input)?.toISOString()).toBe(expected);
  });

  it.each([
    ['an impossible day', '2026-02-30T00:00:00Z'],
    ['month 13', '2026-13-01T00:00:00Z'],
    ['hour 24', '2026-01-01T24:00:00Z'],
    ['a date without a time', '2026-01-01'],
    ['free text', 'next tuesday'],
    ['an empty string', ''],
    ['trailing garbage', '2026-01-01T00:00:00Zjunk'],
  ])('gives null for %s', (_label, input) => {
    expect(parseCloudflareTimestamp(input)).toBeNull();
  });

  it('gives null for a missing value', () => {
    expect(parseCloudflareTimestamp(undefined)).toBeNull();
    expect(parseCloudflareTimestamp(null)).toBeNull();
  });
});

describe('toAopSwitch', () => {
  it('maps true, false, null and absent onto on, off, voided and unreported', () => {
    expect([toAopSwitch(true), toAopSwitch(false), toAopSwitch(null), toAopSwitch(undefined)]).toEqual([
      'on',
      'off',
      'voided',
      'unreported',
    ]);
  });
});

describe('toHostnameAssociation', () => {
  it('maps every field of a full hostname status', () => {
    expect(
      toHostnameAssociation(
        {
          hostname: 'app.example.com',
          cert_id: '2458ce5a-0c35-4c7f-82c7-8e9487d3ff60',
          enabled: true,
          status: 'active',
          cert_status: 'pending_deployment',
          created_at: '2025-01-01T00:00:00Z',
          updated_at: '2025-01-02T00:00:00.5Z',
          cert_uploaded_on: '2024-12-31T00:00:00Z',
          cert_updated_at: '2025-01-03T00:00:00Z',
          certificate: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
          expires_on: '2026-01-01T00:00:00Z',
          issuer: 'CN=Example CA',
          serial_number: '12345',
          signature: 'SHA256WithRSA',
        },
        ZONE_ID,
        'app.example.com',
      ),
    ).toEqual({
      hostname: 'app.example.com',
      zoneId: ZONE_ID,
      aopSwitch: 'on',
      associationStatus: 'active',
      certificateStatus: 'pending_deployment',
      certificateId: '2458ce5a-0c35-4c7f-82c7-8e9487d3ff60',
      expiresOn: new Date('2026-01-01T00:00:00Z'),
      issuer: 'CN=Example CA',
      serialNumber: '12345',
      signature: 'SHA256WithRSA',
      certificatePem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
      associationCreatedAt: new Date('2025-01-01T00:00:00Z'),
      associationUpdatedAt: new Date('2025-01-02T00:00:00.500Z'),
      certificateUploadedOn: new Date('2024-12-31T00:00:00Z'),
      certificateUpdatedAt: new Date('2025-01-03T00:00:00Z'),
    });
  });

  it('fills the requested hostname and nulls when Cloudflare reports nothing', () => {
    expect(toHostnameAssociation({}, ZONE_ID, 'bare.example.com')).toEqual({
      hostname: 'bare.example.com',
      zoneId: ZONE_ID,
      aopSwitch: 'unreported',
      associationStatus: null,
      certificateStatus: null,
      certificateId: null,
      expiresOn: null,
      issuer: null,
      serialNumber: null,
      signature: null,
      certificatePem: null,
      associationCreatedAt: null,
      associationUpdatedAt: null,
      certificateUploadedOn: null,
      certificateUpdatedAt: null,
    });
  });

  it('reads enabled: null as a voided association and an unparseable expiry as null', () => {
    const association = toHostnameAssociation(
      { enabled: null, expires_on: 'soon', issuer: '  ' },
      ZONE_ID,
      'a.example.com',
    );
    expect(association.aopSwitch).toBe('voided');
    expect(association.expiresOn).toBeNull();
    expect(association.issuer).toBeNull();
  });

  it('keeps an unknown future status as it is', () => {
    expect(toHostnameAssociation({ status: 'quarantined' }, ZONE_ID, 'a.example.com').associationStatus).toBe(
      'quarantined',
    );
  });
});

describe('joinAssociationsWithCertificates', () => {
  const certificates = [
    {
      id: 'AAAAAAAA-0000-4000-8000-000000000001',
      status: 'active',
      expires_on: '2026-09-01T00:00:00.123456Z',
      issuer: 'CN=One',
      serial_number: '1',
      signature: 'SHA256WithRSA',
      certificate: 'PEM-1',
      uploaded_on: '2025-09-01T00:00:00Z',
    },
    {
      id: 'aaaaaaaa-0000-4000-8000-000000000002',
      status: 'pending_deletion',
      expires_on: '2027-01-01T00:00:00Z',
    },
  ];

  it('takes the association status from the row and the certificate facts from the certificate', () => {
    const [first] = joinAssociationsWithCertificates(
      [
        {
          hostname: 'a.example.com',
          cert_id: 'aaaaaaaa-0000-4000-8000-000000000001',
          enabled: false,
          status: 'pending_deployment',
          created_at: '2025-01-01T00:00:00Z',
          updated_at: '2025-02-01T00:00:00Z',
        },
      ],
      certificates,
      ZONE_ID,
    );
    expect(first).toEqual({
      hostname: 'a.example.com',
      zoneId: ZONE_ID,
      aopSwitch: 'off',
      associationStatus: 'pending_deployment',
      certificateStatus: 'active',
      certificateId: 'aaaaaaaa-0000-4000-8000-000000000001',
      expiresOn: new Date('2026-09-01T00:00:00.123Z'),
      issuer: 'CN=One',
      serialNumber: '1',
      signature: 'SHA256WithRSA',
      certificatePem: 'PEM-1',
      associationCreatedAt: new Date('2025-01-01T00:00:00Z'),
      associationUpdatedAt: new Date('2025-02-01T00:00:00Z'),
      certificateUploadedOn: new Date('2025-09-01T00:00:00Z'),
      certificateUpdatedAt: null,
    });
  });

  it('keeps a row whose certificate is missing, with null certificate facts, and skips rows without a hostname', () => {
    const joined = joinAssociationsWithCertificates(
      [
        { hostname: 'b.example.com', cert_id: 'aaaaaaaa-0000-4000-8000-000000000002', enabled: null },
        { hostname: 'c.example.com', cert_id: 'ffffffff-0000-4000-8000-000000000009', enabled: true },
        { cert_id: 'aaaaaaaa-0000-4000-8000-000000000002', enabled: true },
      ],
      certificates,
      ZONE_ID,
    );
    expect(
      joined.map((row) => [
        row.hostname,
        row.aopSwitch,
        row.certificateStatus,
        row.expiresOn?.toISOString() ?? null,
      ]),
    ).toEqual([
      ['b.example.com', 'voided', 'pending_deletion', '2027-01-01T00:00:00.000Z'],
      ['c.example.com', 'on', null, null],
    ]);
    expect(joined[1]?.certificateId).toBe('ffffffff-0000-4000-8000-000000000009');
  });
});

describe('toZoneCertificate', () => {
  it('maps a zone-level certificate row, keeping what is missing as null', () => {
    expect(
      toZoneCertificate(
        {
          id: 'z1',
          enabled: false,
          status: 'active',
          expires_on: '2027-01-01T05:20:00.12345Z',
          uploaded_on: '2026-01-01T00:00:00Z',
          issuer: '  ',
        },
        'zone-1',
      ),
    ).toEqual({
      zoneId: 'zone-1',
      certificateId: 'z1',
      status: 'active',
      zoneAopEnabled: false,
      expiresOn: new Date('2027-01-01T05:20:00.123Z'),
      issuer: null,
      signature: null,
      certificatePem: null,
      uploadedOn: new Date('2026-01-01T00:00:00Z'),
    });
    expect(toZoneCertificate({}, 'zone-1')).toMatchObject({ certificateId: null, zoneAopEnabled: null });
  });
});
