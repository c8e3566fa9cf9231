import { isCloudflareApiError } from '../cloudflare/errors.js';
import {
  joinAssociationsWithCertificates,
  toHostnameAssociation,
  toHostnameCertificate,
  toZoneCertificate,
} from '../cloudflare/mapping.js';
import type { CfZoneCertificate, CloudflareClient } from '../cloudflare/types.js';
import type { HostnameCheck, ZoneCertificateCheck, ZoneFailure, ZoneLevelCheck } from '../digest/model.js';
import { parseCertificatePem } from '../domain/certificate.js';
import { activeZoneCertificatesNewestFirst, zoneCertificateInUse } from '../domain/certificate-in-effect.js';
import type { ZoneUseReading } from '../domain/discovery.js';
import { assessCertificateFitness, type FitnessFinding } from '../domain/fitness.js';
import type { ParsedCertificate } from '../domain/lookup.js';
import { type ZoneQuota, zoneQuota } from '../domain/quota.js';
import { type ListedHostnameCertificate, listHostnameCertificates } from '../domain/replacement.js';
import { assessSeverity, assessZoneCertificate } from '../domain/severity.js';
import type {
  HostnameAssociation,
  HostnameObservation,
  Thresholds,
  ZoneCertificate,
  ZoneRef,
} from '../domain/types.js';

/**
 * Requests every zone check makes whatever the zone's size: the association list, the hostname
 * certificates, the zone certificates and the zone-level AOP switch (each list one page up to
 * 1,000 rows; the association list pages beyond that).
 */
export const ZONE_CHECK_REQUESTS = 4;

/** One zone as the checks see it: which hostnames to report (null = every association found). */
export interface ZonePlan {
  zone: ZoneRef;
  /** Report every association the zone has (the config lists no hostnames for it). */
  discoverAll: boolean;
  /** Hostnames listed in the config or added with `watch`: always reported, found or not. */
  hostnames: string[];
  /** Discovered hostnames someone unwatched; only applies to discovered ones. */
  ignored: string[];
  /**
   * The account whose token reads the zone: named on a configured zone, or the one that listed a
   * discovered zone. Absent: the account the process knows for the zone, else the first.
   */
  account?: string;
  /** Found through `discover:` rather than configured: checked at `discover.every` while idle. */
  discovered?: boolean;
}

export interface ZoneCheckResult {
  zone: ZoneRef;
  checkedAt: Date;
  checks: HostnameCheck[];
  failure: ZoneFailure | null;
  /**
   * The zone-level AOP switch and certificates, read beside the hostnames. Absent in results stored
   * before zone-level certificates were checked: readers show nothing for it, as then.
   */
  zoneLevel?: ZoneLevelCheck;
  /** Cloudflare requests this check made (for the benchmarks and the logs). */
  requests: number;
  /**
   * The zone's use of Cloudflare's limits, from the two lists the check reads anyway (no extra
   * request). Null when the lists could not be read; absent in results stored before it existed.
   */
  quota?: ZoneQuota | null;
  /**
   * The zone's hostname-certificate list (names, association counts and fitness, no PEM), from the
   * list the check reads anyway: where an expiry episode finds the replacement uploaded for it.
   * Absent when the lists could not be read, and in results stored before it existed.
   */
  hostnameCertificates?: ListedHostnameCertificate[];
  /**
   * Healthy hostnames left out of `checks` because the digest only counts them
   * (src/inventory/digest-handoff.ts), per owning route. Absent: `checks` holds every hostname, as
   * in snapshots, alert runs and results stored before digests were handed counts.
   */
  healthyLeftOut?: HealthyTally[];
}

/** How many healthy hostnames one route (null: the top level) owns in a zone. */
export interface HealthyTally {
  route: string | null;
  hostnames: number;
}

export interface ZoneCheckOptions {
  cloudflare: CloudflareClient;
  thresholds: Thresholds;
  /** A hostname's own thresholds (its route's), when they may differ from `thresholds`. */
  thresholdsFor?: (hostname: string, zone: ZoneRef) => Thresholds;
  /** The thresholds of a zone's zone-level certificates: those of the route taking the whole zone. */
  zoneThresholdsFor?: (zone: ZoneRef) => Thresholds;
  timeZone: string;
  now: () => Date;
  /** Per-hostname fallback calls in flight at once. */
  concurrency: number;
}

