import { isCloudflareApiError } from '../cloudflare/errors.js';
import { toHostnameAssociation } from '../cloudflare/mapping.js';
import type { CloudflareClient } from '../cloudflare/types.js';
import type { AppConfig } from '../config/types.js';
import type { HostnameCheck } from '../digest/model.js';
import { parseCertificatePem } from '../domain/certificate.js';
import { assessSeverity } from '../domain/severity.js';
import type { HostnameObservation, ZoneRef } from '../domain/types.js';
import { SlackPlatformError } from '../errors.js';
import { type ConfigRouter, routeNameOf, thresholdsFor } from '../inventory/routing.js';
import { type AssembledRun, isFinalAttempt, resultPagesOf } from '../inventory/run.js';
import type { ZoneCheckResult } from '../inventory/zone-check.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { renderAlertAction, renderEpisodeHostnames } from '../render/alert.js';
import { alertStateChanged, type HostnameAlertState, initialAlertState } from './episode.js';
import {
  type AccountAccessReading,
  blindZoneOwners,
  createGroupObserver,
  decideGroupTransition,
  errorClassOf,
  type GroupAlertState,
  type GroupingInput,
  initialGroupState,
  serializeGroupState,
} from './group.js';
import { planMigration } from './migration.js';
import type { AlertButtonHandler, AlertPoster } from './poster.js';
import { planRouteMoves } from './reroute.js';
import { type AlertStore, alertStateKey } from './store.js';
import {
  type AlertAction,
  type AlertContext,
  type AlertEvaluation,
  type AlertTransition,
  applyAcknowledge,
  applySnooze,
  confirmAlertAction,
  decideAlertTransition,
  endEpisode,
  pointToGroupedThread,
  pointToRoutedThread,
  type ThreadState,
  withParentLost,
} from './transition.js';

export interface AlertEvaluatorOptions {
  config: AppConfig;
  /** Which route owns each hostname: its alerts channel, mention and thresholds apply. */
  router: ConfigRouter;
  store: AlertStore;
  poster: AlertPoster;
  cloudflare: CloudflareClient;
  logger: Logger;
  metrics: Metrics;
  clock: () => Date;
  /** The account that reads a zone whose plan names none (see src/cloudflare/accounts.ts). */
  accountOfZone?: (zoneId: string) => string;
}

export interface EvaluationSummary {
  hostnames: number;
  withActions: number;
  slackCalls: number;
  skippedBusy: number;
  /** Hostnames whose posts failed transiently (Slack 5xx, 429 past the poster's retries, network). */
  failed: number;
  /** Hostnames whose posts Slack refused for good (`channel_not_found`, `not_in_channel`, …). */
  refused: number;
}

/** Thrown after an evaluation in which some posts failed transiently, so BullMQ retries the job. */
export class AlertDeliveryError extends Error {
  constructor(readonly failures: number) {
    super(`${failures} alert post(s) failed; the evaluation will be retried and resumes where it stopped`);
  }
}

/** One hostname as an evaluation sees it. */
type EvaluatedHostname = GroupingInput['evaluations'][number];

type ApplyOutcome<S> =
  | { kind: 'done'; state: S; calls: number }
  | { kind: 'parent_lost'; state: S; calls: number };

/** How the evaluator reads, writes and locks one kind of thread state (a hostname's or a group's). */
interface ThreadStore<S extends ThreadState> {
  lockName: string;
  load(): Promise<S>;
  save(state: S): Promise<void>;
  changed(previous: S, next: S): boolean;
  /** A group's decision is the same when re-run on its own result, so the runbook can follow its parent at once. */
  rerunAfterParentPosted: boolean;
  /** For logs. */
  describe: Record<string, string>;
  /** The owning route, for the parent's metadata (a group's key says it too). */
  route: string | null;
}

/**
 * Alert threads: the evaluation step after every zone has been checked, and the handlers behind
 * the Acknowledge / Snooze / Refresh / Hostnames buttons. The decisions are the pure transition
 * functions; this module only loads state, holds the thread's lock, posts, and persists after each
 * post Slack confirmed, so a failure part-way resumes exactly where it stopped.
 */
