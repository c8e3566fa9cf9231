/**
 * A digest is handed a zone's problems in full and its healthy hostnames as counts per owning
 * route. Job results written before that (every hostname in `checks`) make the same digest.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RouteConfig } from '../../../src/config/types.js';
import { groupDigestItems } from '../../../src/digest/group.js';
import { digestInputFromRun } from '../../../src/digest/input.js';
import { handOffToDigest, onlyCounted } from '../../../src/inventory/digest-handoff.js';
import { routeNameOf, routerFromConfig, sliceForRoute } from '../../../src/inventory/routing.js';
import type { RunPayload } from '../../../src/inventory/run.js';
import type { ZoneCheckResult } from '../../../src/inventory/zone-check.js';
import {
  deserializeZoneCheck,
  reviveZoneCheck,
  serializeZoneCheck,
} from '../../../src/queue/serialization.js';
import { renderDigest } from '../../../src/render/digest.js';
import { SLOT_TIME, TIME_ZONE, ZONE_A } from '../digest/builders.js';

/** Written by the release before this one: a zone-check job result with every hostname in `checks`. */
const STORED_WITH_EVERY_HOSTNAME = readFileSync(
  new URL('../../fixtures/state/zone-check-result-every-hostname.json', import.meta.url),
  'utf8',
);
const NOW = new Date(SLOT_TIME.getTime() + 60_000);

function route(name: string, hostnames: string[]): RouteConfig {
  return {
    name,
    match: { zones: null, hostnames },
    alertsChannel: null,
    mentionOnCritical: '',
    digest: { channels: [], schedule: '0 9 * * *', timeZone: TIME_ZONE },
    thresholds: { warningDays: 30, criticalDays: 7, stuckPendingMinutes: 120 },
  };
}

const router = routerFromConfig({
  zones: [{ id: ZONE_A.id, name: ZONE_A.name, hostnames: null }],
  routes: [route('payments', ['pay.a.example', 'pay-api.a.example'])],
});
const routeOf = (hostname: string, zone: { id: string; name: string | null }) =>
  routeNameOf(router, hostname, zone);

function payload(): RunPayload {
  return {
    purpose: 'digest',
    slotId: 'digest-slot-1',
    slotTimeMs: SLOT_TIME.getTime(),
    startedAtMs: SLOT_TIME.getTime(),
    lateByMs: 0,
    trigger: 'schedule',
    channel: null,
    zonesTotal: 1,
    plans: [],
  };
}

function digestOf(result: ZoneCheckResult, routeName: string | null = null) {
  const whole = digestInputFromRun(
    { payload: payload(), results: [result] },
    { timeZone: TIME_ZONE, now: NOW, nextDigestAt: null },
  );
  return routeName === null
    ? { ...whole, route: null }
    : { ...whole, ...sliceForRoute(router, routeName, whole), route: routeName };
}

describe('handing a zone check to the digest', () => {
  const stored = deserializeZoneCheck(STORED_WITH_EVERY_HOSTNAME);
  const handed = handOffToDigest(stored, routeOf);

  it('keeps the problems and the healthy hostnames an origin may reject, and counts the rest per route', () => {
    expect(handed.checks.map((check) => check.hostname).sort()).toEqual([
      'cart.a.example',
      'legacy.a.example',
      'pay.a.example',
      'shop.a.example',
    ]);
    expect(handed.healthyLeftOut).toEqual(
      expect.arrayContaining([
        { route: null, hostnames: 3 },
        { route: 'payments', hostnames: 1 },
      ]),
    );
    expect(handed.healthyLeftOut).toHaveLength(2);
    expect(handed.checks.every((check) => !onlyCounted(check))).toBe(true);
  });

  it('survives the trip through Redis, and handing it off again changes nothing', () => {
    const revived = reviveZoneCheck(JSON.parse(serializeZoneCheck(handed)));
    expect(revived).toEqual(handed);
    expect(handOffToDigest(revived, routeOf)).toEqual(handed);
  });

  it('makes the same digest as the result with every hostname, for the whole inventory and per route', () => {
    for (const routeName of [null, 'payments']) {
      const before = digestOf(stored, routeName);
      const after = digestOf(handed, routeName);
      expect(groupDigestItems(after)).toEqual(groupDigestItems(before));
      expect(renderDigest(after)).toEqual(renderDigest(before));
    }
    expect(groupDigestItems(digestOf(handed)).counts.bySeverity).toEqual({
      critical: 2,
      warning: 1,
      unknown: 0,
      info: 0,
      ok: 5,
    });
    expect(groupDigestItems(digestOf(handed, 'payments')).counts).toMatchObject({
      bySeverity: { critical: 0, warning: 1, unknown: 0, info: 0, ok: 1 },
      hostnamesChecked: 2,
    });
  });

  it('says a zone whose hostnames are all healthy is healthy, not empty', () => {
    const healthyOnly: ZoneCheckResult = {
      ...stored,
      checks: stored.checks.filter((check) => onlyCounted(check)),
    };
    const rendered = renderDigest(digestOf(handOffToDigest(healthyOnly, routeOf)));
    expect(rendered.kind).toBe('all_clear');
    expect(JSON.stringify(rendered.messages)).toContain('all 4 hostnames in 1 zone are healthy');
  });

  it('leaves a result with nothing to count as it was', () => {
    const problemsOnly: ZoneCheckResult = {
      ...stored,
      checks: stored.checks.filter((check) => !onlyCounted(check)),
    };
    expect(handOffToDigest(problemsOnly, routeOf)).toBe(problemsOnly);
  });
});
