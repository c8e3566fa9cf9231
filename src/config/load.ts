import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { AopError } from '../errors.js';
import { type FileConfig, parseDurationSeconds, validateFileConfig } from './schema.js';
import {
  type AppConfig,
  type CloudflareAccount,
  type CloudflareAuth,
  DEFAULT_ACCOUNT_NAME,
  type ProcessRole,
  type RouteConfig,
} from './types.js';

export const DEFAULTS = {
  port: 3000,
  slackApiUrl: 'https://slack.com/api/',
  cloudflareBaseUrl: 'https://api.cloudflare.com/client/v4',
  redisUrl: 'redis://127.0.0.1:6379',
  configFile: 'aop-status.yml',
  role: 'all' as ProcessRole,
  logLevel: 'info',
  redisKeyPrefix: 'aop',
} as const;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const ROLES: ProcessRole[] = ['all', 'web', 'worker'];

export type Environment = Record<string, string | undefined>;

export interface ConfigSources {
  env: Environment;
  /** Directory that a relative AOP_CONFIG and the default file name are resolved against. */
  cwd: string;
  readFile?: (filePath: string) => string;
  fileExists?: (filePath: string) => boolean;
}

export type ConfigResult =
  | { ok: true; config: AppConfig; warnings: string[] }
  | { ok: false; problems: string[]; warnings: string[] };

