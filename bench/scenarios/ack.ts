/**
 * 1. Slash-command ack: the bot in HTTP mode against a bare Bolt app that only acks, same load,
 * same client, same run, interleaved round by round.
 */
import { type BenchContext, benchFile, type Scenario, startBareBolt, startBot } from '../lib/context.js';
import { BENCH_SIGNING_SECRET, CLOUDFLARE_LATENCY_MS, SLACK_ACK_WINDOW_MS } from '../lib/constants.js';
import { runSlashCommandLoad } from '../lib/load.js';
import type { ScenarioReport } from '../lib/report.js';
import { formatMs, formatRatio, type LatencySummary, median, summarizeLatencies } from '../lib/stats.js';

const CONCURRENCY = 20;
/** The bound on the bot's p99 relative to the bare app's. */
const MAX_P99_RATIO = 1.25;
/** "Far inside 3 seconds", made concrete: a tenth of Slack's window. */
const FAR_INSIDE_MS = SLACK_ACK_WINDOW_MS / 10;

type Target = 'bare' | 'bot';

interface RoundResult {
  round: number;
  target: Target;
  summary: LatencySummary;
  failures: string[];
  wallMs: number;
  /** Bot only: from the first request to the last card arriving at its response_url. */
  cardsDeliveredMs: number | null;
}

function hostname(index: number): string {
  return `app-${String(index).padStart(5, '0')}.ack.bench.example`;
}

