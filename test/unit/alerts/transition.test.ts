import { describe, expect, it } from 'vitest';
import { type HostnameAlertState, initialAlertState } from '../../../src/alerts/episode.js';
import {
  applyAcknowledge,
  applySnooze,
  decideAlertTransition,
  withParentLost,
} from '../../../src/alerts/transition.js';
import {
  alertContext,
  applyActions,
  at,
  CHANNEL,
  checked,
  DAY_MS,
  daysLeft,
  decide,
  EXPIRY,
  HOSTNAME,
  history,
  MENTION,
  NEW_EXPIRY,
  NEW_SERIAL,
  type RenderedAction,
  rendered,
  type Step,
  statusReason,
  summarize,
  TIME_ZONE,
  unreachable,
  whenDaysLeft,
  withSwitch,
  ZONE_ID,
} from './builders.js';

const HOUR = 3_600_000;
const step = daysLeft;
const HEALTHY = step(45);
/** Far enough out that only status reasons make the hostname a problem. */
const FAR_EXPIRY = new Date(EXPIRY.getTime() + 300 * DAY_MS);
/** Snoozed at 7.5 days left; within its 24 h the certificate crosses rung 7 (6.9 days left). */
const SNOOZED_AT = whenDaysLeft(7.5);
const AFTER_SNOOZE = new Date(SNOOZED_AT.getTime() + DAY_MS + HOUR);
const renewedStep = (days: number): Step =>
  daysLeft(days, { serialNumber: NEW_SERIAL, expiresOn: NEW_EXPIRY });

function replies(actions: readonly RenderedAction[]): RenderedAction[] {
  return actions.filter((action) => action.type === 'post_reply');
}

function onlyReplyText(actions: readonly RenderedAction[]): string {
  const found = replies(actions);
  expect(found).toHaveLength(1);
  return found[0]?.message.text ?? '';
}

function acknowledged(state: HostnameAlertState, now: Date): HostnameAlertState {
  const transition = applyAcknowledge(state, { userId: 'U0ACKER', now, timeZone: TIME_ZONE });
  return applyActions(state, transition);
}

function snoozed(state: HostnameAlertState, now: Date): HostnameAlertState {
  const transition = applySnooze(state, { userId: 'U0SNOOZER', now, timeZone: TIME_ZONE });
  return applyActions(state, transition);
}

interface Case {
  name: string;
  previous: () => HostnameAlertState;
  step: Step;
  expected: string[];
  /** Another unreachable evaluation is another failure, so a re-run is new evidence, not a repeat. */
  rerunCountsAgain?: true;
}

