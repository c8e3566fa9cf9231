import type { RouteMatch } from '../domain/routing.js';
import type { Thresholds } from '../domain/types.js';

export type CloudflareAuth =
  | { scheme: 'api_token'; token: string }
  | { scheme: 'api_key'; email: string; key: string };

/** The account name of the single credential used when `cloudflare.accounts` is not set. */
export const DEFAULT_ACCOUNT_NAME = 'default';

/** One Cloudflare credential with its own request budget: an entry of `cloudflare.accounts`. */
export interface CloudflareAccount {
  /** `[a-z0-9-]`, unique; shown beside its zones and used as the metrics `account` label. */
  name: string;
  auth: CloudflareAuth;
  rateLimit: { requests: number; perSeconds: number };
  /** Where the credential came from, for messages: `CLOUDFLARE_API_TOKEN_PROD`. */
  credentialEnv: string;
  /**
   * True for the single credential of a config without `cloudflare.accounts`: it keeps the rate
   * limiter's original Redis keys, so an upgraded deployment shares its budget with older processes.
   */
  implicit: boolean;
}

export interface ZoneConfig {
  id: string;
  name: string | null;
  /** null: watch every association in the zone (discovered with the association list). */
  hostnames: string[] | null;
  /** The account whose token reads this zone; absent or null: whichever token lists it (else the first). */
  account?: string | null;
}

/** `discover:`: also watch the zones the tokens can list. */
export interface DiscoverConfig {
  /** How often the zone list is read again (and idle zones re-checked). */
  everyMs: number;
  /** Zone-name globs; empty = every zone. */
  match: string[];
  /** Zone-name globs left out. */
  exclude: string[];
  /** Cloudflare account ids (lower case); empty = every account a token reads. */
  accountIds: string[];
}

export interface DigestConfig {
  /** Cron, 5 or 6 fields (seconds first), evaluated in `AppConfig.timezone`. */
  schedule: string;
  channels: string[];
  postWhenAllClear: boolean;
}

export interface AlertsConfig {
  /** Incident channel; null disables alert threads. */
  channel: string | null;
  schedule: string;
  /** Descending days-before-expiry rungs; 0 means expired. */
  ladderDays: number[];
  /** Slack mention text such as "<!subteam^S0123>", or "" for none. */
  mentionOnCritical: string;
  /** Consecutive failed evaluations before a "cannot check" episode opens. */
  cannotCheckAfterEvaluations: number;
  /**
   * `certificate` (default): one thread per thing to fix (a certificate, an association problem on
   * a certificate, a zone that cannot be checked). `hostname`: one thread per hostname, as before.
   */
  groupBy: AlertGroupBy;
  /**
   * A replacement uploaded this long ago with no hostname moved to it, while the old certificate is
   * within the critical window, gets one reply saying the renewal has stalled.
   */
  replacementStallHours: number;
}

export type AlertGroupBy = 'certificate' | 'hostname';

/**
 * One entry of `routes:`, with what it leaves out filled in from the top level. The first route
 * whose `match` holds owns a hostname (src/domain/routing.ts); hostnames no route owns use the
 * top-level `alerts` and `digest`.
 */
export interface RouteConfig {
  name: string;
  match: RouteMatch;
  /** This route's alert threads; the top-level `alerts.channel` when the route names none (null: no threads). */
  alertsChannel: string | null;
  mentionOnCritical: string;
  digest: {
    /** Channels that get this route's own digest (its hostnames only); none by default. */
    channels: string[];
    schedule: string;
    timeZone: string;
  };
  thresholds: Thresholds;
}

export type ProcessRole = 'all' | 'web' | 'worker';

/** The whole validated configuration. Only src/config builds one; everything else receives it. */
export interface AppConfig {
  role: ProcessRole;
  port: number;
  /** Interface the HTTP server binds; null = every interface (Node's default). */
  host: string | null;
  logLevel: string;
  redisUrl: string;
  /** Namespace for every Redis key and BullMQ queue this deployment owns. */
  redisKeyPrefix: string;
  configFile: string | null;
  slack: {
    botToken: string;
    /** Required in HTTP mode. */
    signingSecret: string | null;
    /** When set, Socket Mode. */
    appToken: string | null;
    apiUrl: string;
  };
  cloudflare: {
    baseUrl: string;
    /** The first account's credential (the only one without `cloudflare.accounts`). */
    auth: CloudflareAuth;
    /** The first account's budget (the only one without `cloudflare.accounts`). */
    rateLimit: { requests: number; perSeconds: number };
    /** At least one; without `cloudflare.accounts`, the single credential named "default". */
    accounts: CloudflareAccount[];
    concurrency: number;
    requestTimeoutMs: number;
  };
  timezone: string;
  zones: ZoneConfig[];
  /** null: only the configured zones (and hostnames added with `watch`) are watched. */
  discover: DiscoverConfig | null;
  thresholds: Thresholds;
  digest: DigestConfig;
  alerts: AlertsConfig;
  /** Ordered: the first route whose match holds owns a hostname. Empty: everything uses the top level. */
  routes: RouteConfig[];
  access: { admins: string[]; allowedChannels: string[] };
  /** How fast a job of a dead worker is taken over: lock lapse plus the next stalled check. */
  jobs: { lockDurationMs: number; stalledIntervalMs: number };
}
