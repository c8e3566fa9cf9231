/**
 * 9. One sweep, one, two and four worker processes: the processes share one rate limit through
 * Redis, so adding workers must not add 429s, and must not make the sweep slower. The sweep is
 * scenario 7's, 100,000 hostnames in 1,000 zones.
 */
import { backgroundRequestLimit } from '../../src/inventory/budget-plan.js';
import type { SeededZone } from '../children/fakes.js';
import { CLOUDFLARE_LATENCY_MS, CLOUDFLARE_LIMIT } from '../lib/constants.js';
import { type BenchContext, benchFile, type RunningBot, type Scenario, startBot } from '../lib/context.js';
import { benchPrefix } from '../lib/redis.js';
import type { ScenarioReport } from '../lib/report.js';
import { formatCount, formatSeconds } from '../lib/stats.js';
import { restartSeededCloudflare, startSeededFakes } from './digest-runs.js';
import { type SweepShape, sweepShape } from './reserve.js';
import { lowerBoundMs, scaleShape } from './scale.js';

const WORKER_COUNTS = [1, 2, 4] as const;
/** More workers may finish this much later than one before it counts as slower (scheduling noise). */
const SLOWER_ALLOWED = 1.1;
const DIGEST_CHANNEL = 'C0BENCHWORKERS';

interface SweepRun {
  workers: number;
  requests: number;
  rateLimited: number;
  durationMs: number;
  /** CPU seconds each process used during the sweep, the one that took the request first. */
  cpuMs: number[];
}

/**
 * Scenario 7's sweep at full size; for `--quick`, scenario 8's small one, so that the three runs
 * take seconds.
 */
function workersShape(context: BenchContext): SweepShape {
  return context.quick ? sweepShape(context) : scaleShape(context);
}

interface SeededInventory {
  shape: SweepShape;
  zones: SeededZone[];
  slackApiUrl: string;
}

async function sweepWith(
  context: BenchContext,
  inventory: SeededInventory,
  workers: number,
): Promise<SweepRun> {
  const { shape, zones } = inventory;
  const { fakes } = context;
  // Every run meets a Cloudflare that has counted nothing and has its whole window to give.
  const baseUrl = await restartSeededCloudflare(context, shape);
  const prefix = benchPrefix(`workers${workers}`);
  const common = {
    label: `workers${workers}`,
    cloudflareBaseUrl: baseUrl,
    slackApiUrl: inventory.slackApiUrl,
    prefix,
    file: benchFile({
      zones: zones.map((zone) => ({ id: zone.id, name: zone.name })),
      cloudflare: {
        rate_limit: { requests: shape.limit.requests, per_seconds: shape.limit.windowMs / 1000 },
      },
    }),
  };
  // One process with every role (it takes the request), the others workers only, as
  // `docker compose up --scale worker=N` runs them.
  const bots: RunningBot[] = [];
  try {
    bots.push(await startBot(context, { ...common, role: 'all' }));
    for (let index = 1; index < workers; index += 1)
      bots.push(await startBot(context, { ...common, role: 'worker' }));
    const cpuBefore = await Promise.all(bots.map((bot) => bot.handle.call('cpuMs', {})));
    const timeoutMs = 10 * 60_000;
    // Only the process that assembles the digest logs it; whichever that is ends the wait.
    const finishes = bots.map((bot) => bot.handle.call('digestDone', { timeoutMs }, timeoutMs + 10_000));
    const primary = bots[0] as RunningBot;
    const { requestedAtMs } = await primary.handle.call('requestDigest', { channel: DIGEST_CHANNEL });
    const finishedAtMs = await new Promise<number>((resolve, reject) => {
      let pending = finishes.length;
      for (const finish of finishes) {
        finish.then(
          (result) => {
            pending -= 1;
            if (result.done) resolve(result.atMs);
            else if (pending === 0)
              reject(new Error(`no process finished the digest within ${timeoutMs} ms`));
          },
          () => {
            pending -= 1;
            if (pending === 0) reject(new Error('every process stopped before the digest finished'));
          },
        );
      }
    });
    const cpuAfter = await Promise.all(bots.map((bot) => bot.handle.call('cpuMs', {})));
    const cloudflare = await fakes.call('cloudflareStats', {});
    const run: SweepRun = {
      workers,
      requests: cloudflare.requests,
      rateLimited: cloudflare.rateLimited,
      durationMs: finishedAtMs - requestedAtMs,
      cpuMs: cpuAfter.map((after, index) => after.cpuMs - (cpuBefore[index]?.cpuMs ?? 0)),
    };
    context.log(
      `sweep with ${workers} worker(s): ${run.requests} requests, ${run.rateLimited} × 429, ` +
        `${(run.durationMs / 1000).toFixed(1)} s, CPU ${run.cpuMs.map((ms) => (ms / 1000).toFixed(1)).join(' / ')} s`,
    );
    return run;
  } finally {
    // The others first: the process with every role owns the schedulers.
    for (const bot of bots.reverse()) await bot.stop();
    await fakes.call('resetSlack', {});
  }
}