const CASES: Case[] = [
  {
    name: 'healthy → healthy costs no Slack call',
    previous: () => history([HEALTHY]),
    step: step(44),
    expected: [],
  },
  {
    name: 'healthy → warning at 29 days posts the parent',
    previous: () => history([HEALTHY]),
    step: step(29),
    expected: ['post_parent'],
  },
  {
    name: '29 → 13 days replies for rung 14 and updates the parent',
    previous: () => history([HEALTHY, step(29)]),
    step: step(13),
    expected: ['post_reply:rung', 'update_parent'],
  },
  {
    name: '13 → 12 days crosses no rung and stays silent',
    previous: () => history([HEALTHY, step(29), step(13)]),
    step: step(12),
    expected: [],
  },
  {
    name: '8 → 6 days replies for rung 7 (critical)',
    previous: () => history([HEALTHY, step(29), step(13), step(8)]),
    step: step(6),
    expected: ['post_reply:rung', 'update_parent'],
  },
  {
    name: 'acknowledged, then 6 → 2 days replies for rung 3',
    previous: () => acknowledged(history([HEALTHY, step(29), step(13), step(6)]), whenDaysLeft(6)),
    step: step(2),
    expected: ['post_reply:rung', 'update_parent'],
  },
  {
    name: 'snoozed, then crossing a rung holds the reply but updates the parent',
    previous: () => snoozed(history([HEALTHY, step(29), step(7.5)]), SNOOZED_AT),
    step: step(6.9),
    expected: ['update_parent'],
  },
  {
    name: 'snooze ended with held replies posts one summary and clears the parent note',
    previous: () => history([step(6.9)], snoozed(history([HEALTHY, step(29), step(7.5)]), SNOOZED_AT)),
    step: at(AFTER_SNOOZE),
    expected: ['post_reply:snooze_summary', 'update_parent'],
  },
  {
    name: 'renewed: resolution reply, then the parent shows resolved',
    previous: () => history([HEALTHY, step(29), step(13)]),
    step: renewedStep(12),
    expected: ['post_reply:resolved', 'update_parent'],
  },
  {
    name: 'resolved, then bad again: a new parent',
    previous: () => history([HEALTHY, step(29), renewedStep(28)]),
    step: step(
      27,
      { serialNumber: NEW_SERIAL, expiresOn: NEW_EXPIRY, certificateStatus: 'deployment_timed_out' },
      [statusReason('deployment_timed_out', 'critical')],
    ),
    expected: ['post_parent'],
  },
  {
    name: 'deployment_timed_out appears in an open episode: status-change reply',
    previous: () => history([HEALTHY, step(20)]),
    step: step(20, { certificateStatus: 'deployment_timed_out' }, [
      statusReason('deployment_timed_out', 'critical'),
    ]),
    expected: ['post_reply:status_change', 'update_parent'],
  },
  {
    name: 'enabled → voided while healthy posts a parent',
    previous: () => history([HEALTHY]),
    step: step(44, withSwitch('voided')),
    expected: ['post_parent'],
  },
  {
    name: 'first seen disabled is not news',
    previous: () => initialAlertState(ZONE_ID, HOSTNAME),
    step: step(44, withSwitch('off')),
    expected: [],
  },
  {
    name: 'first unreachable evaluation is silent',
    previous: () => history([HEALTHY]),
    step: { now: whenDaysLeft(44), evaluation: unreachable() },
    expected: [],
  },
  {
    name: 'second unreachable evaluation is silent',
    previous: () => history([HEALTHY, { now: whenDaysLeft(44.9), evaluation: unreachable() }]),
    step: { now: whenDaysLeft(44.8), evaluation: unreachable() },
    expected: [],
    rerunCountsAgain: true,
  },
  {
    name: 'third unreachable evaluation opens a "cannot check" parent',
    previous: () =>
      history([
        HEALTHY,
        { now: whenDaysLeft(44.9), evaluation: unreachable() },
        { now: whenDaysLeft(44.8), evaluation: unreachable() },
      ]),
    step: { now: whenDaysLeft(44.7), evaluation: unreachable() },
    expected: ['post_parent'],
  },
  {
    name: 'a successful check resolves the "cannot check" episode',
    previous: () =>
      history([
        HEALTHY,
        { now: whenDaysLeft(44.9), evaluation: unreachable() },
        { now: whenDaysLeft(44.8), evaluation: unreachable() },
        { now: whenDaysLeft(44.7), evaluation: unreachable() },
      ]),
    step: step(44),
    expected: ['post_reply:resolved', 'update_parent'],
  },
  {
    name: 'a lost parent is re-posted by the next change',
    previous: () => withParentLost(history([HEALTHY, step(29)])),
    step: step(13),
    expected: ['post_parent'],
  },
];

