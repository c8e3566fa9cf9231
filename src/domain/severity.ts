/**
 * Where the severity of one hostname is decided. Pure: `(observation, thresholds, certificate, now)`
 * in, an assessment out. The card, the digest and the alerts all read this one verdict.
 */
import { validityFindings } from './fitness.js';
import type { ParsedCertificate } from './lookup.js';
import { DAY_MS, describeDuration, formatDate } from './time.js';
import {
  type HostnameAssociation,
  type HostnameObservation,
  type ReasonCode,
  SEVERITIES,
  type Severity,
  type SeverityAssessment,
  type SeverityReason,
  type Thresholds,
  type ZoneCertificate,
} from './types.js';

export interface AssessSeverityOptions {
  thresholds: Thresholds;
  now: Date;
  /** The association's PEM, parsed; its notAfter/notBefore take part in the expiry rules. */
  certificate?: ParsedCertificate | null;
  /** Dates in reason texts are calendar dates in this zone. */
  timeZone: string;
}

export { EXPIRY_MISMATCH_TOLERANCE_MS } from './fitness.js';

const PENDING_STATUSES: ReadonlySet<string> = new Set([
  'initializing',
  'pending_deployment',
  'pending_deletion',
]);

/**
 * Orders severities worst first (the order of `SEVERITIES`): negative when `a` is worse than `b`.
 * An unrecognised value sorts after `ok`.
 *
 * @example ['ok', 'critical', 'info'].sort(compareSeverity) // ['critical', 'info', 'ok']
 */
export function compareSeverity(a: Severity, b: Severity): number {
  return severityRank(a) - severityRank(b);
}

function severityRank(severity: Severity): number {
  const index = SEVERITIES.indexOf(severity);
  return index === -1 ? SEVERITIES.length : index;
}

/**
 * The worst severity in `severities`; `ok` for an empty list (nothing is wrong with nothing).
 *
 * @example worstSeverity(['info', 'warning', 'ok']) // 'warning'
 */
export function worstSeverity(severities: Iterable<Severity>): Severity {
  let worst: Severity = 'ok';
  for (const severity of severities) {
    if (compareSeverity(severity, worst) < 0) worst = severity;
  }
  return worst;
}

function pluralDays(days: number): string {
  return days === 1 ? '1 day' : `${days} days`;
}

/**
 * True when `expiry` falls within `days` days of `now`: strictly less than `days` × 24 h remain.
 * Exactly 30 × 24 h before expiry is therefore not yet "within 30 days"; one millisecond later is.
 */
export function isWithinDays(expiry: Date, now: Date, days: number): boolean {
  return expiry.getTime() - now.getTime() < days * DAY_MS;
}

/** Whole days from `now` to `expiry`, rounded down: 29.9 days → 29; 1 hour ago → -1. */
export function daysUntil(expiry: Date, now: Date): number {
  return Math.floor((expiry.getTime() - now.getTime()) / DAY_MS);
}

function latestOf(dates: Array<Date | null>): Date | null {
  let latest: Date | null = null;
  for (const date of dates) {
    if (date !== null && !Number.isNaN(date.getTime()) && (latest === null || date > latest)) latest = date;
  }
  return latest;
}

function earliestOf(dates: Array<Date | null>): Date | null {
  let earliest: Date | null = null;
  for (const date of dates) {
    if (date !== null && !Number.isNaN(date.getTime()) && (earliest === null || date < earliest)) {
      earliest = date;
    }
  }
  return earliest;
}

function reason(code: ReasonCode, severity: Severity, text: string): SeverityReason {
  return { code, severity, text };
}

/** Expiry and validity-window reasons, before any capping for a disabled association. */
function validityReasons(
  association: HostnameAssociation,
  certificate: ParsedCertificate | null,
  effectiveExpiry: Date | null,
  options: AssessSeverityOptions,
): SeverityReason[] {
  const { now, thresholds, timeZone } = options;
  const reasons: SeverityReason[] = [];

  // Not valid yet is critical: every origin rejects the certificate now.
  const validity =
    certificate === null
      ? []
      : validityFindings(certificate, {
          now,
          reportedExpiry: association.expiresOn,
          timeZone,
        });
  for (const found of validity) {
    if (found.code === 'not_yet_valid') reasons.push(reason('not_yet_valid', 'critical', found.text));
  }

  if (effectiveExpiry !== null) {
    const days = daysUntil(effectiveExpiry, now);
    const date = formatDate(effectiveExpiry, timeZone);
    if (effectiveExpiry.getTime() <= now.getTime()) {
      const ago = Math.floor((now.getTime() - effectiveExpiry.getTime()) / DAY_MS);
      const when = ago <= 0 ? 'less than a day ago' : `${pluralDays(ago)} ago`;
      reasons.push(reason('expired', 'critical', `Certificate expired on ${date} (${when})`));
    } else if (isWithinDays(effectiveExpiry, now, thresholds.criticalDays)) {
      reasons.push(reason('expiring_critical', 'critical', expiresInText(days, date)));
    } else if (isWithinDays(effectiveExpiry, now, thresholds.warningDays)) {
      reasons.push(reason('expiring_warning', 'warning', expiresInText(days, date)));
    }
  }

  for (const found of validity) {
    if (found.code === 'expiry_mismatch') reasons.push(reason('expiry_mismatch', 'warning', found.text));
  }
  return reasons;
}

