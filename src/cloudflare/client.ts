/**
 * The Cloudflare v4 client: seven read-only endpoints, each call drawing on the shared rate limiter,
 * retried with bounded backoff when the failure is temporary, and failing with a CloudflareApiError
 * that says what to do when it is not.
 */
import { type Dispatcher, request } from 'undici';
import { z } from 'zod';
import type { CloudflareAuth } from '../config/types.js';
import {
  CloudflareApiError,
  type CloudflareErrorEntry,
  describeCloudflareErrors,
  httpFailureError,
} from './errors.js';
import type { InFlightLimit } from './in-flight.js';
import { abortableSleep, type RateLimiter, type Sleep } from './rate-limiter.js';
import {
  type CfEnvelope,
  cloudflareErrorsFromBody,
  envelopeSchema,
  flattenCloudflareErrors,
  hostnameAssociationRowSchema,
  hostnameCertificateSchema,
  hostnameStatusSchema,
  listOf,
  listSkippingUnusable,
  zoneAopSettingSchema,
  zoneCertificateSchema,
  zoneSchema,
  zoneTlsClientAuthSchema,
} from './schemas.js';
import type {
  CfHostnameAssociationRow,
  CfHostnameCertificate,
  CfHostnameStatus,
  CfZone,
  CfZoneCertificate,
  CloudflareClient,
  CloudflareRequestOptions,
} from './types.js';

/** Route templates: the label metrics and logs use, never containing ids or hostnames. */
export const CLOUDFLARE_ROUTES = {
  hostnameStatus: 'GET /zones/:zone_id/origin_tls_client_auth/hostnames/:hostname',
  hostnameAssociations: 'GET /zones/:zone_id/origin_tls_client_auth/hostnames',
  hostnameCertificates: 'GET /zones/:zone_id/origin_tls_client_auth/hostnames/certificates',
  zoneCertificates: 'GET /zones/:zone_id/origin_tls_client_auth',
  zoneAopSetting: 'GET /zones/:zone_id/origin_tls_client_auth/settings',
  zoneTlsClientAuth: 'GET /zones/:zone_id/settings/tls_client_auth',
  zones: 'GET /zones',
} as const;
export type CloudflareRoute = (typeof CLOUDFLARE_ROUTES)[keyof typeof CLOUDFLARE_ROUTES];

/** Cloudflare's maximum page size for the association list. */
export const ASSOCIATIONS_PER_PAGE = 1000;
/** Cloudflare's maximum page size for /zones (its minimum is 5). */
export const ZONES_PER_PAGE = 50;
/** A guard against a server that keeps saying "there is another page": 1000 × 1000 associations. */
const MAX_ASSOCIATION_PAGES = 1000;
/** The same guard for /zones: 2,000 pages of 50 is 100,000 zones, past any account's quota. */
const MAX_ZONE_PAGES = 2000;

export interface CloudflareRequestInfo {
  route: CloudflareRoute;
  /** HTTP status, or 'error' when no response arrived (timeout, reset, refused). */
  status: number | 'error';
  durationMs: number;
}

/** The subset of a pino logger the client uses. Never given credentials. */
export interface CloudflareClientLogger {
  warn(details: object, message: string): void;
  debug(details: object, message: string): void;
}

export interface BackoffOptions {
  /** Delay before the 2nd attempt; doubles for each attempt after. */
  initialDelayMs: number;
  /** Upper bound of any one backoff delay. */
  maxDelayMs: number;
}

export interface CloudflareClientOptions {
  /** e.g. https://api.cloudflare.com/client/v4 (a trailing slash is fine). */
  baseUrl: string;
  auth: CloudflareAuth;
  /** The undici dispatcher: an Agent in production, a MockAgent in tests. Defaults to undici's global one. */
  dispatcher?: Dispatcher;
  rateLimiter: RateLimiter;
  /** Per attempt, from sending the request to the end of the body. */
  requestTimeoutMs: number;
  /** Attempts per call, including the first. Default 3. */
  maxAttempts?: number;
  /** A 429 asking to wait longer than this fails at once with cloudflare_rate_limited. Default 60. */
  maxRetryAfterSeconds?: number;
  /** Default 500 ms doubling to at most 8 s, with up to 25% jitter taken off. */
  backoff?: BackoffOptions;
  clock?: () => Date;
  sleep?: Sleep;
  /** Source of jitter, [0, 1). Default Math.random. */
  random?: () => number;
  logger?: CloudflareClientLogger;
  /** Called once per HTTP attempt, for metrics. */
  onRequest?: (info: CloudflareRequestInfo) => void;
  /** Sent as User-Agent. */
  userAgent?: string;
  /**
   * `cloudflare.concurrency`, shared by every client of the process (one per account): each
   * attempt, its rate-limit token included, runs in one of its slots. Unlimited when absent.
   */
  inFlight?: InFlightLimit;
  /** The variable the token came from, named in a refused token's hint; see httpFailureError. */
  credentialEnv?: string;
}

