import { describe, expect, it } from 'vitest';
import type { HostnameAlertState } from '../../../src/alerts/episode.js';
import {
  accountScopeZoneId,
  blindZoneOwners,
  createGroupObserver,
  decideGroupTransition,
  type GroupAlertState,
  groupIdOf,
  initialGroupState,
  observeGroups,
} from '../../../src/alerts/group.js';
import {
  type AlertAction,
  type AlertEvaluation,
  applyAcknowledge,
  applySnooze,
  confirmAlertAction,
} from '../../../src/alerts/transition.js';
import type { ZoneLevelCheck } from '../../../src/digest/model.js';
import { assessZoneCertificate } from '../../../src/domain/severity.js';
import type { ZoneCertificate } from '../../../src/domain/types.js';
import { renderAlertAction } from '../../../src/render/alert.js';
import {
  alertContext,
  checked,
  DAY_MS,
  EXPIRY,
  NEW_EXPIRY,
  NEW_SERIAL,
  nextTs,
  SERIAL,
  statusReason,
  TIME_ZONE,
  unreachable,
  whenDaysLeft,
  ZONE_ID,
} from './builders.js';

/**
 * Grouped episodes as a transition table: a small world of hostnames evaluated step by step with a
 * fixed clock; every step lists the Slack actions per group, and the world applies them as Slack
 * would confirm them.
 */

const HOSTS = ['a.example.com', 'b.example.com', 'c.example.com', 'd.example.com'];
const CERTIFICATE_GROUP = groupIdOf({
  kind: 'certificate',
  zoneId: ZONE_ID,
  certificateKey: SERIAL,
  problem: null,
  route: null,
});

interface World {
  hostnames: Map<string, HostnameAlertState>;
  groups: Map<string, GroupAlertState>;
}

type Observed = (hostname: string, now: Date) => AlertEvaluation;

function world(): World {
  return { hostnames: new Map(), groups: new Map() };
}

function label(action: AlertAction<GroupAlertState>): string {
  return action.type === 'post_reply' ? `post_reply:${action.reason}` : action.type;
}

function confirm(state: GroupAlertState, actions: AlertAction<GroupAlertState>[]): GroupAlertState {
  let confirmed = state;
  for (const action of actions) {
    confirmed = confirmAlertAction(
      action,
      action.type === 'post_parent' ? { channel: action.channel, ts: nextTs() } : action.parent,
    );
  }
  return confirmed;
}

/** One evaluation of `hostnames`: the actions per group (re-run after a new parent, as the evaluator does). */
function step(
  state: World,
  now: Date,
  observe: Observed,
  options: { hostnames?: string[]; texts?: string[]; zoneLevel?: ZoneLevelCheck } = {},
): Record<string, string[]> {
  const evaluations = (options.hostnames ?? HOSTS).map((hostname) => ({
    zoneId: ZONE_ID,
    hostname,
    evaluation: observe(hostname, now),
  }));
  const { observations, hostnameUpdates } = observeGroups({
    evaluations,
    hostnameStates: state.hostnames,
    groups: state.groups,
    cannotCheckAfterEvaluations: 3,
    zoneLevels: options.zoneLevel === undefined ? [] : [{ zoneId: ZONE_ID, check: options.zoneLevel }],
  });
  for (const { next } of hostnameUpdates) state.hostnames.set(`${next.zoneId}/${next.hostname}`, next);
  const result: Record<string, string[]> = {};
  const ids = new Set([
    ...observations.keys(),
    ...[...state.groups.values()].filter((g) => g.episode).map((g) => g.id),
  ]);
  for (const id of ids) {
    const observation = observations.get(id) ?? null;
    let current = state.groups.get(id) ?? (observation ? initialGroupState(observation.key) : null);
    if (current === null) continue;
    const labels: string[] = [];
    for (let round = 0; round < 3; round += 1) {
      const transition = decideGroupTransition(current, observation, alertContext(now));
      for (const action of transition.actions) {
        labels.push(label(action));
        options.texts?.push(renderAlertAction(action, { now, timeZone: TIME_ZONE }).text);
      }
      current = transition.actions.length === 0 ? transition.next : confirm(current, transition.actions);
      if (!transition.actions.some((action) => action.type === 'post_parent')) break;
    }
    state.groups.set(id, current);
    if (labels.length > 0) result[id.split('|').slice(0, 4).join('|')] = labels;
  }
  return result;
}

