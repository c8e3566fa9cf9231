/**
 * 6. Discovery cost: the Cloudflare requests of one run over 1,000 discovered zones of which 50 use
 * AOP, once every zone is known (idle zones checked at `discover.every` only), against the same
 * run with every zone checked (the first run after discovery, when no zone has been checked yet).
 */

import { CLOUDFLARE_LATENCY_MS, CLOUDFLARE_LIMIT } from '../lib/constants.js';
import { type BenchContext, benchFile, type Scenario, startBot } from '../lib/context.js';
import type { ScenarioReport } from '../lib/report.js';
import { formatCount, formatRatio, formatSeconds } from '../lib/stats.js';

const REQUESTS_PER_ZONE = 4;
const ZONES_PER_PAGE = 50;

export const discoveryScenario: Scenario = {
  id: 'discovery',
  title: '6. Discovery cost',
  async run(context: BenchContext): Promise<ScenarioReport> {
    const zones = context.quick ? 200 : 1_000;
    const usingAop = context.quick ? 10 : 50;
    const { fakes } = context;
    // No limit at the fake: the figure is the request count; the time under the real limit is computed.
    const { baseUrl } = await fakes.call('startCloudflare', { latencyMs: CLOUDFLARE_LATENCY_MS });
    const { apiUrl } = await fakes.call('startSlack', {});
    await fakes.call('seedDiscoveryInventory', { zones, usingAop }, 120_000);
    const startedAt = await fakes.call('cloudflareStats', {});
    const bot = await startBot(context, {
      label: 'discovery',
      cloudflareBaseUrl: baseUrl,
      slackApiUrl: apiUrl,
      file: benchFile({
        zones: [],
        discover: { every: '1h' },
        cloudflare: { rate_limit: { requests: 100_000, per_seconds: 300 }, concurrency: 32 },
      }),
    });
    try {
      const listed = await fakes.call('cloudflareStats', {});
      const listingRequests = listed.requests - startedAt.requests;
      // The first run after discovery: no zone has a last check yet, so every zone is checked.
      const first = await bot.handle.call(
        'runDigest',
        { channel: 'C0BENCHFIRST', timeoutMs: 120_000 },
        130_000,
      );
      const afterFirst = await fakes.call('cloudflareStats', {});
      const everyZone = afterFirst.requests - listed.requests;
      // The next run within discover.every: only the zones that use AOP are checked.
      const next = await bot.handle.call(
        'runDigest',
        { channel: 'C0BENCHNEXT', timeoutMs: 120_000 },
        130_000,
      );
      const afterNext = await fakes.call('cloudflareStats', {});
      const steady = afterNext.requests - afterFirst.requests;
      const expectedSteady = usingAop * REQUESTS_PER_ZONE;
      const expectedEvery = zones * REQUESTS_PER_ZONE;
      const windowsFor = (requests: number) => Math.ceil(requests / CLOUDFLARE_LIMIT.requests);
      return {
        status: 'measured',
        setup:
          `${formatCount(zones)} zones listed through \`GET /zones\` with \`discover: { every: 1h }\` and no configured zone; ` +
          `${usingAop} of them have a hostname on a certificate, the others no association, no certificate and AOP off. ` +
          'Two `/aop-status digest`-style runs in one bot process: the first right after start-up (no zone checked yet, ' +
          `so every zone is checked), the second at once after it (within discover.every). Cloudflare answers after ` +
          `${CLOUDFLARE_LATENCY_MS} ms without a rate limit; the requests are counted at the server.`,
        rows: [
          {
            measure: `One run, ${formatCount(zones)} discovered zones, ${usingAop} using AOP`,
            figure: `${formatCount(steady)} requests`,
            target: `≈ ${formatCount(expectedSteady)} (${REQUESTS_PER_ZONE} per zone using AOP)`,
            verdict: steady <= expectedSteady ? 'pass' : 'miss',
          },
          {
            measure: 'The same run with every zone checked',
            figure: `${formatCount(everyZone)} requests`,
            target: `≈ ${formatCount(expectedEvery)} (${REQUESTS_PER_ZONE} per zone)`,
            verdict: 'info',
          },
          {
            measure: 'Every zone checked ÷ zones using AOP checked',
            figure: formatRatio(everyZone / Math.max(1, steady)),
            target: '',
            verdict: 'info',
          },
          {
            measure: `Zone listing at start and every discover.every (${ZONES_PER_PAGE} per page)`,
            figure: `${formatCount(listingRequests)} requests`,
            target: `${Math.ceil(zones / ZONES_PER_PAGE)} pages`,
            verdict: listingRequests <= Math.ceil(zones / ZONES_PER_PAGE) ? 'pass' : 'miss',
          },
          {
            measure: `Share of the ${CLOUDFLARE_LIMIT.windowMs / 60_000}-minute budget per run`,
            figure: `${((steady / CLOUDFLARE_LIMIT.requests) * 100).toFixed(1)}% (every zone: ${((everyZone / CLOUDFLARE_LIMIT.requests) * 100).toFixed(0)}%, ${windowsFor(everyZone)} windows)`,
            target: '',
            verdict: 'info',
          },
          {
            measure: 'Wall time: run with every zone / run with the AOP zones',
            figure: `${formatSeconds(first.durationMs)} / ${formatSeconds(next.durationMs)}`,
            target: '',
            verdict: 'info',
          },
        ],
        details: [],
        notes: [
          'Idle zones are checked again once discover.every has passed since their last check, so over an hour the ' +
            `whole account costs one listing plus one check of each idle zone (${formatCount(
              listingRequests + (zones - usingAop) * REQUESTS_PER_ZONE,
            )} requests), beside ${formatCount(steady)} per run for the zones using AOP.`,
        ],
      };
    } finally {
      await bot.stop();
      await fakes.call('resetSlack', {});
    }
  },
};
