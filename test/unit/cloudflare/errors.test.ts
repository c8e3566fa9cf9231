import { describe, expect, it } from 'vitest';
import {
  CloudflareApiError,
  cloudflareErrorCodeForStatus,
  cloudflareFailureOutcome,
  httpFailureError,
  requiredPermissionForPath,
} from '../../../src/cloudflare/errors.js';
import { isAopError } from '../../../src/errors.js';

const base = { method: 'GET', retryAfterSeconds: null, attempts: 1, cloudflareErrors: [] };

describe('cloudflareErrorCodeForStatus', () => {
  it.each([
    [401, 'cloudflare_unauthorized'],
    [403, 'cloudflare_forbidden'],
    [404, 'cloudflare_not_found'],
    [400, 'cloudflare_bad_request'],
    [409, 'cloudflare_bad_request'],
    [429, 'cloudflare_rate_limited'],
    [500, 'cloudflare_server_error'],
    [524, 'cloudflare_server_error'],
  ])('maps HTTP %i to %s', (status, code) => {
    expect(cloudflareErrorCodeForStatus(status)).toBe(code);
  });
});

describe('requiredPermissionForPath', () => {
  it('names the token permission each endpoint needs', () => {
    expect(requiredPermissionForPath('/zones/z/origin_tls_client_auth/hostnames/a.example.com')).toBe(
      'SSL and Certificates Read',
    );
    expect(requiredPermissionForPath('/zones/z/origin_tls_client_auth/settings')).toBe(
      'SSL and Certificates Read',
    );
    expect(requiredPermissionForPath('/zones/z/settings/tls_client_auth')).toBe('Zone Settings Read');
    expect(requiredPermissionForPath('/zones')).toBe('Zone Read');
  });
});

describe('httpFailureError', () => {
  it('builds a 403 a person can act on', () => {
    const error = httpFailureError({
      ...base,
      status: 403,
      path: '/zones/z/settings/tls_client_auth',
      cloudflareErrors: [{ code: 10000, message: 'Authentication error' }],
    });
    expect(error).toBeInstanceOf(CloudflareApiError);
    expect(isAopError(error, 'cloudflare_forbidden')).toBe(true);
    expect(error.message).toBe(
      'Cloudflare refused access (HTTP 403 on GET /zones/z/settings/tls_client_auth): Authentication error [10000].',
    );
    expect(error.hint).toBe(
      'Give the API token the "Zone Settings Read" permission for this zone (or check that the zone id is right).',
    );
  });

  it('says how long a 429 asked to wait', () => {
    const error = httpFailureError({ ...base, status: 429, path: '/zones', retryAfterSeconds: 120 });
    expect(error.message).toBe(
      'Cloudflare rate-limited the bot (HTTP 429 on GET /zones) and asked us to wait 120 s.',
    );
    expect(error.retryAfterSeconds).toBe(120);
  });
});

describe('cloudflareFailureOutcome', () => {
  it('waits out rate limits, backs off from temporary failures and gives up on the rest', () => {
    const outcome = (status: number) =>
      cloudflareFailureOutcome(httpFailureError({ ...base, status, path: '/zones' }));
    expect([outcome(429), outcome(503), outcome(404), outcome(401), outcome(400)]).toEqual([
      'retry_after',
      'retry_with_backoff',
      'fail',
      'fail',
      'fail',
    ]);
  });
});