const onOld: Observed = (hostname, now) => checked(now, { hostname });
const movedTo =
  (moved: string[]): Observed =>
  (hostname, now) =>
    moved.includes(hostname)
      ? checked(now, { hostname, serialNumber: NEW_SERIAL, certificateId: 'new-id', expiresOn: NEW_EXPIRY })
      : checked(now, { hostname });

const CERT = `certificate|${ZONE_ID}|${SERIAL}|`;

describe('grouped episodes', () => {
  it('opens one parent (then the runbook) for every hostname on an expiring certificate, and stays quiet after', () => {
    const state = world();
    expect(step(state, whenDaysLeft(45), onOld)).toEqual({});
    expect(step(state, whenDaysLeft(29), onOld)).toEqual({ [CERT]: ['post_parent', 'post_reply:runbook'] });
    expect(step(state, whenDaysLeft(28), onOld)).toEqual({});
    expect(state.groups.get(CERTIFICATE_GROUP)?.episode?.group?.hostnames).toEqual(HOSTS);
  });

  it('tells a rung once for the whole certificate, naming the lowest when several are crossed', () => {
    const state = world();
    step(state, whenDaysLeft(29), onOld);
    expect(step(state, whenDaysLeft(13), onOld)).toEqual({ [CERT]: ['post_reply:rung', 'update_parent'] });
    const texts: string[] = [];
    expect(step(state, whenDaysLeft(2), onOld, { texts })).toEqual({
      [CERT]: ['post_reply:rung', 'update_parent'],
    });
    expect(texts[0]).toContain('Less than 3 days left');
    expect(texts[0]?.startsWith('<!subteam^S0123>')).toBe(true);
  });

  it('shows partial renewal in one batched reply and resolves when the last hostname moved', () => {
    const state = world();
    step(state, whenDaysLeft(10), onOld);
    const texts: string[] = [];
    expect(step(state, whenDaysLeft(9.5), movedTo(['a.example.com', 'b.example.com']), { texts })).toEqual({
      [CERT]: ['post_reply:status_change', 'update_parent'],
    });
    expect(texts[0]).toContain('2 of 4 hostnames moved');
    expect(texts[0]).toContain(NEW_SERIAL);
    expect(step(state, whenDaysLeft(9.4), movedTo(['a.example.com', 'b.example.com']))).toEqual({});
    // The hostnames still on the old certificate keep it open; the last ones moving resolve it.
    expect(step(state, whenDaysLeft(9.3), movedTo(HOSTS))).toEqual({
      [CERT]: ['post_reply:resolved', 'update_parent'],
    });
    expect(state.groups.get(CERTIFICATE_GROUP)?.episode).toBeNull();
    expect(step(state, whenDaysLeft(9.2), movedTo(HOSTS))).toEqual({});
  });

  it('counts a hostname that is no longer associated as gone from the certificate', () => {
    const state = world();
    step(state, whenDaysLeft(10), onOld, { hostnames: ['a.example.com', 'b.example.com'] });
    const gone: Observed = (hostname, now) =>
      hostname === 'b.example.com'
        ? {
            observation: { kind: 'no_association', hostname, zoneId: ZONE_ID },
            assessment: {
              severity: 'info',
              reasons: [statusReason('no_association', 'info')],
              effectiveExpiry: null,
              daysUntilExpiry: null,
            },
          }
        : checked(now, { hostname, serialNumber: NEW_SERIAL, expiresOn: NEW_EXPIRY });
    const actions = step(state, whenDaysLeft(9), gone, { hostnames: ['a.example.com', 'b.example.com'] });
    // The certificate episode resolves (a moved, b gone); b's association vanishing after being on is its own problem.
    expect(actions[CERT]).toEqual(['post_reply:resolved', 'update_parent']);
    expect(actions[`association|${ZONE_ID}|${SERIAL}|association_gone`]).toEqual(['post_parent']);
  });

  it('lets hostnames that get the same association problem later join its episode', () => {
    const state = world();
    const far = new Date(EXPIRY.getTime() + 300 * DAY_MS);
    const switched =
      (off: string[]): Observed =>
      (hostname, now) =>
        checked(now, { hostname, expiresOn: far, aopSwitch: off.includes(hostname) ? 'off' : 'on' });
    step(state, whenDaysLeft(40), switched([]));
    const problem = `association|${ZONE_ID}|${SERIAL}|aop_off`;
    expect(step(state, whenDaysLeft(39), switched(['a.example.com']))).toEqual({
      [problem]: ['post_parent'],
    });
    const texts: string[] = [];
    expect(
      step(state, whenDaysLeft(38), switched(['a.example.com', 'b.example.com', 'c.example.com']), { texts }),
    ).toEqual({
      [problem]: ['post_reply:status_change', 'update_parent'],
    });
    expect(texts[0]).toContain('Joined (2)');
    expect(step(state, whenDaysLeft(37), switched([]))).toEqual({
      [problem]: ['post_reply:resolved', 'update_parent'],
    });
  });

  it('opens one cannot-check episode for a blind zone after the threshold, keeps the certificate ladder going, and resolves once', () => {
    const state = world();
    step(state, whenDaysLeft(10), onOld);
    const blind: Observed = (hostname) => ({
      observation: {
        kind: 'unreachable',
        hostname,
        zoneId: ZONE_ID,
        errorCode: 'cloudflare_timeout',
        errorMessage: 'no answer',
      },
      assessment: {
        severity: 'unknown',
        reasons: [statusReason('unreachable', 'unknown')],
        effectiveExpiry: null,
        daysUntilExpiry: null,
      },
    });
    const zone = `cannot_check|${ZONE_ID}||unavailable`;
    expect(step(state, whenDaysLeft(9.9), blind)).toEqual({});
    expect(step(state, whenDaysLeft(9.8), blind)).toEqual({});
    expect(step(state, whenDaysLeft(9.7), blind)).toEqual({ [zone]: ['post_parent'] });
    // Blind, the stored expiry still crosses rung 7: the certificate thread is told, once.
    expect(step(state, whenDaysLeft(6.5), blind)).toEqual({ [CERT]: ['post_reply:rung', 'update_parent'] });
    // Checks work again: the zone thread resolves; the certificate thread hears the severity it could not see.
    expect(step(state, whenDaysLeft(6.4), onOld)).toEqual({
      [zone]: ['post_reply:resolved', 'update_parent'],
      [CERT]: ['post_reply:status_change', 'update_parent'],
    });
    expect(state.groups.get(CERTIFICATE_GROUP)?.episode?.group?.hostnames).toEqual(HOSTS);
  });

  it('acknowledges and snoozes per episode, whatever the number of hostnames', () => {
    const state = world();
    step(state, whenDaysLeft(8), onOld);
    const group = state.groups.get(CERTIFICATE_GROUP) as GroupAlertState;
    const press = { userId: 'U0ACKER', now: whenDaysLeft(7.5), timeZone: TIME_ZONE };
    const acknowledged = applyAcknowledge(group, press);
    expect(acknowledged.actions.map(label)).toEqual(['post_reply:acknowledged', 'update_parent']);
    state.groups.set(CERTIFICATE_GROUP, confirm(group, acknowledged.actions));
    const snoozed = applySnooze(state.groups.get(CERTIFICATE_GROUP) as GroupAlertState, press);
    expect(snoozed.actions.map(label)).toEqual(['post_reply:snoozed', 'update_parent']);
    state.groups.set(
      CERTIFICATE_GROUP,
      confirm(state.groups.get(CERTIFICATE_GROUP) as GroupAlertState, snoozed.actions),
    );
    // Inside the snooze: the rung updates the parent only; the reply is held and summarised later.
    expect(step(state, whenDaysLeft(6.9), onOld)).toEqual({ [CERT]: ['update_parent'] });
    const texts: string[] = [];
    expect(step(state, whenDaysLeft(6.4), onOld, { texts })).toEqual({
      // The summary reply, and the parent loses its snooze note.
      [CERT]: ['post_reply:snooze_summary', 'update_parent'],
    });
    expect(texts[0]).not.toContain('<!subteam');
  });
});

