/**
 * The state behind one hostname's alert thread. One `HostnameAlertState` is stored per (zone,
 * hostname); it holds at most one open `Episode`: one problem with one certificate, shown as one
 * parent message in the alerts channel plus its thread. The transition function
 * (src/alerts/transition.ts) is the only thing that changes it; this module holds the types, the
 * stable ids and the JSON form kept in Redis.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { FITNESS_CODES } from '../domain/fitness.js';
import type { ReplacementCandidate, ZoneSlotsFull } from '../domain/replacement.js';
import {
  type HostnameAopSwitch,
  type HostnameAssociation,
  type ReasonCode,
  SEVERITIES,
  type Severity,
} from '../domain/types.js';
import { AopError } from '../errors.js';

/** Bumped whenever the stored JSON changes shape; older or newer versions are rejected, not guessed at. */
export const ALERT_STATE_SCHEMA_VERSION = 1;

/** Where a Slack message lives: enough for `chat.update` and for `thread_ts`. */
export interface SlackMessageRef {
  channel: string;
  ts: string;
}

/**
 * What an episode is about (the `kind` of the parent's metadata). Per hostname (`group_by:
 * hostname`): `certificate` (something is wrong with the hostname or its certificate) or
 * `cannot_check` (the bot is blind). Grouped (`group_by: certificate`, src/alerts/group.ts):
 * `certificate` (one certificate, every hostname on it), `association` (one association problem on
 * one certificate), `cannot_check` (one zone and error class), `zone_certificate` (the zone-level
 * certificate in use, one per zone certificate).
 */
export type EpisodeKind = 'certificate' | 'association' | 'zone_certificate' | 'cannot_check';
export const EPISODE_KINDS = ['certificate', 'association', 'zone_certificate', 'cannot_check'] as const;

/** A hostname that left a grouped episode by moving to another certificate. */
export interface MovedHostname {
  hostname: string;
  certificateKey: string;
  expiresOn: Date | null;
}

/** Why a hostname left a grouped episode without moving to another certificate. */
export type DepartureReason = 'not_associated' | 'recovered';

export interface DepartedHostname {
  hostname: string;
  reason: DepartureReason;
}

/** The certificate a grouped episode is about, as Cloudflare last reported it. */
export interface EpisodeCertificate {
  id: string | null;
  serialNumber: string | null;
  issuer: string | null;
}

/**
 * The part of an episode that only grouped episodes have: which hostnames it covers now, which
 * left and how, and what the thread has already been given. Null on per-hostname episodes.
 */
export type { ReplacementCandidate, ZoneSlotsFull };

export interface EpisodeGroup {
  /** Association problem (`aop_off`, `association_stuck`, `association_gone`) or error class; null for certificates. */
  problem: string | null;
  /** The route that owns the episode; null until team routing assigns one. */
  route: string | null;
  /** Hostnames the problem covers now, sorted. */
  hostnames: string[];
  /** Hostnames that moved to another certificate since the episode opened, sorted. */
  moved: MovedHostname[];
  /** Hostnames that left otherwise (no longer associated, problem gone), sorted. */
  departed: DepartedHostname[];
  certificate: EpisodeCertificate | null;
  /** True once the runbook reply is in the thread. */
  runbookPosted: boolean;
  /** Expiry episodes: the zone's candidate replacements as last read, best first; empty when none. */
  replacements: ReplacementCandidate[];
  /** Ids of the replacements a reply (or the opening parent and runbook) has already told. */
  replacementsTold: string[];
  /** Ids of the unfit replacements whose problem a reply has already told. */
  unfitTold: string[];
  /** True once the one "renewal has stalled" reply is in the thread. */
  stallTold: boolean;
  /** Set while every certificate slot of the zone is taken: the runbook says what can make room. */
  zoneSlotsFull: ZoneSlotsFull | null;
}