/**
 * Zone failures another attempt a few seconds later cannot fix: a token without the permission, a
 * zone id Cloudflare does not know. The zone-check job reports these at once instead of retrying.
 */
const FINAL_ZONE_FAILURES: ReadonlySet<string> = new Set([
  'cloudflare_forbidden',
  'cloudflare_unauthorized',
  'cloudflare_bad_request',
  'cloudflare_not_found',
  'cloudflare_zone_not_found',
]);

/**
 * True when a zone that failed with `errorCode` may succeed if checked again (server errors,
 * timeouts, network trouble, rate limits, anything unknown).
 *
 * @example
 * isRetryableZoneFailure('cloudflare_server_error') // true
 * isRetryableZoneFailure('cloudflare_forbidden') // false
 */
export function isRetryableZoneFailure(errorCode: string): boolean {
  return !FINAL_ZONE_FAILURES.has(errorCode);
}

/**
 * What a zone's check says about its use of AOP (see `isIdleZone`). Results stored before the zone
 * level was read have no `zoneLevel`: nothing is known about it, so the zone is not idle.
 */
export function zoneUseOf(result: ZoneCheckResult): ZoneUseReading {
  const zoneLevel = result.zoneLevel;
  return {
    checkedAt: result.checkedAt,
    failed: result.failure !== null,
    hostnames: result.checks.length,
    hostnameCertificates: result.quota?.certificatesUsed ?? null,
    zoneLevel:
      zoneLevel?.state === 'checked'
        ? { aop: zoneLevel.zoneLevelAop, certificates: zoneLevel.certificates.length }
        : null,
  };
}

/** Association states that no longer describe anything Cloudflare does. */
const GONE = new Set(['deleted']);

function errorCodeOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : 'internal_error';
}

/** The error's message and, when it has one, what a person can do about it: the digest shows both. */
function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const hint = 'hint' in error && typeof error.hint === 'string' ? error.hint : '';
  return hint && !error.message.includes(hint) ? `${error.message} ${hint}` : error.message;
}

/** Runs `task` over `items` with at most `limit` in flight, keeping order. */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  });
  await Promise.all(lanes);
  return results;
}

/**
 * When a hostname appears more than once in the association list (an old association next to its
 * replacement), the one that is not gone and was touched last describes what Cloudflare does now.
 */
function pickCurrent(associations: HostnameAssociation[]): Map<string, HostnameAssociation> {
  const byHostname = new Map<string, HostnameAssociation>();
  const rank = (association: HostnameAssociation) => [
    GONE.has(association.associationStatus ?? '') ? 0 : 1,
    association.associationUpdatedAt?.getTime() ?? 0,
  ];
  for (const association of associations) {
    const key = association.hostname.toLowerCase();
    const current = byHostname.get(key);
    if (!current) {
      byHostname.set(key, association);
      continue;
    }
    const [aliveA = 0, timeA = 0] = rank(association);
    const [aliveB = 0, timeB = 0] = rank(current);
    if (aliveA > aliveB || (aliveA === aliveB && timeA > timeB)) byHostname.set(key, association);
  }
  return byHostname;
}

/**
 * The zone-level half of a zone check: which zone certificate is in use and the severity of each.
 * The one in use is rated like any certificate; the others are "uploaded, not in use" and capped at
 * info. When neither the switch nor the certificates say whether zone-level AOP is on, the most
 * recently deployed active certificate is rated as in use: a certificate that may be breaking
 * production must not be missed for want of one setting.
 */