describe('decideAlertTransition: previous state × new observation → actions', () => {
  it.each(CASES)('$name', ({ previous, step: current, expected }) => {
    const transition = decide(previous(), current);
    expect(summarize(transition.actions)).toEqual(expected);
  });

  it.each(CASES.filter((item) => item.rerunCountsAgain === undefined))(
    're-running after applying leaves nothing to do: $name',
    ({ previous, step: current }) => {
      const before = previous();
      const after = applyActions(before, decide(before, current));
      expect(summarize(decide(after, current).actions)).toEqual([]);
    },
  );

  it.each(CASES.filter((item) => item.expected.length > 1))(
    're-running after a partial apply emits only what remains: $name',
    ({ previous, step: current, expected }) => {
      const before = previous();
      const transition = decide(before, current);
      for (let confirmed = 1; confirmed < transition.actions.length; confirmed += 1) {
        const partial = applyActions(before, transition, confirmed);
        expect(summarize(decide(partial, current).actions)).toEqual(expected.slice(confirmed));
      }
    },
  );

  it('gives every action the state it leaves, the last one being next', () => {
    const before = history([HEALTHY, step(29), step(13)]);
    const transition = decide(before, renewedStep(12));
    const [reply, update] = transition.actions;
    expect(reply?.stateAfter.episode?.resolvedAt).toEqual(whenDaysLeft(12));
    expect(update?.stateAfter).toBe(transition.next);
    expect(transition.next.episode).toBeNull();
  });
});

describe('rungs', () => {
  it('marks the rungs the opening parent covers as posted, without replies', () => {
    const state = history([HEALTHY, step(9)]);
    expect(state.episode?.rungsPosted).toEqual([30, 14]);
  });

  it('names the rung in the reply and does not mention before critical', () => {
    const transition = decide(history([HEALTHY, step(29)]), step(13));
    const text = onlyReplyText(transition.actions);
    expect(text).toContain('*Less than 14 days left*');
    expect(text).not.toContain(MENTION);
  });

  it('mentions on the critical rung and says the severity changed', () => {
    const transition = decide(history([HEALTHY, step(29), step(13), step(8)]), step(6));
    const text = onlyReplyText(transition.actions);
    expect(text.startsWith(`${MENTION} :alarm_clock: *Less than 7 days left*`)).toBe(true);
    expect(text).toContain('Severity: Warning → *Critical*');
  });

  it('does not mention after someone acknowledged', () => {
    const state = acknowledged(history([HEALTHY, step(29), step(13), step(6)]), whenDaysLeft(6));
    const text = onlyReplyText(decide(state, step(2)).actions);
    expect(text).toContain('*Less than 3 days left*');
    expect(text).not.toContain(MENTION);
  });

  it('posts one reply naming the lowest rung when several are crossed at once', () => {
    const transition = decide(history([HEALTHY, step(29)]), step(2));
    expect(summarize(transition.actions)).toEqual(['post_reply:rung', 'update_parent']);
    expect(onlyReplyText(transition.actions)).toContain('*Less than 3 days left*');
    expect(transition.next.episode?.rungsPosted).toEqual([30, 14, 7, 3]);
  });

  it('treats expiry as rung 0', () => {
    const transition = decide(history([HEALTHY, step(29), step(0)]), step(-1));
    expect(summarize(transition.actions)).toEqual(['post_reply:rung', 'update_parent']);
    expect(onlyReplyText(transition.actions)).toContain(':rotating_light: *Expired*');
  });

  it('mentions on a critical rung even when the episode was already critical', () => {
    const transition = decide(history([HEALTHY, step(6)]), step(2));
    expect(onlyReplyText(transition.actions).startsWith(MENTION)).toBe(true);
  });

  it('mentions in the parent when an episode opens critical, and never when the mention is empty', () => {
    const withMention = decide(history([HEALTHY]), step(5));
    expect(withMention.actions[0]?.message.text.startsWith(MENTION)).toBe(true);
    const without = decide(history([HEALTHY]), { ...step(5), context: { mentionOnCritical: '' } });
    expect(without.actions[0]?.message.text).not.toContain('<!subteam');
  });

  it('walks healthy → 30 → 14 → 7 → 1 → expired → renewed with exactly the expected actions', () => {
    const walk: Array<[Step, string[]]> = [
      [step(45), []],
      [step(29), ['post_parent']],
      [step(13), ['post_reply:rung', 'update_parent']],
      [step(6), ['post_reply:rung', 'update_parent']],
      [step(0), ['post_reply:rung', 'update_parent']],
      [step(-1), ['post_reply:rung', 'update_parent']],
      [renewedStep(-2), ['post_reply:resolved', 'update_parent']],
      [renewedStep(-3), []],
    ];
    let state = initialAlertState(ZONE_ID, HOSTNAME);
    const seen: string[][] = [];
    for (const [current] of walk) {
      const transition = decide(state, current);
      seen.push(summarize(transition.actions));
      state = applyActions(state, transition);
    }
    expect(seen).toEqual(walk.map(([, expected]) => expected));
    expect(state.episode).toBeNull();
  });
});

