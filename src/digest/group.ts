/**
 * Turns one digest run's raw checks into the sections a person reads: what is critical, what is
 * a warning, what could not be checked and what is switched off. Pure and deterministic: the same
 * input always gives the same items in the same order, whatever order the checks arrived in.
 */
import { purposeFindings } from '../domain/fitness.js';
import type { ReasonCode, Severity, SeverityReason } from '../domain/types.js';
import type {
  DigestCounts,
  DigestInput,
  DigestItem,
  DigestSectionKey,
  DigestSections,
  HostnameCheck,
  UnfitCertificateItem,
  ZoneCertificateCheck,
  ZoneFailure,
  ZoneLevelCheck,
} from './model.js';

/**
 * Groups and orders a digest run's findings.
 *
 * - Hostnames in the same zone behind the same certificate, with the same severity and the same
 *   governing reason, become one item; hostnames that could not be checked for the same reason
 *   in the same zone are grouped the same way. Everything else is an item of its own.
 * - A zone that could not be listed is one item in the `unknown` section, carrying the configured
 *   hostnames that were not checked; the zones of one account failing with the same error (its
 *   token refused) are one item for the account.
 * - Healthy (`ok`) hostnames are counted but not listed.
 * - Within `critical` and `warning`, the earliest expiry comes first; ties and the other sections
 *   are ordered by hostname. In `unknown`, zones that could not be listed come first.
 *
 * @example
 * const { sections, counts } = groupDigestItems(input);
 * sections.critical[0]; // { certificateId: 'c1', hostnames: ['a.example.com', 'b.example.com'], ... }
 * counts.bySeverity.ok; // 1979
 */
export function groupDigestItems(input: DigestInput): DigestSections {
  const itemsByKey = new Map<string, DigestItem>();
  for (const check of input.checks) {
    const section = sectionForSeverity(check.assessment.severity);
    if (section === null) continue;
    const reason = governingReason(check);
    const key = groupKey(check, section, reason);
    const existing = key === null ? undefined : itemsByKey.get(key);
    if (existing !== undefined) {
      existing.hostnames.push(check.hostname);
      existing.expiresOn = earlierDate(existing.expiresOn, check.assessment.effectiveExpiry);
      existing.daysUntilExpiry = smallerNumber(existing.daysUntilExpiry, check.assessment.daysUntilExpiry);
      continue;
    }
    const item: DigestItem = {
      kind: 'hostnames',
      section,
      severity: check.assessment.severity,
      zone: check.zone,
      certificateId: certificateIdOf(check),
      hostnames: [check.hostname],
      reasonCode: reason.code,
      reasonText: reason.text,
      errorCode: check.observation.kind === 'unreachable' ? check.observation.errorCode : null,
      expiresOn: check.assessment.effectiveExpiry,
      daysUntilExpiry: check.assessment.daysUntilExpiry,
    };
    // Ungroupable checks still need a unique key so the map keeps them all.
    itemsByKey.set(key ?? `single:${itemsByKey.size}`, item);
  }

  const sections: Record<DigestSectionKey, DigestItem[]> = {
    critical: [],
    warning: [],
    unknown: [],
    disabled: [],
  };
  for (const item of itemsByKey.values()) {
    item.hostnames.sort(compareText);
    sections[item.section].push(item);
  }
  sections.unknown.push(...zoneFailureItems(input.zoneFailures));
  for (const check of input.zoneCertificates ?? []) {
    const section = sectionForSeverity(check.assessment.severity);
    if (section !== null) sections[section].push(zoneCertificateItem(check, section));
  }
  for (const failure of input.zoneLevelFailures ?? []) sections.unknown.push(zoneLevelFailureItem(failure));

  for (const key of Object.keys(sections) as DigestSectionKey[]) {
    sections[key].sort(key === 'critical' || key === 'warning' ? compareByExpiryThenName : compareByName);
  }
  return { sections, counts: countDigest(input) };
}

/**
 * The certificates in use that an origin checking client certificates would reject, one item per
 * zone and certificate, ordered by zone, the zone certificate in use first, then first hostname.
 * Only switched-on associations and the zone certificate in use count: a certificate Cloudflare
 * does not send cannot be rejected. Warnings, never alerts: an origin
 * that accepts one today evidently does not check what is wrong with it.
 *
 * @example groupUnfitCertificates(input.checks)[0] // { certificateId: 'c1', hostnames: ['a.example.com'], findings: [{ code: 'client_auth_missing', … }] }
 */
