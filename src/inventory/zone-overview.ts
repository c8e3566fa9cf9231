/**
 * `/aop-status zones` and `npm run cli -- zones`: one row per watched zone (configured, discovered,
 * or the zone of a hostname added with `watch`), from the plans and the zones' last checks. Pure.
 */
import { isIdleZone } from '../domain/discovery.js';
import { HOSTNAME_CERTIFICATES_PER_ZONE } from '../domain/quota.js';
import type { ZoneRef } from '../domain/types.js';
import type { ZonePlan } from './zone-check.js';
import type { ZoneSummary } from './zone-summary.js';

export type ZoneSource = 'configured' | 'discovered' | 'watched';

export interface ZoneOverviewRow {
  zone: ZoneRef;
  source: ZoneSource;
  /** The `cloudflare.accounts` name whose token reads the zone. */
  account: string;
  /** Hostnames reported at the last check (every association for a whole zone), else those listed. */
  hostnamesWatched: number;
  /** Hostname certificates uploaded to the zone at the last check; null when never read. */
  hostnameCertificatesUsed: number | null;
  hostnameCertificatesLimit: number;
  lastCheckedAt: Date | null;
  /** The last check failed with this code. */
  failureCode: string | null;
  /** Discovered and found without AOP: checked once per `discover.every` only. */
  idle: boolean;
}

/**
 * The rows, zones with something to watch first, then by name.
 *
 * @example buildZoneOverview(plans, summariesById, { configuredIds, accountOf }) // [{ zone, source: 'discovered', account: 'prod', … }]
 */
export function buildZoneOverview(
  plans: readonly ZonePlan[],
  /** The summary of each zone's last check, by zone id. */
  lastChecks: ReadonlyMap<string, ZoneSummary>,
  options: { configuredIds: ReadonlySet<string>; accountOf: (plan: ZonePlan) => string },
): ZoneOverviewRow[] {
  const rows = plans.map((plan): ZoneOverviewRow => {
    const last = lastChecks.get(plan.zone.id);
    return {
      zone: { id: plan.zone.id, name: plan.zone.name ?? last?.zone.name ?? null },
      source: options.configuredIds.has(plan.zone.id)
        ? 'configured'
        : plan.discovered
          ? 'discovered'
          : 'watched',
      account: options.accountOf(plan),
      hostnamesWatched: last && !last.failure ? last.use.hostnames : plan.hostnames.length,
      hostnameCertificatesUsed: last?.quota?.certificatesUsed ?? null,
      hostnameCertificatesLimit: last?.quota?.certificatesLimit ?? HOSTNAME_CERTIFICATES_PER_ZONE,
      lastCheckedAt: last?.checkedAt ?? null,
      failureCode: last?.failure?.errorCode ?? null,
      idle:
        plan.discovered === true && plan.hostnames.length === 0 && last !== undefined && isIdleZone(last.use),
    };
  });
  const label = (row: ZoneOverviewRow) => row.zone.name ?? row.zone.id;
  return rows.sort((a, b) => Number(a.idle) - Number(b.idle) || label(a).localeCompare(label(b)));
}
