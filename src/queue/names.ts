/**
 * Queue and job names, and the job payloads each carries: one typed registry so a producer and
 * its worker cannot disagree about a payload.
 */
import type { RunPayload, RunPurpose } from '../inventory/run.js';
import type { ZonePlan } from '../inventory/zone-check.js';

export type { RunPurpose };

export const QUEUE_NAMES = {
  digest: 'digest',
  alerts: 'alerts',
  zoneChecks: 'zone-checks',
  discover: 'discover',
} as const;

export const JOB_NAMES = {
  digestTick: 'digest-tick',
  digestAssemble: 'digest-assemble',
  alertsTick: 'alerts-tick',
  alertsAssemble: 'alerts-assemble',
  zoneCheck: 'zone-check',
  discover: 'discover-zones',
} as const;

export const SCHEDULER_IDS = {
  digest: 'digest-schedule',
  alerts: 'alerts-schedule',
  discover: 'discover-schedule',
} as const;

/** Each route's digest has a job scheduler of its own; the id names the route. */
export const ROUTE_DIGEST_SCHEDULER_PREFIX = `${SCHEDULER_IDS.digest}-route-`;

export function routeDigestSchedulerId(route: string): string {
  return `${ROUTE_DIGEST_SCHEDULER_PREFIX}${route}`;
}

export interface TickPayload {
  trigger: 'schedule' | 'on_demand';
  /** On-demand digests go to this channel only. */
  channel?: string;
  requestedBy?: string;
  /**
   * On-demand runs name their own slot (the request time); so do catch-up ticks for a slot whose
   * scheduler job was replaced. Scheduler jobs leave it out: BullMQ records their slot.
   */
  slotTimeMs?: number;
  /** A route's digest (its hostnames, its channels); absent for the whole inventory. */
  route?: string;
}

/** The zone listing job (`discover:`): every `discover.every`, or on demand. */
export interface DiscoverPayload {
  trigger: 'schedule' | 'on_demand';
}

/** The assemble job's payload is the run's payload. */
export type AssemblePayload = RunPayload;

export interface ZoneCheckPayload {
  purpose: RunPurpose;
  slotId: string;
  plan: ZonePlan;
  /**
   * Scheduled digests of one slot (the whole inventory's and every route's) read each zone once:
   * the first check under this key is reused by the others (see shared-zone-checks.ts).
   */
  shareKey?: string;
}

/** BullMQ job ids may not contain ':' and may not be all digits. */
export function safeJobId(...parts: (string | number)[]): string {
  return parts.map((part) => String(part).replace(/[^A-Za-z0-9_.-]/g, '_')).join('-');
}
