/**
 * One digest of a seeded inventory, in a fresh bot process against a fresh local Cloudflare that
 * enforces the real rate limit: shared by the digest-cost and growth scenarios (the 10,000-hostname
 * runs are measured once and reported in both).
 */

import { CLOUDFLARE_LATENCY_MS, CLOUDFLARE_LIMIT } from '../lib/constants.js';
import { type BenchContext, benchFile, startBot } from '../lib/context.js';

export const DIGEST_ZONES = 100;
const DIGEST_CHANNEL = 'C0BENCHDIGEST';

/**
 * Where a digest's hostnames live and the limit the local Cloudflare enforces (the bot is given the
 * same one as its `cloudflare.rate_limit`). Default: 100 zones under Cloudflare's real limit.
 */
export interface DigestShape {
  zones: number;
  limit: { requests: number; windowMs: number };
}

export const REAL_LIMIT_SHAPE: DigestShape = { zones: DIGEST_ZONES, limit: CLOUDFLARE_LIMIT };

/**
 * Starts the local Cloudflare (enforcing `shape.limit`, answering after the usual latency) and the
 * local Slack, and seeds `hostnames` spread evenly over `shape.zones` zones with the digest mix of
 * expiries (or the shares given). Every scenario over a seeded inventory starts this way.
 */
export async function startSeededFakes(
  context: BenchContext,
  shape: DigestShape,
  seed: { hostnames: number; criticalPerMille?: number; warningPerMille?: number },
  seedTimeoutMs = 300_000,
) {
  const { fakes } = context;
  const { baseUrl } = await fakes.call('startCloudflare', localCloudflareOf(shape));
  const { apiUrl } = await fakes.call('startSlack', {});
  const { zones } = await fakes.call(
    'seedDigestInventory',
    {
      zones: shape.zones,
      hostnamesPerZone: Math.round(seed.hostnames / shape.zones),
      ...(seed.criticalPerMille === undefined ? {} : { criticalPerMille: seed.criticalPerMille }),
      ...(seed.warningPerMille === undefined ? {} : { warningPerMille: seed.warningPerMille }),
    },
    seedTimeoutMs,
  );
  return { baseUrl, apiUrl, zones };
}

/**
 * Restarts the local Cloudflare over the inventory `startSeededFakes` seeded: no request counted, an
 * empty rate-limit window, the same zones: several runs over one inventory, each against a fresh
 * Cloudflare, seed it once. Returns the new server's base URL.
 */
export async function restartSeededCloudflare(context: BenchContext, shape: DigestShape): Promise<string> {
  const { baseUrl } = await context.fakes.call('restartCloudflare', localCloudflareOf(shape));
  return baseUrl;
}

function localCloudflareOf(shape: DigestShape) {
  return { latencyMs: CLOUDFLARE_LATENCY_MS, rateLimit: { ...shape.limit } };
}

export interface DigestRun {
  hostnames: number;
  /** Cloudflare requests the run made (every attempt, 429s included). */
  requests: number;
  requestsByRoute: Record<string, number>;
  rateLimited: number;
  /** From requesting the digest to its last part being posted. */
  durationMs: number;
  /** From requesting the digest to the last Cloudflare answer. */
  cloudflareDoneMs: number | null;
  /** From requesting the digest to its first message arriving at Slack. */
  firstPostMs: number | null;
  /** Digest parts the bot rendered, and chat.postMessage calls Slack received. */
  messages: number;
  posted: number;
  /** The kernel's high-water mark for the whole bot process (start-up included). */
  maxRssBytes: number;
  /** Sampled every 20 ms during the digest, and just before it. */
  peakRssBytes: number;
  baselineRssBytes: number;
  peakHeapUsedBytes: number;
  baselineHeapUsedBytes: number;
  /** What the zone snapshots take in Redis: the inventory's own size. */
  snapshotBytes: number;
  problems: string[];
}

