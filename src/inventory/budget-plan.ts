/**
 * The Cloudflare budget of one token, planned: what each scheduled run costs, what share of the
 * token's limit the schedules need at their busiest, and whether that fits beside the reserve kept
 * for people (slash-command lookups and Refresh clicks). Pure: the inventory, the schedules and
 * the limit in, figures out; the composition root logs them, /healthz and /metrics show them,
 * the digest footer says when they do not fit.
 */
import { CronExpressionParser } from 'cron-parser';
import { ASSOCIATIONS_PER_PAGE, ZONES_PER_PAGE } from '../cloudflare/client.js';
import { ZONE_CHECK_REQUESTS } from './zone-check.js';

/**
 * The share of every token's limit that background runs (digests, alert evaluations, zone
 * listings) never take: what a person's lookup or Refresh finds free even during a long sweep.
 * Not a setting: the contract has no key for it, and 20% covers a busy on-call hour (240 requests
 * per 5 minutes is 60 cache-missing lookups).
 */
export const PEOPLE_RESERVE_SHARE = 0.2;

/**
 * The requests per window background work may use: the limit less the people's reserve, at least one.
 *
 * @example backgroundRequestLimit(1200) // 960
 */
export function backgroundRequestLimit(requests: number, reserveShare = PEOPLE_RESERVE_SHARE): number {
  return Math.max(1, Math.floor(requests * (1 - reserveShare)));
}

/** One zone read with the token, as far as its cost goes. */
export interface PlannedZone {
  /** Associations its last check found; null when not known yet (one page is assumed). */
  associations: number | null;
  /** A discovered zone whose last check found it idle: checked at `discover.every` only. */
  idle?: boolean;
}

/** One schedule that sweeps zones: `alerts.schedule`, `digest.schedule`, a route's digest. */
export interface PlannedSchedule {
  /** `alerts`, `digest`, `digest:<route>`: how logs and metrics name it. */
  name: string;
  /** Cron, 5 or 6 fields. */
  pattern: string;
  timeZone: string;
  /** The zones one run reads (indexes into `BudgetPlanInput.zones`); absent: every zone. */
  zoneIndexes?: readonly number[];
}

export interface BudgetPlanInput {
  /** The token's limit, as `cloudflare.rate_limit` (or its account's) sets it. */
  rateLimit: { requests: number; perSeconds: number };
  zones: readonly PlannedZone[];
  schedules: readonly PlannedSchedule[];
  /** `discover.every`, when zones are also listed through the API; null without `discover:`. */
  discoverEveryMs: number | null;
  /** Where the schedules' next runs are read from. */
  now: Date;
  reserveShare?: number;
}

export interface PlannedRunCost {
  name: string;
  /** Cloudflare requests one run makes (zones × 4, plus a request per further 1,000 associations). */
  requestsPerRun: number;
  zones: number;
  /** The shortest time between two runs of the schedule (its busiest stretch). */
  shortestIntervalMs: number;
  runsPerDay: number;
  /** Of the whole limit, what this schedule needs at its busiest: requests per run ÷ the limit over the interval. */
  share: number;
  /** The least time one run can take at the background pace: its requests ÷ the background budget. */
  paceMs: number;
  /**
   * When this schedule needs more than its part of the background budget: how long one run takes
   * with the part it gets (longer than its interval, so slots are skipped). Null when it keeps its interval.
   */
  stretchedRunMs: number | null;
}

export interface BudgetPlan {
  rateLimit: { requests: number; perSeconds: number };
  reserveShare: number;
  /** Requests per window background runs may use. */
  backgroundRequests: number;
  runs: PlannedRunCost[];
  /** Listing the zones (`discover:`), and checking idle discovered zones, at `discover.every`. */
  discovery: { requestsPerRun: number; everyMs: number; share: number } | null;
  /** What every background schedule together needs of the whole limit, at its busiest. */
  neededShare: number;
  /** True when `neededShare` stays within the background share (1 − reserve). */
  fits: boolean;
  /** The number of zones like these that would fit the same schedules (per-zone cost as now). */
  zonesThatFit: number;
  requestsPerDay: number;
}

const DAY_MS = 86_400_000;
/** How far ahead the schedules are read: a week covers weekday-only and weekly patterns. */
const HORIZON_MS = 7 * DAY_MS;
/** Enough runs to find the shortest interval of any real pattern without walking a per-second cron for a week. */
const MAX_RUNS_READ = 2_000;

/**
 * The requests one zone check makes: the four lists and settings, plus a page per further 1,000
 * associations.
 *
 * @example zoneCheckRequests({ associations: 2_500 }) // 6
 */