/** Thrown by `loadConfigOrThrow`; the message lists every problem, one per line. */
export class ConfigError extends AopError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(
      'config_invalid',
      `Configuration is invalid:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
      {
        hint: 'Fix the settings above (see README "Configuration") and start again.',
      },
    );
    this.problems = problems;
  }
}

function nonEmpty(env: Environment, name: string): string | null {
  const value = env[name]?.trim();
  return value ? value : null;
}

function validUrl(value: string, protocols: string[]): boolean {
  try {
    return protocols.includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

/**
 * Reads the YAML file, if any. A missing default file is fine (no inventory yet); a missing file
 * that AOP_CONFIG names explicitly is a problem, since the user clearly meant one.
 */
export function readConfigFile(
  sources: ConfigSources,
  problems: string[],
): { filePath: string | null; data: Record<string, unknown>; label: string } {
  const readFile = sources.readFile ?? ((filePath: string) => readFileSync(filePath, 'utf8'));
  const fileExists = sources.fileExists ?? existsSync;
  const explicit = nonEmpty(sources.env, 'AOP_CONFIG');
  const filePath = path.resolve(sources.cwd, explicit ?? DEFAULTS.configFile);
  if (!fileExists(filePath)) {
    if (explicit) problems.push(`AOP_CONFIG: file ${filePath} does not exist`);
    return { filePath: null, data: {}, label: filePath };
  }
  let text: string;
  try {
    text = readFile(filePath);
  } catch (error) {
    problems.push(
      `AOP_CONFIG: cannot read ${filePath}: ${error instanceof Error ? error.message : String(error)}`,
    );
    return { filePath, data: {}, label: filePath };
  }
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    for (const error of document.errors) problems.push(`${filePath}: YAML: ${error.message.split('\n')[0]}`);
    return { filePath, data: {}, label: filePath };
  }
  const data: unknown = document.toJS() ?? {};
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    problems.push(`${filePath}: must be a mapping of keys (timezone, zones, thresholds, …)`);
    return { filePath, data: {}, label: filePath };
  }
  return { filePath, data: data as Record<string, unknown>, label: filePath };
}

export function readCloudflareAuth(
  env: Environment,
  problems: string[],
  warnings: string[],
): CloudflareAuth | null {
  const token = nonEmpty(env, 'CLOUDFLARE_API_TOKEN');
  const email = nonEmpty(env, 'CLOUDFLARE_API_EMAIL');
  const key = nonEmpty(env, 'CLOUDFLARE_API_KEY');
  if (token) {
    if (email || key)
      warnings.push('CLOUDFLARE_API_TOKEN is set, so CLOUDFLARE_API_EMAIL/CLOUDFLARE_API_KEY are ignored');
    return { scheme: 'api_token', token };
  }
  if (email && key) return { scheme: 'api_key', email, key };
  if (email || key) {
    problems.push(
      `${email ? 'CLOUDFLARE_API_KEY' : 'CLOUDFLARE_API_EMAIL'} is missing: the legacy scheme needs both CLOUDFLARE_API_EMAIL and CLOUDFLARE_API_KEY`,
    );
    return null;
  }
  problems.push(
    'Cloudflare credentials are missing: set CLOUDFLARE_API_TOKEN (an API token with SSL and Certificates Read, plus Zone Read), or CLOUDFLARE_API_EMAIL and CLOUDFLARE_API_KEY',
  );
  return null;
}

/** CLOUDFLARE_API_BASE_URL without trailing slashes; a problem when it is not an http(s) URL. */
export function readCloudflareBaseUrl(env: Environment, problems: string[]): string {
  const baseUrl = (nonEmpty(env, 'CLOUDFLARE_API_BASE_URL') ?? DEFAULTS.cloudflareBaseUrl).replace(
    /\/+$/,
    '',
  );
  if (!validUrl(baseUrl, ['http:', 'https:']))
    problems.push(`CLOUDFLARE_API_BASE_URL "${baseUrl}" is not an http(s) URL`);
  return baseUrl;
}

/** True when the raw file lists `cloudflare.accounts`, so the single-credential variables are not needed. */
function fileListsAccounts(data: Record<string, unknown>): boolean {
  const cloudflare = data.cloudflare;
  return typeof cloudflare === 'object' && cloudflare !== null && 'accounts' in cloudflare;
}

/**
 * The credentials: one per `cloudflare.accounts` entry, each read from the variable its
 * `token_env` names; without `accounts`, the single credential from CLOUDFLARE_API_TOKEN (or email
 * and key) as an account named "default". Every unset variable is reported, not just the first.
 */
export function readCloudflareAccounts(
  env: Environment,
  data: Record<string, unknown>,
  fileConfig: FileConfig | null,
  problems: string[],
  warnings: string[],
): CloudflareAccount[] | null {
  if (!fileListsAccounts(data)) {
    const auth = readCloudflareAuth(env, problems, warnings);
    if (!auth) return null;
    const rateLimit = fileConfig?.cloudflare.rate_limit ?? { requests: 1200, per_seconds: 300 };
    return [
      {
        name: DEFAULT_ACCOUNT_NAME,
        auth,
        rateLimit: { requests: rateLimit.requests, perSeconds: rateLimit.per_seconds },
        credentialEnv:
          auth.scheme === 'api_token' ? 'CLOUDFLARE_API_TOKEN' : 'CLOUDFLARE_API_EMAIL/CLOUDFLARE_API_KEY',
        implicit: true,
      },
    ];
  }
  // Every unset variable is reported even when the file has other problems, so each entry is
  // read from the raw file too; the budgets come from the validated file.
  const raw = (data.cloudflare as { accounts?: unknown }).accounts;
  const rawEntries = Array.isArray(raw) ? raw : [];
  const listed = fileConfig?.cloudflare.accounts;
  const accounts: CloudflareAccount[] = [];
  rawEntries.forEach((entry: unknown, index) => {
    const fields = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : {};
    const name = typeof fields.name === 'string' ? fields.name : `#${index + 1}`;
    const tokenEnv = fields.token_env;
    if (typeof tokenEnv !== 'string' || tokenEnv.length === 0) return; // the schema reports it
    const token = nonEmpty(env, tokenEnv);
    if (!token) {
      problems.push(
        `cloudflare.accounts.${index}.token_env: ${tokenEnv} is not set (it should hold the API token of account "${name}")`,
      );
      return;
    }
    if (token.includes('replace-me')) {
      problems.push(`${tokenEnv} is still the placeholder from .env.example`);
      return;
    }
    const account = listed?.[index];
    if (!account) return;
    accounts.push({
      name: account.name,
      auth: { scheme: 'api_token', token },
      rateLimit: { requests: account.rate_limit.requests, perSeconds: account.rate_limit.per_seconds },
      credentialEnv: account.token_env,
      implicit: false,
    });
  });
  if (!listed) return null;
  const named = new Set(listed.map((account) => account.token_env));
  if (!named.has('CLOUDFLARE_API_TOKEN') && nonEmpty(env, 'CLOUDFLARE_API_TOKEN'))
    warnings.push('CLOUDFLARE_API_TOKEN is set but cloudflare.accounts does not name it, so it is not used');
  return accounts.length === listed.length ? accounts : null;
}

