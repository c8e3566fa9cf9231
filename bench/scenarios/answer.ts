/**
 * 2. Answer latency: from sending `/aop-status <hostname>` to the card arriving at the
 * response_url, one lookup at a time, with Cloudflare answering after 50 ms; then the same
 * hostnames again within the cache window.
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { FAKE_API_TOKEN } from '../../test/support/fake-cloudflare.js';
import { CLOUDFLARE_LATENCY_MS } from '../lib/constants.js';
import { type BenchContext, benchFile, type Scenario, startBot } from '../lib/context.js';
import { lookupClient } from '../lib/lookup.js';
import type { ScenarioReport } from '../lib/report.js';
import { formatMs, summarizeLatencies } from '../lib/stats.js';

/** The bound: p50 within this much of Cloudflare's latency. */
const ALLOWED_OVER_CLOUDFLARE_MS = 30;
/** The lookup service reuses an answer for 15 s (src/lookup/lookup-service.ts). */
const CACHE_WINDOW_MS = 15_000;

function hostname(index: number): string {
  return `app-${String(index).padStart(5, '0')}.answer.bench.example`;
}

export const answerScenario: Scenario = {
  id: 'answer',
  title: '2. Answer latency',
  async run(context: BenchContext): Promise<ScenarioReport> {
    const misses = context.quick ? 15 : 60;
    const hits = context.quick ? 10 : 30;
    const warmup = 10;
    const { fakes } = context;
    const { baseUrl } = await fakes.call('startCloudflare', { latencyMs: CLOUDFLARE_LATENCY_MS });
    const { apiUrl } = await fakes.call('startSlack', {});
    const zone = await fakes.call('seedLookupZone', {
      label: 'answer',
      name: 'answer.bench.example',
      count: warmup + misses,
    });
    // The real configuration: default rate limit, cache and concurrency.
    const bot = await startBot(context, {
      label: 'answer',
      cloudflareBaseUrl: baseUrl,
      slackApiUrl: apiUrl,
      file: benchFile({ zones: [{ id: zone.id, name: zone.name }] }),
    });
    const cloudflarePool = new Pool(new URL(baseUrl).origin, { connections: 1, keepAliveTimeout: 30_000 });

    const client = lookupClient(bot.origin, fakes);
    const lookupOnce = (text: string) => client.lookup(text);

    try {
      // What one Cloudflare call costs from here, fake latency included: the floor of any answer.
      const roundTripsMs: number[] = [];
      const token = FAKE_API_TOKEN.scheme === 'api_token' ? FAKE_API_TOKEN.token : '';
      for (let index = 0; index < 20; index += 1) {
        const startedMs = performance.now();
        const response = await cloudflarePool.request({
          path: `${new URL(baseUrl).pathname}/zones/${zone.id}/settings/tls_client_auth`,
          method: 'GET',
          headers: { authorization: `Bearer ${token}` },
        });
        await response.body.text();
        roundTripsMs.push(performance.now() - startedMs);
      }
      const roundTrip = summarizeLatencies(roundTripsMs);

      for (let index = 0; index < warmup; index += 1) await lookupOnce(hostname(misses + index));

      const beforeMisses = await fakes.call('cloudflareStats', {});
      const missSamples: { hostname: string; answerMs: number; at: number; text: string }[] = [];
      for (let index = 0; index < misses; index += 1) {
        const result = await lookupOnce(hostname(index));
        missSamples.push({ hostname: hostname(index), ...result, at: Date.now() });
      }
      const afterMisses = await fakes.call('cloudflareStats', {});

      // The most recent `hits` hostnames, asked again well within the cache window.
      const repeated = missSamples.slice(-hits);
      const oldestAgeMs = Date.now() - (repeated[0]?.at ?? Date.now());
      const hitSamples: number[] = [];
      for (const sample of repeated) hitSamples.push((await lookupOnce(sample.hostname)).answerMs);
      const afterHits = await fakes.call('cloudflareStats', {});

      const miss = summarizeLatencies(missSamples.map((sample) => sample.answerMs));
      const hit = summarizeLatencies(hitSamples);
      const bound = CLOUDFLARE_LATENCY_MS + ALLOWED_OVER_CLOUDFLARE_MS;
      const missRequests = afterMisses.requests - beforeMisses.requests;
      const hitRequests = afterHits.requests - afterMisses.requests;
      const notOk = missSamples.filter((sample) => !sample.text.startsWith('OK:'));
      return {
        status: 'measured',
        setup:
          `${misses} lookups of different hostnames, one at a time (each a cache miss), then the last ${hits} of them again ` +
          `(the oldest asked ${formatMs(oldestAgeMs)} earlier, inside the ${CACHE_WINDOW_MS / 1000} s cache window), after ${warmup} ` +
          `warm-up lookups. Time is from sending the signed request to the card arriving at the local response_url. ` +
          `Cloudflare answers after ${CLOUDFLARE_LATENCY_MS} ms; the bot runs its default configuration (real rate limit, ` +
          `zones from the config file so no zone lookup is needed).`,
        rows: [
          {
            measure: 'One Cloudflare call from the benchmark (p50)',
            figure: formatMs(roundTrip.p50Ms),
            target: `${CLOUDFLARE_LATENCY_MS} ms added latency`,
            verdict: 'info',
          },
          {
            measure: 'Answer, cache miss: p50',
            figure: formatMs(miss.p50Ms),
            target: `≤ ${bound} ms (${CLOUDFLARE_LATENCY_MS} + ${ALLOWED_OVER_CLOUDFLARE_MS}; the 4 calls run in parallel)`,
            verdict: miss.p50Ms <= bound ? 'pass' : 'miss',
          },
          {
            measure: 'Answer, cache miss: p95 / p99',
            figure: `${formatMs(miss.p95Ms)} / ${formatMs(miss.p99Ms)}`,
            target: '',
            verdict: 'info',
          },
          {
            measure: 'Answer, cache miss: p50 over one Cloudflare call',
            figure: formatMs(miss.p50Ms - roundTrip.p50Ms),
            target: '',
            verdict: 'info',
          },
          {
            measure: 'Cloudflare requests per cache miss',
            figure: (missRequests / misses).toFixed(2),
            target: '≤ 4 (status, tls_client_auth, zone-level AOP setting, zone certificates)',
            verdict: missRequests / misses <= 4 ? 'pass' : 'miss',
          },
          {
            measure: 'Answer, repeated within the window: p50 / p95',
            figure: `${formatMs(hit.p50Ms)} / ${formatMs(hit.p95Ms)}`,
            target: 'served from cache',
            verdict: 'info',
          },
          {
            measure: 'Cloudflare requests for the repeated lookups',
            figure: String(hitRequests),
            target: '0',
            verdict: hitRequests === 0 ? 'pass' : 'miss',
          },
          {
            measure: 'Cards that were not an OK status card',
            figure: String(notOk.length),
            target: '0',
            verdict: notOk.length === 0 ? 'pass' : 'miss',
          },
        ],
        details: [],
        notes: notOk.length > 0 ? [`First unexpected card: ${notOk[0]?.text.slice(0, 200)}`] : [],
      };
    } finally {
      await Promise.all([client.close(), cloudflarePool.close()]);
      await bot.stop();
    }
  },
};
