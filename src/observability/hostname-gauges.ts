import { SEVERITIES, type ZoneRef } from '../domain/types.js';
import type { CertificateGaugeRow, ZoneGaugeRows } from '../inventory/zone-summary.js';
import type { Metrics } from './metrics.js';

/** `aop_hostname_severity` values: higher is worse, so `>= 4` means critical. */
export function severityGaugeValue(severity: (typeof SEVERITIES)[number]): number {
  return SEVERITIES.length - 1 - SEVERITIES.indexOf(severity);
}

/**
 * Rebuilds the per-certificate gauges from the latest stored zone checks, read as their gauge rows
 * (src/inventory/zone-summary.ts): one series per watched hostname (`level="hostname"`) and one
 * per zone-level certificate (`level="zone"`, empty `hostname`). Done at scrape time from Redis
 * rather than by the worker that ran a check, so every process exports the same current values
 * and a hostname that left the inventory stops being exported. Snapshots stored before zone-level
 * checks simply have no zone series.
 */
export function exportHostnameGauges(
  metrics: Metrics,
  zones: readonly ZoneGaugeRows[],
  routeOf: (hostname: string, zone: ZoneRef) => string | null = () => null,
  /** The `cloudflare.accounts` name whose token reads the zone (`default` with a single credential). */
  accountOf: (zoneId: string) => string = () => 'default',
): void {
  metrics.certificateExpiry.reset();
  metrics.hostnameSeverity.reset();
  const exportRow = (rows: ZoneGaugeRows, row: CertificateGaugeRow, level: 'hostname' | 'zone') => {
    const [hostname, certificateId, expiresAtSeconds, severity, ownZone] = row;
    const zone = ownZone ?? rows.zone;
    const labels = {
      zone: zone.name ?? zone.id,
      hostname,
      level,
      certificate_id: certificateId,
      // A zone-level certificate serves every hostname of the zone without its own, whatever route owns them.
      route: level === 'hostname' ? (routeOf(hostname, zone) ?? '') : '',
      account: accountOf(zone.id),
    };
    if (expiresAtSeconds !== null) metrics.certificateExpiry.set(labels, expiresAtSeconds);
    metrics.hostnameSeverity.set(labels, severityGaugeValue(severity));
  };
  for (const rows of zones) {
    for (const row of rows.hostnames) exportRow(rows, row, 'hostname');
    for (const row of rows.zoneLevel) exportRow(rows, row, 'zone');
  }
}
