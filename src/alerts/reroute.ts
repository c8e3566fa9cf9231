/**
 * Changing `routes:` and restarting moves open grouped episodes to their new owner, losing nothing
 * and posting nothing twice. An open episode none of whose hostnames its route owns any more (or a
 * zone certificate whose zone another route now takes as a whole, or a route removed from the
 * config, whose episodes go to the top level) continues in the new owner's channel:
 *
 * - the new owner's group takes the episode over: a new parent in its channel, carrying the
 *   acknowledgement, the snooze and the ladder rungs already told, so no rung is told again; the
 *   runbook follows the new parent, since the team now owning it has not seen it;
 * - once that parent is confirmed, the old parent is edited once to say where the thread continues
 *   and loses its buttons; the old episode is dropped;
 * - when the hostnames split over several routes, the route owning most of them continues the
 *   episode and the others open their own episodes as for any new problem;
 * - when the new owner already has an open episode for the same problem, the hostnames join it and
 *   the old parent points there;
 * - when the new owner has no alerts channel (its alert threads are off), the old parent says so
 *   once and the episode ends there.
 *
 * An account's refused-token episode lists zones: it moves when its owner owns nothing in any of
 * the zones still refused, to the owner of most of them.
 *
 * An episode only some of whose hostnames changed owner stays where it is: those hostnames leave it
 * quietly (`observeGroups`) and open or join their new owner's episode.
 *
 * Pure: the evaluator applies the plan, each step under its group's lock, persisting after each post.
 */
import type { Episode } from './episode.js';
import {
  accountOfScope,
  type GroupAlertState,
  type GroupKey,
  groupEpisodeIdFor,
  groupIdOf,
  initialGroupState,
} from './group.js';

/** One open episode whose owner changed. */
export interface RouteMove {
  /** The group whose open episode moves; it is left out of this evaluation's observations. */
  from: GroupAlertState;
  /** The route now owning it (null: the top level). */
  route: string | null;
  /**
   * The group that continues it, or null when the new owner has no alerts channel (the old parent
   * then says its alert threads are off, and the episode ends).
   */
  toId: string | null;
  /** The continuing group to create, carrying the old episode's state; null when it is already open. */
  adoption: GroupAlertState | null;
  /** The hostnames that continue there (empty for a zone certificate). */
  hostnames: string[];
  /** When the hostnames split: the other new owners and their hostnames, each opening its own episode. */
  others: { route: string | null; hostnames: string[] }[];
}

export interface RouteMoveInput {
  groups: ReadonlyMap<string, GroupAlertState>;
  /** The route owning a hostname now (null: the top level); undefined when its zone is not known. */
  routeOf: (zoneId: string, hostname: string) => string | null | undefined;
  /** The route owning a zone's zone-level certificate now; undefined when the zone is not known. */
  zoneRouteOf: (zoneId: string) => string | null | undefined;
  /** Whether a route (null: the top level) has an alerts channel. */
  hasChannel: (route: string | null) => boolean;
  /**
   * The owners of a zone (by name, as an account episode lists it) whose account's token is refused
   * in this run (`blindZoneOwners`); undefined when the zone is not refused now, so nothing moves
   * for it (an account whose token works again ends its episodes where they are).
   */
  accountZoneOwnersOf?: (account: string, zoneName: string) => readonly (string | null)[] | undefined;
}

function isOpenGroup(group: GroupAlertState | undefined): boolean {
  return group?.episode != null && group.episode.resolvedAt === null;
}

/** The new owner of an open group's episode, or undefined when it stays (or nothing is known). */
function newOwnerOf(
  group: GroupAlertState,
  input: RouteMoveInput,
): { route: string | null; hostnames: string[]; others: RouteMove['others'] } | undefined {
  const episode = group.episode;
  if (episode === null || episode.group === null) return undefined;
  if (group.key.kind === 'zone_certificate') {
    const route = input.zoneRouteOf(group.zoneId);
    return route === undefined || route === group.key.route
      ? undefined
      : { route, hostnames: [], others: [] };
  }
  const hostnames = episode.group.hostnames;
  if (hostnames.length === 0) return undefined;
  const owners = new Map<string | null, string[]>();
  const account = accountOfScope(group.zoneId);
  if (account !== null) {
    // An account's episode lists zones, and a zone may have several owners.
    for (const zoneName of hostnames) {
      const zoneOwners = input.accountZoneOwnersOf?.(account, zoneName);
      if (zoneOwners === undefined) continue;
      if (zoneOwners.includes(group.key.route)) return undefined;
      for (const route of zoneOwners) owners.set(route, [...(owners.get(route) ?? []), zoneName]);
    }
  } else
    for (const hostname of hostnames) {
      const route = input.routeOf(group.zoneId, hostname);
      // Its zone is not known in this run: nobody can say who owns it, so nothing moves yet.
      if (route === undefined) return undefined;
      // Still owned here: the episode stays; the others leave it quietly.
      if (route === group.key.route) return undefined;
      owners.set(route, [...(owners.get(route) ?? []), hostname]);
    }
  // The route owning most of its hostnames continues it; ties go to the name that sorts first.
  const [first, ...rest] = [...owners.entries()].sort(
    (a, b) => b[1].length - a[1].length || (a[0] ?? '').localeCompare(b[0] ?? ''),
  );
  if (first === undefined) return undefined;
  return {
    route: first[0],
    hostnames: [...first[1]].sort(),
    others: rest.map(([route, hostnames]) => ({ route, hostnames: [...hostnames].sort() })),
  };
}

/**
 * The episode as its new owner's group continues it: the same problem and history, a new id (the
 * old one stays with the old parent's buttons), no parent yet, and the runbook still to post.
 */
function carriedEpisode(
  episode: Episode,
  groupId: string,
  route: string | null,
  hostnames: string[],
): Episode {
  return {
    ...episode,
    id: groupEpisodeIdFor(groupId, episode.openedAt),
    parent: null,
    // '' makes the next transition post the parent in the new owner's channel.
    parentSignature: '',
    group:
      episode.group === null
        ? null
        : { ...episode.group, route, hostnames: [...hostnames].sort(), runbookPosted: false },
  };
}

/**
 * Plans how every open grouped episode whose owner changed continues.
 *
 * @example
 * planRouteMoves({ groups, routeOf, zoneRouteOf, hasChannel }).map((move) => move.route) // ['payments']
 */
export function planRouteMoves(input: RouteMoveInput): RouteMove[] {
  const moves: RouteMove[] = [];
  // Two episodes moving into one group (two routes merged): the first carries its state, the other's hostnames join it.
  const adopted = new Set<string>();
  for (const group of [...input.groups.values()].sort((a, b) => a.id.localeCompare(b.id))) {
    if (!isOpenGroup(group) || group.episode === null) continue;
    const owner = newOwnerOf(group, input);
    if (owner === undefined) continue;
    if (!input.hasChannel(owner.route)) {
      moves.push({ ...owner, from: group, toId: null, adoption: null });
      continue;
    }
    const key: GroupKey = { ...group.key, route: owner.route };
    const toId = groupIdOf(key);
    const adoption =
      isOpenGroup(input.groups.get(toId)) || adopted.has(toId)
        ? null
        : {
            ...initialGroupState(key),
            episode: carriedEpisode(group.episode, toId, owner.route, owner.hostnames),
          };
    adopted.add(toId);
    moves.push({ ...owner, from: group, toId, adoption });
  }
  return moves;
}
