/**
 * Team routing (`routes:` in the config): which route owns a hostname, and which routes can never
 * own one because an earlier route takes everything they match. Pure: the config module validates
 * with it, the workers and the slash command ask it.
 */
import { parseHostname, parseZoneId, parseZoneName } from './hostname.js';
import type { ZoneRef } from './types.js';

/** Route names appear in commands (`subscribe payments`), metric labels and Redis keys. */
export const ROUTE_NAME_PATTERN = /^[a-z0-9-]{1,40}$/;

/** What a route matches on. Absent (null) criteria hold for every hostname; at least one is set. */
export interface RouteMatch {
  /** Zone names or ids, normalised (lowercase). */
  zones: readonly string[] | null;
  /** Hostname globs, normalised: `*` stands for one or more labels. */
  hostnames: readonly string[] | null;
}

export interface RouteRule {
  name: string;
  match: RouteMatch;
}

/** Why a route owns a hostname: each criterion that held, in the order the route lists them. */
export type MatchedCriterion = { kind: 'zone'; value: string } | { kind: 'hostname'; glob: string };

export type RouteDecision<R extends RouteRule> =
  | { route: R; index: number; criteria: MatchedCriterion[] }
  | { route: null; index: null; criteria: [] };

const WILDCARD = '*';
/** Stands in for `*` while the rest of a glob is validated as a hostname (it is a valid label). */
const WILDCARD_PLACEHOLDER = 'wildcard-label-0';

export type GlobParseResult = { ok: true; glob: string } | { ok: false; reason: string };

/**
 * Validates and normalises a hostname glob: a hostname whose labels may each be `*`, standing for
 * one or more labels. A `*` inside a label (`api-*`) is refused rather than read some other way.
 *
 * @example parseHostnameGlob('*.Pay.Example.com') // { ok: true, glob: '*.pay.example.com' }
 * @example parseHostnameGlob('api-*.example.com') // { ok: false, reason: '…whole label…' }
 */
export function parseHostnameGlob(input: string): GlobParseResult {
  if (typeof input !== 'string') return { ok: false, reason: 'A hostname glob must be text.' };
  let text = input.trim().toLowerCase();
  if (text.endsWith('.')) text = text.slice(0, -1);
  const labels = text.split('.');
  if (labels.some((label) => label.includes(WILDCARD) && label !== WILDCARD)) {
    return { ok: false, reason: '`*` must be a whole label, e.g. *.pay.example.com.' };
  }
  if (labels.every((label) => label === WILDCARD)) {
    return { ok: false, reason: 'A glob needs at least one label that is not `*`, e.g. *.example.com.' };
  }
  if (labels.includes(WILDCARD_PLACEHOLDER)) {
    return { ok: false, reason: `The label “${WILDCARD_PLACEHOLDER}” is reserved.` };
  }
  const parsed = parseHostname(
    labels.map((label) => (label === WILDCARD ? WILDCARD_PLACEHOLDER : label)).join('.'),
  );
  if (!parsed.ok) return { ok: false, reason: parsed.reason };
  return {
    ok: true,
    glob: parsed.hostname
      .split('.')
      .map((label) => (label === WILDCARD_PLACEHOLDER ? WILDCARD : label))
      .join('.'),
  };
}

/**
 * Whether the token sequence `pattern` (labels or `*`) matches `subject`. When `subject` is itself
 * a glob, a `*` in it can only be matched by a `*` of the pattern (it stands for any label), which
 * makes the same function answer "does every hostname of `subject` match `pattern`?".
 */
function tokensMatch(pattern: readonly string[], subject: readonly string[]): boolean {
  // matched[i][j]: pattern[i..] matches subject[j..]. Bottom-up, so long inputs cannot recurse deeply.
  const rows = pattern.length;
  const columns = subject.length;
  let next: boolean[] = Array.from({ length: columns + 1 }, (_, j) => j === columns);
  for (let i = rows - 1; i >= 0; i -= 1) {
    const current: boolean[] = new Array<boolean>(columns + 1).fill(false);
    const token = pattern[i];
    for (let j = columns - 1; j >= 0; j -= 1) {
      if (token === WILDCARD) {
        // `*` takes subject[j] and either stops (next row) or keeps taking (same row, next column).
        current[j] = (next[j + 1] ?? false) || (current[j + 1] ?? false);
      } else {
        current[j] = token === subject[j] && (next[j + 1] ?? false);
      }
    }
    next = current;
  }
  return next[0] ?? false;
}

/**
 * True when `hostname` matches `glob` (both normalised). A literal `*.` label of a wildcard
 * hostname is matched like any other label.
 *
 * @example globMatches('*.pay.example.com', 'a.b.pay.example.com') // true
 * @example globMatches('*.pay.example.com', 'pay.example.com') // false
 */
