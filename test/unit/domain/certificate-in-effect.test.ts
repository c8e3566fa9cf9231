import { describe, expect, it } from 'vitest';
import {
  type CertificateInEffectInput,
  decideCertificateInEffect,
  zoneCertificateInUse,
} from '../../../src/domain/certificate-in-effect.js';
import type { ZoneSettingReading } from '../../../src/domain/lookup.js';
import { assessZoneCertificate } from '../../../src/domain/severity.js';
import type { HostnameAopSwitch, Severity, ZoneCertificate } from '../../../src/domain/types.js';
import { association, daysFromNow, NOW, THRESHOLDS, TIME_ZONE, zoneCertificate } from './fixtures.js';

const OPTIONS = { thresholds: THRESHOLDS, now: NOW, timeZone: TIME_ZONE };
const known = <T>(value: T): ZoneSettingReading<T> => ({ state: 'known', value });
const forbidden = <T>(permission: string): ZoneSettingReading<T> => ({ state: 'forbidden', permission });

/** Deployed earlier, healthy for 200 more days. */
const OLDER = zoneCertificate({
  certificateId: 'zone-older',
  uploadedOn: new Date('2026-01-01T00:00:00Z'),
  expiresOn: daysFromNow(200),
});
/** Deployed last, expiring in 3 days. */
const NEWER = zoneCertificate({
  certificateId: 'zone-newer',
  uploadedOn: new Date('2026-06-01T00:00:00Z'),
  expiresOn: daysFromNow(3),
});
/** Expired 10 days ago and, as Cloudflare does, never removed. */
const EXPIRED = zoneCertificate({
  certificateId: 'zone-expired',
  uploadedOn: new Date('2025-01-01T00:00:00Z'),
  expiresOn: daysFromNow(-10),
});

const ZONE_SETS: Record<string, ZoneCertificate[]> = {
  'no zone certificate': [],
  'one active (3 days)': [NEWER],
  'two active': [OLDER, NEWER],
  'one expired left behind': [EXPIRED, OLDER],
  'only an expired one': [EXPIRED],
};

type AssociationState = Exclude<HostnameAopSwitch, 'unreported'> | 'absent';

/** What each zone set presents to a hostname without its own certificate while zone-level AOP is on. */
const ZONE_ON_EXPECTATION: Record<string, [kind: string, certificateId: string | null, severity: Severity]> =
  {
    'no zone certificate': ['cloudflare_certificate', null, 'ok'],
    'one active (3 days)': ['zone_certificate', 'zone-newer', 'critical'],
    'two active': ['zone_certificate', 'zone-newer', 'critical'],
    'one expired left behind': ['zone_certificate', 'zone-older', 'ok'],
    'only an expired one': ['zone_certificate', 'zone-expired', 'critical'],
  };

function expected(
  state: AssociationState,
  zoneAop: boolean,
  set: string,
): [kind: string, certificateId: string | null, severity: Severity] {
  // The own certificate (valid for 90 more days) wins whatever the zone does.
  if (state === 'on') return ['hostname_certificate', 'own', 'ok'];
  // enabled: false overrides zone-level AOP: nothing is sent (OpenAPI, H1 description).
  if (state === 'off') return ['none', null, 'info'];
  if (!zoneAop) return ['cloudflare_certificate', null, 'ok'];
  return ZONE_ON_EXPECTATION[set] ?? ['?', null, 'unknown'];
}

function input(
  state: AssociationState,
  zoneAop: boolean,
  certificates: ZoneCertificate[],
): CertificateInEffectInput {
  return {
    association:
      state === 'absent'
        ? null
        : association({ aopSwitch: state, certificateId: 'own', expiresOn: daysFromNow(90) }),
    zoneLevelAop: known(zoneAop),
    zoneCertificates: known(certificates.map((certificate) => ({ ...certificate, zoneAopEnabled: zoneAop }))),
    tlsClientAuth: known('on'),
  };
}

const TABLE = (['on', 'off', 'voided', 'absent'] as const).flatMap((state) =>
  [true, false].flatMap((zoneAop) =>
    Object.keys(ZONE_SETS).map((set) => [state, zoneAop, set, ...expected(state, zoneAop, set)] as const),
  ),
);

