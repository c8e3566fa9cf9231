/**
 * What the readers of stored state need from a zone's last check, stored beside the full snapshot
 * when it is written so that none of them parses every hostname's record (at 100,000 hostnames the
 * snapshots are about 90 MB):
 * - a summary, a few numbers per zone: the App Home overview (counts, zones not checked),
 *   `/aop-status zones` and the budget planner (the zone's use);
 * - its gauge rows, one short row per certificate series: `/metrics` (one series per hostname
 *   and per zone-level certificate), about a tenth of the snapshot.
 * Pure.
 */
import type { HostnameCheck } from '../digest/model.js';
import type { ZoneUseReading } from '../domain/discovery.js';
import type { ZoneQuota } from '../domain/quota.js';
import { worstSeverity } from '../domain/severity.js';
import { SEVERITIES, type Severity, type ZoneRef } from '../domain/types.js';
import { type ZoneCheckResult, zoneUseOf } from './zone-check.js';

/**
 * One certificate gauge series: its labels that come from the check and its two values. `zone` is
 * left out when it is the summary's own zone (it always is for checks this release makes).
 */
export type CertificateGaugeRow = readonly [
  hostname: string,
  certificateId: string,
  /** `aop_certificate_expiry_timestamp_seconds`; null: no series (nothing known expires). */
  expiresAtSeconds: number | null,
  severity: Severity,
  zone?: ZoneRef,
];

export interface ZoneSummary {
  zone: ZoneRef;
  checkedAt: Date;
  failure: { errorCode: string; errorMessage: string } | null;
  /** What `zoneUseOf` reads from the full check: hostnames, certificates uploaded, zone level. */
  use: ZoneUseReading;
  /**
   * The zone's use of both quotas, as the lookup card shows it; null when the lists were not read.
   * Summaries stored by the release that introduced them hold the certificate counts only.
   */
  quota: (Pick<ZoneQuota, 'certificatesUsed' | 'certificatesLimit'> & Partial<ZoneQuota>) | null;
  /** Hostnames by severity. */
  hostnames: Record<Severity, number>;
  /** Distinct certificates (serial, else id) by the worst severity among their hostnames. */
  certificates: Record<Severity, number>;
}

/** The certificate gauge series of one zone's last check. */
export interface ZoneGaugeRows {
  zone: ZoneRef;
  /** One row per hostname checked, in the check's order. */
  hostnames: CertificateGaugeRow[];
  /** One row per zone-level certificate, when the zone level was checked. */
  zoneLevel: CertificateGaugeRow[];
}

function emptyCounts(): Record<Severity, number> {
  return Object.fromEntries(SEVERITIES.map((severity) => [severity, 0])) as Record<Severity, number>;
}

/**
 * The certificate a check saw, as alert threads name it: serial, else certificate id. Null when
 * the hostname has no association or could not be checked, so it counts as no certificate.
 */
export function certificateKeyOf(check: HostnameCheck): string | null {
  if (check.observation.kind !== 'association') return null;
  const { serialNumber, certificateId } = check.observation.association;
  const serial = serialNumber?.trim() ?? '';
  if (serial !== '') return `serial:${serial}`;
  const id = certificateId?.trim() ?? '';
  return id !== '' ? `id:${id}` : null;
}

const sameZone = (a: ZoneRef, b: ZoneRef) => a.id === b.id && (a.name ?? null) === (b.name ?? null);

function gaugeRow(
  summaryZone: ZoneRef,
  row: { hostname: string; certificateId: string; expiry: Date | null; severity: Severity; zone: ZoneRef },
): CertificateGaugeRow {
  const expiresAtSeconds = row.expiry ? Math.floor(row.expiry.getTime() / 1000) : null;
  return sameZone(row.zone, summaryZone)
    ? [row.hostname, row.certificateId, expiresAtSeconds, row.severity]
    : [row.hostname, row.certificateId, expiresAtSeconds, row.severity, row.zone];
}

/**
 * The summary of one stored zone check.
 *
 * @example summarizeZoneCheck(result).hostnames.critical // 3
 */
