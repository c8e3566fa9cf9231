/**
 * The digest's data model: what one digest run observed (`DigestInput`) and the grouped, ordered
 * view of it that the renderer turns into Slack messages (`DigestSections`). Types only; the
 * grouping lives in group.ts and the rendering in src/render/digest.ts.
 */
import type { FitnessFinding } from '../domain/fitness.js';
import type { ZoneQuota } from '../domain/quota.js';
import type {
  HostnameObservation,
  ReasonCode,
  Severity,
  SeverityAssessment,
  ZoneCertificate,
  ZoneRef,
} from '../domain/types.js';

/** One watched hostname, checked once during the digest run. */
export interface HostnameCheck {
  hostname: string;
  zone: ZoneRef;
  observation: HostnameObservation;
  assessment: SeverityAssessment;
  /**
   * What would make an origin that checks client certificates reject this hostname's certificate
   * (src/domain/fitness.ts); empty when fit. Absent when there was no PEM to check, and in checks
   * stored before fitness was assessed.
   */
  fitness?: FitnessFinding[];
}

/** One zone-level certificate, checked once during the run. */
export interface ZoneCertificateCheck {
  zone: ZoneRef;
  /** As Cloudflare reported it, without the PEM (read for the severity, then dropped). */
  certificate: ZoneCertificate;
  /** True for the certificate Cloudflare presents to every hostname of the zone without its own. */
  inUse: boolean;
  assessment: SeverityAssessment;
  /**
   * Purpose, key and signature findings from its PEM (src/domain/fitness.ts); empty when fit. Absent
   * when Cloudflare sent no PEM, and in checks stored before zone certificates were assessed.
   */
  fitness?: FitnessFinding[];
}

/** What a zone check found at zone level: the AOP switch and the zone certificates, or why it could not tell. */
export type ZoneLevelCheck =
  | {
      state: 'checked';
      /** Zone-level AOP, or null when neither the switch nor the certificates said. */
      zoneLevelAop: boolean | null;
      certificates: ZoneCertificateCheck[];
    }
  | {
      state: 'not_checked';
      zone: ZoneRef;
      errorCode: string;
      errorMessage: string;
      /** The token permission that would let the bot read them, when that is what failed. */
      permission: string | null;
    };

/** A zone whose hostnames could not be listed or checked at all during the run. */
export interface ZoneFailure {
  zone: ZoneRef;
  errorCode: string;
  errorMessage: string;
  /** The configured hostnames that were not checked; empty when the zone's hostnames were to be discovered. */
  hostnames: string[];
  /**
   * The account whose token read the zone, when the run's plan named one: failures of one account
   * with the same error are one digest line. Absent in results stored before, and for a zone no
   * plan gave an account: its own line, as before.
   */
  account?: string;
}

/** What zone discovery has to tell in a digest (absent without `discover:`). */
export interface ZoneListDigest {
  /** Zones that joined the list since the last digest, sorted by name. */
  added: ZoneRef[];
  /** Zones that left it (deleted, or no token reads them any more), told once, sorted by name. */
  removed: ZoneRef[];
  /** Accounts whose last zone listing failed: the digest used their last good list. */
  listingFailures: Array<{ account: string; errorMessage: string; lastGoodAt: Date | null }>;
  /** Discovered zones without AOP left out of this run (checked every `discover.every` only). */
  idleZones: number;
}

/** Everything one digest run found, plus the clock facts the message states. */
export interface DigestInput {
  /** The scheduled time of the slot this digest belongs to (the time of the request for on-demand runs). */
  slotTime: Date;
  generatedAt: Date;
  /** How long after `slotTime` the run actually happened; 0 when on time. */
  lateByMs: number;
  nextDigestAt: Date | null;
  /** IANA time zone for every date and time shown to people. */
  timeZone: string;
  /** Every hostname checked, or (see `healthyLeftOut`) every one the digest shows more than a count of. */
  checks: HostnameCheck[];
  /**
   * Healthy hostnames counted but not in `checks`: per zone and owning route (null: the top level).
   * Absent or empty when `checks` holds every hostname.
   */
  healthyLeftOut?: HealthyLeftOut[];
  zoneFailures: ZoneFailure[];
  /** Zone-level certificates, each its own digest line; absent or empty when none were checked. */
  zoneCertificates?: ZoneCertificateCheck[];
  /** Zones whose zone-level certificates could not be read. */
  zoneLevelFailures?: Array<Extract<ZoneLevelCheck, { state: 'not_checked' }>>;
  /** How many zones the inventory holds, including the ones that failed. */
  zonesTotal: number;
  trigger: 'schedule' | 'on_demand';
  /** Each checked zone's use of Cloudflare's limits, when its lists were read. */
  zoneQuotas?: ZoneQuotaReading[];
  /** A route's digest (its hostnames only); null or absent for the whole inventory. */
  route?: string | null;
  /** With `discover:`: zones that joined or left the list, failed listings, idle zones left out. */
  zoneList?: ZoneListDigest;
  /**
   * When the schedules need more of a Cloudflare token's limit than background runs may use: what
   * they need and how long runs take instead (see budget-plan.ts). Absent or null when they fit.
   */
  budgetNote?: string | null;
}

