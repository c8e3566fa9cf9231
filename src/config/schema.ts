import { CronExpressionParser } from 'cron-parser';
import picomatch from 'picomatch';
import { z } from 'zod';
import { parseHostname, parseZoneId } from '../domain/hostname.js';
import {
  findShadowedRoutes,
  parseHostnameGlob,
  parseZoneCriterion,
  ROUTE_NAME_PATTERN,
} from '../domain/routing.js';

/**
 * The YAML file's schema (snake_case, as users write it). Objects are strict so that a typo such
 * as `warnig_days` is reported instead of silently falling back to a default.
 */

const SLACK_CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;
const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;

/** True when `timeZone` is an IANA zone this runtime knows. */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks a cron expression the way the scheduler will read it: 5 fields, or 6 with seconds first.
 * cron-parser alone accepts fewer fields, which would silently mean something else.
 */
export function cronProblem(expression: string, timeZone: string): string | null {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    return `must have 5 fields (minute hour day month weekday) or 6 (seconds first), got ${fields.length}`;
  }
  try {
    CronExpressionParser.parse(expression, { tz: isKnownTimeZone(timeZone) ? timeZone : 'UTC' });
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

const hostnameSchema = z.string().transform((value, ctx) => {
  const parsed = parseHostname(value);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a valid hostname: ${parsed.reason}` });
    return z.NEVER;
  }
  return parsed.hostname;
});

const zoneIdSchema = z.string().transform((value, ctx) => {
  const parsed = parseZoneId(value);
  if (!parsed.ok) {
    ctx.addIssue({
      code: 'custom',
      message: `"${value}" is not a Cloudflare zone id (32 hexadecimal characters, shown on the zone's Overview page)`,
    });
    return z.NEVER;
  }
  return parsed.zoneId;
});

const channelIdSchema = z
  .string()
  .regex(SLACK_CHANNEL_ID, 'must be a Slack channel id such as C0123ABCD (not a #name)');

const positiveInteger = z.number().int().positive();

const globSchema = z.string().transform((value, ctx) => {
  const parsed = parseHostnameGlob(value);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a valid hostname glob: ${parsed.reason}` });
    return z.NEVER;
  }
  return parsed.glob;
});

const zoneCriterionSchema = z.string().transform((value, ctx) => {
  const parsed = parseZoneCriterion(value);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is ${parsed.reason}` });
    return z.NEVER;
  }
  return parsed.value;
});

/** One entry of `routes:`; what it leaves out comes from the top level (see load.ts). */
const routeSchema = z.strictObject({
  name: z
    .string()
    .regex(ROUTE_NAME_PATTERN, 'must be 1-40 lowercase letters, digits or hyphens, e.g. payments'),
  match: z
    .strictObject({
      zones: z.array(zoneCriterionSchema).min(1, 'lists no zone; leave it out instead').optional(),
      hostnames: z.array(globSchema).min(1, 'lists no glob; leave it out instead').optional(),
    })
    .refine((match) => match.zones !== undefined || match.hostnames !== undefined, {
      message: 'needs at least one criterion: zones, hostnames or both',
    }),
  alerts_channel: channelIdSchema.optional(),
  mention_on_critical: z.string().max(200).optional(),
  digest: z
    .strictObject({
      channels: z.array(channelIdSchema).optional(),
      schedule: z.string().optional(),
      timezone: z
        .string()
        .refine(isKnownTimeZone, 'must be an IANA time zone such as America/New_York or UTC')
        .optional(),
    })
    .optional(),
  thresholds: z
    .strictObject({
      warning_days: positiveInteger.optional(),
      critical_days: z.number().int().nonnegative().optional(),
      stuck_pending_minutes: positiveInteger.optional(),
    })
    .optional(),
});
export type RouteFileConfig = z.infer<typeof routeSchema>;

/** An account's name as written in `cloudflare.accounts` and on a zone: shown beside its zones. */
const ACCOUNT_NAME = /^[a-z0-9-]{1,40}$/;
const accountNameSchema = z
  .string()
  .regex(ACCOUNT_NAME, 'must be lower-case letters, digits and "-" (at most 40), such as prod');

const DURATION = /^(\d+)(s|m|h|d)$/;
const DURATION_UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
/** The shortest `discover.every`: listing zones more often only spends the rate limit. */
const MIN_DISCOVER_EVERY_SECONDS = 30;

/**
 * Seconds in a duration such as `30s`, `15m`, `1h` or `1d`; null when it is not one.
 *
 * @example parseDurationSeconds('15m') // 900
 */