/** The file's Cloudflare section, zones, discovery and thresholds in the shape the rest of the code uses. */
export function inventoryFromFile(
  fileConfig: FileConfig,
  cloudflare: { baseUrl: string; accounts: CloudflareAccount[] },
): Pick<AppConfig, 'zones' | 'thresholds' | 'cloudflare' | 'discover'> {
  const [first] = cloudflare.accounts;
  if (!first) throw new Error('inventoryFromFile needs at least one Cloudflare account');
  return {
    cloudflare: {
      baseUrl: cloudflare.baseUrl,
      auth: first.auth,
      rateLimit: first.rateLimit,
      accounts: cloudflare.accounts,
      concurrency: fileConfig.cloudflare.concurrency,
      requestTimeoutMs: Math.round(fileConfig.cloudflare.request_timeout_seconds * 1000),
    },
    zones: fileConfig.zones.map((zone) => ({
      id: zone.id,
      name: zone.name ?? null,
      hostnames: zone.hostnames ? [...new Set(zone.hostnames)] : null,
      ...(zone.account ? { account: zone.account } : {}),
    })),
    discover: fileConfig.discover
      ? {
          everyMs: (parseDurationSeconds(fileConfig.discover.every) ?? 3600) * 1000,
          match: [...new Set(fileConfig.discover.match)],
          exclude: [...new Set(fileConfig.discover.exclude)],
          accountIds: [...new Set(fileConfig.discover.accounts)],
        }
      : null,
    thresholds: {
      warningDays: fileConfig.thresholds.warning_days,
      criticalDays: fileConfig.thresholds.critical_days,
      stuckPendingMinutes: fileConfig.thresholds.stuck_pending_minutes,
    },
  };
}

/** The file's routes with what each leaves out taken from the top level. */
export function routesFromFile(fileConfig: FileConfig): RouteConfig[] {
  const top = fileConfig.thresholds;
  return fileConfig.routes.map((route) => ({
    name: route.name,
    match: { zones: route.match.zones ?? null, hostnames: route.match.hostnames ?? null },
    alertsChannel: route.alerts_channel ?? fileConfig.alerts.channel ?? null,
    mentionOnCritical: route.mention_on_critical ?? fileConfig.alerts.mention_on_critical,
    digest: {
      channels: [...new Set(route.digest?.channels ?? [])],
      schedule: route.digest?.schedule ?? fileConfig.digest.schedule,
      timeZone: route.digest?.timezone ?? fileConfig.timezone,
    },
    thresholds: {
      warningDays: route.thresholds?.warning_days ?? top.warning_days,
      criticalDays: route.thresholds?.critical_days ?? top.critical_days,
      stuckPendingMinutes: route.thresholds?.stuck_pending_minutes ?? top.stuck_pending_minutes,
    },
  }));
}

/**
 * Validates the environment and the YAML file together and reports every problem at once.
 * Pure apart from reading the file through `sources`; only this module reads configuration.
 *
 * @example
 * const result = loadConfig({ env: process.env, cwd: process.cwd() });
 * if (!result.ok) console.error(result.problems.join('\n'));
 */