export interface HealthyLeftOut {
  zone: ZoneRef;
  route: string | null;
  hostnames: number;
}

export interface ZoneQuotaReading {
  zone: ZoneRef;
  quota: ZoneQuota;
}

/** The four lists of a digest, in the order they are shown. */
export const DIGEST_SECTION_KEYS = ['critical', 'warning', 'unknown', 'disabled'] as const;
export type DigestSectionKey = (typeof DIGEST_SECTION_KEYS)[number];

/**
 * One line of the digest before rendering. Hostnames that share a certificate (or, when they could
 * not be checked, share the error) form one item; a zone that could not be listed is one item too.
 */
export interface DigestItem {
  /**
   * `zone_certificate`: one zone-level certificate (`certificateId` set), or the zone's certificates
   * that could not be read (`certificateId` null, `errorCode` set).
   */
  kind: 'hostnames' | 'zone_failure' | 'zone_certificate';
  section: DigestSectionKey;
  severity: Severity;
  zone: ZoneRef;
  /** Set when the item groups hostnames that share this certificate. */
  certificateId: string | null;
  /** Sorted. For a zone failure: the configured hostnames not checked (empty when discovery failed). */
  hostnames: string[];
  /** The governing reason (the worst one). `unreachable` for zone failures. */
  reasonCode: ReasonCode;
  /** Plain text, not escaped. */
  reasonText: string;
  /** The stable error code when the item could not be checked (zone failures, unreachable hostnames). */
  errorCode: string | null;
  /** The earliest effective expiry among the item's hostnames, when known. */
  expiresOn: Date | null;
  daysUntilExpiry: number | null;
  /** For a zone certificate: whether Cloudflare presents it to every hostname without its own. */
  zoneCertificateInUse?: boolean;
  /**
   * A `zone_failure` item for several zones of one account failing with the same error (a refused
   * token): the account and its zones, sorted by name; `zone` is the first of them and `hostnames`
   * the configured hostnames of them all. Absent for a single zone.
   */
  account?: { name: string; zones: ZoneRef[] };
}

export interface DigestCounts {
  /** Hostnames per severity, over the checks that ran (zone failures are counted apart). */
  bySeverity: Record<Severity, number>;
  /** Hostnames that were reached and assessed. */
  hostnamesChecked: number;
  /** Checks that ran but could not reach Cloudflare (counted under `unknown` in `bySeverity` too). */
  hostnamesUnreachable: number;
  /** Configured hostnames of zones that could not be listed; not in `bySeverity`, since they were never assessed. */
  hostnamesInFailedZones: number;
  /** `hostnamesUnreachable + hostnamesInFailedZones`. */
  hostnamesNotChecked: number;
  /** Zones that failed while their hostnames were to be discovered, so how many hostnames they hold is unknown. */
  zonesNotListed: number;
  zonesChecked: number;
  zonesTotal: number;
  /** Zone-level certificates per severity (apart from the hostnames). */
  zoneCertificatesBySeverity: Record<Severity, number>;
  /** Zones whose zone-level certificates could not be read. */
  zonesWithoutZoneLevel: number;
}

export interface DigestSections {
  /** Every section key is present, in display order; a section with nothing to show has no items. */
  sections: Record<DigestSectionKey, DigestItem[]>;
  counts: DigestCounts;
}

/** One certificate in effect that an origin checking the purpose would reject, with who uses it. */
export interface UnfitCertificateItem {
  zone: ZoneRef;
  /** `zone`: the zone certificate in use, presented for every hostname of the zone without its own. */
  level: 'hostname' | 'zone';
  certificateId: string | null;
  /** Sorted; empty for a zone certificate. */
  hostnames: string[];
  /** Purpose, key and signature findings only (the dates are weighed by the severity). */
  findings: FitnessFinding[];
}
