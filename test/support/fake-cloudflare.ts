/**
 * A local stand-in for the Cloudflare v4 API: a real HTTP server on 127.0.0.1 speaking the wire
 * format of the endpoints the bot reads, backed by an in-memory state tests seed directly.
 *
 * Where Cloudflare's behaviour is documented (envelopes, auth errors, page bounds, 429 with
 * retry-after) the fake copies it; where it is not (the error code inside an H3 404, the exact
 * text of page-bound errors) the fake makes something plausible up and says so next to it.
 *
 * Responses built from the seeded state conform to the vendored OpenAPI
 * (test/unit/cloudflare/fake-cloudflare-openapi.test.ts checks that), with one known exception:
 * certificate ids are 36-character UUIDs as in production, while the spec's `identifier` says
 * maxLength 32 (cloudflare-api.md §6.5). The fake keeps the real UUIDs; the spec test relaxes that
 * one bound and separately proves the unrelaxed spec rejects them.
 *
 * The routing, auth, fault and rate-limit logic lives in `createFakeCloudflareApi`, which does no
 * I/O, so unit tests can drive it through an undici MockAgent (`routeMockAgentToFake`) and the
 * integration tests through the real server (`startFakeCloudflare`).
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject, randomUUID, sign } from 'node:crypto';
import http from 'node:http';
import type { Socket } from 'node:net';
import type { MockAgent } from 'undici';
import type {
  CfHostnameAssociationRow,
  CfHostnameCertificate,
  CfZoneCertificate,
} from '../../src/cloudflare/types.js';
import type { CloudflareAuth } from '../../src/config/types.js';

// ---------------------------------------------------------------------------------------------
// State

export type FakeRoute =
  | 'zones'
  | 'hostnameStatus'
  | 'hostnameAssociations'
  | 'hostnameCertificates'
  | 'zoneAopSetting'
  | 'zoneCertificates'
  | 'zoneCertificate'
  | 'zoneTlsClientAuth';

/** The path prefix of the real API, kept so clients are configured exactly as in production. */
export const FAKE_API_BASE_PATH = '/client/v4';

export const FAKE_API_TOKEN: CloudflareAuth = { scheme: 'api_token', token: 'fake-cloudflare-token' };
export const FAKE_API_KEY: CloudflareAuth = {
  scheme: 'api_key',
  email: 'oncall@example.com',
  key: 'fake-cloudflare-global-key',
};

/** When a seed gives no timestamp; fixed so answers are reproducible. */
const DEFAULT_TIMESTAMP = '2026-01-01T00:00:00Z';

/** A Cloudflare account: zones belong to one; a scoped token reads the zones of its accounts only. */
export interface FakeAccount {
  id: string;
  name: string;
}

/** The account every zone belongs to unless seeded otherwise (the ids of the OpenAPI's examples). */
export const FAKE_DEFAULT_ACCOUNT: FakeAccount = {
  id: '01a7362d577a6c3019a474fd6f485823',
  name: 'Example Account',
};

export interface FakeZone {
  id: string;
  name: string;
  status: string;
  /** The account the zone belongs to. */
  accountId: string;
  /** Zone setting `tls_client_auth`. */
  tlsClientAuth: 'on' | 'off';
  /** `/origin_tls_client_auth/settings` `enabled`. */
  aopEnabled: boolean;
  /** Keyed by lower-case hostname. Values are wire rows, so tests can seed odd shapes. */
  associations: Map<string, FakeAssociation>;
  /** Keyed by certificate id. */
  certificates: Map<string, FakeCertificate>;
  /** Zone-level certificates, keyed by id. */
  zoneCertificates: Map<string, FakeZoneCertificate>;
}

export type FakeAssociation = CfHostnameAssociationRow & { hostname: string };
/** A hostname certificate; `updated_at` feeds H3's `cert_updated_at` (C1 rows do not carry it). */
export type FakeCertificate = CfHostnameCertificate & { id: string; updated_at?: string };

/**
 * A zone-level certificate. `enabled` is left out unless seeded: the answer then repeats the
 * zone's AOP setting, as Cloudflare's does ("whether zone-level authenticated origin pulls is enabled").
 */
export type FakeZoneCertificate = CfZoneCertificate & { id: string };
export type AddZoneCertificateInput = Omit<FakeZoneCertificate, 'id'> & { id?: string };

export interface AddZoneInput {
  /** Default: a fresh 32-hex id, the shape of real zone ids. */
  id?: string;
  name: string;
  status?: string;
  /** Default: FAKE_DEFAULT_ACCOUNT. */
  accountId?: string;
  tlsClientAuth?: 'on' | 'off';
  aopEnabled?: boolean;
}

export type AddCertificateInput = Omit<FakeCertificate, 'id'> & { id?: string };
export type AssociateInput = FakeAssociation;

