/**
 * The alert threads' decisions, pure: (stored state, what one evaluation saw, clock) in, (next
 * state, Slack actions) out. Actions are data (what to show, what to tell); src/render/alert.ts
 * words them and the I/O layer applies them one by one, persisting after each confirmation.
 *
 * How partial application stays safe:
 * - Every action carries `stateAfter`, the state to persist once Slack confirmed that action
 *   (`confirmAlertAction` adds the parent's ts for `post_parent`). The last action's state is `next`.
 * - Replies come before the parent update. A reply's state already records what it told (rungs,
 *   status, acknowledgement, snooze); the parent's state records what the parent shows as
 *   `parentSignature`. So re-running the transition on a partially applied result emits exactly
 *   the rest: a missing reply is still owed, and a parent whose signature is stale is updated.
 * - When nothing changed, nothing is emitted: 10,000 quiet hostnames cost no Slack call.
 */
import { createHash } from 'node:crypto';
import type {
  HostnameAopSwitch,
  HostnameObservation,
  ReasonCode,
  Severity,
  SeverityAssessment,
} from '../domain/types.js';
import {
  certificateKeyOf,
  type DepartedHostname,
  type Episode,
  type EpisodeGroup,
  type EpisodeResolution,
  episodeIdFor,
  type HostnameAlertState,
  type MovedHostname,
  type SlackMessageRef,
} from './episode.js';

export interface AlertContext {
  now: Date;
  /** Days-before-expiry rungs, e.g. [30, 14, 7, 3, 1, 0]; 0 means expired. Order does not matter. */
  ladderDays: number[];
  /** Posted verbatim on critical escalations (e.g. `<!subteam^S0123>`); '' for none. */
  mentionOnCritical: string;
  /** Consecutive failed evaluations before a "cannot check" episode opens. */
  cannotCheckAfterEvaluations: number;
  timeZone: string;
  /** Where new parents are posted. Existing parents stay where they are. */
  channel: string;
  /** Re-render the parent even when nothing it shows changed (the Refresh button). */
  refreshParent?: boolean;
  /** `alerts.replacement_stall_hours`: 24 when absent. */
  replacementStallHours?: number;
  /**
   * The thread's episode has just moved here from another route's channel (the routes changed):
   * its first parent here mentions `mentionOnCritical` as a new episode's would, since the team
   * now owning it has not been told yet.
   */
  movedFromAnotherRoute?: boolean;
}

export interface AlertEvaluation {
  observation: HostnameObservation;
  assessment: SeverityAssessment;
}

/** The hostname an episode belongs to. */
export type AlertHost = Pick<HostnameAlertState, 'zoneId' | 'hostname'>;

/**
 * What every thread's stored state has: a zone and at most one open episode. Per hostname it is
 * `HostnameAlertState`; grouped, `GroupAlertState` (src/alerts/group.ts). The plan below works on both.
 */
export interface ThreadState {
  zoneId: string;
  episode: Episode | null;
}

/** The hostname a thread's messages name: the state's own, or the first a grouped episode covers. */
export function hostOf(state: ThreadState): AlertHost {
  if ('hostname' in state && typeof state.hostname === 'string') {
    return { zoneId: state.zoneId, hostname: state.hostname };
  }
  return { zoneId: state.zoneId, hostname: state.episode?.group?.hostnames[0] ?? '' };
}

/** One line of a status-change reply. */
export type AlertStatusChange =
  | { kind: 'severity'; from: Severity; to: Severity }
  | { kind: 'association_status' | 'certificate_status'; from: string | null; to: string | null }
  | { kind: 'aop_switch'; from: HostnameAopSwitch | null; to: HostnameAopSwitch | null }
  | { kind: 'reason_added' | 'reason_removed'; code: ReasonCode }
  | { kind: 'checks_failing'; errorCode: string; errorMessage: string }
  | { kind: 'checks_recovered' };

/** Which hostnames joined or left a grouped episode in one evaluation (one batched reply). */
export interface MembershipChange {
  joined: string[];
  moved: MovedHostname[];
  departed: DepartedHostname[];
}