async function runDigestOnce(
  context: BenchContext,
  hostnames: number,
  shape: DigestShape,
  nodeDefaultHeap: boolean,
): Promise<DigestRun> {
  const { fakes } = context;
  const { baseUrl, apiUrl, zones } = await startSeededFakes(context, shape, { hostnames });
  const realLimit =
    shape.limit.requests === CLOUDFLARE_LIMIT.requests && shape.limit.windowMs === CLOUDFLARE_LIMIT.windowMs;
  const bot = await startBot(context, {
    label: `digest${hostnames}`,
    nodeDefaultHeap,
    cloudflareBaseUrl: baseUrl,
    slackApiUrl: apiUrl,
    // Zones without a hostname list: every association is discovered from the bulk list, as a
    // large inventory would be configured. Under the real limit the default rate limiter (1,200 per
    // 300 s) applies; otherwise the bot is told the limit the local Cloudflare enforces.
    file: benchFile({
      zones: zones.map((zone) => ({ id: zone.id, name: zone.name })),
      ...(realLimit
        ? {}
        : {
            cloudflare: {
              rate_limit: { requests: shape.limit.requests, per_seconds: shape.limit.windowMs / 1000 },
            },
          }),
    }),
  });
  try {
    const timeoutMs = 15 * 60_000;
    const run = await bot.handle.call(
      'runDigest',
      { channel: DIGEST_CHANNEL, timeoutMs },
      timeoutMs + 10_000,
    );
    const cloudflare = await fakes.call('cloudflareStats', {});
    const slack = await fakes.call('slackStats', { channel: DIGEST_CHANNEL });
    const snapshotValues = await context.redis.hvals(`${bot.prefix}:snapshot:zones`);
    return {
      hostnames,
      requests: cloudflare.requests,
      requestsByRoute: cloudflare.byRoute,
      rateLimited: cloudflare.rateLimited,
      durationMs: run.durationMs,
      cloudflareDoneMs:
        cloudflare.lastAtMs === null ? null : cloudflare.lastAtMs + CLOUDFLARE_LATENCY_MS - run.requestedAtMs,
      firstPostMs: slack.firstPostAtMs === null ? null : slack.firstPostAtMs - run.requestedAtMs,
      messages: run.messages,
      posted: slack.postMessages,
      maxRssBytes: run.maxRssBytes,
      peakRssBytes: run.peakRssBytes,
      baselineRssBytes: run.baselineRssBytes,
      peakHeapUsedBytes: run.peakHeapUsedBytes,
      baselineHeapUsedBytes: run.baselineHeapUsedBytes,
      snapshotBytes: snapshotValues.reduce((total, value) => total + Buffer.byteLength(value), 0),
      problems: run.problems,
    };
  } finally {
    await bot.stop();
    await fakes.call('resetSlack', {});
  }
}

/** `runs` digests of `hostnames` hostnames, one after the other, each in a fresh process; memoised per size. */
export function digestRuns(
  context: BenchContext,
  hostnames: number,
  runs: number,
  shape: DigestShape = REAL_LIMIT_SHAPE,
  /** Start the bot without `npm start`'s heap flags, as node sizes its heap by default (for comparison). */
  { nodeDefaultHeap = false }: { nodeDefaultHeap?: boolean } = {},
): Promise<DigestRun[]> {
  const shapeKey = `${shape.zones}:${shape.limit.requests}/${shape.limit.windowMs}`;
  return context.memo(`digest:${hostnames}:${runs}:${shapeKey}:${nodeDefaultHeap}`, async () => {
    const results: DigestRun[] = [];
    for (let index = 0; index < runs; index += 1) {
      const run = await runDigestOnce(context, hostnames, shape, nodeDefaultHeap);
      context.log(
        `digest ${hostnames.toLocaleString('en-US')} hostnames in ${shape.zones} zones, run ${index + 1}/${runs}: ${run.requests} requests, ` +
          `${(run.durationMs / 1000).toFixed(1)} s, max RSS ${(run.maxRssBytes / 1048576).toFixed(0)} MB, ${run.posted} messages`,
      );
      results.push(run);
    }
    return results;
  });
}

/**
 * The budget: four requests per zone (the association list, the hostname-certificate list, the
 * zone-level certificate list and the zone-level AOP switch), plus one per extra 1,000 associations.
 */
export const REQUESTS_PER_ZONE = 4;

export function requestBudget(hostnames: number, zones: number = DIGEST_ZONES): number {
  const perZone = Math.round(hostnames / zones);
  return zones * (REQUESTS_PER_ZONE + Math.max(0, Math.ceil(perZone / 1000) - 1));
}