export class FakeCloudflareState {
  readonly zones = new Map<string, FakeZone>();
  /** Credentials the fake accepts; anything else is a 401. */
  credentials: CloudflareAuth[] = [FAKE_API_TOKEN, FAKE_API_KEY];
  /** Credentials that were valid once (revoked, expired): 403 with 9109, as Cloudflare answers them. */
  revokedCredentials: CloudflareAuth[] = [];
  /** Routes the (valid) credentials may not read: 403, as for a token missing a permission. */
  readonly forbiddenRoutes = new Set<FakeRoute>();
  readonly accounts = new Map<string, FakeAccount>([[FAKE_DEFAULT_ACCOUNT.id, FAKE_DEFAULT_ACCOUNT]]);
  /**
   * Token → the account ids it may read. A token listed here sees only those accounts' zones (in
   * `/zones`, and a 403 on any other zone); credentials not listed see every zone.
   */
  readonly tokenScopes = new Map<string, Set<string>>();

  /** Adds an account (default id: a fresh 32-hex id). */
  addAccount(input: { id?: string; name: string }): FakeAccount {
    const account = { id: input.id ?? randomUUID().replaceAll('-', ''), name: input.name };
    this.accounts.set(account.id, account);
    return account;
  }

  /**
   * Accepts `token` from now on, reading the zones of `accountIds` only (a token may be granted
   * several accounts, so one zone can be visible to two tokens).
   */
  addToken(token: string, accountIds: readonly string[]): CloudflareAuth {
    const auth: CloudflareAuth = { scheme: 'api_token', token };
    this.credentials = [...this.credentials.filter((known) => !sameCredential(known, auth)), auth];
    this.revokedCredentials = this.revokedCredentials.filter((known) => !sameCredential(known, auth));
    this.tokenScopes.set(token, new Set(accountIds));
    return auth;
  }

  /** The token stops working: every request with it gets Cloudflare's 403 9109 from now on. */
  revokeToken(token: string): void {
    const auth: CloudflareAuth = { scheme: 'api_token', token };
    this.credentials = this.credentials.filter((known) => !sameCredential(known, auth));
    this.revokedCredentials = [...this.revokedCredentials, auth];
  }

  /** Deletes a zone: it leaves every listing, and its own endpoints answer 7003. */
  removeZone(zoneId: string): void {
    this.zones.delete(zoneId);
  }

  addZone(input: AddZoneInput): FakeZone {
    const zone: FakeZone = {
      id: input.id ?? randomUUID().replaceAll('-', ''),
      name: input.name,
      status: input.status ?? 'active',
      accountId: input.accountId ?? FAKE_DEFAULT_ACCOUNT.id,
      tlsClientAuth: input.tlsClientAuth ?? 'on',
      aopEnabled: input.aopEnabled ?? false,
      associations: new Map(),
      certificates: new Map(),
      zoneCertificates: new Map(),
    };
    this.zones.set(zone.id, zone);
    return zone;
  }

  zone(zoneId: string): FakeZone {
    const zone = this.zones.get(zoneId);
    if (!zone) throw new Error(`fake Cloudflare: no zone ${zoneId} was seeded`);
    return zone;
  }

  /** Adds a hostname certificate (default id: a UUID, as Cloudflare issues them; default status active). */
  addCertificate(zoneId: string, input: AddCertificateInput = {}): FakeCertificate {
    const certificate: FakeCertificate = {
      status: 'active',
      uploaded_on: DEFAULT_TIMESTAMP,
      ...input,
      id: input.id ?? randomUUID(),
    };
    this.zone(zoneId).certificates.set(certificate.id, certificate);
    return certificate;
  }

  /**
   * Adds a zone-level certificate (default id: a UUID; default status active). Like Cloudflare, the
   * fake never removes one when it expires.
   */
  addZoneCertificate(zoneId: string, input: AddZoneCertificateInput = {}): FakeZoneCertificate {
    const certificate: FakeZoneCertificate = {
      status: 'active',
      uploaded_on: DEFAULT_TIMESTAMP,
      ...input,
      id: input.id ?? randomUUID(),
    };
    this.zone(zoneId).zoneCertificates.set(certificate.id, certificate);
    return certificate;
  }

  /** Adds or replaces the association of `hostname` (default: enabled, active). */
  associate(zoneId: string, input: AssociateInput): FakeAssociation {
    const association: FakeAssociation = {
      enabled: true,
      status: 'active',
      created_at: DEFAULT_TIMESTAMP,
      updated_at: DEFAULT_TIMESTAMP,
      ...input,
    };
    this.zone(zoneId).associations.set(input.hostname.toLowerCase(), association);
    return association;
  }

