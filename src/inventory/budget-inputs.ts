/**
 * What the budget planner is asked, token by token: the zones each token reads (with what their
 * last checks found), and the schedules that sweep them, from the validated config. `budgetInputs`
 * is pure; `createBudgetService` reads the zone plans and stored checks it needs through the
 * functions it is given.
 */

import { performance } from 'node:perf_hooks';
import type { AppConfig } from '../config/types.js';
import { isIdleZone, type ZoneUseReading } from '../domain/discovery.js';
import type { ZoneRef } from '../domain/types.js';
import {
  type BudgetPlan,
  type BudgetPlanInput,
  describeBudgetPlan,
  type PlannedSchedule,
  type PlannedZone,
  planBudget,
} from './budget-plan.js';
import { buildZonePlans } from './plan.js';
import type { ZonePlan } from './zone-check.js';

export type BudgetConfig = Pick<
  AppConfig,
  'alerts' | 'digest' | 'routes' | 'timezone' | 'discover' | 'cloudflare'
>;

/** One token's plan, named by its account. */
export interface AccountBudget {
  account: string;
  plan: BudgetPlan;
}

/**
 * The planner's input for every account. Route digests count only where the config gives them a
 * channel: channels subscribed at run time are not known here. A zone's association count is the
 * hostnames its last check reported (every association for a whole zone; a zone never checked
 * counts as one page).
 */
export function budgetInputs(options: {
  config: BudgetConfig;
  plans: readonly ZonePlan[];
  /** The account whose token reads a zone. */
  accountOf: (plan: ZonePlan) => string;
  /** What the latest stored check of each zone found, where there is one (see `zoneUseOf`). */
  snapshots: ReadonlyMap<string, ZoneUseReading>;
  mayOwnInZone: (route: string, zone: ZoneRef) => boolean;
  now: Date;
}): Array<{ account: string; input: BudgetPlanInput }> {
  const { config } = options;
  return config.cloudflare.accounts.map((account) => {
    const plans = options.plans.filter((plan) => options.accountOf(plan) === account.name);
    const zones: PlannedZone[] = plans.map((plan) => {
      const stored = options.snapshots.get(plan.zone.id);
      if (!stored) return { associations: null };
      const idle = plan.discovered === true && plan.hostnames.length === 0 && isIdleZone(stored);
      return { associations: stored.hostnames, ...(idle ? { idle } : {}) };
    });
    const schedules: PlannedSchedule[] = [
      { name: 'digest', pattern: config.digest.schedule, timeZone: config.timezone },
    ];
    if (config.alerts.channel || config.routes.some((route) => route.alertsChannel)) {
      schedules.push({ name: 'alerts', pattern: config.alerts.schedule, timeZone: config.timezone });
    }
    for (const route of config.routes) {
      if (route.digest.channels.length === 0) continue;
      schedules.push({
        name: `digest:${route.name}`,
        pattern: route.digest.schedule,
        timeZone: route.digest.timeZone,
        zoneIndexes: plans.flatMap((plan, index) =>
          options.mayOwnInZone(route.name, plan.zone) ? [index] : [],
        ),
      });
    }
    return {
      account: account.name,
      input: {
        rateLimit: account.rateLimit,
        zones,
        schedules,
        discoverEveryMs: config.discover?.everyMs ?? null,
        now: options.now,
      },
    };
  });
}

/** Plans every account's budget. */
export function planAccountBudgets(inputs: ReturnType<typeof budgetInputs>): AccountBudget[] {
  return inputs.map(({ account, input }) => ({ account, plan: planBudget(input) }));
}

/**
 * Every account's plan in a sentence each, named by account when there are several.
 *
 * @example describeBudgets([{ account: 'default', plan }]) // 'The schedules need 11% of …'
 */
export function describeBudgets(
  budgets: readonly AccountBudget[],
  all: readonly AccountBudget[] = budgets,
): string {
  return budgets
    .map((budget) =>
      all.length > 1
        ? `Account ${budget.account}: ${describeBudgetPlan(budget.plan)}`
        : describeBudgetPlan(budget.plan),
    )
    .join(' ');
}

/**
 * What people are told when some token's schedules do not fit (the digest footer, /healthz); null
 * when every one fits.
 */
export function budgetWarning(budgets: readonly AccountBudget[]): string | null {
  const over = budgets.filter((budget) => !budget.plan.fits);
  return over.length === 0 ? null : describeBudgets(over, budgets);
}

/** Recomputes the plans at most every `cacheMs`: a scrape, a health check or a digest need not re-read every zone. */
export interface BudgetService {
  current(): Promise<AccountBudget[]>;
}

/**
 * Plans from what is stored now. When the zone list or the stored checks cannot be read (Redis
 * away), the configured zones stand in, each as one page: the plan is then a lower bound.
 */
export function createBudgetService(options: {
  config: BudgetConfig & Pick<AppConfig, 'zones'>;
  planZones: () => Promise<ZonePlan[]>;
  /**
   * What each zone's stored check found, by zone id: a few numbers per zone, read without holding
   * every stored hostname at once (a digest reads the plan, and its memory must not grow with them).
   */
  readZoneUse: () => Promise<ReadonlyMap<string, ZoneUseReading>>;
  accountOf: (plan: ZonePlan) => string;
  mayOwnInZone: (route: string, zone: ZoneRef) => boolean;
  clock: () => Date;
  cacheMs?: number;
  /** Monotonic milliseconds for the cache; tests pass a fake one. */
  nowMs?: () => number;
}): BudgetService {
  const cacheMs = options.cacheMs ?? 60_000;
  const nowMs = options.nowMs ?? (() => performance.now());
  let cached: { atMs: number; budgets: Promise<AccountBudget[]> } | null = null;

  const compute = async (): Promise<AccountBudget[]> => {
    const [plans, snapshots] = await Promise.all([
      options.planZones().catch(() => buildZonePlans(options.config.zones, [], [])),
      options.readZoneUse().catch((): ReadonlyMap<string, ZoneUseReading> => new Map()),
    ]);
    return planAccountBudgets(
      budgetInputs({
        config: options.config,
        plans,
        accountOf: options.accountOf,
        snapshots,
        mayOwnInZone: options.mayOwnInZone,
        now: options.clock(),
      }),
    );
  };

  return {
    current() {
      if (cached === null || nowMs() - cached.atMs >= cacheMs) {
        const budgets = compute();
        cached = { atMs: nowMs(), budgets };
        // A failed computation is not kept: the next caller tries again.
        budgets.catch(() => {
          if (cached?.budgets === budgets) cached = null;
        });
      }
      return cached.budgets;
    },
  };
}