export function globMatches(glob: string, hostname: string): boolean {
  if (!glob.includes(WILDCARD)) return glob === hostname;
  const subject = hostname.split('.').map((label) => (label === WILDCARD ? '\u0000' : label));
  return tokensMatch(glob.split('.'), subject);
}

/**
 * True when every hostname `narrower` matches also matches `broader`: the test behind "this route
 * can never match". Exact for single globs; `false` means "not provably covered".
 *
 * @example globCovers('*.example.com', '*.pay.example.com') // true
 * @example globCovers('*.pay.example.com', '*.example.com') // false
 */
export function globCovers(broader: string, narrower: string): boolean {
  return tokensMatch(broader.split('.'), narrower.split('.'));
}

/**
 * True when `glob` can match a hostname of the zone named `zoneName` (the zone apex or any name
 * under it): a glob of another domain can never own anything there.
 *
 * @example globReachesZone('*.pay.example.com', 'example.com') // true
 * @example globReachesZone('*.example.org', 'example.com') // false
 * @example globReachesZone('*.com', 'example.com') // true
 */
export function globReachesZone(glob: string, zoneName: string): boolean {
  if (globMatches(glob, zoneName)) return true;
  // Does some name match both `glob` and `*.zoneName`? Each step takes one label both accept.
  const left = glob.split('.');
  const right = [WILDCARD, ...zoneName.split('.')];
  // Row i says whether left[i..] and right[j..] match a common sequence of labels, for each j.
  // Bottom-up from the row where `left` is used up, so long inputs cannot recurse deeply.
  let next: boolean[] = Array.from({ length: right.length + 1 }, (_, j) => j === right.length);
  for (let i = left.length - 1; i >= 0; i -= 1) {
    const current: boolean[] = new Array<boolean>(right.length + 1).fill(false);
    const a = left[i];
    for (let j = right.length - 1; j >= 0; j -= 1) {
      const b = right[j];
      const both = next[j + 1] ?? false;
      // A `*` that took this label may take the next one too (stay on its row or column).
      if (a === WILDCARD && b === WILDCARD)
        current[j] = both || (current[j + 1] ?? false) || (next[j] ?? false);
      else if (a === WILDCARD) current[j] = both || (current[j + 1] ?? false);
      else if (b === WILDCARD) current[j] = both || (next[j] ?? false);
      else current[j] = a === b && both;
    }
    next = current;
  }
  return next[0] ?? false;
}

export type ZoneCriterionParseResult = { ok: true; value: string } | { ok: false; reason: string };

/** A `match.zones` entry: a zone id (32 hexadecimal characters) or a zone name, lowercased. */
export function parseZoneCriterion(input: string): ZoneCriterionParseResult {
  if (typeof input !== 'string') return { ok: false, reason: 'A zone must be a name or an id.' };
  const asId = parseZoneId(input);
  if (asId.ok) return { ok: true, value: asId.zoneId };
  const asName = parseZoneName(input);
  if (asName.ok) return { ok: true, value: asName.zoneName };
  return {
    ok: false,
    reason: `neither a zone id (32 hexadecimal characters) nor a zone name: ${asName.reason}`,
  };
}

/**
 * The zones whose name and id are both known (the config's zones), so that a route naming a zone
 * by name still matches a hostname known only by its zone id, and the other way round.
 */
function zoneAliases(knownZones: readonly ZoneRef[]): (entry: string) => Set<string> {
  const byId = new Map<string, string>();
  const byName = new Map<string, string>();
  for (const zone of knownZones) {
    if (zone.name === null) continue;
    byId.set(zone.id, zone.name);
    byName.set(zone.name, zone.id);
  }
  return (entry) => {
    const aliases = new Set([entry]);
    const other = byId.get(entry) ?? byName.get(entry);
    if (other !== undefined) aliases.add(other);
    return aliases;
  };
}

export interface Router<R extends RouteRule> {
  readonly routes: readonly R[];
  /** The first route whose every criterion holds for `hostname` in `zone`, and why. */
  routeOf(hostname: string, zone: ZoneRef): RouteDecision<R>;
  /** The route named `name`, if configured. */
  named(name: string): R | null;
  /**
   * True when the route named `name` could own a hostname of `zone` (used to skip zones a route
   * cannot reach): its zones include it, and one of its globs can match a name in it.
   */
  mayOwnInZone(name: string, zone: ZoneRef): boolean;
  /**
   * The route that owns what a zone holds as a whole (its zone-level certificate): the first route
   * whose zones include `zone` and that names no hostnames, so it would own any hostname of the zone
   * no earlier glob takes. Null: the top level. A route with hostname globs only is never the owner:
   * it may reach into every zone, but the zone's certificate is not one of its hostnames.
   */
  zoneOwnerOf(zone: ZoneRef): R | null;
}

