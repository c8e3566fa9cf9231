/**
 * Answers "what does Cloudflare present to my origin for this hostname?". Pure: what the token
 * could read in, the certificate in effect and its severity out.
 *
 * Cloudflare's rules (cloudflare-api.md §1.1, §6.11; the OpenAPI descriptions of H1 and Z2):
 * - a per-hostname certificate takes precedence over zone-level ones;
 * - a per-hostname association with `enabled: false` stops Cloudflare from sending a client
 *   certificate to that hostname "even if activated at the zone level"; `enabled: null` voids the
 *   association, so the zone's settings decide again;
 * - with zone-level AOP on and several zone certificates active, the most recently deployed one is
 *   used (the API says `active` for all of them); expired ones are not removed;
 * - global AOP (`tls_client_auth` on) presents Cloudflare's own certificate, shared by every
 *   Cloudflare customer and rotated by Cloudflare;
 * - with none of these, no client certificate is sent, so the origin must not require one.
 */
import type { ParsedCertificate, ZoneSettingReading } from './lookup.js';
import { assessSeverity, assessZoneCertificate } from './severity.js';
import type {
  HostnameAssociation,
  Severity,
  SeverityAssessment,
  SeverityReason,
  Thresholds,
  ZoneCertificate,
} from './types.js';

/** What the token could read about one hostname and its zone. */
export interface CertificateInEffectInput {
  /** The hostname's own association (H3), or null when Cloudflare has none for it. */
  association: HostnameAssociation | null;
  /** The PEM of `association`, parsed, when there was one and it could be read. */
  associationCertificate?: ParsedCertificate | null;
  /** Zone-level AOP (`/origin_tls_client_auth/settings` `enabled`). */
  zoneLevelAop: ZoneSettingReading<boolean>;
  /** The zone-level certificates (`/origin_tls_client_auth`). */
  zoneCertificates: ZoneSettingReading<readonly ZoneCertificate[]>;
  /** Global AOP: the zone setting `tls_client_auth`. */
  tlsClientAuth: ZoneSettingReading<string>;
}

/** The certificate Cloudflare presents to the origin for one hostname. */
export type PresentedCertificate =
  | { kind: 'hostname_certificate'; association: HostnameAssociation }
  | { kind: 'zone_certificate'; certificate: ZoneCertificate }
  | { kind: 'cloudflare_certificate' }
  | { kind: 'none'; because: 'hostname_aop_disabled' | 'aop_off' }
  /** What decides it could not be read; `text` says what is known and what is not. */
  | { kind: 'undetermined'; text: string };

export interface ZoneCertificateNotInUse {
  certificate: ZoneCertificate;
  /** Plain text, e.g. "a more recently deployed zone certificate is in use". */
  because: string;
}

export interface CertificateInEffect {
  presented: PresentedCertificate;
  /** The severity of the certificate presented: what can break this hostname's origin. */
  assessment: SeverityAssessment;
  /** Zone-level certificates uploaded but not presented for this hostname, most recently deployed first. */
  notInUse: ZoneCertificateNotInUse[];
  /** Permissions the token lacks for the reads behind this answer (deduplicated), to name on the card. */
  missingPermissions: string[];
}

export interface CertificateInEffectOptions {
  thresholds: Thresholds;
  now: Date;
  timeZone: string;
  /** Parses a zone certificate's PEM; omitted, only Cloudflare's `expires_on` counts. */
  parseZoneCertificate?: (certificate: ZoneCertificate) => ParsedCertificate | null;
}

/** Association states that no longer describe anything Cloudflare does. */
const GONE_STATUSES: ReadonlySet<string> = new Set(['deleted']);

/**
 * The zone-level certificates that may be presented, most recently deployed first. Cloudflare
 * reports no deployment time, so the upload time stands in for it; a certificate without one
 * sorts last, and ids settle ties so the answer never depends on list order.
 *
 * @example activeZoneCertificatesNewestFirst([older, pending, newer]) // [newer, older]
 */
export function activeZoneCertificatesNewestFirst(
  certificates: readonly ZoneCertificate[],
): ZoneCertificate[] {
  return certificates
    .filter((certificate) => certificate.status === 'active')
    .sort(
      (a, b) =>
        (b.uploadedOn?.getTime() ?? Number.NEGATIVE_INFINITY) -
          (a.uploadedOn?.getTime() ?? Number.NEGATIVE_INFINITY) ||
        (a.certificateId ?? '').localeCompare(b.certificateId ?? ''),
    );
}

