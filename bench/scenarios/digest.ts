/**
 * 3. Digest cost: one digest of 10,000 hostnames in 100 zones under the real Cloudflare limit,
 * beside the cost of the naive way (one status call per hostname).
 */

import { CLOUDFLARE_LATENCY_MS, CLOUDFLARE_LIMIT } from '../lib/constants.js';
import type { BenchContext, Scenario } from '../lib/context.js';
import type { ScenarioReport } from '../lib/report.js';
import { formatCount, formatMegabytes, formatRatio, formatSeconds, median } from '../lib/stats.js';
import { DIGEST_ZONES, type DigestRun, digestRuns, REQUESTS_PER_ZONE, requestBudget } from './digest-runs.js';

const MAX_WALL_MS = 30_000;
const MAX_RSS_BYTES = 250 * 1024 * 1024;

/** The digest size of the cost scenario (and the middle size of the growth scenario). */
export function digestSize(context: BenchContext): { hostnames: number; runs: number } {
  return context.quick ? { hostnames: 2_000, runs: 1 } : { hostnames: 10_000, runs: 3 };
}

/**
 * The least time `requests` calls can take under the limit: the first window's worth at once,
 * then one more window per further window's worth.
 *
 * @example naiveMinimumMs(10_000) // 8 windows of 5 minutes = 2,400,000
 */
export function naiveMinimumMs(requests: number): number {
  return Math.floor((requests - 1) / CLOUDFLARE_LIMIT.requests) * CLOUDFLARE_LIMIT.windowMs;
}

