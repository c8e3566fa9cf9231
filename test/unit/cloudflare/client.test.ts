import { MockAgent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CloudflareClientOptions,
  type CloudflareRequestInfo,
  createCloudflareClient,
} from '../../../src/cloudflare/client.js';
import { CloudflareApiError } from '../../../src/cloudflare/errors.js';
import { toHostnameAssociation } from '../../../src/cloudflare/mapping.js';
import { createUnlimitedRateLimiter } from '../../../src/cloudflare/rate-limiter.js';
import {
  createFakeCloudflareApi,
  FAKE_API_BASE_PATH,
  FAKE_API_KEY,
  FAKE_API_TOKEN,
  FAKE_MOCK_ORIGIN,
  type FakeCloudflareApi,
  routeMockAgentToFake,
} from '../../support/fake-cloudflare.js';

const NOW = new Date('2026-05-01T12:00:00.000Z');
const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
const CERT_ID = '2458ce5a-0c35-4c7f-82c7-8e9487d3ff60';

interface Harness {
  api: FakeCloudflareApi;
  agent: MockAgent;
  limiter: ReturnType<typeof createUnlimitedRateLimiter>;
  sleeps: number[];
  requestsSeen: CloudflareRequestInfo[];
  client: ReturnType<typeof createCloudflareClient>;
}

const agents: MockAgent[] = [];
afterEach(async () => {
  for (const agent of agents.splice(0)) await agent.close();
});

/**
 * A client wired to the fake through a MockAgent. `beforeFake` may register one-off interceptors
 * that must match before the fake's catch-all does (timeouts, resets).
 */
function harness(
  overrides: Partial<CloudflareClientOptions> = {},
  beforeFake?: (agent: MockAgent) => void,
): Harness {
  const agent = new MockAgent();
  agent.disableNetConnect();
  agents.push(agent);
  const api = createFakeCloudflareApi({ nowMs: () => NOW.getTime() });
  const zone = api.state.addZone({ id: ZONE_ID, name: 'example.com', aopEnabled: true });
  api.state.addCertificate(zone.id, {
    id: CERT_ID,
    expires_on: '2026-06-01T00:00:00.123456789Z',
    issuer: 'CN=Example Issuing CA',
    serial_number: '6743787633689793699141714808227354901',
    signature: 'SHA256WithRSA',
    status: 'active',
    uploaded_on: '2025-06-01T10:00:00.37411Z',
  });
  api.state.associate(zone.id, {
    hostname: 'app.example.com',
    cert_id: CERT_ID,
    enabled: true,
    status: 'active',
  });
  beforeFake?.(agent);
  routeMockAgentToFake(agent, api);
  const limiter = createUnlimitedRateLimiter();
  const sleeps: number[] = [];
  const requestsSeen: CloudflareRequestInfo[] = [];
  const client = createCloudflareClient({
    baseUrl: `${FAKE_MOCK_ORIGIN}${FAKE_API_BASE_PATH}`,
    auth: FAKE_API_TOKEN,
    dispatcher: agent,
    rateLimiter: limiter,
    requestTimeoutMs: 1_000,
    clock: () => NOW,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0,
    onRequest: (info) => requestsSeen.push(info),
    ...overrides,
  });
  return { api, agent, limiter, sleeps, requestsSeen, client };
}

async function failureOf(promise: Promise<unknown>): Promise<CloudflareApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CloudflareApiError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

const okStatusBody = {
  success: true,
  errors: [],
  messages: [],
  result: { hostname: 'app.example.com', cert_id: CERT_ID, enabled: true, status: 'active' },
};

