/**
 * One run as the steps after the zone checks see it: what was planned, what every zone answered,
 * and which attempt this is. The queue builds it from a BullMQ job; the digest and the alert
 * evaluation read it without knowing about queues.
 */
import type { ZoneCheckResult, ZonePlan } from './zone-check.js';

export type RunPurpose = 'digest' | 'alerts';

/** A scheduled run that starts this long after its slot says it is late. */
export const LATE_AFTER_MS = 5 * 60_000;

export interface RunPayload {
  purpose: RunPurpose;
  slotId: string;
  slotTimeMs: number;
  /** When the tick ran (BullMQ's clock, the one the slot is measured with). */
  startedAtMs: number;
  /**
   * How late the run started, or 0 when on time (see `lateByMs`). Absent in payloads written
   * before it existed; readers then compare startedAtMs with the slot themselves.
   */
  lateByMs?: number;
  trigger: 'schedule' | 'on_demand';
  channel: string | null;
  zonesTotal: number;
  plans: ZonePlan[];
  /** A route's digest: only that route's hostnames, to its channels. Absent or null: the whole inventory. */
  route?: string | null;
  /** Discovered zones left out of this run as idle (checked at `discover.every` only). Absent: none. */
  idleZones?: number;
}

/** Which attempt of the run's final step this is; retrying is for failures another attempt can fix. */
export interface RunAttempt {
  /** The job id, for logs. */
  jobId: string | null;
  /** Attempts made before this one (0 on the first). */
  attemptsMade: number;
  /** Attempts allowed in total. */
  attemptsAllowed: number;
}

/** What the step after the zone checks receives: every zone's result, failed zones included. */
export interface AssembledRun {
  payload: RunPayload;
  /** Every zone's result; without hostname checks when `readResultPages` is given. */
  results: ZoneCheckResult[];
  attempt: RunAttempt;
  /**
   * The same results with their hostname checks, read again a page of zones at a time. An alert
   * evaluation of 100,000 hostnames then holds one page of checks at once instead of all of them
   * (`results` holds the zone-level readings it needs throughout). Absent: `results` has the checks.
   */
  readResultPages?: () => AsyncIterable<ZoneCheckResult[]>;
}

/**
 * The run's results with their hostname checks, a page of zones at a time.
 *
 * @example for await (const page of resultPagesOf(run)) evaluate(page)
 */
export async function* resultPagesOf(run: AssembledRun, pageZones = 50): AsyncIterable<ZoneCheckResult[]> {
  if (run.readResultPages) {
    yield* run.readResultPages();
    return;
  }
  for (let start = 0; start < run.results.length; start += pageZones)
    yield run.results.slice(start, start + pageZones);
}

/**
 * True when no retry follows this attempt, so a failure must be reported now.
 *
 * @example isFinalAttempt({ jobId: '1', attemptsMade: 7, attemptsAllowed: 8 }) // true
 */
export function isFinalAttempt(attempt: RunAttempt): boolean {
  return attempt.attemptsMade + 1 >= attempt.attemptsAllowed;
}

/**
 * How late a run started: 0 for on-demand runs and runs within `lateAfterMs` of their slot, else
 * the delay in ms.
 *
 * @example lateByMs({ trigger: 'schedule', slotTimeMs: 0, startedAtMs: 600_000 }) // 600000
 */
export function lateByMs(run: {
  trigger: RunPayload['trigger'];
  slotTimeMs: number;
  startedAtMs: number;
  lateAfterMs?: number;
}): number {
  if (run.trigger !== 'schedule') return 0;
  const late = run.startedAtMs - run.slotTimeMs;
  return late > (run.lateAfterMs ?? LATE_AFTER_MS) ? late : 0;
}
