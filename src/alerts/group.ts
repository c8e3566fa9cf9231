/**
 * Grouped alert threads (`alerts.group_by: certificate`): one episode per thing a person must fix.
 *
 * - `certificate`: a certificate problem (expiry ladder, certificate status timed out or stuck,
 *   PEM expiry disagreeing with `expires_on`, not yet valid), one episode per (zone, certificate
 *   key), covering every hostname the problem affects on that certificate.
 * - `association`: a hostname-level problem (association stuck or timed out, AOP switched off or
 *   voided, association gone), one episode per (zone, certificate key, problem); hostnames that get
 *   the same problem later join it.
 * - `cannot_check`: one episode per zone and error class, never one per hostname.
 * - `zone_certificate`: the zone-level certificate in use has an expiry or status problem, one
 *   episode per (zone, certificate id). Only the one in use can break an origin (the others are
 *   info in the digest). It ends when another zone certificate is in use, when this one is healthy
 *   again, or when zone-level AOP is switched off; a zone whose zone level could not be read keeps it.
 *
 * Every key also carries `route` (the owning route's name, null for the top level), so one
 * certificate whose hostnames belong to two routes is two episodes, one per route. A zone
 * certificate belongs to the route that takes its whole zone (`Router.zoneOwnerOf`); a zone that
 * cannot be checked is one episode per route owning hostnames in it, each with its own hostnames;
 * an account whose token is refused is one episode per route owning something in its zones.
 *
 * Pure: `observeGroups` turns one evaluation into what each group sees; `decideGroupTransition`
 * decides the Slack actions with the same plan, ladder, snooze and acknowledgement rules as the
 * per-hostname threads (src/alerts/transition.ts).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ZoneLevelCheck } from '../digest/model.js';
import {
  findReplacements,
  type ListedHostnameCertificate,
  type ReplacementCandidate,
  type ZoneSlotsFull,
  zoneSlotsWhenFull,
} from '../domain/replacement.js';
import type { ReasonCode, Severity, SeverityReason, ZoneRef } from '../domain/types.js';
import {
  ALERT_STATE_SCHEMA_VERSION,
  alertStateKey,
  certificateKeyOf,
  type DepartedHostname,
  type Episode,
  type EpisodeCertificate,
  type EpisodeGroup,
  type EpisodeKind,
  type EpisodeResolution,
  episodeJson,
  type HostnameAlertState,
  initialAlertState,
  type MovedHostname,
  parseStored,
  storedEpisodeSchema,
} from './episode.js';
import {
  type AlertContext,
  type AlertEvaluation,
  type AlertTransition,
  announce,
  atLeast,
  endSnoozeIfDue,
  isSnoozed,
  mentionFor,
  openEpisode,
  Plan,
  resolve,
  rungsReached,
} from './transition.js';

/** What identifies one grouped episode's thread. */
export interface GroupKey {
  kind: EpisodeKind;
  zoneId: string;
  /** Serial, else certificate id; null for `cannot_check`. */
  certificateKey: string | null;
  /** `aop_off`, `association_stuck`, `association_gone`, or the error class of `cannot_check`; null for certificates. */
  problem: string | null;
  /** The owning route; null for the top level (no route owns the hostnames). */
  route: string | null;
}

/**
 * An account whose token is refused stands under this pseudo zone id: one `cannot_check` episode
 * for the whole account (its `hostnames` are the zones it cannot check), not one per zone. No zone
 * id looks like it (zone ids are 32 hexadecimal characters).
 */
const ACCOUNT_SCOPE_PREFIX = 'account:';

/** @example accountScopeZoneId('prod') // 'account:prod' */
export function accountScopeZoneId(account: string): string {
  return `${ACCOUNT_SCOPE_PREFIX}${account}`;
}

/** The account of an account-level group's zone id; null for a real zone. */
export function accountOfScope(zoneId: string): string | null {
  return zoneId.startsWith(ACCOUNT_SCOPE_PREFIX) ? zoneId.slice(ACCOUNT_SCOPE_PREFIX.length) : null;
}

/** What one evaluation says about one account's token. */
export interface AccountAccessReading {
  account: string;
  /** Zones of the account whose checks the token was refused in this run; empty: the token works. */
  refusedZones: ZoneRef[];
  /** The refusal, when there was one. */
  error: { errorCode: string; errorMessage: string } | null;
}

/** The stored state of one grouped thread: its key and at most one open episode. */
export interface GroupAlertState {
  /** `groupIdOf(key)`: the hash field and lock name. */
  id: string;
  zoneId: string;
  key: GroupKey;
  episode: Episode | null;
}

/**
 * The stable id of a group: its key's parts joined by `|` (none of them can contain one).
 *
 * @example groupIdOf({ kind: 'certificate', zoneId: 'z1', certificateKey: '4097', problem: null, route: null })
 * // 'certificate|z1|4097||'
 */
export function groupIdOf(key: GroupKey): string {
  return [key.kind, key.zoneId, key.certificateKey ?? '', key.problem ?? '', key.route ?? ''].join('|');
}

export function initialGroupState(key: GroupKey): GroupAlertState {
  return { id: groupIdOf(key), zoneId: key.zoneId, key, episode: null };
}

/** A grouped episode's id: from the group and the opening instant, so a retry cannot mint another. */
export function groupEpisodeIdFor(groupId: string, openedAt: Date): string {
  const material = `group\n${groupId}\n${openedAt.toISOString()}`;
  return `ep_${createHash('sha256').update(material).digest('hex').slice(0, 24)}`;
}

