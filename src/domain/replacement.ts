/**
 * Renewal readiness: what the zone's hostname-certificate list says about the renewal of a
 * certificate with an expiry problem. Most renewals that fail do so between two steps: the
 * replacement is uploaded and never associated, or it is unfit (a public CA that stopped putting
 * clientAuth in its certificates), or the zone has no slot left for it. Pure: lists and a clock
 * in, facts out.
 */
import { parseCertificatePem } from './certificate.js';
import { assessCertificateFitness, type FitnessCode, type FitnessFinding } from './fitness.js';
import { HOSTNAME_CERTIFICATES_PER_ZONE } from './quota.js';
import type { HostnameAssociation, HostnameCertificate } from './types.js';

/**
 * One certificate of a zone's hostname-certificate list, without its PEM: what the alert threads
 * need to spot and judge a replacement. Plain data (Dates aside): it travels with the zone check.
 */
export interface ListedHostnameCertificate {
  certificateId: string | null;
  serialNumber: string | null;
  status: string | null;
  issuer: string | null;
  expiresOn: Date | null;
  uploadedOn: Date | null;
  /** The subject's common name and the DNS names of its SANs, lower-cased; empty without a readable PEM. */
  names: string[];
  /** Associations on it in the zone (every row that is not deleted). */
  associations: number;
  /** Fitness findings from its PEM; null when Cloudflare returned none. */
  findings: FitnessFinding[] | null;
}

/** A candidate replacement of a certificate, as the episode keeps it. */
export interface ReplacementCandidate {
  /** Cloudflare's certificate id: the `cert_id` of the association body. */
  id: string;
  serialNumber: string | null;
  uploadedOn: Date | null;
  expiresOn: Date | null;
  /** Its subject or a SAN is one of the old certificate's names. */
  namesMatch: boolean;
  /** What would make the origin reject it once hostnames move to it; empty when fit. */
  unfit: { code: FitnessCode; text: string }[];
}

/** An expired certificate that can be deleted to make room, once its associations are voided. */
export interface DeletableCertificate {
  id: string;
  serialNumber: string | null;
  expiresOn: Date | null;
  associations: number;
}

/** The zone's certificate slots, known only when they are all taken. */
export interface ZoneSlotsFull {
  used: number;
  limit: number;
  /** Expired certificates (not the one being replaced), oldest expiry first. */
  deletable: DeletableCertificate[];
}

/**
 * Findings that do not make a replacement unfit: a date disagreement is weighed by the severity
 * rules once the certificate is in use, and an unreadable PEM says nothing either way.
 */
const NOT_BLOCKING: ReadonlySet<FitnessCode> = new Set(['expiry_mismatch', 'unreadable']);

const GONE: ReadonlySet<string> = new Set(['deleted', 'pending_deletion']);

function namesOf(pem: string | null): string[] {
  if (pem === null) return [];
  const parsed = parseCertificatePem(pem);
  if (!parsed.ok) return [];
  const commonName = /(?:^|[\n,/]\s*)CN=([^\n,/]+)/.exec(parsed.certificate.subject)?.[1]?.trim();
  const names = [...(commonName ? [commonName] : []), ...parsed.certificate.subjectAltNames];
  return [...new Set(names.filter((name) => !name.includes(':')).map((name) => name.toLowerCase()))].sort();
}

/**
 * The zone's hostname-certificate list as the alert threads use it: each certificate's names,
 * association count and fitness, the PEM read once here and then dropped.
 *
 * @example
 * listHostnameCertificates(certificates, associations, { now, timeZone: 'UTC' })[0]
 * // { certificateId: 'c2', associations: 0, names: ['app.example.com'], findings: [], … }
 */
