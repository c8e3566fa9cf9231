import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { HostnameAlertState } from '../../../src/alerts/episode.js';
import {
  decideGroupTransition,
  deserializeGroupState,
  type GroupAlertState,
  initialGroupState,
  observeGroups,
  serializeGroupState,
} from '../../../src/alerts/group.js';
import {
  type AlertAction,
  type AlertContext,
  applySnooze,
  confirmAlertAction,
} from '../../../src/alerts/transition.js';
import { FITNESS_CONSEQUENCES } from '../../../src/domain/fitness.js';
import type { ListedHostnameCertificate } from '../../../src/domain/replacement.js';
import { renderAlertAction } from '../../../src/render/alert.js';
import {
  alertContext,
  checked,
  EXPIRY,
  HOUR_MS,
  MENTION,
  NEW_EXPIRY,
  nextTs,
  SERIAL,
  TIME_ZONE,
  whenDaysLeft,
  ZONE_ID,
} from './builders.js';

/**
 * Renewal readiness in the grouped expiry episode, as a transition table: the zone's certificate
 * list changes between steps, and every step lists the Slack actions and what they say.
 */

const HOSTS = ['a.example.com', 'b.example.com', 'c.example.com'];
const OLD_ID = '2458ce5a-0c35-4c7f-82c7-8e9487d3ff60';
const FIT_ID = 'fit00000-0000-4000-8000-000000000001';
const UNFIT_ID = 'unfit000-0000-4000-8000-000000000002';
const NAMES = ['a.example.com', 'b.example.com', 'c.example.com'];

function listed(overrides: Partial<ListedHostnameCertificate>): ListedHostnameCertificate {
  return {
    certificateId: OLD_ID,
    serialNumber: SERIAL,
    status: 'active',
    issuer: 'CN=Example Origin CA',
    expiresOn: EXPIRY,
    uploadedOn: new Date('2026-01-01T09:55:00.000Z'),
    names: NAMES,
    associations: HOSTS.length,
    findings: [],
    ...overrides,
  };
}

const OLD = listed({});
const fitReplacement = (uploadedOn: Date, overrides: Partial<ListedHostnameCertificate> = {}) =>
  listed({
    certificateId: FIT_ID,
    serialNumber: '8193',
    expiresOn: NEW_EXPIRY,
    uploadedOn,
    associations: 0,
    ...overrides,
  });
const unfitReplacement = (uploadedOn: Date) =>
  listed({
    certificateId: UNFIT_ID,
    serialNumber: '8194',
    expiresOn: NEW_EXPIRY,
    uploadedOn,
    associations: 0,
    findings: [
      {
        code: 'client_auth_missing',
        text: 'Extended key usage is serverAuth only, without clientAuth',
        consequence: FITNESS_CONSEQUENCES.client_auth_missing,
      },
    ],
  });

interface World {
  hostnames: Map<string, HostnameAlertState>;
  group: GroupAlertState | null;
}

function label(action: AlertAction<GroupAlertState>): string {
  return action.type === 'post_reply' ? `post_reply:${action.reason}` : action.type;
}

/** One evaluation with the zone's list `certificates` (undefined: the list was not read). */
function step(
  state: World,
  now: Date,
  certificates: ListedHostnameCertificate[] | undefined,
  options: { texts?: string[]; context?: Partial<AlertContext> } = {},
): string[] {
  const { observations, hostnameUpdates } = observeGroups({
    evaluations: HOSTS.map((hostname) => ({
      zoneId: ZONE_ID,
      hostname,
      evaluation: checked(now, { hostname }),
    })),
    hostnameStates: state.hostnames,
    groups: new Map(state.group === null ? [] : [[state.group.id, state.group]]),
    cannotCheckAfterEvaluations: 3,
    ...(certificates === undefined ? {} : { hostnameCertificates: [{ zoneId: ZONE_ID, certificates }] }),
    now,
  });
  for (const { next } of hostnameUpdates) state.hostnames.set(`${next.zoneId}/${next.hostname}`, next);
  const [observation] = [...observations.values()];
  let current = state.group ?? (observation ? initialGroupState(observation.key) : null);
  if (current === null) return [];
  const labels: string[] = [];
  for (let round = 0; round < 3; round += 1) {
    const transition = decideGroupTransition(
      current,
      observation ?? null,
      alertContext(now, options.context),
    );
    for (const action of transition.actions) {
      labels.push(label(action));
      options.texts?.push(
        renderAlertAction(action, { now, timeZone: TIME_ZONE })
          .blocks.map((block) => JSON.stringify(block))
          .join('\n'),
      );
    }
    if (transition.actions.length === 0) {
      current = transition.next;
      break;
    }
    for (const action of transition.actions)
      current = confirmAlertAction(
        action,
        action.type === 'post_parent' ? { channel: action.channel, ts: nextTs() } : action.parent,
      );
    if (!transition.actions.some((action) => action.type === 'post_parent')) break;
  }
  state.group = current;
  return labels;
}