// ---------------------------------------------------------------------------------------------
// What one hostname contributes

/** Reason codes about the certificate itself (the status codes count when the certificate's status says so). */
const CERTIFICATE_CODES: ReadonlySet<ReasonCode> = new Set([
  'expired',
  'expiring_critical',
  'expiring_warning',
  'not_yet_valid',
  'expiry_mismatch',
]);
const TIMED_OUT: ReadonlySet<string> = new Set(['deployment_timed_out', 'deletion_timed_out']);
const PENDING: ReadonlySet<string> = new Set(['initializing', 'pending_deployment', 'pending_deletion']);
const SEVERITY_ORDER: readonly Severity[] = ['critical', 'warning', 'unknown', 'info', 'ok'];

/** The facts one hostname gives its group; aggregated over the members into the episode's facts. */
interface MemberFacts {
  severity: Severity;
  reasons: SeverityReason[];
  expiresOn: Date | null;
  certificateStatus: string | null;
  associationStatus: string | null;
  aopSwitch: Episode['aopSwitch'];
  certificate: EpisodeCertificate | null;
  checkError: { errorCode: string; errorMessage: string } | null;
}

/** Facts of a member with nothing to say about a certificate (blind, or no association). */
const NO_CERTIFICATE_FACTS = {
  expiresOn: null,
  certificateStatus: null,
  associationStatus: null,
  aopSwitch: null,
  certificate: null,
} as const;

interface Contribution {
  key: GroupKey;
  facts: MemberFacts;
}

/**
 * The error classes of a zone that cannot be checked: a token problem, an id Cloudflare does not
 * know, or Cloudflare being unavailable. Errors within a class keep one episode open.
 */
export function errorClassOf(errorCode: string): string {
  if (errorCode === 'cloudflare_unauthorized' || errorCode === 'cloudflare_forbidden') return 'access';
  if (errorCode === 'cloudflare_not_found' || errorCode === 'cloudflare_bad_request') return 'not_found';
  return 'unavailable';
}

function worst(reasons: readonly SeverityReason[]): Severity {
  for (const severity of SEVERITY_ORDER)
    if (reasons.some((reason) => reason.severity === severity)) return severity;
  return 'ok';
}

function isProblem(severity: Severity): boolean {
  return severity === 'critical' || severity === 'warning';
}

interface HostnameContext {
  zoneId: string;
  hostname: string;
  evaluation: AlertEvaluation;
  previous: HostnameAlertState;
  failures: number;
  /** Open association episodes this hostname is in, by problem, with their certificate key. */
  openAssociationProblems: Map<string, string>;
  /** The certificate key of an open grouped episode listing this hostname, when there is one. */
  lastKnownCertificateKey: string | null;
  cannotCheckAfterEvaluations: number;
  route: string | null;
}

/** Which groups one hostname belongs to in this evaluation, and with what facts. */
function classifyHostname(input: HostnameContext): Contribution[] {
  const { observation, assessment } = input.evaluation;
  const base = { zoneId: input.zoneId, route: input.route };
  if (observation.kind === 'unreachable') {
    if (input.failures < input.cannotCheckAfterEvaluations) return [];
    return [
      {
        key: {
          ...base,
          kind: 'cannot_check',
          certificateKey: null,
          problem: errorClassOf(observation.errorCode),
        },
        facts: {
          ...NO_CERTIFICATE_FACTS,
          severity: 'unknown',
          reasons: assessment.reasons,
          checkError: { errorCode: observation.errorCode, errorMessage: observation.errorMessage },
        },
      },
    ];
  }
  // A per-hostname episode written before grouping that tracks a switch gone off counts as well.
  const wasEnabled = (problem: string) =>
    input.previous.lastSeenSwitch === 'on' ||
    input.openAssociationProblems.has(problem) ||
    (input.previous.episode?.switchWentOff ?? false);
  if (observation.kind === 'no_association') {
    if (!wasEnabled('association_gone')) return [];
    const certificateKey =
      input.openAssociationProblems.get('association_gone') ?? input.lastKnownCertificateKey ?? 'none';
    return [
      {
        key: { ...base, kind: 'association', certificateKey, problem: 'association_gone' },
        facts: {
          ...NO_CERTIFICATE_FACTS,
          severity: 'warning',
          reasons: assessment.reasons,
          checkError: null,
        },
      },
    ];
  }
  const association = observation.association;
  const certificateKey = certificateKeyOf(association);
  const certificate: EpisodeCertificate = {
    id: association.certificateId,
    serialNumber: association.serialNumber,
    issuer: association.issuer,
  };
  const shared = {
    expiresOn: assessment.effectiveExpiry ?? association.expiresOn,
    certificateStatus: association.certificateStatus,
    associationStatus: association.associationStatus,
    aopSwitch: association.aopSwitch,
    certificate,
    checkError: null,
  };
  const contributions: Contribution[] = [];
  const certificatePending = PENDING.has(association.certificateStatus ?? '');
  const associationPending = PENDING.has(association.associationStatus ?? '');
  const certificateReasons = assessment.reasons.filter(
    (reason) =>
      CERTIFICATE_CODES.has(reason.code) ||
      (TIMED_OUT.has(reason.code) && association.certificateStatus === reason.code) ||
      // Pending on both sides is one stuck deployment: the association's episode tells it.
      (reason.code === 'stuck_pending' && certificatePending && !associationPending),
  );
  const certificateSeverity = worst(certificateReasons);
  if (isProblem(certificateSeverity)) {
    contributions.push({
      key: { ...base, kind: 'certificate', certificateKey, problem: null },
      facts: { ...shared, severity: certificateSeverity, reasons: certificateReasons },
    });
  }
  const stuckReasons = assessment.reasons.filter(
    (reason) =>
      (TIMED_OUT.has(reason.code) && association.associationStatus === reason.code) ||
      (reason.code === 'stuck_pending' && associationPending),
  );
  if (stuckReasons.length > 0) {
    contributions.push({
      key: { ...base, kind: 'association', certificateKey, problem: 'association_stuck' },
      facts: { ...shared, severity: atLeast(worst(stuckReasons), 'warning'), reasons: stuckReasons },
    });
  }
  const switchOff = association.aopSwitch === 'off' || association.aopSwitch === 'voided';
  if (switchOff && wasEnabled('aop_off')) {
    contributions.push({
      key: { ...base, kind: 'association', certificateKey, problem: 'aop_off' },
      facts: {
        ...shared,
        severity: 'warning',
        reasons: assessment.reasons.filter(
          (reason) => reason.code === 'disabled' || reason.code === 'voided',
        ),
      },
    });
  }
  return contributions;
}