describe('authentication', () => {
  it('sends an API token as a Bearer Authorization header and no key headers', async () => {
    const { api, client } = harness();
    await client.getZoneAopSetting(ZONE_ID);
    const headers = api.requests[0]?.headers ?? {};
    expect(headers.authorization).toBe('Bearer fake-cloudflare-token');
    expect(headers['x-auth-email']).toBeUndefined();
    expect(headers['x-auth-key']).toBeUndefined();
  });

  it('sends a global API key as X-Auth-Email and X-Auth-Key and no Authorization header', async () => {
    const { api, client } = harness({ auth: FAKE_API_KEY });
    await expect(client.getZoneAopSetting(ZONE_ID)).resolves.toEqual({ enabled: true });
    const headers = api.requests[0]?.headers ?? {};
    expect(headers['x-auth-email']).toBe('oncall@example.com');
    expect(headers['x-auth-key']).toBe('fake-cloudflare-global-key');
    expect(headers.authorization).toBeUndefined();
  });

  it('reports rejected credentials as cloudflare_unauthorized without retrying or echoing the token', async () => {
    const { api, client } = harness({ auth: { scheme: 'api_token', token: 'revoked-secret-token' } });
    const error = await failureOf(client.getHostnameStatus(ZONE_ID, 'app.example.com'));
    expect(error.code).toBe('cloudflare_unauthorized');
    expect(error.status).toBe(401);
    expect(error.cloudflareErrors).toEqual([{ code: 10000, message: 'Authentication error' }]);
    expect(error.attempts).toBe(1);
    expect(api.requests).toHaveLength(1);
    expect(`${error.message} ${error.hint}`).not.toContain('revoked-secret-token');
    expect(error.hint).toContain('CLOUDFLARE_API_TOKEN');
  });
});

describe('precise failures from the local Cloudflare', () => {
  it('a revoked token (403, 9109) is reported as not accepted, once, without naming a permission', async () => {
    const { api, client } = harness({ auth: { scheme: 'api_token', token: 'revoked-secret-token' } });
    api.state.revokedCredentials = [{ scheme: 'api_token', token: 'revoked-secret-token' }];
    const error = await failureOf(client.getHostnameStatus(ZONE_ID, 'app.example.com'));
    expect(error.code).toBe('cloudflare_unauthorized');
    expect(error.status).toBe(403);
    expect(error.cloudflareErrors).toEqual([{ code: 9109, message: 'Invalid access token' }]);
    expect(error.attempts).toBe(1);
    expect(error.hint).not.toContain('permission');
    expect(`${error.message} ${error.hint}`).not.toContain('revoked-secret-token');
  });

  it('a token with a stray quote (400, 6003 → 6111) is reported as malformed', async () => {
    const { client } = harness({ auth: { scheme: 'api_token', token: '"pasted-with-quotes"' } });
    const error = await failureOf(client.getZoneAopSetting(ZONE_ID));
    expect(error.code).toBe('cloudflare_unauthorized');
    expect(error.status).toBe(400);
    expect(error.cloudflareErrors.map((entry) => entry.code)).toEqual([6003, 6111]);
    expect(error.message).toContain('malformed');
  });

  it('a zone id that looks valid but does not exist (404, 7003/7000) is a zone error naming it', async () => {
    const { client } = harness();
    const unknownZone = 'ffffffffffffffffffffffffffffffff';
    const error = await failureOf(client.getHostnameStatus(unknownZone, 'app.example.com'));
    expect(error.code).toBe('cloudflare_zone_not_found');
    expect(error.status).toBe(404);
    expect(error.message).toContain(unknownZone);
  });
});