function world(): World {
  return { hostnames: new Map(), group: null };
}

describe('replacement of a certificate in an expiry episode', () => {
  it('tells a fit replacement once, with the runbook for its id, and the parent shows it', () => {
    const state = world();
    expect(step(state, whenDaysLeft(10), [OLD])).toEqual(['post_parent', 'post_reply:runbook']);
    const uploadedOn = whenDaysLeft(9);
    const texts: string[] = [];
    expect(
      step(state, new Date(uploadedOn.getTime() + HOUR_MS), [OLD, fitReplacement(uploadedOn)], { texts }),
    ).toEqual(['post_reply:renewal', 'update_parent']);
    const [reply = '', parent = ''] = texts;
    expect(reply).toContain('Replacement uploaded');
    expect(reply).toContain('0 of 3 hostnames moved');
    expect(reply).toContain(`\\"cert_id\\":\\"${FIT_ID}\\"`);
    expect(reply).not.toContain('NEW_CERTIFICATE_ID');
    expect(reply).not.toContain('Upload the replacement');
    expect(parent).toContain('Replacement uploaded');
    expect(parent).toContain('0 of 3 hostnames moved');
    expect(
      step(state, new Date(uploadedOn.getTime() + 2 * HOUR_MS), [OLD, fitReplacement(uploadedOn)]),
    ).toEqual([]);
    // A list that could not be read keeps what is known.
    expect(step(state, new Date(uploadedOn.getTime() + 3 * HOUR_MS), undefined)).toEqual([]);
    expect(state.group?.episode?.group?.replacements.map((candidate) => candidate.id)).toEqual([FIT_ID]);
  });

  it('counts a replacement already there at opening as told by the parent and the runbook', () => {
    const state = world();
    const texts: string[] = [];
    expect(step(state, whenDaysLeft(10), [OLD, fitReplacement(whenDaysLeft(11))], { texts })).toEqual([
      'post_parent',
      'post_reply:runbook',
    ]);
    expect(texts[1]).toContain(`\\"cert_id\\":\\"${FIT_ID}\\"`);
    expect(texts[1]).not.toContain('Upload the replacement');
    expect(step(state, whenDaysLeft(9), [OLD, fitReplacement(whenDaysLeft(11))])).toEqual([]);
  });

  it('says once, with the critical mention, that the renewal has stalled', () => {
    const state = world();
    const uploadedOn = whenDaysLeft(6);
    step(state, whenDaysLeft(10), [OLD]);
    expect(step(state, whenDaysLeft(6.9), [OLD])).toEqual(['post_reply:rung', 'update_parent']);
    expect(step(state, new Date(uploadedOn.getTime() + HOUR_MS), [OLD, fitReplacement(uploadedOn)])).toEqual([
      'post_reply:renewal',
      'update_parent',
    ]);
    expect(
      step(state, new Date(uploadedOn.getTime() + 23 * HOUR_MS), [OLD, fitReplacement(uploadedOn)]),
    ).toEqual([]);
    // A longer stall setting waits longer.
    const patient = { context: { replacementStallHours: 48 } };
    expect(
      step(state, new Date(uploadedOn.getTime() + 25 * HOUR_MS), [OLD, fitReplacement(uploadedOn)], patient),
    ).toEqual([]);
    const texts: string[] = [];
    expect(
      step(state, new Date(uploadedOn.getTime() + 25 * HOUR_MS), [OLD, fitReplacement(uploadedOn)], {
        texts,
      }),
    ).toEqual(['post_reply:renewal', 'update_parent']);
    expect(texts[0]).toContain(MENTION);
    expect(texts[0]).toContain('The renewal has stalled');
    expect(texts[1]).toContain('Renewal stalled');
    expect(
      step(state, new Date(uploadedOn.getTime() + 49 * HOUR_MS), [OLD, fitReplacement(uploadedOn)]),
    ).toEqual([]);
  });

  it('never calls a renewal stalled outside the critical window, or once a hostname moved', () => {
    const state = world();
    const uploadedOn = whenDaysLeft(12);
    step(state, whenDaysLeft(13), [OLD]);
    expect(step(state, whenDaysLeft(10), [OLD, fitReplacement(uploadedOn)])).toEqual([
      'post_reply:renewal',
      'update_parent',
    ]);
    expect(step(state, whenDaysLeft(8), [OLD, fitReplacement(uploadedOn)])).toEqual([]);
    expect(state.group?.episode?.group?.stallTold).toBe(false);
  });

  it('raises an unfit replacement as a problem of its own, and never as a stall', () => {
    const state = world();
    step(state, whenDaysLeft(10), [OLD]);
    const uploadedOn = whenDaysLeft(9);
    const texts: string[] = [];
    expect(
      step(state, new Date(uploadedOn.getTime() + HOUR_MS), [OLD, unfitReplacement(uploadedOn)], { texts }),
    ).toEqual(['post_reply:renewal', 'update_parent']);
    expect(texts[0]).toContain('Unfit replacement');
    expect(texts[0]).toContain('nginx and other OpenSSL-based origins');
    expect(texts[0]).not.toContain(`\\"cert_id\\":\\"${UNFIT_ID}\\"`);
    expect(texts[1]).toContain('Unfit replacement uploaded');
    expect(step(state, whenDaysLeft(6.9), [OLD, unfitReplacement(uploadedOn)])).toEqual([
      'post_reply:rung',
      'update_parent',
    ]);
    expect(step(state, whenDaysLeft(5), [OLD, unfitReplacement(uploadedOn)])).toEqual([]);
  });

  it('prefers a replacement whose names match, and shows every candidate', () => {
    const state = world();
    const texts: string[] = [];
    const other = fitReplacement(whenDaysLeft(11), {
      certificateId: 'other000-0000-4000-8000-000000000003',
      serialNumber: '9000',
      names: ['elsewhere.example.net'],
    });
    const matching = fitReplacement(whenDaysLeft(12));
    step(state, whenDaysLeft(10), [OLD, other, matching], { texts });
    expect(state.group?.episode?.group?.replacements.map((candidate) => candidate.id)).toEqual([
      FIT_ID,
      'other000-0000-4000-8000-000000000003',
    ]);
    expect(texts[0]).toContain(FIT_ID);
    expect(texts[0]).toContain('other000-0000-4000-8000-000000000003');
    expect(texts[1]).toContain(`\\"cert_id\\":\\"${FIT_ID}\\"`);
  });

  it('holds the replacement reply during a snooze and counts it', () => {
    const state = world();
    step(state, whenDaysLeft(10), [OLD]);
    const snoozed = applySnooze(state.group as GroupAlertState, {
      userId: 'U0SNOOZER',
      now: whenDaysLeft(10),
      timeZone: TIME_ZONE,
    });
    state.group = snoozed.next;
    const uploadedOn = whenDaysLeft(9.9);
    expect(step(state, new Date(uploadedOn.getTime() + HOUR_MS), [OLD, fitReplacement(uploadedOn)])).toEqual([
      'update_parent',
    ]);
    expect(state.group?.episode?.pendingRepliesWhileSnoozed).toBe(1);
    expect(state.group?.episode?.group?.replacementsTold).toEqual([FIT_ID]);
  });
});

describe('alert state written before renewal readiness', () => {
  const fixture = JSON.parse(
    readFileSync(new URL('../../fixtures/alerts/grouped-release.json', import.meta.url), 'utf8'),
  ) as { groups: Record<string, unknown> };

  it('loads, with nothing seen or told, and writes back exactly the JSON it was read from', () => {
    for (const stored of Object.values(fixture.groups)) {
      const json = JSON.stringify(stored);
      const state = deserializeGroupState(json);
      expect(state.episode?.group).toMatchObject({
        replacements: [],
        replacementsTold: [],
        unfitTold: [],
        stallTold: false,
        zoneSlotsFull: null,
        runbookPosted: true,
      });
      // Compare-and-set compares the stored string: an unchanged state must serialise to it.
      expect(serializeGroupState(state)).toBe(json);
    }
  });
});
