import type { FakesHandlers } from './children/fakes.js';
import { benchFile, startBareBolt, startBot, type BenchContext } from './lib/context.js';
import { BENCH_SIGNING_SECRET } from './lib/constants.js';
import { runSlashCommandLoad } from './lib/load.js';
import { benchRedisUrl, connectBenchRedis } from './lib/redis.js';
import { killAllChildren, startChild } from './lib/rpc.js';
import { summarizeLatencies } from './lib/stats.js';

const redis = connectBenchRedis();
const fakes = await startChild<FakesHandlers>('fakes');
const context = { redisUrl: benchRedisUrl(), redis, fakes, quick: false, log: console.log, memo: (_k: string, f: () => Promise<unknown>) => f() } as unknown as BenchContext;
const { baseUrl } = await fakes.call('startCloudflare', { latencyMs: 50 });
const { apiUrl } = await fakes.call('startSlack', {});
const zone = await fakes.call('seedLookupZone', { label: 'ack', name: 'ack.bench.example', count: 6000 });
const bot = await startBot(context, { label: 'exp', cloudflareBaseUrl: baseUrl, slackApiUrl: apiUrl, file: benchFile({ zones: [{ id: zone.id, name: zone.name }], cloudflare: { rate_limit: { requests: 1_000_000, per_seconds: 300 } } }) });
const bare = await startBareBolt({ slackApiUrl: apiUrl });
let n = 0;
const mode = process.argv[2] ?? 'distinct';
async function run(origin: string, text: (i: number) => string, count = 1000) {
  const urls = await fakes.call('responseUrls', { count });
  const r = await runSlashCommandLoad({ origin, signingSecret: BENCH_SIGNING_SECRET, concurrency: 20, commands: urls.map((u, i) => ({ text: text(i), responseUrl: u })) });
  await new Promise((r) => setTimeout(r, 1500));
  const s = summarizeLatencies(r.latenciesMs);
  return `p50 ${s.p50Ms.toFixed(1)} p95 ${s.p95Ms.toFixed(1)} p99 ${s.p99Ms.toFixed(1)} wall ${r.wallMs.toFixed(0)} fail ${r.failures.length}`;
}
const host = () => `app-${String(n++).padStart(5, '0')}.ack.bench.example`;
await run(bare.origin, () => 'help', 200); await run(bot.origin, () => 'help', 200);
for (let round = 0; round < 1; round++) {
  console.log('bare         ', await run(bare.origin, host));
  console.log('bot help     ', await run(bot.origin, () => 'help'));
  console.log('bot same host', await run(bot.origin, () => 'app-05999.ack.bench.example'));
  console.log('bot distinct ', await run(bot.origin, host));
}
await bot.stop(); await bare.stop(); await fakes.stop(); killAllChildren(); redis.disconnect();
