import { AopError, type ErrorCode, type FailureOutcome } from '../errors.js';

/** The subset of ErrorCode a Cloudflare call can fail with. */
export type CloudflareErrorCode = Extract<ErrorCode, `cloudflare_${string}`>;

/** One entry of the envelope's `errors` array (and of any nested `error_chain`). */
export interface CloudflareErrorEntry {
  code: number;
  message: string;
}

export interface CloudflareApiErrorDetails {
  code: CloudflareErrorCode;
  message: string;
  hint?: string;
  /** HTTP status; null when no response arrived (timeout, connection failure). */
  status: number | null;
  cloudflareErrors: CloudflareErrorEntry[];
  method: string;
  /** The request path without its query string, e.g. `/zones/abc/origin_tls_client_auth/hostnames/a.example.com`. */
  path: string;
  /** The route template the path came from, e.g. `GET /zones/:zone_id/settings/tls_client_auth`. */
  route?: string;
  /** Seconds Cloudflare asked us to wait (429 `retry-after`), when it said. */
  retryAfterSeconds: number | null;
  /** How many HTTP attempts were made before giving up. */
  attempts: number;
  cause?: unknown;
}

/**
 * A Cloudflare call that failed after the client's own retries. `code` says what kind of failure
 * it was; `status`, `cloudflareErrors`, `method` and `path` say where. Never carries credentials.
 */
export class CloudflareApiError extends AopError {
  override readonly code: CloudflareErrorCode;
  readonly status: number | null;
  readonly cloudflareErrors: CloudflareErrorEntry[];
  readonly method: string;
  readonly path: string;
  readonly route: string | null;
  readonly retryAfterSeconds: number | null;
  readonly attempts: number;

  constructor(details: CloudflareApiErrorDetails) {
    const options: { hint?: string; cause?: unknown } = {};
    if (details.hint !== undefined) options.hint = details.hint;
    if (details.cause !== undefined) options.cause = details.cause;
    super(details.code, details.message, options);
    this.name = 'CloudflareApiError';
    this.code = details.code;
    this.status = details.status;
    this.cloudflareErrors = details.cloudflareErrors;
    this.method = details.method;
    this.path = details.path;
    this.route = details.route ?? null;
    this.retryAfterSeconds = details.retryAfterSeconds;
    this.attempts = details.attempts;
  }
}

/** True when `error` is a CloudflareApiError, optionally with one of the given codes. */
export function isCloudflareApiError(
  error: unknown,
  ...codes: CloudflareErrorCode[]
): error is CloudflareApiError {
  return error instanceof CloudflareApiError && (codes.length === 0 || codes.includes(error.code));
}

/**
 * How a caller (a job, the lookup) should react to a Cloudflare failure that survived the client's
 * own retries: wait for the rate limit to lift, back off and try later, or give up and tell a person.
 *
 * @example
 * cloudflareFailureOutcome(error) // 'retry_after' for cloudflare_rate_limited
 */
export function cloudflareFailureOutcome(error: CloudflareApiError): FailureOutcome {
  switch (error.code) {
    case 'cloudflare_rate_limited':
      return 'retry_after';
    case 'cloudflare_server_error':
    case 'cloudflare_timeout':
    case 'cloudflare_network':
      return 'retry_with_backoff';
    default:
      return 'fail';
  }
}

/**
 * Cloudflare codes that say more than the HTTP status (cloudflare-api.md §2.2). 7003/7000: "could
 * not route to /zones/<id>/…", an unknown or malformed zone id. 9109: "Invalid access token" (revoked,
 * expired, or used from an address its IP filter refuses). 6003 with 6111/6103 in its chain: the
 * Authorization or X-Auth-Key header itself is malformed.
 */
