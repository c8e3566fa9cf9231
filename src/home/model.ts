/**
 * The App Home overview: what an on-call engineer opens first, built only from state the bot
 * already stored (zone checks, alert threads, schedules). Nothing here calls Cloudflare or Slack;
 * `buildHomeOverview` is a pure function of the stored state and the clock.
 */
import { compareSeverity, daysUntil } from '../domain/severity.js';
import { SEVERITIES, type Severity, type ZoneRef } from '../domain/types.js';
import type { ZoneSummary } from '../inventory/zone-summary.js';

/** The four kinds of alert thread, as message metadata names them (`event_payload.kind`). */
export type AlertThreadKind = 'certificate' | 'association' | 'zone_certificate' | 'cannot_check';

/** One open alert thread, as the alert store knows it. */
export interface OpenAlertThread {
  episodeId: string;
  kind: AlertThreadKind;
  severity: Severity;
  zone: ZoneRef;
  /** Serial, else certificate id, else null (as in the parent's metadata). */
  certificateKey: string | null;
  /** Every affected hostname, sorted. */
  hostnames: string[];
  expiresOn: Date | null;
  acknowledged: boolean;
  /** The thread's parent message. */
  parent: { channel: string; ts: string };
  /** Route name, or null for the whole inventory. */
  route: string | null;
}

/** Lists the open alert threads; the alert store provides it. */
export interface OpenAlertThreadSource {
  listOpenThreads(): Promise<OpenAlertThread[]>;
}

/** The next scheduled digest of one route (null: the whole inventory). */
export interface DigestScheduleEntry {
  route: string | null;
  channels: string[];
  nextAt: Date | null;
}

/**
 * One token's Cloudflare request budget: what the current window holds, and what the schedules
 * need of it (see src/inventory/budget-plan.ts). Without it the overview leaves the section out
 * rather than guessing.
 */
export interface CloudflareBudgetUse {
  /** null for the single credential of a config without `cloudflare.accounts`. */
  account: string | null;
  /** Requests sent in the current window, by every process. */
  used: number;
  limit: number;
  perSeconds: number;
  /** What the schedules need at their busiest; absent when it could not be planned. */
  schedules?: {
    /** Of the whole limit (1 = all of it). */
    neededShare: number;
    /** Within the share background runs may use. */
    fits: boolean;
    /** Said when they do not fit: what they need and how long a run takes instead. */
    note: string | null;
  };
}

/** Everything the overview is built from, all of it read from Redis or the config. */
export interface HomeState {
  /** Every zone the inventory holds right now. */
  zones: ZoneRef[];
  /** The summary of the latest stored check of each zone (a zone may have none yet). */
  summaries: ZoneSummary[];
  openThreads: Array<OpenAlertThread & { permalink: string | null }>;
  digests: DigestScheduleEntry[];
  cloudflareBudget: CloudflareBudgetUse[] | null;
}

export interface ZoneNotChecked {
  zone: ZoneRef;
  /** Plain text, not escaped. */
  reason: string;
  errorCode: string | null;
  lastCheckedAt: Date | null;
}

export interface HomeThread extends OpenAlertThread {
  permalink: string | null;
  /** Whole days until `expiresOn` (negative once expired); null when unknown. */
  daysLeft: number | null;
}

export interface HomeOverview {
  generatedAt: Date;
  hostnames: Record<Severity, number>;
  certificates: Record<Severity, number>;
  /** The latest zone check stored, whichever run made it; null before the first. */
  lastSweepAt: Date | null;
  zonesTotal: number;
  zonesNotChecked: ZoneNotChecked[];
  /** Worst first, then soonest expiry, then hostname. */
  openThreads: HomeThread[];
  digests: DigestScheduleEntry[];
  cloudflareBudget: CloudflareBudgetUse[] | null;
}

function emptyCounts(): Record<Severity, number> {
  return Object.fromEntries(SEVERITIES.map((severity) => [severity, 0])) as Record<Severity, number>;
}

/**
 * The overview from stored state. Counts cover the zones in the inventory only (a snapshot of a
 * zone since removed is ignored); a certificate shared by several hostnames of a zone counts once,
 * with the worst severity among them (each zone's summary counted them so).
 *
 * @example buildHomeOverview(state, new Date()).hostnames.critical // 3
 */
export function buildHomeOverview(state: HomeState, now: Date): HomeOverview {
  const summaryByZone = new Map(state.summaries.map((summary) => [summary.zone.id, summary]));
  const hostnames = emptyCounts();
  const certificates = emptyCounts();
  const zonesNotChecked: ZoneNotChecked[] = [];
  let lastSweepAt: Date | null = null;

  for (const zone of state.zones) {
    const summary = summaryByZone.get(zone.id);
    if (!summary) {
      zonesNotChecked.push({ zone, reason: 'Not checked yet.', errorCode: null, lastCheckedAt: null });
      continue;
    }
    if (lastSweepAt === null || summary.checkedAt > lastSweepAt) lastSweepAt = summary.checkedAt;
    if (summary.failure) {
      zonesNotChecked.push({
        zone,
        reason: summary.failure.errorMessage,
        errorCode: summary.failure.errorCode,
        lastCheckedAt: summary.checkedAt,
      });
    }
    for (const severity of SEVERITIES) {
      hostnames[severity] += summary.hostnames[severity];
      certificates[severity] += summary.certificates[severity];
    }
  }

  const openThreads = state.openThreads
    .map((thread) => ({
      ...thread,
      daysLeft: thread.expiresOn ? daysUntil(thread.expiresOn, now) : null,
    }))
    .sort(
      (a, b) =>
        compareSeverity(a.severity, b.severity) ||
        (a.daysLeft ?? Number.POSITIVE_INFINITY) - (b.daysLeft ?? Number.POSITIVE_INFINITY) ||
        (a.hostnames[0] ?? '').localeCompare(b.hostnames[0] ?? ''),
    );

  return {
    generatedAt: now,
    hostnames,
    certificates,
    lastSweepAt,
    zonesTotal: state.zones.length,
    zonesNotChecked,
    openThreads,
    digests: state.digests,
    cloudflareBudget: state.cloudflareBudget,
  };
}