export function createAlertEvaluator(options: AlertEvaluatorOptions) {
  const { config, store, poster, logger, metrics, router } = options;
  const grouped = config.alerts.groupBy === 'certificate';
  const hostnameThresholds = thresholdsFor(router, config.thresholds);
  /**
   * Where a route's threads go and whom they mention (null: the top level). A route the config no
   * longer names is the top level's: its episodes move there (src/alerts/reroute.ts).
   */
  const deliveryOf = (route: string | null): { channel: string | null; mentionOnCritical: string } => {
    const named = route === null ? null : router.named(route);
    return named === null
      ? { channel: config.alerts.channel, mentionOnCritical: config.alerts.mentionOnCritical }
      : { channel: named.alertsChannel, mentionOnCritical: named.mentionOnCritical };
  };
  const anyChannel = config.alerts.channel !== null || config.routes.some((route) => route.alertsChannel);
  const contextAt = (
    now: Date,
    extra: Partial<AlertContext> = {},
    route: string | null = null,
  ): AlertContext => {
    const delivery = deliveryOf(route);
    return {
      now,
      ladderDays: config.alerts.ladderDays,
      mentionOnCritical: delivery.mentionOnCritical,
      cannotCheckAfterEvaluations: config.alerts.cannotCheckAfterEvaluations,
      replacementStallHours: config.alerts.replacementStallHours,
      timeZone: config.timezone,
      channel: delivery.channel ?? '',
      ...extra,
    };
  };
  /** Zones by id, from the config and the run, so routes written with zone names match. */
  const zoneIndex = (run: AssembledRun | null): Map<string, ZoneRef> => {
    const zones = new Map<string, ZoneRef>(
      config.zones.map((zone) => [zone.id, { id: zone.id, name: zone.name }]),
    );
    for (const result of run?.results ?? []) {
      const known = zones.get(result.zone.id);
      zones.set(result.zone.id, { id: result.zone.id, name: result.zone.name ?? known?.name ?? null });
    }
    return zones;
  };

  /** The route owning a hostname of a configured zone (a zone known by id only matches routes by id). */
  const configuredRouteOf = (zoneId: string, hostname: string): string | null =>
    routeNameOf(router, hostname, zoneIndex(null).get(zoneId) ?? { id: zoneId, name: null });

  const hostnameThread = (
    zoneId: string,
    hostname: string,
    route: string | null = configuredRouteOf(zoneId, hostname),
  ): ThreadStore<HostnameAlertState> => ({
    lockName: alertStateKey(zoneId, hostname),
    load: async () => (await store.load(zoneId, hostname)) ?? initialAlertState(zoneId, hostname),
    save: (state) => store.save(state),
    changed: alertStateChanged,
    rerunAfterParentPosted: false,
    describe: { zoneId, hostname },
    route,
  });

  const groupThread = (initial: GroupAlertState): ThreadStore<GroupAlertState> => ({
    lockName: `group:${initial.id}`,
    load: async () => (await store.loadGroup(initial.id)) ?? initial,
    save: (state) => store.saveGroup(state),
    changed: (previous, next) => serializeGroupState(previous) !== serializeGroupState(next),
    rerunAfterParentPosted: true,
    describe: { zoneId: initial.zoneId, group: initial.id },
    route: initial.key.route,
  });

  /** Applies actions in order, persisting the state each confirmed post leads to. */
  async function apply<S extends ThreadState>(
    thread: ThreadStore<S>,
    state: S,
    actions: AlertAction<S>[],
    now: Date,
  ): Promise<ApplyOutcome<S>> {
    let confirmed = state;
    let calls = 0;
    for (const action of actions) {
      const message = renderAlertAction(action, { now, timeZone: config.timezone, route: thread.route });
      try {
        if (action.type === 'update_parent') {
          calls += 1;
          await poster.updateMessage({
            channel: action.parent.channel,
            ts: action.parent.ts,
            text: message.text,
            blocks: message.blocks,
            ...(message.metadata ? { metadata: message.metadata } : {}),
          });
          confirmed = confirmAlertAction(action, action.parent);
        } else {
          calls += 1;
          const target = action.type === 'post_parent' ? action.channel : action.parent.channel;
          const posted = await poster.postMessage({
            channel: target,
            text: message.text,
            blocks: message.blocks,
            ...(action.type === 'post_reply' ? { threadTs: action.parent.ts } : {}),
            ...(message.metadata ? { metadata: message.metadata } : {}),
          });
          confirmed = confirmAlertAction(action, posted);
        }
        await thread.save(confirmed);
      } catch (error) {
        const lost =
          error instanceof SlackPlatformError &&
          ['message_not_found', 'cant_update_message', 'thread_not_found'].includes(error.slackError);
        if (lost) {
          const withoutParent = withParentLost(confirmed);
          await thread.save(withoutParent);
          logger.warn(
            { ...thread.describe, slackError: (error as SlackPlatformError).slackError },
            'alert parent is gone; posting a fresh one',
          );
          return { kind: 'parent_lost', state: withoutParent, calls };
        }
        throw error;
      }
    }
    return { kind: 'done', state: confirmed, calls };
  }

  /**
   * Decides and applies under the thread's lock, from the state as it is in Redis at that moment
   * (another evaluator may have just moved it on). A parent found deleted is re-posted at once; a
   * group's runbook follows its new parent in the same evaluation.
   */
  const decideAndApply = async <S extends ThreadState>(
    thread: ThreadStore<S>,
    decide: (state: S) => AlertTransition<S>,
    now: Date,
    waitMs: number,
  ): Promise<{ calls: number } | null> =>
    store.withNamedLock(
      thread.lockName,
      async () => {
        let state = await thread.load();
        let calls = 0;
        for (let round = 0; round < 3; round += 1) {
          const transition = decide(state);
          if (transition.actions.length === 0) {
            if (thread.changed(state, transition.next)) await thread.save(transition.next);
            return { calls };
          }
          const outcome = await apply(thread, state, transition.actions, now);
          calls += outcome.calls;
          const postedParent = transition.actions.some((action) => action.type === 'post_parent');
          if (outcome.kind === 'done' && !(thread.rerunAfterParentPosted && postedParent)) return { calls };
          state = outcome.state;
        }
        return { calls };
      },
      { waitMs },
    );

  /**
   * Saves a group that takes over an earlier thread (upgrade or route move) unless it is open by
   * now: another evaluator may have adopted or opened it meanwhile, and theirs stands. True when saved.
   */
  const adoptGroup = async (adoption: GroupAlertState, groups: Map<string, GroupAlertState>) =>
    (await store.withNamedLock(
      `group:${adoption.id}`,
      async () => {
        const current = await store.loadGroup(adoption.id);
        if (current?.episode && current.episode.resolvedAt === null) {
          groups.set(adoption.id, current);
          return false;
        }
        await store.saveGroup(adoption);
        groups.set(adoption.id, adoption);
        return true;
      },
      { waitMs: 5_000 },
    )) === true;

  /**
   * With several accounts or discovery, a refused token is one episode per account (grouped
   * threads only): a revoked token would otherwise open one per zone, hundreds for a large account.
   */
  const accountLevelAccess =
    grouped && (config.discover !== null || config.cloudflare.accounts.some((account) => !account.implicit));

  /** Each account in the run, with the zones its token was refused; those zones' hostnames are left out. */
  const accountAccessOf = (run: AssembledRun): AccountAccessReading[] => {
    if (!accountLevelAccess) return [];
    const planned = new Map(run.payload.plans.map((plan) => [plan.zone.id, plan.account]));
    const readings = new Map<string, AccountAccessReading>();
    for (const result of run.results) {
      const account =
        planned.get(result.zone.id) ??
        options.accountOfZone?.(result.zone.id) ??
        config.cloudflare.accounts[0]?.name ??
        '';
      const reading = readings.get(account) ?? { account, refusedZones: [], error: null };
      readings.set(account, reading);
      if (result.failure && errorClassOf(result.failure.errorCode) === 'access') {
        reading.refusedZones.push(result.zone);
        reading.error ??= { errorCode: result.failure.errorCode, errorMessage: result.failure.errorMessage };
      }
    }
    return [...readings.values()];
  };

  /**
   * Who goes blind in each refused zone: the owners of the hostnames watched there (the configured
   * ones and those a stored state remembers, as discovered zones have no configured hostnames) and
   * the route taking the whole zone.
   */
  const blindOwnersOfRefusedZones = (
    run: AssembledRun,
    states: ReadonlyMap<string, HostnameAlertState>,
    refusedZoneIds: ReadonlySet<string>,
  ): Map<string, (string | null)[]> => {
    const known = new Map<string, Set<string>>();
    for (const result of run.results) {
      if (refusedZoneIds.has(result.zone.id)) known.set(result.zone.id, new Set(result.failure?.hostnames));
    }
    for (const state of states.values()) known.get(state.zoneId)?.add(state.hostname);
    const zones = zoneIndex(run);
    const owners = new Map<string, (string | null)[]>();
    for (const [zoneId, hostnames] of known) {
      const zone = zones.get(zoneId) ?? { id: zoneId, name: null };
      owners.set(
        zoneId,
        blindZoneOwners({
          hostnames,
          routeOf: (hostname) => routeNameOf(router, hostname, zone),
          zoneOwner: router.zoneOwnerOf(zone)?.name ?? null,
        }),
      );
    }
    return owners;
  };

  /**
   * The evaluated hostnames of some zones' results: each check, and for a zone that could not be
   * listed every hostname known in it (configured, or remembered by a stored state in `retained`).
   */
  const evaluationsOf = (
    results: readonly ZoneCheckResult[],
    retained: ReadonlyMap<string, HostnameAlertState>,
    refusedZoneIds: ReadonlySet<string>,
  ): EvaluatedHostname[] => {
    const evaluations: EvaluatedHostname[] = [];
    const now = options.clock();
    const push = (check: HostnameCheck) =>
      evaluations.push({
        zoneId: check.zone.id,
        hostname: check.hostname,
        evaluation: { observation: check.observation, assessment: check.assessment },
      });
    for (const result of results) {
      for (const check of result.checks) push(check);
      if (!result.failure || refusedZoneIds.has(result.zone.id)) continue;
      // A zone that could not be listed: every hostname we know in it could not be checked.
      const known = new Set(result.failure.hostnames);
      for (const state of retained.values()) if (state.zoneId === result.zone.id) known.add(state.hostname);
      for (const hostname of known) {
        const observation: HostnameObservation = {
          kind: 'unreachable',
          hostname,
          zoneId: result.zone.id,
          errorCode: result.failure.errorCode,
          errorMessage: result.failure.errorMessage,
        };
        push({
          hostname,
          zone: result.zone,
          observation,
          assessment: assessSeverity(observation, {
            thresholds: hostnameThresholds(hostname, result.zone),
            now,
            timeZone: config.timezone,
          }),
        });
      }
    }
    return evaluations;
  };

  /**
   * Hands `handle` the run's evaluated hostnames a page of zones at a time, each page with the stored
   * states of its hostnames, so 100,000 hostnames are never all held at once. Returns how many
   * hostnames were evaluated.
   */
  const forEachEvaluationPage = async (
    run: AssembledRun,
    retained: ReadonlyMap<string, HostnameAlertState>,
    refusedZoneIds: ReadonlySet<string>,
    handle: (page: EvaluatedHostname[], states: ReadonlyMap<string, HostnameAlertState>) => Promise<void>,
  ): Promise<number> => {
    let evaluated = 0;
    for await (const results of resultPagesOf(run)) {
      const page = evaluationsOf(results, retained, refusedZoneIds);
      evaluated += page.length;
      if (page.length > 0) await handle(page, await store.loadMany(page));
    }
    return evaluated;
  };

  return {
    /** The assemble step of an alert evaluation run. */
    async evaluateRun(run: AssembledRun): Promise<EvaluationSummary> {
      const log = logger.child({ slotId: run.payload.slotId, jobId: run.attempt.jobId });
      const summary: EvaluationSummary = {
        hostnames: 0,
        withActions: 0,
        slackCalls: 0,
        skippedBusy: 0,
        failed: 0,
        refused: 0,
      };
      // Retrying the job is for failures another attempt can fix; the last attempt has no one after it.
      const finalAttempt = isFinalAttempt(run.attempt);
      if (!anyChannel) return summary;
      const now = options.clock();
      const zones = zoneIndex(run);
      /** The owning route of a hostname; undefined when its zone is known neither to the config nor the run. */
      const ownerOf = (zoneId: string, hostname: string): string | null | undefined => {
        const zone = zones.get(zoneId);
        return zone === undefined ? undefined : routeNameOf(router, hostname, zone);
      };
      const zoneOwnerOf = (zoneId: string): string | null | undefined => {
        const zone = zones.get(zoneId);
        return zone === undefined ? undefined : (router.zoneOwnerOf(zone)?.name ?? null);
      };
      const hasChannel = (route: string | null) => deliveryOf(route).channel !== null;
      // Only the stored states needed beside the page being evaluated: open per-hostname episodes
      // (written before grouping, or in per-hostname mode) and those of zones that could not be
      // listed (their hostnames are known from them). The rest are read with their page.
      const failedZoneIds = new Set(
        run.results.flatMap((result) => (result.failure ? [result.zone.id] : [])),
      );
      const states = await store.loadWhere(
        (state) => state.episode !== null || failedZoneIds.has(state.zoneId),
      );
      const accountAccess = accountAccessOf(run);
      const refusedZoneIds = new Set(
        accountAccess.flatMap((reading) => reading.refusedZones.map((zone) => zone.id)),
      );
      const refusedZoneOwners = blindOwnersOfRefusedZones(run, states, refusedZoneIds);
      const refusedOwnersByName = new Map(
        accountAccess.flatMap((reading) =>
          reading.refusedZones.map((zone) => [
            `${reading.account}\n${zone.name ?? zone.id}`,
            refusedZoneOwners.get(zone.id) ?? [null],
          ]),
        ),
      );

      /** Applies one thread's decision under its lock; failures are counted, logged and kept for the retry. */
      const settle = async <S extends ThreadState>(
        thread: ThreadStore<S>,
        decide: (state: S) => AlertTransition<S>,
      ): Promise<void> => {
        summary.withActions += 1;
        try {
          const applied = await decideAndApply(thread, decide, now, 0);
          if (applied === null) summary.skippedBusy += 1;
          else summary.slackCalls += applied.calls;
        } catch (error) {
          // A platform error (missing channel, bot not invited) fails the same way on every retry:
          // it is reported once now, and the next scheduled evaluation tries again from the state
          // of the last confirmed post. Anything else is retried with the job, and reported only
          // when no retry is left, so the metric counts messages given up on, not attempts.
          const permanent = error instanceof SlackPlatformError;
          if (permanent) summary.refused += 1;
          else summary.failed += 1;
          if (permanent || finalAttempt) {
            metrics.slackMessagesFailed.inc({ kind: 'alert' });
            log.error(
              {
                err: error,
                ...thread.describe,
                ...(permanent ? { slackError: error.slackError, hint: error.hint } : {}),
              },
              'alert post failed; state kept at the last confirmed post',
            );
          } else {
            log.warn(
              { err: error, ...thread.describe },
              'alert post failed; the evaluation will be retried from the last confirmed post',
            );
          }
        }
      };

      if (grouped) {
        const stored = await store.loadGroups();
        // Routes changed since the episode opened: its new owner's group takes it over first.
        const moves = planRouteMoves({
          groups: stored,
          routeOf: ownerOf,
          zoneRouteOf: zoneOwnerOf,
          hasChannel,
          accountZoneOwnersOf: (account, zoneName) => refusedOwnersByName.get(`${account}\n${zoneName}`),
        });
        const moving = new Set(moves.map((move) => move.from.id));
        const groups = new Map([...stored].filter(([id]) => !moving.has(id)));
        const movedHere = new Set<string>();
        for (const move of moves) {
          if (move.adoption !== null && (await adoptGroup(move.adoption, groups)))
            movedHere.add(move.adoption.id);
        }
        const observer = createGroupObserver({
          groups,
          cannotCheckAfterEvaluations: config.alerts.cannotCheckAfterEvaluations,
          routeOf: (zoneId, hostname) => ownerOf(zoneId, hostname) ?? null,
          zoneRouteOf: (zoneId) => zoneOwnerOf(zoneId) ?? null,
          zoneLevels: run.results.flatMap((result) =>
            result.zoneLevel === undefined ? [] : [{ zoneId: result.zone.id, check: result.zoneLevel }],
          ),
          hostnameCertificates: run.results.flatMap((result) =>
            result.hostnameCertificates === undefined
              ? []
              : [{ zoneId: result.zone.id, certificates: result.hostnameCertificates }],
          ),
          now,
          ...(accountLevelAccess
            ? {
                accountAccess,
                accountZoneOwnersOf: (zone: ZoneRef) => refusedZoneOwners.get(zone.id) ?? [null],
              }
            : {}),
        });
        // Per-hostname threads written before grouping: the upgrade below needs what is seen of them.
        const legacy = [...states.values()].filter((state) => state.episode !== null);
        const legacyFields = new Set(legacy.map((state) => alertStateKey(state.zoneId, state.hostname)));
        const legacyEvaluations = new Map<string, AlertEvaluation>();
        summary.hostnames = await forEachEvaluationPage(
          run,
          states,
          refusedZoneIds,
          async (page, pageStates) => {
            // Bookkeeping first: the upgrade steps below re-read hostname states under their locks.
            await store.saveManyIfUnchanged(observer.add(page, pageStates));
            for (const { zoneId, hostname, evaluation } of page) {
              const field = alertStateKey(zoneId, hostname);
              if (legacyFields.has(field)) legacyEvaluations.set(field, evaluation);
            }
          },
        );
        const observations = observer.finish();
        const migration =
          legacy.length === 0
            ? null
            : planMigration({
                legacy,
                observations,
                groups,
                evaluations: legacyEvaluations,
                context: contextAt(now),
              });
        for (const adoption of migration?.adoptions ?? []) await adoptGroup(adoption, groups);
        const quietGroups: { previous: GroupAlertState | null; next: GroupAlertState }[] = [];
        const ids = new Set([
          ...observations.keys(),
          ...[...groups.values()].filter((group) => group.episode !== null).map((group) => group.id),
        ]);
        for (const id of [...ids].sort()) {
          const observation = observations.get(id) ?? null;
          const known = groups.get(id) ?? null;
          const previous = known ?? (observation === null ? null : initialGroupState(observation.key));
          if (previous === null) continue;
          // Alert threads are off for its owner: nothing is opened, and an open thread waits as it is.
          if (!hasChannel(previous.key.route)) continue;
          const context = contextAt(
            now,
            movedHere.has(id) ? { movedFromAnotherRoute: true } : {},
            previous.key.route,
          );
          const decide = (state: GroupAlertState) => decideGroupTransition(state, observation, context);
          const transition = decide(previous);
          if (transition.actions.length > 0) await settle(groupThread(previous), decide);
          else if (serializeGroupState(previous) !== serializeGroupState(transition.next))
            quietGroups.push({ previous: known, next: transition.next });
        }
        await store.saveGroupsIfUnchanged(quietGroups);
        // The old parents of moved episodes, once the thread continuing each has its parent.
        for (const move of moves) {
          const episodeId = move.from.episode?.id ?? '';
          const target = move.toId === null ? null : await store.loadGroup(move.toId);
          const parent = target?.episode?.parent ?? null;
          if (move.toId !== null && parent === null) continue;
          await settle(groupThread(move.from), (current) =>
            pointToRoutedThread(current, episodeId, {
              route: move.route,
              parent,
              ...(move.others.length === 0
                ? {}
                : {
                    hostnames: move.hostnames,
                    others: move.others.map((other) => ({
                      ...other,
                      channel: deliveryOf(other.route).channel,
                    })),
                  }),
            }),
          );
        }
        if (migration !== null) {
          for (const { state, decide } of migration.resolutions) {
            await settle(hostnameThread(state.zoneId, state.hostname), decide);
          }
          const pointers = [
            ...migration.pointers,
            ...migration.dropped.map((state) => ({ state, groupId: null })),
          ];
          for (const { state, groupId } of pointers) {
            const episodeId = state.episode?.id ?? '';
            const target = groupId === null ? null : await store.loadGroup(groupId);
            const parent = target?.episode?.parent ?? null;
            // The grouped parent is not confirmed yet: the old one is pointed at it next time.
            if (groupId !== null && (target === null || parent === null)) continue;
            await settle(hostnameThread(state.zoneId, state.hostname), (current) =>
              target === null || parent === null
                ? {
                    next: current.episode?.id === episodeId ? { ...current, episode: null } : current,
                    actions: [],
                  }
                : pointToGroupedThread(current, episodeId, {
                    kind: target.key.kind,
                    certificateKey: target.key.certificateKey,
                    parent,
                  }),
            );
          }
        }
      } else {
        summary.hostnames = await forEachEvaluationPage(
          run,
          states,
          refusedZoneIds,
          async (page, pageStates) => {
            const quietUpdates: { previous: HostnameAlertState | null; next: HostnameAlertState }[] = [];
            for (const { zoneId, hostname, evaluation } of page) {
              const route = ownerOf(zoneId, hostname) ?? null;
              // Alert threads are off for its owner. A thread opened in another channel before the
              // routes changed stays there: `channel` only says where new parents go.
              if (!hasChannel(route)) continue;
              const stored = pageStates.get(alertStateKey(zoneId, hostname)) ?? null;
              const previous = stored ?? initialAlertState(zoneId, hostname);
              const decide = (state: HostnameAlertState) =>
                decideAlertTransition(state, evaluation, contextAt(now, {}, route));
              const transition = decide(previous);
              if (transition.actions.length > 0)
                await settle(hostnameThread(zoneId, hostname, route), decide);
              // The common case: nothing to say. Bookkeeping (failure counters, switch memory) is batched.
              else if (alertStateChanged(previous, transition.next))
                quietUpdates.push({ previous: stored, next: transition.next });
            }
            await store.saveManyIfUnchanged(quietUpdates);
          },
        );
      }
      log.info(summary, 'alert evaluation done');
      if (summary.failed > 0) throw new AlertDeliveryError(summary.failed);
      return summary;
    },

    /**
     * Ends the open threads of zones that left the discovered zone list, each with one reply saying
     * so (not "renewed": nothing was seen to be fixed). Returns the zones whose threads are all
     * ended; a thread whose post failed keeps its zone for the next call.
     */
    async endThreadsOfGoneZones(zoneIds: readonly string[]): Promise<string[]> {
      if (zoneIds.length === 0 || !anyChannel) return [...zoneIds];
      const gone = new Set(zoneIds);
      const unfinished = new Set<string>();
      const now = options.clock();
      const resolution = { reason: 'zone_gone', newCertificateKey: null, newExpiresOn: null } as const;
      const end = async <S extends ThreadState>(thread: ThreadStore<S>, zoneId: string) => {
        try {
          const applied = await decideAndApply(
            thread,
            (state) => endEpisode(state, resolution, contextAt(now)),
            now,
            5_000,
          );
          if (applied === null) unfinished.add(zoneId);
        } catch (error) {
          unfinished.add(zoneId);
          logger.warn(
            { err: error, ...thread.describe },
            'could not end the thread of a zone no longer watched',
          );
        }
      };
      const open = (episode: { resolvedAt: Date | null } | null) =>
        episode !== null && episode.resolvedAt === null;
      for (const group of (await store.loadGroups()).values()) {
        if (gone.has(group.zoneId) && open(group.episode)) await end(groupThread(group), group.zoneId);
      }
      const ofGoneZones = await store.loadWhere((state) => gone.has(state.zoneId) && open(state.episode));
      for (const state of ofGoneZones.values()) {
        await end(hostnameThread(state.zoneId, state.hostname), state.zoneId);
      }
      return zoneIds.filter((zoneId) => !unfinished.has(zoneId));
    },

    /** Acknowledge, Snooze, Refresh and Hostnames on an alert parent. */
    buttons: {
      async handle(action, episodeId, context) {
        const owner = await store.findEpisodeOwner(episodeId);
        const episode = owner?.state.episode ?? null;
        if (owner === null || episode === null || episode.id !== episodeId) {
          return { ok: false, message: 'This alert has ended; a newer one (if any) is in its own thread.' };
        }
        if (action === 'hostnames') {
          return { ok: true, privateMessages: renderEpisodeHostnames(episode) };
        }
        const now = options.clock();
        const press = { userId: context.userId, now, timeZone: config.timezone, episodeId };
        let applied: { calls: number } | null;
        if (owner.kind === 'group') {
          const decide = (current: GroupAlertState): AlertTransition<GroupAlertState> =>
            action === 'acknowledge'
              ? applyAcknowledge(current, press)
              : action === 'snooze'
                ? applySnooze(current, press)
                : // A group's facts come from the last evaluation; Refresh shows them as of now.
                  decideGroupTransition(
                    current,
                    null,
                    contextAt(now, { refreshParent: true }, owner.state.key.route),
                  );
          applied = await decideAndApply(groupThread(owner.state), decide, now, 5_000);
        } else {
          const state = owner.state;
          let decide: (current: HostnameAlertState) => AlertTransition;
          if (action === 'acknowledge') decide = (current) => applyAcknowledge(current, press);
          else if (action === 'snooze') decide = (current) => applySnooze(current, press);
          else {
            const evaluation = await evaluateOne(state.zoneId, state.hostname);
            const route = configuredRouteOf(state.zoneId, state.hostname);
            decide = (current) =>
              decideAlertTransition(current, evaluation, contextAt(now, { refreshParent: true }, route));
          }
          applied = await decideAndApply(hostnameThread(state.zoneId, state.hostname), decide, now, 5_000);
        }
        if (applied === null)
          return { ok: false, message: 'This alert is being updated right now; try again in a moment.' };
        return { ok: true };
      },
    } satisfies AlertButtonHandler,
  };

  /** Refresh: the live per-hostname status, assessed the same way the evaluation does. */
  async function evaluateOne(zoneId: string, hostname: string): Promise<AlertEvaluation> {
    const now = options.clock();
    let observation: HostnameObservation;
    let certificate = null;
    try {
      const status = await options.cloudflare.getHostnameStatus(zoneId, hostname);
      const association = toHostnameAssociation(status, zoneId, hostname);
      if (association.certificatePem) {
        const parsed = parseCertificatePem(association.certificatePem);
        if (parsed.ok) certificate = parsed.certificate;
      }
      observation = { kind: 'association', association: { ...association, certificatePem: null } };
    } catch (error) {
      observation = isCloudflareApiError(error, 'cloudflare_not_found')
        ? { kind: 'no_association', hostname, zoneId }
        : {
            kind: 'unreachable',
            hostname,
            zoneId,
            errorCode: (error as { code?: string }).code ?? 'internal_error',
            errorMessage: error instanceof Error ? error.message : String(error),
          };
    }
    return {
      observation,
      assessment: assessSeverity(observation, {
        thresholds: hostnameThresholds(hostname, zoneIndex(null).get(zoneId) ?? { id: zoneId, name: null }),
        now,
        certificate,
        timeZone: config.timezone,
      }),
    };
  }
}

export type AlertEvaluator = ReturnType<typeof createAlertEvaluator>;
