/**
 * The config's routes applied to the inventory: which route owns each checked hostname, and the
 * part of a run (checks and zone failures) that belongs to one route.
 */
import type { AppConfig, RouteConfig } from '../config/types.js';
import type { DigestInput, HostnameCheck, ZoneFailure } from '../digest/model.js';
import { createRouter, type Router } from '../domain/routing.js';
import type { Thresholds, ZoneRef } from '../domain/types.js';

export type ConfigRouter = Router<RouteConfig>;

/**
 * The router of a validated config. Zones the config lists with both id and name let a route
 * written with either match hostnames known by the other.
 *
 * @example routerFromConfig(config).routeOf('a.pay.example.com', zone).route?.name // 'payments'
 */
export function routerFromConfig(config: Pick<AppConfig, 'routes' | 'zones'>): ConfigRouter {
  return createRouter(
    config.routes,
    config.zones.map((zone) => ({ id: zone.id, name: zone.name })),
  );
}

/** The owning route's name, or null for the top level. */
export function routeNameOf(router: ConfigRouter, hostname: string, zone: ZoneRef): string | null {
  return router.routeOf(hostname, zone).route?.name ?? null;
}

/** The thresholds that apply to a hostname: its route's, else the top level's. */
export function thresholdsFor(
  router: ConfigRouter,
  topLevel: Thresholds,
): (hostname: string, zone: ZoneRef) => Thresholds {
  if (router.routes.length === 0) return () => topLevel;
  return (hostname, zone) => router.routeOf(hostname, zone).route?.thresholds ?? topLevel;
}

/** What a run holds per zone rather than per hostname: sliced by the zones a route can reach. */
type ZoneParts = Pick<
  DigestInput,
  'zoneCertificates' | 'zoneLevelFailures' | 'zoneQuotas' | 'healthyLeftOut'
>;

/**
 * The thresholds of what a zone holds as a whole (its zone-level certificates): those of the route
 * that takes the whole zone (`Router.zoneOwnerOf`), which also hears about them, else the top level's.
 */
export function zoneThresholdsFor(router: ConfigRouter, topLevel: Thresholds): (zone: ZoneRef) => Thresholds {
  if (router.routes.length === 0) return () => topLevel;
  return (zone) => router.zoneOwnerOf(zone)?.thresholds ?? topLevel;
}

/**
 * The part of a run that belongs to route `name`: its hostnames' checks, and the zone failures
 * that may hide some of them (a failed zone whose hostnames were to be discovered is shown to
 * every route that can own hostnames in it, since nobody can tell which ones it holds). Zone-level
 * certificates, zone-level failures and quotas are kept for the zones the route can own hostnames
 * in, so a route's digest never reports on zones it has nothing in.
 */
export function sliceForRoute(
  router: ConfigRouter,
  name: string,
  run: { checks: readonly HostnameCheck[]; zoneFailures: readonly ZoneFailure[] } & ZoneParts,
): { checks: HostnameCheck[]; zoneFailures: ZoneFailure[] } & ZoneParts {
  const owned = (hostname: string, zone: ZoneRef) => routeNameOf(router, hostname, zone) === name;
  const reaches = (zone: ZoneRef) => router.mayOwnInZone(name, zone);
  return {
    ...(run.zoneCertificates === undefined
      ? {}
      : { zoneCertificates: run.zoneCertificates.filter((entry) => reaches(entry.zone)) }),
    ...(run.zoneLevelFailures === undefined
      ? {}
      : { zoneLevelFailures: run.zoneLevelFailures.filter((entry) => reaches(entry.zone)) }),
    ...(run.zoneQuotas === undefined
      ? {}
      : { zoneQuotas: run.zoneQuotas.filter((entry) => reaches(entry.zone)) }),
    // Tallied per owning route by the zone check, so a route's digest counts its own healthy hostnames.
    ...(run.healthyLeftOut === undefined
      ? {}
      : { healthyLeftOut: run.healthyLeftOut.filter((tally) => tally.route === name) }),
    checks: run.checks.filter((check) => owned(check.hostname, check.zone)),
    zoneFailures: run.zoneFailures.flatMap((failure) => {
      if (!router.mayOwnInZone(name, failure.zone)) return [];
      if (failure.hostnames.length === 0) return [failure];
      const hostnames = failure.hostnames.filter((hostname) => owned(hostname, failure.zone));
      return hostnames.length > 0 ? [{ ...failure, hostnames }] : [];
    }),
  };
}