function expiresInText(days: number, date: string): string {
  return days === 0
    ? `Certificate expires within a day (${date})`
    : `Certificate expires in ${pluralDays(days)} (${date})`;
}

/** Reasons from the association's and certificate's deployment status. */
function statusReasons(association: HostnameAssociation, options: AssessSeverityOptions): SeverityReason[] {
  const { now, thresholds } = options;
  const reasons: SeverityReason[] = [];
  const pending: string[] = [];
  const subjects: Array<[label: string, status: string | null]> = [
    ['Association', association.associationStatus],
    ['Certificate', association.certificateStatus],
  ];
  for (const [label, status] of subjects) {
    if (status === 'deployment_timed_out') {
      reasons.push(reason('deployment_timed_out', 'critical', `${label} deployment timed out`));
    } else if (status === 'deletion_timed_out') {
      reasons.push(reason('deletion_timed_out', 'warning', `${label} deletion timed out`));
    } else if (status !== null && PENDING_STATUSES.has(status)) {
      pending.push(`${label.toLowerCase()} ${status}`);
    }
  }
  if (pending.length === 0) return reasons;

  const what = pending.join(', ');
  const since = latestOf([
    association.associationUpdatedAt,
    association.certificateUpdatedAt,
    association.certificateUploadedOn,
  ]);
  if (since === null) {
    reasons.push(
      reason('pending', 'info', `Pending (${what}) for an unknown time: Cloudflare reported no timestamps`),
    );
    return reasons;
  }
  const pendingMs = now.getTime() - since.getTime();
  const duration = describeDuration(pendingMs);
  if (pendingMs > thresholds.stuckPendingMinutes * 60_000) {
    reasons.push(
      reason(
        'stuck_pending',
        'warning',
        `Stuck pending (${what}) for ${duration}, over the ${thresholds.stuckPendingMinutes}-minute limit`,
      ),
    );
  } else {
    reasons.push(reason('pending', 'info', `Pending (${what}) for ${duration}`));
  }
  return reasons;
}

/** Stable sort, worst first; reasons of equal severity keep the order they were found in. */
function sortWorstFirst(reasons: SeverityReason[]): SeverityReason[] {
  return reasons
    .map((item, index) => ({ item, index }))
    .sort((a, b) => compareSeverity(a.item.severity, b.item.severity) || a.index - b.index)
    .map(({ item }) => item);
}

function assessment(
  reasons: SeverityReason[],
  effectiveExpiry: Date | null,
  daysUntilExpiry: number | null,
): SeverityAssessment {
  const sorted = sortWorstFirst(reasons);
  return {
    severity: worstSeverity(sorted.map((item) => item.severity)),
    reasons: sorted,
    effectiveExpiry,
    daysUntilExpiry,
  };
}

/**
 * Decides how worried a person should be about one hostname, and why. Every rule that applies
 * contributes a reason; the severity is the worst of them and the reasons come worst first.
 *
 * Rules, in brief:
 * - unreachable → unknown; no association → info.
 * - AOP off or voided → info. The certificate is not sent while disabled, so expiry and validity
 *   reasons (`expired`, `expiring_*`, `not_yet_valid`, `expiry_mismatch`) are still listed but
 *   capped at info, with a note saying why.
 * - effective expiry = the earlier of `expiresOn` and the PEM's notAfter. Expired (≤ now) →
 *   critical; "within N days" means strictly less than N × 24 h remain (see `isWithinDays`):
 *   within criticalDays → critical, within warningDays → warning.
 * - readings more than a minute apart → warning `expiry_mismatch`; PEM notBefore after now →
 *   critical `not_yet_valid`; enabled with no expiry at all → unknown `expiry_missing`.
 * - `deployment_timed_out` → critical; `deletion_timed_out` → warning; pending for longer than
 *   stuckPendingMinutes since the latest known change → warning `stuck_pending`, otherwise info.
 * - nothing else → ok with one `healthy` reason.
 *
 * @example
 * assessSeverity(observation, {
 *   thresholds: { warningDays: 30, criticalDays: 7, stuckPendingMinutes: 120 },
 *   now: new Date('2026-11-27T09:00:00Z'),
 *   certificate: null,
 *   timeZone: 'Europe/Berlin',
 * });
 * // { severity: 'critical', reasons: [{ code: 'expiring_critical', text: 'Certificate expires in 4 days (2026-12-01)', … }], … }
 */
