import type { ZoneConfig } from '../config/types.js';
import type { WatchEntry } from './watch-store.js';
import type { ZonePlan } from './zone-check.js';

/**
 * What to check, zone by zone: the configured zones (listed hostnames, or the whole zone) merged
 * with hostnames added at run time. A watched hostname in a zone the config does not list gets a
 * zone of its own, so nothing added with `watch` is ever left out.
 */
export function buildZonePlans(
  zones: readonly ZoneConfig[],
  watched: readonly WatchEntry[],
  ignored: Iterable<string>,
): ZonePlan[] {
  const ignoredList = [...ignored];
  const plans = new Map<string, ZonePlan>();
  for (const zone of zones) {
    plans.set(zone.id, {
      zone: { id: zone.id, name: zone.name },
      discoverAll: zone.hostnames === null,
      hostnames: [...(zone.hostnames ?? [])],
      ignored: ignoredList,
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
