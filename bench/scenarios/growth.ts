/**
 * 5. Growth: the digest at 1,000, 10,000 and 100,000 hostnames in 100 zones, each run in a fresh
 * process so that each size's peak memory is its own.
 */
import os from 'node:os';
import type { BenchContext, Scenario } from '../lib/context.js';
import type { ScenarioReport } from '../lib/report.js';
import { REPO_ROOT } from '../lib/rpc.js';
import { startHeapFlags } from '../lib/start-flags.js';
import { formatCount, formatMegabytes, formatRatio, formatSeconds, median } from '../lib/stats.js';
import { digestSize } from './digest.js';
import { DIGEST_ZONES, type DigestRun, digestRuns, requestBudget } from './digest-runs.js';

/** Flat memory: 1,000 more hostnames may add at most this much to the digest's peak RSS. */
const MAX_MB_PER_THOUSAND = 1;
/** One process through a 100,000-hostname digest in 1,000 zones (scenario 7 holds the target). */
const MAX_RSS_BYTES = 250 * 1024 * 1024;
const MB = 1024 * 1024;

interface SizeFigures {
  hostnames: number;
  runs: DigestRun[];
  wallMs: number;
  requests: number;
  maxRssBytes: number;
  peakRssBytes: number;
  baselineRssBytes: number;
  peakHeapUsedBytes: number;
  snapshotBytes: number;
  cloudflareDoneMs: number;
  posted: number;
}

function figuresOf(hostnames: number, runs: DigestRun[]): SizeFigures {
  const pick = (select: (run: DigestRun) => number) => median(runs.map(select));
  return {
    hostnames,
    runs,
    wallMs: pick((run) => run.durationMs),
    requests: pick((run) => run.requests),
    maxRssBytes: pick((run) => run.maxRssBytes),
    peakRssBytes: pick((run) => run.peakRssBytes),
    baselineRssBytes: pick((run) => run.baselineRssBytes),
    peakHeapUsedBytes: pick((run) => run.peakHeapUsedBytes),
    snapshotBytes: pick((run) => run.snapshotBytes),
    cloudflareDoneMs: pick((run) => run.cloudflareDoneMs ?? Number.NaN),
    posted: pick((run) => run.posted),
  };
}

/** MB of peak RSS per 1,000 more hostnames between two sizes. */
function megabytesPerThousand(from: SizeFigures, to: SizeFigures): number {
  return (to.peakRssBytes - from.peakRssBytes) / MB / ((to.hostnames - from.hostnames) / 1000);
}

