/**
 * 4. Evaluation with nothing changed: 10,000 hostnames in 100 zones under the real Cloudflare
 * limit, two alert evaluations in a row in a fresh bot. The first opens the episodes; the second
 * sees exactly what the first saw, so it must say nothing to Slack and cost no more Cloudflare
 * requests than a digest.
 *
 * Few problems are seeded (1‰ critical, 1‰ warning: 20 episodes at 10,000 hostnames) because
 * every episode the first evaluation opens is a Slack post, paced at one per second per channel;
 * the default digest mix (1% + 3%) would make the first evaluation about 7 minutes long. The
 * second evaluation still has those 20 open episodes to leave alone.
 */

import { CLOUDFLARE_LATENCY_MS, CLOUDFLARE_LIMIT } from '../lib/constants.js';
import { type BenchContext, benchFile, type Scenario, startBot } from '../lib/context.js';
import type { ScenarioReport } from '../lib/report.js';
import { formatCount, formatMegabytes, formatSeconds, median } from '../lib/stats.js';
import { digestSize } from './digest.js';
import { DIGEST_ZONES, REAL_LIMIT_SHAPE, requestBudget, startSeededFakes } from './digest-runs.js';

const ALERT_CHANNEL = 'C0BENCHALERTS';
const CRITICAL_PER_MILLE = 1;
const WARNING_PER_MILLE = 1;

/** What one evaluation cost, read from the local servers before and after it. */
interface EvaluationFigures {
  durationMs: number;
  /** Every Slack Web API call the local Slack received during the evaluation. */
  slackCalls: number;
  /** chat.postMessage calls into the alert channel (parents and thread replies). */
  postMessages: number;
  /** The evaluator's own count of the Slack calls it made (from its summary log line). */
  evaluatorSlackCalls: number;
  /** Hostnames the evaluator assessed, and those whose transition had something to post. */
  hostnames: number;
  withActions: number;
  /** Evaluation attempts (more than one when BullMQ retried the job after a failed post). */
  attempts: number;
  requests: number;
  requestsByRoute: Record<string, number>;
  rateLimited: number;
  peakRssBytes: number;
  baselineRssBytes: number;
  /** The kernel's high-water mark for the whole bot process so far. */
  maxRssBytes: number;
}

interface EvaluationRun {
  first: EvaluationFigures;
  second: EvaluationFigures;
  problems: string[];
}

async function evaluationRunOnce(context: BenchContext, hostnames: number): Promise<EvaluationRun> {
  const { fakes } = context;
  const { baseUrl, apiUrl, zones } = await startSeededFakes(
    context,
    REAL_LIMIT_SHAPE,
    { hostnames, criticalPerMille: CRITICAL_PER_MILLE, warningPerMille: WARNING_PER_MILLE },
    120_000,
  );
  const bot = await startBot(context, {
    label: `evaluation${hostnames}`,
    cloudflareBaseUrl: baseUrl,
    slackApiUrl: apiUrl,
    // Zones without hostname lists, as in the digest scenario; the default limiter and Slack pacing.
    // The schedule never fires during a run, so only the evaluations the benchmark asks for run.
    file: benchFile({
      zones: zones.map((zone) => ({ id: zone.id, name: zone.name })),
      alerts: { channel: ALERT_CHANNEL, schedule: '0 0 1 1 *' },
    }),
  });
  try {
    const evaluate = async (): Promise<EvaluationFigures & { problems: string[] }> => {
      const cloudflareBefore = await fakes.call('cloudflareStats', {});
      const slackBefore = await fakes.call('slackStats', { channel: ALERT_CHANNEL });
      const run = await bot.handle.call('runEvaluation', { timeoutMs: 240_000 }, 250_000);
      const cloudflareAfter = await fakes.call('cloudflareStats', {});
      const slackAfter = await fakes.call('slackStats', { channel: ALERT_CHANNEL });
      const routes = new Set([
        ...Object.keys(cloudflareBefore.byRoute),
        ...Object.keys(cloudflareAfter.byRoute),
      ]);
      return {
        durationMs: run.durationMs,
        slackCalls: slackAfter.calls - slackBefore.calls,
        postMessages: slackAfter.postMessages - slackBefore.postMessages,
        evaluatorSlackCalls: run.slackCalls,
        hostnames: run.hostnames,
        withActions: run.withActions,
        attempts: run.attempts,
        requests: cloudflareAfter.requests - cloudflareBefore.requests,
        requestsByRoute: Object.fromEntries(
          [...routes].map((route) => [
            route,
            (cloudflareAfter.byRoute[route] ?? 0) - (cloudflareBefore.byRoute[route] ?? 0),
          ]),
        ),
        rateLimited: cloudflareAfter.rateLimited - cloudflareBefore.rateLimited,
        peakRssBytes: run.peakRssBytes,
        baselineRssBytes: run.baselineRssBytes,
        maxRssBytes: run.maxRssBytes,
        problems: run.problems,
      };
    };
    const { problems: _, ...first } = await evaluate();
    // The bot's list of warnings covers its whole life, so the last one read has them all.
    const { problems, ...second } = await evaluate();
    return { first, second, problems };
  } finally {
    await bot.stop();
    await fakes.call('resetSlack', {});
  }
}

