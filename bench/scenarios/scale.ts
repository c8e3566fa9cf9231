/**
 * 7. Scale: one digest and one alert evaluation of 100,000 hostnames in 1,000 zones, the local Cloudflare enforcing a limit
 * with 429s. At Cloudflare's real 1,200 per 300 s the 4,000 requests need over 20 minutes, too long
 * for a benchmark run; so the window is scaled down tenfold (1,200 per 30 s, the bot told the same
 * as its `cloudflare.rate_limit`). The requests per window, the pacing across windows and the
 * people's reserve are the real ones; every time the limit governs is a tenth of the real one, and
 * the real figure is given beside it.
 */
import { backgroundRequestLimit } from '../../src/inventory/budget-plan.js';
import { CLOUDFLARE_LIMIT } from '../lib/constants.js';
import { type BenchContext, benchFile, type Scenario, startBot } from '../lib/context.js';
import type { ScenarioReport } from '../lib/report.js';
import { formatCount, formatMegabytes, formatSeconds } from '../lib/stats.js';
import {
  type DigestRun,
  type DigestShape,
  digestRuns,
  requestBudget,
  startSeededFakes,
} from './digest-runs.js';

const MAX_RSS_BYTES = 250 * 1024 * 1024;
/** The real window is this many times the one the local Cloudflare enforces here. */
const TIME_SCALE = 10;
/** The lower bound may be missed by this much (zone checks in flight, Slack pacing after the last request). */
const WALL_TOLERANCE = 1.5;

const ALERT_CHANNEL = 'C0BENCHSCALEALERTS';

interface EvaluationAtScale {
  requests: number;
  rateLimited: number;
  durationMs: number;
  hostnames: number;
  slackCalls: number;
  peakRssBytes: number;
  baselineRssBytes: number;
  peakHeapUsedBytes: number;
  problems: string[];
}

/**
 * Two alert evaluations of the same inventory with nothing to alert about, one after the other in a
 * fresh bot against a fresh local Cloudflare: what an evaluation of every hostname costs in memory,
 * with no Slack pacing in the way. The first stores a small state per hostname; the second reads
 * them back (a page of hostnames at a time, beside that page's checks).
 */
async function evaluateTwice(
  context: BenchContext,
  shape: DigestShape & { hostnames: number },
): Promise<[EvaluationAtScale, EvaluationAtScale]> {
  const { fakes } = context;
  const { baseUrl, apiUrl, zones } = await startSeededFakes(context, shape, {
    hostnames: shape.hostnames,
    criticalPerMille: 0,
    warningPerMille: 0,
  });
  const bot = await startBot(context, {
    label: `scale-evaluation${shape.hostnames}`,
    cloudflareBaseUrl: baseUrl,
    slackApiUrl: apiUrl,
    file: benchFile({
      zones: zones.map((zone) => ({ id: zone.id, name: zone.name })),
      alerts: { channel: ALERT_CHANNEL, schedule: '0 0 1 1 *' },
      cloudflare: {
        rate_limit: { requests: shape.limit.requests, per_seconds: shape.limit.windowMs / 1000 },
      },
    }),
  });
  const evaluateOnce = async (which: string, before: { requests: number; rateLimited: number }) => {
    const timeoutMs = 15 * 60_000;
    const run = await bot.handle.call('runEvaluation', { timeoutMs }, timeoutMs + 10_000);
    const cloudflare = await fakes.call('cloudflareStats', {});
    const requests = cloudflare.requests - before.requests;
    context.log(
      `${which} evaluation ${formatCount(shape.hostnames)} hostnames in ${shape.zones} zones: ${requests} requests, ` +
        `${(run.durationMs / 1000).toFixed(1)} s, peak RSS ${(run.peakRssBytes / 1048576).toFixed(0)} MB`,
    );
    const evaluation: EvaluationAtScale = {
      requests,
      rateLimited: cloudflare.rateLimited - before.rateLimited,
      durationMs: run.durationMs,
      hostnames: run.hostnames,
      slackCalls: run.slackCalls,
      peakRssBytes: run.peakRssBytes,
      baselineRssBytes: run.baselineRssBytes,
      peakHeapUsedBytes: run.peakHeapUsedBytes,
      problems: run.problems,
    };
    return { evaluation, counts: { requests: cloudflare.requests, rateLimited: cloudflare.rateLimited } };
  };
  try {
    const first = await evaluateOnce('first', { requests: 0, rateLimited: 0 });
    const second = await evaluateOnce('second', first.counts);
    return [first.evaluation, second.evaluation];
  } finally {
    await bot.stop();
    await fakes.call('resetSlack', {});
  }
}

