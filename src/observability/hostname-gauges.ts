import { SEVERITIES, type ZoneRef } from '../domain/types.js';
import type { ZoneCheckResult } from '../inventory/zone-check.js';
import type { Metrics } from './metrics.js';

/** `aop_hostname_severity` values: higher is worse, so `>= 4` means critical. */
export function severityGaugeValue(severity: (typeof SEVERITIES)[number]): number {
  return SEVERITIES.length - 1 - SEVERITIES.indexOf(severity);
}

/**
 * Rebuilds the per-certificate gauges from the latest stored zone checks: one series per watched
 * hostname (`level="hostname"`) and one per zone-level certificate (`level="zone"`, empty
 * `hostname`). Done at scrape time from Redis rather than by the worker that ran a check, so every
 * process exports the same current values and a hostname that left the inventory stops being
 * exported. Snapshots stored before zone-level checks simply have no zone series.
 */
export function exportHostnameGauges(
  metrics: Metrics,
  snapshots: readonly ZoneCheckResult[],
  routeOf: (hostname: string, zone: ZoneRef) => string | null = () => null,
  /** The `cloudflare.accounts` name whose token reads the zone (`default` with a single credential). */
  accountOf: (zoneId: string) => string = () => 'default',
): void {
  metrics.certificateExpiry.reset();
  metrics.hostnameSeverity.reset();
  for (const snapshot of snapshots) {
    for (const check of snapshot.checks) {
      const labels = {
        zone: check.zone.name ?? check.zone.id,
        hostname: check.hostname,
        level: 'hostname',
        certificate_id:
          check.observation.kind === 'association' ? (check.observation.association.certificateId ?? '') : '',
        route: routeOf(check.hostname, check.zone) ?? '',
        account: accountOf(check.zone.id),
      };
      const expiry = check.assessment.effectiveExpiry;
      if (expiry) metrics.certificateExpiry.set(labels, Math.floor(expiry.getTime() / 1000));
      metrics.hostnameSeverity.set(labels, severityGaugeValue(check.assessment.severity));
    }
    const zoneLevel = snapshot.zoneLevel;
    if (zoneLevel?.state !== 'checked') continue;
    for (const check of zoneLevel.certificates) {
      const labels = {
        zone: check.zone.name ?? check.zone.id,
        hostname: '',
        level: 'zone',
        certificate_id: check.certificate.certificateId ?? '',
        // A zone-level certificate serves every hostname of the zone without its own, whatever route owns them.
        route: '',
        account: accountOf(check.zone.id),
      };
      const expiry = check.assessment.effectiveExpiry;
      if (expiry) metrics.certificateExpiry.set(labels, Math.floor(expiry.getTime() / 1000));
      metrics.hostnameSeverity.set(labels, severityGaugeValue(check.assessment.severity));
    }
  }
}
