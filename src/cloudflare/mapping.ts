/**
 * Maps Cloudflare's wire shapes onto the domain model. Pure: no I/O, no clock.
 */
import type {
  HostnameAopSwitch,
  HostnameAssociation,
  HostnameCertificate,
  ZoneCertificate,
} from '../domain/types.js';
import type {
  CfHostnameAssociationRow,
  CfHostnameCertificate,
  CfHostnameStatus,
  CfZoneCertificate,
} from './types.js';

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?\s*(?:([Zz])|([+-])(\d{2}):?(\d{2}))?(?:\s*UTC)?$/;

/**
 * Parses an RFC 3339 timestamp as Cloudflare writes them, with fractional seconds of any length
 * (`2019-10-28T18:11:23.37411Z`) and any offset; digits past milliseconds are truncated. A missing
 * offset is read as UTC, which is what Cloudflare means. Anything else, including impossible dates
 * such as February 30th, gives null rather than an Invalid Date.
 *
 * @example
 * parseCloudflareTimestamp('2100-01-01T05:20:00.123456789Z') // 2100-01-01T05:20:00.123Z
 * parseCloudflareTimestamp('2026-02-30T00:00:00Z') // null
 */
export function parseCloudflareTimestamp(value: string | null | undefined): Date | null {
  if (typeof value !== 'string') return null;
  const match = RFC3339.exec(value.trim());
  if (!match) return null;
  const [, year, month, day, hour, minute, second, fraction, , sign, offsetHours, offsetMinutes] = match;
  const numbers = [year, month, day, hour, minute, second].map(Number);
  const [y = 0, mo = 0, d = 0, h = 0, mi = 0, rawSecond = 0] = numbers;
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || rawSecond > 60) return null;
  // A leap second (:60) has no Date; the instant just before it is close enough for an expiry.
  const s = Math.min(rawSecond, 59);
  const milliseconds = fraction ? Number(fraction.slice(0, 3).padEnd(3, '0')) : 0;
  let epochMs = Date.UTC(y, mo - 1, d, h, mi, s, milliseconds);
  const check = new Date(epochMs);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return null;
  if (sign) {
    const offsetH = Number(offsetHours);
    const offsetM = Number(offsetMinutes);
    if (offsetH > 23 || offsetM > 59) return null;
    const offsetMs = (offsetH * 60 + offsetM) * 60_000;
    epochMs += sign === '+' ? -offsetMs : offsetMs;
  }
  return new Date(epochMs);
}

/** The tri-state wire switch as the domain names it; an absent field is `unreported`, not `off`. */
export function toAopSwitch(enabled: boolean | null | undefined): HostnameAopSwitch {
  if (enabled === true) return 'on';
  if (enabled === false) return 'off';
  if (enabled === null) return 'voided';
  return 'unreported';
}

/** Empty strings carry no information; the card should say "unknown", not show a blank. */
function textOrNull(value: string | undefined): string | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  return trimmed.length > 0 ? trimmed : null;
}

/** PEMs keep their line breaks; only an all-blank value counts as absent. */
function pemOrNull(value: string | undefined): string | null {
  return value !== undefined && value.trim().length > 0 ? value : null;
}

/**
 * One H3 answer as the domain sees it. `requestedHostname` stands in when Cloudflare's answer omits
 * `hostname` (the spec requires no field); otherwise Cloudflare's own spelling is kept.
 *
 * @example
 * toHostnameAssociation({ hostname: 'app.example.com', enabled: null, status: 'active' }, 'zone1', 'app.example.com')
 * // { hostname: 'app.example.com', zoneId: 'zone1', aopSwitch: 'voided', associationStatus: 'active', ... }
 */
export function toHostnameAssociation(
  status: CfHostnameStatus,
  zoneId: string,
  requestedHostname: string,
): HostnameAssociation {
  return {
    hostname: textOrNull(status.hostname) ?? requestedHostname,
    zoneId,
    aopSwitch: toAopSwitch(status.enabled),
    associationStatus: textOrNull(status.status),
    certificateStatus: textOrNull(status.cert_status),
    certificateId: textOrNull(status.cert_id),
    expiresOn: parseCloudflareTimestamp(status.expires_on),
    issuer: textOrNull(status.issuer),
    serialNumber: textOrNull(status.serial_number),
    signature: textOrNull(status.signature),
    certificatePem: pemOrNull(status.certificate),
    associationCreatedAt: parseCloudflareTimestamp(status.created_at),
    associationUpdatedAt: parseCloudflareTimestamp(status.updated_at),
    certificateUploadedOn: parseCloudflareTimestamp(status.cert_uploaded_on),
    certificateUpdatedAt: parseCloudflareTimestamp(status.cert_updated_at),
  };
}

