/**
 * Zone discovery (`discover:` in the config): which of the zones the tokens list are watched, what
 * changed since the last listing, and which discovered zones are idle enough to be checked only at
 * `discover.every`. Pure: the discovery job lists and stores, the queue plans, these decide.
 */
import picomatch from 'picomatch';
import type { ZoneRef } from './types.js';

/** A zone found through `GET /zones`, with the account whose token listed it (and reads it). */
export interface DiscoveredZone {
  id: string;
  name: string;
  /** The `cloudflare.accounts` name whose token reads the zone. */
  account: string;
  /** The Cloudflare account id the zone belongs to, when the listing said. */
  accountId: string | null;
}

/** One token's listing: the zones it returned, or why it could not list them. */
export type AccountListing =
  | {
      account: string;
      ok: true;
      zones: ReadonlyArray<{ id: string; name: string; accountId: string | null }>;
    }
  | { account: string; ok: false; errorCode: string; errorMessage: string };

/** What `discover:` selects with: normalised (lowercase) globs and account ids. */
export interface DiscoverFilter {
  match: readonly string[];
  exclude: readonly string[];
  accountIds: readonly string[];
}

const labelMatchers = new Map<string, (label: string) => boolean>();

/** A matcher for one label of a glob (`api-*`, `shop?`, `[a-c]x`), compiled once. */
function labelMatcher(pattern: string): (label: string) => boolean {
  let matcher = labelMatchers.get(pattern);
  if (!matcher) {
    matcher = picomatch(pattern, { nocase: true, dot: true });
    labelMatchers.set(pattern, matcher);
  }
  return matcher;
}

/**
 * True when the zone name matches the glob. A label that is exactly `*` stands for one or more
 * labels, as in route globs (`*.example.com` matches `a.example.com` and `a.b.example.com`, not
 * `example.com`); any other label is matched on its own with the glob characters the config
 * accepts (`shop-*`, `?`, `[a-z]`, `{a,b}`). Case does not matter.
 *
 * @example zoneGlobMatches('*.example.com', 'a.b.example.com') // true
 * @example zoneGlobMatches('shop-*.example.com', 'shop-de.example.com') // true
 */
export function zoneGlobMatches(glob: string, zoneName: string): boolean {
  const pattern = glob.toLowerCase().replace(/\.$/, '').split('.');
  const subject = zoneName.toLowerCase().replace(/\.$/, '').split('.');
  // matched[j]: pattern[i..] matches subject[j..], computed from the last pattern label back.
  let next: boolean[] = Array.from({ length: subject.length + 1 }, (_, j) => j === subject.length);
  for (let i = pattern.length - 1; i >= 0; i -= 1) {
    const token = pattern[i] ?? '';
    const current = new Array<boolean>(subject.length + 1).fill(false);
    for (let j = subject.length - 1; j >= 0; j -= 1) {
      current[j] =
        token === '*'
          ? (next[j + 1] ?? false) || (current[j + 1] ?? false)
          : labelMatcher(token)(subject[j] ?? '') && (next[j + 1] ?? false);
    }
    next = current;
  }
  return next[0] ?? false;
}

/**
 * True when `discover.accounts`, `match` and `exclude` keep a zone (see `zoneGlobMatches`).
 *
 * @example zonePassesFilter({ name: 'shop.example.com', accountId: 'a1' }, { match: ['*.example.com'], exclude: [], accountIds: [] }) // true
 */
export function zonePassesFilter(
  zone: { name: string; accountId: string | null },
  filter: DiscoverFilter,
): boolean {
  const name = zone.name.toLowerCase().replace(/\.$/, '');
  if (filter.accountIds.length > 0 && !filter.accountIds.includes((zone.accountId ?? '').toLowerCase()))
    return false;
  if (filter.match.length > 0 && !filter.match.some((glob) => zoneGlobMatches(glob, name))) return false;
  return !filter.exclude.some((glob) => zoneGlobMatches(glob, name));
}

export interface DiscoverySelection {
  /** Every discovered zone now watched, in account order then as listed; no zone twice. */
  zones: DiscoveredZone[];
  /** Accounts whose listing failed: their zones are the ones of the last good list. */
  failedAccounts: Array<{ account: string; errorCode: string; errorMessage: string }>;
}

/**
 * The discovered zones to watch after one round of listings: each token's zones that pass the
 * filter, a zone seen by two tokens kept once (by the account a configured zone names, else the
 * first account in `cloudflare.accounts` order), and, for an account whose listing failed, its
 * zones from the last good list, so a failed listing never drops a zone.
 *
 * Configured zones are not repeated here (they are always watched); a configured zone listed by a
 * token only teaches which account reads it.
 */