describe('status changes', () => {
  it('lists what changed in the status-change reply', () => {
    const transition = decide(
      history([HEALTHY, step(20)]),
      step(20, { certificateStatus: 'deployment_timed_out' }, [
        statusReason('deployment_timed_out', 'critical'),
      ]),
    );
    const text = onlyReplyText(transition.actions);
    expect(text).toContain('*Status changed* for *app.example.com*');
    expect(text).toContain('Certificate status: `active` → `deployment_timed_out`');
    expect(text).toContain('New: Deployment timed out');
    expect(text).toContain('Severity: Warning → *Critical*');
    expect(text.startsWith(MENTION)).toBe(true);
  });

  it('posts a status change once, not again while it lasts', () => {
    const timedOut = (days: number) =>
      step(days, { certificateStatus: 'deployment_timed_out' }, [
        statusReason('deployment_timed_out', 'critical'),
      ]);
    const state = history([HEALTHY, step(20), timedOut(20)]);
    expect(decide(state, timedOut(19)).actions).toEqual([]);
  });

  it('keeps an episode open while the severity is unknown rather than calling it healthy', () => {
    const state = history([HEALTHY, step(20)]);
    const transition = decide(
      state,
      step(20, { expiresOn: null }, [statusReason('expiry_missing', 'unknown')]),
    );
    expect(summarize(transition.actions)).toEqual(['post_reply:status_change', 'update_parent']);
    expect(transition.next.episode?.currentSeverity).toBe('unknown');
  });

  it('resolves as back to healthy when the same certificate stops being a problem', () => {
    const stuck = step(20, { expiresOn: FAR_EXPIRY, certificateStatus: 'pending_deployment' }, [
      statusReason('stuck_pending', 'warning'),
    ]);
    const state = history([step(21, { expiresOn: FAR_EXPIRY }), stuck]);
    expect(state.episode?.currentSeverity).toBe('warning');
    const transition = decide(state, step(19, { expiresOn: FAR_EXPIRY }));
    expect(summarize(transition.actions)).toEqual(['post_reply:resolved', 'update_parent']);
    expect(onlyReplyText(transition.actions)).toBe(':white_check_mark: *Back to healthy.*');
    expect(transition.next.episode).toBeNull();
  });

  it('says what the renewal changed in the resolution reply', () => {
    const transition = decide(history([HEALTHY, step(29), step(13)]), renewedStep(12));
    expect(onlyReplyText(transition.actions)).toBe(
      ':white_check_mark: *Renewed*: the new certificate expires 2027-12-31 13:00 GMT+1 (in 377 days) (was 2026-12-31 13:00 GMT+1).',
    );
  });

  it('opens a new episode at once when the replacement certificate is itself a problem', () => {
    const state = history([HEALTHY, step(29)]);
    const transition = decide(state, daysLeft(13, { serialNumber: NEW_SERIAL }));
    expect(summarize(transition.actions)).toEqual(['post_reply:resolved', 'update_parent', 'post_parent']);
    expect(transition.next.episode?.certificateKey).toBe(NEW_SERIAL);
    expect(transition.next.episode?.id).not.toBe(state.episode?.id);
  });

  it('gives a hostname that goes bad again a new episode with a new id and a new parent', () => {
    const first = history([HEALTHY, step(29)]);
    const resolved = history([renewedStep(28)], first);
    expect(resolved.episode).toBeNull();
    const again = history(
      [step(27, { serialNumber: NEW_SERIAL, expiresOn: NEW_EXPIRY, aopSwitch: 'off' })],
      resolved,
    );
    expect(again.episode?.id).toMatch(/^ep_[0-9a-f]{24}$/);
    expect(again.episode?.id).not.toBe(first.episode?.id);
    expect(again.episode?.parent?.ts).not.toBe(first.episode?.parent?.ts);
  });
});