export function assessSeverity(
  observation: HostnameObservation,
  options: AssessSeverityOptions,
): SeverityAssessment {
  if (observation.kind === 'unreachable') {
    return assessment(
      [reason('unreachable', 'unknown', `Could not check: ${observation.errorMessage}`)],
      null,
      null,
    );
  }
  if (observation.kind === 'no_association') {
    return assessment([reason('no_association', 'info', 'No per-hostname AOP association')], null, null);
  }
  return assessAssociation(observation.association, options);
}

function assessAssociation(
  association: HostnameAssociation,
  options: AssessSeverityOptions,
): SeverityAssessment {
  const certificate = options.certificate ?? null;
  const effectiveExpiry = earliestOf([association.expiresOn, certificate?.validTo ?? null]);
  const daysUntilExpiry = effectiveExpiry === null ? null : daysUntil(effectiveExpiry, options.now);
  const reasons: SeverityReason[] = [];

  // First among equals: when the switch is off, that is the headline and the capped expiry
  // reasons below it are the detail.
  if (association.aopSwitch === 'voided') {
    reasons.push(reason('voided', 'info', 'Association voided (enabled: null)'));
  } else if (association.aopSwitch === 'off') {
    reasons.push(reason('disabled', 'info', 'Per-hostname AOP disabled'));
  }

  const disabledNote =
    association.aopSwitch === 'off'
      ? 'not in use while per-hostname AOP is disabled'
      : association.aopSwitch === 'voided'
        ? 'not in use while the association is voided'
        : null;

  for (const found of validityReasons(association, certificate, effectiveExpiry, options)) {
    reasons.push(disabledNote === null ? found : capAtInfo(found, disabledNote));
  }

  if (effectiveExpiry === null && disabledNote === null) {
    reasons.push(
      reason(
        'expiry_missing',
        'unknown',
        'Cloudflare reported no expiry date and there is no readable certificate',
      ),
    );
  }

  reasons.push(...statusReasons(association, options));

  if (reasons.length === 0) {
    // Reaching here means an expiry is known (otherwise `expiry_missing` or `disabled` applied).
    const text =
      daysUntilExpiry === null
        ? 'Certificate valid'
        : `Certificate valid for ${daysUntilExpiry} more ${daysUntilExpiry === 1 ? 'day' : 'days'}`;
    reasons.push(reason('healthy', 'ok', text));
  }
  return assessment(reasons, effectiveExpiry, daysUntilExpiry);
}

/** A reason kept for the record but no longer able to raise the severity above info. */
function capAtInfo(found: SeverityReason, note: string): SeverityReason {
  return {
    ...found,
    severity: compareSeverity(found.severity, 'info') < 0 ? 'info' : found.severity,
    text: `${found.text} (${note})`,
  };
}

export interface AssessZoneCertificateOptions extends AssessSeverityOptions {
  /**
   * Why Cloudflare does not present this certificate, or null when it does (it is the zone
   * certificate in effect). A certificate not in use cannot break an origin, so its reasons are
   * capped at info, like those of a disabled association.
   */
  notInUseBecause: string | null;
}

/**
 * Severity of one zone-level certificate, by the same rules as a per-hostname certificate:
 * expiry against the thresholds, the PEM's validity window, a stuck or failed deployment. The
 * certificate's `uploaded_on` stands in for the time of its last change.
 *
 * @example
 * assessZoneCertificate(zoneCertificate, { thresholds, now, timeZone: 'UTC', notInUseBecause: null });
 * // { severity: 'critical', reasons: [{ code: 'expiring_critical', text: 'Certificate expires in 3 days (…)' }], … }
 */
export function assessZoneCertificate(
  certificate: ZoneCertificate,
  options: AssessZoneCertificateOptions,
): SeverityAssessment {
  const asAssociation: HostnameAssociation = {
    hostname: '',
    zoneId: certificate.zoneId,
    aopSwitch: 'on',
    associationStatus: null,
    certificateStatus: certificate.status,
    certificateId: certificate.certificateId,
    expiresOn: certificate.expiresOn,
    issuer: certificate.issuer,
    serialNumber: null,
    signature: certificate.signature,
    certificatePem: certificate.certificatePem,
    associationCreatedAt: null,
    associationUpdatedAt: null,
    certificateUploadedOn: certificate.uploadedOn,
    certificateUpdatedAt: null,
  };
  const found = assessAssociation(asAssociation, options);
  if (options.notInUseBecause === null) return found;
  const note = 'not in use';
  const reasons = [
    reason('not_in_use', 'info', `Uploaded, not in use: ${options.notInUseBecause}`),
    ...found.reasons.filter((item) => item.code !== 'healthy').map((item) => capAtInfo(item, note)),
  ];
  return assessment(reasons, found.effectiveExpiry, found.daysUntilExpiry);
}