describe('the envelope', () => {
  it('returns the result of the hostname status, keeping fractional-second timestamps and enabled: null', async () => {
    const { api, client } = harness();
    api.state.associate(ZONE_ID, {
      hostname: 'voided.example.com',
      cert_id: CERT_ID,
      enabled: null,
      status: 'pending_deletion',
      created_at: '2025-01-02T03:04:05.1Z',
      updated_at: '2025-01-02T03:04:05.123456Z',
    });
    const status = await client.getHostnameStatus(ZONE_ID, 'voided.example.com');
    expect(status).toEqual({
      hostname: 'voided.example.com',
      cert_id: CERT_ID,
      enabled: null,
      status: 'pending_deletion',
      created_at: '2025-01-02T03:04:05.1Z',
      updated_at: '2025-01-02T03:04:05.123456Z',
      cert_status: 'active',
      cert_uploaded_on: '2025-06-01T10:00:00.37411Z',
      cert_updated_at: '2025-06-01T10:00:00.37411Z',
      expires_on: '2026-06-01T00:00:00.123456789Z',
      issuer: 'CN=Example Issuing CA',
      serial_number: '6743787633689793699141714808227354901',
      signature: 'SHA256WithRSA',
    });
    const association = toHostnameAssociation(status, ZONE_ID, 'voided.example.com');
    expect(association.aopSwitch).toBe('voided');
    expect(association.expiresOn?.toISOString()).toBe('2026-06-01T00:00:00.123Z');
    expect(association.associationCreatedAt?.toISOString()).toBe('2025-01-02T03:04:05.100Z');
  });

  it('drops a wrong-typed field but keeps the rest of the record', async () => {
    const { api, client } = harness();
    api.inject('hostnameStatus', {
      kind: 'respond',
      status: 200,
      body: {
        success: true,
        errors: [],
        messages: [],
        result: {
          hostname: 'app.example.com',
          issuer: 42,
          enabled: 'yes',
          expires_on: '2027-01-01T00:00:00Z',
          extra: 1,
        },
      },
    });
    await expect(client.getHostnameStatus(ZONE_ID, 'app.example.com')).resolves.toEqual({
      hostname: 'app.example.com',
      expires_on: '2027-01-01T00:00:00Z',
    });
  });

  it('encodes path segments and labels metrics with the route template, not the values', async () => {
    const { api, client, requestsSeen } = harness();
    await failureOf(client.getHostnameStatus(ZONE_ID, 'odd host/name'));
    expect(api.requests[0]?.path).toBe(
      `/zones/${ZONE_ID}/origin_tls_client_auth/hostnames/odd%20host%2Fname`,
    );
    expect(requestsSeen).toEqual([
      { route: 'GET /zones/:zone_id/origin_tls_client_auth/hostnames/:hostname', status: 404, durationMs: 0 },
    ]);
  });

  it('reads the zone-level switches', async () => {
    const { client } = harness();
    await expect(client.getZoneAopSetting(ZONE_ID)).resolves.toEqual({ enabled: true });
    await expect(client.getZoneTlsClientAuth(ZONE_ID)).resolves.toEqual({ value: 'on' });
  });

  it('finds zones by exact name with per_page=50', async () => {
    const { api, client } = harness();
    api.state.addZone({ id: 'f'.repeat(32), name: 'other.example' });
    await expect(client.findZonesByName('example.com')).resolves.toEqual([
      {
        id: ZONE_ID,
        name: 'example.com',
        status: 'active',
        account: { id: '01a7362d577a6c3019a474fd6f485823', name: 'Example Account' },
      },
    ]);
    expect(api.requests[0]?.query).toEqual({ name: 'example.com', per_page: '50' });
  });

  it('lists every zone page by page, 50 at a time, stopping at total_pages', async () => {
    const { api, client } = harness();
    for (let index = 0; index < 100; index += 1) api.state.addZone({ name: `z${index}.example.net` });
    const zones = await client.listZones();
    expect(zones).toHaveLength(101);
    expect(api.requests.map((request) => request.query)).toEqual([
      { per_page: '50', page: '1' },
      { per_page: '50', page: '2' },
      { per_page: '50', page: '3' },
    ]);
  });

  it('skips a zone row without an id instead of failing the whole listing', async () => {
    const { api, client } = harness();
    api.inject('zones', {
      kind: 'respond',
      status: 200,
      body: {
        success: true,
        errors: [],
        messages: [],
        result: [{ name: 'no-id.example' }, { id: ZONE_ID, name: 'example.com' }],
        result_info: { page: 1, per_page: 50, count: 2, total_count: 2, total_pages: 1 },
      },
    });
    await expect(client.listZones({ accountId: 'a'.repeat(32) })).resolves.toEqual([
      { id: ZONE_ID, name: 'example.com' },
    ]);
    expect(api.requests[0]?.query['account.id']).toBe('a'.repeat(32));
  });

  it('lists hostname certificates', async () => {
    const { client } = harness();
    const certificates = await client.listHostnameCertificates(ZONE_ID);
    expect(certificates.map((certificate) => [certificate.id, certificate.expires_on])).toEqual([
      [CERT_ID, '2026-06-01T00:00:00.123456789Z'],
    ]);
  });
});

