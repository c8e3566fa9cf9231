/**
 * Upgrading to grouped threads loses nothing. Redis may hold per-hostname episodes written before
 * `alerts.group_by` existed (or while it was `hostname`). On the first grouped evaluation each open
 * one continues in exactly one grouped episode:
 *
 * - the group adopts the oldest of the old parents as its own (no second parent is posted), edits
 *   it into the grouped parent, and carries over rungs already told, acknowledgements and snoozes;
 * - every other old parent of the same problem is edited once to say which thread continues it;
 * - an old episode whose problem is gone by now (renewed during the upgrade) is resolved in its
 *   own thread, as the previous release would have.
 *
 * Pure: the evaluator applies the plan, each step under its lock, persisting after each post.
 */
import { certificateKeyOf, type Episode, type HostnameAlertState, type SlackMessageRef } from './episode.js';
import {
  type GroupAlertState,
  type GroupObservation,
  groupEpisodeIdFor,
  initialGroupState,
  openGroupEpisode,
} from './group.js';
import {
  type AlertContext,
  type AlertEvaluation,
  type AlertTransition,
  Plan,
  resolve,
  rungsReached,
} from './transition.js';

/** One old parent to point at the thread that continues it. */
export interface LegacyPointer {
  /** The hostname state holding the old episode; its episode is dropped once the edit is confirmed. */
  state: HostnameAlertState;
  /** The group whose thread continues it. */
  groupId: string;
}

export interface MigrationPlan {
  /** Groups to create before anything else, each adopting an old parent; saved only if still absent. */
  adoptions: GroupAlertState[];
  /** Old parents to edit once; the target group's parent must exist (it does once adopted or posted). */
  pointers: LegacyPointer[];
  /** Old episodes whose problem is gone: resolved in their own thread. */
  resolutions: { state: HostnameAlertState; decide: (state: HostnameAlertState) => AlertTransition }[];
  /** Old episodes without a parent (lost) that a group continues: dropped quietly. */
  dropped: HostnameAlertState[];
}

/** Which grouped kinds can continue a per-hostname episode. */
function continues(episode: Episode, group: GroupObservation): boolean {
  if (episode.kind === 'cannot_check') return group.key.kind === 'cannot_check';
  if (group.key.certificateKey !== episode.certificateKey && !episode.switchWentOff) return false;
  if (episode.switchWentOff) return group.key.kind === 'association';
  return group.key.kind === 'certificate' || group.key.kind === 'association';
}

function earliest<T>(items: T[], at: (item: T) => string): T | undefined {
  return [...items].sort((a, b) => at(a).localeCompare(at(b)))[0];
}

/**
 * Plans how every open per-hostname episode continues under `group_by: certificate`.
 *
 * @example
 * planMigration({ legacy, observations, groups, evaluations, context }).adoptions.length // one per problem
 */
export function planMigration(input: {
  legacy: HostnameAlertState[];
  observations: ReadonlyMap<string, GroupObservation>;
  groups: ReadonlyMap<string, GroupAlertState>;
  evaluations: ReadonlyMap<string, AlertEvaluation>;
  context: AlertContext;
}): MigrationPlan {
  const plan: MigrationPlan = { adoptions: [], pointers: [], resolutions: [], dropped: [] };
  const byGroup = new Map<string, HostnameAlertState[]>();
  for (const state of input.legacy) {
    const episode = state.episode;
    if (episode === null) continue;
    const target = [...input.observations.entries()].find(
      ([, observation]) =>
        observation.key.zoneId === state.zoneId &&
        observation.hostnames.includes(state.hostname) &&
        continues(episode, observation),
    );
    if (target === undefined) {
      const evaluation = input.evaluations.get(`${state.zoneId}/${state.hostname}`);
      // Not checked in this run: nothing is known, so the old thread waits for the next evaluation.
      if (evaluation === undefined || evaluation.observation.kind === 'unreachable') continue;
      plan.resolutions.push({
        state,
        decide: (current) => resolveLegacy(current, evaluation, input.context),
      });
      continue;
    }
    const list = byGroup.get(target[0]) ?? [];
    list.push(state);
    byGroup.set(target[0], list);
  }
  for (const [groupId, states] of byGroup) {
    const observation = input.observations.get(groupId);
    if (observation === undefined) continue;
    const existing = input.groups.get(groupId);
    const withParent = states.filter((state) => state.episode?.parent);
    const adopted =
      existing?.episode && existing.episode.resolvedAt === null
        ? undefined
        : earliest(
            withParent,
            (state) => `${state.episode?.openedAt.toISOString()} ${state.episode?.parent?.ts}`,
          );
    if (adopted !== undefined && adopted.episode !== null && observation.facts !== null) {
      plan.adoptions.push(adopt(observation, states, adopted.episode.parent, input.context));
    }
    for (const state of states) {
      if (state === adopted || !state.episode?.parent) plan.dropped.push(state);
      else plan.pointers.push({ state, groupId });
    }
  }
  return plan;
}