function checkZoneLevel(
  zone: ZoneRef,
  certificatesRead: PromiseSettledResult<CfZoneCertificate[]>,
  settingRead: PromiseSettledResult<{ enabled: boolean | null }>,
  options: ZoneCheckOptions,
): ZoneLevelCheck {
  if (certificatesRead.status === 'rejected') {
    const error = certificatesRead.reason;
    return {
      state: 'not_checked',
      zone,
      errorCode: errorCodeOf(error),
      errorMessage: messageOf(error),
      permission: isCloudflareApiError(error, 'cloudflare_forbidden') ? 'SSL and Certificates Read' : null,
    };
  }
  const certificates = certificatesRead.value.map((row) => toZoneCertificate(row, zone.id));
  const zoneAop = settingRead.status === 'fulfilled' ? settingRead.value.enabled : null;
  const use = zoneCertificateInUse(zoneAop, certificates);
  const inUse =
    use.inUse ??
    (use.zoneLevelAop === null ? (activeZoneCertificatesNewestFirst(certificates)[0] ?? null) : null);
  const severityOptions = {
    thresholds: options.zoneThresholdsFor?.(zone) ?? options.thresholds,
    now: options.now(),
    timeZone: options.timeZone,
  };
  // Read from the PEM before it is dropped: a zone certificate is presented to origins like any other.
  const withFitness = (check: ZoneCertificateCheck, certificate: ZoneCertificate): ZoneCertificateCheck => {
    if (!certificate.certificatePem) return check;
    const fitness = assessCertificateFitness(certificate.certificatePem, {
      now: severityOptions.now,
      reportedExpiry: certificate.expiresOn,
      timeZone: options.timeZone,
    });
    return { ...check, fitness };
  };
  const checks: ZoneCertificateCheck[] = [];
  if (inUse !== null) {
    const parsed = inUse.certificatePem ? parseCertificatePem(inUse.certificatePem) : null;
    checks.push(
      withFitness(
        {
          zone,
          certificate: { ...inUse, certificatePem: null },
          inUse: true,
          assessment: assessZoneCertificate(inUse, {
            ...severityOptions,
            certificate: parsed?.ok ? parsed.certificate : null,
            notInUseBecause: null,
          }),
        },
        inUse,
      ),
    );
  }
  for (const { certificate, because } of use.notInUse) {
    if (certificate === inUse) continue;
    checks.push(
      withFitness(
        {
          zone,
          certificate: { ...certificate, certificatePem: null },
          inUse: false,
          assessment: assessZoneCertificate(certificate, { ...severityOptions, notInUseBecause: because }),
        },
        certificate,
      ),
    );
  }
  return { state: 'checked', zoneLevelAop: use.zoneLevelAop, certificates: checks };
}

/**
 * Checks one zone from the bulk endpoints: the association list and the hostname-certificate list,
 * joined by certificate id, and beside them the zone-level certificate list and the zone-level AOP
 * switch, so a zone costs four requests (plus one per extra 1,000 associations) whatever its size.
 * The per-hostname status call is used only where the lists cannot answer: a listed hostname
 * missing from the association list, or the list endpoint failing. A zone-level read that fails
 * (a token without the permission, say) leaves the hostnames checked and says so for the zone.
 */