describe('zone-level certificates', () => {
  it('lists every zone certificate in one request, expired ones included', async () => {
    const { api, client } = harness();
    api.state.addZoneCertificate(ZONE_ID, {
      id: 'zone-cert-old',
      expires_on: '2020-01-01T00:00:00Z',
      uploaded_on: '2019-01-01T00:00:00Z',
    });
    api.state.addZoneCertificate(ZONE_ID, {
      id: 'zone-cert-new',
      expires_on: '2027-01-01T05:20:00.12345Z',
      uploaded_on: '2026-01-01T00:00:00Z',
      status: 'pending_deployment',
    });
    const certificates = await client.listZoneCertificates(ZONE_ID);
    expect(certificates).toEqual([
      {
        id: 'zone-cert-old',
        enabled: true,
        expires_on: '2020-01-01T00:00:00Z',
        status: 'active',
        uploaded_on: '2019-01-01T00:00:00Z',
      },
      {
        id: 'zone-cert-new',
        enabled: true,
        expires_on: '2027-01-01T05:20:00.12345Z',
        status: 'pending_deployment',
        uploaded_on: '2026-01-01T00:00:00Z',
      },
    ]);
    expect(api.requests.map((request) => [request.route, request.path])).toEqual([
      ['zoneCertificates', `/zones/${ZONE_ID}/origin_tls_client_auth`],
    ]);
  });

  it('refuses a zone certificate list that is not a list', async () => {
    const { api, client } = harness();
    api.inject('zoneCertificates', {
      kind: 'respond',
      status: 200,
      body: { success: true, errors: [], messages: [], result: { id: 'x' } },
    });
    const error = await failureOf(client.listZoneCertificates(ZONE_ID));
    expect(error.code).toBe('cloudflare_malformed_response');
    expect(error.message).toContain('a list of zone certificates');
  });
});

describe('paging the association list', () => {
  it('fetches all three pages with status=all and per_page=1000', async () => {
    const { api, client } = harness();
    api.state.addManyAssociations(ZONE_ID, 2_500);
    const rows = await client.listHostnameAssociations(ZONE_ID);
    expect(rows).toHaveLength(2_501);
    expect(api.requests.map((request) => request.query)).toEqual([
      { status: 'all', per_page: '1000', page: '1' },
      { status: 'all', per_page: '1000', page: '2' },
      { status: 'all', per_page: '1000', page: '3' },
    ]);
    expect(new Set(rows.map((row) => row.hostname)).size).toBe(2_501);
  });

  it('stops at a short page when result_info is missing', async () => {
    const { api, client } = harness();
    const row = (index: number) => ({ hostname: `h${index}.example.com`, cert_id: CERT_ID, enabled: true });
    const page = (count: number, offset: number) => ({
      success: true,
      errors: [],
      messages: [],
      result: Array.from({ length: count }, (_, index) => row(offset + index)),
    });
    api.inject('hostnameAssociations', { kind: 'respond', status: 200, body: page(1_000, 0) });
    api.inject('hostnameAssociations', { kind: 'respond', status: 200, body: page(3, 1_000) });
    const rows = await client.listHostnameAssociations(ZONE_ID);
    expect(rows).toHaveLength(1_003);
    expect(api.requests).toHaveLength(2);
  });
});

