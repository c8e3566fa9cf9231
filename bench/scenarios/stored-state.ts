/**
 * 10. Reading stored state at 100,000 hostnames: a `/metrics` scrape, the App Home overview and
 * `/aop-status list` read what the last runs stored about each zone. One sweep stores the checks of 100,000
 * hostnames in 1,000 zones the way the bot always does (a digest run through the zone-check
 * jobs), then fresh web processes on the same Redis prefix read them, each reader in a process of
 * its own so that the memory it adds is its own.
 */
import { performance } from 'node:perf_hooks';
import { type BenchContext, benchFile, type RunningBot, type Scenario, startBot } from '../lib/context.js';
import { benchPrefix, deleteKeysWithPrefix } from '../lib/redis.js';
import type { MetricRow, ScenarioReport } from '../lib/report.js';
import { formatCount, formatMegabytes, formatMs } from '../lib/stats.js';
import { startSeededFakes } from './digest-runs.js';

/** Prometheus' usual scrape timeout is 10 s; the bot gives its Redis reads 1 s, so a scrape must answer well within that. */
const SCRAPE_WITHIN_MS = 1_000;
/** Opening the Home tab: the overview is built before views.publish, which Slack expects promptly. */
const HOME_WITHIN_MS = 1_000;
/** What one read may add to the process, beyond what the gauges themselves hold. */
const SCRAPE_ADDED_RSS_BYTES = 100 * 1024 * 1024;
/** Issue 14's bound on one process at 100,000 hostnames. */
const PROCESS_PEAK_RSS_BYTES = 250 * 1024 * 1024;
const HOME_ADDED_RSS_BYTES = 50 * 1024 * 1024;
/**
 * `list` answers through the response_url after the ack; a lookup tells the person it is still
 * working after 3 s, and `list` should have answered by then.
 */
const LIST_WITHIN_MS = 3_000;
/** `list` reads every stored check; it may hold a short entry per hostname, not the checks. */
const LIST_ADDED_RSS_BYTES = 100 * 1024 * 1024;

type Reader = 'list' | 'scrape' | 'home';

interface ReadFigures {
  durationMs: number;
  found: Record<string, number>;
  baselineRssBytes: number;
  peakRssBytes: number;
  baselineHeapUsedBytes: number;
  peakHeapUsedBytes: number;
}

function sizeOf(context: BenchContext) {
  return context.quick ? { zones: 20, hostnamesPerZone: 100 } : { zones: 1_000, hostnamesPerZone: 100 };
}

const addedRss = (read: ReadFigures) => read.peakRssBytes - read.baselineRssBytes;
const addedHeap = (read: ReadFigures) => read.peakHeapUsedBytes - read.baselineHeapUsedBytes;

