/**
 * 8. A lookup during a sweep: the people's reserve at work. A digest large enough to use up the
 * background share of the rate limit (80% of the window) runs; once it has and its zone checks
 * are waiting for the window to slide, people look hostnames up. Their cards should come as fast
 * as when nothing runs, not after the window slides.
 */
import { backgroundRequestLimit } from '../../src/inventory/budget-plan.js';
import { CLOUDFLARE_LATENCY_MS, CLOUDFLARE_LIMIT } from '../lib/constants.js';
import { type BenchContext, benchFile, type Scenario, startBot } from '../lib/context.js';
import { lookupClient } from '../lib/lookup.js';
import type { ScenarioReport } from '../lib/report.js';
import { formatCount, formatMs, formatSeconds, summarizeLatencies } from '../lib/stats.js';
import { type DigestShape, startSeededFakes } from './digest-runs.js';

/** A lookup during the sweep may take this many times the same bot's idle p50 … */
const SLOWDOWN_ALLOWED = 2;
/** … and none may take longer than this (the slow notice comes at 3 s). */
const MAX_ANSWER_MS = 1_000;
/** The background counts as stalled when Cloudflare has seen no request for this long. */
const STALL_MS = 500;
const DIGEST_CHANNEL = 'C0BENCHRESERVE';

export interface SweepShape extends DigestShape {
  hostnames: number;
}

/**
 * 20,000 hostnames in 400 zones: 1,600 requests, more than the 960 a window background work may
 * use, under the same tenfold-shorter window as scenario 7 (1,200 per 30 s). A sweep takes about
 * one window and a half, not the 25 minutes of 100,000 hostnames at the real window.
 */
export function sweepShape(context: BenchContext): SweepShape {
  return context.quick
    ? { hostnames: 400, zones: 40, limit: { requests: 120, windowMs: 3_000 } }
    : {
        hostnames: 20_000,
        zones: 400,
        limit: { requests: CLOUDFLARE_LIMIT.requests, windowMs: CLOUDFLARE_LIMIT.windowMs / 10 },
      };
}

/**
 * Hostnames the seeded inventory holds, one per zone from zone 1 on (`seedDigestInventory` names
 * them `h<index>.z<zone>.bench.example`), skipping zone 0 so no lookup shares a zone with another.
 */