describe('retries', () => {
  it('retries a 5xx with exponential backoff and succeeds on the third attempt', async () => {
    const { api, client, sleeps, limiter, requestsSeen } = harness();
    api.inject('hostnameStatus', { kind: 'respond', status: 502, rawBody: '<html>Bad gateway</html>' }, 2);
    const status = await client.getHostnameStatus(ZONE_ID, 'app.example.com');
    expect(status.hostname).toBe('app.example.com');
    expect(sleeps).toEqual([500, 1_000]);
    expect(limiter.acquired).toBe(3);
    expect(requestsSeen.map((info) => info.status)).toEqual([502, 502, 200]);
  });

  it('gives up after three 5xx answers with cloudflare_server_error', async () => {
    const { api, client } = harness();
    api.inject('hostnameStatus', { kind: 'respond', status: 503, body: { success: false, errors: [] } }, 5);
    const error = await failureOf(client.getHostnameStatus(ZONE_ID, 'app.example.com'));
    expect(error.code).toBe('cloudflare_server_error');
    expect(error.status).toBe(503);
    expect(error.attempts).toBe(3);
    expect(api.requests).toHaveLength(3);
  });

  it('retries a timeout and reports cloudflare_timeout when every attempt times out', async () => {
    const { client, requestsSeen } = harness({ requestTimeoutMs: 40, maxAttempts: 2 }, (agent) => {
      agent
        .get(FAKE_MOCK_ORIGIN)
        .intercept({ path: () => true, method: 'GET' })
        .reply(200, okStatusBody)
        .delay(400)
        .times(2);
    });
    const error = await failureOf(client.getHostnameStatus(ZONE_ID, 'app.example.com'));
    expect(error.code).toBe('cloudflare_timeout');
    expect(error.status).toBeNull();
    expect(error.attempts).toBe(2);
    expect(requestsSeen.map((info) => info.status)).toEqual(['error', 'error']);
  });

  it('retries after a timeout and returns the next answer', async () => {
    const { client, sleeps } = harness({ requestTimeoutMs: 40 }, (agent) => {
      agent
        .get(FAKE_MOCK_ORIGIN)
        .intercept({ path: () => true, method: 'GET' })
        .reply(200, okStatusBody)
        .delay(400);
    });
    await expect(client.getHostnameStatus(ZONE_ID, 'app.example.com')).resolves.toMatchObject({
      enabled: true,
    });
    expect(sleeps).toEqual([500]);
  });

  it('retries a connection reset, then fails with cloudflare_network', async () => {
    const reset = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const { client, api } = harness({}, (agent) => {
      agent
        .get(FAKE_MOCK_ORIGIN)
        .intercept({ path: () => true, method: 'GET' })
        .replyWithError(reset())
        .times(3);
    });
    const error = await failureOf(client.getZoneAopSetting(ZONE_ID));
    expect(error.code).toBe('cloudflare_network');
    expect(error.message).toContain('connection reset');
    expect(error.attempts).toBe(3);
    expect(api.requests).toHaveLength(0);
  });

  it('recovers from one connection reset', async () => {
    const { client } = harness({}, (agent) => {
      agent
        .get(FAKE_MOCK_ORIGIN)
        .intercept({ path: () => true, method: 'GET' })
        .replyWithError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    });
    await expect(client.getZoneAopSetting(ZONE_ID)).resolves.toEqual({ enabled: true });
  });

  for (const [status, code] of [
    [400, 'cloudflare_bad_request'],
    [403, 'cloudflare_forbidden'],
    [404, 'cloudflare_not_found'],
    [422, 'cloudflare_bad_request'],
  ] as const) {
    it(`never retries an HTTP ${status} (${code})`, async () => {
      const { api, client, sleeps } = harness();
      api.inject('hostnameStatus', {
        kind: 'respond',
        status,
        body: { success: false, errors: [{ code: 1234, message: 'nope' }], messages: [], result: null },
      });
      const error = await failureOf(client.getHostnameStatus(ZONE_ID, 'app.example.com'));
      expect(error.code).toBe(code);
      expect(error.status).toBe(status);
      expect(error.cloudflareErrors).toEqual([{ code: 1234, message: 'nope' }]);
      expect(error.attempts).toBe(1);
      expect(api.requests).toHaveLength(1);
      expect(sleeps).toEqual([]);
    });
  }

  it('answers 404 for a hostname without an association', async () => {
    const { client } = harness();
    const error = await failureOf(client.getHostnameStatus(ZONE_ID, 'missing.example.com'));
    expect(error.code).toBe('cloudflare_not_found');
    expect(error.path).toBe(`/zones/${ZONE_ID}/origin_tls_client_auth/hostnames/missing.example.com`);
  });
});