// ---------------------------------------------------------------------------------------------
// One evaluation, seen by every group

/** What one group sees in one evaluation. `facts` null: no member could be checked; keep what is stored. */
export interface GroupObservation {
  key: GroupKey;
  /**
   * Set when the thing the group is about is known to be over even though no hostname says so
   * (a zone certificate replaced, healthy again, or zone-level AOP off): the episode resolves.
   */
  ended?: EpisodeResolution;
  hostnames: string[];
  moved: MovedHostname[];
  departed: DepartedHostname[];
  /**
   * Expiry (`certificate`) groups whose zone's certificate list was read: the candidate
   * replacements and, when the zone is full, what could make room. Absent: keep what is stored.
   */
  renewal?: RenewalFacts;
  facts:
    | (Pick<
        Episode,
        | 'currentSeverity'
        | 'reasonCodes'
        | 'associationStatus'
        | 'certificateStatus'
        | 'aopSwitch'
        | 'expiresOn'
        | 'switchWentOff'
      > & { certificate: EpisodeCertificate | null; checkError: MemberFacts['checkError'] })
    | null;
}

/** What the zone's certificate list says about one expiry episode's renewal. */
export interface RenewalFacts {
  replacements: ReplacementCandidate[];
  zoneSlotsFull: ZoneSlotsFull | null;
}

export interface GroupingInput {
  evaluations: { zoneId: string; hostname: string; evaluation: AlertEvaluation }[];
  /** Per-hostname memory (last switch seen, consecutive failures), keyed by `alertStateKey`. */
  hostnameStates: ReadonlyMap<string, HostnameAlertState>;
  /** Every stored group, open or not. */
  groups: ReadonlyMap<string, GroupAlertState>;
  cannotCheckAfterEvaluations: number;
  /** The route owning a hostname (null: the top level); absent, every group is the top level's. */
  routeOf?: (zoneId: string, hostname: string) => string | null;
  /** The route owning what a zone holds as a whole (its zone-level certificate); absent: the top level. */
  zoneRouteOf?: (zoneId: string) => string | null;
  /** What each zone checked in this run found at zone level (absent for zones not in the run). */
  zoneLevels?: { zoneId: string; check: ZoneLevelCheck }[];
  /** Each checked zone's hostname-certificate list (absent for zones whose lists were not read). */
  hostnameCertificates?: { zoneId: string; certificates: ListedHostnameCertificate[] }[];
  /** The clock the renewal facts are judged by (which certificates have expired). */
  now?: Date;
  /**
   * Accounts whose zones were in this run, and which of them the account's token was refused:
   * one `cannot_check` episode per account. Absent: zones are told one by one, as before accounts.
   */
  accountAccess?: AccountAccessReading[];
  /**
   * Who owns something in a refused zone (`blindZoneOwners`): each owner hears of the account's
   * refused token in its own episode, listing its own zones. Absent: the top level owns them all.
   */
  accountZoneOwnersOf?: (zone: ZoneRef) => readonly (string | null)[];
}

export interface GroupingResult {
  /** Every group with members now, and every open group (possibly with none left). */
  observations: Map<string, GroupObservation>;
  /** Per-hostname bookkeeping that changed (failure counters, the last switch seen). */
  hostnameUpdates: { previous: HostnameAlertState | null; next: HostnameAlertState }[];
}

function aggregate(kind: EpisodeKind, members: MemberFacts[]): GroupObservation['facts'] {
  const first = members[0];
  if (first === undefined) return null;
  const reasons = members.flatMap((member) => member.reasons);
  const severity = worst(members.map((member) => ({ severity: member.severity }) as SeverityReason));
  const codes = [
    ...new Set(
      SEVERITY_ORDER.flatMap((level) =>
        reasons.filter((reason) => reason.severity === level).map((reason) => reason.code),
      ),
    ),
  ];
  const expiries = members.flatMap((member) => (member.expiresOn === null ? [] : [member.expiresOn]));
  const earliest = expiries.reduce<Date | null>(
    (soonest, date) => (soonest === null || date < soonest ? date : soonest),
    null,
  );
  const certificateLevel = kind === 'certificate' || kind === 'zone_certificate';
  return {
    currentSeverity: severity,
    reasonCodes: codes,
    // A grouped certificate episode is about the certificate: per-hostname fields stay out of it.
    associationStatus: certificateLevel ? null : first.associationStatus,
    certificateStatus: first.certificateStatus,
    aopSwitch: certificateLevel ? null : first.aopSwitch,
    expiresOn: earliest,
    switchWentOff: false,
    certificate: first.certificate,
    checkError: first.checkError,
  };
}