export interface ZoneCertificateUse {
  /** Zone-level AOP as read, or as the certificates repeat it when the switch was unreadable; null when unknown. */
  zoneLevelAop: boolean | null;
  inUse: ZoneCertificate | null;
  /** Every other certificate with the reason it is not presented: active ones newest first, then the rest. */
  notInUse: ZoneCertificateNotInUse[];
}

/**
 * Which zone-level certificate Cloudflare presents to hostnames without their own, given the zone
 * AOP switch and the list, and why each other one is not presented. `inUse` is null when zone-level
 * AOP is off, when no certificate is active, or when the switch could not be read and the
 * certificates do not say either.
 *
 * @example
 * zoneCertificateInUse(true, [older, newer]) // { zoneLevelAop: true, inUse: newer, notInUse: [{ certificate: older, because: '…' }] }
 */
export function zoneCertificateInUse(
  zoneLevelAop: boolean | null,
  certificates: readonly ZoneCertificate[],
): ZoneCertificateUse {
  const active = activeZoneCertificatesNewestFirst(certificates);
  // Cloudflare repeats the zone switch on every certificate; it stands in when the switch is unreadable.
  const enabled =
    zoneLevelAop ?? active.find((certificate) => certificate.zoneAopEnabled !== null)?.zoneAopEnabled ?? null;
  const inUse = enabled === true ? (active[0] ?? null) : null;
  const notInUse: ZoneCertificateNotInUse[] = [];
  for (const certificate of [...active, ...certificates.filter((item) => item.status !== 'active')]) {
    if (certificate === inUse) continue;
    notInUse.push({ certificate, because: whyNotInUse(certificate, enabled, inUse) });
  }
  return { zoneLevelAop: enabled, inUse, notInUse };
}

function whyNotInUse(
  certificate: ZoneCertificate,
  zoneLevelAop: boolean | null,
  inUse: ZoneCertificate | null,
): string {
  if (certificate.status !== 'active') return `its status is ${certificate.status ?? 'not reported'}`;
  if (zoneLevelAop === false) return 'zone-level AOP is off';
  if (zoneLevelAop === null) return 'zone-level AOP could not be read';
  return inUse === null ? 'not deployed' : 'a more recently deployed zone certificate is in use';
}

function reason(code: SeverityReason['code'], severity: Severity, text: string): SeverityReason {
  return { code, severity, text };
}

function singleReason(found: SeverityReason): SeverityAssessment {
  return { severity: found.severity, reasons: [found], effectiveExpiry: null, daysUntilExpiry: null };
}

/** Adds reasons that explain the choice without changing the severity (they are info or ok). */
function withContext(base: SeverityAssessment, context: SeverityReason[]): SeverityAssessment {
  return { ...base, reasons: [...base.reasons, ...context] };
}

/**
 * Decides which certificate Cloudflare presents to the origin for one hostname, and how worried
 * to be about it. The severity is the presented certificate's: a hostname without its own
 * association whose zone certificate expires in 3 days is critical.
 *
 * @example
 * decideCertificateInEffect(
 *   { association: null, zoneLevelAop: known(true), zoneCertificates: known([zoneCertificate]), tlsClientAuth: known('off') },
 *   { thresholds, now, timeZone: 'UTC' },
 * ); // { presented: { kind: 'zone_certificate', certificate: zoneCertificate }, assessment: { severity: 'critical', … }, … }
 */