export function groupUnfitCertificates(
  checks: readonly HostnameCheck[],
  zoneCertificates: readonly ZoneCertificateCheck[] = [],
): UnfitCertificateItem[] {
  const items = new Map<string, UnfitCertificateItem>();
  // Only the zone certificate in use is presented; the others are uploaded and sent to nobody.
  for (const check of zoneCertificates) {
    if (!check.inUse) continue;
    const findings = purposeFindings(check.fitness ?? []);
    if (findings.length === 0) continue;
    const certificateId = check.certificate.certificateId;
    items.set(JSON.stringify(['zone', check.zone.id, certificateId]), {
      zone: check.zone,
      level: 'zone',
      certificateId,
      hostnames: [],
      findings,
    });
  }
  for (const check of checks) {
    if (check.observation.kind !== 'association' || check.observation.association.aopSwitch !== 'on')
      continue;
    const findings = purposeFindings(check.fitness ?? []);
    if (findings.length === 0) continue;
    const certificateId = check.observation.association.certificateId;
    const key = JSON.stringify([check.zone.id, certificateId ?? `hostname:${check.hostname}`]);
    const existing = items.get(key);
    if (existing !== undefined) {
      existing.hostnames.push(check.hostname);
      continue;
    }
    items.set(key, {
      zone: check.zone,
      level: 'hostname',
      certificateId,
      hostnames: [check.hostname],
      findings,
    });
  }
  const sorted = [...items.values()];
  for (const item of sorted) item.hostnames.sort(compareText);
  return sorted.sort(
    (a, b) =>
      compareText(a.zone.name ?? a.zone.id, b.zone.name ?? b.zone.id) ||
      compareText(a.hostnames[0] ?? '', b.hostnames[0] ?? ''),
  );
}

/** Which digest section a severity belongs to; `null` for healthy hostnames, which are only counted. */
export function sectionForSeverity(severity: Severity): DigestSectionKey | null {
  switch (severity) {
    case 'critical':
      return 'critical';
    case 'warning':
      return 'warning';
    case 'unknown':
      return 'unknown';
    case 'info':
      return 'disabled';
    case 'ok':
      return null;
  }
}

/**
 * How many entries an item covers in the "showing N of M" arithmetic: its hostnames, or one for a
 * zone that could not be listed and for a zone certificate.
 */
export function digestItemEntryCount(item: DigestItem): number {
  if (item.kind === 'zone_certificate') return 1;
  if (item.account !== undefined) return item.account.zones.length;
  return item.kind === 'zone_failure' && item.hostnames.length === 0 ? 1 : item.hostnames.length;
}

function countDigest(input: DigestInput): DigestCounts {
  const bySeverity: Record<Severity, number> = { critical: 0, warning: 0, unknown: 0, info: 0, ok: 0 };
  let unreachable = 0;
  for (const check of input.checks) {
    bySeverity[check.assessment.severity] += 1;
    if (check.observation.kind === 'unreachable') unreachable += 1;
  }
  const healthyLeftOut = (input.healthyLeftOut ?? []).reduce((sum, tally) => sum + tally.hostnames, 0);
  bySeverity.ok += healthyLeftOut;
  const failedZoneIds = new Set(input.zoneFailures.map((failure) => failure.zone.id));
  const configuredNotChecked = input.zoneFailures.reduce((sum, failure) => sum + failure.hostnames.length, 0);
  const zoneCertificatesBySeverity: Record<Severity, number> = {
    critical: 0,
    warning: 0,
    unknown: 0,
    info: 0,
    ok: 0,
  };
  for (const check of input.zoneCertificates ?? [])
    zoneCertificatesBySeverity[check.assessment.severity] += 1;
  return {
    zoneCertificatesBySeverity,
    zonesWithoutZoneLevel: (input.zoneLevelFailures ?? []).length,
    bySeverity,
    hostnamesChecked: input.checks.length + healthyLeftOut - unreachable,
    hostnamesUnreachable: unreachable,
    hostnamesInFailedZones: configuredNotChecked,
    hostnamesNotChecked: unreachable + configuredNotChecked,
    zonesNotListed: input.zoneFailures.filter((failure) => failure.hostnames.length === 0).length,
    zonesChecked: Math.max(0, input.zonesTotal - failedZoneIds.size),
    zonesTotal: input.zonesTotal,
  };
}

function zoneCertificateItem(check: ZoneCertificateCheck, section: DigestSectionKey): DigestItem {
  const reason = check.assessment.reasons[0];
  return {
    kind: 'zone_certificate',
    section,
    severity: check.assessment.severity,
    zone: check.zone,
    certificateId: check.certificate.certificateId ?? 'unknown',
    hostnames: [],
    reasonCode: reason?.code ?? 'healthy',
    reasonText: reason?.text ?? check.assessment.severity,
    errorCode: null,
    expiresOn: check.assessment.effectiveExpiry,
    daysUntilExpiry: check.assessment.daysUntilExpiry,
    zoneCertificateInUse: check.inUse,
  };
}

function zoneLevelFailureItem(failure: Extract<ZoneLevelCheck, { state: 'not_checked' }>): DigestItem {
  const permission =
    failure.permission === null ? '' : ` Give the API token "${failure.permission}" to see them.`;
  return {
    kind: 'zone_certificate',
    section: 'unknown',
    severity: 'unknown',
    zone: failure.zone,
    certificateId: null,
    hostnames: [],
    reasonCode: 'unreachable',
    reasonText: `${failure.errorMessage}${failure.errorMessage.includes(permission.trim()) ? '' : permission}`,
    errorCode: failure.errorCode,
    expiresOn: null,
    daysUntilExpiry: null,
  };
}