/** What a thread reply says. The transition decides; src/render/alert.ts words it. */
export type AlertReply =
  /** A ladder rung was crossed; `rungDays` is the lowest one crossed (0 = expired). */
  | { kind: 'rung'; rungDays: number; changes: AlertStatusChange[]; membership?: MembershipChange }
  | { kind: 'status_change'; changes: AlertStatusChange[]; membership?: MembershipChange }
  /** Grouped certificate episodes: the concrete steps, ids filled in. */
  | { kind: 'runbook' }
  /**
   * Expiry episodes: replacements seen for the first time (ids; the runbook follows for the best
   * fit one), unfit replacements newly told, and whether the renewal has stalled.
   */
  | { kind: 'renewal'; uploaded: string[]; unfit: string[]; stalled: boolean }
  /** The episode ended; reads `episode.resolution`. */
  | { kind: 'resolved' }
  | { kind: 'acknowledged'; userId: string; at: Date }
  | { kind: 'snoozed'; userId: string; until: Date }
  | { kind: 'snooze_summary'; heldReplies: number };

export type AlertReplyReason = AlertReply['kind'];

/** What a parent shows: the episode as it stands, its hostname, and a mention to put first (or null). */
export interface ParentView {
  episode: Episode;
  host: AlertHost;
  mention: string | null;
  /** Set on an old per-hostname parent whose problem a grouped thread now follows. */
  continuedIn?: ContinuedIn;
  /** Set on an old parent whose episode moved to another route's thread when the routes changed. */
  routedTo?: RoutedTo;
}

/** Where a grouped thread continues after the routes changed. */
export interface RoutedTo {
  /** The route now owning the episode; null: the top level. */
  route: string | null;
  /** The parent of the thread that continues it; null when the new owner's alert threads are off. */
  parent: SlackMessageRef | null;
  /** When the hostnames split over several owners: the hostnames continuing there. */
  hostnames?: string[];
  /** The other owners of its hostnames, where their own episodes are (channel null: alert threads off). */
  others?: { route: string | null; channel: string | null; hostnames: string[] }[];
}

/** Where a per-hostname thread continues after the upgrade to grouped threads. */
export interface ContinuedIn {
  kind: Episode['kind'];
  /** Serial or id of the certificate, or null (a zone that cannot be checked). */
  certificateKey: string | null;
  parent: SlackMessageRef;
}

export type AlertAction<S extends ThreadState = HostnameAlertState> =
  /** chat.postMessage to `channel`; persist `confirmAlertAction(action, response)`. */
  | { type: 'post_parent'; channel: string; view: ParentView; stateAfter: S }
  /** chat.update of `parent`. `message_not_found` → persist `withParentLost(lastConfirmedState)`. */
  | { type: 'update_parent'; parent: SlackMessageRef; view: ParentView; stateAfter: S }
  /** chat.postMessage into `parent.channel` with `thread_ts: parent.ts`. */
  | {
      type: 'post_reply';
      parent: SlackMessageRef;
      reason: AlertReplyReason;
      reply: AlertReply;
      /** The episode as it stands once the reply is confirmed. */
      episode: Episode;
      host: AlertHost;
      mention: string | null;
      stateAfter: S;
    };

export interface AlertTransition<S extends ThreadState = HostnameAlertState> {
  /** The state once every action is confirmed; a `post_parent`'s ts is added by `confirmAlertAction`. */
  next: S;
  actions: AlertAction<S>[];
}

const DEFAULT_SNOOZE_MS = 24 * 60 * 60 * 1000;
const DAY_MS = 86_400_000;

/** Problems worth an episode whatever the severity says. */
const PROBLEM_CODES: ReadonlySet<ReasonCode> = new Set([
  'deployment_timed_out',
  'deletion_timed_out',
  'stuck_pending',
]);

/**
 * Reason codes that track the expiry countdown. The ladder and the severity already tell that
 * story; counting these as status changes would post a second reply for the same news.
 */
const COUNTDOWN_CODES: ReadonlySet<ReasonCode> = new Set([
  'expired',
  'expiring_critical',
  'expiring_warning',
  'healthy',
]);

const SEVERITY_RANK: Record<Severity, number> = { critical: 4, warning: 3, unknown: 2, info: 1, ok: 0 };

// ---------------------------------------------------------------------------------------------
// Signatures

