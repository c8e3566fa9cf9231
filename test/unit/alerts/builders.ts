/**
 * Builders for the alert tests. The clock is fixed per step: a test says "9 days left" and the
 * builders pick the instant at which 9 whole days (and one hour) remain before EXPIRY.
 * Assessments are built by hand here, following the rules of src/domain/severity.ts closely
 * enough for the alert logic (warning within 30 days, critical within 7, capped at info while
 * AOP is off or voided).
 */
import type { HostnameAlertState } from '../../../src/alerts/episode.js';
import { initialAlertState } from '../../../src/alerts/episode.js';
import {
  type AlertAction,
  type AlertContext,
  type AlertEvaluation,
  type AlertTransition,
  confirmAlertAction,
  decideAlertTransition,
  type ThreadState,
} from '../../../src/alerts/transition.js';
import type {
  HostnameAopSwitch,
  HostnameAssociation,
  ReasonCode,
  Severity,
  SeverityReason,
} from '../../../src/domain/types.js';
import { type AlertMessage, renderAlertAction } from '../../../src/render/alert.js';

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
export const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
export const HOSTNAME = 'app.example.com';
export const CHANNEL = 'C0INCIDENT';
export const MENTION = '<!subteam^S0123>';
export const TIME_ZONE = 'Europe/Berlin';
/** The old certificate's expiry: Thursday 2026-12-31 13:00 in Berlin. */
export const EXPIRY = new Date('2026-12-31T12:00:00.000Z');
export const SERIAL = '6743787633689793699141714808227354901';
export const NEW_SERIAL = '1110000000000000000000000000000000042';
export const NEW_EXPIRY = new Date('2027-12-31T12:00:00.000Z');

/** The instant at which `days` whole days remain before `expiry` (plus an hour, so flooring gives `days`). */
export function whenDaysLeft(days: number, expiry: Date = EXPIRY): Date {
  return new Date(expiry.getTime() - days * DAY_MS - HOUR_MS);
}

export function alertContext(now: Date, overrides: Partial<AlertContext> = {}): AlertContext {
  return {
    now,
    ladderDays: [30, 14, 7, 3, 1, 0],
    mentionOnCritical: MENTION,
    cannotCheckAfterEvaluations: 3,
    timeZone: TIME_ZONE,
    channel: CHANNEL,
    ...overrides,
  };
}

export function association(overrides: Partial<HostnameAssociation> = {}): HostnameAssociation {
  return {
    hostname: HOSTNAME,
    zoneId: ZONE_ID,
    aopSwitch: 'on',
    associationStatus: 'active',
    certificateStatus: 'active',
    certificateId: '2458ce5a-0c35-4c7f-82c7-8e9487d3ff60',
    expiresOn: EXPIRY,
    issuer: 'CN=Example Origin CA',
    serialNumber: SERIAL,
    signature: 'SHA256WithRSA',
    certificatePem: null,
    associationCreatedAt: new Date('2026-01-01T10:00:00.000Z'),
    associationUpdatedAt: new Date('2026-01-01T10:05:00.000Z'),
    certificateUploadedOn: new Date('2026-01-01T09:55:00.000Z'),
    certificateUpdatedAt: new Date('2026-01-01T10:00:00.000Z'),
    ...overrides,
  };
}

function reason(code: ReasonCode, severity: Severity): SeverityReason {
  return { code, severity, text: `${code} (test)` };
}

const RANK: Record<Severity, number> = { critical: 4, warning: 3, unknown: 2, info: 1, ok: 0 };

/**
 * One evaluation of an association at `now`. `extraReasons` adds status reasons such as
 * `deployment_timed_out`; the severity is the worst reason, as assessSeverity does.
 */
export function checked(
  now: Date,
  overrides: Partial<HostnameAssociation> = {},
  extraReasons: SeverityReason[] = [],
): AlertEvaluation {
  const found = association(overrides);
  const expiry = found.expiresOn;
  const disabled = found.aopSwitch === 'off' || found.aopSwitch === 'voided';
  const reasons: SeverityReason[] = [];
  if (expiry !== null) {
    const remainingMs = expiry.getTime() - now.getTime();
    if (remainingMs <= 0) reasons.push(reason('expired', 'critical'));
    else if (remainingMs < 7 * DAY_MS) reasons.push(reason('expiring_critical', 'critical'));
    else if (remainingMs < 30 * DAY_MS) reasons.push(reason('expiring_warning', 'warning'));
  }
  if (disabled) {
    for (const item of reasons) if (RANK[item.severity] > RANK.info) item.severity = 'info';
    reasons.push(reason(found.aopSwitch === 'off' ? 'disabled' : 'voided', 'info'));
  }
  reasons.push(...extraReasons);
  if (reasons.length === 0) reasons.push(reason('healthy', 'ok'));
  reasons.sort((a, b) => RANK[b.severity] - RANK[a.severity]);
  const severity = reasons[0]?.severity ?? 'ok';
  return {
    observation: { kind: 'association', association: found },
    assessment: {
      severity,
      reasons,
      effectiveExpiry: expiry,
      daysUntilExpiry: expiry === null ? null : Math.floor((expiry.getTime() - now.getTime()) / DAY_MS),
    },
  };
}