/** Why an episode ended; read by the resolved parent and the last thread reply. */
export interface EpisodeResolution {
  /**
   * `zone_gone`: the zone left the discovered zone list (deleted, or no token reads it any more),
   * so nothing is watched there now; the thread ends without claiming the problem was fixed.
   */
  reason: 'renewed' | 'healthy' | 'checks_recovered' | 'zone_gone';
  /** The replacement certificate's key when renewed; null otherwise. */
  newCertificateKey: string | null;
  /** The expiry in force once resolved (the new certificate's when renewed). */
  newExpiresOn: Date | null;
}

/** The check failure that made an episode blind, kept so the parent can say what went wrong. */
export interface CheckFailure {
  errorCode: string;
  errorMessage: string;
  /** When the failures reached the threshold, not when the first one happened. */
  noticedAt: Date;
}

export interface Episode {
  /** Deterministic from the key and `openedAt` (see `episodeIdFor`); travels in button values. */
  id: string;
  kind: EpisodeKind;
  /** Serial number, else certificate id, else 'none'. A different key means a different certificate. */
  certificateKey: string;
  openedAt: Date;
  /** Null until Slack confirmed the parent, and again after the parent was found deleted. */
  parent: SlackMessageRef | null;
  /** What the parent shows; for problem states the assessment's severity raised to at least warning. */
  currentSeverity: Severity;
  /** The assessment's reason codes, worst first, as of the last evaluation. */
  reasonCodes: ReasonCode[];
  associationStatus: string | null;
  certificateStatus: string | null;
  aopSwitch: HostnameAopSwitch | null;
  expiresOn: Date | null;
  /** Ladder rungs already told (by the parent or a reply), highest first. */
  rungsPosted: number[];
  /** The status as last told in the thread; a different one is a status change worth a reply. */
  lastStatusSignature: string;
  /** Everything the parent shows, as last confirmed by Slack; a different one means `chat.update`. */
  parentSignature: string;
  acknowledged: { userId: string; at: Date } | null;
  snoozedUntil: Date | null;
  /** Set once the resolution reply is confirmed; the episode is dropped when the parent shows it. */
  resolvedAt: Date | null;
  resolution: EpisodeResolution | null;
  /** Replies held back by a snooze, summarised in one reply when it ends. */
  pendingRepliesWhileSnoozed: number;
  /**
   * True while this episode tracks a switch that went from on to off/voided (or an association
   * that vanished). Keeps the problem open after `lastSeenSwitch` has caught up with the new value.
   */
  switchWentOff: boolean;
  /** Set while checks keep failing: the reason for a `cannot_check` episode, a note on a certificate one. */
  checkError: CheckFailure | null;
  /** Grouped episodes only (`alerts.group_by: certificate`); null per hostname. */
  group: EpisodeGroup | null;
}

export interface HostnameAlertState {
  zoneId: string;
  hostname: string;
  /** The last definite switch value seen ('unreported' never overwrites it); null before the first one. */
  lastSeenSwitch: HostnameAopSwitch | null;
  consecutiveCheckFailures: number;
  episode: Episode | null;
}

/** The hash field of one hostname's state (and the name of its lock). */
export function alertStateKey(zoneId: string, hostname: string): string {
  return `${zoneId}/${hostname}`;
}

/**
 * The state of a hostname the bot has never evaluated.
 *
 * @example initialAlertState('023e105f4ecef8ad9ca31a8372d0c353', 'app.example.com').episode // null
 */
export function initialAlertState(zoneId: string, hostname: string): HostnameAlertState {
  return { zoneId, hostname, lastSeenSwitch: null, consecutiveCheckFailures: 0, episode: null };
}

/**
 * Which certificate an episode is about: the serial number when Cloudflare reports one, else the
 * certificate id, else 'none'.
 *
 * @example certificateKeyOf({ serialNumber: null, certificateId: 'cert-1' }) // 'cert-1'
 */
export function certificateKeyOf(
  association: Pick<HostnameAssociation, 'serialNumber' | 'certificateId'>,
): string {
  const serial = association.serialNumber?.trim() ?? '';
  if (serial !== '') return serial;
  const id = association.certificateId?.trim() ?? '';
  return id !== '' ? id : 'none';
}

