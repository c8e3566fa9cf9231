/**
 * What the command line needs from the bot's configuration: the Cloudflare settings from the
 * environment and the inventory from the YAML file. Slack and Redis are not needed, so their
 * variables are neither required nor read. The env names, the file lookup and the YAML schema
 * are the bot's own (src/config), so one `.env` and one `aop-status.yml` serve both.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Dispatcher } from 'undici';
import { parseDocument } from 'yaml';
import { createCloudflareClient } from '../cloudflare/client.js';
import { createLocalRateLimiter } from '../cloudflare/resilient-rate-limiter.js';
import type { CloudflareClient } from '../cloudflare/types.js';
import { type ConfigSources, DEFAULTS, type Environment } from '../config/load.js';
import { validateFileConfig } from '../config/schema.js';
import type { AppConfig, CloudflareAuth, ZoneConfig } from '../config/types.js';
import type { Thresholds } from '../domain/types.js';

export interface CliSettings {
  /** The YAML file read, or null when there was none. */
  configFile: string | null;
  timezone: string;
  zones: ZoneConfig[];
  thresholds: Thresholds;
  /** For the digest footer's "Next digest". */
  digestSchedule: string;
  cloudflare: AppConfig['cloudflare'];
}

export type CliSettingsResult =
  | { ok: true; settings: CliSettings; warnings: string[] }
  | { ok: false; problems: string[]; warnings: string[] };

function nonEmpty(env: Environment, name: string): string | null {
  const value = env[name]?.trim();
  return value ? value : null;
}

function readCloudflareAuth(env: Environment, problems: string[], warnings: string[]): CloudflareAuth | null {
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

/** The YAML file as the bot finds it: AOP_CONFIG, else ./aop-status.yml, which may be absent. */
function readFileData(
  sources: ConfigSources,
  problems: string[],
): { filePath: string | null; data: Record<string, unknown> } {
  const readFile = sources.readFile ?? ((filePath: string) => readFileSync(filePath, 'utf8'));
  const fileExists = sources.fileExists ?? existsSync;
  const explicit = nonEmpty(sources.env, 'AOP_CONFIG');
  const filePath = path.resolve(sources.cwd, explicit ?? DEFAULTS.configFile);
  if (!fileExists(filePath)) {
    if (explicit) problems.push(`AOP_CONFIG: file ${filePath} does not exist`);
    return { filePath: null, data: {} };
  }
  let text: string;
  try {
    text = readFile(filePath);
  } catch (error) {
    problems.push(
      `AOP_CONFIG: cannot read ${filePath}: ${error instanceof Error ? error.message : String(error)}`,
    );
    return { filePath, data: {} };
  }
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    for (const error of document.errors) problems.push(`${filePath}: YAML: ${error.message.split('\n')[0]}`);
    return { filePath, data: {} };
  }
  const data: unknown = document.toJS() ?? {};
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    problems.push(`${filePath}: must be a mapping of keys (timezone, zones, thresholds, …)`);
    return { filePath, data: {} };
  }
  return { filePath, data: data as Record<string, unknown> };
}

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

  const auth = readCloudflareAuth(env, problems, warnings);
  const baseUrl = (nonEmpty(env, 'CLOUDFLARE_API_BASE_URL') ?? DEFAULTS.cloudflareBaseUrl).replace(
    /\/+$/,
    '',
  );
  let baseUrlValid = false;
  try {
    baseUrlValid = ['http:', 'https:'].includes(new URL(baseUrl).protocol);
  } catch {
    baseUrlValid = false;
  }
  if (!baseUrlValid) problems.push(`CLOUDFLARE_API_BASE_URL "${baseUrl}" is not an http(s) URL`);

  const file = readFileData(sources, problems);
  const label = file.filePath ?? path.resolve(sources.cwd, DEFAULTS.configFile);
  const validated = validateFileConfig(file.data);
  for (const issue of validated.issues) {
    problems.push(
      `${label}: ${issue.path.length > 0 ? issue.path.join('.') : '(top level)'}: ${issue.message}`,
    );
  }
  if (problems.length > 0 || !validated.config || !auth) return { ok: false, problems, warnings };

  const fileConfig = validated.config;
  return {
    ok: true,
    warnings,
    settings: {
      configFile: file.filePath,
      timezone: fileConfig.timezone,
      zones: fileConfig.zones.map((zone) => ({
        id: zone.id,
        name: zone.name ?? null,
        hostnames: zone.hostnames ? [...new Set(zone.hostnames)] : null,
      })),
      thresholds: {
        warningDays: fileConfig.thresholds.warning_days,
        criticalDays: fileConfig.thresholds.critical_days,
        stuckPendingMinutes: fileConfig.thresholds.stuck_pending_minutes,
      },
      digestSchedule: fileConfig.digest.schedule,
      cloudflare: {
        baseUrl,
        auth,
        rateLimit: {
          requests: fileConfig.cloudflare.rate_limit.requests,
          perSeconds: fileConfig.cloudflare.rate_limit.per_seconds,
        },
        concurrency: fileConfig.cloudflare.concurrency,
        requestTimeoutMs: Math.round(fileConfig.cloudflare.request_timeout_seconds * 1000),
      },
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
  settings: Pick<CliSettings, 'cloudflare'>,
  options: { dispatcher?: Dispatcher; clock?: () => Date } = {},
): CloudflareClient {
  const { cloudflare } = settings;
  return createCloudflareClient({
    baseUrl: cloudflare.baseUrl,
    auth: cloudflare.auth,
    rateLimiter: createLocalRateLimiter({
      requests: cloudflare.rateLimit.requests,
      perSeconds: cloudflare.rateLimit.perSeconds,
    }),
    requestTimeoutMs: cloudflare.requestTimeoutMs,
    userAgent: 'aop-status-cli',
    ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
}