describe('observing an evaluation a page at a time', () => {
  it('gives the same observations and bookkeeping as observing every hostname at once', () => {
    // An open episode on the old certificate, then two of its hostnames move and one goes blind.
    const state = world();
    step(state, whenDaysLeft(29), onOld);
    const now = whenDaysLeft(20);
    const observe: Observed = (hostname, at) =>
      hostname === 'c.example.com'
        ? unreachable()
        : movedTo(['a.example.com', 'b.example.com'])(hostname, at);
    const evaluations = [...HOSTS, 'e.example.com'].map((hostname) => ({
      zoneId: ZONE_ID,
      hostname,
      evaluation: observe(hostname, now),
    }));
    const common = { groups: state.groups, cannotCheckAfterEvaluations: 3 };
    const whole = observeGroups({ ...common, evaluations, hostnameStates: state.hostnames });
    const observer = createGroupObserver(common);
    const updates = [
      ...observer.add(evaluations.slice(0, 2), state.hostnames),
      ...observer.add(evaluations.slice(2), state.hostnames),
    ];
    expect(observer.finish()).toEqual(whole.observations);
    expect(updates).toEqual(whole.hostnameUpdates);
    const group = whole.observations.get(CERTIFICATE_GROUP);
    expect(group?.moved.map((entry) => entry.hostname)).toEqual(['a.example.com', 'b.example.com']);
    expect(group?.hostnames).toContain('c.example.com');
  });
});