const UNKNOWN_ZONE_CODES = new Set([7003, 7000]);
const TOKEN_NOT_ACCEPTED_CODES = new Set([9109]);
/** 10000 "Authentication error": a missing permission, or a token Cloudflare no longer accepts. */
const AUTHENTICATION_ERROR_CODE = 10000;
const MALFORMED_CREDENTIAL_CODES = new Set([6003, 6111, 6103]);

/** What kind of failure an HTTP answer is, from its status and Cloudflare's own codes. */
type HttpFailureKind =
  | 'unknown_zone'
  | 'token_not_accepted'
  | 'credentials_malformed'
  | 'missing_permission'
  | 'not_found'
  | 'rate_limited'
  | 'server_error'
  | 'rejected';

function classifyHttpFailure(status: number, codes: ReadonlySet<number>): HttpFailureKind {
  const has = (wanted: ReadonlySet<number>) => [...codes].some((code) => wanted.has(code));
  if ((status === 404 || status === 400) && has(UNKNOWN_ZONE_CODES)) return 'unknown_zone';
  if (status === 400 && has(MALFORMED_CREDENTIAL_CODES)) return 'credentials_malformed';
  if (status === 401 || (status === 403 && has(TOKEN_NOT_ACCEPTED_CODES))) return 'token_not_accepted';
  // A 403 with 10000 "Authentication error" is what Cloudflare answers when the token lacks the
  // permission for this zone or endpoint (cloudflare-api.md §2.2), so it names the permission.
  if (status === 403) return 'missing_permission';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'server_error';
  return 'rejected';
}

/** The zone id in `/zones/<id>/…`, decoded; null for paths outside a zone. */
export function zoneIdOfPath(path: string): string | null {
  const match = /^\/zones\/([^/?]+)/.exec(path);
  if (!match?.[1]) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return match[1];
  }
}

/**
 * The API token permission a path needs, as named in the Cloudflare dashboard, so a 403 can say
 * which box to tick.
 *
 * @example
 * requiredPermissionForPath('/zones/abc/settings/tls_client_auth') // 'Zone Settings Read'
 */
export function requiredPermissionForPath(path: string): string {
  if (path.includes('/origin_tls_client_auth')) return 'SSL and Certificates Read';
  if (/\/settings\/tls_client_auth$/.test(path)) return 'Zone Settings Read';
  return 'Zone Read';
}

/** "Authentication error [10000]; Invalid format for Authorization header [6111]" or "" when none. */
export function describeCloudflareErrors(entries: readonly CloudflareErrorEntry[]): string {
  return entries
    .map((entry) => (entry.code > 0 ? `${entry.message} [${entry.code}]` : entry.message))
    .filter((text) => text.length > 0)
    .join('; ');
}

interface HttpFailure {
  status: number;
  cloudflareErrors: CloudflareErrorEntry[];
  method: string;
  path: string;
  route?: string;
  retryAfterSeconds: number | null;
  attempts: number;
  /**
   * The variable holding the token of a `cloudflare.accounts` entry (`CLOUDFLARE_API_TOKEN_EDGE`),
   * so a refused token's hint names the one to roll; absent for the single credential.
   */
  credentialEnv?: string;
}

/**
 * Builds the error for a non-2xx answer, with a message and hint a person can act on.
 *
 * @example
 * httpFailureError({ status: 403, cloudflareErrors: [{ code: 10000, message: 'Authentication error' }],
 *   method: 'GET', path: '/zones/abc/origin_tls_client_auth/hostnames', retryAfterSeconds: null, attempts: 1 })
 * // code 'cloudflare_forbidden', hint naming "SSL and Certificates Read"
 */