export const evaluationScenario: Scenario = {
  id: 'evaluation',
  title: '4. Evaluation with nothing changed',
  async run(context: BenchContext): Promise<ScenarioReport> {
    const { hostnames, runs } = digestSize(context);
    const results: EvaluationRun[] = [];
    for (let index = 0; index < runs; index += 1) {
      const run = await evaluationRunOnce(context, hostnames);
      context.log(
        `evaluation ${formatCount(hostnames)} hostnames, run ${index + 1}/${runs}: first ${formatSeconds(run.first.durationMs)}, ` +
          `${run.first.slackCalls} Slack calls, ${run.first.requests} requests; second ${formatSeconds(run.second.durationMs)}, ` +
          `${run.second.slackCalls} Slack calls, ${run.second.requests} requests, peak RSS ${formatMegabytes(run.second.peakRssBytes)}`,
      );
      results.push(run);
    }
    const pick = (select: (run: EvaluationRun) => number) => median(results.map(select));
    // Counts that must be zero are reported at their worst, not their median.
    const worst = (select: (run: EvaluationRun) => number) => Math.max(...results.map(select));
    const budget = requestBudget(hostnames);
    const secondSlackCalls = worst((run) => run.second.slackCalls);
    const secondEvaluatorCalls = worst((run) => run.second.evaluatorSlackCalls);
    const secondRequests = pick((run) => run.second.requests);
    const rateLimited = worst((run) => run.first.rateLimited + run.second.rateLimited);
    const episodes = pick((run) => run.first.postMessages);
    const problems = [...new Set(results.flatMap((run) => run.problems))];
    const routes = [
      ...new Set(
        results.flatMap((run) => [
          ...Object.keys(run.first.requestsByRoute),
          ...Object.keys(run.second.requestsByRoute),
        ]),
      ),
    ].sort();

    return {
      status: 'measured',
      setup:
        `Two alert evaluations in a row (\`queues.requestEvaluation\`, each timed until the evaluator has logged its ` +
        `summary and the queues are idle) over ${formatCount(hostnames)} hostnames in ${DIGEST_ZONES} zones, discovered ` +
        `from the association list, with \`alerts.channel\` set; nothing changes between the two. The inventory has ` +
        `${CRITICAL_PER_MILLE}‰ of hostnames critical (4 days left) and ${WARNING_PER_MILLE}‰ warning (20 days), the rest ` +
        `fine, so the first evaluation opens ${formatCount(episodes)} episodes (one parent each, posted at the bot's ` +
        `one message per second per channel) and the second has those open episodes to leave alone. Cloudflare ` +
        `answers after ${CLOUDFLARE_LATENCY_MS} ms and enforces ${formatCount(CLOUDFLARE_LIMIT.requests)} requests per ` +
        `${CLOUDFLARE_LIMIT.windowMs / 60_000} minutes with 429s; the bot uses its default limiter, concurrency and ` +
        `pacing. Slack calls and Cloudflare requests are what the local servers received during each evaluation. ` +
        `Median of ${runs} runs, each in a fresh bot process with a fresh Redis prefix (no alert state carried over).`,
      rows: [
        {
          measure: 'Second evaluation: Slack calls (worst run)',
          figure: formatCount(secondSlackCalls),
          target: '0',
          verdict: secondSlackCalls === 0 ? 'pass' : 'miss',
        },
        {
          measure: 'Second evaluation: Cloudflare requests',
          figure: formatCount(secondRequests),
          target: `≤ ${formatCount(budget)} (the digest's budget: 4 per zone + 1 per extra 1,000 associations)`,
          verdict: secondRequests <= budget ? 'pass' : 'miss',
        },
        {
          measure: '429s received over both evaluations (worst run)',
          figure: String(rateLimited),
          target: '0',
          verdict: rateLimited === 0 ? 'pass' : 'miss',
        },
        {
          measure: 'Second evaluation: wall time, request → evaluated and queues idle',
          figure: formatSeconds(pick((run) => run.second.durationMs)),
          target: '',
          verdict: 'info',
        },
        {
          measure: 'Second evaluation: peak RSS of the bot process (sampled every 20 ms)',
          figure: formatMegabytes(pick((run) => run.second.peakRssBytes)),
          target: '',
          verdict: 'info',
        },
        {
          measure: "Second evaluation: Slack calls by the evaluator's own count (worst run)",
          figure: formatCount(secondEvaluatorCalls),
          target: '',
          verdict: 'info',
        },
        {
          measure: 'Second evaluation: hostnames assessed / with something to post',
          figure: `${formatCount(pick((run) => run.second.hostnames))} / ${formatCount(pick((run) => run.second.withActions))}`,
          target: '',
          verdict: 'info',
        },
        {
          measure: 'For context, first evaluation: Slack calls / episodes opened',
          figure: `${formatCount(pick((run) => run.first.slackCalls))} / ${formatCount(pick((run) => run.first.withActions))}`,
          target: '',
          verdict: 'info',
        },
        {
          measure: 'For context, first evaluation: wall time / Cloudflare requests',
          figure: `${formatSeconds(pick((run) => run.first.durationMs))} / ${formatCount(pick((run) => run.first.requests))}`,
          target: '',
          verdict: 'info',
        },
      ],
      details: [
        {
          title: 'Per run',
          columns: [
            'Run',
            'Evaluation',
            'Wall',
            'Slack calls',
            'Messages to the alert channel',
            'Requests',
            ...routes,
            '429s',
            'Attempts',
            'RSS before → peak during',
            'Process high-water RSS',
          ],
          rows: results.flatMap((run, index) =>
            (['first', 'second'] as const).map((which) => {
              const figures = run[which];
              return [
                String(index + 1),
                which,
                formatSeconds(figures.durationMs),
                formatCount(figures.slackCalls),
                formatCount(figures.postMessages),
                formatCount(figures.requests),
                ...routes.map((route) => formatCount(figures.requestsByRoute[route] ?? 0)),
                String(figures.rateLimited),
                String(figures.attempts),
                `${formatMegabytes(figures.baselineRssBytes)} → ${formatMegabytes(figures.peakRssBytes)}`,
                formatMegabytes(figures.maxRssBytes),
              ];
            }),
          ),
        },
      ],
      notes: [
        "The first evaluation's wall time is mostly Slack pacing: its parents go to one channel at one message per " +
          'second, so it grows with the number of episodes it opens, not with the inventory.',
        ...(problems.length > 0
          ? [`The bot logged warnings or errors: ${problems.slice(0, 3).join(' | ')}`]
          : []),
      ],
    };
  },
};