describe('zone certificate episodes', () => {
  const ZONE_CERT = `zone_certificate|${ZONE_ID}|zone-cert-old|`;
  const zoneCertificate = (certificateId: string, expiresOn: Date): ZoneCertificate => ({
    zoneId: ZONE_ID,
    certificateId,
    status: 'active',
    zoneAopEnabled: true,
    expiresOn,
    issuer: 'CN=Example Zone CA',
    signature: null,
    certificatePem: null,
    uploadedOn: null,
  });
  /** The zone level as a zone check reads it: `inUse` in use, the others uploaded and not in use. */
  const zoneLevel = (
    now: Date,
    inUse: ZoneCertificate | null,
    others: ZoneCertificate[] = [],
  ): ZoneLevelCheck => {
    const options = {
      thresholds: { warningDays: 30, criticalDays: 7, stuckPendingMinutes: 60 },
      now,
      timeZone: TIME_ZONE,
    };
    const zone = { id: ZONE_ID, name: 'example.com' };
    return {
      state: 'checked',
      zoneLevelAop: inUse !== null,
      certificates: [
        ...(inUse === null
          ? []
          : [
              {
                zone,
                certificate: inUse,
                inUse: true,
                assessment: assessZoneCertificate(inUse, { ...options, notInUseBecause: null }),
              },
            ]),
        ...others.map((certificate) => ({
          zone,
          certificate,
          inUse: false,
          assessment: assessZoneCertificate(certificate, { ...options, notInUseBecause: 'an older upload' }),
        })),
      ],
    };
  };
  const old = zoneCertificate('zone-cert-old', EXPIRY);
  const renewed = zoneCertificate('zone-cert-new', NEW_EXPIRY);
  const none: Observed = () => ({
    observation: { kind: 'no_association', hostname: 'a.example.com', zoneId: ZONE_ID },
    assessment: {
      severity: 'info',
      reasons: [statusReason('healthy', 'ok')],
      effectiveExpiry: null,
      daysUntilExpiry: null,
    },
  });
  const at = (state: World, days: number, level: (now: Date) => ZoneLevelCheck, texts?: string[]) =>
    step(state, whenDaysLeft(days), none, {
      hostnames: ['a.example.com'],
      zoneLevel: level(whenDaysLeft(days)),
      ...(texts ? { texts } : {}),
    });

  it('walks the zone certificate in use down the ladder with the runbook, and resolves once when a new one is in use', () => {
    const state = world();
    expect(at(state, 45, (now) => zoneLevel(now, old))).toEqual({});
    const texts: string[] = [];
    expect(at(state, 20, (now) => zoneLevel(now, old), texts)).toEqual({
      [ZONE_CERT]: ['post_parent', 'post_reply:runbook'],
    });
    expect(texts[1]).toContain(`POST /zones/${ZONE_ID}/origin_tls_client_auth\``);
    expect(at(state, 19, (now) => zoneLevel(now, old))).toEqual({});
    expect(at(state, 10, (now) => zoneLevel(now, old))).toEqual({
      [ZONE_CERT]: ['post_reply:rung', 'update_parent'],
    });
    // The zone level could not be read: nothing is known, the thread stays as it is.
    expect(
      at(state, 9, () => ({
        state: 'not_checked',
        zone: { id: ZONE_ID, name: 'example.com' },
        errorCode: 'cloudflare_unavailable',
        errorMessage: 'down',
        permission: null,
      })),
    ).toEqual({});
    const resolved: string[] = [];
    expect(at(state, 2, (now) => zoneLevel(now, renewed, [old]), resolved)).toEqual({
      [ZONE_CERT]: ['post_reply:resolved', 'update_parent'],
    });
    expect(resolved[0]).toContain('zone-cert-new');
    expect(at(state, 1.9, (now) => zoneLevel(now, renewed, [old]))).toEqual({});
  });

  it('never alerts on a zone certificate not in use, and resolves when zone-level AOP is switched off', () => {
    const state = world();
    expect(at(state, 2, (now) => zoneLevel(now, renewed, [old]))).toEqual({});
    const other = world();
    at(other, 20, (now) => zoneLevel(now, old));
    expect(at(other, 19, (now) => zoneLevel(now, null, [old]))).toEqual({
      [ZONE_CERT]: ['post_reply:resolved', 'update_parent'],
    });
  });
});

