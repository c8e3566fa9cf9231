import type { AccountBudget } from '../inventory/budget-inputs.js';
import type { Metrics } from './metrics.js';

/**
 * Rebuilds the `aop_cloudflare_budget_*` gauges from the accounts' plans, so a schedule or account
 * that left the config stops being exported.
 */
export function exportBudgetGauges(metrics: Metrics, budgets: readonly AccountBudget[]): void {
  const gauges = [
    metrics.budgetNeededRatio,
    metrics.budgetBackgroundRatio,
    metrics.budgetFits,
    metrics.budgetZonesThatFit,
    metrics.budgetRunRequests,
    metrics.budgetRunSeconds,
    metrics.budgetIntervalSeconds,
  ];
  for (const gauge of gauges) gauge.reset();
  for (const { account, plan } of budgets) {
    metrics.budgetNeededRatio.set({ account }, plan.neededShare);
    metrics.budgetBackgroundRatio.set({ account }, plan.backgroundRequests / plan.rateLimit.requests);
    metrics.budgetFits.set({ account }, plan.fits ? 1 : 0);
    if (Number.isFinite(plan.zonesThatFit)) metrics.budgetZonesThatFit.set({ account }, plan.zonesThatFit);
    for (const run of plan.runs) {
      const labels = { account, schedule: run.name };
      metrics.budgetRunRequests.set(labels, run.requestsPerRun);
      metrics.budgetRunSeconds.set(labels, Math.max(run.paceMs, run.stretchedRunMs ?? 0) / 1000);
      metrics.budgetIntervalSeconds.set(labels, run.shortestIntervalMs / 1000);
    }
    if (plan.discovery) {
      const labels = { account, schedule: 'discovery' };
      metrics.budgetRunRequests.set(labels, plan.discovery.requestsPerRun);
      metrics.budgetIntervalSeconds.set(labels, plan.discovery.everyMs / 1000);
    }
  }
}
