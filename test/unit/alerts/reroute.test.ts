import { describe, expect, it } from 'vitest';
import {
  accountScopeZoneId,
  decideGroupTransition,
  type GroupAlertState,
  groupIdOf,
  initialGroupState,
  observeGroups,
} from '../../../src/alerts/group.js';
import { planRouteMoves, type RouteMoveInput } from '../../../src/alerts/reroute.js';
import { type AlertAction, applyAcknowledge, pointToRoutedThread } from '../../../src/alerts/transition.js';
import { renderAlertAction } from '../../../src/render/alert.js';
import { alertContext, applyActions, checked, SERIAL, TIME_ZONE, whenDaysLeft, ZONE_ID } from './builders.js';

/**
 * Routes and alert episodes: one certificate over two routes is two episodes, and an open episode
 * whose hostnames another route owns after the routes changed moves there with its history.
 */

const HOSTS = ['a.pay.example.com', 'b.pay.example.com', 'www.example.com', 'api.example.com'];
const PAY = new Set(['a.pay.example.com', 'b.pay.example.com']);
const byGlob = (zoneId: string, hostname: string) =>
  zoneId === ZONE_ID && PAY.has(hostname) ? 'payments' : null;

/** The state once Slack confirmed every action. */
function confirm(state: GroupAlertState, actions: AlertAction<GroupAlertState>[]): GroupAlertState {
  return applyActions(state, { next: state, actions });
}

/** Observes `hostnames` at `now` and applies every group's decision as Slack would confirm it. */
function evaluate(
  groups: Map<string, GroupAlertState>,
  now: Date,
  routeOf: (zoneId: string, hostname: string) => string | null,
  hostnames: readonly string[] = HOSTS,
): Record<string, string[]> {
  const { observations } = observeGroups({
    evaluations: hostnames.map((hostname) => ({
      zoneId: ZONE_ID,
      hostname,
      evaluation: checked(now, { hostname }),
    })),
    hostnameStates: new Map(),
    groups,
    cannotCheckAfterEvaluations: 3,
    routeOf,
  });
  const result: Record<string, string[]> = {};
  for (const [id, observation] of observations) {
    let state = groups.get(id) ?? initialGroupState(observation.key);
    const labels: string[] = [];
    for (let round = 0; round < 3; round += 1) {
      const transition = decideGroupTransition(state, observation, alertContext(now));
      labels.push(...transition.actions.map((action) => action.type));
      state = transition.actions.length === 0 ? transition.next : confirm(state, transition.actions);
      if (!transition.actions.some((action) => action.type === 'post_parent')) break;
    }
    groups.set(id, state);
    if (labels.length > 0) result[observation.key.route ?? 'top'] = labels;
  }
  return result;
}

function groupOf(route: string | null): string {
  return groupIdOf({ kind: 'certificate', zoneId: ZONE_ID, certificateKey: SERIAL, problem: null, route });
}

const moveInput = (
  groups: Map<string, GroupAlertState>,
  routeOf: RouteMoveInput['routeOf'],
  overrides: Partial<RouteMoveInput> = {},
): RouteMoveInput => ({
  groups,
  routeOf,
  zoneRouteOf: () => null,
  hasChannel: () => true,
  ...overrides,
});

describe('episodes by route', () => {
  it('splits one certificate into one episode per route, each with its own hostnames', () => {
    const groups = new Map<string, GroupAlertState>();
    expect(evaluate(groups, whenDaysLeft(20), byGlob)).toEqual({
      payments: ['post_parent', 'post_reply'],
      top: ['post_parent', 'post_reply'],
    });
    expect(groups.get(groupOf('payments'))?.episode?.group?.hostnames).toEqual([...PAY].sort());
    expect(groups.get(groupOf(null))?.episode?.group?.hostnames).toEqual([
      'api.example.com',
      'www.example.com',
    ]);
    expect(groups.get(groupOf('payments'))?.episode?.group?.route).toBe('payments');
  });

  it('lets hostnames another route now owns leave an episode quietly, without calling them recovered', () => {
    const groups = new Map<string, GroupAlertState>();
    evaluate(groups, whenDaysLeft(20), () => null);
    const actions = evaluate(groups, whenDaysLeft(19.5), byGlob);
    // The top-level parent shows its two remaining hostnames; payments' episode opens for the other two.
    expect(actions).toEqual({ top: ['update_parent'], payments: ['post_parent', 'post_reply'] });
    const top = groups.get(groupOf(null))?.episode?.group;
    expect(top?.hostnames).toEqual(['api.example.com', 'www.example.com']);
    expect(top?.departed).toEqual([]);
  });
});