/**
 * Builds the matcher for an ordered list of routes: the first route whose criteria all hold owns
 * the hostname; hostnames no route owns return `{ route: null }` (the top-level alerts and digest).
 *
 * @example
 * const router = createRouter([{ name: 'payments', match: { zones: null, hostnames: ['*.pay.example.com'] } }], []);
 * router.routeOf('a.pay.example.com', { id: '…', name: 'example.com' }).route?.name // 'payments'
 */
export function createRouter<R extends RouteRule>(
  routes: readonly R[],
  knownZones: readonly ZoneRef[],
): Router<R> {
  const aliasesOf = zoneAliases(knownZones);
  const nameOfZone = new Map(
    knownZones.flatMap((zone) => (zone.name === null ? [] : [[zone.id, zone.name]])),
  );
  const compiled = routes.map((route) => ({
    route,
    zones: route.match.zones?.map((entry) => ({ entry, aliases: aliasesOf(entry) })) ?? null,
    hostnames: route.match.hostnames ?? null,
  }));
  const zoneCriterion = (rule: (typeof compiled)[number], zone: ZoneRef) =>
    rule.zones?.find(({ aliases }) => aliases.has(zone.id) || (zone.name !== null && aliases.has(zone.name)));

  return {
    routes,
    named: (name) => routes.find((route) => route.name === name) ?? null,
    mayOwnInZone(name, zone) {
      const rule = compiled.find((candidate) => candidate.route.name === name);
      if (rule === undefined) return false;
      if (rule.zones !== null && zoneCriterion(rule, zone) === undefined) return false;
      if (rule.hostnames === null) return true;
      // A zone's hostnames are its apex and the names under it: globs of other domains never reach it.
      const zoneName = zone.name ?? nameOfZone.get(zone.id) ?? null;
      return zoneName === null || rule.hostnames.some((glob) => globReachesZone(glob, zoneName));
    },
    zoneOwnerOf(zone) {
      const owner = compiled.find(
        (rule) => rule.hostnames === null && rule.zones !== null && zoneCriterion(rule, zone) !== undefined,
      );
      return owner?.route ?? null;
    },
    routeOf(hostname, zone) {
      const name = hostname.toLowerCase();
      for (const [index, rule] of compiled.entries()) {
        const criteria: MatchedCriterion[] = [];
        if (rule.zones !== null) {
          const found = zoneCriterion(rule, zone);
          if (!found) continue;
          criteria.push({ kind: 'zone', value: found.entry });
        }
        if (rule.hostnames !== null) {
          const glob = rule.hostnames.find((candidate) => globMatches(candidate, name));
          if (glob === undefined) continue;
          criteria.push({ kind: 'hostname', glob });
        }
        return { route: rule.route, index, criteria };
      }
      return { route: null, index: null, criteria: [] };
    },
  };
}

export interface ShadowedRoute {
  index: number;
  /** The earlier routes that together take everything it matches. */
  byIndexes: number[];
}

/**
 * Routes that can never own a hostname because earlier routes take everything they match. A route
 * matches the cells "zone × glob" of its criteria (an absent criterion is one cell, "any"); a cell
 * is taken when some earlier route's zones include that zone (or it has no zone criterion) and one
 * of its globs covers that glob (or it has no hostname criterion). Zones named in a way that
 * cannot be compared (a name and an id of a zone the config does not list) count as different, so
 * only routes that are certainly unreachable are reported.
 *
 * @example
 * findShadowedRoutes([
 *   { name: 'web', match: { zones: null, hostnames: ['*.example.com'] } },
 *   { name: 'pay', match: { zones: null, hostnames: ['*.pay.example.com'] } },
 * ], []) // [{ index: 1, byIndexes: [0] }]
 */
export function findShadowedRoutes(
  routes: readonly RouteRule[],
  knownZones: readonly ZoneRef[],
): ShadowedRoute[] {
  const aliasesOf = zoneAliases(knownZones);
  const shadowed: ShadowedRoute[] = [];
  routes.forEach((route, index) => {
    const zones: (string | null)[] = route.match.zones ? [...route.match.zones] : [null];
    const globs: (string | null)[] = route.match.hostnames ? [...route.match.hostnames] : [null];
    const byIndexes = new Set<number>();
    for (const zone of zones) {
      for (const glob of globs) {
        const taker = routes.slice(0, index).findIndex((earlier) => {
          const zoneTaken =
            earlier.match.zones === null ||
            (zone !== null &&
              earlier.match.zones.some((entry) => {
                const aliases = aliasesOf(entry);
                return [...aliasesOf(zone)].some((alias) => aliases.has(alias));
              }));
          const globTaken =
            earlier.match.hostnames === null ||
            (glob !== null && earlier.match.hostnames.some((broader) => globCovers(broader, glob)));
          return zoneTaken && globTaken;
        });
        if (taker === -1) return;
        byIndexes.add(taker);
      }
    }
    shadowed.push({ index, byIndexes: [...byIndexes].sort((a, b) => a - b) });
  });
  return shadowed;
}