function byHostname<T extends { hostname: string }>(entries: Iterable<T>): T[] {
  return [...entries].sort((a, b) => a.hostname.localeCompare(b.hostname));
}

/**
 * Sorts one evaluation into groups: which hostnames each group covers now, which of an open
 * group's hostnames moved to another certificate or left, and the group's facts. Hostnames that
 * could not be checked (or were not in this run) stay where they were: nothing is known about them.
 *
 * @example
 * const { observations } = observeGroups({ evaluations, hostnameStates, groups, cannotCheckAfterEvaluations: 3 });
 * // one certificate expiring for 30 hostnames → one observation with 30 hostnames
 */
export function observeGroups(input: GroupingInput): GroupingResult {
  const { evaluations, hostnameStates, ...rest } = input;
  const observer = createGroupObserver(rest);
  const hostnameUpdates = observer.add(evaluations, hostnameStates);
  return { observations: observer.finish(), hostnameUpdates };
}

/** What the observer needs before the first hostname: everything but the evaluations and their states. */
export type GroupObserverInput = Omit<GroupingInput, 'evaluations' | 'hostnameStates'>;

/** Sees an evaluation's hostnames a page at a time (`add`), then every group at once (`finish`). */
export interface GroupObserver {
  /**
   * Classifies one page of evaluated hostnames, given their stored states (keyed by
   * `alertStateKey`; a hostname without one has none yet), and returns the page's bookkeeping that
   * changed. Only the hostnames of problems, and those of open groups, are kept past the call.
   */
  add(
    evaluations: GroupingInput['evaluations'],
    hostnameStates: ReadonlyMap<string, HostnameAlertState>,
  ): GroupingResult['hostnameUpdates'];
  /** Every group with members now, and every open group (possibly with none left). */
  finish(): Map<string, GroupObservation>;
}

/**
 * `observeGroups` a page at a time, so an evaluation of 100,000 hostnames holds one page of them
 * and its problems rather than every hostname's check at once.
 */
export function createGroupObserver(input: GroupObserverInput): GroupObserver {
  const openGroups = [...input.groups.values()].filter(
    (group) => group.episode !== null && group.episode.resolvedAt === null && group.episode.group !== null,
  );
  const openProblemsOf = new Map<string, Map<string, string>>();
  const lastKeyOf = new Map<string, string>();
  /** Hostnames an open group lists: what is seen of them now decides whether they moved or left. */
  const covered = new Set<string>();
  for (const group of openGroups) {
    for (const hostname of group.episode?.group?.hostnames ?? []) {
      const field = alertStateKey(group.zoneId, hostname);
      covered.add(field);
      if (group.key.certificateKey !== null && group.key.certificateKey !== 'none')
        lastKeyOf.set(field, group.key.certificateKey);
      if (group.key.kind !== 'association' || group.key.problem === null) continue;
      const problems = openProblemsOf.get(field) ?? new Map<string, string>();
      problems.set(group.key.problem, group.key.certificateKey ?? 'none');
      openProblemsOf.set(field, problems);
    }
  }

  const members = new Map<string, { key: GroupKey; facts: Map<string, MemberFacts> }>();
  const seen = new Map<string, AlertEvaluation>();
  const add: GroupObserver['add'] = (evaluations, hostnameStates) => {
    const hostnameUpdates: GroupingResult['hostnameUpdates'] = [];
    for (const { zoneId, hostname, evaluation } of evaluations) {
      const field = alertStateKey(zoneId, hostname);
      if (covered.has(field)) seen.set(field, evaluation);
      const stored = hostnameStates.get(field) ?? null;
      const previous = stored ?? initialAlertState(zoneId, hostname);
      const observation = evaluation.observation;
      const failures = observation.kind === 'unreachable' ? previous.consecutiveCheckFailures + 1 : 0;
      const seenSwitch =
        observation.kind === 'association' ? observation.association.aopSwitch : 'unreported';
      const next: HostnameAlertState = {
        ...previous,
        consecutiveCheckFailures: failures,
        lastSeenSwitch: seenSwitch === 'unreported' ? previous.lastSeenSwitch : seenSwitch,
      };
      if (
        next.consecutiveCheckFailures !== previous.consecutiveCheckFailures ||
        next.lastSeenSwitch !== previous.lastSeenSwitch ||
        stored === null
      ) {
        hostnameUpdates.push({ previous: stored, next });
      }
      const contributions = classifyHostname({
        zoneId,
        hostname,
        evaluation,
        previous,
        failures,
        openAssociationProblems: openProblemsOf.get(field) ?? new Map(),
        lastKnownCertificateKey: lastKeyOf.get(field) ?? null,
        cannotCheckAfterEvaluations: input.cannotCheckAfterEvaluations,
        route: input.routeOf?.(zoneId, hostname) ?? null,
      });
      for (const { key, facts } of contributions) {
        const id = groupIdOf(key);
        const entry = members.get(id) ?? { key, facts: new Map<string, MemberFacts>() };
        entry.facts.set(hostname, facts);
        members.set(id, entry);
      }
    }
    return hostnameUpdates;
  };
  return { add, finish: () => finishObservations(input, openGroups, members, seen) };
}

