import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  certificateFields,
  createFakeCloudflareApi,
  FAKE_API_KEY,
  type FakeRequest,
  generateSelfSignedCertificate,
  matchFakeRoute,
} from '../../support/fake-cloudflare.js';

const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
const bearer = { authorization: 'Bearer fake-cloudflare-token' };

function get(
  path: string,
  query: Record<string, string> = {},
  headers: FakeRequest['headers'] = bearer,
): FakeRequest {
  return { method: 'GET', path, query, headers };
}

function bodyOf(outcome: ReturnType<ReturnType<typeof createFakeCloudflareApi>['handle']>): unknown {
  if (outcome.kind !== 'respond') throw new Error(`expected a response, got ${outcome.kind}`);
  return JSON.parse(outcome.rawBody);
}

describe('generateSelfSignedCertificate', () => {
  it('makes a PEM that node parses with the chosen hostname, dates and serial', () => {
    const generated = generateSelfSignedCertificate({
      hostname: 'app.example.com',
      notBefore: new Date('2026-01-01T00:00:00Z'),
      notAfter: new Date('2026-12-02T03:04:05.999Z'),
      serialNumber: 4095n,
    });
    const parsed = new X509Certificate(generated.pem);
    expect(parsed.subject).toBe('CN=app.example.com');
    expect(parsed.issuer).toBe(generated.issuer);
    expect(parsed.subjectAltName).toBe('DNS:app.example.com');
    expect(parsed.validFrom).toBe('Jan  1 00:00:00 2026 GMT');
    expect(parsed.validTo).toBe('Dec  2 03:04:05 2026 GMT');
    expect(parsed.serialNumber).toBe('0FFF');
    expect(generated.serialNumberHex).toBe('0FFF');
    expect(generated.serialNumberDecimal).toBe('4095');
    expect(parsed.fingerprint256).toBe(generated.sha256Fingerprint);
    expect(parsed.verify(parsed.publicKey)).toBe(true);
    expect(generated.notAfter.toISOString()).toBe('2026-12-02T03:04:05.000Z');
  });

  it('uses GeneralizedTime past 2049 and stays deterministic for the same inputs', () => {
    const options = { hostname: 'far.example.com', notAfter: new Date('2100-01-01T05:20:00Z') };
    const first = generateSelfSignedCertificate(options);
    const second = generateSelfSignedCertificate(options);
    expect(new X509Certificate(first.pem).validTo).toBe('Jan  1 05:20:00 2100 GMT');
    expect(second.pem).toBe(first.pem);
    expect(second.sha256Fingerprint).toBe(first.sha256Fingerprint);
  });

  it('gives the wire fields Cloudflare reports for the certificate', () => {
    const generated = generateSelfSignedCertificate({
      hostname: 'a.example.com',
      notAfter: new Date('2027-01-01T00:00:00Z'),
      serialNumber: 12345n,
      issuerCommonName: 'Example Origin CA',
    });
    expect(certificateFields(generated)).toEqual({
      certificate: generated.pem,
      expires_on: '2027-01-01T00:00:00Z',
      issuer: 'CN=Example Origin CA',
      serial_number: '12345',
      signature: 'ED25519',
    });
  });
});

describe('matchFakeRoute', () => {
  it('routes hostnames/certificates to the certificate list, not to a hostname called "certificates"', () => {
    expect(
      matchFakeRoute('GET', `/zones/${ZONE_ID}/origin_tls_client_auth/hostnames/certificates`)?.route,
    ).toBe('hostnameCertificates');
    expect(
      matchFakeRoute('GET', `/zones/${ZONE_ID}/origin_tls_client_auth/hostnames/a%2Eexample.com`),
    ).toEqual({
      route: 'hostnameStatus',
      zoneId: ZONE_ID,
      hostname: 'a.example.com',
    });
    expect(matchFakeRoute('GET', `/zones/${ZONE_ID}/origin_tls_client_auth`)?.route).toBe('zoneCertificates');
    expect(matchFakeRoute('GET', `/zones/${ZONE_ID}/origin_tls_client_auth/settings`)?.route).toBe(
      'zoneAopSetting',
    );
    expect(matchFakeRoute('GET', `/zones/${ZONE_ID}/origin_tls_client_auth/abc`)).toEqual({
      route: 'zoneCertificate',
      zoneId: ZONE_ID,
      hostname: null,
      certificateId: 'abc',
    });
    expect(matchFakeRoute('POST', '/zones')).toBeNull();
  });
});

