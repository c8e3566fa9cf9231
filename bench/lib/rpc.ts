/**
 * A small request/response protocol over Node's IPC channel, so the benchmark can run the bot,
 * the bare Bolt app and the local fakes each in a process of its own and still drive them like
 * function calls. Separate processes keep one side's work off the other side's event loop: the
 * load generator's timings are not inflated by the fakes serving the bot's background calls, and
 * each process's peak RSS is its own.
 */
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/** Handlers a child exposes: each takes one JSON-serialisable argument and resolves to another. */
// `never` accepts every handler (parameters are contravariant); callers get the real types back through RpcParams.
export type RpcHandlers = Record<string, (params: never) => Promise<unknown>>;

type RpcParams<H extends RpcHandlers, K extends keyof H> = Parameters<H[K]>[0];
type RpcResult<H extends RpcHandlers, K extends keyof H> = Awaited<ReturnType<H[K]>>;

interface RpcRequest {
  id: number;
  method: string;
  params: unknown;
}

type RpcReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

interface ReadyMessage {
  ready: true;
}

/** Answered by every child: its CPU time so far (user + system), for per-request CPU figures. */
const CPU_METHOD = '__cpuMs';
const cpuHandler = async () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

/**
 * Answered by every child: event-loop delay and garbage-collection pauses since the last call
 * (each call starts a new interval), to tell queueing behind work from pauses.
 */
const LOOP_METHOD = '__loopStats';
export interface LoopStats {
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  gcPauseTotalMs: number;
  gcPauseMaxMs: number;
  gcCount: number;
}
let loopMonitor: ReturnType<typeof monitorEventLoopDelay> | null = null;
const gcPausesMs: number[] = [];
const loopHandler = async (): Promise<LoopStats> => {
  if (!loopMonitor) {
    loopMonitor = monitorEventLoopDelay({ resolution: 5 });
    loopMonitor.enable();
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) gcPausesMs.push(entry.duration);
    }).observe({ entryTypes: ['gc'] });
  }
  const stats: LoopStats = {
    loopDelayP99Ms: loopMonitor.percentile(99) / 1e6,
    loopDelayMaxMs: loopMonitor.max / 1e6,
    gcPauseTotalMs: gcPausesMs.reduce((total, pause) => total + pause, 0),
    gcPauseMaxMs: Math.max(0, ...gcPausesMs),
    gcCount: gcPausesMs.length,
  };
  loopMonitor.reset();
  gcPausesMs.length = 0;
  return stats;
};

function isRequest(message: unknown): message is RpcRequest {
  return typeof message === 'object' && message !== null && 'id' in message && 'method' in message;
}

/**
 * Child side: answers requests with `handlers`. When the parent disconnects (its way of saying
 * "stop", and also what happens when it crashes) the child runs `onShutdown`, bounded, and exits,
 * so an interrupted benchmark never leaves servers running or Redis connections open.
 */
export function serveRpc(handlers: RpcHandlers, onShutdown: () => Promise<void> = async () => {}): void {
  const send = (message: RpcReply | ReadyMessage) => {
    if (process.connected) process.send?.(message);
  };
  process.on('message', (message: unknown) => {
    if (!isRequest(message)) return;
    const handler =
      message.method === CPU_METHOD
        ? cpuHandler
        : message.method === LOOP_METHOD
          ? loopHandler
          : handlers[message.method];
    if (!handler) {
      send({ id: message.id, ok: false, error: `unknown method ${message.method}` });
      return;
    }
    (handler as (params: unknown) => Promise<unknown>)(message.params).then(
      (result) => send({ id: message.id, ok: true, result: result ?? null }),
      (error: unknown) =>
        send({
          id: message.id,
          ok: false,
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        }),
    );
  });
  process.on('disconnect', () => {
    const bound = new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref());
    void Promise.race([onShutdown().catch(() => {}), bound]).then(() => process.exit(0));
  });
  send({ ready: true });
}

