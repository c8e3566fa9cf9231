import { SEVERITIES, type ZoneRef } from '../domain/types.js';
import type { CertificateGaugeRow, ZoneGaugeRows } from '../inventory/zone-summary.js';

/** `aop_hostname_severity` values: higher is worse, so `>= 4` means critical. */
export function severityGaugeValue(severity: (typeof SEVERITIES)[number]): number {
  return SEVERITIES.length - 1 - SEVERITIES.indexOf(severity);
}

/**
 * The two per-certificate gauges. They have one series per watched hostname, 200,000 at 100,000
 * hostnames, so they are written straight from the stored gauge rows rather than kept in the
 * prom-client registry: its per-series label objects and its formatting cost hundreds of
 * megabytes and seconds per scrape at that size. The text is what the registry wrote.
 * Labels, in this order: zone, hostname (empty at zone level), level (`hostname` or `zone`),
 * certificate_id, route (the owning route's name; "" for hostnames no route owns and for
 * zone-level certificates) and account.
 */
export const CERTIFICATE_GAUGES = {
  expiry: {
    name: 'aop_certificate_expiry_timestamp_seconds',
    help: 'Expiry of each certificate as a Unix time: the one behind each watched hostname (level="hostname") and each zone-level certificate (level="zone", hostname empty)',
  },
  severity: {
    name: 'aop_hostname_severity',
    help: 'Severity of each watched hostname (level="hostname") and zone-level certificate (level="zone"): 0 ok, 1 info, 2 unknown, 3 warning, 4 critical',
  },
} as const;

/** As the Prometheus text format (and prom-client) escapes a label value. */
function escapeLabelValue(value: string): string {
  return /[\\\n"]/.test(value)
    ? value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
    : value;
}

export interface CertificateGaugeLabels {
  /** The owning route of a hostname; null: none. */
  routeOf?: (hostname: string, zone: ZoneRef) => string | null;
  /** The `cloudflare.accounts` name whose token reads the zone (`default` with a single credential). */
  accountOf?: (zoneId: string) => string;
}

/**
 * The per-certificate gauges of the latest stored zone checks, read as their gauge rows
 * (src/inventory/zone-summary.ts), in the Prometheus text format, one piece per zone and gauge so
 * that a scrape is written as it is made: one series per watched hostname (`level="hostname"`)
 * and one per zone-level certificate (`level="zone"`, empty `hostname`). Read from Redis at scrape
 * time rather than kept by the worker that ran a check, so every process exports the same current
 * values and a hostname that left the inventory stops being exported. Snapshots stored before
 * zone-level checks simply have no zone series. Each gauge starts with a blank line, as it follows
 * the registry's metrics.
 *
 * @example [...certificateGaugeExposition(rows)].join('') // '\n# HELP aop_certificate_expiry…'
 */
export function* certificateGaugeExposition(
  zones: readonly ZoneGaugeRows[],
  labels: CertificateGaugeLabels = {},
): Generator<string> {
  const routeOf = labels.routeOf ?? (() => null);
  const accountOf = labels.accountOf ?? (() => 'default');
  const series = (rows: ZoneGaugeRows, row: CertificateGaugeRow, level: 'hostname' | 'zone') => {
    const [hostname, certificateId, , , ownZone] = row;
    const zone = ownZone ?? rows.zone;
    // A zone-level certificate serves every hostname of the zone without its own, whatever route owns them.
    const route = level === 'hostname' ? (routeOf(hostname, zone) ?? '') : '';
    return (
      `{zone="${escapeLabelValue(zone.name ?? zone.id)}",hostname="${escapeLabelValue(hostname)}",level="${level}",` +
      `certificate_id="${escapeLabelValue(certificateId)}",route="${escapeLabelValue(route)}",` +
      `account="${escapeLabelValue(accountOf(zone.id))}"}`
    );
  };
  const gauges = [
    { ...CERTIFICATE_GAUGES.expiry, value: (row: CertificateGaugeRow) => row[2] },
    { ...CERTIFICATE_GAUGES.severity, value: (row: CertificateGaugeRow) => severityGaugeValue(row[3]) },
  ];
  for (const gauge of gauges) {
    yield `\n# HELP ${gauge.name} ${gauge.help}\n# TYPE ${gauge.name} gauge\n`;
    for (const rows of zones) {
      // One series per label set, where it first appeared, with the last value (as a gauge set twice).
      const values = new Map<string, number>();
      for (const [level, levelRows] of [
        ['hostname', rows.hostnames],
        ['zone', rows.zoneLevel],
      ] as const) {
        for (const row of levelRows) {
          // No expiry known: no expiry series; the severity series is still there.
          const value = gauge.value(row);
          if (value !== null) values.set(series(rows, row, level), value);
        }
      }
      let text = '';
      for (const [labelSet, value] of values) text += `${gauge.name}${labelSet} ${value}\n`;
      if (text !== '') yield text;
    }
  }
}