/**
 * A stable, opaque episode id: the same key and opening instant always give the same id, so a
 * retried evaluation cannot mint a second id for the same episode.
 *
 * @example episodeIdFor({ kind: 'certificate', zoneId: 'z', hostname: 'a.example.com', certificateKey: '01', openedAt }) // 'ep_…'
 */
export function episodeIdFor(key: {
  kind: EpisodeKind;
  zoneId: string;
  hostname: string;
  certificateKey: string;
  openedAt: Date;
}): string {
  const material = [key.kind, key.zoneId, key.hostname, key.certificateKey, key.openedAt.toISOString()].join(
    '\n',
  );
  return `ep_${createHash('sha256').update(material).digest('hex').slice(0, 24)}`;
}

// ---------------------------------------------------------------------------------------------
// JSON form

/** Every ReasonCode, for validating stored state. The check below fails to compile if one is missing. */
const REASON_CODES = [
  'expired',
  'expiring_critical',
  'expiring_warning',
  'not_yet_valid',
  'expiry_mismatch',
  'expiry_missing',
  'deployment_timed_out',
  'deletion_timed_out',
  'stuck_pending',
  'pending',
  'disabled',
  'voided',
  'no_association',
  'unreachable',
  'shared_certificate',
  'no_client_certificate',
  'not_in_use',
  'in_effect_unknown',
  'healthy',
] as const satisfies readonly ReasonCode[];
const everyReasonCodeListed: Exclude<ReasonCode, (typeof REASON_CODES)[number]> extends never ? true : false =
  true;
void everyReasonCodeListed;

const AOP_SWITCHES = ['on', 'off', 'voided', 'unreported'] as const satisfies readonly HostnameAopSwitch[];

const isoDate = z.iso.datetime().transform((text) => new Date(text));

const slackMessageRefSchema = z.object({ channel: z.string().min(1), ts: z.string().min(1) });

const groupSchema = z.object({
  problem: z.string().nullable(),
  route: z.string().nullable(),
  hostnames: z.array(z.string().min(1)),
  moved: z.array(
    z.object({
      hostname: z.string().min(1),
      certificateKey: z.string().min(1),
      expiresOn: isoDate.nullable(),
    }),
  ),
  departed: z.array(
    z.object({ hostname: z.string().min(1), reason: z.enum(['not_associated', 'recovered']) }),
  ),
  certificate: z
    .object({ id: z.string().nullable(), serialNumber: z.string().nullable(), issuer: z.string().nullable() })
    .nullable(),
  runbookPosted: z.boolean(),
  // Absent in states written before renewal readiness: nothing was seen or told yet.
  replacements: z
    .array(
      z.object({
        id: z.string().min(1),
        serialNumber: z.string().nullable(),
        uploadedOn: isoDate.nullable(),
        expiresOn: isoDate.nullable(),
        namesMatch: z.boolean(),
        unfit: z.array(z.object({ code: z.enum(FITNESS_CODES), text: z.string() })),
      }),
    )
    .default([]),
  replacementsTold: z.array(z.string()).default([]),
  unfitTold: z.array(z.string()).default([]),
  stallTold: z.boolean().default(false),
  zoneSlotsFull: z
    .object({
      used: z.number().int().nonnegative(),
      limit: z.number().int().positive(),
      deletable: z.array(
        z.object({
          id: z.string().min(1),
          serialNumber: z.string().nullable(),
          expiresOn: isoDate.nullable(),
          associations: z.number().int().nonnegative(),
        }),
      ),
    })
    .nullable()
    .default(null),
});