/** A step checking the association at `now`. */
export function at(
  now: Date,
  overrides: Partial<HostnameAssociation> = {},
  extraReasons: SeverityReason[] = [],
): Step {
  return { now, evaluation: checked(now, overrides, extraReasons) };
}

/** A step at the instant when `days` whole days remain before EXPIRY. */
export function daysLeft(
  days: number,
  overrides: Partial<HostnameAssociation> = {},
  extraReasons: SeverityReason[] = [],
): Step {
  return at(whenDaysLeft(days), overrides, extraReasons);
}

export function withSwitch(aopSwitch: HostnameAopSwitch): Partial<HostnameAssociation> {
  return { aopSwitch };
}

export function statusReason(code: ReasonCode, severity: Severity): SeverityReason {
  return reason(code, severity);
}

export function unreachable(): AlertEvaluation {
  return {
    observation: {
      kind: 'unreachable',
      hostname: HOSTNAME,
      zoneId: ZONE_ID,
      errorCode: 'cloudflare_timeout',
      errorMessage: 'Cloudflare did not answer within 10000 ms',
    },
    assessment: {
      severity: 'unknown',
      reasons: [reason('unreachable', 'unknown')],
      effectiveExpiry: null,
      daysUntilExpiry: null,
    },
  };
}

let tsCounter = 0;

/** A Slack-like ts, unique within the test run. */
export function nextTs(): string {
  tsCounter += 1;
  return `1767225600.${String(tsCounter).padStart(6, '0')}`;
}

/** What Slack would answer for `action`. */
export function slackResponse<S extends ThreadState>(
  action: AlertAction<S>,
): { channel: string; ts: string } {
  return action.type === 'post_parent' ? { channel: action.channel, ts: nextTs() } : action.parent;
}

/** The state after Slack confirmed the first `count` actions (all of them by default). */
export function applyActions<S extends ThreadState = HostnameAlertState>(
  previous: S,
  transition: AlertTransition<S>,
  count = transition.actions.length,
): S {
  if (transition.actions.length === 0) return transition.next;
  let state = previous;
  for (const action of transition.actions.slice(0, count))
    state = confirmAlertAction(action, slackResponse(action));
  return state;
}

/** `type` or `type:reason` per action, in order: what the table tests compare. */
export function summarize(actions: readonly AlertAction[]): string[] {
  return actions.map((action) =>
    action.type === 'post_reply' ? `post_reply:${action.reason}` : action.type,
  );
}

export interface Step {
  now: Date;
  evaluation: AlertEvaluation;
  context?: Partial<AlertContext>;
}

/** Runs and fully applies each step in turn, starting from a never-seen hostname. */
export function history(steps: Step[], start: HostnameAlertState = initialAlertState(ZONE_ID, HOSTNAME)) {
  let state = start;
  for (const step of steps) {
    const transition = decideAlertTransition(state, step.evaluation, alertContext(step.now, step.context));
    state = applyActions(state, transition);
  }
  return state;
}

/** An action with the message the renderer makes of it at the step's clock. */
export type RenderedAction = AlertAction & { message: AlertMessage };

/** The transition with every action's message rendered at `now`, as the evaluator posts it. */
export function rendered(
  transition: AlertTransition,
  now: Date,
): { next: HostnameAlertState; actions: RenderedAction[] } {
  return {
    next: transition.next,
    actions: transition.actions.map((action) => ({
      ...action,
      message: renderAlertAction(action, { now, timeZone: TIME_ZONE }),
    })),
  };
}

/** Runs one step without applying it; each action carries its rendered message. */
export function decide(
  state: HostnameAlertState,
  step: Step,
): { next: HostnameAlertState; actions: RenderedAction[] } {
  return rendered(
    decideAlertTransition(state, step.evaluation, alertContext(step.now, step.context)),
    step.now,
  );
}