export function listHostnameCertificates(
  certificates: readonly HostnameCertificate[],
  associations: ReadonlyArray<Pick<HostnameAssociation, 'certificateId' | 'associationStatus'>>,
  options: { now: Date; timeZone: string },
): ListedHostnameCertificate[] {
  const counts = new Map<string, number>();
  for (const { certificateId, associationStatus } of associations) {
    if (certificateId === null || associationStatus === 'deleted') continue;
    const key = certificateId.toLowerCase();
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return certificates.map((certificate) => ({
    certificateId: certificate.certificateId,
    serialNumber: certificate.serialNumber,
    status: certificate.status,
    issuer: certificate.issuer,
    expiresOn: certificate.expiresOn,
    uploadedOn: certificate.uploadedOn,
    names: namesOf(certificate.certificatePem),
    associations: counts.get(certificate.certificateId?.toLowerCase() ?? '') ?? 0,
    findings:
      certificate.certificatePem === null
        ? null
        : assessCertificateFitness(certificate.certificatePem, {
            now: options.now,
            reportedExpiry: certificate.expiresOn,
            timeZone: options.timeZone,
          }),
  }));
}

/** The key the alert threads name a certificate by: its serial, else its id (as `certificateKeyOf`). */
function keyOf(certificate: Pick<ListedHostnameCertificate, 'serialNumber' | 'certificateId'>): string {
  const serial = certificate.serialNumber?.trim() ?? '';
  return serial !== '' ? serial : (certificate.certificateId?.trim() ?? '');
}

/**
 * Candidate replacements of the certificate `old` (an open expiry episode's): certificates of the
 * same zone that no hostname uses yet, uploaded after it and expiring later. Hostnames that already
 * moved from the episode to a candidate do not count as using it, so the candidate stays shown
 * while the move is under way. Ordered: a subject or SAN matching the old certificate's first, then
 * fit ones, then the newest upload.
 *
 * @example
 * findReplacements({ key: '4097', id: 'c1' }, listed, new Map())
 * // [{ id: 'c2', serialNumber: '8193', namesMatch: true, unfit: [], … }]
 */
export function findReplacements(
  old: { key: string; id: string | null },
  listed: readonly ListedHostnameCertificate[],
  movedTo: ReadonlyMap<string, number>,
): ReplacementCandidate[] {
  const oldEntry =
    listed.find(
      (certificate) =>
        (old.id !== null && certificate.certificateId?.toLowerCase() === old.id.toLowerCase()) ||
        keyOf(certificate) === old.key,
    ) ?? null;
  if (oldEntry === null || oldEntry.expiresOn === null) return [];
  const oldNames = new Set(oldEntry.names);
  const candidates: ReplacementCandidate[] = [];
  for (const certificate of listed) {
    if (certificate === oldEntry || certificate.certificateId === null) continue;
    if (GONE.has(certificate.status ?? '')) continue;
    if (certificate.expiresOn === null || certificate.expiresOn <= oldEntry.expiresOn) continue;
    // Without both upload times there is no telling which came first; a later expiry alone is not enough.
    if (certificate.uploadedOn === null || oldEntry.uploadedOn === null) continue;
    if (certificate.uploadedOn <= oldEntry.uploadedOn) continue;
    if (certificate.associations > (movedTo.get(keyOf(certificate)) ?? 0)) continue;
    candidates.push({
      id: certificate.certificateId,
      serialNumber: certificate.serialNumber,
      uploadedOn: certificate.uploadedOn,
      expiresOn: certificate.expiresOn,
      namesMatch: certificate.names.some((name) => oldNames.has(name)),
      unfit: (certificate.findings ?? [])
        .filter((finding) => !NOT_BLOCKING.has(finding.code))
        .map((finding) => ({ code: finding.code, text: finding.text })),
    });
  }
  const rank = (candidate: ReplacementCandidate) => [
    candidate.namesMatch ? 0 : 1,
    candidate.unfit.length === 0 ? 0 : 1,
    -(candidate.uploadedOn?.getTime() ?? 0),
  ];
  return candidates.sort((a, b) => {
    const [a0 = 0, a1 = 0, a2 = 0] = rank(a);
    const [b0 = 0, b1 = 0, b2 = 0] = rank(b);
    return a0 - b0 || a1 - b1 || a2 - b2 || a.id.localeCompare(b.id);
  });
}

/**
 * The zone's certificate slots when every one is taken (Cloudflare allows 10 and never deletes an
 * expired certificate), with the expired ones that could make room; null while a slot is free.
 *
 * @example
 * zoneSlotsWhenFull(listed, { now, replacingId: 'c1' }) // { used: 10, limit: 10, deletable: [{ id: 'c0', … }] }
 */
export function zoneSlotsWhenFull(
  listed: readonly ListedHostnameCertificate[],
  options: { now: Date; replacingId: string | null },
): ZoneSlotsFull | null {
  const taken = listed.filter((certificate) => certificate.status !== 'deleted');
  if (taken.length < HOSTNAME_CERTIFICATES_PER_ZONE) return null;
  const replacing = options.replacingId?.toLowerCase() ?? null;
  const deletable = taken
    .filter(
      (certificate): certificate is ListedHostnameCertificate & { certificateId: string } =>
        certificate.certificateId !== null &&
        certificate.certificateId.toLowerCase() !== replacing &&
        certificate.expiresOn !== null &&
        certificate.expiresOn.getTime() <= options.now.getTime(),
    )
    .sort((a, b) => (a.expiresOn?.getTime() ?? 0) - (b.expiresOn?.getTime() ?? 0))
    .map((certificate) => ({
      id: certificate.certificateId,
      serialNumber: certificate.serialNumber,
      expiresOn: certificate.expiresOn,
      associations: certificate.associations,
    }));
  return { used: taken.length, limit: HOSTNAME_CERTIFICATES_PER_ZONE, deletable };
}