export const digestScenario: Scenario = {
  id: 'digest',
  title: '3. Digest cost',
  async run(context: BenchContext): Promise<ScenarioReport> {
    const { hostnames, runs } = digestSize(context);
    const results = await digestRuns(context, hostnames, runs);
    const pick = (select: (run: DigestRun) => number | null) =>
      median(results.map((run) => select(run) ?? Number.NaN));
    const requests = pick((run) => run.requests);
    const budget = requestBudget(hostnames);
    const rateLimited = Math.max(...results.map((run) => run.rateLimited));
    const wallMs = pick((run) => run.durationMs);
    const maxRss = pick((run) => run.maxRssBytes);
    const naiveRequests = hostnames;
    const naiveMs = naiveMinimumMs(naiveRequests);
    const problems = [...new Set(results.flatMap((run) => run.problems))];
    const routes = [...new Set(results.flatMap((run) => Object.keys(run.requestsByRoute)))].sort();

    return {
      status: 'measured',
      setup:
        `One \`/aop-status digest\`-style run (\`queues.requestDigest\`) over ${formatCount(hostnames)} hostnames in ` +
        `${DIGEST_ZONES} zones (${formatCount(hostnames / DIGEST_ZONES)} each, discovered from the association list; five ` +
        `certificates per zone: 1% of hostnames expire in 4 days, 3% in 20, the rest in 120–400), timed from the request ` +
        `to the last digest message reaching the local Slack. Cloudflare answers after ${CLOUDFLARE_LATENCY_MS} ms and ` +
        `enforces ${formatCount(CLOUDFLARE_LIMIT.requests)} requests per ${CLOUDFLARE_LIMIT.windowMs / 60_000} minutes with ` +
        `429s; the bot uses its default limiter and concurrency. Median of ${runs} runs, each in a fresh bot process.`,
      rows: [
        {
          measure: 'Cloudflare requests',
          figure: formatCount(requests),
          target: `≤ ${formatCount(budget)} (4 per zone + 1 per extra 1,000 associations)`,
          verdict: requests <= budget ? 'pass' : 'miss',
        },
        {
          measure: 'Cloudflare requests per zone',
          figure: (requests / DIGEST_ZONES).toFixed(2),
          target: `≤ ${REQUESTS_PER_ZONE} (associations, hostname certificates, zone certificates, zone AOP switch; + 1 per extra 1,000 associations)`,
          verdict:
            requests / DIGEST_ZONES <=
            REQUESTS_PER_ZONE + Math.max(0, Math.ceil(hostnames / DIGEST_ZONES / 1000) - 1)
              ? 'pass'
              : 'miss',
        },
        {
          measure: '429s received (worst run)',
          figure: String(rateLimited),
          target: '0',
          verdict: rateLimited === 0 ? 'pass' : 'miss',
        },
        {
          measure: 'Wall time, request → digest posted',
          figure: formatSeconds(wallMs),
          target: `< ${MAX_WALL_MS / 1000} s`,
          verdict: wallMs < MAX_WALL_MS ? 'pass' : 'miss',
        },
        {
          measure: 'Peak RSS of the bot process',
          figure: formatMegabytes(maxRss),
          target: `< ${formatMegabytes(MAX_RSS_BYTES)}`,
          verdict: maxRss < MAX_RSS_BYTES ? 'pass' : 'miss',
        },
        {
          measure: '… of which: request → last Cloudflare answer',
          figure: formatSeconds(pick((run) => run.cloudflareDoneMs)),
          target: '',
          verdict: 'info',
        },
        {
          measure: '… request → first digest message at Slack',
          figure: formatSeconds(pick((run) => run.firstPostMs)),
          target: '',
          verdict: 'info',
        },
        {
          measure: 'Digest messages posted (parent + thread replies)',
          figure: formatCount(pick((run) => run.posted)),
          target: '',
          verdict: 'info',
        },
        {
          measure: 'Naive way: one status call per hostname',
          figure: `${formatCount(naiveRequests)} requests; ≥ ${formatSeconds(naiveMs)} (${Math.round(naiveMs / 60_000)} min) under the limit`,
          target: 'computed',
          verdict: 'info',
        },
        {
          measure: 'Naive ÷ measured: requests',
          figure: formatRatio(naiveRequests / requests),
          target: '',
          verdict: 'info',
        },
        {
          measure: 'Naive ÷ measured: time',
          figure: formatRatio(naiveMs / wallMs),
          target: '',
          verdict: 'info',
        },
        {
          measure: 'Share of the 5-minute budget used',
          figure: `${((requests / CLOUDFLARE_LIMIT.requests) * 100).toFixed(1)}% (naive: ${((naiveRequests / CLOUDFLARE_LIMIT.requests) * 100).toFixed(0)}%)`,
          target: '',
          verdict: 'info',
        },
      ],
      details: [
        {
          title: 'Per run',
          columns: [
            'Run',
            'Requests',
            ...routes,
            '429s',
            'Wall',
            'Last Cloudflare answer',
            'Messages',
            'Peak RSS (process)',
            'RSS before → peak during digest',
          ],
          rows: results.map((run, index) => [
            String(index + 1),
            formatCount(run.requests),
            ...routes.map((route) => formatCount(run.requestsByRoute[route] ?? 0)),
            String(run.rateLimited),
            formatSeconds(run.durationMs),
            formatSeconds(run.cloudflareDoneMs ?? Number.NaN),
            String(run.posted),
            formatMegabytes(run.maxRssBytes),
            `${formatMegabytes(run.baselineRssBytes)} → ${formatMegabytes(run.peakRssBytes)}`,
          ]),
        },
      ],
      notes: [
        `The naive figure is computed: ${formatCount(naiveRequests)} calls at ${formatCount(CLOUDFLARE_LIMIT.requests)} per ` +
          `${CLOUDFLARE_LIMIT.windowMs / 60_000} minutes need at least ${Math.floor((naiveRequests - 1) / CLOUDFLARE_LIMIT.requests)} ` +
          'further windows after the first, during which every slash-command lookup would wait for the same budget.',
        ...(problems.length > 0
          ? [`The bot logged warnings or errors: ${problems.slice(0, 3).join(' | ')}`]
          : []),
      ],
    };
  },
};
