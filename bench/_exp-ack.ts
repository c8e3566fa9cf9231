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
async function run(origin: string, text: (i: number) => string, count = 1000, rate?: number) {
  const urls = await fakes.call('responseUrls', { count });
  const cpu0 = [await bot.handle.cpuMs(), await bare.handle.cpuMs(), await fakes.cpuMs(), process.cpuUsage()];
  const r = await runSlashCommandLoad({ origin, signingSecret: BENCH_SIGNING_SECRET, concurrency: rate ? 200 : 20, ...(rate ? { ratePerSecond: rate } : {}), commands: urls.map((u, i) => ({ text: text(i), responseUrl: u })) });
  await new Promise((r) => setTimeout(r, 1500));
  const cpu1 = [await bot.handle.cpuMs(), await bare.handle.cpuMs(), await fakes.cpuMs(), process.cpuUsage()];
  const client = (process.cpuUsage(cpu0[3] as NodeJS.CpuUsage).user + process.cpuUsage(cpu0[3] as NodeJS.CpuUsage).system) / 1000;
  const s = summarizeLatencies(r.latenciesMs);
  const per = (a: number) => (a / count).toFixed(2);
  return `p50 ${s.p50Ms.toFixed(1)} p95 ${s.p95Ms.toFixed(1)} p99 ${s.p99Ms.toFixed(1)} wall ${r.wallMs.toFixed(0)} fail ${r.failures.length} cpu/req bot ${per((cpu1[0] as number) - (cpu0[0] as number))} bare ${per((cpu1[1] as number) - (cpu0[1] as number))} fakes ${per((cpu1[2] as number) - (cpu0[2] as number))} client ${per(client)}`;
}
const host = () => `app-${String(n++).padStart(5, '0')}.ack.bench.example`;
await run(bare.origin, () => 'help', 200); await run(bot.origin, () => 'help', 200);
for (let round = 0; round < 2; round++) {
  console.log('bare         ', await run(bare.origin, host));
  console.log('bot help     ', await run(bot.origin, () => 'help'));
  console.log('bot distinct ', await run(bot.origin, host));
  console.log('bare  @100/s ', await run(bare.origin, host, 500, 100));
  console.log('bot   @100/s ', await run(bot.origin, host, 500, 100));
  console.log('bare  @50/s  ', await run(bare.origin, host, 300, 50));
  console.log('bot   @50/s  ', await run(bot.origin, host, 300, 50));
}
await bot.stop(); await bare.stop(); await fakes.stop(); killAllChildren(); redis.disconnect();