function finishObservations(
  input: GroupObserverInput,
  openGroups: readonly GroupAlertState[],
  members: ReadonlyMap<string, { key: GroupKey; facts: Map<string, MemberFacts> }>,
  seen: ReadonlyMap<string, AlertEvaluation>,
): Map<string, GroupObservation> {
  const openIds = new Set(openGroups.map((group) => group.id));
  const observations = new Map<string, GroupObservation>();
  for (const [id, entry] of members) {
    if (openIds.has(id)) continue;
    observations.set(id, {
      key: entry.key,
      hostnames: [...entry.facts.keys()].sort(),
      moved: [],
      departed: [],
      facts: aggregate(entry.key.kind, [...entry.facts.values()]),
    });
  }
  for (const group of openGroups) {
    const covered = group.episode?.group;
    // A zone certificate has no member hostnames: the zone level says what it sees (below).
    if (!covered || group.key.kind === 'zone_certificate') continue;
    const now = members.get(group.id)?.facts ?? new Map<string, MemberFacts>();
    const hostnames = new Set(now.keys());
    const moved = new Map(covered.moved.map((entry) => [entry.hostname, entry]));
    const departed = new Map(covered.departed.map((entry) => [entry.hostname, entry]));
    for (const hostname of hostnames) {
      moved.delete(hostname);
      departed.delete(hostname);
    }
    for (const hostname of covered.hostnames) {
      if (hostnames.has(hostname)) continue;
      const evaluation = seen.get(alertStateKey(group.zoneId, hostname));
      const observation = evaluation?.observation;
      // Checked and now owned by another route: its thread there tells it, this one just lets go.
      if (evaluation !== undefined && (input.routeOf?.(group.zoneId, hostname) ?? null) !== group.key.route)
        continue;
      if (observation === undefined || observation.kind === 'unreachable') {
        // Nothing is known about it now (blind, or not in this run): it stays covered.
        if (group.key.kind !== 'cannot_check' || observation === undefined) {
          hostnames.add(hostname);
          continue;
        }
      }
      if (observation?.kind === 'association' && group.key.kind !== 'cannot_check') {
        const key = certificateKeyOf(observation.association);
        if (key !== 'none' && key !== group.key.certificateKey) {
          moved.set(hostname, {
            hostname,
            certificateKey: key,
            expiresOn: evaluation?.assessment.effectiveExpiry ?? observation.association.expiresOn,
          });
          continue;
        }
      }
      departed.set(hostname, {
        hostname,
        reason: observation?.kind === 'no_association' ? 'not_associated' : 'recovered',
      });
    }
    observations.set(group.id, {
      key: group.key,
      hostnames: [...hostnames].sort(),
      moved: byHostname(moved.values()),
      departed: byHostname(departed.values()),
      facts: aggregate(group.key.kind, [...now.values()]),
    });
  }
  observeZoneCertificates(input.zoneLevels ?? [], input.groups, observations, input.zoneRouteOf);
  if (input.hostnameCertificates !== undefined && input.now !== undefined)
    observeRenewals(input.hostnameCertificates, input.groups, observations, input.now);
  observeAccountAccess(input.accountAccess ?? [], input.groups, observations, input.accountZoneOwnersOf);
  return observations;
}

/**
 * Adds the renewal facts to every expiry group of a zone whose certificate list was read: the
 * replacements uploaded for its certificate (src/domain/replacement.ts) and the zone's free slots.
 */
function observeRenewals(
  lists: NonNullable<GroupingInput['hostnameCertificates']>,
  groups: ReadonlyMap<string, GroupAlertState>,
  observations: Map<string, GroupObservation>,
  now: Date,
): void {
  const listOf = new Map(lists.map((entry) => [entry.zoneId, entry.certificates]));
  for (const [id, observation] of observations) {
    const listed = listOf.get(observation.key.zoneId);
    if (observation.key.kind !== 'certificate' || listed === undefined) continue;
    const oldId =
      observation.facts?.certificate?.id ?? groups.get(id)?.episode?.group?.certificate?.id ?? null;
    const movedTo = new Map<string, number>();
    for (const entry of observation.moved)
      movedTo.set(entry.certificateKey, (movedTo.get(entry.certificateKey) ?? 0) + 1);
    observation.renewal = {
      replacements: findReplacements(
        { key: observation.key.certificateKey ?? 'none', id: oldId },
        listed,
        movedTo,
      ),
      zoneSlotsFull: zoneSlotsWhenFull(listed, { now, replacingId: oldId }),
    };
  }
}

/**
 * The owners who go blind in a zone whose checks are refused: the route (or the top level) of each
 * hostname watched in it, and the route taking the whole zone. A zone nobody is known to own in
 * part (nothing watched yet, no route taking it) is the top level's, so somebody hears of it.
 *
 * @example blindZoneOwners({ hostnames: ['a.pay.example.com'], routeOf: () => 'payments', zoneOwner: null }) // ['payments']
 */
