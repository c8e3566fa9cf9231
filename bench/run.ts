/**
 * `npm run bench`: runs every scenario in bench/scenarios/index.ts against the real app and the
 * local fakes, and writes BENCHMARKS.md.
 *
 *   npm run bench                      every scenario, writes BENCHMARKS.md
 *   npm run bench -- --only ack,answer some scenarios, writes a file under the OS temp dir
 *   npm run bench -- --quick           small sizes, one run each: checks the harness, not the app
 *   npm run bench -- --out file.md     write somewhere else
 *   npm run bench -- --only scale --merge
 *                                      measure some scenarios again and put their sections into
 *                                      BENCHMARKS.md, keeping the others from the last whole run
 *
 * Everything listens on 127.0.0.1; Redis is REDIS_URL or 127.0.0.1:6379, with a fresh key prefix
 * per app instance, removed afterwards. BENCH_BUDGET_SECONDS (default 3600; the whole run takes about
 * 30 minutes on 2 cores, most of it scenarios 7 and 9 at 100,000 hostnames) bounds the whole run.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { FakesHandlers } from './children/fakes.js';
import { compileForChildren } from './lib/compile.js';
import type { BenchContext } from './lib/context.js';
import {
  benchRedisUrl,
  connectBenchRedis,
  countKeysWithPrefix,
  deleteKeysWithPrefix,
  redisServerVersion,
  usedPrefixes,
} from './lib/redis.js';
import {
  describeMachine,
  gitRevision,
  mergeBenchmarks,
  renderBenchmarks,
  type ScenarioOutcome,
  type ScenarioReport,
} from './lib/report.js';
import { killAllChildren, startChild, useCompiledChildren } from './lib/rpc.js';
import { startHeapFlags } from './lib/start-flags.js';
import { SCENARIOS } from './scenarios/index.js';

const REPO_ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** The transpiled children (see lib/compile.ts), removed on the way out. */
let compiledRoot: string | null = null;

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function failedReport(message: string): ScenarioReport {
  return { status: 'failed', setup: '', rows: [], details: [], notes: [message] };
}

class BudgetExceeded extends Error {}