describe('403 hints name the missing permission', () => {
  it.each([
    [
      'hostnameStatus',
      (h: Harness) => h.client.getHostnameStatus(ZONE_ID, 'app.example.com'),
      'SSL and Certificates Read',
    ],
    ['zoneAopSetting', (h: Harness) => h.client.getZoneAopSetting(ZONE_ID), 'SSL and Certificates Read'],
    ['zoneCertificates', (h: Harness) => h.client.listZoneCertificates(ZONE_ID), 'SSL and Certificates Read'],
    ['zoneTlsClientAuth', (h: Harness) => h.client.getZoneTlsClientAuth(ZONE_ID), 'Zone Settings Read'],
    ['zones', (h: Harness) => h.client.findZonesByName('example.com'), 'Zone Read'],
  ] as const)('%s needs "%s"', async (route, call, permission) => {
    const h = harness();
    h.api.state.forbiddenRoutes.add(route);
    const error = await failureOf(call(h));
    expect(error.code).toBe('cloudflare_forbidden');
    expect(error.hint).toBe(
      `Give the API token the "${permission}" permission for this zone (or check that the zone id is right). If it already has it, Cloudflare may no longer accept the token (revoked or expired): roll it under My Profile → API Tokens.`,
    );
  });
});

describe('rate limiting (429)', () => {
  it("asks the limiter for a person's request as urgent and for background reads as not", async () => {
    const urgency: (boolean | undefined)[] = [];
    const { client } = harness({
      rateLimiter: {
        acquire: async (_signal, options) => {
          urgency.push(options?.urgent);
        },
        pauseUntil: async () => {},
      },
    });
    await client.getHostnameStatus(ZONE_ID, 'app.example.com', { urgent: true });
    await client.listHostnameAssociations(ZONE_ID);
    expect(urgency).toEqual([true, false]);
  });

  it('honours retry-after in seconds, pauses every process through the limiter, then retries', async () => {
    const { api, client, sleeps, limiter } = harness();
    api.inject('hostnameStatus', {
      kind: 'respond',
      status: 429,
      headers: { 'retry-after': '7' },
      body: { success: false, errors: [{ code: 971, message: 'Please wait' }], messages: [], result: null },
    });
    await expect(client.getHostnameStatus(ZONE_ID, 'app.example.com')).resolves.toMatchObject({
      enabled: true,
    });
    expect(limiter.pauses).toEqual([NOW.getTime() + 7_000]);
    expect(sleeps).toEqual([7_000]);
  });

  it('honours retry-after given as an HTTP date', async () => {
    const { api, client, sleeps, limiter } = harness();
    api.inject('hostnameStatus', {
      kind: 'respond',
      status: 429,
      headers: { 'retry-after': 'Fri, 01 May 2026 12:00:30 GMT' },
      body: { success: false, errors: [], messages: [], result: null },
    });
    await client.getHostnameStatus(ZONE_ID, 'app.example.com');
    expect(sleeps).toEqual([30_000]);
    expect(limiter.pauses).toEqual([NOW.getTime() + 30_000]);
  });

  it('fails at once with cloudflare_rate_limited when retry-after is beyond the 60 s bound, still pausing everyone', async () => {
    const { api, client, sleeps, limiter } = harness();
    api.inject('hostnameStatus', {
      kind: 'respond',
      status: 429,
      headers: { 'retry-after': '300' },
      body: { success: false, errors: [{ code: 971, message: 'Please wait' }], messages: [], result: null },
    });
    const error = await failureOf(client.getHostnameStatus(ZONE_ID, 'app.example.com'));
    expect(error.code).toBe('cloudflare_rate_limited');
    expect(error.retryAfterSeconds).toBe(300);
    expect(error.attempts).toBe(1);
    expect(sleeps).toEqual([]);
    expect(limiter.pauses).toEqual([NOW.getTime() + 300_000]);
  });

  it('backs off without a retry-after and fails with cloudflare_rate_limited after the last attempt', async () => {
    const { api, client, sleeps, limiter } = harness();
    api.inject('zoneAopSetting', { kind: 'respond', status: 429, body: { success: false, errors: [] } }, 3);
    const error = await failureOf(client.getZoneAopSetting(ZONE_ID));
    expect(error.code).toBe('cloudflare_rate_limited');
    expect(error.retryAfterSeconds).toBeNull();
    expect(error.attempts).toBe(3);
    expect(sleeps).toEqual([500, 1_000]);
    expect(limiter.pauses).toEqual([]);
  });
});