export function seededHostname(zoneIndex: number): string {
  return `h00001.z${String(zoneIndex).padStart(3, '0')}.bench.example`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export const reserveScenario: Scenario = {
  id: 'reserve',
  title: '8. A lookup during a sweep',
  async run(context: BenchContext): Promise<ScenarioReport> {
    const shape = sweepShape(context);
    const idleLookups = context.quick ? 3 : 10;
    const sweepLookups = context.quick ? 2 : 5;
    const warmup = 3;
    const { fakes } = context;
    const { baseUrl, apiUrl, zones } = await startSeededFakes(context, shape, shape);
    const bot = await startBot(context, {
      label: 'reserve',
      cloudflareBaseUrl: baseUrl,
      slackApiUrl: apiUrl,
      file: benchFile({
        zones: zones.map((zone) => ({ id: zone.id, name: zone.name })),
        cloudflare: {
          rate_limit: { requests: shape.limit.requests, per_seconds: shape.limit.windowMs / 1000 },
        },
      }),
    });
    const client = lookupClient(bot.origin, fakes);
    const background = backgroundRequestLimit(shape.limit.requests);
    try {
      let zoneIndex = 1;
      const nextHostname = () => seededHostname(zoneIndex++);
      for (let index = 0; index < warmup; index += 1) await client.lookup(nextHostname());
      const idle: number[] = [];
      for (let index = 0; index < idleLookups; index += 1)
        idle.push((await client.lookup(nextHostname())).answerMs);
      // The lookups so far count in the window too; let it empty so the sweep starts with all of it.
      await sleep(shape.limit.windowMs);

      const before = await fakes.call('cloudflareStats', {});
      const timeoutMs = 10 * 60_000;
      const digest = bot.handle.call('runDigest', { channel: DIGEST_CHANNEL, timeoutMs }, timeoutMs + 10_000);
      let digestEnded = false;
      void digest.then(
        () => {
          digestEnded = true;
        },
        () => {
          digestEnded = true;
        },
      );

      // Wait until the sweep has used its share and Cloudflare has gone quiet: the zone checks are
      // waiting for the window to slide.
      let seen = before.requests;
      let quietSinceMs = Date.now();
      let usedWhenQuiet = 0;
      for (;;) {
        if (digestEnded) throw new Error('the digest ended before it used its share of the window');
        await sleep(50);
        const stats = await fakes.call('cloudflareStats', {});
        if (stats.requests !== seen) {
          seen = stats.requests;
          quietSinceMs = Date.now();
        } else if (Date.now() - quietSinceMs >= STALL_MS && seen - before.requests >= background * 0.9) {
          usedWhenQuiet = seen - before.requests;
          break;
        }
      }
      const stalledAtMs = Date.now();
      const during: { answerMs: number; text: string; noticeFirst: boolean }[] = [];
      for (let index = 0; index < sweepLookups; index += 1) during.push(await client.lookup(nextHostname()));
      const lookupsDoneMs = Date.now();
      const stillRunning = !digestEnded;
      const run = await digest;
      const after = await fakes.call('cloudflareStats', {});

      const idleSummary = summarizeLatencies(idle);
      const duringSummary = summarizeLatencies(during.map((sample) => sample.answerMs));
      const slowest = Math.max(...during.map((sample) => sample.answerMs));
      const bound = Math.min(SLOWDOWN_ALLOWED * idleSummary.p50Ms, MAX_ANSWER_MS);
      const sweepStartMs = run.requestedAtMs;
      const notices = during.filter((sample) => sample.noticeFirst).length;
      const notCards = during.filter(
        (sample) => !/^(OK|WARNING|CRITICAL|UNKNOWN|DISABLED)/.test(sample.text),
      );
      return {
        status: 'measured',
        setup:
          `One digest of ${formatCount(shape.hostnames)} hostnames in ${formatCount(shape.zones)} zones ` +
          `(${formatCount(shape.hostnames / shape.zones)} each), in a fresh bot with the default concurrency. The local ` +
          `Cloudflare answers after ${CLOUDFLARE_LATENCY_MS} ms and enforces ${formatCount(shape.limit.requests)} requests per ` +
          `${formatSeconds(shape.limit.windowMs)} (scenario 7's tenfold-shorter window; the bot is given the same limit), so ` +
          `background work may use ${formatCount(background)} a window and the digest needs more than that. Once the digest ` +
          `has used its share and Cloudflare has seen no request for ${formatMs(STALL_MS)} (its zone checks wait for the ` +
          `window to slide), ${sweepLookups} signed \`/aop-status <hostname>\` lookups are sent one after another, each a ` +
          `cache miss; time is from sending the request to the card at the response_url (not to the slow notice). Before the digest the same bot ` +
          `answered ${idleLookups} lookups with nothing else running (after ${warmup} warm-up ones): that is the usual time ` +
          'the sweep is compared with (scenario 2 measures it on its own).',
        rows: [
          {
            measure: 'Lookup with nothing running: p50 / slowest',
            figure: `${formatMs(idleSummary.p50Ms)} / ${formatMs(Math.max(...idle))}`,
            target: '',
            verdict: 'info',
          },
          {
            measure: 'Background requests used when the lookups were sent',
            figure: `${formatCount(usedWhenQuiet)} after ${formatSeconds(stalledAtMs - sweepStartMs)}`,
            target: `≥ ${formatCount(Math.ceil(background * 0.9))} (90% of the ${formatCount(background)} background share)`,
            verdict: 'info',
          },
          {
            measure: 'Lookup during the sweep: p50',
            figure: formatMs(duringSummary.p50Ms),
            target: `≤ ${formatMs(bound)} (${SLOWDOWN_ALLOWED}× the idle p50, at most ${formatMs(MAX_ANSWER_MS)})`,
            verdict: duringSummary.p50Ms <= bound ? 'pass' : 'miss',
          },
          {
            measure: 'Lookup during the sweep: slowest',
            figure: formatMs(slowest),
            target: `≤ ${formatMs(MAX_ANSWER_MS)}`,
            verdict: slowest <= MAX_ANSWER_MS ? 'pass' : 'miss',
          },
          {
            measure: 'The digest was still waiting for the window when the last card came',
            figure: stillRunning ? 'yes' : 'no',
            target: 'yes (otherwise the lookups did not meet a full window)',
            verdict: stillRunning ? 'pass' : 'miss',
          },
          {
            measure: 'Lookups during the sweep that got the 3 s slow notice first',
            figure: `${notices} of ${sweepLookups}`,
            target: '0',
            verdict: notices === 0 ? 'pass' : 'miss',
          },
          {
            measure: 'Cards that were not a status card',
            figure: String(notCards.length),
            target: '0',
            verdict: notCards.length === 0 ? 'pass' : 'miss',
          },
          {
            measure: '429s received (digest and lookups)',
            figure: String(after.rateLimited - before.rateLimited),
            target: '0',
            verdict: after.rateLimited === before.rateLimited ? 'pass' : 'miss',
          },
          {
            measure: 'Cloudflare requests (digest and lookups) / digest wall time',
            figure: `${formatCount(after.requests - before.requests)} / ${formatSeconds(run.durationMs)}`,
            target: '',
            verdict: 'info',
          },
        ],
        details: [],
        notes: [
          `Lookups during the sweep, in order: ${during.map((sample) => formatMs(sample.answerMs)).join(', ')}; ` +
            `sent from ${formatSeconds(stalledAtMs - sweepStartMs)} to ${formatSeconds(lookupsDoneMs - sweepStartMs)} ` +
            'after the digest was requested.',
          'Without the reserve a lookup arriving here would wait for the window to slide: up to ' +
            `${formatSeconds(shape.limit.windowMs)} at this window, 5 minutes at Cloudflare's.`,
          ...(notCards.length > 0 ? [`First unexpected card: ${notCards[0]?.text.slice(0, 200)}`] : []),
          ...run.problems.slice(0, 3).map((problem) => `The bot logged: ${problem}`),
        ],
      };
    } finally {
      await client.close();
      await bot.stop();
      await fakes.call('resetSlack', {});
    }
  },
};