describe('planRouteMoves', () => {
  function openTopLevel(): Map<string, GroupAlertState> {
    const groups = new Map<string, GroupAlertState>();
    evaluate(groups, whenDaysLeft(10), () => null);
    const id = groupOf(null);
    const state = groups.get(id) as GroupAlertState;
    const acknowledged = applyAcknowledge(state, {
      userId: 'U0ACK',
      now: whenDaysLeft(9.9),
      timeZone: TIME_ZONE,
    });
    groups.set(id, confirm(state, acknowledged.actions));
    return groups;
  }

  it('moves an episode none of whose hostnames its route owns to the new owner, with its history and a new id', () => {
    const groups = openTopLevel();
    const old = groups.get(groupOf(null)) as GroupAlertState;
    const [move, ...rest] = planRouteMoves(moveInput(groups, () => 'platform'));
    expect(rest).toEqual([]);
    expect(move?.toId).toBe(groupOf('platform'));
    const carried = move?.adoption?.episode;
    expect(carried?.parent).toBeNull();
    expect(carried?.id).not.toBe(old.episode?.id);
    expect(carried?.acknowledged?.userId).toBe('U0ACK');
    expect(carried?.rungsPosted).toEqual(old.episode?.rungsPosted);
    expect(carried?.group).toMatchObject({
      route: 'platform',
      hostnames: [...HOSTS].sort(),
      runbookPosted: false,
    });
  });

  it('leaves an episode still partly owned by its route, and one whose zone is not known, where they are', () => {
    const groups = openTopLevel();
    expect(planRouteMoves(moveInput(groups, byGlob))).toEqual([]);
    expect(planRouteMoves(moveInput(groups, () => undefined))).toEqual([]);
    expect(planRouteMoves(moveInput(groups, () => null))).toEqual([]);
  });

  it('gives a split episode to the route owning most of its hostnames', () => {
    const groups = openTopLevel();
    const routeOf = (_zoneId: string, hostname: string) =>
      hostname === 'www.example.com' ? 'web' : 'platform';
    const [move] = planRouteMoves(moveInput(groups, routeOf));
    expect(move?.route).toBe('platform');
    expect(move?.others).toEqual([{ route: 'web', hostnames: ['www.example.com'] }]);
    expect(move?.adoption?.episode?.group?.hostnames).toEqual([
      'a.pay.example.com',
      'api.example.com',
      'b.pay.example.com',
    ]);
  });

  it('points at an episode the new owner already has open instead of carrying one over', () => {
    const groups = openTopLevel();
    const existing = initialGroupState({
      kind: 'certificate',
      zoneId: ZONE_ID,
      certificateKey: SERIAL,
      problem: null,
      route: 'platform',
    });
    groups.set(existing.id, { ...existing, episode: groups.get(groupOf(null))?.episode ?? null });
    const moves = planRouteMoves(
      moveInput(groups, (_zone, hostname) => (hostname.startsWith('a.') ? 'web' : 'platform')),
    );
    expect(moves.find((move) => move.from.id === groupOf(null))).toMatchObject({
      toId: groupOf('platform'),
      adoption: null,
    });
  });

  it('ends the episode with a note when the new owner has no alerts channel', () => {
    const groups = openTopLevel();
    const [move] = planRouteMoves(
      moveInput(groups, () => 'quiet', { hasChannel: (route) => route !== 'quiet' }),
    );
    expect(move).toMatchObject({ route: 'quiet', toId: null, adoption: null });
  });

  it('moves a zone certificate when another route takes its zone as a whole', () => {
    const key = {
      kind: 'zone_certificate' as const,
      zoneId: ZONE_ID,
      certificateKey: 'zone-cert',
      problem: null,
      route: null,
    };
    const groups = openTopLevel();
    const top = groups.get(groupOf(null)) as GroupAlertState;
    groups.set(groupIdOf(key), { ...initialGroupState(key), episode: top.episode });
    const input = moveInput(groups, () => null, { zoneRouteOf: () => 'platform' });
    const [move] = planRouteMoves(input);
    expect(move?.toId).toBe(groupIdOf({ ...key, route: 'platform' }));
    expect(planRouteMoves({ ...input, zoneRouteOf: () => undefined })).toEqual([]);
  });
});