/**
 * 100,000 hostnames in 1,000 zones under Cloudflare's 1,200 requests per window, the window
 * `TIME_SCALE` times shorter than the real 5 minutes (10,000 in 100 zones for `--quick`).
 */
export function scaleShape(context: BenchContext): DigestShape & { hostnames: number } {
  return context.quick
    ? { hostnames: 10_000, zones: 100, limit: { requests: 120, windowMs: 3_000 } }
    : {
        hostnames: 100_000,
        zones: 1_000,
        limit: { requests: CLOUDFLARE_LIMIT.requests, windowMs: CLOUDFLARE_LIMIT.windowMs / TIME_SCALE },
      };
}

/**
 * The least time `requests` background requests take under a sliding window of `limit.requests`
 * per `limit.windowMs`, of which background work may use `backgroundRequestLimit`: one window's
 * share at once, then one more window per further share.
 *
 * @example lowerBoundMs(4_000, { requests: 1_200, windowMs: 300_000 }) // 4 windows = 1,200,000
 */
export function lowerBoundMs(requests: number, limit: { requests: number; windowMs: number }): number {
  const perWindow = backgroundRequestLimit(limit.requests);
  return Math.floor((requests - 1) / perWindow) * limit.windowMs;
}

export const scaleScenario: Scenario = {
  id: 'scale',
  title: '7. 100,000 hostnames in 1,000 zones',
  async run(context: BenchContext): Promise<ScenarioReport> {
    const shape = scaleShape(context);
    const runs = await digestRuns(context, shape.hostnames, 1, shape);
    const run = runs[0] as DigestRun;
    const [evaluation, again] = await evaluateTwice(context, shape);
    const budget = requestBudget(shape.hostnames, shape.zones);
    const background = backgroundRequestLimit(shape.limit.requests);
    const boundMs = lowerBoundMs(run.requests, shape.limit);
    const realBoundMs = lowerBoundMs(run.requests, CLOUDFLARE_LIMIT);
    const cloudflareMs = run.cloudflareDoneMs ?? Number.NaN;
    const wallTarget = Math.max(boundMs, shape.limit.windowMs) * WALL_TOLERANCE;
    const timeScale = CLOUDFLARE_LIMIT.windowMs / shape.limit.windowMs;
    const scaled = timeScale !== 1;
    const perSecond = (shape.limit.requests / shape.limit.windowMs) * 1000;
    return {
      status: 'measured',
      setup:
        `One \`/aop-status digest\`-style run over ${formatCount(shape.hostnames)} hostnames in ${formatCount(shape.zones)} ` +
        `zones (${formatCount(shape.hostnames / shape.zones)} each, discovered from the association list; the certificate mix ` +
        `of scenario 3), in a fresh bot process. The local Cloudflare answers after 50 ms and enforces ` +
        `${formatCount(shape.limit.requests)} requests per ${formatSeconds(shape.limit.windowMs)} with 429s; the bot is given ` +
        `the same limit and keeps its reserve for people, so a digest may use ${formatCount(background)} requests a window. ` +
        (scaled
          ? `The window is ${formatCount(timeScale)}× shorter than Cloudflare's 5 minutes so that a run takes minutes, not ` +
            'half an hour: the pacing across windows and the reserve are the real ones, and times governed by the limit ' +
            `are 1/${formatCount(timeScale)} of the real ones.`
          : ''),
      rows: [
        {
          measure: 'Cloudflare requests',
          figure: formatCount(run.requests),
          target: `≤ ${formatCount(budget)} (4 per zone)`,
          verdict: run.requests <= budget ? 'pass' : 'miss',
        },
        {
          measure: '429s received',
          figure: String(run.rateLimited),
          target: '0',
          verdict: run.rateLimited === 0 ? 'pass' : 'miss',
        },
        {
          measure: 'Request → last Cloudflare answer',
          figure: formatSeconds(cloudflareMs),
          target: `lower bound ${formatSeconds(boundMs)} (${formatCount(run.requests)} requests at ${formatCount(background)} a window)`,
          verdict: 'info',
        },
        {
          measure: 'Wall time, request → digest posted',
          figure: formatSeconds(run.durationMs),
          target: `≤ ${WALL_TOLERANCE}× the lower bound (${formatSeconds(wallTarget)})`,
          verdict: run.durationMs <= wallTarget ? 'pass' : 'miss',
        },
        ...(scaled
          ? [
              {
                measure: 'The same at the real window: lower bound',
                figure: `${formatSeconds(realBoundMs)} (${Math.round(realBoundMs / 60_000)} min)`,
                target: 'computed',
                verdict: 'info' as const,
              },
            ]
          : []),
        {
          measure: 'Peak RSS of the bot process during the digest',
          figure: formatMegabytes(run.peakRssBytes),
          target: `< ${formatMegabytes(MAX_RSS_BYTES)}`,
          verdict: run.peakRssBytes < MAX_RSS_BYTES ? 'pass' : 'miss',
        },
        {
          measure: 'Process high-water RSS (start-up included) / RSS before the digest',
          figure: `${formatMegabytes(run.maxRssBytes)} / ${formatMegabytes(run.baselineRssBytes)}`,
          target: '',
          verdict: 'info',
        },
        {
          measure: 'Peak heap used during the digest',
          figure: formatMegabytes(run.peakHeapUsedBytes),
          target: '',
          verdict: 'info',
        },
        {
          measure: 'Digest messages posted (parent + thread replies)',
          figure: formatCount(run.posted),
          target: '',
          verdict: 'info',
        },
        {
          measure: 'Zone snapshots in Redis',
          figure: formatMegabytes(run.snapshotBytes),
          target: '',
          verdict: 'info',
        },
        {
          measure: 'Alert evaluation (nothing to alert): requests / 429s / wall',
          figure: `${formatCount(evaluation.requests)} / ${evaluation.rateLimited} / ${formatSeconds(evaluation.durationMs)}`,
          target: `429s: 0; wall ≤ ${formatSeconds(wallTarget)}`,
          verdict: evaluation.rateLimited === 0 && evaluation.durationMs <= wallTarget ? 'pass' : 'miss',
        },
        {
          measure: 'Alert evaluation: hostnames evaluated / Slack calls',
          figure: `${formatCount(evaluation.hostnames)} / ${formatCount(evaluation.slackCalls)}`,
          target: '',
          verdict: 'info',
        },
        {
          measure: 'Alert evaluation: peak RSS (RSS before) / peak heap used',
          figure: `${formatMegabytes(evaluation.peakRssBytes)} (${formatMegabytes(evaluation.baselineRssBytes)}) / ${formatMegabytes(evaluation.peakHeapUsedBytes)}`,
          target: `< ${formatMegabytes(MAX_RSS_BYTES)}`,
          verdict: evaluation.peakRssBytes < MAX_RSS_BYTES ? 'pass' : 'miss',
        },
        {
          measure: 'Second alert evaluation (every hostname has a stored state): requests / 429s / wall',
          figure: `${formatCount(again.requests)} / ${again.rateLimited} / ${formatSeconds(again.durationMs)}`,
          target: `429s: 0; wall ≤ ${formatSeconds(wallTarget)}`,
          verdict: again.rateLimited === 0 && again.durationMs <= wallTarget ? 'pass' : 'miss',
        },
        {
          measure: 'Second alert evaluation: hostnames evaluated / Slack calls',
          figure: `${formatCount(again.hostnames)} / ${formatCount(again.slackCalls)}`,
          target: '0 Slack calls',
          verdict: again.slackCalls === 0 ? 'pass' : 'miss',
        },
        {
          measure: 'Second alert evaluation: peak RSS (RSS before) / peak heap used',
          figure: `${formatMegabytes(again.peakRssBytes)} (${formatMegabytes(again.baselineRssBytes)}) / ${formatMegabytes(again.peakHeapUsedBytes)}`,
          target: `< ${formatMegabytes(MAX_RSS_BYTES)}`,
          verdict: again.peakRssBytes < MAX_RSS_BYTES ? 'pass' : 'miss',
        },
      ],
      details: [],
      notes: [
        `The lower bound is the sliding window's: ${formatCount(background)} requests at once, then ${formatCount(background)} ` +
          `more each ${formatSeconds(shape.limit.windowMs)} (${perSecond.toFixed(0)} requests a second of limit, ` +
          `${formatCount(shape.limit.requests - background)} a window kept for lookups and Refresh clicks).`,
        `Requests by endpoint: ${Object.entries(run.requestsByRoute)
          .map(([route, count]) => `${route} ${formatCount(count)}`)
          .join(', ')}.`,
        `Measured once per run of the benchmarks: one run seeds and reads ${formatCount(shape.hostnames)} hostnames.`,
        'The alert evaluations run in a second fresh bot against a freshly seeded local Cloudflare with no ' +
          'certificate near expiry, so they post nothing and only their reading and bookkeeping are measured. Unlike ' +
          "a digest, an evaluation looks at every hostname's check (recoveries and moves to a new certificate are told " +
          'per hostname): it reads them, with their stored states, 50 zones at a time. The first stores a small state ' +
          'per hostname (its last switch seen); the second, right after it, reads them back.',
        ...[...new Set([...run.problems, ...evaluation.problems, ...again.problems])]
          .slice(0, 3)
          .map((problem) => `The bot logged: ${problem}`),
      ],
    };
  },
};