export function parseDurationSeconds(text: string): number | null {
  const match = DURATION.exec(text.trim());
  if (!match) return null;
  return Number(match[1]) * DURATION_UNIT_SECONDS[match[2] as keyof typeof DURATION_UNIT_SECONDS];
}

/** Kept as written (`1h`) so defaults read as users write them; load.ts turns it into ms. */
const durationSchema = z.string().superRefine((value, ctx) => {
  const seconds = parseDurationSeconds(value);
  if (seconds === null) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration such as 30s, 15m, 1h or 1d` });
  } else if (seconds < MIN_DISCOVER_EVERY_SECONDS) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is shorter than ${MIN_DISCOVER_EVERY_SECONDS}s` });
  }
});

/** Characters a zone-name glob may hold: a zone name's own, plus the glob operators. */
const ZONE_GLOB_CHARACTERS = /^[A-Za-z0-9.*?[\]{},!-]+$/;

/**
 * Why `glob` cannot match zone names, or null when it is usable. `*` matches one or more labels
 * (`*.example.com` matches `a.example.com` and `a.b.example.com`, not `example.com`).
 *
 * @example zoneGlobProblem('*.example.com') // null
 * @example zoneGlobProblem('[a-z.example.com') // 'Missing closing: "]" …'
 */
export function zoneGlobProblem(glob: string): string | null {
  if (!ZONE_GLOB_CHARACTERS.test(glob))
    return 'may hold only letters, digits, ".", "-" and the glob characters * ? [ ] { } , !';
  try {
    picomatch.makeRe(glob, { nocase: true, strictBrackets: true });
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

const zoneGlobSchema = z.string().superRefine((value, ctx) => {
  const problem = zoneGlobProblem(value);
  if (problem)
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a usable zone-name glob: ${problem}` });
});

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const rateLimitSchema = z
  .strictObject({
    requests: positiveInteger.default(1200),
    per_seconds: positiveInteger.default(300),
  })
  .default({ requests: 1200, per_seconds: 300 });

const sectionSchemas = {
  timezone: z
    .string()
    .refine(isKnownTimeZone, 'must be an IANA time zone such as Europe/Berlin or UTC')
    .default('UTC'),
  zones: z
    .array(
      z.strictObject({
        id: zoneIdSchema,
        name: hostnameSchema.optional(),
        hostnames: z.array(hostnameSchema).optional(),
        /** The `cloudflare.accounts` entry whose token reads this zone. */
        account: accountNameSchema.optional(),
      }),
    )
    .default([]),
  thresholds: z
    .strictObject({
      warning_days: positiveInteger.default(30),
      critical_days: z.number().int().nonnegative().default(7),
      stuck_pending_minutes: positiveInteger.default(120),
    })
    .default({ warning_days: 30, critical_days: 7, stuck_pending_minutes: 120 }),
  digest: z
    .strictObject({
      schedule: z.string().default('0 9 * * 1-5'),
      channels: z.array(channelIdSchema).default([]),
      post_when_all_clear: z.boolean().default(true),
    })
    .default({ schedule: '0 9 * * 1-5', channels: [], post_when_all_clear: true }),
  alerts: z
    .strictObject({
      channel: channelIdSchema.nullable().optional(),
      schedule: z.string().default('*/15 * * * *'),
      ladder_days: z.array(z.number().int().nonnegative()).min(1).default([30, 14, 7, 3, 1, 0]),
      mention_on_critical: z.string().max(200).default(''),
      cannot_check_after: positiveInteger.default(3),
      group_by: z.enum(['certificate', 'hostname']).default('certificate'),
      replacement_stall_hours: z
        .number()
        .positive()
        .max(24 * 365)
        .default(24),
    })
    .default({
      schedule: '*/15 * * * *',
      ladder_days: [30, 14, 7, 3, 1, 0],
      mention_on_critical: '',
      cannot_check_after: 3,
      group_by: 'certificate',
      replacement_stall_hours: 24,
    }),
  access: z
    .strictObject({
      admins: z
        .array(z.string().regex(SLACK_USER_ID, 'must be a Slack user id such as U0123ABCD'))
        .default([]),
      allowed_channels: z.array(channelIdSchema).default([]),
    })
    .default({ admins: [], allowed_channels: [] }),
  cloudflare: z
    .strictObject({
      rate_limit: rateLimitSchema,
      concurrency: positiveInteger.max(64).default(8),
      request_timeout_seconds: z.number().positive().max(120).default(10),
      accounts: z
        .array(
          z.strictObject({
            name: accountNameSchema,
            token_env: z
              .string()
              .regex(
                ENV_NAME,
                'must be the name of an environment variable, such as CLOUDFLARE_API_TOKEN_PROD',
              ),
            rate_limit: rateLimitSchema,
          }),
        )
        .min(1, 'lists no account; leave `accounts` out to use CLOUDFLARE_API_TOKEN alone')
        .optional(),
    })
    .default({
      rate_limit: { requests: 1200, per_seconds: 300 },
      concurrency: 8,
      request_timeout_seconds: 10,
    }),
  discover: z
    .strictObject({
      every: durationSchema.default('1h'),
      match: z.array(zoneGlobSchema).default([]),
      exclude: z.array(zoneGlobSchema).default([]),
      accounts: z
        .array(
          z
            .string()
            .regex(/^[0-9a-f]{32}$/i, 'must be a Cloudflare account id (32 hexadecimal characters)')
            .transform((value) => value.toLowerCase()),
        )
        .default([]),
    })
    .optional(),
  jobs: z
    .strictObject({
      // A worker holds a job's lock this long, renewing it while alive; when a worker dies, its job
      // is taken over once the lock lapses and the next stalled check runs.
      lock_seconds: z.number().min(1).max(600).default(30),
      stalled_check_seconds: z.number().min(1).max(600).default(30),
    })
    .default({ lock_seconds: 30, stalled_check_seconds: 30 }),
  routes: z.array(routeSchema).default([]),
};

/**
 * Sections are validated one by one, and the checks that span sections run on whatever parsed,
 * so that one bad section never hides the problems of another: users see every problem at once.
 */
export const fileConfigSchema = z.strictObject(sectionSchemas);
export type FileConfig = z.infer<typeof fileConfigSchema>;

export interface FileIssue {
  path: (string | number)[];
  message: string;
}

function rawAccountList(data: Record<string, unknown>): unknown[] | null {
  const cloudflare = data.cloudflare;
  if (typeof cloudflare !== 'object' || cloudflare === null || !('accounts' in cloudflare)) return null;
  return Array.isArray(cloudflare.accounts) ? cloudflare.accounts : null;
}

export function validateFileConfig(data: Record<string, unknown>): {
  config: FileConfig | null;
  issues: FileIssue[];
} {
  const issues: FileIssue[] = [];
  const parsed: Record<string, unknown> = {};
  for (const key of Object.keys(data)) {
    if (!(key in sectionSchemas)) issues.push({ path: [key], message: `unknown key "${key}"` });
  }
  for (const [key, schema] of Object.entries(sectionSchemas)) {
    const result = (schema as z.ZodType).safeParse(data[key]);
    if (result.success) parsed[key] = result.data;
    else {
      for (const issue of result.error.issues) {
        const message =
          issue.code === 'unrecognized_keys'
            ? `unknown key(s) ${issue.keys.map((name) => `"${name}"`).join(', ')}`
            : issue.message;
        issues.push({
          path: [key, ...issue.path.map((part) => (typeof part === 'symbol' ? String(part) : part))],
          message,
        });
      }
    }
  }
  const file = parsed as Partial<FileConfig>;
  const timeZone = file.timezone ?? 'UTC';
  if (file.thresholds && file.thresholds.critical_days >= file.thresholds.warning_days) {
    issues.push({
      path: ['thresholds', 'critical_days'],
      message: `must be smaller than warning_days (${file.thresholds.warning_days})`,
    });
  }
  // Read from the raw file, so a bad field in one account hides neither a duplicate name nor a
  // zone naming an account that does not exist.
  const accountNames = new Set<string>();
  const rawAccounts = rawAccountList(data);
  rawAccounts?.forEach((account, index) => {
    const name = typeof account === 'object' && account !== null && 'name' in account ? account.name : null;
    if (typeof name !== 'string') return;
    if (accountNames.has(name))
      issues.push({
        path: ['cloudflare', 'accounts', index, 'name'],
        message: `account "${name}" is listed twice`,
      });
    accountNames.add(name);
  });
  const seenZoneIds = new Set<string>();
  file.zones?.forEach((zone, index) => {
    if (seenZoneIds.has(zone.id))
      issues.push({ path: ['zones', index, 'id'], message: `zone ${zone.id} is listed twice` });
    seenZoneIds.add(zone.id);
    if (zone.account !== undefined && !accountNames.has(zone.account)) {
      issues.push({
        path: ['zones', index, 'account'],
        message:
          accountNames.size === 0
            ? `names account "${zone.account}", but cloudflare.accounts lists none`
            : `names account "${zone.account}", which cloudflare.accounts does not list (${[...accountNames].join(', ')})`,
      });
    }
    const zoneName = zone.name;
    if (zoneName === undefined) return;
    zone.hostnames?.forEach((hostname, hostnameIndex) => {
      const bare = hostname.startsWith('*.') ? hostname.slice(2) : hostname;
      if (bare !== zoneName && !bare.endsWith(`.${zoneName}`)) {
        issues.push({
          path: ['zones', index, 'hostnames', hostnameIndex],
          message: `${hostname} is not inside zone ${zoneName}`,
        });
      }
    });
  });
  for (const key of ['digest', 'alerts'] as const) {
    const schedule = file[key]?.schedule;
    if (schedule === undefined) continue;
    const problem = cronProblem(schedule, timeZone);
    if (problem) issues.push({ path: [key, 'schedule'], message: `"${schedule}" ${problem}` });
  }
  if (file.alerts && new Set(file.alerts.ladder_days).size !== file.alerts.ladder_days.length) {
    issues.push({ path: ['alerts', 'ladder_days'], message: 'lists a rung twice' });
  }
  routeIssues(data.routes, file, timeZone, issues);
  return { config: issues.length === 0 ? fileConfigSchema.parse(data) : null, issues };
}

/**
 * The checks that span routes, or a route and the top level. Each route is named by its index and
 * name in the path (`routes[1] (payments).digest.timezone`), including the schema's own issues, so
 * a person finds the right entry in a long list.
 */
function routeIssues(
  raw: unknown,
  file: Partial<Pick<FileConfig, 'zones' | 'thresholds'>>,
  timeZone: string,
  issues: FileIssue[],
): void {
  if (!Array.isArray(raw)) return;
  const rawName = (index: number): string | null => {
    const entry: unknown = raw[index];
    return typeof entry === 'object' && entry !== null && 'name' in entry && typeof entry.name === 'string'
      ? entry.name
      : null;
  };
  const label = (index: number) => {
    const name = rawName(index);
    return name === null ? `routes[${index}]` : `routes[${index}] (${name})`;
  };
  for (const issue of issues) {
    if (issue.path[0] !== 'routes' || typeof issue.path[1] !== 'number') continue;
    issue.path = [label(issue.path[1]), ...issue.path.slice(2)];
  }
  const seen = new Map<string, number>();
  raw.forEach((_entry, index) => {
    const name = rawName(index);
    if (name === null) return;
    const first = seen.get(name);
    if (first !== undefined) {
      issues.push({
        path: [label(index), 'name'],
        message: `"${name}" is already the name of ${label(first)}; route names must be unique`,
      });
    } else seen.set(name, index);
  });
  // Each route on its own, so one bad route never hides what is wrong with the others.
  const routes: Array<{ route: RouteFileConfig; index: number }> = [];
  raw.forEach((entry, index) => {
    const parsed = routeSchema.safeParse(entry);
    if (parsed.success) routes.push({ route: parsed.data, index });
  });
  for (const { route, index } of routes) {
    const routeZone = route.digest?.timezone ?? timeZone;
    const schedule = route.digest?.schedule;
    if (schedule !== undefined) {
      const problem = cronProblem(schedule, routeZone);
      if (problem)
        issues.push({ path: [label(index), 'digest', 'schedule'], message: `"${schedule}" ${problem}` });
    }
    const top = file.thresholds;
    const warningDays = route.thresholds?.warning_days ?? top?.warning_days;
    const criticalDays = route.thresholds?.critical_days ?? top?.critical_days;
    if (
      route.thresholds &&
      warningDays !== undefined &&
      criticalDays !== undefined &&
      criticalDays >= warningDays
    ) {
      issues.push({
        path: [label(index), 'thresholds', 'critical_days'],
        message: `${criticalDays} must be smaller than warning_days (${warningDays}, with the top-level thresholds filling in what the route leaves out)`,
      });
    }
  }
  const knownZones = (file.zones ?? []).map((zone) => ({ id: zone.id, name: zone.name ?? null }));
  const rules = routes.map(({ route }) => ({
    name: route.name,
    match: { zones: route.match.zones ?? null, hostnames: route.match.hostnames ?? null },
  }));
  const originalIndex = (position: number) => routes[position]?.index ?? position;
  for (const shadowed of findShadowedRoutes(rules, knownZones)) {
    const by = shadowed.byIndexes.map((position) => label(originalIndex(position))).join(' and ');
    issues.push({
      path: [label(originalIndex(shadowed.index)), 'match'],
      message: `can never match: ${by} ${shadowed.byIndexes.length > 1 ? 'come' : 'comes'} first and ${shadowed.byIndexes.length > 1 ? 'take' : 'takes'} every hostname it matches (routes are tried in order; move it up or narrow the earlier one)`,
    });
  }
}