export function selectDiscoveredZones(input: {
  listings: readonly AccountListing[];
  filter: DiscoverFilter;
  previous: readonly DiscoveredZone[];
  configured: ReadonlyArray<{ id: string }>;
}): DiscoverySelection {
  const configured = new Set(input.configured.map((zone) => zone.id));
  const chosen = new Map<string, DiscoveredZone>();
  const failedAccounts: DiscoverySelection['failedAccounts'] = [];
  for (const listing of input.listings) {
    if (!listing.ok) {
      failedAccounts.push({
        account: listing.account,
        errorCode: listing.errorCode,
        errorMessage: listing.errorMessage,
      });
      for (const zone of input.previous) {
        if (zone.account === listing.account && !chosen.has(zone.id) && !configured.has(zone.id))
          chosen.set(zone.id, zone);
      }
      continue;
    }
    for (const zone of listing.zones) {
      if (chosen.has(zone.id) || configured.has(zone.id)) continue;
      if (!zonePassesFilter(zone, input.filter)) continue;
      chosen.set(zone.id, {
        id: zone.id,
        name: zone.name,
        account: listing.account,
        accountId: zone.accountId,
      });
    }
  }
  return { zones: [...chosen.values()], failedAccounts };
}

export interface ZoneListChanges {
  added: DiscoveredZone[];
  removed: DiscoveredZone[];
}

/**
 * What changed between two discovered lists, each sorted by name. The first listing ever has
 * nothing "added": every zone is new, and saying so for hundreds of zones would be noise.
 *
 * @example diffZoneLists(null, zones) // { added: [], removed: [] }
 */
export function diffZoneLists(
  previous: readonly DiscoveredZone[] | null,
  next: readonly DiscoveredZone[],
): ZoneListChanges {
  if (previous === null) return { added: [], removed: [] };
  const before = new Set(previous.map((zone) => zone.id));
  const after = new Set(next.map((zone) => zone.id));
  const byName = (a: DiscoveredZone, b: DiscoveredZone) => a.name.localeCompare(b.name);
  return {
    added: next.filter((zone) => !before.has(zone.id)).sort(byName),
    removed: previous.filter((zone) => !after.has(zone.id)).sort(byName),
  };
}

/** What a zone's last check says about its use of AOP: enough to tell an idle zone. */
export interface ZoneUseReading {
  checkedAt: Date;
  /** The check failed: nothing is known, so the zone is not idle. */
  failed: boolean;
  /** Hostnames reported (associations found, or listed in the config or with `watch`). */
  hostnames: number;
  /** Hostname certificates uploaded to the zone, when the lists were read. */
  hostnameCertificates: number | null;
  /** null: the zone level was not read. */
  zoneLevel: { aop: boolean | null; certificates: number } | null;
}

/**
 * True when a zone's last check found no association, no hostname or zone-level certificate and
 * zone-level AOP off: nothing there can break an origin, so it is checked at `discover.every` only.
 */
export function isIdleZone(reading: ZoneUseReading): boolean {
  return (
    !reading.failed &&
    reading.hostnames === 0 &&
    (reading.hostnameCertificates ?? 0) === 0 &&
    reading.zoneLevel !== null &&
    reading.zoneLevel.aop !== true &&
    reading.zoneLevel.certificates === 0
  );
}

/**
 * Whether a discovered zone is checked in a run at `now`: always unless its last check found it idle
 * less than `everyMs` ago. A run up to a tenth of `everyMs` (a minute at most) early counts as due,
 * so an hourly zone is not pushed to the run after the one an hour later.
 *
 * @example zoneCheckDue(idleReadingFrom(10_00), new Date(11_00), 3_600_000) // true
 */
export function zoneCheckDue(reading: ZoneUseReading | null, now: Date, everyMs: number): boolean {
  if (reading === null || !isIdleZone(reading)) return true;
  const slackMs = Math.min(60_000, everyMs / 10);
  return now.getTime() - reading.checkedAt.getTime() >= everyMs - slackMs;
}

/** A short list of zone names for one digest line: the first `limit`, then "and N more". */
export function nameSample(zones: readonly ZoneRef[], limit = 5): { shown: string[]; more: number } {
  const names = zones.map((zone) => zone.name ?? zone.id);
  return { shown: names.slice(0, limit), more: Math.max(0, names.length - limit) };
}