export function blindZoneOwners(input: {
  hostnames: Iterable<string>;
  routeOf: (hostname: string) => string | null;
  /** The route taking the whole zone (`Router.zoneOwnerOf`); null when none does. */
  zoneOwner: string | null;
}): (string | null)[] {
  const owners = new Set<string | null>();
  for (const hostname of input.hostnames) owners.add(input.routeOf(hostname));
  if (input.zoneOwner !== null) owners.add(input.zoneOwner);
  if (owners.size === 0) owners.add(null);
  return [...owners].sort((a, b) => (a ?? '').localeCompare(b ?? ''));
}

/**
 * A refused token, one episode per account and owner: each route (or the top level) owning
 * something in the refused zones hears of it in its own channel, listing only its zones (by name).
 * When the top level owns everything, that is one episode per account. An owner's episode ends
 * when a run checks its zones without a refusal. A token that stops working is not a flake to sit
 * out (Cloudflare does not refuse a token now and then), so it opens at once.
 */
function observeAccountAccess(
  readings: readonly AccountAccessReading[],
  groups: ReadonlyMap<string, GroupAlertState>,
  observations: Map<string, GroupObservation>,
  ownersOf: GroupingInput['accountZoneOwnersOf'],
): void {
  for (const reading of readings) {
    const zoneId = accountScopeZoneId(reading.account);
    const zonesOf = new Map<string | null, string[]>();
    for (const zone of reading.refusedZones) {
      for (const owner of ownersOf?.(zone) ?? [null])
        zonesOf.set(owner, [...(zonesOf.get(owner) ?? []), zone.name ?? zone.id]);
    }
    // Owners with an open episode and no refused zone now: their checks work again.
    for (const group of groups.values()) {
      const open = group.episode !== null && group.episode.resolvedAt === null;
      if (
        open &&
        group.zoneId === zoneId &&
        group.key.kind === 'cannot_check' &&
        !zonesOf.has(group.key.route)
      )
        zonesOf.set(group.key.route, []);
    }
    for (const [route, zones] of zonesOf) {
      const key: GroupKey = { kind: 'cannot_check', zoneId, certificateKey: null, problem: 'access', route };
      observations.set(groupIdOf(key), {
        key,
        hostnames: [...zones].sort(),
        moved: [],
        departed: [],
        facts: {
          currentSeverity: 'unknown',
          reasonCodes: ['unreachable'],
          associationStatus: null,
          certificateStatus: null,
          aopSwitch: null,
          expiresOn: null,
          switchWentOff: false,
          certificate: null,
          checkError: reading.error,
        },
      });
    }
  }
}

/**
 * The zone-level certificate in use, one group per (zone, certificate id). Its hostnames stay empty
 * (the contract's `hostnames: []`): Cloudflare presents it for every hostname of the zone without
 * its own association, watched or not, so a list of the watched ones would understate the blast
 * radius, and their comings and goings are not progress on the certificate.
 */
