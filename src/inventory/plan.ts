import type { ZoneConfig } from '../config/types.js';
import type { DiscoveredZone } from '../domain/discovery.js';
import type { WatchEntry } from './watch-store.js';
import type { ZonePlan } from './zone-check.js';

/**
 * What to check, zone by zone: the configured zones (listed hostnames, or the whole zone), then the
 * zones found with `discover:` (the whole zone, read with the token that listed it), merged with
 * hostnames added at run time. A watched hostname in a zone neither lists gets a zone of its own, so
 * nothing added with `watch` is ever left out.
 */
export function buildZonePlans(
  zones: readonly ZoneConfig[],
  watched: readonly WatchEntry[],
  ignored: Iterable<string>,
  discovered: readonly DiscoveredZone[] = [],
): ZonePlan[] {
  const ignoredList = [...ignored];
  const plans = new Map<string, ZonePlan>();
  for (const zone of zones) {
    plans.set(zone.id, {
      zone: { id: zone.id, name: zone.name },
      discoverAll: zone.hostnames === null,
      hostnames: [...(zone.hostnames ?? [])],
      ignored: ignoredList,
      ...(zone.account ? { account: zone.account } : {}),
    });
  }
  for (const zone of discovered) {
    if (plans.has(zone.id)) continue;
    plans.set(zone.id, {
      zone: { id: zone.id, name: zone.name },
      discoverAll: true,
      hostnames: [],
      ignored: ignoredList,
      account: zone.account,
      discovered: true,
    });
  }
  for (const entry of watched) {
    const plan = plans.get(entry.zoneId);
    if (plan) {
      if (!plan.hostnames.includes(entry.hostname)) plan.hostnames.push(entry.hostname);
      continue;
    }
    plans.set(entry.zoneId, {
      zone: { id: entry.zoneId, name: entry.zoneName },
      discoverAll: false,
      hostnames: [entry.hostname],
      ignored: ignoredList,
    });
  }
  return [...plans.values()];
}
