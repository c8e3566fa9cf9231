/**
 * Certificate fitness: would an origin that checks client certificates the way OpenSSL does accept
 * this certificate from Cloudflare? Pure: a PEM, Cloudflare's expiry and a clock in, findings out.
 *
 * The dates come from `node:crypto`, the key size too; the extensions and the signature algorithm,
 * which `node:crypto` does not expose on Node 20, come from the DER through the `@peculiar/asn1-x509`
 * schemas (no DER is read by hand here).
 */
import { X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_kp_clientAuth,
  KeyUsage,
  KeyUsageFlags,
} from '@peculiar/asn1-x509';
import { parseCertificatePem } from './certificate.js';
import { formatDate, formatDateTime } from './time.js';

/** Stable codes: the card, the digest and stored alert state name findings by these. */
export const FITNESS_CODES = [
  'client_auth_missing',
  'digital_signature_missing',
  'weak_key',
  'weak_signature',
  'ca_certificate',
  'not_yet_valid',
  'expiry_mismatch',
  'unreadable',
] as const;
export type FitnessCode = (typeof FITNESS_CODES)[number];

/**
 * Findings the severity rules already weigh (as reasons with their own severity) or that say only
 * that nothing could be checked: lists of unfit certificates leave them out so nothing is said twice.
 */
export const SEVERITY_WEIGHED_FITNESS_CODES: ReadonlySet<FitnessCode> = new Set([
  'not_yet_valid',
  'expiry_mismatch',
  'unreadable',
]);

/**
 * The findings about the certificate's purpose, key and signature: what is wrong even while the
 * dates are right.
 *
 * @example purposeFindings([{ code: 'expiry_mismatch', … }, { code: 'weak_key', … }]) // [{ code: 'weak_key', … }]
 */
export function purposeFindings(findings: readonly FitnessFinding[]): FitnessFinding[] {
  return findings.filter((item) => !SEVERITY_WEIGHED_FITNESS_CODES.has(item.code));
}

export interface FitnessFinding {
  code: FitnessCode;
  /** What was found, e.g. "Extended key usage is serverAuth only, without clientAuth". Plain text. */
  text: string;
  /** What it does to the origin, in one sentence. Plain text. */
  consequence: string;
}

export interface CertificateFitnessOptions {
  now: Date;
  /** Cloudflare's `expires_on` for this certificate, compared with the PEM's notAfter. */
  reportedExpiry?: Date | null;
  /** Dates in finding texts are shown in this zone. */
  timeZone: string;
}

/** Two expiry readings further apart than this are reported as disagreeing. */
export const EXPIRY_MISMATCH_TOLERANCE_MS = 60_000;

/** The smallest keys current TLS libraries accept at their default security level. */
export const MIN_RSA_BITS = 2048;
const ACCEPTED_CURVES: ReadonlySet<string> = new Set([
  'prime256v1',
  'P-256',
  'secp384r1',
  'P-384',
  'secp521r1',
  'P-521',
]);

/** Signature algorithms origins refuse, by OID (RFC 3279, RFC 5758). */
const WEAK_SIGNATURE_ALGORITHMS: ReadonlyMap<string, string> = new Map([
  ['1.2.840.113549.1.1.4', 'MD5 with RSA'],
  ['1.2.840.113549.1.1.5', 'SHA-1 with RSA'],
  ['1.3.14.3.2.29', 'SHA-1 with RSA'],
  ['1.2.840.10045.4.1', 'ECDSA with SHA-1'],
  ['1.2.840.10040.4.3', 'DSA with SHA-1'],
]);

const EKU_NAMES: ReadonlyMap<string, string> = new Map([
  ['1.3.6.1.5.5.7.3.1', 'serverAuth'],
  ['1.3.6.1.5.5.7.3.2', 'clientAuth'],
  ['1.3.6.1.5.5.7.3.3', 'codeSigning'],
  ['1.3.6.1.5.5.7.3.4', 'emailProtection'],
  ['1.3.6.1.5.5.7.3.8', 'timeStamping'],
  ['1.3.6.1.5.5.7.3.9', 'OCSPSigning'],
  ['2.5.29.37.0', 'anyExtendedKeyUsage'],
]);