function observeZoneCertificates(
  zoneLevels: NonNullable<GroupingInput['zoneLevels']>,
  groups: ReadonlyMap<string, GroupAlertState>,
  observations: Map<string, GroupObservation>,
  zoneRouteOf: GroupingInput['zoneRouteOf'],
): void {
  for (const { zoneId, check } of zoneLevels) {
    // Not read this time: nothing is known, open episodes stay as they are.
    if (check.state !== 'checked') continue;
    const inUse = check.certificates.find((certificate) => certificate.inUse) ?? null;
    const inUseKey = inUse === null ? null : (inUse.certificate.certificateId ?? 'none');
    if (inUse !== null && inUseKey !== null && isProblem(inUse.assessment.severity)) {
      const key: GroupKey = {
        kind: 'zone_certificate',
        zoneId,
        certificateKey: inUseKey,
        problem: null,
        route: zoneRouteOf?.(zoneId) ?? null,
      };
      const reasons = inUse.assessment.reasons.filter((reason) => isProblem(reason.severity));
      observations.set(groupIdOf(key), {
        key,
        hostnames: [],
        moved: [],
        departed: [],
        facts: {
          currentSeverity: inUse.assessment.severity,
          reasonCodes: [...new Set(reasons.map((reason) => reason.code))],
          associationStatus: null,
          certificateStatus: inUse.certificate.status,
          aopSwitch: null,
          expiresOn: inUse.assessment.effectiveExpiry ?? inUse.certificate.expiresOn,
          switchWentOff: false,
          certificate: {
            id: inUse.certificate.certificateId,
            serialNumber: null,
            issuer: inUse.certificate.issuer,
          },
          checkError: null,
        },
      });
    }
    for (const group of groups.values()) {
      const episode = group.episode;
      if (group.key.kind !== 'zone_certificate' || group.zoneId !== zoneId) continue;
      if (episode === null || episode.resolvedAt !== null || observations.has(group.id)) continue;
      const renewed = inUse !== null && inUseKey !== group.key.certificateKey;
      observations.set(group.id, {
        key: group.key,
        hostnames: [],
        moved: [],
        departed: [],
        facts: null,
        ended: renewed
          ? {
              reason: 'renewed',
              newCertificateKey: inUseKey,
              newExpiresOn: inUse.assessment.effectiveExpiry ?? inUse.certificate.expiresOn,
            }
          : { reason: 'healthy', newCertificateKey: null, newExpiresOn: null },
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The transition

/** A new grouped episode for `observation`, with the rungs already reached counted as told by its parent. */
export function openGroupEpisode(
  state: GroupAlertState,
  observation: GroupObservation,
  facts: NonNullable<GroupObservation['facts']>,
  reached: number[],
  now: Date,
): Episode {
  return openEpisode({
    id: groupEpisodeIdFor(state.id, now),
    kind: state.key.kind,
    certificateKey: state.key.certificateKey ?? 'none',
    openedAt: now,
    currentSeverity: facts.currentSeverity,
    reasonCodes: facts.reasonCodes,
    associationStatus: facts.associationStatus,
    certificateStatus: facts.certificateStatus,
    aopSwitch: facts.aopSwitch,
    expiresOn: facts.expiresOn,
    rungsPosted: reached,
    switchWentOff: facts.switchWentOff,
    checkError: facts.checkError === null ? null : { ...facts.checkError, noticedAt: now },
    group: {
      problem: state.key.problem,
      route: state.key.route,
      hostnames: observation.hostnames,
      moved: [],
      departed: [],
      certificate: facts.certificate,
      runbookPosted: false,
      replacements: observation.renewal?.replacements ?? [],
      // The opening parent and the runbook tell the fit replacements already there; an unfit one
      // still gets its own reply, since it is a problem of its own.
      replacementsTold: (observation.renewal?.replacements ?? [])
        .filter((candidate) => candidate.unfit.length === 0)
        .map((candidate) => candidate.id),
      unfitTold: [],
      stallTold: false,
      zoneSlotsFull: observation.renewal?.zoneSlotsFull ?? null,
    },
  });
}

/** Why a group with no hostname left ends: renewed when they moved, recovered checks, else healthy. */
function resolutionOf(episode: Episode, observation: GroupObservation): EpisodeResolution {
  if (episode.kind === 'cannot_check') {
    return { reason: 'checks_recovered', newCertificateKey: null, newExpiresOn: null };
  }
  const targets = new Map<string, { count: number; expiresOn: Date | null }>();
  for (const entry of observation.moved) {
    const target = targets.get(entry.certificateKey) ?? { count: 0, expiresOn: entry.expiresOn };
    targets.set(entry.certificateKey, { count: target.count + 1, expiresOn: target.expiresOn });
  }
  const [mostUsed] = [...targets.entries()].sort((a, b) => b[1].count - a[1].count);
  if (mostUsed === undefined) return { reason: 'healthy', newCertificateKey: null, newExpiresOn: null };
  return { reason: 'renewed', newCertificateKey: mostUsed[0], newExpiresOn: mostUsed[1].expiresOn };
}

const RUNBOOK_KINDS: ReadonlySet<EpisodeKind> = new Set(['certificate', 'zone_certificate']);

/**
 * Decides what one evaluation means for one group's thread: open (one parent, then the runbook
 * once the parent is confirmed), one reply per rung crossed or per evaluation in which its
 * hostnames or status changed, the resolution when no hostname is left, and nothing at all when
 * nothing changed. Re-running it on a partially applied result yields exactly what remains.
 *
 * @example
 * decideGroupTransition(initialGroupState(key), observation, context).actions.map((a) => a.type) // ['post_parent']
 */
export function decideGroupTransition(
  previous: GroupAlertState,
  observation: GroupObservation | null,
  context: AlertContext,
): AlertTransition<GroupAlertState> {
  const plan = new Plan<GroupAlertState>(previous);
  if (plan.episode !== null && plan.episode.resolvedAt !== null) plan.syncParent({ channel: null });
  endSnoozeIfDue(plan, context);

  const open = plan.episode;
  const covered = observation?.hostnames ?? [];
  if (open !== null && open.group !== null) {
    const group: EpisodeGroup = {
      ...open.group,
      hostnames: covered.length > 0 || observation === null ? covered : [],
      moved: observation?.moved ?? open.group.moved,
      departed: observation?.departed ?? open.group.departed,
      certificate: observation?.facts?.certificate ?? open.group.certificate,
      ...(observation?.renewal === undefined
        ? {}
        : {
            replacements: observation.renewal.replacements,
            zoneSlotsFull: observation.renewal.zoneSlotsFull,
          }),
    };
    if (observation === null) group.hostnames = open.group.hostnames;
    const after: Episode = {
      ...open,
      ...(observation?.facts
        ? {
            currentSeverity: observation.facts.currentSeverity,
            reasonCodes: observation.facts.reasonCodes,
            associationStatus: observation.facts.associationStatus,
            certificateStatus: observation.facts.certificateStatus,
            aopSwitch: observation.facts.aopSwitch,
            expiresOn: observation.facts.expiresOn,
            checkError:
              observation.facts.checkError === null
                ? null
                : { ...observation.facts.checkError, noticedAt: open.checkError?.noticedAt ?? context.now },
          }
        : {}),
      group,
    };
    if (observation?.ended !== undefined) {
      plan.silently({ ...plan.state, episode: after });
      resolve(plan, observation.ended, context);
    } else if (observation !== null && covered.length === 0 && open.kind !== 'zone_certificate') {
      // The last hostnames left: the resolution reply says how, and the parent shows the final tally.
      plan.silently({ ...plan.state, episode: after });
      resolve(plan, resolutionOf(open, observation), context);
    } else {
      announce(plan, open, after, rungsReached(context.ladderDays, after.expiresOn, context.now), context);
      if (context.movedFromAnotherRoute === true && open.parent === null && plan.episode !== null)
        plan.parentMention ??= mentionFor(context, plan.episode);
    }
  } else if (
    observation !== null &&
    observation.ended === undefined &&
    (covered.length > 0 || observation.key.kind === 'zone_certificate') &&
    observation.facts !== null
  ) {
    const reached = rungsReached(context.ladderDays, observation.facts.expiresOn, context.now);
    const episode = openGroupEpisode(plan.state, observation, observation.facts, reached, context.now);
    plan.parentMention = mentionFor(context, episode);
    plan.silently({ ...plan.state, episode });
  }

  const current = plan.episode;
  if (
    current !== null &&
    current.group !== null &&
    current.resolvedAt === null &&
    current.parent !== null &&
    !current.group.runbookPosted &&
    RUNBOOK_KINDS.has(current.kind)
  ) {
    plan.reply({ kind: 'runbook' }, { ...current, group: { ...current.group, runbookPosted: true } });
  }
  tellRenewal(plan, context);
  plan.syncParent({ channel: context.channel, force: context.refreshParent === true });
  return plan.finish();
}

const HOUR_MS = 3_600_000;
const DEFAULT_REPLACEMENT_STALL_HOURS = 24;

/**
 * The renewal has stalled: a fit replacement was uploaded over `replacement_stall_hours` ago, no
 * hostname has moved, and the old certificate is within the critical window (or expired).
 */
export function renewalStalled(episode: Episode, context: AlertContext): boolean {
  const group = episode.group;
  if (episode.kind !== 'certificate' || group === null || group.moved.length > 0) return false;
  if (!episode.reasonCodes.some((code) => code === 'expiring_critical' || code === 'expired')) return false;
  const stallMs = (context.replacementStallHours ?? DEFAULT_REPLACEMENT_STALL_HOURS) * HOUR_MS;
  return group.replacements.some(
    (candidate) =>
      candidate.unfit.length === 0 &&
      candidate.uploadedOn !== null &&
      context.now.getTime() - candidate.uploadedOn.getTime() >= stallMs,
  );
}

/**
 * One reply for what is new about the renewal of an open expiry episode: a replacement seen for
 * the first time (with the runbook for its id), an unfit replacement (before anyone moves a
 * hostname to it), and once, with the critical mention, a renewal that has stalled. Under a snooze
 * the reply is held and counted like any other; without a confirmed parent it waits, so the
 * mention is not lost.
 */
function tellRenewal(plan: Plan<GroupAlertState>, context: AlertContext): void {
  const episode = plan.episode;
  const group = episode?.group ?? null;
  if (episode === null || group === null || episode.kind !== 'certificate') return;
  if (episode.resolvedAt !== null || episode.parent === null) return;
  const uploaded = group.replacements
    .filter((candidate) => candidate.unfit.length === 0 && !group.replacementsTold.includes(candidate.id))
    .map((candidate) => candidate.id);
  const unfit = group.replacements
    .filter((candidate) => candidate.unfit.length > 0 && !group.unfitTold.includes(candidate.id))
    .map((candidate) => candidate.id);
  const stalled = !group.stallTold && renewalStalled(episode, context);
  if (uploaded.length === 0 && unfit.length === 0 && !stalled) return;
  const after: Episode = {
    ...episode,
    group: {
      ...group,
      replacementsTold: [...new Set([...group.replacementsTold, ...uploaded, ...unfit])],
      unfitTold: [...new Set([...group.unfitTold, ...unfit])],
      stallTold: group.stallTold || stalled,
    },
  };
  if (isSnoozed(episode, context.now)) {
    plan.silently({
      ...plan.state,
      episode: { ...after, pendingRepliesWhileSnoozed: episode.pendingRepliesWhileSnoozed + 1 },
    });
    return;
  }
  plan.reply(
    { kind: 'renewal', uploaded, unfit, stalled },
    after,
    stalled ? mentionFor(context, after) : null,
  );
}

// ---------------------------------------------------------------------------------------------
// JSON form

const GROUP_STATE_SCHEMA_VERSION = ALERT_STATE_SCHEMA_VERSION;

const storedGroupSchema = z.object({
  schemaVersion: z.literal(GROUP_STATE_SCHEMA_VERSION),
  id: z.string().min(1),
  zoneId: z.string().min(1),
  key: z.object({
    kind: z.enum(['certificate', 'association', 'zone_certificate', 'cannot_check']),
    zoneId: z.string().min(1),
    certificateKey: z.string().nullable(),
    problem: z.string().nullable(),
    route: z.string().nullable(),
  }),
  episode: storedEpisodeSchema.nullable(),
});

/** The JSON stored in Redis for one group, fields in a fixed order (compare-and-set compares strings). */
export function serializeGroupState(state: GroupAlertState): string {
  return JSON.stringify({
    schemaVersion: GROUP_STATE_SCHEMA_VERSION,
    id: state.id,
    zoneId: state.zoneId,
    key: {
      kind: state.key.kind,
      zoneId: state.key.zoneId,
      certificateKey: state.key.certificateKey,
      problem: state.key.problem,
      route: state.key.route,
    },
    episode: episodeJson(state.episode),
  });
}

/** Parses what `serializeGroupState` wrote; anything else throws `AopError('alert_state_invalid')`. */
export function deserializeGroupState(json: string): GroupAlertState {
  const { schemaVersion: _version, ...state } = parseStored(json, storedGroupSchema);
  return state;
}