/** The grouped state that takes over: the old parent, the rungs told, the acknowledgement and the snooze. */
function adopt(
  observation: GroupObservation,
  states: HostnameAlertState[],
  parent: SlackMessageRef | null,
  context: AlertContext,
): GroupAlertState {
  const initial = initialGroupState(observation.key);
  const facts = observation.facts;
  if (facts === null) return initial;
  const episodes = states.flatMap((state) => (state.episode === null ? [] : [state.episode]));
  const reached = rungsReached(context.ladderDays, facts.expiresOn, context.now);
  const fresh = openGroupEpisode(initial, observation, facts, reached, context.now);
  const acknowledgements = episodes.flatMap((episode) =>
    episode.acknowledged === null ? [] : [episode.acknowledged],
  );
  const snoozes = episodes.flatMap((episode) =>
    episode.snoozedUntil !== null && episode.snoozedUntil.getTime() > context.now.getTime()
      ? [episode.snoozedUntil]
      : [],
  );
  const openedAt = episodes.map((episode) => episode.openedAt).sort((a, b) => a.getTime() - b.getTime())[0];
  const told = new Set(episodes.flatMap((episode) => episode.rungsPosted));
  const episode: Episode = {
    ...fresh,
    id: groupEpisodeIdFor(initial.id, openedAt ?? context.now),
    openedAt: openedAt ?? context.now,
    parent,
    // A rung some old thread was told is not told again; one crossed during the upgrade still gets its reply.
    rungsPosted: reached.filter((rung) => told.has(rung)),
    // Whoever acknowledged first is on it; the longest snooze still running holds the replies.
    acknowledged: acknowledgements.sort((a, b) => a.at.getTime() - b.at.getTime())[0] ?? null,
    snoozedUntil: snoozes.sort((a, b) => b.getTime() - a.getTime())[0] ?? null,
    // '' makes the first grouped transition rewrite the adopted parent into the grouped one.
    parentSignature: '',
  };
  return { ...initial, episode };
}

/** The old release's resolution of a per-hostname episode, without opening anything new. */
function resolveLegacy(
  state: HostnameAlertState,
  evaluation: AlertEvaluation,
  context: AlertContext,
): AlertTransition {
  const plan = new Plan<HostnameAlertState>(state);
  if (plan.episode !== null && plan.episode.resolvedAt !== null) {
    plan.syncParent({ channel: null });
    return plan.finish();
  }
  const episode = plan.episode;
  if (episode === null) return plan.finish();
  const key =
    evaluation.observation.kind === 'association'
      ? certificateKeyOf(evaluation.observation.association)
      : null;
  if (episode.kind === 'cannot_check') {
    resolve(plan, { reason: 'checks_recovered', newCertificateKey: null, newExpiresOn: null }, context);
  } else if (key !== null && key !== episode.certificateKey) {
    resolve(
      plan,
      {
        reason: 'renewed',
        newCertificateKey: key,
        newExpiresOn: evaluation.assessment.effectiveExpiry,
      },
      context,
    );
  } else {
    resolve(
      plan,
      { reason: 'healthy', newCertificateKey: null, newExpiresOn: evaluation.assessment.effectiveExpiry },
      context,
    );
  }
  return plan.finish();
}