export function loadConfig(sources: ConfigSources): ConfigResult {
  const { env } = sources;
  const problems: string[] = [];
  const warnings: string[] = [];

  const botToken = nonEmpty(env, 'SLACK_BOT_TOKEN');
  if (!botToken)
    problems.push('SLACK_BOT_TOKEN is required (the bot token, xoxb-…, from OAuth & Permissions)');
  else if (!botToken.startsWith('xoxb-'))
    warnings.push('SLACK_BOT_TOKEN does not start with xoxb-; is it a bot token?');

  const appToken = nonEmpty(env, 'SLACK_APP_TOKEN');
  if (appToken && !appToken.startsWith('xapp-')) {
    problems.push(
      'SLACK_APP_TOKEN must be an app-level token starting with xapp- (Basic Information → App-Level Tokens)',
    );
  }
  const signingSecret = nonEmpty(env, 'SLACK_SIGNING_SECRET');
  if (!appToken && !signingSecret) {
    problems.push(
      'SLACK_SIGNING_SECRET is required in HTTP mode (Basic Information → Signing Secret); or set SLACK_APP_TOKEN for Socket Mode',
    );
  }

  const slackApiUrl = nonEmpty(env, 'SLACK_API_URL') ?? DEFAULTS.slackApiUrl;
  if (!validUrl(slackApiUrl, ['http:', 'https:']))
    problems.push(`SLACK_API_URL "${slackApiUrl}" is not an http(s) URL`);

  const portText = nonEmpty(env, 'PORT') ?? String(DEFAULTS.port);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65_535)
    problems.push(`PORT "${portText}" must be a port number (0-65535)`);

  const host = nonEmpty(env, 'HOST');
  if (host !== null && !/^[A-Za-z0-9.:[\]-]{1,253}$/.test(host))
    problems.push(`HOST "${host}" is not an interface address or name`);

  const cloudflareBaseUrl = readCloudflareBaseUrl(env, problems);

  const redisUrl = nonEmpty(env, 'REDIS_URL') ?? DEFAULTS.redisUrl;
  if (!validUrl(redisUrl, ['redis:', 'rediss:'])) {
    problems.push(`REDIS_URL "${redisUrl}" must start with redis:// or rediss://`);
  }

  const role = (nonEmpty(env, 'AOP_ROLE') ?? DEFAULTS.role) as ProcessRole;
  if (!ROLES.includes(role)) problems.push(`AOP_ROLE "${role}" must be one of ${ROLES.join(', ')}`);

  const logLevel = nonEmpty(env, 'LOG_LEVEL') ?? DEFAULTS.logLevel;
  if (!LOG_LEVELS.includes(logLevel))
    problems.push(`LOG_LEVEL "${logLevel}" must be one of ${LOG_LEVELS.join(', ')}`);

  const redisKeyPrefix = nonEmpty(env, 'AOP_REDIS_PREFIX') ?? DEFAULTS.redisKeyPrefix;
  if (!/^[A-Za-z0-9_.-]{1,40}$/.test(redisKeyPrefix)) {
    problems.push(`AOP_REDIS_PREFIX "${redisKeyPrefix}" may hold only letters, digits, _ . - (at most 40)`);
  }

  // The values shipped in .env.example pass every format check; say plainly they were never filled in.
  for (const name of [
    'SLACK_BOT_TOKEN',
    'SLACK_SIGNING_SECRET',
    'SLACK_APP_TOKEN',
    'CLOUDFLARE_API_TOKEN',
    'CLOUDFLARE_API_KEY',
  ]) {
    if (nonEmpty(env, name)?.includes('replace-me'))
      problems.push(`${name} is still the placeholder from .env.example`);
  }

  const file = readConfigFile(sources, problems);
  const validated = validateFileConfig(file.data);
  for (const issue of validated.issues) {
    problems.push(
      `${file.label}: ${issue.path.length > 0 ? issue.path.join('.') : '(top level)'}: ${issue.message}`,
    );
  }
  const cloudflareAccounts = readCloudflareAccounts(env, file.data, validated.config, problems, warnings);

  if (problems.length > 0 || !validated.config || !botToken || !cloudflareAccounts) {
    return { ok: false, problems, warnings };
  }
  const fileConfig: FileConfig = validated.config;
  const config: AppConfig = {
    role,
    port,
    host,
    logLevel,
    redisUrl,
    redisKeyPrefix,
    configFile: file.filePath,
    slack: {
      botToken,
      signingSecret,
      appToken,
      apiUrl: slackApiUrl.endsWith('/') ? slackApiUrl : `${slackApiUrl}/`,
    },
    ...inventoryFromFile(fileConfig, { baseUrl: cloudflareBaseUrl, accounts: cloudflareAccounts }),
    timezone: fileConfig.timezone,
    digest: {
      schedule: fileConfig.digest.schedule,
      channels: [...new Set(fileConfig.digest.channels)],
      postWhenAllClear: fileConfig.digest.post_when_all_clear,
    },
    alerts: {
      channel: fileConfig.alerts.channel ?? null,
      schedule: fileConfig.alerts.schedule,
      ladderDays: [...fileConfig.alerts.ladder_days].sort((a, b) => b - a),
      mentionOnCritical: fileConfig.alerts.mention_on_critical,
      cannotCheckAfterEvaluations: fileConfig.alerts.cannot_check_after,
      groupBy: fileConfig.alerts.group_by,
      replacementStallHours: fileConfig.alerts.replacement_stall_hours,
    },
    routes: routesFromFile(fileConfig),
    access: {
      admins: [...new Set(fileConfig.access.admins)],
      allowedChannels: [...new Set(fileConfig.access.allowed_channels)],
    },
    jobs: {
      lockDurationMs: Math.round(fileConfig.jobs.lock_seconds * 1000),
      stalledIntervalMs: Math.round(fileConfig.jobs.stalled_check_seconds * 1000),
    },
  };
  return { ok: true, config, warnings };
}

/** `loadConfig`, throwing a ConfigError that lists every problem. */
export function loadConfigOrThrow(sources: ConfigSources): { config: AppConfig; warnings: string[] } {
  const result = loadConfig(sources);
  if (!result.ok) throw new ConfigError(result.problems);
  return { config: result.config, warnings: result.warnings };
}