export const FITNESS_CONSEQUENCES: Record<FitnessCode, string> = {
  client_auth_missing:
    'nginx and other OpenSSL-based origins (Apache, HAProxy, Envoy) reject a client certificate without clientAuth.',
  digital_signature_missing:
    'The TLS handshake signs with this key, so OpenSSL-based origins reject a client certificate whose key usage lacks digitalSignature.',
  weak_key:
    'OpenSSL at its default security level rejects keys this small, so the origin refuses the handshake.',
  weak_signature:
    'Current OpenSSL and most TLS libraries refuse certificates signed with SHA-1 or MD5, so the origin refuses the handshake.',
  ca_certificate:
    'Cloudflare would present the CA itself instead of a client certificate it issued, which origins that check the purpose reject.',
  not_yet_valid: 'Every origin rejects a client certificate before its notBefore.',
  expiry_mismatch: 'The earlier of the two dates is the one on which the origin starts rejecting Cloudflare.',
  unreadable: 'Nothing about this certificate can be checked until Cloudflare returns a readable PEM.',
};

function finding(code: FitnessCode, text: string): FitnessFinding {
  return { code, text, consequence: FITNESS_CONSEQUENCES[code] };
}

/**
 * Shows two instants as calendar dates, or with the time when they share a date (otherwise
 * "2026-12-01 vs 2026-12-01" would not explain a mismatch).
 */
function describeTwoInstants(first: Date, second: Date, timeZone: string): [string, string] {
  const firstDate = formatDate(first, timeZone);
  const secondDate = formatDate(second, timeZone);
  if (firstDate !== secondDate) return [firstDate, secondDate];
  return [formatDateTime(first, timeZone), formatDateTime(second, timeZone)];
}

/**
 * The findings about a certificate's validity window: not valid yet, and Cloudflare's expiry
 * disagreeing with the PEM's. Shared with the severity rules, which weigh the same two facts.
 *
 * @example
 * validityFindings({ validFrom, validTo }, { now, reportedExpiry: association.expiresOn, timeZone: 'UTC' })
 * // [{ code: 'expiry_mismatch', text: 'Cloudflare reports expiry 2026-12-01 but the certificate PEM says 2026-12-03', … }]
 */
export function validityFindings(
  window: { validFrom: Date; validTo: Date },
  options: CertificateFitnessOptions,
): FitnessFinding[] {
  const findings: FitnessFinding[] = [];
  if (window.validFrom.getTime() > options.now.getTime()) {
    findings.push(
      finding(
        'not_yet_valid',
        `Certificate is not valid until ${formatDateTime(window.validFrom, options.timeZone)}`,
      ),
    );
  }
  const reported = options.reportedExpiry ?? null;
  if (
    reported !== null &&
    !Number.isNaN(reported.getTime()) &&
    Math.abs(reported.getTime() - window.validTo.getTime()) > EXPIRY_MISMATCH_TOLERANCE_MS
  ) {
    const [reportedText, pemText] = describeTwoInstants(reported, window.validTo, options.timeZone);
    findings.push(
      finding(
        'expiry_mismatch',
        `Cloudflare reports expiry ${reportedText} but the certificate PEM says ${pemText}`,
      ),
    );
  }
  return findings;
}

function extensionValue<T>(
  certificate: Certificate,
  oid: string,
  type: new () => T,
): T | null | 'unreadable' {
  const extension = certificate.tbsCertificate.extensions?.find((item) => item.extnID === oid);
  if (extension === undefined) return null;
  try {
    return AsnConvert.parse(extension.extnValue, type);
  } catch {
    return 'unreadable';
  }
}