export async function checkZone(plan: ZonePlan, options: ZoneCheckOptions): Promise<ZoneCheckResult> {
  const zoneId = plan.zone.id;
  let requests = 0;
  const certificateCache = new Map<string, ParsedCertificate | null>();
  const parseOnce = (association: HostnameAssociation): ParsedCertificate | null => {
    if (!association.certificatePem) return null;
    const key = association.certificateId ?? association.certificatePem;
    if (!certificateCache.has(key)) {
      const parsed = parseCertificatePem(association.certificatePem);
      certificateCache.set(key, parsed.ok ? parsed.certificate : null);
    }
    return certificateCache.get(key) ?? null;
  };
  const fitnessCache = new Map<string, FitnessFinding[]>();
  const fitnessOnce = (association: HostnameAssociation): FitnessFinding[] | null => {
    if (!association.certificatePem) return null;
    const key = `${association.certificateId ?? association.certificatePem}\n${association.expiresOn?.getTime()}`;
    let findings = fitnessCache.get(key);
    if (findings === undefined) {
      findings = assessCertificateFitness(association.certificatePem, {
        now: options.now(),
        reportedExpiry: association.expiresOn,
        timeZone: options.timeZone,
      });
      fitnessCache.set(key, findings);
    }
    return findings;
  };
  const toCheck = (hostname: string, observation: HostnameObservation): HostnameCheck => {
    const certificate = observation.kind === 'association' ? parseOnce(observation.association) : null;
    const fitness = observation.kind === 'association' ? fitnessOnce(observation.association) : null;
    const assessment = assessSeverity(observation, {
      thresholds: options.thresholdsFor?.(hostname, plan.zone) ?? options.thresholds,
      now: options.now(),
      certificate,
      timeZone: options.timeZone,
    });
    // The PEM has served its purpose (severity); dropping it keeps snapshots and job results small.
    const compact: HostnameObservation =
      observation.kind === 'association'
        ? { kind: 'association', association: { ...observation.association, certificatePem: null } }
        : observation;
    const check: HostnameCheck = { hostname, zone: plan.zone, observation: compact, assessment };
    if (fitness !== null) check.fitness = fitness;
    return check;
  };

  const fetchOne = async (hostname: string): Promise<HostnameCheck> => {
    requests += 1;
    try {
      const status = await options.cloudflare.getHostnameStatus(zoneId, hostname);
      return toCheck(hostname, {
        kind: 'association',
        association: toHostnameAssociation(status, zoneId, hostname),
      });
    } catch (error) {
      if (isCloudflareApiError(error, 'cloudflare_not_found')) {
        return toCheck(hostname, { kind: 'no_association', hostname, zoneId });
      }
      return toCheck(hostname, {
        kind: 'unreachable',
        hostname,
        zoneId,
        errorCode: errorCodeOf(error),
        errorMessage: messageOf(error),
      });
    }
  };

  let listed: Map<string, HostnameAssociation> | null = null;
  let quota: ZoneQuota | null = null;
  let hostnameCertificates: ListedHostnameCertificate[] | null = null;
  let listError: unknown = null;
  requests += ZONE_CHECK_REQUESTS;
  // Every read is awaited even when one fails, so no retry of another is still running (and
  // spending the rate limit) after this check, or this job attempt, has ended.
  const [rows, certificates, zoneCertificates, zoneAopSetting] = await Promise.allSettled([
    options.cloudflare.listHostnameAssociations(zoneId),
    options.cloudflare.listHostnameCertificates(zoneId),
    options.cloudflare.listZoneCertificates(zoneId),
    options.cloudflare.getZoneAopSetting(zoneId),
  ]);
  const zoneLevel = checkZoneLevel(plan.zone, zoneCertificates, zoneAopSetting, options);
  try {
    if (rows.status === 'rejected') throw rows.reason;
    if (certificates.status === 'rejected') throw certificates.reason;
    const joined = joinAssociationsWithCertificates(rows.value, certificates.value, zoneId);
    listed = pickCurrent(joined);
    const uploaded = certificates.value.map((row) => toHostnameCertificate(row, zoneId));
    quota = zoneQuota(uploaded, joined);
    hostnameCertificates = listHostnameCertificates(uploaded, joined, {
      now: options.now(),
      timeZone: options.timeZone,
    });
  } catch (error) {
    listError = error;
  }

  const failure = (error: unknown, hostnames: string[]): ZoneCheckResult => ({
    zone: plan.zone,
    checkedAt: options.now(),
    checks: [],
    failure: { zone: plan.zone, errorCode: errorCodeOf(error), errorMessage: messageOf(error), hostnames },
    zoneLevel,
    requests,
  });

  if (
    !listed &&
    (plan.discoverAll ||
      isCloudflareApiError(
        listError,
        'cloudflare_forbidden',
        'cloudflare_unauthorized',
        'cloudflare_zone_not_found',
      ))
  ) {
    // Without the list nothing can be discovered; and a token without access to the zone fails every
    // per-hostname call the same way, so it is said once for the zone.
    return failure(listError, plan.hostnames);
  }
  const known = listed;
  const missing = plan.hostnames.filter((hostname) => !known?.has(hostname.toLowerCase()));
  const fetched = new Map(
    (await mapWithConcurrency(missing, options.concurrency, fetchOne)).map((check) => [
      check.hostname,
      check,
    ]),
  );
  const reported = new Set<string>();
  const checks: HostnameCheck[] = [];
  for (const hostname of plan.hostnames) {
    const key = hostname.toLowerCase();
    if (reported.has(key)) continue;
    reported.add(key);
    const association = known?.get(key);
    checks.push(
      association
        ? toCheck(hostname, { kind: 'association', association })
        : (fetched.get(hostname) as HostnameCheck),
    );
  }
  if (plan.discoverAll && known) {
    // `known` is keyed by the lower-cased hostname, as are the configured and ignored names, so a
    // hostname Cloudflare spells with capitals is not reported twice.
    const ignored = new Set(plan.ignored.map((hostname) => hostname.toLowerCase()));
    for (const [key, association] of known) {
      if (reported.has(key) || ignored.has(key)) continue;
      if (GONE.has(association.associationStatus ?? '')) continue;
      reported.add(key);
      checks.push(toCheck(association.hostname, { kind: 'association', association }));
    }
  }
  return {
    zone: plan.zone,
    checkedAt: options.now(),
    checks,
    failure: null,
    zoneLevel,
    requests,
    quota,
    ...(hostnameCertificates === null ? {} : { hostnameCertificates }),
  };
}