describe('decideCertificateInEffect', () => {
  it.each(TABLE)(
    'association %s, zone-level AOP %s, %s → %s %s (%s)',
    (state, zoneAop, set, kind, certificateId, severity) => {
      const decided = decideCertificateInEffect(input(state, zoneAop, ZONE_SETS[set] ?? []), OPTIONS);
      const presented = decided.presented;
      const presentedId =
        presented.kind === 'zone_certificate'
          ? presented.certificate.certificateId
          : presented.kind === 'hostname_certificate'
            ? presented.association.certificateId
            : null;
      expect([presented.kind, presentedId, decided.assessment.severity]).toEqual([
        kind,
        certificateId,
        severity,
      ]);
      // Every zone certificate not presented is listed once, with why.
      const all = (ZONE_SETS[set] ?? []).map((certificate) => certificate.certificateId).sort();
      const listed = decided.notInUse.map((item) => item.certificate.certificateId);
      expect([...listed, ...(presented.kind === 'zone_certificate' ? [presentedId] : [])].sort()).toEqual(
        all,
      );
      expect(decided.notInUse.every((item) => item.because.length > 0)).toBe(true);
    },
  );

  it('says why each zone certificate is not in use', () => {
    const decided = decideCertificateInEffect(input('absent', true, [EXPIRED, OLDER, NEWER]), OPTIONS);
    expect(decided.notInUse.map((item) => [item.certificate.certificateId, item.because])).toEqual([
      ['zone-older', 'a more recently deployed zone certificate is in use'],
      ['zone-expired', 'a more recently deployed zone certificate is in use'],
    ]);
    const own = decideCertificateInEffect(input('on', true, [NEWER]), OPTIONS);
    expect(own.notInUse.map((item) => item.because)).toEqual([
      'this hostname has its own certificate, which takes precedence',
    ]);
  });

  it('makes a hostname without its own certificate critical when its zone certificate expires in 3 days', () => {
    const decided = decideCertificateInEffect(input('absent', true, [NEWER]), OPTIONS);
    expect(decided.assessment.severity).toBe('critical');
    expect(decided.assessment.daysUntilExpiry).toBe(3);
    expect(decided.assessment.reasons[0]).toMatchObject({ code: 'expiring_critical' });
  });

  it('keeps a voided association as context when the zone certificate decides', () => {
    const decided = decideCertificateInEffect(input('voided', true, [NEWER]), OPTIONS);
    expect(decided.assessment.reasons.map((reason) => reason.code)).toEqual(['expiring_critical', 'voided']);
  });

  it('presents nothing when no AOP of any level is on, and says the origin must not require a certificate', () => {
    const decided = decideCertificateInEffect(
      { ...input('absent', false, [OLDER]), tlsClientAuth: known('off') },
      OPTIONS,
    );
    expect(decided.presented).toEqual({ kind: 'none', because: 'aop_off' });
    expect(decided.assessment.severity).toBe('info');
    expect(decided.assessment.reasons[0]?.text).toContain('the origin must not require one');
    expect(decided.notInUse.map((item) => item.because)).toEqual(['zone-level AOP is off']);
  });

  it('ignores pending zone certificates and a deleted association', () => {
    const pending = zoneCertificate({
      certificateId: 'zone-pending',
      status: 'pending_deployment',
      uploadedOn: new Date('2026-11-01T00:00:00Z'),
    });
    const decided = decideCertificateInEffect(
      {
        ...input('absent', true, [OLDER, pending]),
        association: association({ associationStatus: 'deleted', certificateId: 'own' }),
      },
      OPTIONS,
    );
    expect(decided.presented).toMatchObject({
      kind: 'zone_certificate',
      certificate: { certificateId: 'zone-older' },
    });
    expect(decided.notInUse.map((item) => [item.certificate.certificateId, item.because])).toEqual([
      ['zone-pending', 'its status is pending_deployment'],
    ]);
  });

  describe('a token without a permission', () => {
    it('gets the rest and is told which permission would show the zone settings', () => {
      const decided = decideCertificateInEffect(
        { ...input('absent', false, []), tlsClientAuth: forbidden('Zone Settings Read') },
        OPTIONS,
      );
      expect(decided.presented.kind).toBe('undetermined');
      expect(decided.assessment.severity).toBe('info');
      expect(decided.missingPermissions).toEqual(['Zone Settings Read']);
    });

    it('is unknown when zone-level AOP is on but the zone certificates cannot be read', () => {
      const decided = decideCertificateInEffect(
        {
          ...input('absent', true, []),
          zoneCertificates: forbidden('SSL and Certificates Read'),
        },
        OPTIONS,
      );
      expect(decided.presented.kind).toBe('undetermined');
      expect(decided.assessment.severity).toBe('unknown');
      expect(decided.missingPermissions).toEqual(['SSL and Certificates Read']);
    });

    it('reads zone-level AOP from the certificates when the switch itself is unreadable', () => {
      const decided = decideCertificateInEffect(
        { ...input('absent', true, [NEWER]), zoneLevelAop: forbidden('SSL and Certificates Read') },
        OPTIONS,
      );
      expect(decided.presented).toMatchObject({ kind: 'zone_certificate' });
      expect(decided.assessment.severity).toBe('critical');
    });

    it('still answers from the own certificate when only the zone reads are refused', () => {
      const decided = decideCertificateInEffect(
        {
          ...input('on', true, []),
          zoneLevelAop: forbidden('SSL and Certificates Read'),
          zoneCertificates: forbidden('SSL and Certificates Read'),
        },
        OPTIONS,
      );
      expect(decided.presented.kind).toBe('hostname_certificate');
      expect(decided.missingPermissions).toEqual(['SSL and Certificates Read']);
    });
  });
});

describe('zoneCertificateInUse', () => {
  it('picks the most recently deployed active certificate, whatever the list order', () => {
    expect(zoneCertificateInUse(true, [NEWER, OLDER]).inUse?.certificateId).toBe('zone-newer');
    expect(zoneCertificateInUse(true, [OLDER, NEWER]).inUse?.certificateId).toBe('zone-newer');
    expect(zoneCertificateInUse(false, [OLDER, NEWER]).inUse).toBeNull();
  });
});

describe('assessZoneCertificate', () => {
  it('rates the zone certificate in use like any certificate, and caps one not in use at info', () => {
    const inUse = assessZoneCertificate(EXPIRED, { ...OPTIONS, notInUseBecause: null });
    expect(inUse.severity).toBe('critical');
    expect(inUse.reasons[0]).toMatchObject({ code: 'expired' });
    const leftBehind = assessZoneCertificate(EXPIRED, {
      ...OPTIONS,
      notInUseBecause: 'a more recently deployed zone certificate is in use',
    });
    expect(leftBehind.severity).toBe('info');
    expect(leftBehind.reasons.map((reason) => [reason.code, reason.severity])).toEqual([
      ['not_in_use', 'info'],
      ['expired', 'info'],
    ]);
    expect(leftBehind.effectiveExpiry).toEqual(daysFromNow(-10));
  });

  it('flags a zone certificate whose deployment timed out', () => {
    const failed = zoneCertificate({ status: 'deployment_timed_out' });
    expect(assessZoneCertificate(failed, { ...OPTIONS, notInUseBecause: null }).severity).toBe('critical');
  });
});
