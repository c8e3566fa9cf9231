/**
 * Reads the parts of a PEM certificate the card shows. Uses `node:crypto` `X509Certificate`,
 * which parses in memory (no I/O), so this stays in the pure core.
 */
import { X509Certificate } from 'node:crypto';
import type { ParsedCertificate } from './lookup.js';

export type CertificateParseResult =
  | { ok: true; certificate: ParsedCertificate }
  | { ok: false; reason: string };

/** A leaf certificate is a few kilobytes; anything far larger is not what Cloudflare returns. */
const MAX_PEM_CHARS = 64 * 1024;
const PEM_BEGIN = '-----BEGIN CERTIFICATE-----';

const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

/**
 * Parses OpenSSL's ASN1_TIME_print format, which is what `X509Certificate#validFrom` returns on
 * Node 20 (`validFromDate` only arrived in Node 22): `Jan  1 00:00:00 2026 GMT`.
 * `Date.parse` would accept it too, but its handling of non-ISO strings is implementation-defined.
 */
export function parseOpenSslTime(text: string): Date | null {
  const match = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d+)? (\d{4}) GMT$/.exec(
    text.trim(),
  );
  if (match === null) return null;
  const [, monthName, day, hours, minutes, seconds, year] = match;
  const month = monthName === undefined ? undefined : MONTHS[monthName];
  if (month === undefined) return null;
  const date = new Date(
    Date.UTC(Number(year), month, Number(day), Number(hours), Number(minutes), Number(seconds)),
  );
  return Number.isNaN(date.getTime()) ? null : date;
}

/**
 * Splits Node's `subjectAltName` string (`DNS:a.example.com, IP Address:192.0.2.1`) into entries.
 * Since Node 17.3.1 a value containing a comma or quote is written as a JSON string
 * (`DNS:"a, b"`), so the split must respect quotes. DNS names are returned bare; other kinds keep
 * their prefix (`IP Address:192.0.2.1`, `email:ops@example.com`) so they are not mistaken for names.
 *
 * @example parseSubjectAltNames('DNS:a.example.com, IP Address:192.0.2.1') // ['a.example.com', 'IP Address:192.0.2.1']
 */
export function parseSubjectAltNames(subjectAltName: string | undefined): string[] {
  if (subjectAltName === undefined || subjectAltName === '') return [];
  const entries: string[] = [];
  let index = 0;
  while (index < subjectAltName.length) {
    const colon = subjectAltName.indexOf(':', index);
    if (colon === -1) break;
    const kind = subjectAltName.slice(index, colon);
    let value: string;
    let next: number;
    if (subjectAltName[colon + 1] === '"') {
      // Find the closing quote that is not escaped, then let JSON undo the escaping.
      let end = colon + 2;
      while (end < subjectAltName.length && subjectAltName[end] !== '"') {
        end += subjectAltName[end] === '\\' ? 2 : 1;
      }
      const quoted = subjectAltName.slice(colon + 1, end + 1);
      try {
        value = JSON.parse(quoted) as string;
      } catch {
        value = quoted;
      }
      next = end + 1;
    } else {
      const comma = subjectAltName.indexOf(', ', colon + 1);
      next = comma === -1 ? subjectAltName.length : comma;
      value = subjectAltName.slice(colon + 1, next);
    }
    entries.push(kind === 'DNS' ? value : `${kind}:${value}`);
    index = subjectAltName.startsWith(', ', next) ? next + 2 : next + 1;
  }
  return entries;
}

/** Node gives a distinguished name one attribute per line; the card shows it on one line. */
function distinguishedNameOnOneLine(name: string): string {
  return name
    .split('\n')
    .filter((part) => part !== '')
    .join(', ');
}

/**
 * Parses the first certificate of a PEM string. Never throws; `reason` says what was wrong in
 * words an on-call engineer can act on.
 *
 * @example
 * const parsed = parseCertificatePem(association.certificatePem);
 * if (parsed.ok) parsed.certificate.validTo; // Date
 */
export function parseCertificatePem(pem: string): CertificateParseResult {
  if (typeof pem !== 'string' || pem.trim() === '') {
    return { ok: false, reason: 'The certificate PEM is empty.' };
  }
  if (pem.length > MAX_PEM_CHARS) {
    return { ok: false, reason: `The certificate PEM is larger than ${MAX_PEM_CHARS / 1024} KB.` };
  }
  if (!pem.includes(PEM_BEGIN)) {
    return { ok: false, reason: `The certificate is not PEM-encoded (no "${PEM_BEGIN}" line).` };
  }
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(pem);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { ok: false, reason: `The certificate PEM could not be parsed (${detail}).` };
  }
  const validFrom = parseOpenSslTime(x509.validFrom);
  const validTo = parseOpenSslTime(x509.validTo);
  if (validFrom === null || validTo === null) {
    return {
      ok: false,
      reason: `The certificate's validity dates could not be read ("${x509.validFrom}" to "${x509.validTo}").`,
    };
  }
  return {
    ok: true,
    certificate: {
      subject: distinguishedNameOnOneLine(x509.subject),
      issuer: distinguishedNameOnOneLine(x509.issuer),
      subjectAltNames: parseSubjectAltNames(x509.subjectAltName),
      serialNumberHex: x509.serialNumber.toUpperCase(),
      validFrom,
      validTo,
      sha256Fingerprint: x509.fingerprint256,
    },
  };
}