function keyFindings(x509: X509Certificate): FitnessFinding[] {
  const key = x509.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  if ((key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') && details.modulusLength) {
    return details.modulusLength < MIN_RSA_BITS
      ? [finding('weak_key', `RSA key of ${details.modulusLength} bits, below ${MIN_RSA_BITS}`)]
      : [];
  }
  if (key.asymmetricKeyType === 'ec' && details.namedCurve !== undefined) {
    return ACCEPTED_CURVES.has(details.namedCurve)
      ? []
      : [finding('weak_key', `EC key on ${details.namedCurve}, weaker than P-256`)];
  }
  if (key.asymmetricKeyType === 'dsa') {
    return [finding('weak_key', 'DSA key, which TLS 1.3 does not allow at all')];
  }
  return [];
}

function extensionFindings(certificate: Certificate): FitnessFinding[] {
  const findings: FitnessFinding[] = [];
  const basicConstraints = extensionValue(certificate, id_ce_basicConstraints, BasicConstraints);
  if (basicConstraints !== null && basicConstraints !== 'unreadable' && basicConstraints.cA) {
    findings.push(
      finding(
        'ca_certificate',
        'A CA certificate (basicConstraints CA:TRUE) was uploaded as the client certificate',
      ),
    );
  }
  const extendedKeyUsage = extensionValue(certificate, id_ce_extKeyUsage, ExtendedKeyUsage);
  if (extendedKeyUsage === 'unreadable') {
    findings.push(finding('client_auth_missing', 'The extended key usage extension cannot be read'));
  } else if (extendedKeyUsage !== null && !extendedKeyUsage.includes(id_kp_clientAuth)) {
    const names = extendedKeyUsage.map((oid) => EKU_NAMES.get(oid) ?? oid);
    const listed = names.length === 0 ? 'empty' : `${names.join(', ')}${names.length === 1 ? ' only' : ''}`;
    findings.push(finding('client_auth_missing', `Extended key usage is ${listed}, without clientAuth`));
  }
  const keyUsage = extensionValue(certificate, id_ce_keyUsage, KeyUsage);
  if (keyUsage === 'unreadable') {
    findings.push(finding('digital_signature_missing', 'The key usage extension cannot be read'));
  } else if (keyUsage !== null && (keyUsage.toNumber() & KeyUsageFlags.digitalSignature) === 0) {
    findings.push(finding('digital_signature_missing', 'Key usage is present without digitalSignature'));
  }
  return findings;
}

/**
 * Everything that would make an origin reject this certificate as Cloudflare's client
 * certificate, in a stable order. An empty list means fit. Never throws: a PEM that cannot be read
 * is one `unreadable` finding saying why.
 *
 * Checked: extended key usage present without clientAuth; key usage present without
 * digitalSignature; RSA below 2048 bits, EC below P-256 or DSA; a SHA-1 or MD5 signature; a CA
 * certificate (basicConstraints CA:TRUE) as the leaf; notBefore after `now`; Cloudflare's
 * `expires_on` more than a minute from the PEM's notAfter.
 *
 * @example
 * assessCertificateFitness(pem, { now, reportedExpiry: association.expiresOn, timeZone: 'UTC' });
 * // [{ code: 'client_auth_missing', text: 'Extended key usage is serverAuth only, without clientAuth',
 * //    consequence: 'nginx and other OpenSSL-based origins (Apache, HAProxy, Envoy) reject a client certificate without clientAuth.' }]
 */
export function assessCertificateFitness(pem: string, options: CertificateFitnessOptions): FitnessFinding[] {
  const parsed = parseCertificatePem(pem);
  if (!parsed.ok) return [finding('unreadable', parsed.reason)];
  let x509: X509Certificate;
  let certificate: Certificate;
  try {
    x509 = new X509Certificate(pem);
    certificate = AsnConvert.parse(x509.raw, Certificate);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return [finding('unreadable', `The certificate's structure could not be read (${detail}).`)];
  }
  const findings = extensionFindings(certificate);
  try {
    findings.push(...keyFindings(x509));
  } catch {
    // A key type this Node cannot load is not one OpenSSL-based origins accept either.
    findings.push(finding('weak_key', 'The public key is of a type that cannot be read'));
  }
  const signature = WEAK_SIGNATURE_ALGORITHMS.get(certificate.signatureAlgorithm.algorithm);
  if (signature !== undefined) findings.push(finding('weak_signature', `Signed with ${signature}`));
  findings.push(...validityFindings(parsed.certificate, options));
  const order = (code: FitnessCode) => FITNESS_CODES.indexOf(code);
  return findings.sort((a, b) => order(a.code) - order(b.code));
}