describe('the per-hostname switch', () => {
  it('raises a voided association to warning and keeps it open while it stays voided', () => {
    const state = history([HEALTHY, step(44, withSwitch('voided'))]);
    expect(state.episode?.currentSeverity).toBe('warning');
    expect(state.episode?.switchWentOff).toBe(true);
    expect(state.lastSeenSwitch).toBe('voided');
    expect(decide(state, step(43, withSwitch('voided'))).actions).toEqual([]);
  });

  it('resolves when the switch is turned back on', () => {
    const state = history([HEALTHY, step(44, withSwitch('off'))]);
    const transition = decide(state, step(43));
    expect(summarize(transition.actions)).toEqual(['post_reply:resolved', 'update_parent']);
    expect(transition.next.episode).toBeNull();
  });

  it('alerts when a hostname first seen disabled is enabled and later disabled again', () => {
    const state = history([step(44, withSwitch('off')), step(43)]);
    expect(state.episode).toBeNull();
    expect(summarize(decide(state, step(42, withSwitch('off'))).actions)).toEqual(['post_parent']);
  });

  it('does not let an unreported switch overwrite the last one seen', () => {
    const state = history([HEALTHY, step(44, withSwitch('unreported'))]);
    expect(state.lastSeenSwitch).toBe('on');
  });
});

describe('snooze', () => {
  it('counts the held reply and records the rung as told', () => {
    const state = snoozed(history([HEALTHY, step(29), step(7.5)]), SNOOZED_AT);
    const transition = decide(state, step(6.9));
    expect(transition.next.episode?.pendingRepliesWhileSnoozed).toBe(1);
    expect(transition.next.episode?.rungsPosted).toEqual([30, 14, 7]);
  });

  it('ends without a reply when nothing was held, but clears the note on the parent', () => {
    const state = snoozed(history([HEALTHY, step(29)]), whenDaysLeft(29));
    const transition = decide(state, at(new Date(whenDaysLeft(29).getTime() + DAY_MS + HOUR)));
    expect(summarize(transition.actions)).toEqual(['update_parent']);
    expect(transition.next.episode?.snoozedUntil).toBeNull();
  });

  it('summarises the held replies in one reply, pinging an unacknowledged critical episode', () => {
    const state = history([step(6.9)], snoozed(history([HEALTHY, step(29), step(7.5)]), SNOOZED_AT));
    const transition = decide(state, at(AFTER_SNOOZE));
    const text = onlyReplyText(transition.actions);
    expect(text.startsWith(`${MENTION} :alarm_clock: *Snooze ended*: 1 update came in while snoozed`)).toBe(
      true,
    );
    expect(transition.next.episode?.pendingRepliesWhileSnoozed).toBe(0);
  });

  it('still posts the resolution reply while snoozed', () => {
    const state = snoozed(history([HEALTHY, step(29)]), whenDaysLeft(29));
    expect(summarize(decide(state, renewedStep(28.5)).actions)).toEqual([
      'post_reply:resolved',
      'update_parent',
    ]);
  });
});

