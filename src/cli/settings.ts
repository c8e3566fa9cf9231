/**
 * What the command line needs from the bot's configuration: the Cloudflare settings from the
 * environment and the inventory from the YAML file. Slack and Redis are not needed, so their
 * variables are neither required nor read. The env names, the file lookup and the YAML schema
 * are the bot's own (src/config), so one `.env` and one `aop-status.yml` serve both.
 */
import type { Dispatcher } from 'undici';
import { type CloudflareAccounts, createCloudflareAccounts } from '../cloudflare/accounts.js';
import { createCloudflareClient } from '../cloudflare/client.js';
import { createInFlightLimit } from '../cloudflare/in-flight.js';
import { createLocalRateLimiter } from '../cloudflare/resilient-rate-limiter.js';
import type { CloudflareClient } from '../cloudflare/types.js';
import {
  type ConfigSources,
  inventoryFromFile,
  readCloudflareAccounts,
  readCloudflareBaseUrl,
  readConfigFile,
  routesFromFile,
} from '../config/load.js';
import { validateFileConfig } from '../config/schema.js';
import type { AppConfig, DiscoverConfig, RouteConfig, ZoneConfig } from '../config/types.js';
import type { Thresholds } from '../domain/types.js';

export interface CliSettings {
  /** The YAML file read, or null when there was none. */
  configFile: string | null;
  timezone: string;
  zones: ZoneConfig[];
  thresholds: Thresholds;
  /** For the digest footer's "Next digest". */
  digestSchedule: string;
  /** For `route <hostname>`: the routes and the top level they fall back to. */
  routes: RouteConfig[];
  alertsChannel: string | null;
  digestChannels: string[];
  cloudflare: AppConfig['cloudflare'];
  /** `discover:`: `zones` lists the tokens' zones too. */
  discover: DiscoverConfig | null;
}

export type CliSettingsResult =
  | { ok: true; settings: CliSettings; warnings: string[] }
  | { ok: false; problems: string[]; warnings: string[] };

/**
 * Reads the Cloudflare variables and the YAML file, reporting every problem at once. Slack and
 * Redis variables are ignored: the command line needs neither.
 *
 * @example
 * const result = loadCliSettings({ env: process.env, cwd: process.cwd() });
 * if (!result.ok) console.error(result.problems.join('\n'));
 */
export function loadCliSettings(sources: ConfigSources): CliSettingsResult {
  const { env } = sources;
  const problems: string[] = [];
  const warnings: string[] = [];

  const baseUrl = readCloudflareBaseUrl(env, problems);
  const file = readConfigFile(sources, problems);
  const label = file.label;
  const validated = validateFileConfig(file.data);
  for (const issue of validated.issues) {
    problems.push(
      `${label}: ${issue.path.length > 0 ? issue.path.join('.') : '(top level)'}: ${issue.message}`,
    );
  }
  const accounts = readCloudflareAccounts(env, file.data, validated.config, problems, warnings);
  if (problems.length > 0 || !validated.config || !accounts) return { ok: false, problems, warnings };

  const fileConfig = validated.config;
  return {
    ok: true,
    warnings,
    settings: {
      configFile: file.filePath,
      timezone: fileConfig.timezone,
      digestSchedule: fileConfig.digest.schedule,
      routes: routesFromFile(fileConfig),
      alertsChannel: fileConfig.alerts.channel ?? null,
      digestChannels: [...new Set(fileConfig.digest.channels)],
      ...inventoryFromFile(fileConfig, { baseUrl, accounts }),
    },
  };
}

/**
 * The Cloudflare client for one command-line run: the bot's client with an in-process rate
 * limiter (the configured budget, no Redis), since a run is one process making a few calls.
 *
 * @example
 * const cloudflare = createCliCloudflareClient(settings);
 * await cloudflare.getHostnameStatus(zoneId, 'app.example.com');
 */
export function createCliCloudflareClient(
  settings: Pick<CliSettings, 'cloudflare' | 'zones'>,
  options: { dispatcher?: Dispatcher; clock?: () => Date } = {},
): CloudflareClient {
  return createCliCloudflareAccounts(settings, options).routing;
}

/** The accounts behind `createCliCloudflareClient`: one client per token, for listing each one's zones. */
export function createCliCloudflareAccounts(
  settings: Pick<CliSettings, 'cloudflare' | 'zones'>,
  options: { dispatcher?: Dispatcher; clock?: () => Date } = {},
): CloudflareAccounts {
  const { cloudflare } = settings;
  // One `cloudflare.concurrency` for the run, all zones and accounts together.
  const inFlight = createInFlightLimit(cloudflare.concurrency);
  // One client per account, each zone's calls sent with the token of the account that reads it.
  return createCloudflareAccounts({
    accounts: cloudflare.accounts,
    zones: settings.zones,
    createClient: (account) =>
      createCloudflareClient({
        baseUrl: cloudflare.baseUrl,
        auth: account.auth,
        rateLimiter: createLocalRateLimiter({
          requests: account.rateLimit.requests,
          perSeconds: account.rateLimit.perSeconds,
        }),
        inFlight,
        requestTimeoutMs: cloudflare.requestTimeoutMs,
        ...(account.implicit ? {} : { credentialEnv: account.credentialEnv }),
        userAgent: 'aop-status-cli',
        ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
        ...(options.clock ? { clock: options.clock } : {}),
      }),
  });
}
