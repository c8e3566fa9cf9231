/**
 * What a zone check hands a digest: its problems in full, its healthy hostnames as counts. A digest
 * lists nothing about a healthy hostname, only how many there are (per owning route, so a route's
 * digest counts its own), so carrying every healthy record from 1,000 zone-check jobs into one
 * assemble step would make the step's memory grow with the inventory instead of with its problems.
 * The zone snapshot keeps every record: `list`, App Home and `/metrics` read it.
 */

import type { HostnameCheck } from '../digest/model.js';
import { purposeFindings } from '../domain/fitness.js';
import type { ZoneRef } from '../domain/types.js';
import type { HealthyTally, ZoneCheckResult } from './zone-check.js';

/**
 * True when a digest has nothing to say about the hostname beyond counting it: healthy, and no
 * purpose finding that the digest's "origins may reject" list would show.
 */
export function onlyCounted(check: HostnameCheck): boolean {
  return check.assessment.severity === 'ok' && purposeFindings(check.fitness ?? []).length === 0;
}

/**
 * The result with its only-counted hostnames taken out of `checks` and tallied per owning route in
 * `healthyLeftOut`. A result already handed off (or with nothing to leave out) keeps its tally.
 *
 * @example
 * handOffToDigest(result, (hostname) => (hostname.endsWith('.pay.example') ? 'payments' : null))
 * // { ...result, checks: [the critical ones], healthyLeftOut: [{ route: null, hostnames: 97 }, { route: 'payments', hostnames: 2 }] }
 */
export function handOffToDigest(
  result: ZoneCheckResult,
  routeOf: (hostname: string, zone: ZoneRef) => string | null,
): ZoneCheckResult {
  const kept: HostnameCheck[] = [];
  const tally = new Map<string | null, number>();
  for (const tallied of result.healthyLeftOut ?? []) {
    tally.set(tallied.route, (tally.get(tallied.route) ?? 0) + tallied.hostnames);
  }
  for (const check of result.checks) {
    if (!onlyCounted(check)) {
      kept.push(check);
      continue;
    }
    const route = routeOf(check.hostname, check.zone);
    tally.set(route, (tally.get(route) ?? 0) + 1);
  }
  if (tally.size === 0) return result;
  const healthyLeftOut: HealthyTally[] = [...tally].map(([route, hostnames]) => ({ route, hostnames }));
  return { ...result, checks: kept, healthyLeftOut };
}