describe('checks that fail', () => {
  const failing = (fraction: number): Step => ({ now: whenDaysLeft(fraction), evaluation: unreachable() });

  it('counts consecutive failures and resets on success', () => {
    const state = history([HEALTHY, failing(44.9), failing(44.8)]);
    expect(state.consecutiveCheckFailures).toBe(2);
    expect(history([step(44)], state).consecutiveCheckFailures).toBe(0);
  });

  it('opens a cannot_check episode carrying the error', () => {
    const state = history([HEALTHY, failing(44.9), failing(44.8), failing(44.7)]);
    expect(state.episode?.kind).toBe('cannot_check');
    expect(state.episode?.checkError?.errorCode).toBe('cloudflare_timeout');
    expect(decide(state, failing(44.6)).actions).toEqual([]);
  });

  it('leaves a certificate episode untouched below the threshold', () => {
    const state = history([HEALTHY, step(20)]);
    const transition = decide(state, failing(19.9));
    expect(transition.actions).toEqual([]);
    expect(transition.next.episode).toEqual(state.episode);
  });

  it('tells a certificate episode once that it went blind, and once that checks work again', () => {
    const state = history([HEALTHY, step(20), failing(19.9), failing(19.8)]);
    const blind = decide(state, failing(19.7));
    expect(summarize(blind.actions)).toEqual(['post_reply:status_change', 'update_parent']);
    expect(onlyReplyText(blind.actions)).toContain(
      'Cannot check: `cloudflare_timeout` Cloudflare did not answer within 10000 ms',
    );
    expect(blind.next.episode?.kind).toBe('certificate');
    const stillBlind = applyActions(state, blind);
    expect(decide(stillBlind, failing(19.6)).actions).toEqual([]);
    const recovered = decide(stillBlind, step(19));
    expect(summarize(recovered.actions)).toEqual(['post_reply:status_change', 'update_parent']);
    expect(onlyReplyText(recovered.actions)).toContain('Checks work again');
  });

  it('says checks work again when resolving a cannot_check episode, then alerts on what it finds', () => {
    const state = history([HEALTHY, failing(44.9), failing(44.8), failing(44.7)]);
    const transition = decide(state, step(20));
    expect(summarize(transition.actions)).toEqual(['post_reply:resolved', 'update_parent', 'post_parent']);
    expect(onlyReplyText(transition.actions)).toContain('*Checks work again.*');
    expect(transition.next.episode?.kind).toBe('certificate');
  });
});

describe('buttons', () => {
  const open = () => history([HEALTHY, step(29)]);

  it('acknowledges once: reply and parent, then any further press does nothing', () => {
    const state = open();
    const now = whenDaysLeft(28);
    const first = applyAcknowledge(state, { userId: 'U0ACKER', now, timeZone: TIME_ZONE });
    expect(summarize(first.actions)).toEqual(['post_reply:acknowledged', 'update_parent']);
    expect(first.next.episode?.acknowledged).toEqual({ userId: 'U0ACKER', at: now });
    expect(onlyReplyText(rendered(first, now).actions)).toContain('Acknowledged by <@U0ACKER> at');
    const acked = applyActions(state, first);
    expect(applyAcknowledge(acked, { userId: 'U0OTHER', now, timeZone: TIME_ZONE })).toEqual({
      next: acked,
      actions: [],
    });
  });

  it('ignores a press on a button of an older episode', () => {
    const state = open();
    const transition = applyAcknowledge(state, {
      userId: 'U0ACKER',
      now: whenDaysLeft(28),
      timeZone: TIME_ZONE,
      episodeId: 'ep_from_last_year',
    });
    expect(transition.actions).toEqual([]);
  });

  it('snoozes for 24 h with one reply, and a second press while snoozed does nothing', () => {
    const state = open();
    const now = whenDaysLeft(28);
    const first = applySnooze(state, { userId: 'U0SNOOZER', now, timeZone: TIME_ZONE });
    expect(summarize(first.actions)).toEqual(['post_reply:snoozed', 'update_parent']);
    expect(first.next.episode?.snoozedUntil).toEqual(new Date(now.getTime() + DAY_MS));
    const again = applySnooze(applyActions(state, first), { userId: 'U0SNOOZER', now, timeZone: TIME_ZONE });
    expect(again.actions).toEqual([]);
  });

  it('lets the next evaluation update a parent whose button update was not confirmed', () => {
    const state = open();
    const ack = applyAcknowledge(state, { userId: 'U0ACKER', now: whenDaysLeft(28), timeZone: TIME_ZONE });
    const replyOnly = applyActions(state, ack, 1);
    expect(summarize(decide(replyOnly, step(28)).actions)).toEqual(['update_parent']);
  });

  it('does nothing when there is no open episode', () => {
    const state = history([HEALTHY]);
    expect(
      applySnooze(state, { userId: 'U0SNOOZER', now: whenDaysLeft(44), timeZone: TIME_ZONE }).actions,
    ).toEqual([]);
  });
});

