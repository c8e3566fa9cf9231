import { describe, expect, it } from 'vitest';
import {
  assessCertificateFitness,
  FITNESS_CODES,
  FITNESS_CONSEQUENCES,
  type FitnessCode,
} from '../../../src/domain/fitness.js';
import { FITNESS_PEMS } from '../../fixtures/pem/fitness.js';

/** Inside every fixture's validity window (2026-01-01 to 2026-12-01). */
const NOW = new Date('2026-06-01T09:00:00Z');
const PEM_NOT_AFTER = new Date('2026-12-01T12:00:00Z');

function codesOf(pem: string, reportedExpiry: Date | null = PEM_NOT_AFTER): FitnessCode[] {
  return assessCertificateFitness(pem, { now: NOW, reportedExpiry, timeZone: 'UTC' }).map(
    (item) => item.code,
  );
}

describe('assessCertificateFitness', () => {
  it.each<[keyof typeof FITNESS_PEMS, FitnessCode[]]>([
    ['client_auth', []],
    ['no_eku', []],
    ['server_and_client_auth', []],
    ['ec_p256', []],
    ['server_auth_only', ['client_auth_missing']],
    ['no_digital_signature', ['digital_signature_missing']],
    ['rsa_1024', ['weak_key']],
    ['ec_p224', ['weak_key']],
    ['sha1', ['weak_signature']],
    ['md5', ['weak_signature']],
    ['ca_true', ['ca_certificate']],
  ])('%s → %j', (name, expected) => {
    // `not_yet_valid` is valid to 2028; its Cloudflare expiry is its own notAfter.
    const reported = name === 'not_yet_valid' ? new Date('2028-01-01T00:00:00Z') : PEM_NOT_AFTER;
    expect(codesOf(FITNESS_PEMS[name].pem, reported)).toEqual(expected);
  });

  it('says which purposes a certificate without clientAuth does have, and what the origin does about it', () => {
    expect(
      assessCertificateFitness(FITNESS_PEMS.server_auth_only.pem, { now: NOW, timeZone: 'UTC' }),
    ).toEqual([
      {
        code: 'client_auth_missing',
        text: 'Extended key usage is serverAuth only, without clientAuth',
        consequence:
          'nginx and other OpenSSL-based origins (Apache, HAProxy, Envoy) reject a client certificate without clientAuth.',
      },
    ]);
  });

  it('names the key size, the curve and the signature algorithm it found', () => {
    const texts = (pem: string) =>
      assessCertificateFitness(pem, { now: NOW, timeZone: 'UTC' }).map((item) => item.text);
    expect(texts(FITNESS_PEMS.rsa_1024.pem)).toEqual(['RSA key of 1024 bits, below 2048']);
    expect(texts(FITNESS_PEMS.ec_p224.pem)).toEqual(['EC key on secp224r1, weaker than P-256']);
    // The openssl CLI reads the same algorithm from the same bytes.
    expect(FITNESS_PEMS.sha1.opensslSignatureAlgorithm).toBe('sha1WithRSAEncryption');
    expect(texts(FITNESS_PEMS.sha1.pem)).toEqual(['Signed with SHA-1 with RSA']);
    expect(FITNESS_PEMS.md5.opensslSignatureAlgorithm).toBe('md5WithRSAEncryption');
    expect(texts(FITNESS_PEMS.md5.pem)).toEqual(['Signed with MD5 with RSA']);
  });

  it('finds a certificate that is not valid yet only while it is not', () => {
    const pem = FITNESS_PEMS.not_yet_valid.pem;
    expect(assessCertificateFitness(pem, { now: NOW, timeZone: 'UTC' })).toEqual([
      {
        code: 'not_yet_valid',
        text: 'Certificate is not valid until 2027-01-01 00:00 UTC',
        consequence: FITNESS_CONSEQUENCES.not_yet_valid,
      },
    ]);
    expect(assessCertificateFitness(pem, { now: new Date('2027-01-01T00:00:01Z'), timeZone: 'UTC' })).toEqual(
      [],
    );
  });

  it('reports Cloudflare and the PEM disagreeing on the expiry by more than a minute', () => {
    const pem = FITNESS_PEMS.client_auth.pem;
    expect(codesOf(pem, new Date(PEM_NOT_AFTER.getTime() + 60_000))).toEqual([]);
    expect(codesOf(pem, null)).toEqual([]);
    expect(
      assessCertificateFitness(pem, {
        now: NOW,
        reportedExpiry: new Date('2026-11-28T00:00:00Z'),
        timeZone: 'UTC',
      }),
    ).toEqual([
      {
        code: 'expiry_mismatch',
        text: 'Cloudflare reports expiry 2026-11-28 but the certificate PEM says 2026-12-01',
        consequence: FITNESS_CONSEQUENCES.expiry_mismatch,
      },
    ]);
  });

  it('lists several findings in the stable order of their codes', () => {
    expect(codesOf(FITNESS_PEMS.server_auth_only.pem, new Date('2026-11-01T00:00:00Z'))).toEqual([
      'client_auth_missing',
      'expiry_mismatch',
    ]);
    expect(codesOf(FITNESS_PEMS.ca_true.pem, new Date('2026-11-01T00:00:00Z'))).toEqual([
      'ca_certificate',
      'expiry_mismatch',
    ]);
  });

  it.each([
    ['', 'The certificate PEM is empty.'],
    ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', /could not be parsed/],
  ])('turns an unreadable PEM into one finding instead of throwing (%j)', (pem, reason) => {
    const findings = assessCertificateFitness(pem, { now: NOW, timeZone: 'UTC' });
    expect(findings.map((item) => item.code)).toEqual(['unreadable']);
    expect(findings[0]?.text).toMatch(reason);
  });

  it('gives every code a one-sentence consequence', () => {
    for (const code of FITNESS_CODES) {
      expect(FITNESS_CONSEQUENCES[code]).toMatch(/^[A-Za-z][^.]*(\.[^.\s][^.]*)*\.$/);
    }
  });
});