export const storedStateScenario: Scenario = {
  id: 'stored-state',
  title: '10. /metrics, App Home and list over 100,000 stored hostname checks',
  async run(context: BenchContext): Promise<ScenarioReport> {
    const size = sizeOf(context);
    const hostnames = size.zones * size.hostnamesPerZone;
    // No limit worth the name: the sweep only stores the checks; scenario 7 measures it under the limit.
    const { baseUrl, apiUrl, zones } = await startSeededFakes(
      context,
      { zones: size.zones, limit: { requests: 1_000_000, windowMs: 300_000 } },
      { hostnames },
    );
    const prefix = benchPrefix('stored-state');
    const file = benchFile({
      zones: zones.map((zone) => ({ id: zone.id, name: zone.name })),
      cloudflare: { rate_limit: { requests: 1_000_000, per_seconds: 300 } },
    });
    const start = (role: 'all' | 'web') =>
      startBot(context, {
        label: 'stored-state',
        prefix,
        role,
        cloudflareBaseUrl: baseUrl,
        slackApiUrl: apiUrl,
        file,
      });
    try {
      const sweeper = await start('all');
      try {
        await sweeper.handle.call('runDigest', { channel: 'C0BENCHSTORED', timeoutMs: 600_000 }, 610_000);
      } finally {
        // The process goes; what it stored stays for the readers.
        await sweeper.handle.stop(15_000);
      }
      const zoneIds = zones.map((zone) => zone.id);
      const storedBytes = async (key: string) => {
        const pipeline = context.redis.pipeline();
        for (const zoneId of zoneIds) pipeline.hstrlen(key, zoneId);
        const replies = (await pipeline.exec()) ?? [];
        return replies.reduce((total, [, length]) => total + (typeof length === 'number' ? length : 0), 0);
      };
      const snapshotBytes = await storedBytes(`${prefix}:snapshot:zones`);
      const summaryBytes = await storedBytes(`${prefix}:snapshot:zone-summaries`);
      const gaugeRowBytes = await storedBytes(`${prefix}:snapshot:zone-gauge-rows`);

      /** A scrape sent from this process, as Prometheus sends it, while the bot samples its memory. */
      const scrape = async (bot: RunningBot): Promise<ReadFigures> => {
        await bot.handle.call('startReadSampling', {});
        const startedMs = performance.now();
        const response = await fetch(`${bot.origin}/metrics`);
        const text = await response.text();
        const durationMs = performance.now() - startedMs;
        const memory = await bot.handle.call('stopReadSampling', {});
        if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
        let expirySeries = 0;
        let severitySeries = 0;
        for (const line of text.split('\n')) {
          if (!line.includes('level="hostname"')) continue;
          if (line.startsWith('aop_certificate_expiry_timestamp_seconds{')) expirySeries += 1;
          else if (line.startsWith('aop_hostname_severity{')) severitySeries += 1;
        }
        return {
          durationMs,
          found: { expirySeries, severitySeries, bytes: Buffer.byteLength(text) },
          ...memory,
        };
      };
      /** `times` reads by one reader in a fresh web process. */
      const readIn = async (reader: Reader, times: number): Promise<ReadFigures[]> => {
        const bot = await start('web');
        try {
          const reads: ReadFigures[] = [];
          for (let index = 0; index < times; index += 1)
            reads.push(
              reader === 'scrape'
                ? await scrape(bot)
                : await bot.handle.call('readStoredState', { reader }, 120_000),
            );
          return reads;
        } finally {
          await bot.handle.stop(15_000);
        }
      };
      const [firstList, secondList] = (await readIn('list', 2)) as [ReadFigures, ReadFigures];
      const [firstScrape, secondScrape] = (await readIn('scrape', 2)) as [ReadFigures, ReadFigures];
      const [firstHome, secondHome] = (await readIn('home', 2)) as [ReadFigures, ReadFigures];
      for (const [name, read] of Object.entries({
        firstList,
        secondList,
        firstScrape,
        secondScrape,
        firstHome,
        secondHome,
      }))
        context.log(
          `stored state ${name}: ${formatMs(read.durationMs)}, +${formatMegabytes(addedRss(read))} RSS, ` +
            `+${formatMegabytes(addedHeap(read))} heap, ${JSON.stringify(read.found)}`,
        );

      const complete = (read: ReadFigures) =>
        read.found.expirySeries === hostnames && read.found.severitySeries === hostnames;
      const scrapeRow = (label: string, read: ReadFigures): MetricRow[] => [
        {
          measure: `${label}: per-hostname series (expiry / severity)`,
          figure: `${formatCount(read.found.expirySeries ?? 0)} / ${formatCount(read.found.severitySeries ?? 0)}`,
          target: `${formatCount(hostnames)} each`,
          verdict: complete(read) ? 'pass' : 'miss',
        },
        {
          measure: `${label}: answered in`,
          figure: formatMs(read.durationMs),
          target: `≤ ${formatMs(SCRAPE_WITHIN_MS)}`,
          verdict: read.durationMs <= SCRAPE_WITHIN_MS ? 'pass' : 'miss',
        },
        {
          measure: `${label}: RSS added (peak − before) / heap added`,
          figure: `${formatMegabytes(addedRss(read))} / ${formatMegabytes(addedHeap(read))}`,
          target: `RSS < ${formatMegabytes(SCRAPE_ADDED_RSS_BYTES)}`,
          verdict: addedRss(read) < SCRAPE_ADDED_RSS_BYTES ? 'pass' : 'miss',
        },
        {
          measure: `${label}: peak RSS of the process`,
          figure: formatMegabytes(read.peakRssBytes),
          target: `< ${formatMegabytes(PROCESS_PEAK_RSS_BYTES)}`,
          verdict: read.peakRssBytes < PROCESS_PEAK_RSS_BYTES ? 'pass' : 'miss',
        },
      ];
      const homeRows = (label: string, read: ReadFigures): MetricRow[] => [
        {
          measure: `${label}: hostnames counted / zones checked`,
          figure: `${formatCount(read.found.hostnames ?? 0)} / ${formatCount(read.found.zones ?? 0)}`,
          target: `${formatCount(hostnames)} / ${formatCount(size.zones)}`,
          verdict: read.found.hostnames === hostnames && read.found.zones === size.zones ? 'pass' : 'miss',
        },
        {
          measure: `${label}: built in`,
          figure: formatMs(read.durationMs),
          target: `≤ ${formatMs(HOME_WITHIN_MS)}`,
          verdict: read.durationMs <= HOME_WITHIN_MS ? 'pass' : 'miss',
        },
        {
          measure: `${label}: RSS added (peak − before) / heap added`,
          figure: `${formatMegabytes(addedRss(read))} / ${formatMegabytes(addedHeap(read))}`,
          target: `RSS < ${formatMegabytes(HOME_ADDED_RSS_BYTES)}`,
          verdict: addedRss(read) < HOME_ADDED_RSS_BYTES ? 'pass' : 'miss',
        },
      ];
      const listRows = (label: string, read: ReadFigures): MetricRow[] => [
        {
          measure: `${label}: hostnames / zones in its count, messages`,
          figure: `${formatCount(read.found.hostnames ?? 0)} / ${formatCount(read.found.zones ?? 0)}, ${formatCount(read.found.messages ?? 0)}`,
          target: `${formatCount(hostnames)} / ${formatCount(size.zones)}, ≤ 5`,
          verdict:
            read.found.hostnames === hostnames &&
            read.found.zones === size.zones &&
            (read.found.messages ?? 0) >= 1 &&
            (read.found.messages ?? 0) <= 5
              ? 'pass'
              : 'miss',
        },
        {
          measure: `${label}: answered in`,
          figure: formatMs(read.durationMs),
          target: `≤ ${formatMs(LIST_WITHIN_MS)}`,
          verdict: read.durationMs <= LIST_WITHIN_MS ? 'pass' : 'miss',
        },
        {
          measure: `${label}: RSS added (peak − before) / heap added`,
          figure: `${formatMegabytes(addedRss(read))} / ${formatMegabytes(addedHeap(read))}`,
          target: `RSS < ${formatMegabytes(LIST_ADDED_RSS_BYTES)}`,
          verdict: addedRss(read) < LIST_ADDED_RSS_BYTES ? 'pass' : 'miss',
        },
        {
          measure: `${label}: peak RSS of the process`,
          figure: formatMegabytes(read.peakRssBytes),
          target: `< ${formatMegabytes(PROCESS_PEAK_RSS_BYTES)}`,
          verdict: read.peakRssBytes < PROCESS_PEAK_RSS_BYTES ? 'pass' : 'miss',
        },
      ];
      const perRead = Object.entries({
        'first scrape': firstScrape,
        'second scrape': secondScrape,
        'first Home': firstHome,
        'second Home': secondHome,
        'first `list`': firstList,
        'second `list`': secondList,
      });

      return {
        status: 'measured',
        setup:
          `One digest run stores the checks of ${formatCount(hostnames)} hostnames in ${formatCount(size.zones)} zones ` +
          `(${size.hostnamesPerZone} each, the certificate mix of scenario 3) through the zone-check jobs, as every run ` +
          'does; that process then stops. Fresh processes with `AOP_ROLE=web` on the same Redis prefix then read them: ' +
          'two `GET /metrics` scrapes in one (sent from the benchmark process, as Prometheus sends them, and timed ' +
          'until the whole answer is in), two App Home overviews (as `app_home_opened` builds it before ' +
          'views.publish) in another, and two `/aop-status list` answers (every message built, as the slash command ' +
          'sends them through the response_url) in a third, these timed in the process. RSS and heap of the bot ' +
          'process are sampled every 5 ms during each read.',
        rows: [
          ...scrapeRow('First scrape', firstScrape),
          ...scrapeRow('Second scrape', secondScrape),
          ...homeRows('First Home', firstHome),
          ...homeRows('Second Home', secondHome),
          ...listRows('First `list`', firstList),
          ...listRows('Second `list`', secondList),
          {
            measure: 'Stored in Redis: zone snapshots / their summaries / their gauge rows',
            figure: `${formatMegabytes(snapshotBytes)} / ${formatMegabytes(summaryBytes)} / ${formatMegabytes(gaugeRowBytes)}`,
            target: '',
            verdict: 'info',
          },
        ],
        details: [
          {
            title: 'Each read',
            columns: ['Read', 'Time', 'RSS before → peak', 'Heap used before → peak', 'Found'],
            rows: perRead.map(([name, read]) => [
              name,
              formatMs(read.durationMs),
              `${formatMegabytes(read.baselineRssBytes)} → ${formatMegabytes(read.peakRssBytes)}`,
              `${formatMegabytes(read.baselineHeapUsedBytes)} → ${formatMegabytes(read.peakHeapUsedBytes)}`,
              Object.entries(read.found)
                .map(([key, value]) => `${key} ${formatCount(value)}`)
                .join(', '),
            ]),
          },
        ],
        notes: [
          `A scrape's answer is ${formatMegabytes(firstScrape.found.bytes ?? 0)} of text at this size, two series per ` +
            'hostname; Prometheus reads all of it each time.',
        ],
      };
    } finally {
      await deleteKeysWithPrefix(context.redis, prefix);
    }
  },
};