export function zoneCheckRequests(zone: PlannedZone): number {
  const pages = Math.max(1, Math.ceil((zone.associations ?? 0) / ASSOCIATIONS_PER_PAGE));
  return ZONE_CHECK_REQUESTS + pages - 1;
}

/** The shortest gap between runs and the runs per day over the coming week; null for an unreadable pattern. */
export function scheduleRhythm(
  pattern: string,
  timeZone: string,
  now: Date,
): { shortestIntervalMs: number; runsPerDay: number } | null {
  let times: number[];
  try {
    const expression = CronExpressionParser.parse(pattern, { tz: timeZone, currentDate: now });
    times = [];
    const endMs = now.getTime() + HORIZON_MS;
    while (times.length < MAX_RUNS_READ) {
      const next = expression.next().getTime();
      if (next > endMs) break;
      times.push(next);
    }
  } catch {
    return null;
  }
  if (times.length === 0) return null;
  if (times.length === 1) return { shortestIntervalMs: HORIZON_MS, runsPerDay: 1 / 7 };
  let shortest = Number.POSITIVE_INFINITY;
  for (let index = 1; index < times.length; index += 1) {
    shortest = Math.min(shortest, (times[index] ?? 0) - (times[index - 1] ?? 0));
  }
  const spanMs = (times.at(-1) ?? 0) - (times[0] ?? 0);
  return { shortestIntervalMs: shortest, runsPerDay: ((times.length - 1) / spanMs) * DAY_MS };
}

/**
 * Plans one token's budget.
 *
 * @example
 * planBudget({ rateLimit: { requests: 1200, perSeconds: 300 }, zones: thousandZones,
 *   schedules: [{ name: 'alerts', pattern: '*\/15 * * * *', timeZone: 'UTC' }], discoverEveryMs: null, now })
 * // { neededShare: 1.11, fits: false, runs: [{ name: 'alerts', requestsPerRun: 4000, stretchedRunMs: 1_250_000, … }], … }
 */
export function planBudget(input: BudgetPlanInput): BudgetPlan {
  const reserveShare = input.reserveShare ?? PEOPLE_RESERVE_SHARE;
  const { requests, perSeconds } = input.rateLimit;
  const windowMs = perSeconds * 1000;
  const backgroundRequests = backgroundRequestLimit(requests, reserveShare);
  const backgroundShare = backgroundRequests / requests;
  /** Of the whole limit, the share `requestsPerRun` every `intervalMs` takes. */
  const shareOf = (requestsPerRun: number, intervalMs: number) =>
    requestsPerRun / ((requests * intervalMs) / windowMs);
  const paceOf = (requestsPerRun: number) => (requestsPerRun / backgroundRequests) * windowMs;

  const busyZones = input.discoverEveryMs === null ? input.zones : input.zones.filter((zone) => !zone.idle);
  const busyCost = (indexes: readonly number[] | undefined) => {
    const zones = indexes === undefined ? input.zones : indexes.flatMap((index) => input.zones[index] ?? []);
    const checked = input.discoverEveryMs === null ? zones : zones.filter((zone) => !zone.idle);
    return {
      zones: checked.length,
      requests: checked.reduce((sum, zone) => sum + zoneCheckRequests(zone), 0),
    };
  };

  // Digests whose schedules are the same run in the same slots and read each zone once between them.
  const seen = new Map<string, { schedule: PlannedSchedule; indexes: Set<number> | null }>();
  for (const schedule of input.schedules) {
    const isDigest = schedule.name.startsWith('digest');
    const key = isDigest ? `digest ${schedule.pattern} ${schedule.timeZone}` : `${schedule.name}`;
    const known = seen.get(key);
    if (!known) {
      seen.set(key, { schedule, indexes: schedule.zoneIndexes ? new Set(schedule.zoneIndexes) : null });
    } else if (known.indexes !== null) {
      if (schedule.zoneIndexes === undefined) known.indexes = null;
      else for (const index of schedule.zoneIndexes) known.indexes.add(index);
    }
  }

  const runs: Omit<PlannedRunCost, 'stretchedRunMs'>[] = [];
  for (const { schedule, indexes } of seen.values()) {
    const rhythm = scheduleRhythm(schedule.pattern, schedule.timeZone, input.now);
    if (rhythm === null) continue;
    const cost = busyCost(indexes === null ? undefined : [...indexes]);
    runs.push({
      name: schedule.name,
      requestsPerRun: cost.requests,
      zones: cost.zones,
      shortestIntervalMs: rhythm.shortestIntervalMs,
      runsPerDay: rhythm.runsPerDay,
      share: shareOf(cost.requests, rhythm.shortestIntervalMs),
      paceMs: paceOf(cost.requests),
    });
  }

  let discovery: BudgetPlan['discovery'] = null;
  if (input.discoverEveryMs !== null) {
    const idleChecks = input.zones
      .filter((zone) => zone.idle)
      .reduce((sum, zone) => sum + zoneCheckRequests(zone), 0);
    const requestsPerRun = Math.max(1, Math.ceil(input.zones.length / ZONES_PER_PAGE)) + idleChecks;
    discovery = {
      requestsPerRun,
      everyMs: input.discoverEveryMs,
      share: shareOf(requestsPerRun, input.discoverEveryMs),
    };
  }

  const neededShare = runs.reduce((sum, run) => sum + run.share, 0) + (discovery?.share ?? 0);
  const fits = neededShare <= backgroundShare;
  const granted = grantShares([...runs.map((run) => run.share), discovery?.share ?? 0], backgroundShare);
  const perZoneShare =
    busyZones.length === 0 ? 0 : (neededShare - (discovery?.share ?? 0)) / busyZones.length;
  const zonesThatFit =
    perZoneShare === 0
      ? Number.POSITIVE_INFINITY
      : Math.max(0, Math.floor((backgroundShare - (discovery?.share ?? 0)) / perZoneShare));
  const requestsPerDay =
    runs.reduce((sum, run) => sum + run.requestsPerRun * run.runsPerDay, 0) +
    (discovery ? (discovery.requestsPerRun * DAY_MS) / discovery.everyMs : 0);

  return {
    rateLimit: { requests, perSeconds },
    reserveShare,
    backgroundRequests,
    runs: runs.map((run, index) => {
      const share = granted[index] ?? run.share;
      // A run granted less than it needs takes longer than its interval, by as much.
      return {
        ...run,
        stretchedRunMs: share < run.share ? (run.shortestIntervalMs * run.share) / share : null,
      };
    }),
    discovery,
    neededShare,
    fits,
    zonesThatFit,
    requestsPerDay: Math.round(requestsPerDay),
  };
}

