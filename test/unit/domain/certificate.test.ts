import { describe, expect, it } from 'vitest';
import {
  parseCertificatePem,
  parseOpenSslTime,
  parseSubjectAltNames,
} from '../../../src/domain/certificate.js';
import { APP_OPENSSL, APP_PEM, HOSTILE_OPENSSL, HOSTILE_PEM } from '../../fixtures/pem/certificates.js';

describe('parseCertificatePem', () => {
  it('reads the fields the card shows, agreeing with the openssl CLI', () => {
    expect(parseCertificatePem(APP_PEM)).toEqual({
      ok: true,
      certificate: {
        subject: 'CN=app.example.com, O=Example Origin Pull',
        issuer: 'CN=Fixture Origin Pull CA, O=aop-status tests',
        subjectAltNames: ['app.example.com', 'www.example.com', 'IP Address:192.0.2.10'],
        serialNumberHex: APP_OPENSSL.serialNumberHex,
        validFrom: new Date('2026-01-01T00:00:00.000Z'),
        validTo: new Date('2026-12-01T12:00:00.000Z'),
        sha256Fingerprint: APP_OPENSSL.sha256Fingerprint,
      },
    });
    expect(parseOpenSslTime(APP_OPENSSL.notAfter)).toEqual(new Date('2026-12-01T12:00:00.000Z'));
  });

  it('keeps hostile subject and SAN text as data (escaping is the renderer’s job)', () => {
    const parsed = parseCertificatePem(HOSTILE_PEM);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.certificate.subject).toBe('CN=\\<!channel\\> *bold* `code`, O=Evil & Co \\<@U123\\>');
    expect(parsed.certificate.subjectAltNames).toEqual(['<!here>.example.com', 'evil.example.com']);
    expect(parsed.certificate.serialNumberHex).toBe(HOSTILE_OPENSSL.serialNumberHex);
  });

  it('reads the first certificate of a chain', () => {
    const parsed = parseCertificatePem(`${APP_PEM}\n${HOSTILE_PEM}`);
    expect(parsed.ok && parsed.certificate.sha256Fingerprint).toBe(APP_OPENSSL.sha256Fingerprint);
  });

  it.each([
    ['', 'The certificate PEM is empty.'],
    ['not a certificate', 'The certificate is not PEM-encoded (no "-----BEGIN CERTIFICATE-----" line).'],
    [`-----BEGIN CERTIFICATE-----\n${'A'.repeat(70_000)}`, 'The certificate PEM is larger than 64 KB.'],
  ])('refuses %j without throwing', (pem, reason) => {
    expect(parseCertificatePem(pem)).toEqual({ ok: false, reason });
  });

  it('passes on OpenSSL’s own words when the DER inside is not a certificate', () => {
    // The exact OpenSSL wording depends on the OpenSSL that Node was built with.
    const parsed = parseCertificatePem('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----');
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.reason).toMatch(/^The certificate PEM could not be parsed \(.+\)\.$/);
  });

  it('refuses a PEM whose body was damaged', () => {
    const damaged = APP_PEM.replace(/[A-Za-z0-9+/]{10}\n/, 'ZZZZZZZZZZ\n');
    expect(parseCertificatePem(damaged).ok).toBe(false);
  });
});

describe('parseSubjectAltNames', () => {
  it('splits on commas outside quotes and undoes Node’s JSON quoting', () => {
    expect(parseSubjectAltNames('DNS:a.example.com, DNS:"b, c.example.com", email:ops@example.com')).toEqual([
      'a.example.com',
      'b, c.example.com',
      'email:ops@example.com',
    ]);
  });

  it('returns nothing for a certificate without SANs', () => {
    expect(parseSubjectAltNames(undefined)).toEqual([]);
    expect(parseSubjectAltNames('')).toEqual([]);
  });
});

describe('parseOpenSslTime', () => {
  it('reads single- and double-digit days as UTC', () => {
    expect(parseOpenSslTime('Jan  1 00:00:00 2026 GMT')).toEqual(new Date('2026-01-01T00:00:00.000Z'));
    expect(parseOpenSslTime('Dec 31 23:59:59 2049 GMT')).toEqual(new Date('2049-12-31T23:59:59.000Z'));
  });

  it('returns null for anything else', () => {
    expect(parseOpenSslTime('2026-01-01T00:00:00Z')).toBeNull();
    expect(parseOpenSslTime('Foo  1 00:00:00 2026 GMT')).toBeNull();
  });
});