interface Call {
  route: CloudflareRoute;
  path: string;
  query?: Record<string, string>;
  signal?: AbortSignal | undefined;
  /** Someone is waiting for this answer: it takes the next free in-flight slot. */
  urgent?: boolean | undefined;
}

const DEFAULT_BACKOFF: BackoffOptions = { initialDelayMs: 500, maxDelayMs: 8_000 };

/** Why an attempt failed, before it is turned into the final error. */
type AttemptFailure =
  | { kind: 'http'; status: number; errors: CloudflareErrorEntry[]; retryAfterSeconds: number | null }
  | { kind: 'timeout'; cause: unknown }
  | { kind: 'network'; cause: unknown }
  | { kind: 'cancelled'; cause: unknown }
  | { kind: 'malformed'; status: number; detail: string; cause?: unknown }
  | { kind: 'unsuccessful'; status: number; errors: CloudflareErrorEntry[] };

interface Sent {
  envelope: CfEnvelope;
  attempts: number;
}

class AttemptFailed extends Error {
  constructor(readonly failure: AttemptFailure) {
    super(failure.kind);
  }
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT',
]);

function errorCodeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return errorCodeOf((error as { cause?: unknown }).cause);
}

/**
 * Seconds to wait from a `retry-after` header: delta-seconds or an HTTP date. null when absent or
 * unreadable. Fractions are rounded up so we never come back early.
 *
 * @example
 * parseRetryAfterSeconds('30', new Date()) // 30
 * parseRetryAfterSeconds('Wed, 21 Oct 2026 07:28:00 GMT', new Date('2026-10-21T07:27:00Z')) // 60
 */
export function parseRetryAfterSeconds(header: string | string[] | undefined, now: Date): number | null {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return null;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value));
  const at = Date.parse(value);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}

function authHeaders(auth: CloudflareAuth): Record<string, string> {
  return auth.scheme === 'api_token'
    ? { authorization: `Bearer ${auth.token}` }
    : { 'x-auth-email': auth.email, 'x-auth-key': auth.key };
}

function segment(value: string): string {
  return encodeURIComponent(value);
}

/**
 * Builds the Cloudflare client. Every HTTP attempt first awaits `rateLimiter.acquire()`.
 * 429s are retried after their `retry-after` (capped; every process is paused through the limiter),
 * 5xx, timeouts and connection failures after exponential backoff with jitter; other 4xx never.
 *
 * @example
 * const cloudflare = createCloudflareClient({
 *   baseUrl: 'https://api.cloudflare.com/client/v4',
 *   auth: { scheme: 'api_token', token },
 *   rateLimiter: createRedisRateLimiter({ redis, keyPrefix: 'aop', requests: 1200, perSeconds: 300 }),
 *   requestTimeoutMs: 10_000,
 * });
 * const status = await cloudflare.getHostnameStatus(zoneId, 'app.example.com');
 */