function hash(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

/** What counts as "the status" for status-change replies. */
export function statusSignatureOf(episode: Episode): string {
  return hash([
    episode.currentSeverity,
    episode.associationStatus,
    episode.certificateStatus,
    episode.aopSwitch,
    statusReasonCodes(episode.reasonCodes),
    episode.checkError !== null,
  ]);
}

/**
 * Everything the parent shows except the clock-derived "in N days". Rungs are included so that
 * the parent's countdown is refreshed whenever a rung is crossed, even while replies are snoozed.
 */
function parentSignatureOf(episode: Episode): string {
  return hash([
    episode.id,
    episode.kind,
    episode.certificateKey,
    episode.currentSeverity,
    episode.reasonCodes,
    episode.associationStatus,
    episode.certificateStatus,
    episode.aopSwitch,
    episode.expiresOn?.toISOString() ?? null,
    [...episode.rungsPosted].sort((a, b) => b - a),
    episode.acknowledged === null
      ? null
      : [episode.acknowledged.userId, episode.acknowledged.at.toISOString()],
    episode.snoozedUntil?.toISOString() ?? null,
    episode.resolvedAt?.toISOString() ?? null,
    episode.resolution === null
      ? null
      : [
          episode.resolution.reason,
          episode.resolution.newCertificateKey,
          episode.resolution.newExpiresOn?.toISOString() ?? null,
        ],
    episode.switchWentOff,
    episode.checkError?.errorCode ?? null,
    // Only grouped episodes add this part, so per-hostname parents keep the signatures already stored.
    ...(episode.group === null
      ? []
      : [
          episode.group.hostnames,
          episode.group.moved.map((entry) => [entry.hostname, entry.certificateKey]),
          episode.group.departed.map((entry) => [entry.hostname, entry.reason]),
          episode.group.certificate,
          // Only once there is something of the kind, so parents stored before it keep their signature.
          ...(episode.group.replacements.length === 0 && !episode.group.stallTold
            ? []
            : [
                episode.group.replacements.map((candidate) => [
                  candidate.id,
                  candidate.expiresOn?.toISOString() ?? null,
                  candidate.unfit.map((finding) => finding.code),
                ]),
                episode.group.stallTold,
              ]),
        ]),
  ]);
}

function statusReasonCodes(codes: readonly ReasonCode[]): ReasonCode[] {
  return [...new Set(codes.filter((code) => !COUNTDOWN_CODES.has(code)))].sort();
}

// ---------------------------------------------------------------------------------------------
// Parent bookkeeping exposed to the I/O layer

/**
 * Records the parent Slack just confirmed.
 *
 * @example withParentPosted(state, { channel: 'C0INCIDENT', ts: '1764144000.000100' })
 */
export function withParentPosted<S extends ThreadState>(state: S, parent: SlackMessageRef): S {
  if (state.episode === null) return state;
  return { ...state, episode: { ...state.episode, parent: { channel: parent.channel, ts: parent.ts } } };
}

/**
 * Forgets a parent that `chat.update` answered `message_not_found` for (someone deleted it). The
 * next transition posts a fresh parent showing the current state, and later replies thread under it.
 * Persist this on top of the last confirmed state and drop the rest of that batch.
 *
 * @example withParentLost(state).episode?.parent // null
 */
export function withParentLost<S extends ThreadState>(state: S): S {
  if (state.episode === null) return state;
  return { ...state, episode: { ...state.episode, parent: null } };
}

/**
 * The state to persist once Slack confirmed `action`. `response` is what Slack answered (`channel`
 * and `ts` of the message posted or updated); only `post_parent` needs it.
 *
 * @example
 * const result = await slack.chat.postMessage(...);
 * await store.save(confirmAlertAction(action, { channel: result.channel, ts: result.ts }));
 */
export function confirmAlertAction<S extends ThreadState>(
  action: AlertAction<S>,
  response: SlackMessageRef,
): S {
  return action.type === 'post_parent' ? withParentPosted(action.stateAfter, response) : action.stateAfter;
}

// ---------------------------------------------------------------------------------------------
// The plan: actions accumulated in order, each with the state it leaves behind

export class Plan<S extends ThreadState = HostnameAlertState> {
  readonly actions: AlertAction<S>[] = [];
  /** Mention for a parent posted in this transition (new episode, or a lost parent re-posted). */
  parentMention: string | null = null;

  constructor(public state: S) {}

  private get host(): AlertHost {
    return hostOf(this.state);
  }

  get episode(): Episode | null {
    return this.state.episode;
  }

  /** Moves to `state` without telling Slack anything (no reply owed, or no parent to reply under). */
  silently(state: S): void {
    this.state = state;
  }

  /** A reply under the current parent; `episodeAfter` is the episode once the reply is confirmed. */
  reply(reply: AlertReply, episodeAfter: Episode, mention: string | null = null): void {
    const parent = this.episode?.parent ?? null;
    if (parent === null) {
      this.silently({ ...this.state, episode: episodeAfter });
      return;
    }
    const stateAfter = { ...this.state, episode: episodeAfter };
    this.actions.push({
      type: 'post_reply',
      parent,
      reason: reply.kind,
      reply,
      episode: episodeAfter,
      host: this.host,
      mention,
      stateAfter,
    });
    this.state = stateAfter;
  }

  /**
   * Brings the parent in line with the episode: posts one when there is none, updates it when what
   * it shows changed. A resolved episode is dropped once its parent shows the resolution.
   * `channel` null (button handlers) leaves a missing parent to the next evaluation.
   */
  syncParent(options: { channel: string | null; force?: boolean }): void {
    const episode = this.episode;
    if (episode === null) return;
    const signature = parentSignatureOf(episode);
    if (episode.resolvedAt !== null) {
      const afterResolved = { ...this.state, episode: null };
      if (episode.parent !== null && episode.parentSignature !== signature) {
        this.actions.push({
          type: 'update_parent',
          parent: episode.parent,
          view: { episode, host: this.host, mention: null },
          stateAfter: afterResolved,
        });
      }
      this.state = afterResolved;
      return;
    }
    const stateAfter = { ...this.state, episode: { ...episode, parentSignature: signature } };
    if (episode.parent === null) {
      if (options.channel === null) return;
      const view = { episode, host: this.host, mention: this.parentMention };
      this.actions.push({ type: 'post_parent', channel: options.channel, view, stateAfter });
      this.state = stateAfter;
      return;
    }
    if (episode.parentSignature !== signature || options.force === true) {
      const view = { episode, host: this.host, mention: null };
      this.actions.push({ type: 'update_parent', parent: episode.parent, view, stateAfter });
      this.state = stateAfter;
    }
  }

  /**
   * The result. Bookkeeping that needs no Slack call (switch last seen, failure count) lands in
   * the last step only, so a re-run after a partial apply sees the same "before" and decides alike.
   */
  finish(bookkeeping: Partial<S> = {}): AlertTransition<S> {
    const next = { ...this.state, ...bookkeeping };
    const last = this.actions.at(-1);
    if (last !== undefined) this.actions[this.actions.length - 1] = { ...last, stateAfter: next };
    return { next, actions: this.actions };
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers on the evaluation

export function atLeast(severity: Severity, floor: Severity): Severity {
  return SEVERITY_RANK[severity] >= SEVERITY_RANK[floor] ? severity : floor;
}

export function isSnoozed(episode: Episode, now: Date): boolean {
  return episode.snoozedUntil !== null && episode.snoozedUntil.getTime() > now.getTime();
}

/**
 * The rungs reached at `now`: rung N (N > 0) once less than N × 24 h remain, the same "within N
 * days" the severity uses, so rung 7 and critical arrive together with `critical_days: 7`;
 * rung 0 (and below) once the certificate has expired.
 */
export function rungsReached(ladderDays: readonly number[], expiry: Date | null, now: Date): number[] {
  if (expiry === null) return [];
  const remainingMs = expiry.getTime() - now.getTime();
  const reached = ladderDays.filter((rung) =>
    rung > 0 ? remainingMs < rung * DAY_MS : remainingMs <= rung * DAY_MS,
  );
  return [...new Set(reached)].sort((a, b) => b - a);
}

function mergeRungs(posted: readonly number[], reached: readonly number[]): number[] {
  return [...new Set([...posted, ...reached])].sort((a, b) => b - a);
}

function statusChanges(before: Episode, after: Episode): AlertStatusChange[] {
  const changes: AlertStatusChange[] = [];
  if (before.currentSeverity !== after.currentSeverity) {
    changes.push({ kind: 'severity', from: before.currentSeverity, to: after.currentSeverity });
  }
  if (before.associationStatus !== after.associationStatus) {
    changes.push({ kind: 'association_status', from: before.associationStatus, to: after.associationStatus });
  }
  if (before.certificateStatus !== after.certificateStatus) {
    changes.push({ kind: 'certificate_status', from: before.certificateStatus, to: after.certificateStatus });
  }
  if (before.aopSwitch !== after.aopSwitch) {
    changes.push({ kind: 'aop_switch', from: before.aopSwitch, to: after.aopSwitch });
  }
  const beforeCodes = new Set(statusReasonCodes(before.reasonCodes));
  const afterCodes = new Set(statusReasonCodes(after.reasonCodes));
  for (const code of afterCodes) if (!beforeCodes.has(code)) changes.push({ kind: 'reason_added', code });
  for (const code of beforeCodes) if (!afterCodes.has(code)) changes.push({ kind: 'reason_removed', code });
  if (before.checkError === null && after.checkError !== null) {
    changes.push({
      kind: 'checks_failing',
      errorCode: after.checkError.errorCode,
      errorMessage: after.checkError.errorMessage,
    });
  }
  if (before.checkError !== null && after.checkError === null) changes.push({ kind: 'checks_recovered' });
  return changes;
}

/**
 * The hostnames that joined, moved away or departed between two states of a grouped episode; null
 * when none did (or for per-hostname episodes).
 */
export function membershipChange(
  before: EpisodeGroup | null,
  after: EpisodeGroup | null,
): MembershipChange | null {
  if (before === null || after === null) return null;
  const had = new Set(before.hostnames);
  const movedBefore = new Set(before.moved.map((entry) => entry.hostname));
  const departedBefore = new Set(before.departed.map((entry) => entry.hostname));
  const joined = after.hostnames.filter((hostname) => !had.has(hostname));
  const moved = after.moved.filter((entry) => !movedBefore.has(entry.hostname));
  const departed = after.departed.filter((entry) => !departedBefore.has(entry.hostname));
  if (joined.length + moved.length + departed.length === 0) return null;
  return { joined, moved, departed };
}

export function mentionFor(context: AlertContext, episode: Episode): string | null {
  const mention = context.mentionOnCritical.trim();
  if (mention === '' || episode.acknowledged !== null || episode.currentSeverity !== 'critical') return null;
  return mention;
}

/**
 * Tells the thread what changed between `before` and `after` (same episode): one reply naming the
 * lowest new rung, or the status changes. A snooze holds the reply back and counts it; without a
 * parent (lost), the re-posted parent carries the news instead.
 */
export function announce<S extends ThreadState>(
  plan: Plan<S>,
  before: Episode,
  after: Episode,
  reached: number[],
  context: AlertContext,
): void {
  const newRungs = reached.filter((rung) => !before.rungsPosted.includes(rung));
  const signature = statusSignatureOf(after);
  const statusChanged = signature !== before.lastStatusSignature;
  const membership = membershipChange(before.group, after.group);
  const told: Episode = {
    ...after,
    rungsPosted: mergeRungs(before.rungsPosted, reached),
    lastStatusSignature: signature,
  };
  if (newRungs.length === 0 && !statusChanged && membership === null) {
    plan.silently({ ...plan.state, episode: told });
    return;
  }
  const escalated =
    told.currentSeverity === 'critical' && (before.currentSeverity !== 'critical' || newRungs.length > 0);
  const mention = escalated ? mentionFor(context, told) : null;
  if (before.parent === null) {
    if (mention !== null) plan.parentMention = mention;
    plan.silently({ ...plan.state, episode: told });
    return;
  }
  if (isSnoozed(before, context.now)) {
    plan.silently({
      ...plan.state,
      episode: { ...told, pendingRepliesWhileSnoozed: before.pendingRepliesWhileSnoozed + 1 },
    });
    return;
  }
  const changes = statusChanged ? statusChanges(before, after) : [];
  const lowestRung = newRungs.at(-1);
  const withMembership = membership === null ? {} : { membership };
  const reply: AlertReply =
    lowestRung !== undefined
      ? { kind: 'rung', rungDays: lowestRung, changes, ...withMembership }
      : { kind: 'status_change', changes, ...withMembership };
  plan.reply(reply, told, mention);
}

/**
 * Ends the current episode: the resolution reply (even under a snooze: it is the thread's last word
 * and no summary would ever follow), then the parent shows it and the episode is dropped.
 */
export function resolve<S extends ThreadState>(
  plan: Plan<S>,
  resolution: EpisodeResolution,
  context: AlertContext,
): void {
  const episode = plan.episode;
  if (episode === null) return;
  if (episode.parent === null) {
    plan.silently({ ...plan.state, episode: null });
    return;
  }
  plan.reply({ kind: 'resolved' }, { ...episode, resolvedAt: context.now, resolution });
  plan.syncParent({ channel: null });
}

/**
 * Ends an open episode for a reason no evaluation observes: its zone left the discovered zone list,
 * so no check will ever say the problem is over. One resolution reply, the parent shows it; a
 * thread without an open episode is left as it is.
 *
 * @example endEpisode(state, { reason: 'zone_gone', newCertificateKey: null, newExpiresOn: null }, context)
 */
export function endEpisode<S extends ThreadState>(
  state: S,
  resolution: EpisodeResolution,
  context: AlertContext,
): AlertTransition<S> {
  const plan = new Plan<S>(state);
  if (plan.episode !== null && plan.episode.resolvedAt === null) resolve(plan, resolution, context);
  return plan.finish();
}

export function endSnoozeIfDue<S extends ThreadState>(plan: Plan<S>, context: AlertContext): void {
  const episode = plan.episode;
  if (episode === null || episode.snoozedUntil === null || isSnoozed(episode, context.now)) return;
  const after: Episode = { ...episode, snoozedUntil: null, pendingRepliesWhileSnoozed: 0 };
  if (episode.pendingRepliesWhileSnoozed === 0) {
    plan.silently({ ...plan.state, episode: after });
    return;
  }
  // The hold may have swallowed a critical escalation, so an unacknowledged critical episode pings here.
  plan.reply(
    { kind: 'snooze_summary', heldReplies: episode.pendingRepliesWhileSnoozed },
    after,
    mentionFor(context, after),
  );
}

/** The facts an episode opens with; everything else starts empty (no parent, nothing told). */
export type OpeningFacts = Pick<
  Episode,
  | 'id'
  | 'kind'
  | 'certificateKey'
  | 'openedAt'
  | 'currentSeverity'
  | 'reasonCodes'
  | 'associationStatus'
  | 'certificateStatus'
  | 'aopSwitch'
  | 'expiresOn'
  | 'rungsPosted'
  | 'switchWentOff'
  | 'checkError'
  | 'group'
>;

/** A new episode from its opening facts, its status already counted as told (the parent tells it). */
export function openEpisode(facts: OpeningFacts): Episode {
  const episode: Episode = {
    ...facts,
    parent: null,
    lastStatusSignature: '',
    parentSignature: '',
    acknowledged: null,
    snoozedUntil: null,
    resolvedAt: null,
    resolution: null,
    pendingRepliesWhileSnoozed: 0,
  };
  return { ...episode, lastStatusSignature: statusSignatureOf(episode) };
}

function newEpisode(
  state: HostnameAlertState,
  fields: Omit<OpeningFacts, 'id' | 'openedAt' | 'group'>,
  now: Date,
): Episode {
  return openEpisode({
    ...fields,
    id: episodeIdFor({
      kind: fields.kind,
      zoneId: state.zoneId,
      hostname: state.hostname,
      certificateKey: fields.certificateKey,
      openedAt: now,
    }),
    openedAt: now,
    group: null,
  });
}

function onUnreachable(
  plan: Plan,
  observation: Extract<HostnameObservation, { kind: 'unreachable' }>,
  failures: number,
  context: AlertContext,
): void {
  if (failures < context.cannotCheckAfterEvaluations) return;
  const episode = plan.episode;
  const failure = { errorCode: observation.errorCode, errorMessage: observation.errorMessage };
  if (episode === null) {
    // The checker going blind is itself worth an alert: nobody is watching this certificate.
    plan.silently({
      ...plan.state,
      episode: newEpisode(
        plan.state,
        {
          kind: 'cannot_check',
          certificateKey: 'none',
          currentSeverity: 'unknown',
          reasonCodes: ['unreachable'],
          associationStatus: null,
          certificateStatus: null,
          aopSwitch: null,
          expiresOn: null,
          rungsPosted: [],
          switchWentOff: false,
          checkError: { ...failure, noticedAt: context.now },
        },
        context.now,
      ),
    });
    return;
  }
  const checkError = { ...failure, noticedAt: episode.checkError?.noticedAt ?? context.now };
  if (episode.kind === 'cannot_check') {
    // A different error only refreshes the parent; the thread already says checks are failing.
    plan.silently({ ...plan.state, episode: { ...episode, checkError } });
    return;
  }
  // A certificate episode keeps its facts (nothing new is known about them); the thread learns it is blind.
  announce(plan, episode, { ...episode, checkError }, episode.rungsPosted, context);
}

function onChecked(
  plan: Plan,
  previousSwitch: HostnameAlertState['lastSeenSwitch'],
  observation: Exclude<HostnameObservation, { kind: 'unreachable' }>,
  assessment: SeverityAssessment,
  context: AlertContext,
): void {
  if (plan.episode?.kind === 'cannot_check') {
    resolve(plan, { reason: 'checks_recovered', newCertificateKey: null, newExpiresOn: null }, context);
  }
  const open = plan.episode;

  const association = observation.kind === 'association' ? observation.association : null;
  const certificateKey = association === null ? 'none' : certificateKeyOf(association);
  const aopSwitch = association?.aopSwitch ?? null;
  const reasonCodes = assessment.reasons.map((reason) => reason.code);
  const expiresOn = assessment.effectiveExpiry ?? association?.expiresOn ?? null;

  // "Disabled while it was enabled": seen on before (or already tracked by the open episode), now
  // off, voided, or gone. A hostname first seen disabled was never protected, so it is not news.
  const wasEnabled = previousSwitch === 'on' || (open?.switchWentOff ?? false);
  const switchOff = aopSwitch === 'off' || aopSwitch === 'voided' || observation.kind === 'no_association';
  const switchWentOff = wasEnabled && switchOff;
  const problemState = switchWentOff || reasonCodes.some((code) => PROBLEM_CODES.has(code));
  const isProblem = problemState || assessment.severity === 'critical' || assessment.severity === 'warning';
  const currentSeverity = problemState ? atLeast(assessment.severity, 'warning') : assessment.severity;
  const reached = rungsReached(context.ladderDays, expiresOn, context.now);

  const facts = {
    currentSeverity,
    reasonCodes,
    associationStatus: association?.associationStatus ?? null,
    certificateStatus: association?.certificateStatus ?? null,
    aopSwitch,
    expiresOn,
    switchWentOff,
    checkError: null,
  };

  if (open !== null) {
    const renewed =
      association !== null && certificateKey !== 'none' && certificateKey !== open.certificateKey;
    if (renewed) {
      resolve(
        plan,
        { reason: 'renewed', newCertificateKey: certificateKey, newExpiresOn: expiresOn },
        context,
      );
    } else if (!isProblem && (assessment.severity === 'ok' || assessment.severity === 'info')) {
      resolve(plan, { reason: 'healthy', newCertificateKey: null, newExpiresOn: expiresOn }, context);
    } else {
      // Still a problem, or "unknown": not healthy enough to call resolved, so the thread follows it.
      announce(plan, open, { ...open, ...facts }, reached, context);
      return;
    }
  }

  if (!isProblem) return;
  const episode = newEpisode(
    plan.state,
    { kind: 'certificate', certificateKey, rungsPosted: reached, ...facts },
    context.now,
  );
  // The parent covers every rung already reached; it mentions only when the episode opens critical.
  plan.parentMention = mentionFor(context, episode);
  plan.silently({ ...plan.state, episode });
}

// ---------------------------------------------------------------------------------------------
// Entry points

/**
 * Decides what one evaluation of one hostname means for its alert thread.
 *
 * @example
 * const { next, actions } = decideAlertTransition(state, { observation, assessment }, {
 *   now, ladderDays: [30, 14, 7, 3, 1, 0], mentionOnCritical: '', cannotCheckAfterEvaluations: 3,
 *   timeZone: 'Europe/Berlin', channel: 'C0INCIDENT',
 * });
 * // healthy and unchanged → actions: []
 */
export function decideAlertTransition(
  previous: HostnameAlertState,
  evaluation: AlertEvaluation,
  context: AlertContext,
): AlertTransition {
  const { observation, assessment } = evaluation;
  const plan = new Plan(previous);

  // A resolution whose parent update was not confirmed last time: finish it first.
  if (plan.episode !== null && plan.episode.resolvedAt !== null) plan.syncParent({ channel: null });
  endSnoozeIfDue(plan, context);

  const failures = observation.kind === 'unreachable' ? previous.consecutiveCheckFailures + 1 : 0;
  if (observation.kind === 'unreachable') {
    onUnreachable(plan, observation, failures, context);
  } else {
    onChecked(plan, previous.lastSeenSwitch, observation, assessment, context);
  }
  plan.syncParent({ channel: context.channel, force: context.refreshParent === true });

  const seenSwitch = observation.kind === 'association' ? observation.association.aopSwitch : 'unreported';
  return plan.finish({
    lastSeenSwitch: seenSwitch === 'unreported' ? previous.lastSeenSwitch : seenSwitch,
    consecutiveCheckFailures: failures,
  });
}

export interface ButtonPress {
  userId: string;
  now: Date;
  timeZone: string;
  /** The episode the button belongs to; a button on an older, ended episode does nothing. */
  episodeId?: string;
}

function buttonTarget(state: ThreadState, press: ButtonPress): Episode | null {
  const episode = state.episode;
  if (episode === null || episode.resolvedAt !== null) return null;
  if (press.episodeId !== undefined && press.episodeId !== episode.id) return null;
  return episode;
}

function unchanged<S extends ThreadState>(state: S): AlertTransition<S> {
  return { next: state, actions: [] };
}

/**
 * The Acknowledge button: records who and when, says so in the thread and on the parent, and stops
 * critical mentions for the episode. Idempotent: once acknowledged, any further press does nothing.
 *
 * @example applyAcknowledge(state, { userId: 'U0123', now, timeZone: 'Europe/Berlin' }).actions.map((a) => a.type)
 * // ['post_reply', 'update_parent']
 */
export function applyAcknowledge<S extends ThreadState>(state: S, press: ButtonPress): AlertTransition<S> {
  const episode = buttonTarget(state, press);
  if (episode === null || episode.acknowledged !== null) return unchanged(state);
  const plan = new Plan(state);
  const at = press.now;
  plan.reply(
    { kind: 'acknowledged', userId: press.userId, at },
    { ...episode, acknowledged: { userId: press.userId, at } },
  );
  plan.syncParent({ channel: null });
  return plan.finish();
}

/**
 * The Snooze button: holds thread replies until `now + durationMs` (24 h by default) while the
 * parent stays current; one reply says who snoozed and until when. Pressing it again while the
 * snooze runs does nothing (the button is hidden then anyway).
 *
 * @example applySnooze(state, { userId: 'U0123', now, timeZone: 'Europe/Berlin' }).next.episode?.snoozedUntil
 * // now + 24 h
 */
export function applySnooze<S extends ThreadState>(
  state: S,
  press: ButtonPress & { durationMs?: number },
): AlertTransition<S> {
  const episode = buttonTarget(state, press);
  if (episode === null || isSnoozed(episode, press.now)) return unchanged(state);
  const until = new Date(press.now.getTime() + (press.durationMs ?? DEFAULT_SNOOZE_MS));
  const plan = new Plan(state);
  plan.reply({ kind: 'snoozed', userId: press.userId, until }, { ...episode, snoozedUntil: until });
  plan.syncParent({ channel: null });
  return plan.finish();
}

/**
 * Points an old per-hostname parent at the grouped thread that continues its problem: one
 * `chat.update`, then the per-hostname episode is dropped (its bookkeeping stays). Does nothing when
 * the episode is no longer `episodeId` (someone else already moved it on).
 *
 * @example pointToGroupedThread(state, state.episode.id, { kind: 'certificate', certificateKey: '4097', parent })
 * // actions: [update_parent]; next.episode: null
 */
export function pointToGroupedThread(
  state: HostnameAlertState,
  episodeId: string,
  continuedIn: ContinuedIn,
): AlertTransition {
  return pointParentElsewhere(state, episodeId, { continuedIn });
}

/**
 * Points a grouped parent at the thread that continues it in its new owner's channel after the
 * routes changed (`parent` null: the new owner's alert threads are off): one `chat.update`, then the
 * episode is dropped. Does nothing when the episode is no longer `episodeId`.
 *
 * @example pointToRoutedThread(group, group.episode.id, { route: 'payments', parent })
 * // actions: [update_parent]; next.episode: null
 */
export function pointToRoutedThread<S extends ThreadState>(
  state: S,
  episodeId: string,
  routedTo: RoutedTo,
): AlertTransition<S> {
  return pointParentElsewhere(state, episodeId, { routedTo });
}

/** One edit of the parent saying where the thread continues, then the episode is dropped. */
function pointParentElsewhere<S extends ThreadState>(
  state: S,
  episodeId: string,
  where: Pick<ParentView, 'continuedIn' | 'routedTo'>,
): AlertTransition<S> {
  const episode = state.episode;
  if (episode === null || episode.id !== episodeId) return { next: state, actions: [] };
  const next = { ...state, episode: null };
  if (episode.parent === null) return { next, actions: [] };
  return {
    next,
    actions: [
      {
        type: 'update_parent',
        parent: episode.parent,
        view: { episode, host: hostOf(state), mention: null, ...where },
        stateAfter: next,
      },
    ],
  };
}
