/**
 * The pure side of scheduling: when the next run is due, which slot a tick belongs to, whether a
 * run is late, and whether a process starting up may touch the job scheduler. No I/O; the queue
 * runtime feeds these with what BullMQ reports.
 */
import { CronExpressionParser } from 'cron-parser';
import type { TickPayload } from './names.js';

/**
 * The first run of `pattern` (cron, 5 or 6 fields) strictly after `after`, in `timeZone`; null
 * when the pattern cannot be read.
 *
 * @example
 * nextScheduledRun('0 9 * * 1-5', 'Europe/Berlin', new Date('2026-03-27T09:00:00Z'))
 * // 2026-03-30T07:00:00.000Z (Monday 09:00 CEST, after the clocks went forward)
 */
export function nextScheduledRun(pattern: string, timeZone: string, after: Date): Date | null {
  try {
    return CronExpressionParser.parse(pattern, { tz: timeZone, currentDate: after }).next().toDate();
  } catch {
    return null;
  }
}

/** The parts of a BullMQ tick job the slot is read from. */
export interface TickJobFacts {
  data: TickPayload;
  /** BullMQ job schedulers write the slot they created the job for here. */
  opts: { prevMillis?: number | undefined; delay?: number | undefined };
  /** When the job was created (for a scheduler job: when the previous slot started). */
  timestamp: number;
}

/**
 * The slot a tick belongs to: the time named in the payload (on-demand and catch-up ticks), else
 * the slot the job scheduler created the job for, else the time the job was due.
 *
 * @example
 * slotTimeOfTick({ data: { trigger: 'schedule' }, opts: { prevMillis: 1_800_000_000_000 }, timestamp: 1_799_999_000_000 })
 * // 1_800_000_000_000
 */
export function slotTimeOfTick(job: TickJobFacts): number {
  return job.data.slotTimeMs ?? job.opts.prevMillis ?? job.timestamp + (job.opts.delay ?? 0);
}

/** Lateness is a fact of the run, shared with the digest; defined beside the run's types. */
export { LATE_AFTER_MS, lateByMs } from '../inventory/run.js';

/** A job scheduler as it should be (what the config says). */
export interface WantedScheduler {
  pattern: string;
  timeZone: string;
  /** The job template: name, data and options of every job it creates. */
  template: unknown;
}

/** A job scheduler as BullMQ reports it (`queue.getJobScheduler`), plus the state of its pending job. */
export interface ExistingScheduler {
  pattern: string | null;
  timeZone: string | null;
  template: unknown;
  /** When its pending job is due (epoch ms). */
  nextMs: number | null;
  /** State of the pending job `repeat:<id>:<next>`; null when that job does not exist. */
  pendingJobState: string | null;
}

export interface SchedulerPlan {
  /** Upsert the scheduler (it is missing, changed, or lost its pending job). */
  upsert: boolean;
  /**
   * A slot that is already due but whose pending job the upsert would delete: run it as a
   * catch-up tick first, so a run missed while every process was down still happens (late).
   */
  catchUpSlotMs: number | null;
}

const PENDING_STATES = new Set(['delayed', 'waiting', 'prioritized', 'active', 'waiting-children']);

/**
 * What a starting process does with a job scheduler. BullMQ's upsert deletes the pending job and
 * schedules the next slot after *now*, so upserting an unchanged scheduler would silently drop a
 * slot that fell due while every process was down, or that is due this very moment while another
 * process restarts. An unchanged scheduler with a live pending job is therefore left alone.
 *
 * @example
 * planSchedulerStart(wanted, { ...same, nextMs: overdue, pendingJobState: 'delayed' }, now)
 * // { upsert: false, catchUpSlotMs: null }: a worker will run the overdue job (late)
 */
export function planSchedulerStart(
  wanted: WantedScheduler,
  existing: ExistingScheduler | null,
  nowMs: number,
): SchedulerPlan {
  if (existing === null) return { upsert: true, catchUpSlotMs: null };
  const unchanged =
    existing.pattern === wanted.pattern &&
    existing.timeZone === wanted.timeZone &&
    stableJson(existing.template) === stableJson(wanted.template);
  const pendingAlive = existing.pendingJobState !== null && PENDING_STATES.has(existing.pendingJobState);
  if (unchanged && pendingAlive) return { upsert: false, catchUpSlotMs: null };
  const overdue =
    existing.nextMs !== null &&
    existing.nextMs <= nowMs &&
    existing.pendingJobState !== null &&
    existing.pendingJobState !== 'active' &&
    PENDING_STATES.has(existing.pendingJobState);
  return { upsert: true, catchUpSlotMs: overdue ? existing.nextMs : null };
}

/** JSON with object keys sorted, so two equal values always compare equal as text. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}