describe('malformed answers', () => {
  it('refuses a 200 whose body is not JSON, without retrying', async () => {
    const { api, client } = harness();
    api.inject('hostnameStatus', { kind: 'malformed' });
    const error = await failureOf(client.getHostnameStatus(ZONE_ID, 'app.example.com'));
    expect(error.code).toBe('cloudflare_malformed_response');
    expect(error.status).toBe(200);
    expect(error.message).toBe(
      `Cloudflare answered GET /zones/${ZONE_ID}/origin_tls_client_auth/hostnames/app.example.com with HTTP 200, but the body is not JSON.`,
    );
    expect(api.requests).toHaveLength(1);
  });

  it('refuses JSON that is not an envelope', async () => {
    const { api, client } = harness();
    api.inject('zoneAopSetting', { kind: 'respond', status: 200, body: { enabled: true } });
    const error = await failureOf(client.getZoneAopSetting(ZONE_ID));
    expect(error.code).toBe('cloudflare_malformed_response');
    expect(error.message).toContain('not a Cloudflare API envelope');
  });

  it('refuses an envelope whose result has the wrong shape', async () => {
    const { api, client } = harness();
    api.inject('hostnameAssociations', {
      kind: 'respond',
      status: 200,
      body: { success: true, errors: [], messages: [], result: { not: 'a list' } },
    });
    const error = await failureOf(client.listHostnameAssociations(ZONE_ID));
    expect(error.code).toBe('cloudflare_malformed_response');
    expect(error.message).toContain('its result is not a list of associations');
  });

  it('treats an HTML 502 as a server error, not a malformed answer', async () => {
    const { api, client } = harness({ maxAttempts: 1 });
    api.inject('hostnameStatus', { kind: 'respond', status: 502, rawBody: '<html>502 Bad Gateway</html>' });
    const error = await failureOf(client.getHostnameStatus(ZONE_ID, 'app.example.com'));
    expect(error.code).toBe('cloudflare_server_error');
    expect(error.cloudflareErrors).toEqual([]);
  });

  it("reports success: false on a 200 as cloudflare_bad_request with Cloudflare's errors", async () => {
    const { api, client } = harness();
    api.inject('zoneAopSetting', {
      kind: 'respond',
      status: 200,
      body: {
        success: false,
        errors: [
          {
            code: 6003,
            message: 'Invalid request headers',
            error_chain: [{ code: 6111, message: 'Bad header' }],
          },
        ],
        messages: [],
        result: null,
      },
    });
    const error = await failureOf(client.getZoneAopSetting(ZONE_ID));
    expect(error.code).toBe('cloudflare_bad_request');
    expect(error.cloudflareErrors).toEqual([
      { code: 6003, message: 'Invalid request headers' },
      { code: 6111, message: 'Bad header' },
    ]);
  });
});

describe('cancellation', () => {
  it('stops when the caller aborts, with cloudflare_timeout and no retry', async () => {
    const controller = new AbortController();
    const { client, sleeps } = harness({}, (agent) => {
      agent
        .get(FAKE_MOCK_ORIGIN)
        .intercept({ path: () => true, method: 'GET' })
        .reply(200, okStatusBody)
        .delay(500);
    });
    setTimeout(() => controller.abort(new Error('slash command deadline')), 20);
    const error = await failureOf(
      client.getHostnameStatus(ZONE_ID, 'app.example.com', { signal: controller.signal }),
    );
    expect(error.code).toBe('cloudflare_timeout');
    expect(error.message).toContain('was cancelled');
    expect(sleeps).toEqual([]);
  });
});