/**
 * Shares the background budget among schedules that need more than it holds: the modest ones get
 * all they need, the rest split what is left evenly (max-min fairness, as the zone checks of
 * runs in flight at once take turns in the queue).
 *
 * @example grantShares([1.11, 0.01], 0.8) // [0.79, 0.01]
 */
export function grantShares(needed: readonly number[], capacity: number): number[] {
  const granted = needed.map(() => 0);
  let left = capacity;
  const order = needed.map((_, index) => index).sort((a, b) => (needed[a] ?? 0) - (needed[b] ?? 0));
  order.forEach((index, position) => {
    const fair = left / (order.length - position);
    const share = Math.min(needed[index] ?? 0, fair);
    granted[index] = share;
    left -= share;
  });
  return granted;
}

function minutes(ms: number): string {
  if (ms < 90_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 90 * 60_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

/**
 * One sentence for people: the log at start, /healthz, the digest footer.
 *
 * @example
 * describeBudgetPlan(plan)
 * // 'The schedules need 113% of 1,200 Cloudflare requests per 300 s, more than the 80% background runs may use
 * //  (20% is kept for lookups): alerts (4,000 requests every 15 min) takes 21 min a run.'
 */
export function describeBudgetPlan(plan: BudgetPlan): string {
  const limit = `${plan.rateLimit.requests.toLocaleString('en-US')} Cloudflare requests per ${plan.rateLimit.perSeconds} s`;
  const background = percent(plan.backgroundRequests / plan.rateLimit.requests);
  const reserve = percent(plan.reserveShare);
  if (plan.fits) {
    return `The schedules need ${percent(plan.neededShare)} of ${limit} at their busiest, within the ${background} background runs may use (${reserve} is kept for lookups).`;
  }
  const slowest = [...plan.runs]
    .filter((run) => run.stretchedRunMs !== null && run.stretchedRunMs > run.shortestIntervalMs)
    .sort((a, b) => b.share - a.share);
  const stretched = slowest
    .map(
      (run) =>
        `${run.name} (${run.requestsPerRun.toLocaleString('en-US')} requests every ${minutes(run.shortestIntervalMs)}) takes ${minutes(run.stretchedRunMs ?? 0)} a run`,
    )
    .join('; ');
  const fitting = Number.isFinite(plan.zonesThatFit)
    ? ` About ${plan.zonesThatFit.toLocaleString('en-US')} zones would fit these schedules.`
    : '';
  return `The schedules need ${percent(plan.neededShare)} of ${limit}, more than the ${background} background runs may use (${reserve} is kept for lookups)${stretched ? `: ${stretched}` : ''}.${fitting}`;
}