const episodeSchema = z.object({
  id: z.string().min(1),
  kind: z.enum(EPISODE_KINDS),
  certificateKey: z.string().min(1),
  openedAt: isoDate,
  parent: slackMessageRefSchema.nullable(),
  currentSeverity: z.enum(SEVERITIES),
  reasonCodes: z.array(z.enum(REASON_CODES)),
  associationStatus: z.string().nullable(),
  certificateStatus: z.string().nullable(),
  aopSwitch: z.enum(AOP_SWITCHES).nullable(),
  expiresOn: isoDate.nullable(),
  rungsPosted: z.array(z.number().int()),
  lastStatusSignature: z.string(),
  parentSignature: z.string(),
  acknowledged: z.object({ userId: z.string().min(1), at: isoDate }).nullable(),
  snoozedUntil: isoDate.nullable(),
  resolvedAt: isoDate.nullable(),
  resolution: z
    .object({
      reason: z.enum(['renewed', 'healthy', 'checks_recovered', 'zone_gone']),
      newCertificateKey: z.string().nullable(),
      newExpiresOn: isoDate.nullable(),
    })
    .nullable(),
  pendingRepliesWhileSnoozed: z.number().int().nonnegative(),
  switchWentOff: z.boolean(),
  checkError: z.object({ errorCode: z.string(), errorMessage: z.string(), noticedAt: isoDate }).nullable(),
  // Absent in states written before grouped episodes existed: those are per-hostname episodes.
  group: groupSchema.nullable().default(null),
});

const storedStateSchema = z.object({
  schemaVersion: z.literal(ALERT_STATE_SCHEMA_VERSION),
  zoneId: z.string().min(1),
  hostname: z.string().min(1),
  lastSeenSwitch: z.enum(AOP_SWITCHES).nullable(),
  consecutiveCheckFailures: z.number().int().nonnegative(),
  episode: episodeSchema.nullable(),
});

/**
 * The JSON stored in Redis. Dates become ISO strings; `deserializeAlertState` turns them back.
 *
 * @example deserializeAlertState(serializeAlertState(state)) // deep-equals state
 */
export function serializeAlertState(state: HostnameAlertState): string {
  // Fields are written in a fixed order, so equal states always serialise to equal strings however
  // their objects were built. JSON.stringify writes Dates through toISOString, the form read back.
  return JSON.stringify({
    schemaVersion: ALERT_STATE_SCHEMA_VERSION,
    zoneId: state.zoneId,
    hostname: state.hostname,
    lastSeenSwitch: state.lastSeenSwitch,
    consecutiveCheckFailures: state.consecutiveCheckFailures,
    episode: episodeJson(state.episode),
  });
}

/** An episode as plain JSON, fields in a fixed order (see `serializeAlertState`). */
export function episodeJson(episode: Episode | null): unknown {
  if (episode === null) return null;
  const group = episode.group;
  return {
    id: episode.id,
    kind: episode.kind,
    certificateKey: episode.certificateKey,
    openedAt: episode.openedAt,
    parent: episode.parent === null ? null : { channel: episode.parent.channel, ts: episode.parent.ts },
    currentSeverity: episode.currentSeverity,
    reasonCodes: episode.reasonCodes,
    associationStatus: episode.associationStatus,
    certificateStatus: episode.certificateStatus,
    aopSwitch: episode.aopSwitch,
    expiresOn: episode.expiresOn,
    rungsPosted: episode.rungsPosted,
    lastStatusSignature: episode.lastStatusSignature,
    parentSignature: episode.parentSignature,
    acknowledged:
      episode.acknowledged === null
        ? null
        : { userId: episode.acknowledged.userId, at: episode.acknowledged.at },
    snoozedUntil: episode.snoozedUntil,
    resolvedAt: episode.resolvedAt,
    resolution:
      episode.resolution === null
        ? null
        : {
            reason: episode.resolution.reason,
            newCertificateKey: episode.resolution.newCertificateKey,
            newExpiresOn: episode.resolution.newExpiresOn,
          },
    pendingRepliesWhileSnoozed: episode.pendingRepliesWhileSnoozed,
    switchWentOff: episode.switchWentOff,
    checkError:
      episode.checkError === null
        ? null
        : {
            errorCode: episode.checkError.errorCode,
            errorMessage: episode.checkError.errorMessage,
            noticedAt: episode.checkError.noticedAt,
          },
    // Written only when present, so per-hostname states keep exactly the JSON the previous release wrote.
    ...(group === null
      ? {}
      : {
          group: {
            problem: group.problem,
            route: group.route,
            hostnames: group.hostnames,
            moved: group.moved.map((entry) => ({
              hostname: entry.hostname,
              certificateKey: entry.certificateKey,
              expiresOn: entry.expiresOn,
            })),
            departed: group.departed.map((entry) => ({ hostname: entry.hostname, reason: entry.reason })),
            certificate:
              group.certificate === null
                ? null
                : {
                    id: group.certificate.id,
                    serialNumber: group.certificate.serialNumber,
                    issuer: group.certificate.issuer,
                  },
            runbookPosted: group.runbookPosted,
            // Written only when set, so a group with nothing of the kind keeps the JSON the
            // previous release wrote (compare-and-set compares the stored string).
            ...renewalJson(group),
          },
        }),
  };
}