export const ackScenario: Scenario = {
  id: 'ack',
  title: '1. Slash-command ack',
  async run(context: BenchContext): Promise<ScenarioReport> {
    const requestsPerRound = context.quick ? 200 : 1_000;
    const rounds = context.quick ? 1 : 3;
    const warmup = context.quick ? 50 : 200;
    const { fakes } = context;
    const { baseUrl } = await fakes.call('startCloudflare', { latencyMs: CLOUDFLARE_LATENCY_MS });
    const { apiUrl } = await fakes.call('startSlack', {});
    const zone = await fakes.call('seedLookupZone', {
      label: 'ack',
      name: 'ack.bench.example',
      count: warmup + rounds * requestsPerRound,
    });
    const bot = await startBot(context, {
      label: 'ack',
      cloudflareBaseUrl: baseUrl,
      slackApiUrl: apiUrl,
      // Every request is a different hostname, so every ack is followed by a full live lookup
      // (3 Cloudflare calls): the most work the bot can have behind its acks. 1,000 lookups a
      // second would exhaust the real budget, and the lookups would then wait in the limiter;
      // the limit is raised here so that the background work runs at full speed during the acks.
      file: benchFile({
        zones: [{ id: zone.id, name: zone.name }],
        cloudflare: { rate_limit: { requests: 1_000_000, per_seconds: 300 } },
      }),
    });
    const bare = await startBareBolt({ slackApiUrl: apiUrl });
    const origins: Record<Target, string> = { bare: bare.origin, bot: bot.origin };
    let nextHostname = 0;
    let cardsExpected = 0;

    // Only the bot's lookups use hostnames up; the bare app is sent the same kind of bodies
    // (same hostnames as the bot's next batch) so both parse the same bytes.
    const commands = async (target: Target, count: number) => {
      const urls = await fakes.call('responseUrls', { count });
      const first = nextHostname;
      if (target === 'bot') nextHostname += count;
      return urls.map((responseUrl, index) => ({ text: hostname(first + index), responseUrl }));
    };
    const load = async (target: Target, count: number) => {
      const result = await runSlashCommandLoad({
        origin: origins[target],
        signingSecret: BENCH_SIGNING_SECRET,
        commands: await commands(target, count),
        concurrency: CONCURRENCY,
      });
      let cardsDeliveredMs: number | null = null;
      if (target === 'bot') {
        // Wait for the bot's background lookups to finish, so they never overlap the next
        // measurement of the other app.
        cardsExpected += count;
        const startedMs = Date.now() - result.wallMs;
        await fakes.call('waitForResponses', { count: cardsExpected, timeoutMs: 60_000 }, 70_000);
        cardsDeliveredMs = Date.now() - startedMs;
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      return { ...result, cardsDeliveredMs };
    };

    const results: RoundResult[] = [];
    try {
      context.log(`ack: warming up (${warmup} requests each)`);
      await load('bot', warmup);
      await load('bare', warmup);
      for (let round = 1; round <= rounds; round += 1) {
        const order: Target[] = round % 2 === 1 ? ['bare', 'bot'] : ['bot', 'bare'];
        for (const target of order) {
          const result = await load(target, requestsPerRound);
          results.push({
            round,
            target,
            summary: summarizeLatencies(result.latenciesMs),
            failures: result.failures,
            wallMs: result.wallMs,
            cardsDeliveredMs: result.cardsDeliveredMs,
          });
          context.log(
            `ack: round ${round} ${target}: p50 ${formatMs(results.at(-1)?.summary.p50Ms ?? Number.NaN)} p99 ${formatMs(results.at(-1)?.summary.p99Ms ?? Number.NaN)}`,
          );
        }
      }
    } finally {
      await Promise.all([bot.stop(), bare.stop()]);
    }

    const of = (target: Target) => results.filter((result) => result.target === target);
    const medianOf = (target: Target, pick: (summary: LatencySummary) => number) =>
      median(of(target).map((result) => pick(result.summary)));
    const bareP99 = medianOf('bare', (summary) => summary.p99Ms);
    const botP99 = medianOf('bot', (summary) => summary.p99Ms);
    const ratio = botP99 / bareP99;
    const failures = results.flatMap((result) => result.failures);
    const roundRatios = Array.from({ length: rounds }, (_, index) => {
      const bareRound = results.find((result) => result.round === index + 1 && result.target === 'bare');
      const botRound = results.find((result) => result.round === index + 1 && result.target === 'bot');
      return (botRound?.summary.p99Ms ?? Number.NaN) / (bareRound?.summary.p99Ms ?? Number.NaN);
    });

    return {
      status: 'measured',
      setup:
        `${requestsPerRound.toLocaleString('en-US')} signed \`/aop-status <hostname>\` requests at ${CONCURRENCY} in flight, ` +
        `each a different hostname, against the bot in HTTP mode and against a bare Bolt app whose only listener acks; ` +
        `${rounds} rounds, the order alternating, after ${warmup} warm-up requests each. Latency is from sending the request ` +
        `to the end of the ack, measured by one keep-alive undici client. The bot, the bare app, the load generator and ` +
        `the local Cloudflare/Slack servers each run in their own process; Cloudflare answers after ${CLOUDFLARE_LATENCY_MS} ms. ` +
        `Figures are the median of the ${rounds} rounds' percentiles.`,
      rows: [
        { measure: 'Bare Bolt ack p50 / p95 / p99', figure: triple(of('bare')), target: 'baseline', verdict: 'info' },
        { measure: 'Bot ack p50 / p95 / p99', figure: triple(of('bot')), target: '', verdict: 'info' },
        {
          measure: 'Bot p99 ÷ bare p99',
          figure: formatRatio(ratio),
          target: `≤ ${MAX_P99_RATIO}×`,
          verdict: ratio <= MAX_P99_RATIO ? 'pass' : 'miss',
        },
        {
          measure: "Bot p99 against Slack's 3 s",
          figure: `${formatMs(botP99)} (${((botP99 / SLACK_ACK_WINDOW_MS) * 100).toFixed(1)}% of 3 s)`,
          target: `far inside: ≤ ${formatMs(FAR_INSIDE_MS)}`,
          verdict: botP99 <= FAR_INSIDE_MS ? 'pass' : 'miss',
        },
        {
          measure: 'Requests not acked with 200',
          figure: String(failures.length),
          target: '0',
          verdict: failures.length === 0 ? 'pass' : 'miss',
        },
        {
          measure: 'Bot: all cards delivered (first request → last card)',
          figure: formatMs(median(of('bot').map((result) => result.cardsDeliveredMs ?? Number.NaN))),
          target: '',
          verdict: 'info',
        },
      ],
      details: [
        {
          title: 'Per round',
          columns: ['Round', 'App', 'p50', 'p95', 'p99', 'max', 'wall', 'p99 ratio'],
          rows: results.map((result) => [
            String(result.round),
            result.target === 'bot' ? 'bot' : 'bare Bolt',
            formatMs(result.summary.p50Ms),
            formatMs(result.summary.p95Ms),
            formatMs(result.summary.p99Ms),
            formatMs(result.summary.maxMs),
            formatMs(result.wallMs),
            result.target === 'bot' ? formatRatio(roundRatios[result.round - 1] ?? Number.NaN) : '',
          ]),
        },
      ],
      notes: [
        'The Cloudflare rate limit is raised for this scenario only: a thousand live lookups a second would otherwise ' +
          'wait in the shared limiter, and the point here is the ack with the most background work behind it.',
        ...(failures.length > 0 ? [`Failures: ${[...new Set(failures)].join(', ')}.`] : []),
      ],
    };
  },
};

function triple(results: RoundResult[]): string {
  const pick = (select: (summary: LatencySummary) => number) =>
    formatMs(median(results.map((result) => select(result.summary))));
  return `${pick((summary) => summary.p50Ms)} / ${pick((summary) => summary.p95Ms)} / ${pick((summary) => summary.p99Ms)}`;
}