export interface ChildHandle<H extends RpcHandlers> {
  readonly pid: number;
  call<K extends keyof H & string>(
    method: K,
    params: RpcParams<H, K>,
    timeoutMs?: number,
  ): Promise<RpcResult<H, K>>;
  /** CPU time (user + system) the child has used so far, in ms. */
  cpuMs(): Promise<number>;
  /** Event-loop delay and GC pauses since the previous call (the first call only starts watching). */
  loopStats(): Promise<LoopStats>;
  /** The last lines the child wrote to stderr, for error messages. */
  stderrTail(): string;
  /** Resolves once the child has exited; ends it with SIGKILL if it has not within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export const REPO_ROOT = path.dirname(path.dirname(path.dirname(fileURLToPath(import.meta.url))));
const live = new Set<ChildProcess>();
/** Where compiled children live (see compile.ts); null runs the TypeScript sources under tsx. */
let compiledRoot: string | null = null;

/** Runs children from `root` (the output of compileForChildren) instead of under tsx. */
export function useCompiledChildren(root: string | null): void {
  compiledRoot = root;
}

/** Kills every child still running; called on the way out, whatever happened. */
export function killAllChildren(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

/**
 * Starts `bench/children/<name>` (compiled, or under tsx) and resolves once it says it is ready.
 *
 * @example
 * const fakes = await startChild<FakesHandlers>('fakes');
 * const { baseUrl } = await fakes.call('startCloudflare', { latencyMs: 50 });
 */
export async function startChild<H extends RpcHandlers>(
  name: string,
  options: {
    readyTimeoutMs?: number;
    /** Node flags the process starts with (an app under test gets those of `npm start`). */
    nodeFlags?: readonly string[];
  } = {},
): Promise<ChildHandle<H>> {
  const script = compiledRoot
    ? path.join(compiledRoot, 'bench', 'children', `${name}.js`)
    : path.join(REPO_ROOT, 'bench', 'children', `${name}.ts`);
  // BENCH_CHILD_NODE_OPTIONS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", is for investigating a figure.
  const extra = [
    ...(options.nodeFlags ?? []),
    ...(process.env.BENCH_CHILD_NODE_OPTIONS?.split(' ').filter(Boolean) ?? []),
  ];
  const child = fork(script, [], {
    cwd: REPO_ROOT,
    execArgv: compiledRoot ? extra : ['--import', 'tsx', ...extra],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  live.add(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      for (const waiter of pending.values())
        waiter.reject(new Error(`${name} exited (${signal ?? code}) before answering:\n${stderr}`));
      pending.clear();
      resolve();
    });
  });
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(new Error(`${name} did not start within ${options.readyTimeoutMs ?? 30_000} ms:\n${stderr}`)),
      options.readyTimeoutMs ?? 30_000,
    );
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} while starting:\n${stderr}`));
    });
    child.on('message', (message: unknown) => {
      if (typeof message === 'object' && message !== null && 'ready' in message) {
        clearTimeout(timer);
        resolve();
        return;
      }
      const reply = message as RpcReply;
      const waiter = pending.get(reply.id);
      if (!waiter) return;
      pending.delete(reply.id);
      if (reply.ok) waiter.resolve(reply.result);
      else waiter.reject(new Error(`${name}: ${reply.error}`));
    });
  });
  await ready;

  const send = <T>(method: string, params: unknown, timeoutMs: number): Promise<T> => {
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`${name}.${method} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      // With a callback a closed channel (the child exited, or was stopped when the run's time ran
      // out) rejects this call instead of being thrown as an unhandled 'error' event.
      child.send({ id, method, params } satisfies RpcRequest, (error) => {
        if (!error) return;
        pending.delete(id);
        clearTimeout(timer);
        reject(new Error(`${name}.${method} could not be sent: ${error.message}`));
      });
    });
  };

  return {
    pid: child.pid ?? -1,
    call: (method, params, timeoutMs = 60_000) =>
      send(method, params, timeoutMs) as Promise<RpcResult<H, typeof method>>,
    cpuMs: () => send<number>(CPU_METHOD, null, 10_000),
    loopStats: () => send<LoopStats>(LOOP_METHOD, null, 10_000),
    stderrTail: () => stderr,
    async stop(graceMs = 5_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