export function summarizeZoneCheck(result: ZoneCheckResult): ZoneSummary {
  const hostnames = emptyCounts();
  const certificateSeverities = new Map<string, Severity[]>();
  for (const check of result.checks) {
    const severity = check.assessment.severity;
    hostnames[severity] += 1;
    const certificate = certificateKeyOf(check);
    if (certificate === null) continue;
    const seen = certificateSeverities.get(certificate);
    if (seen) seen.push(severity);
    else certificateSeverities.set(certificate, [severity]);
  }
  const certificates = emptyCounts();
  for (const severities of certificateSeverities.values()) certificates[worstSeverity(severities)] += 1;
  return {
    zone: result.zone,
    checkedAt: result.checkedAt,
    failure: result.failure
      ? { errorCode: result.failure.errorCode, errorMessage: result.failure.errorMessage }
      : null,
    use: zoneUseOf(result),
    quota: result.quota
      ? {
          certificatesUsed: result.quota.certificatesUsed,
          certificatesLimit: result.quota.certificatesLimit,
          largestAssociationCount: result.quota.largestAssociationCount,
          largestAssociationCertificateId: result.quota.largestAssociationCertificateId,
          associationsLimit: result.quota.associationsLimit,
        }
      : null,
    hostnames,
    certificates,
  };
}

/**
 * The quota of the summary's zone as its last check counted it: null when that check did not read
 * the lists; undefined when the summary was stored without the association figures (by the release
 * that introduced summaries), so the zone's full result has to be read for them.
 *
 * @example zoneQuotaOf(summary)?.largestAssociationCount // 30
 */
export function zoneQuotaOf(summary: ZoneSummary): ZoneQuota | null | undefined {
  const quota = summary.quota;
  if (quota === null) return null;
  const { largestAssociationCount, largestAssociationCertificateId, associationsLimit } = quota;
  if (
    typeof largestAssociationCount !== 'number' ||
    largestAssociationCertificateId === undefined ||
    typeof associationsLimit !== 'number'
  )
    return undefined;
  return {
    certificatesUsed: quota.certificatesUsed,
    certificatesLimit: quota.certificatesLimit,
    largestAssociationCount,
    largestAssociationCertificateId,
    associationsLimit,
  };
}

/**
 * The certificate gauge rows of one stored zone check, in the order the series are exported.
 *
 * @example gaugeRowsOf(result).hostnames[0] // ['app.example.com', 'cert-1', 1795939200, 'critical']
 */
export function gaugeRowsOf(result: ZoneCheckResult): ZoneGaugeRows {
  const zoneLevel = result.zoneLevel;
  return {
    zone: result.zone,
    hostnames: result.checks.map((check) =>
      gaugeRow(result.zone, {
        hostname: check.hostname,
        zone: check.zone,
        certificateId:
          check.observation.kind === 'association' ? (check.observation.association.certificateId ?? '') : '',
        expiry: check.assessment.effectiveExpiry,
        severity: check.assessment.severity,
      }),
    ),
    zoneLevel:
      zoneLevel?.state === 'checked'
        ? zoneLevel.certificates.map((check) =>
            gaugeRow(result.zone, {
              hostname: '',
              zone: check.zone,
              certificateId: check.certificate.certificateId ?? '',
              expiry: check.assessment.effectiveExpiry,
              severity: check.assessment.severity,
            }),
          )
        : [],
  };
}

/**
 * The shape of the stored summaries and gauge rows. One of another version is not read (its
 * zone's full snapshot is), so a later release that changes the shape never misreads an older one.
 */
export const ZONE_SUMMARY_VERSION = 1;

/** The stored form: JSON with its version, dates as ISO strings (`parseZoneSummary` reads them back). */
export function serializeZoneSummary(summary: ZoneSummary): string {
  return JSON.stringify({ version: ZONE_SUMMARY_VERSION, ...summary });
}

/** The summary stored in `text`; null when it is of another version or unreadable. */
export function parseZoneSummary(text: string): ZoneSummary | null {
  const parsed = parseVersioned<ZoneSummary & { checkedAt: string; use: { checkedAt: string } }>(text);
  if (parsed === null) return null;
  return {
    ...parsed,
    checkedAt: new Date(parsed.checkedAt),
    use: { ...parsed.use, checkedAt: new Date(parsed.use.checkedAt) },
  };
}

export function serializeZoneGaugeRows(rows: ZoneGaugeRows): string {
  return JSON.stringify({ version: ZONE_SUMMARY_VERSION, ...rows });
}

/** The gauge rows stored in `text`; null when they are of another version or unreadable. */
export function parseZoneGaugeRows(text: string): ZoneGaugeRows | null {
  return parseVersioned<ZoneGaugeRows>(text);
}

function parseVersioned<T>(text: string): T | null {
  try {
    const { version, ...parsed } = JSON.parse(text) as { version?: unknown };
    return version === ZONE_SUMMARY_VERSION ? (parsed as T) : null;
  } catch {
    return null;
  }
}