export function httpFailureError(failure: HttpFailure): CloudflareApiError {
  const kind = classifyHttpFailure(
    failure.status,
    new Set(failure.cloudflareErrors.map((entry) => entry.code)),
  );
  const where = `${failure.method} ${failure.path}`;
  const said = describeCloudflareErrors(failure.cloudflareErrors);
  const saidSuffix = said ? `: ${said}` : '';
  let code: CloudflareErrorCode;
  let message: string;
  let hint: string;
  switch (kind) {
    case 'unknown_zone': {
      const zoneId = zoneIdOfPath(failure.path) ?? 'in the request';
      code = 'cloudflare_zone_not_found';
      message = `Cloudflare knows no zone ${zoneId} that this token can see (HTTP ${failure.status} on ${where})${saidSuffix}.`;
      hint =
        "Check the zone id: 32 hexadecimal characters from the zone's Overview page in the Cloudflare dashboard, in an account the token can read.";
      break;
    }
    case 'token_not_accepted':
      code = 'cloudflare_unauthorized';
      message = `Cloudflare did not accept the API credentials (HTTP ${failure.status} on ${where})${saidSuffix}.`;
      hint = `${failure.credentialEnv === undefined ? 'The token (CLOUDFLARE_API_TOKEN, or CLOUDFLARE_API_EMAIL and CLOUDFLARE_API_KEY)' : `The token in ${failure.credentialEnv}`} is revoked, expired, mistyped or refused by its IP filter: create or roll it under My Profile → API Tokens.`;
      break;
    case 'credentials_malformed':
      code = 'cloudflare_unauthorized';
      message = `Cloudflare could not read the API credentials: the request header is malformed (HTTP 400 on ${where})${saidSuffix}.`;
      hint =
        failure.credentialEnv === undefined
          ? 'CLOUDFLARE_API_TOKEN is not in the shape of a token: look for quotes, spaces or a line break around it, or a Global API Key set as a token (that one goes in CLOUDFLARE_API_KEY with CLOUDFLARE_API_EMAIL).'
          : `${failure.credentialEnv} is not in the shape of a token: look for quotes, spaces or a line break around it (a Global API Key cannot be used for an account's token).`;
      break;
    case 'missing_permission': {
      const permission = requiredPermissionForPath(failure.path);
      code = 'cloudflare_forbidden';
      message = `Cloudflare refused access (HTTP 403 on ${where})${saidSuffix}.`;
      hint = `Give the API token the "${permission}" permission for this zone (or check that the zone id is right).`;
      // Cloudflare answers 403 with 10000 both for a token without the permission and for one it no
      // longer accepts; the answer alone cannot tell them apart, so the hint names both.
      if (failure.cloudflareErrors.some((entry) => entry.code === AUTHENTICATION_ERROR_CODE))
        hint +=
          ' If it already has it, Cloudflare may no longer accept the token (revoked or expired): roll it under My Profile → API Tokens.';
      break;
    }
    case 'not_found':
      code = 'cloudflare_not_found';
      message = `Cloudflare has nothing at ${where} (HTTP 404)${saidSuffix}.`;
      hint = 'Check the hostname; a hostname without a per-hostname AOP association answers 404.';
      break;
    case 'rate_limited': {
      const wait =
        failure.retryAfterSeconds === null ? '' : ` and asked us to wait ${failure.retryAfterSeconds} s`;
      code = 'cloudflare_rate_limited';
      message = `Cloudflare rate-limited the bot (HTTP 429 on ${where})${wait}.`;
      hint =
        'The API allows 1200 requests per 5 minutes per user, shared with the dashboard; try again later or lower cloudflare.rate_limit.';
      break;
    }
    case 'server_error':
      code = 'cloudflare_server_error';
      message = `Cloudflare had a server error (HTTP ${failure.status} on ${where}) after ${failure.attempts} attempt(s)${saidSuffix}.`;
      hint =
        'This is usually temporary; try again in a few minutes or check https://www.cloudflarestatus.com.';
      break;
    case 'rejected':
      code = 'cloudflare_bad_request';
      message = `Cloudflare rejected the request (HTTP ${failure.status} on ${where})${saidSuffix}.`;
      hint = 'Check the zone id and hostname; the bot will not retry this request as it is.';
  }
  return new CloudflareApiError({ ...failure, code, message, hint });
}
