import type { RouteMatch } from '../domain/routing.js';
import type { Thresholds } from '../domain/types.js';

export type CloudflareAuth =
  | { scheme: 'api_token'; token: string }
  | { scheme: 'api_key'; email: string; key: string };

export interface ZoneConfig {
  id: string;
  name: string | null;
  /** null: watch every association in the zone (discovered with the association list). */
  hostnames: string[] | null;
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
}

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
    auth: CloudflareAuth;
    rateLimit: { requests: number; perSeconds: number };
    concurrency: number;
    requestTimeoutMs: number;
  };
  timezone: string;
  zones: ZoneConfig[];
  thresholds: Thresholds;
  digest: DigestConfig;
  alerts: AlertsConfig;
  /** Ordered: the first route whose match holds owns a hostname. Empty: everything uses the top level. */
  routes: RouteConfig[];
  access: { admins: string[]; allowedChannels: string[] };
  /** How fast a job of a dead worker is taken over: lock lapse plus the next stalled check. */
  jobs: { lockDurationMs: number; stalledIntervalMs: number };
}
