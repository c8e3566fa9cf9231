/**
 * Builders for domain and lookup values with overridable defaults, shared by the domain and
 * render tests. The clock is fixed: every test reads NOW, never the real time.
 */
import { decideCertificateInEffect } from '../../../src/domain/certificate-in-effect.js';
import type { LookupResult, ParsedCertificate, ZoneSwitches } from '../../../src/domain/lookup.js';
import { assessSeverity } from '../../../src/domain/severity.js';
import type {
  HostnameAssociation,
  HostnameObservation,
  Thresholds,
  ZoneCertificate,
} from '../../../src/domain/types.js';

/** Thursday 2026-11-26 09:00 in Europe/Berlin (CET, UTC+1). */
export const NOW = new Date('2026-11-26T08:00:00.000Z');
export const TIME_ZONE = 'Europe/Berlin';
export const DAY_MS = 86_400_000;
export const MINUTE_MS = 60_000;
export const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
export const THRESHOLDS: Thresholds = { warningDays: 30, criticalDays: 7, stuckPendingMinutes: 120 };

/** An instant `days` 24-hour periods (plus `extraMs`) after NOW. */
export function daysFromNow(days: number, extraMs = 0): Date {
  return new Date(NOW.getTime() + days * DAY_MS + extraMs);
}

export function association(overrides: Partial<HostnameAssociation> = {}): HostnameAssociation {
  return {
    hostname: 'app.example.com',
    zoneId: ZONE_ID,
    aopSwitch: 'on',
    associationStatus: 'active',
    certificateStatus: 'active',
    certificateId: '2458ce5a-0c35-4c7f-82c7-8e9487d3ff60',
    expiresOn: daysFromNow(90),
    issuer: 'CN=Example Origin CA, O=Example',
    serialNumber: '6743787633689793699141714808227354901',
    signature: 'SHA256WithRSA',
    certificatePem: null,
    associationCreatedAt: new Date('2026-01-01T10:00:00.000Z'),
    associationUpdatedAt: new Date('2026-01-01T10:05:00.000Z'),
    certificateUploadedOn: new Date('2026-01-01T09:55:00.000Z'),
    certificateUpdatedAt: new Date('2026-01-01T10:00:00.000Z'),
    ...overrides,
  };
}

export function zoneCertificate(overrides: Partial<ZoneCertificate> = {}): ZoneCertificate {
  return {
    zoneId: ZONE_ID,
    certificateId: '7e0b1c9a-3d2f-4b8e-a6c5-1f9d8e7a6b5c',
    status: 'active',
    zoneAopEnabled: true,
    expiresOn: daysFromNow(200),
    issuer: 'CN=Example Zone CA',
    signature: 'SHA256WithRSA',
    certificatePem: null,
    uploadedOn: new Date('2026-03-01T00:00:00.000Z'),
    ...overrides,
  };
}

export function associationObservation(overrides: Partial<HostnameAssociation> = {}): HostnameObservation {
  return { kind: 'association', association: association(overrides) };
}

export function parsedCertificate(overrides: Partial<ParsedCertificate> = {}): ParsedCertificate {
  return {
    subject: 'CN=app.example.com, O=Example Origin Pull',
    issuer: 'CN=Example Origin CA, O=Example',
    subjectAltNames: ['app.example.com', 'www.example.com'],
    serialNumberHex: '0A1B2C3D4E5F',
    validFrom: daysFromNow(-275),
    validTo: daysFromNow(90),
    sha256Fingerprint:
      '53:0A:D1:79:FA:83:C8:51:A3:20:07:66:27:FD:11:61:5C:DA:C2:DA:30:7E:D0:A5:94:73:40:A6:B6:33:8A:BB',
    ...overrides,
  };
}

/**
 * A lookup result whose certificate in effect and assessment are computed as the lookup service
 * does, from the observation and the zone switches (default: `tls_client_auth` on, zone-level AOP
 * off, no zone certificates).
 */
export function lookupResult(
  observation: HostnameObservation,
  overrides: Partial<Omit<LookupResult, 'observation' | 'assessment' | 'inEffect'>> = {},
): LookupResult {
  const certificate = overrides.certificate ?? null;
  const hostname =
    overrides.hostname ??
    (observation.kind === 'association' ? observation.association.hostname : observation.hostname);
  const zoneSwitches: ZoneSwitches =
    overrides.zoneSwitches === undefined || overrides.zoneSwitches === null
      ? {
          tlsClientAuth: { state: 'known', value: 'on' },
          zoneLevelAop: { state: 'known', value: false },
          zoneCertificates: { state: 'known', value: [] },
        }
      : overrides.zoneSwitches;
  const inEffect = decideCertificateInEffect(
    {
      association: observation.kind === 'association' ? observation.association : null,
      associationCertificate: certificate,
      ...zoneSwitches,
    },
    { thresholds: THRESHOLDS, now: NOW, timeZone: TIME_ZONE, parseZoneCertificate: () => certificate },
  );
  return {
    hostname,
    zone: { id: ZONE_ID, name: 'example.com' },
    zoneSource: 'inventory',
    checkedAt: NOW,
    observation,
    inEffect,
    // A failed check has no certificate in effect to rate; the card shows the failure itself.
    assessment:
      observation.kind === 'unreachable'
        ? assessSeverity(observation, { thresholds: THRESHOLDS, now: NOW, timeZone: TIME_ZONE })
        : inEffect.assessment,
    certificate,
    certificateParseError: null,
    zoneSwitches,
    ...overrides,
  };
}
