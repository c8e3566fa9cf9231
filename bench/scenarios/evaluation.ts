/**
 * 4. Evaluation with nothing changed — PENDING: the alert evaluator is being written.
 *
 * To fill in (every piece below exists already):
 * 1. `fakes.call('startCloudflare', { latencyMs: CLOUDFLARE_LATENCY_MS, rateLimit: { ...CLOUDFLARE_LIMIT } })`,
 *    `fakes.call('startSlack', {})`, `fakes.call('seedDigestInventory', { zones: 100, hostnamesPerZone: 100 })`.
 * 2. `startBot(context, { ..., file: benchFile({ zones, alerts: { channel: 'C0BENCHALERTS' } }) })`.
 * 3. `bot.handle.call('runEvaluation', { timeoutMs: 120_000 })` once (it opens the episodes), then read
 *    `fakes.call('cloudflareStats', {})` and `fakes.call('slackStats', { channel })`.
 * 4. `runEvaluation` again; the differences in the two stats are the figures: Slack calls (target 0)
 *    and Cloudflare requests (target ≤ `requestBudget(10_000)`, the digest's budget). Median of 3 runs,
 *    each with a fresh bot (`startBot` gives a fresh Redis prefix, so no alert state carries over).
 *
 * Mind the first evaluation's length: every episode it opens is a Slack post, paced at one per
 * second per channel, and the default mix (1% critical, 3% warning) is 400 episodes at 10,000
 * hostnames, about 7 minutes. Seed fewer, e.g. `criticalPerMille: 1, warningPerMille: 1` (20
 * episodes), so the second evaluation still has open episodes to leave alone.
 */
import type { Scenario } from '../lib/context.js';
import type { ScenarioReport } from '../lib/report.js';

export const evaluationScenario: Scenario = {
  id: 'evaluation',
  title: '4. Evaluation with nothing changed',
  async run(): Promise<ScenarioReport> {
    return {
      status: 'pending',
      setup:
        '**Pending alert evaluation.** To be measured: 10,000 hostnames in 100 zones, the second alert evaluation ' +
        'in a row with nothing changed in between. Targets: zero Slack calls; Cloudflare requests within the ' +
        "digest's budget (2 per zone, here 200).",
      rows: [],
      details: [],
      notes: [
        'The scenario is a placeholder until the alert evaluator lands (see bench/scenarios/evaluation.ts).',
      ],
    };
  },
};
