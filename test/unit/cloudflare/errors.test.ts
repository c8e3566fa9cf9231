import { describe, expect, it } from 'vitest';
import {
  CloudflareApiError,
  cloudflareFailureOutcome,
  httpFailureError,
  requiredPermissionForPath,
} from '../../../src/cloudflare/errors.js';
import { isAopError } from '../../../src/errors.js';

const base = { method: 'GET', retryAfterSeconds: null, attempts: 1, cloudflareErrors: [] };

describe('the code of an HTTP failure without telling Cloudflare codes', () => {
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
    expect(httpFailureError({ ...base, status, path: '/zones/z/settings/tls_client_auth' }).code).toBe(code);
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
      'Give the API token the "Zone Settings Read" permission for this zone (or check that the zone id is right).' +
        ' If it already has it, Cloudflare may no longer accept the token (revoked or expired): roll it under My Profile → API Tokens.',
    );
  });

  it('names only the permission on a 403 that is not an authentication error', () => {
    const error = httpFailureError({
      status: 403,
      method: 'GET',
      path: '/zones/z/settings/tls_client_auth',
      cloudflareErrors: [{ code: 9999, message: 'Forbidden' }],
      retryAfterSeconds: null,
      attempts: 1,
    });
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

describe("Cloudflare's own codes decide what a failure means", () => {
  const fail = (status: number, path: string, codes: [number, string][]) =>
    httpFailureError({
      ...base,
      status,
      path,
      cloudflareErrors: codes.map(([code, message]) => ({ code, message })),
    });
  const ZONE = '0123456789abcdef0123456789abcdef';
  const hostnamePath = `/zones/${ZONE}/origin_tls_client_auth/hostnames/app.example.com`;

  it('a 404 with 7003/7000 is a zone error naming the zone id, not "no association"', () => {
    const error = fail(404, hostnamePath, [
      [7003, `Could not route to /zones/${ZONE}/…, perhaps your object identifier is invalid?`],
      [7000, 'No route for that URI'],
    ]);
    expect(error.code).toBe('cloudflare_zone_not_found');
    expect(error.message).toContain(`no zone ${ZONE}`);
    expect(error.hint).toContain('zone id');
  });

  it('a 400 with 7003 is the same zone error (a malformed zone id)', () => {
    expect(
      fail(400, '/zones/example.com/settings/tls_client_auth', [[7003, 'Could not route']]).message,
    ).toContain('no zone example.com');
  });

  it('only a 404 without those codes means "nothing at this hostname"', () => {
    expect(fail(404, hostnamePath, [[1404, 'No association']]).code).toBe('cloudflare_not_found');
    expect(fail(404, hostnamePath, []).code).toBe('cloudflare_not_found');
  });

  it('a 403 with 9109 says the token is not accepted, not that it lacks a permission', () => {
    const error = fail(403, hostnamePath, [[9109, 'Invalid access token']]);
    expect(error.code).toBe('cloudflare_unauthorized');
    expect(error.message).toBe(
      `Cloudflare did not accept the API credentials (HTTP 403 on GET ${hostnamePath}): Invalid access token [9109].`,
    );
    expect(error.hint).toContain('revoked, expired');
    expect(error.hint).not.toContain('permission');
  });

  it('a 401 with 10000 Authentication error says the token is not accepted', () => {
    const error = fail(401, hostnamePath, [[10000, 'Authentication error']]);
    expect(error.code).toBe('cloudflare_unauthorized');
    expect(error.hint).toContain('revoked, expired');
  });

  it('a 403 with 10000 alone names the missing permission', () => {
    const error = fail(403, hostnamePath, [[10000, 'Authentication error']]);
    expect(error.code).toBe('cloudflare_forbidden');
    expect(error.hint).toContain('"SSL and Certificates Read"');
  });

  it("names an account's own token variable when Cloudflare refuses that token", () => {
    const refused = httpFailureError({
      ...base,
      status: 403,
      path: hostnamePath,
      cloudflareErrors: [{ code: 9109, message: 'Invalid access token' }],
      credentialEnv: 'CLOUDFLARE_API_TOKEN_EDGE',
    });
    expect(refused.hint).toBe(
      'The token in CLOUDFLARE_API_TOKEN_EDGE is revoked, expired, mistyped or refused by its IP filter: create or roll it under My Profile → API Tokens.',
    );
    const malformed = httpFailureError({
      ...base,
      status: 400,
      path: hostnamePath,
      cloudflareErrors: [{ code: 6111, message: 'Invalid format for Authorization header' }],
      credentialEnv: 'CLOUDFLARE_API_TOKEN_EDGE',
    });
    expect(malformed.hint).toMatch(/^CLOUDFLARE_API_TOKEN_EDGE is not in the shape of a token/);
    expect(malformed.hint).not.toContain('CLOUDFLARE_API_KEY');
  });

  it('a 400 with 6003 and 6111 says the token is malformed', () => {
    const error = fail(400, hostnamePath, [
      [6003, 'Invalid request headers'],
      [6111, 'Invalid format for Authorization header'],
    ]);
    expect(error.code).toBe('cloudflare_unauthorized');
    expect(error.message).toContain('malformed');
    expect(error.hint).toContain('quotes, spaces or a line break');
  });
});