/**
 * One item per failing zone, except that the zones of one account failing with the same error (a
 * token Cloudflare refuses, hundreds of zones at once) are one item naming the account.
 */
function zoneFailureItems(failures: readonly ZoneFailure[]): DigestItem[] {
  const byAccountAndError = new Map<string, ZoneFailure[]>();
  const items: DigestItem[] = [];
  for (const failure of failures) {
    if (failure.account === undefined) {
      items.push(zoneFailureItem(failure));
      continue;
    }
    const key = JSON.stringify([failure.account, failure.errorCode]);
    byAccountAndError.set(key, [...(byAccountAndError.get(key) ?? []), failure]);
  }
  for (const group of byAccountAndError.values()) {
    const [first, second] = group;
    if (first === undefined) continue;
    if (second === undefined || first.account === undefined) {
      items.push(zoneFailureItem(first));
      continue;
    }
    const sorted = [...group].sort((a, b) => compareText(a.zone.name ?? a.zone.id, b.zone.name ?? b.zone.id));
    const [lead = first] = sorted;
    items.push({
      ...zoneFailureItem(lead),
      hostnames: sorted.flatMap((failure) => failure.hostnames).sort(compareText),
      account: { name: first.account, zones: sorted.map((failure) => failure.zone) },
    });
  }
  return items;
}

function zoneFailureItem(failure: ZoneFailure): DigestItem {
  return {
    kind: 'zone_failure',
    section: 'unknown',
    severity: 'unknown',
    zone: failure.zone,
    certificateId: null,
    hostnames: [...failure.hostnames].sort(compareText),
    reasonCode: 'unreachable',
    reasonText: failure.errorMessage,
    errorCode: failure.errorCode,
    expiresOn: null,
    daysUntilExpiry: null,
  };
}

/** The worst reason decides the line; an assessment always has one, but a fallback keeps the type honest. */
function governingReason(check: HostnameCheck): SeverityReason {
  const first = check.assessment.reasons[0];
  if (first !== undefined) return first;
  const code: ReasonCode = check.observation.kind === 'unreachable' ? 'unreachable' : 'healthy';
  return { code, severity: check.assessment.severity, text: check.assessment.severity };
}

function certificateIdOf(check: HostnameCheck): string | null {
  return check.observation.kind === 'association' ? check.observation.association.certificateId : null;
}

/**
 * Items share a key only when their rendered line would be identical apart from the hostname:
 * same zone, same certificate (or same failure), same severity and the same governing reason.
 * Keying on the reason text too keeps a group from claiming a reason that only its first member has.
 */
function groupKey(check: HostnameCheck, section: DigestSectionKey, reason: SeverityReason): string | null {
  const common = [section, check.zone.id, check.assessment.severity, reason.code, reason.text];
  const certificateId = certificateIdOf(check);
  if (certificateId !== null) return JSON.stringify(['certificate', certificateId, ...common]);
  if (check.observation.kind === 'unreachable') {
    return JSON.stringify(['unreachable', check.observation.errorCode, ...common]);
  }
  return null;
}

function compareByExpiryThenName(a: DigestItem, b: DigestItem): number {
  return compareKind(a, b) || compareExpiry(a.expiresOn, b.expiresOn) || compareByName(a, b);
}

function compareByName(a: DigestItem, b: DigestItem): number {
  return (
    compareKind(a, b) ||
    (a.kind === 'zone_failure' ? compareZone(a, b) : 0) ||
    compareText(a.hostnames[0] ?? '', b.hostnames[0] ?? '') ||
    compareZone(a, b) ||
    compareText(a.certificateId ?? '', b.certificateId ?? '') ||
    compareText(a.reasonText, b.reasonText) ||
    b.hostnames.length - a.hostnames.length
  );
}

function compareZone(a: DigestItem, b: DigestItem): number {
  return compareText(a.zone.name ?? a.zone.id, b.zone.name ?? b.zone.id) || compareText(a.zone.id, b.zone.id);
}

/** A zone that could not be listed hides everything in it, so it leads its section. */
function compareKind(a: DigestItem, b: DigestItem): number {
  if (a.kind === b.kind) return 0;
  return a.kind === 'zone_failure' ? -1 : 1;
}

function compareExpiry(a: Date | null, b: Date | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  return a.getTime() - b.getTime();
}

/** Numbers compare as numbers ("web-2" before "web-10"); a fixed locale keeps the order host-independent. */
const NATURAL_ORDER = new Intl.Collator('en-US', { numeric: true, sensitivity: 'variant' });

function compareText(a: string, b: string): number {
  // The collator can call two different strings equal; code-unit order settles those ties.
  return NATURAL_ORDER.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

function earlierDate(a: Date | null, b: Date | null): Date | null {
  if (a === null) return b;
  if (b === null) return a;
  return b.getTime() < a.getTime() ? b : a;
}

function smallerNumber(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}
