/**
 * Cloudflare's per-hostname AOP limits (cloudflare-api.md §1.1): 10 hostname certificates per
 * zone (C2) and 100 associations on one certificate (H1). A zone at 10 cannot take the upload of a
 * replacement, and Cloudflare never deletes expired certificates by itself. Pure.
 */
import type { HostnameAssociation, HostnameCertificate } from './types.js';

export const HOSTNAME_CERTIFICATES_PER_ZONE = 10;
export const ASSOCIATIONS_PER_CERTIFICATE = 100;

/** How much of both limits one zone uses. Plain data (no Dates): stored with the zone's check. */
export interface ZoneQuota {
  /** Hostname certificates in the zone's list, expired ones included; deleted ones do not count. */
  certificatesUsed: number;
  certificatesLimit: number;
  /** The most associations on one certificate, and which certificate (null when there are none). */
  largestAssociationCount: number;
  largestAssociationCertificateId: string | null;
  associationsLimit: number;
}

/** States in which a certificate or an association no longer takes a slot. */
const GONE_STATUSES: ReadonlySet<string> = new Set(['deleted']);

/**
 * Counts one zone's use of both limits from its two lists: the hostname certificates and the
 * associations (every row, before duplicates are settled: each one takes a slot). Ties on the
 * association count go to the smaller certificate id, so the answer never depends on list order.
 *
 * @example
 * zoneQuota([{ status: 'active' }], [{ certificateId: 'c1', associationStatus: 'active' }])
 * // { certificatesUsed: 1, certificatesLimit: 10, largestAssociationCount: 1, largestAssociationCertificateId: 'c1', associationsLimit: 100 }
 */
export function zoneQuota(
  certificates: ReadonlyArray<Pick<HostnameCertificate, 'status'>>,
  associations: ReadonlyArray<Pick<HostnameAssociation, 'certificateId' | 'associationStatus'>>,
): ZoneQuota {
  const certificatesUsed = certificates.filter((item) => !GONE_STATUSES.has(item.status ?? '')).length;
  const perCertificate = new Map<string, number>();
  for (const { certificateId, associationStatus } of associations) {
    if (certificateId === null || GONE_STATUSES.has(associationStatus ?? '')) continue;
    perCertificate.set(certificateId, (perCertificate.get(certificateId) ?? 0) + 1);
  }
  let largestAssociationCount = 0;
  let largestAssociationCertificateId: string | null = null;
  for (const [certificateId, count] of [...perCertificate].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (count > largestAssociationCount) {
      largestAssociationCount = count;
      largestAssociationCertificateId = certificateId;
    }
  }
  return {
    certificatesUsed,
    certificatesLimit: HOSTNAME_CERTIFICATES_PER_ZONE,
    largestAssociationCount,
    largestAssociationCertificateId,
    associationsLimit: ASSOCIATIONS_PER_CERTIFICATE,
  };
}

/**
 * One line for the card and the digest footer, with a warning sign once either limit is reached.
 *
 * @example describeZoneQuota(quota) // '10 of 10 hostname certificates (no slot for a replacement) · 30 of 100 associations on one certificate'
 */
export function describeZoneQuota(quota: ZoneQuota): string {
  const full = quota.certificatesUsed >= quota.certificatesLimit;
  const certificates = `${quota.certificatesUsed} of ${quota.certificatesLimit} hostname certificates${
    full ? ' (no slot for a replacement)' : ''
  }`;
  const associations = `${quota.largestAssociationCount} of ${quota.associationsLimit} associations on one certificate${
    quota.largestAssociationCount >= quota.associationsLimit ? ' (full)' : ''
  }`;
  return `${certificates} · ${associations}`;
}

/** True when a zone cannot take another hostname certificate or its busiest certificate is full. */
export function isQuotaExhausted(quota: ZoneQuota): boolean {
  return (
    quota.certificatesUsed >= quota.certificatesLimit ||
    quota.largestAssociationCount >= quota.associationsLimit
  );
}