/** The renewal-readiness fields of a group that differ from their defaults, in a fixed order. */
function renewalJson(group: EpisodeGroup): Record<string, unknown> {
  return {
    ...(group.replacements.length === 0
      ? {}
      : {
          replacements: group.replacements.map((candidate) => ({
            id: candidate.id,
            serialNumber: candidate.serialNumber,
            uploadedOn: candidate.uploadedOn,
            expiresOn: candidate.expiresOn,
            namesMatch: candidate.namesMatch,
            unfit: candidate.unfit.map((finding) => ({ code: finding.code, text: finding.text })),
          })),
        }),
    ...(group.replacementsTold.length === 0 ? {} : { replacementsTold: group.replacementsTold }),
    ...(group.unfitTold.length === 0 ? {} : { unfitTold: group.unfitTold }),
    ...(group.stallTold ? { stallTold: true } : {}),
    ...(group.zoneSlotsFull === null
      ? {}
      : {
          zoneSlotsFull: {
            used: group.zoneSlotsFull.used,
            limit: group.zoneSlotsFull.limit,
            deletable: group.zoneSlotsFull.deletable.map((certificate) => ({
              id: certificate.id,
              serialNumber: certificate.serialNumber,
              expiresOn: certificate.expiresOn,
              associations: certificate.associations,
            })),
          },
        }),
  };
}

/**
 * Parses what `serializeAlertState` wrote. Anything else (not JSON, a missing field, a date that
 * is not ISO, another schema version) throws `AopError('alert_state_invalid')` naming every
 * problem, rather than letting half a state drive Slack.
 *
 * @example deserializeAlertState('{}') // throws AopError alert_state_invalid
 */
export function deserializeAlertState(json: string): HostnameAlertState {
  const { schemaVersion: _version, ...state } = parseStored(json, storedStateSchema);
  return state;
}

/** Parses stored JSON with `schema`, naming every problem in one `alert_state_invalid` error. */
export function parseStored<T>(json: string, schema: z.ZodType<T>): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (cause) {
    throw new AopError('alert_state_invalid', 'Stored alert state is not JSON.', {
      cause,
      hint: 'Delete the corrupt alert state key; the next evaluation starts the hostname afresh.',
    });
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    const problems = result.error.issues
      .map((issue) => `${issue.path.length === 0 ? '(root)' : issue.path.join('.')}: ${issue.message}`)
      .join('; ');
    throw new AopError('alert_state_invalid', `Stored alert state is not valid: ${problems}.`, {
      cause: result.error,
      hint: 'Delete the corrupt alert state key; the next evaluation starts the hostname afresh.',
    });
  }
  return result.data;
}

/** The stored episode's schema, shared with the grouped states (src/alerts/group.ts). */
export const storedEpisodeSchema = episodeSchema;

/**
 * True when `next` differs from `previous` in anything stored, so the caller can skip a Redis
 * write for the common case of an unchanged hostname.
 */
export function alertStateChanged(previous: HostnameAlertState, next: HostnameAlertState): boolean {
  return serializeAlertState(previous) !== serializeAlertState(next);
}
