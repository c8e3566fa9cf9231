import net from 'node:net';
import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { type CloudflareClientOptions, createCloudflareClient } from '../../../src/cloudflare/client.js';
import { CloudflareApiError } from '../../../src/cloudflare/errors.js';
import { toHostnameAssociation } from '../../../src/cloudflare/mapping.js';
import {
  createRedisRateLimiter,
  createUnlimitedRateLimiter,
  type RateLimiter,
} from '../../../src/cloudflare/rate-limiter.js';
import {
  certificateFields,
  FAKE_API_KEY,
  FAKE_API_TOKEN,
  type FakeCloudflare,
  type FakeCloudflareOptions,
  generateSelfSignedCertificate,
  startFakeCloudflare,
} from '../../support/fake-cloudflare.js';
import { connectTestRedis, uniquePrefix, withRedis } from '../../support/redis.js';

const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
const CERT_ID = '2458ce5a-0c35-4c7f-82c7-8e9487d3ff60';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startSeededFake(options: FakeCloudflareOptions = {}): Promise<FakeCloudflare> {
  const fake = await startFakeCloudflare(options);
  cleanups.push(() => fake.close());
  fake.state.addZone({ id: ZONE_ID, name: 'example.com', aopEnabled: true, tlsClientAuth: 'on' });
  const generated = generateSelfSignedCertificate({
    hostname: 'app.example.com',
    notAfter: new Date('2026-12-24T18:00:00Z'),
  });
  fake.state.addCertificate(ZONE_ID, {
    ...certificateFields(generated),
    id: CERT_ID,
    uploaded_on: '2026-03-01T10:11:12.37411Z',
  });
  fake.state.associate(ZONE_ID, {
    hostname: 'app.example.com',
    cert_id: CERT_ID,
    enabled: true,
    status: 'active',
  });
  return fake;
}