export function decideCertificateInEffect(
  input: CertificateInEffectInput,
  options: CertificateInEffectOptions,
): CertificateInEffect {
  const missingPermissions: string[] = [];
  for (const reading of [input.zoneLevelAop, input.zoneCertificates, input.tlsClientAuth]) {
    if (reading.state === 'forbidden' && !missingPermissions.includes(reading.permission))
      missingPermissions.push(reading.permission);
  }
  const zoneCertificates = input.zoneCertificates.state === 'known' ? input.zoneCertificates.value : null;
  const zone = zoneCertificateInUse(
    input.zoneLevelAop.state === 'known' ? input.zoneLevelAop.value : null,
    zoneCertificates ?? [],
  );
  const zoneLevelAop = zone.zoneLevelAop;
  const severityOptions = { thresholds: options.thresholds, now: options.now, timeZone: options.timeZone };
  const everyZoneCertificate = (because: string): ZoneCertificateNotInUse[] =>
    [...(zone.inUse === null ? [] : [zone.inUse]), ...zone.notInUse.map((item) => item.certificate)].map(
      (certificate) => ({ certificate, because }),
    );

  const association = input.association;
  const own =
    association !== null && !GONE_STATUSES.has(association.associationStatus ?? '') ? association : null;
  if (own !== null && own.aopSwitch !== 'voided') {
    const assessment = assessSeverity(
      { kind: 'association', association: own },
      { ...severityOptions, certificate: input.associationCertificate ?? null },
    );
    if (own.aopSwitch === 'off') {
      return {
        presented: { kind: 'none', because: 'hostname_aop_disabled' },
        assessment: withContext(assessment, [
          reason(
            'no_client_certificate',
            'info',
            'Cloudflare presents no client certificate for this hostname: per-hostname AOP is disabled, which ' +
              'overrides zone-level AOP, so the origin must not require one',
          ),
        ]),
        notInUse: everyZoneCertificate('per-hostname AOP is disabled for this hostname'),
        missingPermissions,
      };
    }
    return {
      presented: { kind: 'hostname_certificate', association: own },
      assessment,
      notInUse: everyZoneCertificate('this hostname has its own certificate, which takes precedence'),
      missingPermissions,
    };
  }

  const voided: SeverityReason[] =
    own?.aopSwitch === 'voided'
      ? [
          reason(
            'voided',
            'info',
            'Per-hostname association voided (enabled: null), so the zone settings decide',
          ),
        ]
      : [];

  if (zone.inUse !== null) {
    const parsed = options.parseZoneCertificate?.(zone.inUse) ?? null;
    const assessment = assessZoneCertificate(zone.inUse, {
      ...severityOptions,
      certificate: parsed,
      notInUseBecause: null,
    });
    return {
      presented: { kind: 'zone_certificate', certificate: zone.inUse },
      assessment: withContext(assessment, voided),
      notInUse: zone.notInUse,
      missingPermissions,
    };
  }

  // Zone-level AOP may be on with a certificate the token cannot see: say so rather than guess.
  const zoneUnknown =
    (zoneLevelAop === true && zoneCertificates === null) ||
    (zoneLevelAop === null &&
      (zoneCertificates === null || zone.notInUse.some((item) => item.certificate.status === 'active')));
  if (zoneUnknown) {
    const what =
      zoneLevelAop === true
        ? 'Zone-level AOP is on, but the zone certificates could not be read'
        : 'Whether zone-level AOP is on could not be read';
    return {
      presented: {
        kind: 'undetermined',
        text: `${what}, so the certificate Cloudflare presents for this hostname is not known`,
      },
      assessment: withContext(
        singleReason(
          reason(
            'in_effect_unknown',
            'unknown',
            `${what}, so the certificate Cloudflare presents for this hostname is not known`,
          ),
        ),
        voided,
      ),
      notInUse: zone.notInUse,
      missingPermissions,
    };
  }

  const tls = input.tlsClientAuth;
  if (tls.state === 'known' && tls.value === 'on') {
    return {
      presented: { kind: 'cloudflare_certificate' },
      assessment: withContext(
        singleReason(
          reason(
            'shared_certificate',
            'ok',
            'Cloudflare presents its own shared AOP certificate (global AOP): Cloudflare rotates it, there is nothing for the team to renew',
          ),
        ),
        voided,
      ),
      notInUse: zone.notInUse,
      missingPermissions,
    };
  }
  if (tls.state === 'known') {
    return {
      presented: { kind: 'none', because: 'aop_off' },
      assessment: withContext(
        singleReason(
          reason(
            'no_client_certificate',
            'info',
            'Cloudflare presents no client certificate for this hostname (no per-hostname, zone-level or global AOP), so the origin must not require one',
          ),
        ),
        voided,
      ),
      notInUse: zone.notInUse,
      missingPermissions,
    };
  }
  const text =
    'No own or zone-level certificate applies; if `tls_client_auth` is on Cloudflare presents its shared certificate, otherwise none (the zone setting could not be read)';
  return {
    presented: { kind: 'undetermined', text },
    assessment: withContext(singleReason(reason('in_effect_unknown', 'info', text)), voided),
    notInUse: zone.notInUse,
    missingPermissions,
  };
}