export const workersScenario: Scenario = {
  id: 'workers',
  title: '9. One sweep, several workers',
  async run(context: BenchContext): Promise<ScenarioReport> {
    const shape = workersShape(context);
    const seeded = await startSeededFakes(context, shape, shape);
    const inventory: SeededInventory = { shape, zones: seeded.zones, slackApiUrl: seeded.apiUrl };
    const runs: SweepRun[] = [];
    for (const workers of WORKER_COUNTS) runs.push(await sweepWith(context, inventory, workers));
    const single = runs[0] as SweepRun;
    const background = backgroundRequestLimit(shape.limit.requests);
    const boundMs = lowerBoundMs(single.requests, shape.limit);
    const timeScale = CLOUDFLARE_LIMIT.windowMs / shape.limit.windowMs;
    // Cloudflare's requests per window over a shorter window (not so in `--quick`).
    const realLimitScaled = shape.limit.requests === CLOUDFLARE_LIMIT.requests;
    return {
      status: 'measured',
      setup:
        `One digest of ${formatCount(shape.hostnames)} hostnames in ${formatCount(shape.zones)} zones ` +
        `(${formatCount(shape.hostnames / shape.zones)} each, discovered from the association list; the certificate mix of ` +
        `scenario 3)${context.quick ? '' : ', the sweep of scenario 7'}, three times: with one process (\`AOP_ROLE=all\`), ` +
        'then with one `all` and one `worker` process, then one `all` and three `worker` processes, each run on a fresh ' +
        `Redis prefix shared by its processes. The local Cloudflare answers after ${CLOUDFLARE_LATENCY_MS} ms and enforces ` +
        `${formatCount(shape.limit.requests)} requests per ${formatSeconds(shape.limit.windowMs)} with 429s (` +
        (realLimitScaled
          ? `Cloudflare's ${formatCount(CLOUDFLARE_LIMIT.requests)} per ${formatSeconds(CLOUDFLARE_LIMIT.windowMs)} with ` +
            `the window ${formatCount(timeScale)}× shorter, as in scenario 7; `
          : '') +
        'every process is given the same limit). The digest needs more than the ' +
        `${formatCount(background)} requests a window background work may use, so the shared limit, not the workers, ` +
        'sets the pace. The inventory is seeded once; before each run the local Cloudflare is restarted over it, with ' +
        'no request counted and its whole window free. Time is from the request to the digest logged as posted by ' +
        'whichever process assembled it.',
      rows: runs.flatMap((run) => [
        {
          measure: `${run.workers} ${run.workers === 1 ? 'process' : 'processes'}: 429s received`,
          figure: String(run.rateLimited),
          target: '0',
          verdict: run.rateLimited === 0 ? ('pass' as const) : ('miss' as const),
        },
        {
          measure: `${run.workers} ${run.workers === 1 ? 'process' : 'processes'}: Cloudflare requests / wall time`,
          figure: `${formatCount(run.requests)} / ${formatSeconds(run.durationMs)}`,
          target:
            run.workers === 1
              ? `lower bound ${formatSeconds(boundMs)}`
              : `wall ≤ ${SLOWER_ALLOWED}× one process's (${formatSeconds(single.durationMs * SLOWER_ALLOWED)})`,
          verdict:
            run.workers === 1
              ? ('info' as const)
              : run.durationMs <= single.durationMs * SLOWER_ALLOWED
                ? ('pass' as const)
                : ('miss' as const),
        },
        {
          measure: `${run.workers} ${run.workers === 1 ? 'process' : 'processes'}: CPU used by each process`,
          figure: run.cpuMs.map((ms) => formatSeconds(ms)).join(' / '),
          target: '',
          verdict: 'info' as const,
        },
      ]),
      details: [],
      notes: [
        'CPU time is listed with the `all` process first: workers that used CPU took zone checks, so the sweep was ' +
          'spread over them.',
        `The lower bound is the sliding window's: ${formatCount(background)} requests at once, then ${formatCount(background)} more ` +
          `each ${formatSeconds(shape.limit.windowMs)}. More workers cannot beat it; they can only add 429s or lose time ` +
          'to contention, which is what this measures.',
        ...(realLimitScaled
          ? [
              `At Cloudflare's real window every time governed by the limit is ${formatCount(timeScale)}× longer: the ` +
                `lower bound for these ${formatCount(single.requests)} requests is ` +
                `${formatSeconds(lowerBoundMs(single.requests, CLOUDFLARE_LIMIT))}.`,
            ]
          : []),
      ],
    };
  },
};