describe('the fake API', () => {
  it('checks both auth schemes and answers 401 with the authentication error envelope', () => {
    const api = createFakeCloudflareApi();
    api.state.addZone({ id: ZONE_ID, name: 'example.com' });
    const path = `/zones/${ZONE_ID}/origin_tls_client_auth/settings`;
    const keyHeaders =
      FAKE_API_KEY.scheme === 'api_key'
        ? { 'x-auth-email': FAKE_API_KEY.email, 'x-auth-key': FAKE_API_KEY.key }
        : {};
    expect(bodyOf(api.handle(get(path)))).toEqual({
      success: true,
      errors: [],
      messages: [],
      result: { enabled: false },
    });
    expect(bodyOf(api.handle(get(path, {}, keyHeaders)))).toMatchObject({ success: true });
    const rejected = api.handle(
      get(path, {}, { 'x-auth-email': 'oncall@example.com', 'x-auth-key': 'wrong' }),
    );
    expect(rejected).toMatchObject({ kind: 'respond', status: 401 });
    expect(bodyOf(rejected)).toEqual({
      success: false,
      errors: [{ code: 10000, message: 'Authentication error' }],
      messages: [],
      result: null,
    });
  });

  it('pages the association list and reports result_info', () => {
    const api = createFakeCloudflareApi();
    api.state.addZone({ id: ZONE_ID, name: 'example.com' });
    api.state.addManyAssociations(ZONE_ID, 5);
    const page = bodyOf(
      api.handle(
        get(`/zones/${ZONE_ID}/origin_tls_client_auth/hostnames`, {
          per_page: '2',
          page: '3',
          status: 'all',
        }),
      ),
    ) as { result: { hostname: string }[]; result_info: unknown };
    expect(page.result.map((row) => row.hostname)).toEqual(['app-00004.example.com']);
    expect(page.result_info).toEqual({ count: 1, page: 3, per_page: 2, total_count: 5, total_pages: 3 });
  });

  it('rejects per_page above 1000 for associations and outside 5..50 for zones', () => {
    const api = createFakeCloudflareApi();
    api.state.addZone({ id: ZONE_ID, name: 'example.com' });
    const statusOf = (request: FakeRequest) => {
      const outcome = api.handle(request);
      return outcome.kind === 'respond' ? outcome.status : outcome.kind;
    };
    expect(statusOf(get(`/zones/${ZONE_ID}/origin_tls_client_auth/hostnames`, { per_page: '1000' }))).toBe(
      200,
    );
    expect(statusOf(get(`/zones/${ZONE_ID}/origin_tls_client_auth/hostnames`, { per_page: '1001' }))).toBe(
      400,
    );
    expect(statusOf(get('/zones', { per_page: '4' }))).toBe(400);
    expect(statusOf(get('/zones', { per_page: '51' }))).toBe(400);
    expect(statusOf(get('/zones', { per_page: '50' }))).toBe(200);
  });

  it('filters associations by status, active by default', () => {
    const api = createFakeCloudflareApi();
    api.state.addZone({ id: ZONE_ID, name: 'example.com' });
    api.state.associate(ZONE_ID, { hostname: 'a.example.com', status: 'active' });
    api.state.associate(ZONE_ID, { hostname: 'b.example.com', status: 'deleted' });
    const hostnames = (query: Record<string, string>) =>
      (
        bodyOf(api.handle(get(`/zones/${ZONE_ID}/origin_tls_client_auth/hostnames`, query))) as {
          result: { hostname: string }[];
        }
      ).result.map((row) => row.hostname);
    expect(hostnames({})).toEqual(['a.example.com']);
    expect(hostnames({ status: 'all' })).toEqual(['a.example.com', 'b.example.com']);
    expect(hostnames({ status: 'deleted' })).toEqual(['b.example.com']);
  });

  it('serves injected faults for the next N requests of a route, then the state again', () => {
    const api = createFakeCloudflareApi();
    api.state.addZone({ id: ZONE_ID, name: 'example.com' });
    const path = `/zones/${ZONE_ID}/origin_tls_client_auth/settings`;
    api.inject('zoneAopSetting', { kind: 'respond', status: 500, body: { success: false } }, 2);
    api.inject('zones', { kind: 'reset' });
    expect(api.handle(get(path))).toMatchObject({ status: 500 });
    expect(api.handle(get(path))).toMatchObject({ status: 500 });
    expect(api.handle(get(path))).toMatchObject({ status: 200 });
    expect(api.handle(get('/zones'))).toEqual({ kind: 'reset' });
    expect(api.requestsTo('zoneAopSetting')).toHaveLength(3);
  });

  it('answers 429 with retry-after once the configured rate is exceeded', () => {
    let nowMs = 1_000_000;
    const api = createFakeCloudflareApi({ rateLimit: { requests: 2, windowMs: 10_000 }, nowMs: () => nowMs });
    api.state.addZone({ id: ZONE_ID, name: 'example.com' });
    const path = `/zones/${ZONE_ID}/origin_tls_client_auth/settings`;
    expect(api.handle(get(path))).toMatchObject({ status: 200 });
    nowMs += 2_500;
    expect(api.handle(get(path))).toMatchObject({ status: 200 });
    const limited = api.handle(get(path));
    expect(limited).toMatchObject({ status: 429, headers: { 'retry-after': '8' } });
    expect(bodyOf(limited)).toMatchObject({ errors: [{ code: 971 }] });
    nowMs += 7_500;
    expect(api.handle(get(path))).toMatchObject({ status: 200 });
  });
});