function clientFor(
  fake: FakeCloudflare,
  overrides: Partial<CloudflareClientOptions> = {},
): ReturnType<typeof createCloudflareClient> {
  // A dedicated agent per test, so one test's hung socket never delays another.
  const dispatcher = new Agent({ connections: 4 });
  cleanups.push(() => dispatcher.close());
  return createCloudflareClient({
    baseUrl: fake.baseUrl,
    auth: FAKE_API_TOKEN,
    dispatcher,
    rateLimiter: createUnlimitedRateLimiter(),
    requestTimeoutMs: 2_000,
    backoff: { initialDelayMs: 10, maxDelayMs: 40 },
    ...overrides,
  });
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

describe('the Cloudflare client against the local fake server', () => {
  it('reads a hostname status over HTTP with a token, and the PEM and expiry survive the trip', async () => {
    const fake = await startSeededFake();
    const status = await clientFor(fake).getHostnameStatus(ZONE_ID, 'app.example.com');
    const association = toHostnameAssociation(status, ZONE_ID, 'app.example.com');
    expect(association.expiresOn?.toISOString()).toBe('2026-12-24T18:00:00.000Z');
    expect(association.certificateUploadedOn?.toISOString()).toBe('2026-03-01T10:11:12.374Z');
    expect(association.certificatePem).toContain('-----BEGIN CERTIFICATE-----');
    expect(fake.requests[0]?.headers.authorization).toBe('Bearer fake-cloudflare-token');
    expect(fake.requests[0]?.path).toBe(`/zones/${ZONE_ID}/origin_tls_client_auth/hostnames/app.example.com`);
  });

  it('authenticates with the global API key headers', async () => {
    const fake = await startSeededFake();
    await expect(clientFor(fake, { auth: FAKE_API_KEY }).getZoneTlsClientAuth(ZONE_ID)).resolves.toEqual({
      value: 'on',
    });
    expect(fake.requests[0]?.headers['x-auth-email']).toBe('oncall@example.com');
    expect(fake.requests[0]?.headers['x-auth-key']).toBe('fake-cloudflare-global-key');
  });

  it('pages through 3 pages of associations', async () => {
    const fake = await startSeededFake();
    fake.state.addManyAssociations(ZONE_ID, 2_100);
    const rows = await clientFor(fake).listHostnameAssociations(ZONE_ID);
    expect(rows).toHaveLength(2_101);
    expect(fake.requestsTo('hostnameAssociations').map((request) => request.query.page)).toEqual([
      '1',
      '2',
      '3',
    ]);
  });

  it('times out a hung request, retries, and fails with cloudflare_timeout', async () => {
    const fake = await startSeededFake();
    fake.inject('hostnameStatus', { kind: 'hang' }, 2);
    const started = performance.now();
    const error = await failureOf(
      clientFor(fake, { requestTimeoutMs: 150, maxAttempts: 2 }).getHostnameStatus(
        ZONE_ID,
        'app.example.com',
      ),
    );
    expect(error.code).toBe('cloudflare_timeout');
    expect(error.attempts).toBe(2);
    expect(fake.requestsTo('hostnameStatus')).toHaveLength(2);
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it('treats latency beyond the timeout as a timeout', async () => {
    const fake = await startSeededFake({ latencyMs: 300 });
    const error = await failureOf(
      clientFor(fake, { requestTimeoutMs: 100, maxAttempts: 1 }).getZoneAopSetting(ZONE_ID),
    );
    expect(error.code).toBe('cloudflare_timeout');
  });

  it('retries after the server resets the connection and then succeeds', async () => {
    const fake = await startSeededFake();
    fake.inject('zoneAopSetting', { kind: 'reset' });
    const requestStatuses: (number | 'error')[] = [];
    const client = clientFor(fake, { onRequest: (info) => requestStatuses.push(info.status) });
    await expect(client.getZoneAopSetting(ZONE_ID)).resolves.toEqual({ enabled: true });
    expect(requestStatuses).toEqual(['error', 200]);
  });

  it('reports connection resets on every attempt as cloudflare_network', async () => {
    const fake = await startSeededFake();
    fake.inject('any', { kind: 'reset' }, 3);
    const error = await failureOf(clientFor(fake).findZonesByName('example.com'));
    expect(error.code).toBe('cloudflare_network');
    expect(error.attempts).toBe(3);
  });

  it('reports a refused connection as cloudflare_network', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = net.createServer();
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const client = createCloudflareClient({
      baseUrl: `http://127.0.0.1:${port}/client/v4`,
      auth: FAKE_API_TOKEN,
      rateLimiter: createUnlimitedRateLimiter(),
      requestTimeoutMs: 1_000,
      maxAttempts: 2,
      backoff: { initialDelayMs: 5, maxDelayMs: 5 },
    });
    const error = await failureOf(client.getZoneAopSetting(ZONE_ID));
    expect(error.code).toBe('cloudflare_network');
    expect(error.message).toContain('connection refused');
    expect(error.attempts).toBe(2);
  });

  it('refuses a 200 HTML page as cloudflare_malformed_response', async () => {
    const fake = await startSeededFake();
    fake.inject('hostnameCertificates', { kind: 'malformed' });
    const error = await failureOf(clientFor(fake).listHostnameCertificates(ZONE_ID));
    expect(error.code).toBe('cloudflare_malformed_response');
    expect(fake.requests).toHaveLength(1);
  });

  it('after a 429 pauses every process sharing the Redis limiter, then retries and succeeds', async () => {
    const prefix = uniquePrefix('cf-429');
    await withRedis(prefix, async (redis) => {
      const otherProcessRedis = connectTestRedis();
      try {
        const fake = await startSeededFake({
          rateLimit: { requests: 1, windowMs: 1_000, retryAfterSeconds: 1 },
        });
        const shared = createRedisRateLimiter({ redis, keyPrefix: prefix, requests: 100, perSeconds: 1 });
        let pauseRecorded: () => void = () => {};
        const paused = new Promise<void>((resolve) => {
          pauseRecorded = resolve;
        });
        const limiter: RateLimiter = {
          acquire: (signal) => shared.acquire(signal),
          pauseUntil: async (epochMs) => {
            await shared.pauseUntil(epochMs);
            pauseRecorded();
          },
        };
        const client = clientFor(fake, { rateLimiter: limiter });
        await client.getZoneAopSetting(ZONE_ID);
        const second = client.getZoneAopSetting(ZONE_ID);
        await paused;
        const otherProcess = createRedisRateLimiter({
          redis: otherProcessRedis,
          keyPrefix: prefix,
          requests: 100,
          perSeconds: 1,
        });
        const waitStarted = performance.now();
        await otherProcess.acquire();
        expect(performance.now() - waitStarted).toBeGreaterThanOrEqual(700);
        await expect(second).resolves.toEqual({ enabled: true });
        expect(fake.requests.map((request) => request.route)).toEqual([
          'zoneAopSetting',
          'zoneAopSetting',
          'zoneAopSetting',
        ]);
      } finally {
        otherProcessRedis.disconnect();
      }
    });
  });
});