export function createCloudflareClient(options: CloudflareClientOptions): CloudflareClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  const maxRetryAfterSeconds = options.maxRetryAfterSeconds ?? 60;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const clock = options.clock ?? (() => new Date());
  const sleep = options.sleep ?? abortableSleep;
  const random = options.random ?? Math.random;
  const { rateLimiter, logger, onRequest, dispatcher, requestTimeoutMs, inFlight } = options;
  const headers: Record<string, string> = {
    accept: 'application/json',
    'user-agent': options.userAgent ?? 'aop-status',
    ...authHeaders(options.auth),
  };

  function backoffDelayMs(attempt: number): number {
    const exponential = Math.min(backoff.maxDelayMs, backoff.initialDelayMs * 2 ** (attempt - 1));
    return Math.round(exponential * (1 - random() * 0.25));
  }

  /** One HTTP attempt: resolves with the parsed envelope of a 2xx answer, throws AttemptFailed otherwise. */
  async function attempt(call: Call): Promise<CfEnvelope> {
    const query = call.query ? `?${new URLSearchParams(call.query).toString()}` : '';
    const timeoutSignal = AbortSignal.timeout(requestTimeoutMs);
    const signal = call.signal ? AbortSignal.any([call.signal, timeoutSignal]) : timeoutSignal;
    const startedMs = clock().getTime();
    const report = (status: number | 'error') =>
      onRequest?.({ route: call.route, status, durationMs: Math.max(0, clock().getTime() - startedMs) });

    let status: number;
    let responseHeaders: Record<string, string | string[] | undefined>;
    let text: string;
    try {
      const response = await request(`${baseUrl}${call.path}${query}`, {
        method: 'GET',
        headers,
        signal,
        headersTimeout: requestTimeoutMs,
        bodyTimeout: requestTimeoutMs,
        ...(dispatcher ? { dispatcher } : {}),
      });
      status = response.statusCode;
      responseHeaders = response.headers;
      text = await response.body.text();
    } catch (error) {
      report('error');
      if (call.signal?.aborted) throw new AttemptFailed({ kind: 'cancelled', cause: call.signal.reason });
      const code = errorCodeOf(error);
      if (timeoutSignal.aborted || (code !== undefined && TIMEOUT_CODES.has(code))) {
        throw new AttemptFailed({ kind: 'timeout', cause: error });
      }
      throw new AttemptFailed({ kind: 'network', cause: error });
    }
    report(status);

    let body: unknown;
    let bodyIsJson = true;
    try {
      body = JSON.parse(text);
    } catch (error) {
      bodyIsJson = false;
      body = undefined;
      if (status >= 200 && status < 300) {
        throw new AttemptFailed({ kind: 'malformed', status, detail: 'the body is not JSON', cause: error });
      }
    }

    if (status < 200 || status >= 300) {
      throw new AttemptFailed({
        kind: 'http',
        status,
        errors: bodyIsJson ? cloudflareErrorsFromBody(body) : [],
        retryAfterSeconds:
          status === 429 ? parseRetryAfterSeconds(responseHeaders['retry-after'], clock()) : null,
      });
    }

    const envelope = envelopeSchema.safeParse(body);
    if (!envelope.success) {
      throw new AttemptFailed({
        kind: 'malformed',
        status,
        detail: 'the body is not a Cloudflare API envelope',
      });
    }
    if (!envelope.data.success) {
      throw new AttemptFailed({
        kind: 'unsuccessful',
        status,
        errors: flattenCloudflareErrors(envelope.data.errors),
      });
    }
    return envelope.data;
  }

  function finalError(call: Call, failure: AttemptFailure, attempts: number): CloudflareApiError {
    const base = { method: 'GET', path: call.path, route: call.route, attempts, retryAfterSeconds: null };
    const where = `GET ${call.path}`;
    switch (failure.kind) {
      case 'http':
        return httpFailureError({
          ...base,
          status: failure.status,
          cloudflareErrors: failure.errors,
          retryAfterSeconds: failure.retryAfterSeconds,
          ...(options.credentialEnv === undefined ? {} : { credentialEnv: options.credentialEnv }),
        });
      case 'timeout':
        return new CloudflareApiError({
          ...base,
          code: 'cloudflare_timeout',
          status: null,
          cloudflareErrors: [],
          message: `Cloudflare did not answer ${where} within ${requestTimeoutMs} ms (${attempts} attempt(s)).`,
          hint: 'Cloudflare may be slow right now; try again in a minute.',
          cause: failure.cause,
        });
      case 'cancelled':
        return new CloudflareApiError({
          ...base,
          code: 'cloudflare_timeout',
          status: null,
          cloudflareErrors: [],
          message: `The call ${where} was cancelled before Cloudflare answered.`,
          hint: 'The caller gave up waiting; try again.',
          cause: failure.cause,
        });
      case 'network':
        return new CloudflareApiError({
          ...base,
          code: 'cloudflare_network',
          status: null,
          cloudflareErrors: [],
          message: `Could not reach Cloudflare for ${where}: ${networkReason(failure.cause)} (${attempts} attempt(s)).`,
          hint: 'Check the network path to the Cloudflare API (DNS, proxy, firewall) and CLOUDFLARE_API_BASE_URL.',
          cause: failure.cause,
        });
      case 'malformed':
        return new CloudflareApiError({
          ...base,
          code: 'cloudflare_malformed_response',
          status: failure.status,
          cloudflareErrors: [],
          message: `Cloudflare answered ${where} with HTTP ${failure.status}, but ${failure.detail}.`,
          hint: 'Check CLOUDFLARE_API_BASE_URL points at the Cloudflare API (not a proxy or login page).',
          cause: failure.cause,
        });
      case 'unsuccessful':
        return new CloudflareApiError({
          ...base,
          code: 'cloudflare_bad_request',
          status: failure.status,
          cloudflareErrors: failure.errors,
          message: `Cloudflare reported a failure for ${where} (HTTP ${failure.status})${
            failure.errors.length > 0 ? `: ${describeCloudflareErrors(failure.errors)}` : ''
          }.`,
          hint: 'Check the zone id and hostname; the bot will not retry this request as it is.',
        });
    }
  }

  /** One attempt after its rate-limit token; a call cancelled meanwhile ends as cancelled. */
  async function acquireAndAttempt(call: Call, attemptNumber: number): Promise<CfEnvelope> {
    try {
      call.signal?.throwIfAborted();
      await rateLimiter.acquire(call.signal, { urgent: call.urgent === true });
    } catch (error) {
      if (call.signal?.aborted)
        throw finalError(call, { kind: 'cancelled', cause: error }, attemptNumber - 1);
      throw error;
    }
    return attempt(call);
  }

  /** Runs `call` with retries and returns the 2xx envelope, or throws the CloudflareApiError. */
  async function send(call: Call): Promise<Sent> {
    for (let attemptNumber = 1; ; attemptNumber += 1) {
      if (call.signal?.aborted)
        throw finalError(call, { kind: 'cancelled', cause: call.signal.reason }, attemptNumber - 1);
      let failure: AttemptFailure;
      try {
        const envelope = await (inFlight
          ? inFlight.run(() => acquireAndAttempt(call, attemptNumber), { urgent: call.urgent === true })
          : acquireAndAttempt(call, attemptNumber));
        return { envelope, attempts: attemptNumber };
      } catch (error) {
        if (!(error instanceof AttemptFailed)) throw error;
        failure = error.failure;
      }
      const delayMs = await retryDelayMs(call, failure, attemptNumber);
      if (delayMs === null) throw finalError(call, failure, attemptNumber);
      logger?.warn(
        {
          route: call.route,
          attempt: attemptNumber,
          failure: failure.kind,
          status: statusOf(failure),
          delayMs,
        },
        'Cloudflare request failed; retrying',
      );
      try {
        await sleep(delayMs, call.signal);
      } catch (error) {
        throw finalError(call, { kind: 'cancelled', cause: error }, attemptNumber);
      }
    }
  }

  /** ms to wait before the next attempt, or null when this failure must not (or can no longer) be retried. */
  async function retryDelayMs(
    call: Call,
    failure: AttemptFailure,
    attemptNumber: number,
  ): Promise<number | null> {
    const attemptsLeft = attemptNumber < maxAttempts;
    if (failure.kind === 'http' && failure.status === 429) {
      const retryAfterSeconds = failure.retryAfterSeconds;
      if (retryAfterSeconds !== null) {
        // Everyone stops, even when this call gives up: the whole account is blocked, not just us.
        await rateLimiter.pauseUntil(clock().getTime() + retryAfterSeconds * 1000);
        if (!attemptsLeft || retryAfterSeconds > maxRetryAfterSeconds) return null;
        return retryAfterSeconds * 1000;
      }
      return attemptsLeft ? backoffDelayMs(attemptNumber) : null;
    }
    if (!attemptsLeft) return null;
    const retryable =
      (failure.kind === 'http' && failure.status >= 500) ||
      failure.kind === 'timeout' ||
      failure.kind === 'network';
    if (!retryable) return null;
    logger?.debug({ route: call.route, attempt: attemptNumber }, 'Cloudflare failure is retryable');
    return backoffDelayMs(attemptNumber);
  }

  function parseResult<T>(call: Call, sent: Sent, schema: z.ZodType<T>, shape: string): T {
    const parsed = schema.safeParse(sent.envelope.result);
    if (parsed.success) return parsed.data;
    throw finalError(
      call,
      { kind: 'malformed', status: 200, detail: `its result is not ${shape}` },
      sent.attempts,
    );
  }

  return {
    async getHostnameStatus(zoneId, hostname, requestOptions): Promise<CfHostnameStatus> {
      const call: Call = {
        route: CLOUDFLARE_ROUTES.hostnameStatus,
        path: `/zones/${segment(zoneId)}/origin_tls_client_auth/hostnames/${segment(hostname)}`,
        signal: requestOptions?.signal,
        urgent: requestOptions?.urgent,
      };
      return parseResult(call, await send(call), hostnameStatusSchema, 'a hostname status object');
    },

    async listHostnameAssociations(zoneId, requestOptions): Promise<CfHostnameAssociationRow[]> {
      const rows: CfHostnameAssociationRow[] = [];
      for (let page = 1; page <= MAX_ASSOCIATION_PAGES; page += 1) {
        const call: Call = {
          route: CLOUDFLARE_ROUTES.hostnameAssociations,
          path: `/zones/${segment(zoneId)}/origin_tls_client_auth/hostnames`,
          query: { status: 'all', per_page: String(ASSOCIATIONS_PER_PAGE), page: String(page) },
          signal: requestOptions?.signal,
          urgent: requestOptions?.urgent,
        };
        const sent = await send(call);
        const pageRows = parseResult(
          call,
          sent,
          listOf(hostnameAssociationRowSchema),
          'a list of associations',
        );
        rows.push(...pageRows);
        const totalPages = sent.envelope.result_info?.total_pages;
        if (pageRows.length === 0) break;
        if (totalPages !== undefined ? page >= totalPages : pageRows.length < ASSOCIATIONS_PER_PAGE) break;
      }
      return rows;
    },

    async listHostnameCertificates(zoneId, requestOptions): Promise<CfHostnameCertificate[]> {
      const call: Call = {
        route: CLOUDFLARE_ROUTES.hostnameCertificates,
        path: `/zones/${segment(zoneId)}/origin_tls_client_auth/hostnames/certificates`,
        signal: requestOptions?.signal,
        urgent: requestOptions?.urgent,
      };
      return parseResult(call, await send(call), listOf(hostnameCertificateSchema), 'a list of certificates');
    },

    async listZoneCertificates(zoneId, requestOptions): Promise<CfZoneCertificate[]> {
      const call: Call = {
        route: CLOUDFLARE_ROUTES.zoneCertificates,
        path: `/zones/${segment(zoneId)}/origin_tls_client_auth`,
        signal: requestOptions?.signal,
        urgent: requestOptions?.urgent,
      };
      return parseResult(
        call,
        await send(call),
        listOf(zoneCertificateSchema),
        'a list of zone certificates',
      );
    },

    async getZoneAopSetting(zoneId, requestOptions: CloudflareRequestOptions | undefined) {
      const call: Call = {
        route: CLOUDFLARE_ROUTES.zoneAopSetting,
        path: `/zones/${segment(zoneId)}/origin_tls_client_auth/settings`,
        signal: requestOptions?.signal,
        urgent: requestOptions?.urgent,
      };
      return parseResult(call, await send(call), zoneAopSettingSchema, 'an enablement setting');
    },

    async getZoneTlsClientAuth(zoneId, requestOptions) {
      const call: Call = {
        route: CLOUDFLARE_ROUTES.zoneTlsClientAuth,
        path: `/zones/${segment(zoneId)}/settings/tls_client_auth`,
        signal: requestOptions?.signal,
        urgent: requestOptions?.urgent,
      };
      return parseResult(call, await send(call), zoneTlsClientAuthSchema, 'a zone setting');
    },

    async findZonesByName(name, requestOptions): Promise<CfZone[]> {
      const call: Call = {
        route: CLOUDFLARE_ROUTES.zones,
        path: '/zones',
        query: { name, per_page: String(ZONES_PER_PAGE) },
        signal: requestOptions?.signal,
        urgent: requestOptions?.urgent,
      };
      const zones = parseResult(call, await send(call), listSkippingUnusable(zoneSchema), 'a list of zones');
      // `name` is an exact match by default; filtering again keeps an operator-looking name honest.
      const wanted = name.toLowerCase();
      return zones.filter((zone) => zone.name.toLowerCase() === wanted);
    },

    async listZones(requestOptions): Promise<CfZone[]> {
      const zones: CfZone[] = [];
      for (let page = 1; page <= MAX_ZONE_PAGES; page += 1) {
        const query: Record<string, string> = { per_page: String(ZONES_PER_PAGE), page: String(page) };
        if (requestOptions?.accountId) query['account.id'] = requestOptions.accountId;
        const call: Call = {
          route: CLOUDFLARE_ROUTES.zones,
          path: '/zones',
          query,
          signal: requestOptions?.signal,
          urgent: requestOptions?.urgent,
        };
        const sent = await send(call);
        const pageZones = parseResult(call, sent, listOf(z.unknown()), 'a list of zones');
        zones.push(...listSkippingUnusable(zoneSchema).parse(pageZones));
        const totalPages = sent.envelope.result_info?.total_pages;
        // The SDK pages until an empty page; total_pages, when sent, saves that last request.
        if (pageZones.length === 0) break;
        if (totalPages !== undefined ? page >= totalPages : pageZones.length < ZONES_PER_PAGE) break;
      }
      return zones;
    },
  };
}

function statusOf(failure: AttemptFailure): number | null {
  return 'status' in failure ? failure.status : null;
}

function networkReason(cause: unknown): string {
  const code = errorCodeOf(cause);
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection reset';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host name not resolved';
  return code ?? 'connection failed';
}