/**
 * Joins the zone's association list (H2) with its hostname-certificate list (C1) by certificate id,
 * so a whole zone is checked with two list calls instead of one call per hostname. The association's
 * switch and status come from the row; the certificate's status, expiry, issuer, serial, signature,
 * PEM and upload time come from the certificate. A row whose certificate is missing from the list
 * keeps null certificate fields (the severity rules report a missing expiry). Rows without a
 * hostname cannot be shown to anyone and are skipped. `certificateUpdatedAt` is always null: the
 * certificate list does not report it.
 *
 * @example
 * joinAssociationsWithCertificates(
 *   [{ hostname: 'a.example.com', cert_id: 'c1', enabled: true, status: 'active' }],
 *   [{ id: 'c1', expires_on: '2030-01-01T00:00:00Z', status: 'active' }],
 *   'zone1',
 * ) // [{ hostname: 'a.example.com', aopSwitch: 'on', expiresOn: 2030-01-01T00:00:00.000Z, ... }]
 */
export function joinAssociationsWithCertificates(
  rows: readonly CfHostnameAssociationRow[],
  certificates: readonly CfHostnameCertificate[],
  zoneId: string,
): HostnameAssociation[] {
  const certificatesById = new Map<string, CfHostnameCertificate>();
  for (const certificate of certificates) {
    const id = textOrNull(certificate.id);
    // Ids are UUIDs; compare without case so an upper-case echo still joins.
    if (id !== null && !certificatesById.has(id.toLowerCase()))
      certificatesById.set(id.toLowerCase(), certificate);
  }
  const associations: HostnameAssociation[] = [];
  for (const row of rows) {
    const hostname = textOrNull(row.hostname);
    if (hostname === null) continue;
    const certificateId = textOrNull(row.cert_id);
    const certificate =
      certificateId === null ? undefined : certificatesById.get(certificateId.toLowerCase());
    associations.push({
      hostname,
      zoneId,
      aopSwitch: toAopSwitch(row.enabled),
      associationStatus: textOrNull(row.status),
      certificateStatus: textOrNull(certificate?.status),
      certificateId,
      expiresOn: parseCloudflareTimestamp(certificate?.expires_on),
      issuer: textOrNull(certificate?.issuer),
      serialNumber: textOrNull(certificate?.serial_number),
      signature: textOrNull(certificate?.signature),
      certificatePem: pemOrNull(certificate?.certificate),
      associationCreatedAt: parseCloudflareTimestamp(row.created_at),
      associationUpdatedAt: parseCloudflareTimestamp(row.updated_at),
      certificateUploadedOn: parseCloudflareTimestamp(certificate?.uploaded_on),
      certificateUpdatedAt: null,
    });
  }
  return associations;
}

/**
 * One row of the zone's hostname-certificate list (C1) as the domain sees it.
 *
 * @example
 * toHostnameCertificate({ id: 'c2', status: 'active', uploaded_on: '2026-11-20T08:00:00Z' }, 'zone1')
 * // { zoneId: 'zone1', certificateId: 'c2', status: 'active', uploadedOn: 2026-11-20T08:00:00.000Z, ... }
 */
export function toHostnameCertificate(row: CfHostnameCertificate, zoneId: string): HostnameCertificate {
  return {
    zoneId,
    certificateId: textOrNull(row.id),
    status: textOrNull(row.status),
    expiresOn: parseCloudflareTimestamp(row.expires_on),
    issuer: textOrNull(row.issuer),
    serialNumber: textOrNull(row.serial_number),
    signature: textOrNull(row.signature),
    certificatePem: pemOrNull(row.certificate),
    uploadedOn: parseCloudflareTimestamp(row.uploaded_on),
  };
}

/**
 * One zone-level certificate (Z1 row) as the domain sees it.
 *
 * @example
 * toZoneCertificate({ id: 'z1', status: 'active', expires_on: '2030-01-01T00:00:00Z' }, 'zone1')
 * // { zoneId: 'zone1', certificateId: 'z1', status: 'active', expiresOn: 2030-01-01T00:00:00.000Z, ... }
 */
export function toZoneCertificate(row: CfZoneCertificate, zoneId: string): ZoneCertificate {
  return {
    zoneId,
    certificateId: textOrNull(row.id),
    status: textOrNull(row.status),
    zoneAopEnabled: row.enabled ?? null,
    expiresOn: parseCloudflareTimestamp(row.expires_on),
    issuer: textOrNull(row.issuer),
    signature: textOrNull(row.signature),
    certificatePem: pemOrNull(row.certificate),
    uploadedOn: parseCloudflareTimestamp(row.uploaded_on),
  };
}