describe('planRouteMoves, an account whose token is refused', () => {
  const ZONES = ['a.example.org', 'b.example.org', 'c.example.org'];
  const key = (route: string | null) => ({
    kind: 'cannot_check' as const,
    zoneId: accountScopeZoneId('edge'),
    certificateKey: null,
    problem: 'access',
    route,
  });
  /** The top-level account episode as the release before per-route account episodes stored it. */
  function openTopLevelAccount(): Map<string, GroupAlertState> {
    const groups = new Map<string, GroupAlertState>();
    const { observations } = observeGroups({
      evaluations: [],
      hostnameStates: new Map(),
      groups,
      cannotCheckAfterEvaluations: 3,
      accountAccess: [
        {
          account: 'edge',
          refusedZones: ZONES.map((name, index) => ({ id: `z${index}`, name })),
          error: { errorCode: 'cloudflare_forbidden', errorMessage: 'Invalid access token' },
        },
      ],
    });
    const observation = observations.get(groupIdOf(key(null)));
    if (observation === undefined) throw new Error('no account observation');
    const opened = initialGroupState(observation.key);
    const transition = decideGroupTransition(opened, observation, alertContext(whenDaysLeft(10)));
    groups.set(opened.id, confirm(opened, transition.actions));
    return groups;
  }

  it('moves to the route owning most of its refused zones when the top level owns none of them', () => {
    const groups = openTopLevelAccount();
    const owners: Record<string, string[]> = {
      'a.example.org': ['payments'],
      'b.example.org': ['payments', 'shop'],
      'c.example.org': ['shop', 'payments'],
    };
    const [move, ...rest] = planRouteMoves(
      moveInput(groups, () => undefined, { accountZoneOwnersOf: (_account, zone) => owners[zone] }),
    );
    expect(rest).toEqual([]);
    expect(move).toMatchObject({
      toId: groupIdOf(key('payments')),
      route: 'payments',
      hostnames: ZONES,
      others: [{ route: 'shop', hostnames: ['b.example.org', 'c.example.org'] }],
    });
    expect(move?.adoption?.episode?.group?.hostnames).toEqual(ZONES);
  });

  it('stays where it is while the top level still owns one of the zones, or when the token works again', () => {
    const groups = openTopLevelAccount();
    const partly = (_account: string, zone: string) => (zone === 'a.example.org' ? [null, 'shop'] : ['shop']);
    expect(planRouteMoves(moveInput(groups, () => undefined, { accountZoneOwnersOf: partly }))).toEqual([]);
    expect(
      planRouteMoves(moveInput(groups, () => undefined, { accountZoneOwnersOf: () => undefined })),
    ).toEqual([]);
    expect(planRouteMoves(moveInput(groups, () => undefined))).toEqual([]);
  });
});

describe('a moved episode', () => {
  it("posts its parent in the new owner's channel, mentioning when critical and not acknowledged, tells no rung again, and the old parent says where it continues", () => {
    const groups = new Map<string, GroupAlertState>();
    evaluate(groups, whenDaysLeft(5), () => null);
    const old = groups.get(groupOf(null)) as GroupAlertState;
    const [move] = planRouteMoves(moveInput(groups, () => 'platform'));
    const adopted = move?.adoption as GroupAlertState;
    const now = whenDaysLeft(4.9);
    const { observations } = observeGroups({
      evaluations: HOSTS.map((hostname) => ({
        zoneId: ZONE_ID,
        hostname,
        evaluation: checked(now, { hostname }),
      })),
      hostnameStates: new Map(),
      groups: new Map([[adopted.id, adopted]]),
      cannotCheckAfterEvaluations: 3,
      routeOf: () => 'platform',
    });
    const context = alertContext(now, { channel: 'C0PLATINC', movedFromAnotherRoute: true });
    const first = decideGroupTransition(adopted, observations.get(adopted.id) ?? null, context);
    expect(first.actions.map((action) => action.type)).toEqual(['post_parent']);
    const posted = first.actions[0];
    expect(posted?.type === 'post_parent' && posted.channel).toBe('C0PLATINC');
    expect(
      renderAlertAction(posted as AlertAction<GroupAlertState>, { now, timeZone: TIME_ZONE }).text,
    ).toContain('<!subteam^S0123>');
    const afterParent = confirm(adopted, first.actions);
    const second = decideGroupTransition(afterParent, observations.get(adopted.id) ?? null, context);
    expect(
      second.actions.map((action) => (action.type === 'post_reply' ? action.reason : action.type)),
    ).toEqual(['runbook']);
    const parent = confirm(afterParent, second.actions).episode?.parent ?? null;

    const pointer = pointToRoutedThread(old, old.episode?.id ?? '', { route: 'platform', parent });
    expect(pointer.next.episode).toBeNull();
    expect(pointer.actions.map((action) => action.type)).toEqual(['update_parent']);
    const message = renderAlertAction(pointer.actions[0] as AlertAction<GroupAlertState>, {
      now,
      timeZone: TIME_ZONE,
    });
    expect(message.text).toContain('continues in <#C0PLATINC> (route platform)');
    expect(JSON.stringify(message.blocks)).not.toContain('aop_alert_ack');
    expect(message.metadata?.event_payload).toMatchObject({
      state: 'continued',
      continued_in_ts: parent?.ts,
    });
    // Already pointed (or moved on): nothing more.
    expect(
      pointToRoutedThread(pointer.next, old.episode?.id ?? '', { route: 'platform', parent }).actions,
    ).toEqual([]);
    const off = pointToRoutedThread(old, old.episode?.id ?? '', { route: 'quiet', parent: null });
    expect(
      renderAlertAction(off.actions[0] as AlertAction<GroupAlertState>, { now, timeZone: TIME_ZONE }).text,
    ).toContain('route quiet has no alerts channel');
  });
});