describe('parents', () => {
  it('posts new parents to the configured channel and threads replies under the confirmed parent', () => {
    const before = history([HEALTHY]);
    const opened = decide(before, step(29));
    expect(opened.actions[0]).toMatchObject({ type: 'post_parent', channel: CHANNEL });
    const state = applyActions(before, opened);
    const parent = state.episode?.parent;
    expect(parent?.channel).toBe(CHANNEL);
    const next = decide(state, step(13));
    expect(next.actions.map((action) => (action.type === 'post_parent' ? null : action.parent))).toEqual([
      parent,
      parent,
    ]);
  });

  it('re-posts a lost parent even when nothing else changed, and keeps the episode', () => {
    const state = history([HEALTHY, step(29)]);
    const transition = decide(withParentLost(state), step(28));
    expect(summarize(transition.actions)).toEqual(['post_parent']);
    expect(transition.next.episode?.id).toBe(state.episode?.id);
  });

  it('mentions in a re-posted parent when the change it carries is a critical escalation', () => {
    const state = withParentLost(history([HEALTHY, step(29)]));
    const transition = decide(state, step(6));
    expect(summarize(transition.actions)).toEqual(['post_parent']);
    expect(transition.actions[0]?.message.text.startsWith(MENTION)).toBe(true);
    expect(transition.next.episode?.rungsPosted).toEqual([30, 14, 7]);
  });

  it('drops a resolved episode whose parent is gone instead of re-posting it', () => {
    const state = history([HEALTHY, step(29)]);
    const transition = decide(state, renewedStep(28));
    const replied = withParentLost(applyActions(state, transition, 1));
    const rerun = decide(replied, renewedStep(28));
    expect(rerun.actions).toEqual([]);
    expect(rerun.next.episode).toBeNull();
  });

  it('updates the parent on Refresh even when nothing changed', () => {
    const state = history([HEALTHY, step(29)]);
    const transition = decide(state, { ...step(28), context: { refreshParent: true } });
    expect(summarize(transition.actions)).toEqual(['update_parent']);
  });

  it('keeps zero actions for an unchanged open episode', () => {
    const state = history([HEALTHY, step(29)]);
    const transition = decideAlertTransition(
      state,
      checked(whenDaysLeft(28)),
      alertContext(whenDaysLeft(28)),
    );
    expect(transition.actions).toEqual([]);
  });
});

describe('cost', () => {
  it('spends no Slack call on 10,000 unchanged hostnames, healthy or with an open episode', () => {
    const now = whenDaysLeft(28);
    const healthy = {
      state: history([HEALTHY]),
      evaluation: checked(now, { expiresOn: new Date(EXPIRY.getTime() + 300 * DAY_MS) }),
    };
    const open = { state: history([HEALTHY, step(29)]), evaluation: checked(now) };
    let actions = 0;
    for (let index = 0; index < 10_000; index += 1) {
      const { state, evaluation } = index % 2 === 0 ? healthy : open;
      actions += decideAlertTransition(state, evaluation, alertContext(now)).actions.length;
    }
    expect(actions).toBe(0);
  });
});