export const growthScenario: Scenario = {
  id: 'growth',
  title: '5. Growth',
  async run(context: BenchContext): Promise<ScenarioReport> {
    const middle = digestSize(context);
    const sizes = context.quick ? [1_000, middle.hostnames, 5_000] : [1_000, middle.hostnames, 100_000];
    // The largest size is measured fewer times: each run seeds and reads 100,000 hostnames.
    const runsOf = (hostnames: number) =>
      hostnames > middle.hostnames ? Math.min(2, middle.runs) : middle.runs;
    const figures: SizeFigures[] = [];
    for (const hostnames of sizes) {
      figures.push(figuresOf(hostnames, await digestRuns(context, hostnames, runsOf(hostnames))));
    }
    const [small, medium, large] = figures as [SizeFigures, SizeFigures, SizeFigures];
    // The largest size once more with the heap node picks by itself on this host, for comparison.
    const defaultHeap = figuresOf(
      large.hostnames,
      await digestRuns(context, large.hostnames, 1, undefined, { nodeDefaultHeap: true }),
    );
    const heapFlags = startHeapFlags(REPO_ROOT);
    const firstStep = megabytesPerThousand(small, medium);
    const secondStep = megabytesPerThousand(medium, large);
    const overall = megabytesPerThousand(small, large);
    const inventoryPerThousand =
      (large.snapshotBytes - small.snapshotBytes) / MB / ((large.hostnames - small.hostnames) / 1000);
    const rssGrowth = large.peakRssBytes / small.peakRssBytes;
    const inventoryGrowth = large.hostnames / small.hostnames;

    return {
      status: 'measured',
      setup:
        `The digest of scenario 3 at ${sizes.map((size) => formatCount(size)).join(', ')} hostnames in ${DIGEST_ZONES} zones ` +
        `(same certificate mix, real rate limit, 50 ms Cloudflare latency), median of ${sizes.map((size) => runsOf(size)).join(', ')} ` +
        'runs, each in a fresh bot process. Peak RSS is sampled every 20 ms during the digest; the process high-water mark (start-up ' +
        'included) is shown beside it. The inventory size is what the zone snapshots take in Redis.',
      rows: [
        ...figures.map((size) => ({
          measure: `${formatCount(size.hostnames)} hostnames: wall / requests / peak RSS`,
          figure: `${formatSeconds(size.wallMs)} / ${formatCount(size.requests)} / ${formatMegabytes(size.peakRssBytes)}`,
          target: `requests ≤ ${formatCount(requestBudget(size.hostnames))}`,
          verdict: size.requests <= requestBudget(size.hostnames) ? ('pass' as const) : ('miss' as const),
        })),
        {
          measure: `Peak RSS per 1,000 more hostnames, ${formatCount(small.hostnames)} → ${formatCount(medium.hostnames)}`,
          figure: `${firstStep.toFixed(2)} MB`,
          target: '',
          verdict: 'info',
        },
        {
          measure: `Peak RSS per 1,000 more hostnames, ${formatCount(medium.hostnames)} → ${formatCount(large.hostnames)}`,
          figure: `${secondStep.toFixed(2)} MB`,
          target: `≤ ${MAX_MB_PER_THOUSAND} MB`,
          verdict: secondStep <= MAX_MB_PER_THOUSAND ? 'pass' : 'miss',
        },
        {
          measure: `Peak RSS per 1,000 more hostnames, ${formatCount(small.hostnames)} → ${formatCount(large.hostnames)}`,
          figure: `${overall.toFixed(2)} MB`,
          target: `≤ ${MAX_MB_PER_THOUSAND} MB`,
          verdict: overall <= MAX_MB_PER_THOUSAND ? 'pass' : 'miss',
        },
        {
          measure: `Peak RSS during the ${formatCount(large.hostnames)}-hostname digest (${formatCount(large.hostnames / DIGEST_ZONES)} hostnames a zone)`,
          figure: formatMegabytes(large.peakRssBytes),
          target: `${formatMegabytes(MAX_RSS_BYTES)} is scenario 7's target (100 hostnames a zone)`,
          verdict: 'info',
        },
        {
          measure: `Peak RSS during the ${formatCount(large.hostnames)}-hostname digest without \`${heapFlags.join(' ')}\` (node's default heap on this ${(os.totalmem() / 1024 ** 3).toFixed(1)} GB host), one run`,
          figure: formatMegabytes(defaultHeap.peakRssBytes),
          target: '',
          verdict: 'info',
        },
        {
          measure: 'Inventory (zone snapshots in Redis) per 1,000 hostnames',
          figure: `${inventoryPerThousand.toFixed(2)} MB`,
          target: '',
          verdict: 'info',
        },
        {
          measure: `Peak RSS growth ÷ inventory growth, ${formatCount(small.hostnames)} → ${formatCount(large.hostnames)}`,
          figure: `${formatRatio(rssGrowth)} ÷ ${formatRatio(inventoryGrowth)}`,
          target: '≤ 1',
          verdict: rssGrowth <= inventoryGrowth ? 'pass' : 'miss',
        },
      ],
      details: [
        {
          title: 'Per size (medians)',
          columns: [
            'Hostnames',
            'Wall',
            'Last Cloudflare answer',
            'Messages posted',
            'Requests',
            'RSS before digest',
            'Peak RSS during digest',
            'Peak heap used',
            'Process high-water RSS',
            'Snapshots in Redis',
          ],
          rows: figures.map((size) => [
            formatCount(size.hostnames),
            formatSeconds(size.wallMs),
            formatSeconds(size.cloudflareDoneMs),
            formatCount(size.posted),
            formatCount(size.requests),
            formatMegabytes(size.baselineRssBytes),
            formatMegabytes(size.peakRssBytes),
            formatMegabytes(size.peakHeapUsedBytes),
            formatMegabytes(size.maxRssBytes),
            formatMegabytes(size.snapshotBytes),
          ]),
        },
      ],
      notes: [
        `Here a zone holds ${formatCount(large.hostnames / DIGEST_ZONES)} hostnames at the largest size, and each zone check ` +
          '(four in flight per process) reads and assesses a whole zone before handing the digest its problems and counts; ' +
          "the 250 MB target is judged in scenario 7's shape, 100 hostnames a zone.",
        'Past the Cloudflare phase, wall time is mostly Slack pacing: the bot posts at most one message per second ' +
          `per channel, and the ${formatCount(large.hostnames)}-hostname digest is ${formatCount(large.posted)} messages ` +
          `(its Cloudflare phase ended after ${formatSeconds(large.cloudflareDoneMs)}).`,
      ],
    };
  },
};