describe('a refused token, one episode per account', () => {
  const refused = (zones: string[]) => ({
    account: 'edge',
    refusedZones: zones.map((name, index) => ({ id: `z${index}`, name })),
    error:
      zones.length === 0 ? null : { errorCode: 'cloudflare_forbidden', errorMessage: 'Invalid access token' },
  });

  it('opens one thread for the account naming its zones, keeps it while refused, and ends it when the token works', () => {
    const now = new Date('2026-11-20T10:00:00Z');
    const groups = new Map<string, GroupAlertState>();
    const step = (reading: ReturnType<typeof refused>) => {
      const { observations } = observeGroups({
        evaluations: [],
        hostnameStates: new Map(),
        groups,
        cannotCheckAfterEvaluations: 3,
        accountAccess: [reading],
      });
      const out: Record<string, { actions: string[]; texts: string[] }> = {};
      for (const [id, observation] of observations) {
        const previous = groups.get(id) ?? initialGroupState(observation.key);
        const transition = decideGroupTransition(previous, observation, alertContext(now));
        let state = previous;
        for (const action of transition.actions)
          state = confirmAlertAction(
            action,
            action.type === 'post_parent' ? { channel: action.channel, ts: nextTs() } : action.parent,
          );
        groups.set(id, transition.actions.length === 0 ? transition.next : state);
        out[id] = {
          actions: transition.actions.map((action) =>
            action.type === 'post_reply' ? `post_reply:${action.reason}` : action.type,
          ),
          texts: transition.actions.map(
            (action) => renderAlertAction(action, { now, timeZone: TIME_ZONE }).text,
          ),
        };
      }
      return out;
    };
    const id = groupIdOf({
      kind: 'cannot_check',
      zoneId: accountScopeZoneId('edge'),
      certificateKey: null,
      problem: 'access',
      route: null,
    });
    const opened = step(refused(['b.example.org', 'a.example.org']));
    expect(Object.keys(opened)).toEqual([id]);
    expect(opened[id]?.actions).toEqual(['post_parent']);
    expect(opened[id]?.texts[0]).toContain('Cannot check account edge: 2 zones not watched');
    expect(groups.get(id)?.episode?.group?.hostnames).toEqual(['a.example.org', 'b.example.org']);
    expect(step(refused(['a.example.org', 'b.example.org']))[id]?.actions ?? []).toEqual([]);
    const ended = step(refused([]));
    expect(ended[id]?.actions).toEqual(['post_reply:resolved', 'update_parent']);
    expect(ended[id]?.texts[0]).toContain('Checks work again');
    // A working token with nothing open says nothing.
    expect(step(refused([]))).toEqual({});
  });

  it('opens one episode per owner of the refused zones, each listing only its own zones, and ends each when its zones are read again', () => {
    const groups = new Map<string, GroupAlertState>();
    const ownersByZone: Record<string, (string | null)[]> = {
      'pay.example.org': ['payments'],
      'shop.example.org': ['shop'],
      'mixed.example.org': ['payments', 'shop'],
    };
    const observe = (reading: ReturnType<typeof refused>) =>
      observeGroups({
        evaluations: [],
        hostnameStates: new Map(),
        groups,
        cannotCheckAfterEvaluations: 3,
        accountAccess: [reading],
        accountZoneOwnersOf: (zone) => ownersByZone[zone.name ?? ''] ?? [null],
      }).observations;
    const idOf = (route: string | null) =>
      groupIdOf({
        kind: 'cannot_check',
        zoneId: accountScopeZoneId('edge'),
        certificateKey: null,
        problem: 'access',
        route,
      });
    const now = new Date('2026-11-20T10:00:00Z');
    const opened = observe(refused(['pay.example.org', 'shop.example.org', 'mixed.example.org']));
    expect(new Map([...opened].map(([id, observation]) => [id, observation.hostnames]))).toEqual(
      new Map([
        [idOf('payments'), ['mixed.example.org', 'pay.example.org']],
        [idOf('shop'), ['mixed.example.org', 'shop.example.org']],
      ]),
    );
    for (const [id, observation] of opened) {
      const transition = decideGroupTransition(
        initialGroupState(observation.key),
        observation,
        alertContext(now),
      );
      expect(transition.actions.map((action) => action.type)).toEqual(['post_parent']);
      const [action] = transition.actions;
      if (action === undefined) throw new Error('no parent');
      expect(renderAlertAction(action, { now, timeZone: TIME_ZONE }).text).toContain(
        'Cannot check account edge: 2 zones not watched',
      );
      groups.set(id, confirmAlertAction(action, { channel: 'C0INC', ts: nextTs() }));
    }
    // Only shop's own zone is still refused: payments' episode ends, shop's narrows.
    const later = observe(refused(['shop.example.org']));
    expect(later.get(idOf('payments'))?.hostnames).toEqual([]);
    expect(later.get(idOf('shop'))?.hostnames).toEqual(['shop.example.org']);
    const payments = groups.get(idOf('payments'));
    if (payments === undefined) throw new Error("payments' episode was not opened");
    const ended = decideGroupTransition(payments, later.get(idOf('payments')) ?? null, alertContext(now));
    expect(
      ended.actions.map((action) => (action.type === 'post_reply' ? action.reason : action.type)),
    ).toEqual(['resolved', 'update_parent']);
    expect(later.has(idOf(null))).toBe(false);
  });
});

describe('who goes blind in a refused zone', () => {
  const routeOf = (hostname: string) => (hostname.endsWith('.pay.example.com') ? 'payments' : null);

  it('is the route of each watched hostname, and the route taking the whole zone', () => {
    expect(
      blindZoneOwners({ hostnames: ['a.pay.example.com', 'www.example.com'], routeOf, zoneOwner: null }),
    ).toEqual([null, 'payments']);
    expect(blindZoneOwners({ hostnames: ['a.pay.example.com'], routeOf, zoneOwner: 'platform' })).toEqual([
      'payments',
      'platform',
    ]);
  });

  it('is the top level for a zone nobody is known to own in part, so somebody hears of it', () => {
    expect(blindZoneOwners({ hostnames: [], routeOf, zoneOwner: null })).toEqual([null]);
  });
});