  /** Adds `count` associations app-00000.<zone> …, all on one new certificate, for paging tests. */
  addManyAssociations(zoneId: string, count: number, certificate: AddCertificateInput = {}): void {
    const zone = this.zone(zoneId);
    const shared = this.addCertificate(zoneId, certificate);
    for (let index = 0; index < count; index += 1) {
      this.associate(zoneId, {
        hostname: `app-${String(index).padStart(5, '0')}.${zone.name}`,
        cert_id: shared.id,
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Requests, responses and faults

export interface FakeRequest {
  method: string;
  /** Path below the API base, decoded per segment by the router, e.g. `/zones/abc/...`. */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | undefined>;
}

export interface RecordedRequest extends FakeRequest {
  route: FakeRoute | null;
  atMs: number;
}

export interface FakeHttpResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON value, serialised by the transport. */
  body: unknown;
}

export type FakeFault =
  /** Answer with exactly this. `rawBody` wins over `body` and is sent verbatim. */
  | { kind: 'respond'; status: number; body?: unknown; rawBody?: string; headers?: Record<string, string> }
  /** Never answer; the client's timeout must fire. The socket is freed by `close()`. */
  | { kind: 'hang' }
  /** A 2xx (default 200) whose body is not JSON (default: an HTML page, like a captive proxy). */
  | { kind: 'malformed'; status?: number; rawBody?: string }
  /** Destroy the connection without answering: the client sees a reset. */
  | { kind: 'reset' };

export type FakeOutcome =
  | { kind: 'respond'; status: number; headers: Record<string, string>; rawBody: string }
  | { kind: 'hang' }
  | { kind: 'reset' };

export interface FakeRateLimit {
  /** Requests allowed in any `windowMs`; the next one gets a 429. */
  requests: number;
  windowMs: number;
  /** Sent as retry-after. Default: seconds until the oldest counted request leaves the window. */
  retryAfterSeconds?: number;
}

export interface FakeCloudflareOptions {
  /** Added before every answer (server only). */
  latencyMs?: number;
  rateLimit?: FakeRateLimit;
  /** For the rate limit window and the request log. Default Date.now. */
  nowMs?: () => number;
}

function envelopeFailure(status: number, errors: { code: number; message: string }[]): FakeHttpResponse {
  return { status, headers: {}, body: { success: false, errors, messages: [], result: null } };
}

export const AUTHENTICATION_ERROR = { code: 10000, message: 'Authentication error' };
/** Cloudflare's 429 body (code 971, "Please wait and consider throttling your request speed"). */
export const RATE_LIMITED_ERROR = {
  code: 971,
  message: 'Please wait and consider throttling your request speed',
};

function success(result: unknown, resultInfo?: Record<string, number>): FakeHttpResponse {
  const body: Record<string, unknown> = { success: true, errors: [], messages: [], result };
  if (resultInfo) body.result_info = resultInfo;
  return { status: 200, headers: {}, body };
}

export const INVALID_ACCESS_TOKEN_ERROR = { code: 9109, message: 'Invalid access token' };

/**
 * Cloudflare's answer for an unknown route or object id such as a zone id that does not exist
 * (7003 + 7000, cloudflare-api.md §2.2), sent as a 404: what sets it apart from the 404 that means
 * "this hostname has no association" is the codes, not the status.
 */
function noRoute(path: string): FakeHttpResponse {
  return envelopeFailure(404, [
    { code: 7003, message: `Could not route to ${path}, perhaps your object identifier is invalid?` },
    { code: 7000, message: 'No route for that URI' },
  ]);
}

/** A bad query parameter. Cloudflare's exact code and wording here are not documented; 1001 is made up. */
function badParameter(message: string): FakeHttpResponse {
  return envelopeFailure(400, [{ code: 1001, message }]);
}

interface RouteMatch {
  route: FakeRoute;
  zoneId: string | null;
  hostname: string | null;
  certificateId?: string;
}

/** Matches a path below the API base; `hostnames/certificates` wins over `hostnames/{hostname}` as in the real API. */
export function matchFakeRoute(method: string, path: string): RouteMatch | null {
  if (method !== 'GET') return null;
  let parts: string[];
  try {
    parts = path
      .split('/')
      .filter((part) => part.length > 0)
      .map(decodeURIComponent);
  } catch {
    return null;
  }
  const [root, zoneId, area, sub, leaf, ...rest] = parts;
  if (root !== 'zones') return null;
  if (zoneId === undefined) return { route: 'zones', zoneId: null, hostname: null };
  if (area === 'settings' && sub === 'tls_client_auth' && leaf === undefined) {
    return { route: 'zoneTlsClientAuth', zoneId, hostname: null };
  }
  if (area !== 'origin_tls_client_auth' || rest.length > 0) return null;
  if (sub === undefined) return { route: 'zoneCertificates', zoneId, hostname: null };
  if (sub === 'settings' && leaf === undefined) return { route: 'zoneAopSetting', zoneId, hostname: null };
  // `settings` and `hostnames` win over `{certificate_id}`, as in the real API.
  if (sub !== 'hostnames') {
    return leaf === undefined
      ? { route: 'zoneCertificate', zoneId, hostname: null, certificateId: sub }
      : null;
  }
  if (leaf === undefined) return { route: 'hostnameAssociations', zoneId, hostname: null };
  if (leaf === 'certificates') return { route: 'hostnameCertificates', zoneId, hostname: null };
  return { route: 'hostnameStatus', zoneId, hostname: leaf };
}

/** Real API tokens are 40 characters of [A-Za-z0-9_-]; anything else after `Bearer ` is not a token. */
const WELL_FORMED_BEARER = /^Bearer [A-Za-z0-9_-]+$/;

/** 400 with 6003 and 6111 in its chain, as Cloudflare answers an Authorization header it cannot read. */
function malformedAuthorization(): FakeHttpResponse {
  return {
    status: 400,
    headers: {},
    body: {
      success: false,
      errors: [
        {
          code: 6003,
          message: 'Invalid request headers',
          error_chain: [{ code: 6111, message: 'Invalid format for Authorization header' }],
        },
      ],
      messages: [],
      result: null,
    },
  };
}

function sameCredential(a: CloudflareAuth, b: CloudflareAuth): boolean {
  return a.scheme === 'api_token' && b.scheme === 'api_token'
    ? a.token === b.token
    : a.scheme === 'api_key' && b.scheme === 'api_key' && a.email === b.email && a.key === b.key;
}

/** The accounts the request's credential may read; null = every account (an unscoped credential). */
function scopeOf(
  state: FakeCloudflareState,
  headers: Record<string, string | undefined>,
): Set<string> | null {
  const token = headers.authorization?.replace(/^Bearer /, '');
  return token === undefined ? null : (state.tokenScopes.get(token) ?? null);
}

function credentialsMatch(
  headers: Record<string, string | undefined>,
  accepted: readonly CloudflareAuth[],
): boolean {
  const authorization = headers.authorization;
  const email = headers['x-auth-email'];
  const key = headers['x-auth-key'];
  return accepted.some((auth) =>
    auth.scheme === 'api_token'
      ? authorization === `Bearer ${auth.token}`
      : email === auth.email && key === auth.key,
  );
}

function parsePositiveInteger(value: string | undefined, fallback: number): number | null {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) return null;
  return Number(value);
}

const ASSOCIATION_STATUSES = new Set([
  'initializing',
  'pending_deployment',
  'pending_deletion',
  'active',
  'deleted',
  'deployment_timed_out',
  'deletion_timed_out',
]);

/** The H3 result for one association, joined with its certificate as Cloudflare does. */
export function hostnameStatusResult(association: FakeAssociation, certificate: FakeCertificate | undefined) {
  return dropUndefined({
    hostname: association.hostname,
    cert_id: association.cert_id,
    enabled: association.enabled,
    status: association.status,
    created_at: association.created_at,
    updated_at: association.updated_at,
    cert_status: certificate?.status,
    cert_uploaded_on: certificate?.uploaded_on,
    cert_updated_at: certificate?.updated_at ?? certificate?.uploaded_on,
    certificate: certificate?.certificate,
    expires_on: certificate?.expires_on,
    issuer: certificate?.issuer,
    serial_number: certificate?.serial_number,
    signature: certificate?.signature,
  });
}

/** A zone-level certificate on the wire; `enabled` repeats the zone's AOP setting unless seeded. */
export function zoneCertificateResult(zone: FakeZone, certificate: FakeZoneCertificate) {
  return dropUndefined({ enabled: zone.aopEnabled, ...certificate });
}

function dropUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

/** A zone as GET /zones returns it: every field `zones_zone` requires, filled with plausible values. */
export function zoneResult(
  zone: FakeZone,
  account: FakeAccount = FAKE_DEFAULT_ACCOUNT,
): Record<string, unknown> {
  return {
    id: zone.id,
    name: zone.name,
    status: zone.status,
    paused: false,
    type: 'full',
    development_mode: 0,
    name_servers: ['bob.ns.cloudflare.com', 'lola.ns.cloudflare.com'],
    original_name_servers: null,
    original_registrar: null,
    original_dnshost: null,
    created_on: '2020-01-01T00:00:00.12345Z',
    modified_on: '2026-01-01T00:00:00.12345Z',
    activated_on: '2020-01-02T00:00:00.12345Z',
    meta: { step: 2, custom_certificate_quota: 1, page_rule_quota: 100, phishing_detected: false },
    owner: { id: '023e105f4ecef8ad9ca31a8372d0c353', type: 'organization', name: 'Example Org' },
    account: { id: zone.accountId, name: account.name },
    permissions: ['#zone:read'],
    plan: {
      id: '0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee',
      name: 'Enterprise Website',
      price: 0,
      currency: 'USD',
      frequency: '',
      is_subscribed: true,
      can_subscribe: false,
      legacy_id: 'enterprise',
      legacy_discount: false,
      externally_managed: false,
    },
  };
}

/**
 * Answers one request from `state`, with auth checks, as Cloudflare would. Pure: no faults, no
 * rate limit, no latency (those belong to `createFakeCloudflareApi`).
 */
export function answerFromState(state: FakeCloudflareState, request: FakeRequest): FakeHttpResponse {
  const match = matchFakeRoute(request.method, request.path);
  if (!match) return noRoute(request.path);
  const authorization = request.headers.authorization;
  if (authorization !== undefined && !WELL_FORMED_BEARER.test(authorization)) return malformedAuthorization();
  if (credentialsMatch(request.headers, state.revokedCredentials))
    return envelopeFailure(403, [INVALID_ACCESS_TOKEN_ERROR]);
  if (!credentialsMatch(request.headers, state.credentials))
    return envelopeFailure(401, [AUTHENTICATION_ERROR]);
  if (state.forbiddenRoutes.has(match.route)) return envelopeFailure(403, [AUTHENTICATION_ERROR]);

  if (match.route === 'zones') {
    const perPage = parsePositiveInteger(request.query.per_page, 20);
    const page = parsePositiveInteger(request.query.page, 1);
    if (perPage === null || perPage < 5 || perPage > 50)
      return badParameter('per_page must be between 5 and 50');
    if (page === null || page < 1) return badParameter('page must be at least 1');
    const name = request.query.name?.toLowerCase();
    const accountId = request.query['account.id']?.toLowerCase();
    const scope = scopeOf(state, request.headers);
    const all = [...state.zones.values()]
      .filter((zone) => name === undefined || zone.name.toLowerCase() === name)
      .filter((zone) => accountId === undefined || zone.accountId === accountId)
      .filter((zone) => scope === null || scope.has(zone.accountId))
      .sort((a, b) => a.name.localeCompare(b.name));
    return paged(
      all.map((zone) => zoneResult(zone, state.accounts.get(zone.accountId))),
      page,
      perPage,
    );
  }

  const zone = match.zoneId === null ? undefined : state.zones.get(match.zoneId);
  if (!zone) return noRoute(request.path);
  // A token scoped to other accounts: Cloudflare's "Authentication error", as for a missing permission.
  const scope = scopeOf(state, request.headers);
  if (scope !== null && !scope.has(zone.accountId)) return envelopeFailure(403, [AUTHENTICATION_ERROR]);

  switch (match.route) {
    case 'zoneAopSetting':
      return success({ enabled: zone.aopEnabled });
    case 'zoneTlsClientAuth':
      return success({ id: 'tls_client_auth', value: zone.tlsClientAuth, editable: true, modified_on: null });
    case 'zoneCertificates': {
      const certificates = [...zone.zoneCertificates.values()].map((row) => zoneCertificateResult(zone, row));
      return success(certificates, {
        count: certificates.length,
        page: 1,
        per_page: certificates.length,
        total_count: certificates.length,
        total_pages: 1,
      });
    }
    case 'zoneCertificate': {
      const certificate = zone.zoneCertificates.get(match.certificateId ?? '');
      // An unknown certificate id: the exact code is not documented; 1404 is made up, as for H3.
      if (!certificate) return envelopeFailure(404, [{ code: 1404, message: 'Certificate not found' }]);
      return success(zoneCertificateResult(zone, certificate));
    }
    case 'hostnameCertificates': {
      const certificates = [...zone.certificates.values()].map(({ updated_at: _updatedAt, ...wire }) => wire);
      return success(certificates, {
        count: certificates.length,
        page: 1,
        per_page: certificates.length,
        total_count: certificates.length,
        total_pages: 1,
      });
    }
    case 'hostnameStatus': {
      const association = zone.associations.get((match.hostname ?? '').toLowerCase());
      if (!association) {
        // The code inside Cloudflare's 404 is not documented (cloudflare-api.md §2.2); 1404 is made up.
        return envelopeFailure(404, [{ code: 1404, message: `No association found for ${match.hostname}` }]);
      }
      const certificate =
        association.cert_id === undefined ? undefined : zone.certificates.get(association.cert_id);
      return success(hostnameStatusResult(association, certificate));
    }
    case 'hostnameAssociations': {
      const perPage = parsePositiveInteger(request.query.per_page, 50);
      const page = parsePositiveInteger(request.query.page, 1);
      if (perPage === null || perPage < 1 || perPage > 1000)
        return badParameter('per_page must be between 1 and 1000');
      if (page === null || page < 1) return badParameter('page must be at least 1');
      // The spec's default is `active`; `all` or a comma-separated list widens it.
      const filter = (request.query.status ?? 'active').split(',').map((value) => value.trim());
      if (!filter.every((value) => value === 'all' || ASSOCIATION_STATUSES.has(value))) {
        return badParameter(`status must be one of ${[...ASSOCIATION_STATUSES].join(', ')}, all`);
      }
      const rows = [...zone.associations.values()]
        .filter((row) => filter.includes('all') || (row.status !== undefined && filter.includes(row.status)))
        .sort((a, b) => a.hostname.localeCompare(b.hostname))
        .map((row) => dropUndefined({ ...row }));
      return paged(rows, page, perPage);
    }
    default:
      return noRoute(request.path);
  }
}

function paged(items: unknown[], page: number, perPage: number): FakeHttpResponse {
  const slice = items.slice((page - 1) * perPage, page * perPage);
  return success(slice, {
    count: slice.length,
    page,
    per_page: perPage,
    total_count: items.length,
    total_pages: Math.ceil(items.length / perPage),
  });
}

export interface FakeCloudflareApi {
  state: FakeCloudflareState;
  /** Every request received, oldest first. */
  requests: RecordedRequest[];
  /** Mutable: takes effect on the next request. */
  options: FakeCloudflareOptions;
  /** The next `times` requests to `route` (or to any route) meet `fault` instead of the state. */
  inject(route: FakeRoute | 'any', fault: FakeFault, times?: number): void;
  /** Drops every fault not yet used. */
  clearFaults(): void;
  /** Requests made to `route`. */
  requestsTo(route: FakeRoute): RecordedRequest[];
  handle(request: FakeRequest): FakeOutcome;
}

/**
 * The fake's behaviour without a transport: routing, auth, queued faults, the optional rate limit
 * and the request log.
 */
export function createFakeCloudflareApi(options: FakeCloudflareOptions = {}): FakeCloudflareApi {
  const state = new FakeCloudflareState();
  const requests: RecordedRequest[] = [];
  const faults: { route: FakeRoute | 'any'; fault: FakeFault; remaining: number }[] = [];
  const acceptedAtMs: number[] = [];
  const api: FakeCloudflareApi = {
    state,
    requests,
    options,
    inject(route, fault, times = 1) {
      faults.push({ route, fault, remaining: times });
    },
    clearFaults() {
      faults.length = 0;
    },
    requestsTo(route) {
      return requests.filter((request) => request.route === route);
    },
    handle(request) {
      const nowMs = (api.options.nowMs ?? Date.now)();
      const route = matchFakeRoute(request.method, request.path)?.route ?? null;
      requests.push({ ...request, route, atMs: nowMs });

      const queued = faults.find((entry) => entry.route === 'any' || entry.route === route);
      if (queued) {
        queued.remaining -= 1;
        if (queued.remaining <= 0) faults.splice(faults.indexOf(queued), 1);
        return outcomeOfFault(queued.fault);
      }

      const limit = api.options.rateLimit;
      if (limit) {
        while (acceptedAtMs.length > 0 && (acceptedAtMs[0] ?? 0) <= nowMs - limit.windowMs)
          acceptedAtMs.shift();
        if (acceptedAtMs.length >= limit.requests) {
          const oldest = acceptedAtMs[0] ?? nowMs;
          const retryAfter =
            limit.retryAfterSeconds ?? Math.max(1, Math.ceil((oldest + limit.windowMs - nowMs) / 1000));
          const limited = envelopeFailure(429, [RATE_LIMITED_ERROR]);
          return toOutcome({ ...limited, headers: { 'retry-after': String(retryAfter) } });
        }
        acceptedAtMs.push(nowMs);
      }
      return toOutcome(answerFromState(state, request));
    },
  };
  return api;
}

function toOutcome(response: FakeHttpResponse): FakeOutcome {
  return {
    kind: 'respond',
    status: response.status,
    headers: { 'content-type': 'application/json', ...response.headers },
    rawBody: JSON.stringify(response.body),
  };
}

function outcomeOfFault(fault: FakeFault): FakeOutcome {
  switch (fault.kind) {
    case 'hang':
    case 'reset':
      return { kind: fault.kind };
    case 'malformed':
      return {
        kind: 'respond',
        status: fault.status ?? 200,
        headers: { 'content-type': 'text/html' },
        rawBody: fault.rawBody ?? '<html><body>Please sign in</body></html>',
      };
    case 'respond':
      return {
        kind: 'respond',
        status: fault.status,
        headers: { 'content-type': 'application/json', ...fault.headers },
        rawBody: fault.rawBody ?? JSON.stringify(fault.body ?? null),
      };
  }
}

function splitTarget(target: string): { path: string; query: Record<string, string> } {
  const url = new URL(target, 'http://fake.invalid');
  let path = url.pathname;
  if (path.startsWith(FAKE_API_BASE_PATH)) path = path.slice(FAKE_API_BASE_PATH.length) || '/';
  return { path, query: Object.fromEntries(url.searchParams) };
}

function flattenHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | undefined> {
  const flat: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) {
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

// ---------------------------------------------------------------------------------------------
// Transports

export interface FakeCloudflare extends FakeCloudflareApi {
  /** e.g. http://127.0.0.1:54321/client/v4, ready for `createCloudflareClient({ baseUrl })`. */
  baseUrl: string;
  /** Requests received and not answered yet, and the most there ever were at once (resettable). */
  inFlight: { now: number; max: number };
  close(): Promise<void>;
}

/**
 * Starts the fake on 127.0.0.1 on a free port.
 *
 * @example
 * const fake = await startFakeCloudflare();
 * const zone = fake.state.addZone({ name: 'example.com' });
 * const client = createCloudflareClient({ baseUrl: fake.baseUrl, auth: FAKE_API_TOKEN, ... });
 * await fake.close();
 */
export async function startFakeCloudflare(options: FakeCloudflareOptions = {}): Promise<FakeCloudflare> {
  const api = createFakeCloudflareApi(options);
  const sockets = new Set<Socket>();
  const inFlight = { now: 0, max: 0 };
  const server = http.createServer((req, res) => {
    inFlight.now += 1;
    inFlight.max = Math.max(inFlight.max, inFlight.now);
    res.once('close', () => {
      inFlight.now -= 1;
    });
    const { path, query } = splitTarget(req.url ?? '/');
    const outcome = api.handle({
      method: req.method ?? 'GET',
      path,
      query,
      headers: flattenHeaders(req.headers),
    });
    const deliver = () => {
      // close() may have run during the added latency.
      if (outcome.kind === 'hang' || req.socket.destroyed) return;
      if (outcome.kind === 'reset') {
        req.socket.destroy();
        return;
      }
      res.writeHead(outcome.status, outcome.headers);
      res.end(outcome.rawBody);
    };
    const latencyMs = api.options.latencyMs ?? 0;
    if (latencyMs > 0) setTimeout(deliver, latencyMs);
    else deliver();
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('fake Cloudflare did not get a port');
  return Object.assign(api, {
    baseUrl: `http://127.0.0.1:${address.port}${FAKE_API_BASE_PATH}`,
    inFlight,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  });
}

/** The origin unit tests give the client when the fake runs behind a MockAgent. */
export const FAKE_MOCK_ORIGIN = 'http://cloudflare.fake';

/**
 * Routes every request a MockAgent receives for FAKE_MOCK_ORIGIN to `api`, so unit tests get the
 * fake's behaviour without sockets. `hang` and `reset` faults need a real connection: there the
 * MockAgent fails the request with an ECONNRESET-coded error instead (use `startFakeCloudflare`
 * to test true hangs). Latency is ignored.
 *
 * @example
 * const agent = new MockAgent(); agent.disableNetConnect();
 * const api = createFakeCloudflareApi(); routeMockAgentToFake(agent, api);
 * createCloudflareClient({ baseUrl: `${FAKE_MOCK_ORIGIN}/client/v4`, dispatcher: agent, ... });
 */
export function routeMockAgentToFake(agent: MockAgent, api: FakeCloudflareApi): void {
  agent
    .get(FAKE_MOCK_ORIGIN)
    .intercept({ path: () => true, method: () => true })
    .reply((request) => {
      const { path, query } = splitTarget(request.path);
      const headers = flattenHeaders(
        request.headers instanceof Headers
          ? Object.fromEntries(request.headers)
          : Array.isArray(request.headers)
            ? pairsToRecord(request.headers)
            : ((request.headers ?? {}) as Record<string, string>),
      );
      const outcome = api.handle({ method: request.method, path, query, headers });
      if (outcome.kind !== 'respond') {
        throw Object.assign(new Error(`fake Cloudflare: simulated ${outcome.kind}`), { code: 'ECONNRESET' });
      }
      return {
        statusCode: outcome.status,
        data: outcome.rawBody,
        responseOptions: { headers: outcome.headers },
      };
    })
    .persist();
}

function pairsToRecord(pairs: readonly unknown[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let index = 0; index + 1 < pairs.length; index += 2)
    record[String(pairs[index])] = String(pairs[index + 1]);
  return record;
}

// ---------------------------------------------------------------------------------------------
// Self-signed certificates
//
// Node has no X.509 writer, so this builds the DER by hand: a v3 certificate with an Ed25519 key,
// CN and subjectAltName set to the hostname. The key is derived from the inputs and Ed25519
// signatures are deterministic, so the same inputs always give the same PEM and fingerprint.

export interface GenerateCertificateOptions {
  hostname: string;
  notAfter: Date;
  /** Default: 90 days before notAfter. */
  notBefore?: Date;
  /** Positive. Default: derived from hostname and dates. */
  serialNumber?: bigint;
  /** Default: the hostname (self-signed). */
  issuerCommonName?: string;
}

export interface GeneratedCertificate {
  pem: string;
  hostname: string;
  notBefore: Date;
  notAfter: Date;
  /** Decimal, as Cloudflare's `serial_number` reports it. */
  serialNumberDecimal: string;
  /** Upper-case hex without separators, as node's X509Certificate.serialNumber reports it. */
  serialNumberHex: string;
  /** "AA:BB:…", as node's X509Certificate.fingerprint256 reports it. */
  sha256Fingerprint: string;
  /** As node's X509Certificate.issuer reports it, e.g. "CN=app.example.com". */
  issuer: string;
  /** Cloudflare's `signature` field for this certificate. */
  signature: string;
}

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function der(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

function evenLengthHex(value: bigint): string {
  const hex = value.toString(16);
  return hex.length % 2 === 1 ? `0${hex}` : hex;
}

function derInteger(value: bigint): Buffer {
  let bytes = Buffer.from(evenLengthHex(value), 'hex');
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return der(0x02, bytes);
}

function derOid(...encoded: number[]): Buffer {
  return der(0x06, Buffer.from(encoded));
}

const OID_ED25519 = derOid(0x2b, 0x65, 0x70);
const OID_COMMON_NAME = derOid(0x55, 0x04, 0x03);
const OID_SUBJECT_ALT_NAME = derOid(0x55, 0x1d, 0x11);
const OID_BASIC_CONSTRAINTS = derOid(0x55, 0x1d, 0x13);

function derName(commonName: string): Buffer {
  return der(0x30, der(0x31, der(0x30, OID_COMMON_NAME, der(0x0c, Buffer.from(commonName, 'utf8')))));
}

function derTime(date: Date): Buffer {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = date.getUTCFullYear();
  // RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
  return year >= 1950 && year < 2050
    ? der(0x17, Buffer.from(digits.slice(2)))
    : der(0x18, Buffer.from(digits));
}

function formatFingerprint(digest: Buffer): string {
  return [...digest].map((byte) => byte.toString(16).padStart(2, '0').toUpperCase()).join(':');
}

function deriveKey(seedText: string): KeyObject {
  const seed = createHash('sha256').update(seedText).digest();
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  return createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
}

/**
 * A real, parseable self-signed PEM for `hostname` valid until `notAfter` (whole seconds).
 *
 * @example
 * const cert = generateSelfSignedCertificate({ hostname: 'app.example.com', notAfter: new Date('2027-01-01T00:00:00Z') });
 * new X509Certificate(cert.pem).validTo // 'Jan  1 00:00:00 2027 GMT'
 */
export function generateSelfSignedCertificate(options: GenerateCertificateOptions): GeneratedCertificate {
  const notAfter = new Date(Math.floor(options.notAfter.getTime() / 1000) * 1000);
  const notBefore = new Date(
    Math.floor((options.notBefore ?? new Date(notAfter.getTime() - 90 * 86_400_000)).getTime() / 1000) * 1000,
  );
  const seedText = `${options.hostname}|${notBefore.toISOString()}|${notAfter.toISOString()}`;
  const serialNumber =
    options.serialNumber ??
    BigInt(`0x${createHash('sha256').update(`serial|${seedText}`).digest('hex').slice(0, 32)}`) | 1n;
  if (serialNumber <= 0n) throw new RangeError('serialNumber must be positive');
  const issuerCommonName = options.issuerCommonName ?? options.hostname;
  const privateKey = deriveKey(seedText);
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const algorithm = der(0x30, OID_ED25519);
  const subjectAltName = der(0x30, der(0x82, Buffer.from(options.hostname, 'ascii')));
  const extensions = der(
    0xa3,
    der(
      0x30,
      der(0x30, OID_BASIC_CONSTRAINTS, der(0x04, der(0x30))),
      der(0x30, OID_SUBJECT_ALT_NAME, der(0x04, subjectAltName)),
    ),
  );
  const tbs = der(
    0x30,
    der(0xa0, derInteger(2n)),
    derInteger(serialNumber),
    algorithm,
    derName(issuerCommonName),
    der(0x30, derTime(notBefore), derTime(notAfter)),
    derName(options.hostname),
    spki,
    extensions,
  );
  const signatureBytes = sign(null, tbs, privateKey);
  const certificate = der(0x30, tbs, algorithm, der(0x03, Buffer.from([0]), signatureBytes));
  const base64Lines = certificate.toString('base64').match(/.{1,64}/g) ?? [];
  return {
    pem: `-----BEGIN CERTIFICATE-----\n${base64Lines.join('\n')}\n-----END CERTIFICATE-----\n`,
    hostname: options.hostname,
    notBefore,
    notAfter,
    serialNumberDecimal: serialNumber.toString(10),
    serialNumberHex: evenLengthHex(serialNumber).toUpperCase(),
    sha256Fingerprint: formatFingerprint(createHash('sha256').update(certificate).digest()),
    issuer: `CN=${issuerCommonName}`,
    signature: 'ED25519',
  };
}

/**
 * The wire fields Cloudflare reports for an uploaded certificate, ready for `state.addCertificate`.
 *
 * @example
 * fake.state.addCertificate(zone.id, certificateFields(generateSelfSignedCertificate({ hostname, notAfter })));
 */
export function certificateFields(
  generated: GeneratedCertificate,
): Pick<FakeCertificate, 'certificate' | 'expires_on' | 'issuer' | 'serial_number' | 'signature'> {
  return {
    certificate: generated.pem,
    expires_on: generated.notAfter.toISOString().replace('.000Z', 'Z'),
    issuer: generated.issuer,
    serial_number: generated.serialNumberDecimal,
    signature: generated.signature,
  };
}
