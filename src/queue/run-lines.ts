/**
 * Scheduled runs never overlap. Each schedule (the alert evaluation, the whole inventory's digest,
 * each route's digest) is a line of runs; while one run of a line is still going (its zone checks
 * paced by the Cloudflare budget, say), a slot that fires is not started beside it: it waits, and
 * starts, late, once the run ends. Several slots firing meanwhile start once, as the latest: a
 * run reads the current state, so one catch-up covers them all.
 */
import type { Redis } from 'ioredis';

/** The scheduled run a line is busy with. */
export interface RunInProgress {
  slotId: string;
  slotTimeMs: number;
  /** When it fanned out (BullMQ's clock). */
  startedAtMs: number;
}

export interface RunLines {
  /**
   * Before a scheduled run fans out: null when it may start (it is now the line's run); otherwise
   * the run still going, and this slot is remembered to start when that run ends.
   */
  begin(line: string, run: RunInProgress): Promise<RunInProgress | null>;
  /** When a run's last step has ended, done or given up: the slot that waited for it, to start now. */
  end(line: string, slotId: string): Promise<number | null>;
}

/** The line of a schedule: `alerts`, `digest`, or `digest:<route>`. */
export function runLineOf(purpose: string, route: string | null): string {
  return route === null ? purpose : `${purpose}:${route}`;
}

/** Waits behind the line's run only if that run is still the line's run when the slot is written. */
const HOLD = `
if redis.call('HGET', KEYS[1], ARGV[1] .. ':slot') ~= ARGV[2] then return 0 end
local waiting = tonumber(redis.call('HGET', KEYS[1], ARGV[1] .. ':waiting') or '0')
if tonumber(ARGV[3]) > waiting then redis.call('HSET', KEYS[1], ARGV[1] .. ':waiting', ARGV[3]) end
return 1
`;

/** Takes the line if it is as it was read (ARGV[2] = '' when it held no run). */
const START = `
local current = redis.call('HGET', KEYS[1], ARGV[1] .. ':slot') or ''
if current ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1] .. ':slot', ARGV[3], ARGV[1] .. ':run', ARGV[4])
redis.call('HDEL', KEYS[1], ARGV[1] .. ':waiting')
return 1
`;

/** Frees the line if this run holds it, handing back the slot that waited. */
const END = `
if redis.call('HGET', KEYS[1], ARGV[1] .. ':slot') ~= ARGV[2] then return false end
local waiting = redis.call('HGET', KEYS[1], ARGV[1] .. ':waiting')
redis.call('HDEL', KEYS[1], ARGV[1] .. ':slot', ARGV[1] .. ':run', ARGV[1] .. ':waiting')
return waiting
`;

/**
 * Lines kept in one Redis hash. `isRunning` asks the queue whether a run is still going, so a run
 * whose end was never recorded (its jobs removed, a crash between steps) does not hold its line.
 *
 * @example
 * const lines = createRunLines({ redis, key: keys.runLines, isRunning: (line, slotId) => assembleIsPending(slotId) });
 * if ((await lines.begin('alerts', run)) === null) await fanOut(run);
 */
export function createRunLines(options: {
  redis: Redis;
  key: string;
  isRunning: (line: string, slotId: string) => Promise<boolean>;
}): RunLines {
  const { redis, key } = options;
  return {
    async begin(line, run) {
      // A changed line (its run ended, or another slot took it) is read again; three tries are plenty.
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const [slotId, stored] = await redis.hmget(key, `${line}:slot`, `${line}:run`);
        if (slotId && slotId !== run.slotId && stored && (await options.isRunning(line, slotId))) {
          if (Number(await redis.eval(HOLD, 1, key, line, slotId, String(run.slotTimeMs))) === 1) {
            return JSON.parse(stored) as RunInProgress;
          }
          continue;
        }
        const taken = await redis.eval(START, 1, key, line, slotId ?? '', run.slotId, JSON.stringify(run));
        if (Number(taken) === 1) return null;
      }
      // The line keeps changing under us: start rather than lose the slot.
      return null;
    },
    async end(line, slotId) {
      const waiting = await redis.eval(END, 1, key, line, slotId);
      return typeof waiting === 'string' ? Number(waiting) : null;
    },
  };
}