function withDeadline<T>(work: Promise<T>, remainingMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new BudgetExceeded(`stopped after the run's time budget ran out`)),
      Math.max(0, remainingMs),
    );
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      merge: { type: 'boolean', default: false },
    },
  });
  const only = values.only ? new Set(values.only.split(',').map((id) => id.trim())) : null;
  const unknown = [...(only ?? [])].filter((id) => !SCENARIOS.some((scenario) => scenario.id === id));
  if (unknown.length > 0) {
    console.error(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.id).join(', ')}`);
    return 2;
  }
  if (values.merge && (only === null || values.quick)) {
    console.error('--merge takes --only <ids> and measures at full size (no --quick)');
    return 2;
  }
  const partial = only !== null || values.quick;
  const outFile = values.out
    ? path.resolve(values.out)
    : partial && !values.merge
      ? path.join(os.tmpdir(), 'aop-status-benchmarks.partial.md')
      : path.join(REPO_ROOT, 'BENCHMARKS.md');
  const budgetMs = Number(process.env.BENCH_BUDGET_SECONDS ?? 3600) * 1000;

  const startedAt = new Date();
  const loadAtStart = os.loadavg();
  const startedMs = performance.now();
  const redis = connectBenchRedis();
  const redisVersion = await redisServerVersion(redis).catch((error: unknown) => {
    throw new Error(`Redis at ${benchRedisUrl()} does not answer (${String(error)}); set REDIS_URL.`);
  });
  const machine = describeMachine(redisVersion);
  log(
    `${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGb} GB, node ${machine.node}, redis ${redisVersion}`,
  );

  const useTsx = process.env.BENCH_TSX === '1';
  if (!useTsx) {
    compiledRoot = compileForChildren(REPO_ROOT);
    useCompiledChildren(compiledRoot);
  }
  const fakes = await startChild<FakesHandlers>('fakes');
  const memos = new Map<string, Promise<unknown>>();
  const context: BenchContext = {
    redisUrl: benchRedisUrl(),
    redis,
    fakes,
    quick: values.quick,
    log,
    memo<T>(key: string, compute: () => Promise<T>): Promise<T> {
      let value = memos.get(key) as Promise<T> | undefined;
      if (!value) {
        value = compute();
        memos.set(key, value);
      }
      return value;
    },
  };

  const outcomes: ScenarioOutcome[] = [];
  let budgetGone = false;
  try {
    for (const scenario of SCENARIOS) {
      if (only && !only.has(scenario.id)) continue;
      const scenarioStartedMs = performance.now();
      let report: ScenarioReport;
      if (budgetGone) {
        report = failedReport(
          'Not run: the time budget of the whole run was used up by the scenarios before it.',
        );
      } else {
        log(`${scenario.title}: starting`);
        try {
          report = await withDeadline(scenario.run(context), budgetMs - (performance.now() - startedMs));
        } catch (error) {
          if (error instanceof BudgetExceeded) budgetGone = true;
          log(`${scenario.title}: FAILED: ${error instanceof Error ? error.message : String(error)}`);
          report = failedReport(
            `Did not complete: ${error instanceof Error ? error.message.split('\n').slice(0, 6).join(' ') : String(error)}`,
          );
          if (budgetGone) killAllChildren();
        }
      }
      outcomes.push({
        id: scenario.id,
        title: scenario.title,
        report,
        durationMs: performance.now() - scenarioStartedMs,
      });
    }
  } finally {
    await fakes.stop().catch(() => {});
    killAllChildren();
    if (compiledRoot) rmSync(compiledRoot, { recursive: true, force: true });
  }

  let keysLeft = 0;
  for (const prefix of usedPrefixes) {
    keysLeft += await countKeysWithPrefix(redis, prefix);
    await deleteKeysWithPrefix(redis, prefix);
  }
  redis.disconnect();

  const heapFlags = startHeapFlags(REPO_ROOT);
  // V8 sizes its heap from the host's memory unless told: the bot is measured as it is deployed.
  const heapFlagsNote =
    heapFlags.length === 0
      ? ''
      : ` and with its heap flag${heapFlags.length > 1 ? 's' : ''} (\`${heapFlags.join(' ')}\`; the bare Bolt app gets the same)`;
  const markdown = renderBenchmarks({
    machine,
    loadAverage: { start: loadAtStart, end: os.loadavg() },
    startedAt,
    totalMs: performance.now() - startedMs,
    outcomes,
    method: [
      `Each app under test runs in a process of its own (${
        useTsx
          ? 'under tsx, because BENCH_TSX=1 was set: its RSS includes about 60 MB of tsx loader'
          : 'as plain JavaScript, transpiled from the sources at the start of the run, as `npm start` runs it' +
            heapFlagsNote
      }), the load generator in another and the local Cloudflare and Slack servers in a third, all on 127.0.0.1; a ` +
        "process's peak RSS is its own and no side's work runs on another side's event loop.",
      'Latencies are percentiles of many samples; counts, times and memory are the median of several runs, each ' +
        'in a fresh process against a fresh local Cloudflare server. Comparisons are measured in the same run.',
      'The local Cloudflare server speaks the v4 wire format of the endpoints the bot reads and adds a fixed ' +
        'latency; where stated it enforces the real limit of 1,200 requests per 5 minutes with 429s.',
      `Every app instance gets a fresh Redis key prefix, removed afterwards (${usedPrefixes.length} prefixes used, ` +
        `${keysLeft} keys found and removed at the end).`,
    ],
  });
  writeFileSync(
    outFile,
    values.merge
      ? mergeBenchmarks({
          existing: readFileSync(outFile, 'utf8'),
          fresh: markdown,
          order: SCENARIOS.map((scenario) => scenario.title),
          measured: outcomes.map((outcome) => outcome.title),
          provenance: `on ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC at commit ${gitRevision()} (\`npm run bench -- --only ${[...(only ?? [])].join(',')} --merge\`)`,
        })
      : markdown,
  );
  log(`wrote ${outFile}`);
  return outcomes.some((outcome) => outcome.report.status === 'failed') ? 1 : 0;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAllChildren();
    // Best effort, bounded: the keys of the instances that were running.
    const redis = connectBenchRedis();
    const cleanup = Promise.all(usedPrefixes.map((prefix) => deleteKeysWithPrefix(redis, prefix)));
    const bound = new Promise((resolve) => setTimeout(resolve, 3_000));
    void Promise.race([cleanup, bound])
      .catch(() => {})
      .finally(() => {
        redis.disconnect();
        if (compiledRoot) rmSync(compiledRoot, { recursive: true, force: true });
        process.exit(130);
      });
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    killAllChildren();
    console.error(error);
    process.exit(1);
  },
);
