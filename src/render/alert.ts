/**
 * Block Kit for alert threads: the parent message (kept current with `chat.update`) and one
 * renderer per kind of thread reply. Pure: `(episode, hostname, reply, clock)` in, `{ text, blocks }`
 * out. Every value that came from Cloudflare or a user is escaped here; the one deliberate
 * exception is the configured `mention_on_critical`, whose whole point is to ping.
 */
import { TZDate, tzName } from '@date-fns/tz';
import type {
  ActionsBlock,
  Button,
  ContextBlock,
  HeaderBlock,
  KnownBlock,
  MessageMetadata,
  MrkdwnElement,
  SectionBlock,
} from '@slack/types';
import { format } from 'date-fns';
import type { Episode } from '../alerts/episode.js';
import type { AlertAction, AlertHost, AlertReply, AlertStatusChange } from '../alerts/transition.js';
import type { HostnameAopSwitch, ReasonCode, Severity } from '../domain/types.js';
import { ACTION_IDS, BLOCK_IDS, encodeAlertValue } from '../slack/ids.js';
import { BLOCK_KIT_LIMITS } from './limits.js';
import { escapeMrkdwn, literal } from './mrkdwn.js';

/** Action ids of the parent's buttons: the shared constants the listeners also use. */
export const ALERT_ACTION_IDS = {
  alertAcknowledge: ACTION_IDS.alertAcknowledge,
  alertSnooze: ACTION_IDS.alertSnooze,
  alertRefresh: ACTION_IDS.alertRefresh,
} as const;

/** Block id of the parent's button row. */
export const ALERT_ACTIONS_BLOCK_ID = BLOCK_IDS.alertActions;

/** `event_type` of every alert parent's metadata (see the contract's "Messages" section). */
export const ALERT_EVENT_TYPE = 'aop_alert';

export interface AlertMessage {
  text: string;
  blocks: KnownBlock[];
  /** Set on parents only; replies carry none. */
  metadata?: MessageMetadata;
}

export interface AlertRenderContext {
  now: Date;
  /** IANA zone for every date shown. */
  timeZone: string;
  /** Slack mention text to put first (e.g. `<!subteam^S0123>`), posted verbatim; null or '' for none. */
  mention?: string | null;
}

export type { AlertHost, AlertReply, AlertStatusChange };

const DAY_MS = 86_400_000;

const SEVERITY_EMOJI: Record<Severity, string> = {
  critical: ':red_circle:',
  warning: ':large_orange_circle:',
  unknown: ':grey_question:',
  info: ':large_blue_circle:',
  ok: ':large_green_circle:',
};

const SEVERITY_LABEL: Record<Severity, string> = {
  critical: 'Critical',
  warning: 'Warning',
  unknown: 'Unknown',
  info: 'Info',
  ok: 'OK',
};

/** Reason codes in words, without dates (expiry codes get dates where an episode is at hand). */
const REASON_PHRASE: Record<ReasonCode, string> = {
  expired: 'Certificate expired',
  expiring_critical: 'Certificate expires within the critical window',
  expiring_warning: 'Certificate expires within the warning window',
  not_yet_valid: 'Certificate is not valid yet',
  expiry_mismatch: "Cloudflare's expiry date and the certificate's own disagree",
  expiry_missing: 'No expiry date reported',
  deployment_timed_out: 'Deployment timed out',
  deletion_timed_out: 'Deletion timed out',
  stuck_pending: 'Stuck pending',
  pending: 'Change pending',
  disabled: 'Per-hostname AOP is disabled',
  voided: 'Association voided',
  no_association: 'No per-hostname AOP association',
  unreachable: 'Could not be checked',
  shared_certificate: "Cloudflare's shared certificate is presented",
  no_client_certificate: 'No client certificate is presented',
  not_in_use: 'Uploaded, not in use',
  in_effect_unknown: 'Which certificate is presented could not be determined',
  healthy: 'Healthy',
};

const EXPIRY_CODES: ReadonlySet<ReasonCode> = new Set(['expired', 'expiring_critical', 'expiring_warning']);

// ---------------------------------------------------------------------------------------------
// Small private helpers: dates, escaping, limits

function formatDateTime(date: Date, timeZone: string): string {
  return `${format(new TZDate(date.getTime(), timeZone), 'yyyy-MM-dd HH:mm')} ${tzName(timeZone, date, 'short')}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** "in 6 days", "in less than a day", "expired less than a day ago", "expired 3 days ago". */
function relativeExpiry(expiry: Date, now: Date): string {
  const remainingMs = expiry.getTime() - now.getTime();
  if (remainingMs <= 0) {
    const agoDays = Math.floor(-remainingMs / DAY_MS);
    return agoDays === 0 ? 'expired less than a day ago' : `expired ${plural(agoDays, 'day')} ago`;
  }
  const days = Math.floor(remainingMs / DAY_MS);
  return days === 0 ? 'in less than a day' : `in ${plural(days, 'day')}`;
}

/** "2026-12-02 14:00 GMT+1 (in 6 days)". */
function describeExpiry(expiry: Date, context: AlertRenderContext): string {
  return `${formatDateTime(expiry, context.timeZone)} (${relativeExpiry(expiry, context.now)})`;
}

/**
 * A value from the API inside inline code. Slack does not format inside code spans, so `_` and `*`
 * stay as typed (an id or status can be copied); `<&>` are escaped so nothing can ping, a backtick
 * cannot close the span early, and control characters cannot forge lines.
 */
function code(raw: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point
  const safe = escapeMrkdwn(raw.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\uFFFD')).replace(/`/g, '\u02CB');
  return `\`${safe}\``;
}

function statusValue(raw: string | null): string {
  return raw === null || raw.trim() === '' ? '_not reported_' : code(raw);
}

function describeSwitch(aopSwitch: HostnameAopSwitch | null): string {
  switch (aopSwitch) {
    case 'on':
      return 'enabled';
    case 'off':
      return 'disabled';
    case 'voided':
      return 'voided';
    case 'unreported':
      return 'not reported';
    case null:
      return 'no association';
  }
}

/**
 * A Slack user mention for an id Slack gave us. Ids are checked so that a forged value cannot smuggle
 * markup in; anything unexpected is shown as text instead.
 */
function userMention(userId: string): string {
  return /^[UW][A-Z0-9]{2,30}$/.test(userId) ? `<@${userId}>` : literal(userId);
}

function mentionOf(context: AlertRenderContext): string | null {
  const mention = context.mention?.trim() ?? '';
  return mention === '' ? null : mention;
}

/** Cuts mrkdwn without leaving half an HTML entity or half a surrogate pair at the cut. */
function cap(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  let cut = text.slice(0, Math.max(0, maxLength - 1));
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return `${cut.replace(/&[a-z]*$/, '')}…`;
}

function mrkdwn(text: string, maxLength: number): MrkdwnElement {
  return { type: 'mrkdwn', text: text.trim() === '' ? ' ' : cap(text, maxLength) };
}

function section(text: string): SectionBlock {
  return { type: 'section', text: mrkdwn(text, BLOCK_KIT_LIMITS.sectionTextChars) };
}

function fallback(text: string): string {
  return cap(text.trim() === '' ? 'aop-status alert' : text, BLOCK_KIT_LIMITS.fallbackTextChars);
}

/** The hostname for plain text (header, fallback): control characters and `<&>` made harmless. */
function plainHostname(hostname: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point
  return escapeMrkdwn(hostname.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\uFFFD'));
}

/**
 * The button value of every alert button: which episode it acts on.
 *
 * @example alertButtonValue('ep_0f3a') // '{"v":1,"e":"ep_0f3a"}'
 */
export function alertButtonValue(episodeId: string): string {
  return encodeAlertValue({ episodeId });
}

// ---------------------------------------------------------------------------------------------
// Parent

/** 'resolved' | 'acknowledged' | 'snoozed' | 'open', as the parent's metadata reports it. */
export function episodeDisplayState(episode: Episode): 'resolved' | 'acknowledged' | 'snoozed' | 'open' {
  if (episode.resolvedAt !== null) return 'resolved';
  if (episode.acknowledged !== null) return 'acknowledged';
  if (episode.snoozedUntil !== null) return 'snoozed';
  return 'open';
}

function reasonLine(reasonCode: ReasonCode, episode: Episode, context: AlertRenderContext): string {
  if (EXPIRY_CODES.has(reasonCode) && episode.expiresOn !== null) {
    const expired = episode.expiresOn.getTime() <= context.now.getTime();
    return `Certificate ${expired ? 'expired' : 'expires'} ${formatDateTime(episode.expiresOn, context.timeZone)} (${relativeExpiry(episode.expiresOn, context.now)})`;
  }
  return REASON_PHRASE[reasonCode];
}

function problemLines(episode: Episode, context: AlertRenderContext): string[] {
  const lines: string[] = [];
  if (episode.kind === 'cannot_check') {
    lines.push('Checks of this hostname keep failing, so its certificate is not being watched.');
  } else {
    for (const reasonCode of episode.reasonCodes) {
      if (reasonCode !== 'healthy') lines.push(reasonLine(reasonCode, episode, context));
    }
    if (episode.switchWentOff) {
      lines.push(`Per-hostname AOP was enabled and is now: ${describeSwitch(episode.aopSwitch)}`);
    }
  }
  if (episode.checkError !== null) {
    lines.push(
      `Cannot check right now: ${code(episode.checkError.errorCode)} ${literal(episode.checkError.errorMessage)}`,
    );
  }
  return [...new Set(lines)];
}

function resolutionLine(episode: Episode, context: AlertRenderContext): string {
  const resolution = episode.resolution;
  switch (resolution?.reason) {
    case 'renewed': {
      const next =
        resolution.newExpiresOn === null
          ? 'an unknown date'
          : describeExpiry(resolution.newExpiresOn, context);
      const was =
        episode.expiresOn === null ? 'unknown' : formatDateTime(episode.expiresOn, context.timeZone);
      return `*Renewed*: the new certificate expires ${next} (was ${was}).`;
    }
    case 'checks_recovered':
      return '*Checks work again.*';
    case 'healthy':
      return '*Back to healthy.*';
    default:
      return '*Resolved.*';
  }
}

function parentTitle(episode: Episode, host: AlertHost): string {
  const hostname = plainHostname(host.hostname);
  if (episode.resolvedAt !== null) return `:white_check_mark: Resolved: ${hostname}`;
  if (episode.kind === 'cannot_check') return `${SEVERITY_EMOJI.unknown} Cannot check: ${hostname}`;
  return `${SEVERITY_EMOJI[episode.currentSeverity]} ${SEVERITY_LABEL[episode.currentSeverity]}: ${hostname}`;
}

function parentFields(episode: Episode, host: AlertHost, context: AlertRenderContext): string[] {
  const fields = [`*Zone*\n${code(host.zoneId)}`];
  if (episode.kind === 'cannot_check') {
    if (episode.checkError !== null) fields.push(`*Last error*\n${code(episode.checkError.errorCode)}`);
    fields.push(`*Opened*\n${formatDateTime(episode.openedAt, context.timeZone)}`);
    return fields;
  }
  const renewed = episode.resolution?.reason === 'renewed' ? episode.resolution : null;
  // Once resolved, the parent shows the expiry in force now (the new certificate's when renewed).
  const expiry = episode.resolution !== null ? episode.resolution.newExpiresOn : episode.expiresOn;
  fields.push(
    `*Expires*\n${expiry === null ? '_unknown_' : `${formatDateTime(expiry, context.timeZone)}\n${relativeExpiry(expiry, context.now)}`}`,
  );
  if (renewed !== null) {
    fields.push(
      `*Previous expiry*\n${episode.expiresOn === null ? '_unknown_' : formatDateTime(episode.expiresOn, context.timeZone)}`,
    );
  }
  const certificateKey = renewed?.newCertificateKey ?? episode.certificateKey;
  fields.push(`*Certificate*\n${certificateKey === 'none' ? '_not reported_' : code(certificateKey)}`);
  fields.push(`*Severity*\n${SEVERITY_LABEL[episode.currentSeverity]}`);
  fields.push(`*Association status*\n${statusValue(episode.associationStatus)}`);
  fields.push(`*Certificate status*\n${statusValue(episode.certificateStatus)}`);
  fields.push(`*AOP switch*\n${describeSwitch(episode.aopSwitch)}`);
  fields.push(`*Opened*\n${formatDateTime(episode.openedAt, context.timeZone)}`);
  return fields.slice(0, BLOCK_KIT_LIMITS.sectionFieldCount);
}

function parentContext(episode: Episode, context: AlertRenderContext): ContextBlock {
  const notes: string[] = [];
  if (episode.resolvedAt !== null) {
    notes.push(`:white_check_mark: Resolved at ${formatDateTime(episode.resolvedAt, context.timeZone)}`);
  }
  if (episode.acknowledged !== null) {
    notes.push(
      `:eyes: Acknowledged by ${userMention(episode.acknowledged.userId)} at ${formatDateTime(episode.acknowledged.at, context.timeZone)}`,
    );
  }
  if (episode.snoozedUntil !== null && episode.resolvedAt === null) {
    notes.push(
      `:zzz: Thread replies snoozed until ${formatDateTime(episode.snoozedUntil, context.timeZone)}`,
    );
  }
  notes.push(`Updated ${formatDateTime(context.now, context.timeZone)} · episode ${code(episode.id)}`);
  return {
    type: 'context',
    elements: notes.slice(0, BLOCK_KIT_LIMITS.contextElements).map((note) => mrkdwn(note, 500)),
  };
}

function button(text: string, actionId: string, episodeId: string, style?: 'primary'): Button {
  const element: Button = {
    type: 'button',
    text: { type: 'plain_text', text: text.slice(0, BLOCK_KIT_LIMITS.buttonTextChars), emoji: true },
    action_id: actionId,
    value: alertButtonValue(episodeId).slice(0, BLOCK_KIT_LIMITS.buttonValueChars),
  };
  if (style !== undefined) element.style = style;
  return element;
}

function parentButtons(episode: Episode): ActionsBlock {
  const elements: Button[] = [];
  // A resolved episode has nothing left to acknowledge or hold back; Refresh still re-checks the hostname.
  if (episode.resolvedAt === null) {
    if (episode.acknowledged === null) {
      elements.push(button('Acknowledge', ALERT_ACTION_IDS.alertAcknowledge, episode.id, 'primary'));
    }
    if (episode.snoozedUntil === null) {
      elements.push(button('Snooze 24 h', ALERT_ACTION_IDS.alertSnooze, episode.id));
    }
  }
  elements.push(button('Refresh', ALERT_ACTION_IDS.alertRefresh, episode.id));
  return { type: 'actions', block_id: ALERT_ACTIONS_BLOCK_ID, elements };
}

/**
 * The parent message of an alert thread: what is wrong (or that it was resolved), the facts, who
 * acknowledged or snoozed it, and the Acknowledge / Snooze 24 h / Refresh buttons. Its metadata
 * (`event_type: aop_alert`) lets the bot find its own parents again.
 *
 * @example
 * renderAlertParent(episode, { zoneId, hostname: 'app.example.com' }, { now, timeZone: 'Europe/Berlin' })
 * // { text: ':red_circle: Critical: app.example.com …', blocks: [header, section, fields, context, actions], metadata }
 */
export function renderAlertParent(
  episode: Episode,
  host: AlertHost,
  context: AlertRenderContext,
): AlertMessage {
  const mention = mentionOf(context);
  const title = parentTitle(episode, host);
  const lines =
    episode.resolvedAt !== null ? [resolutionLine(episode, context)] : problemLines(episode, context);
  const bulleted = episode.resolvedAt !== null ? lines : lines.map((line) => `• ${line}`);
  const summary = [mention, ...bulleted].filter((line): line is string => line !== null).join('\n');

  const header: HeaderBlock = {
    type: 'header',
    text: { type: 'plain_text', text: cap(title, BLOCK_KIT_LIMITS.headerTextChars), emoji: true },
  };
  const fields: SectionBlock = {
    type: 'section',
    fields: parentFields(episode, host, context).map((text) =>
      mrkdwn(text, BLOCK_KIT_LIMITS.sectionFieldChars),
    ),
  };
  const blocks: KnownBlock[] = [
    header,
    section(summary),
    fields,
    parentContext(episode, context),
    parentButtons(episode),
  ];

  const firstLine = lines[0] ?? '';
  return {
    text: fallback(
      [mention, `${title} (zone ${escapeMrkdwn(host.zoneId)})`, firstLine].filter(Boolean).join(' — '),
    ),
    blocks,
    metadata: {
      event_type: ALERT_EVENT_TYPE,
      event_payload: {
        hostname: host.hostname,
        zone_id: host.zoneId,
        episode_id: episode.id,
        kind: episode.kind,
        severity: episode.currentSeverity,
        state: episodeDisplayState(episode),
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Replies

/** One status change in words, already escaped. */
export function describeStatusChange(change: AlertStatusChange): string {
  switch (change.kind) {
    case 'severity':
      return `Severity: ${SEVERITY_LABEL[change.from]} → *${SEVERITY_LABEL[change.to]}*`;
    case 'association_status':
      return `Association status: ${statusValue(change.from)} → ${statusValue(change.to)}`;
    case 'certificate_status':
      return `Certificate status: ${statusValue(change.from)} → ${statusValue(change.to)}`;
    case 'aop_switch':
      return `AOP switch: ${describeSwitch(change.from)} → *${describeSwitch(change.to)}*`;
    case 'reason_added':
      return `New: ${REASON_PHRASE[change.code]}`;
    case 'reason_removed':
      return `Cleared: ${REASON_PHRASE[change.code]}`;
    case 'checks_failing':
      return `Cannot check: ${code(change.errorCode)} ${literal(change.errorMessage)}`;
    case 'checks_recovered':
      return 'Checks work again';
  }
}

function rungLead(rungDays: number, episode: Episode, hostname: string, context: AlertRenderContext): string {
  const expiry = episode.expiresOn;
  const when = expiry === null ? '' : ` ${describeExpiry(expiry, context)}`;
  if (rungDays < 0) {
    return `:rotating_light: *Expired over ${plural(-rungDays, 'day')} ago*: the certificate for *${hostname}* expired${when}.`;
  }
  if (rungDays === 0) {
    return `:rotating_light: *Expired*: the certificate for *${hostname}* expired${when}.`;
  }
  return `:alarm_clock: *Less than ${plural(rungDays, 'day')} left*: the certificate for *${hostname}* expires${when}.`;
}

function replyText(
  reply: AlertReply,
  episode: Episode,
  host: AlertHost,
  context: AlertRenderContext,
): string {
  const hostname = literal(host.hostname);
  const bullets = (changes: AlertStatusChange[]) =>
    changes.map((change) => `\n• ${describeStatusChange(change)}`).join('');
  switch (reply.kind) {
    case 'rung':
      return `${rungLead(reply.rungDays, episode, hostname, context)}${bullets(reply.changes)}`;
    case 'status_change':
      return `:arrows_counterclockwise: *Status changed* for *${hostname}*:${bullets(reply.changes)}`;
    case 'resolved':
      return `:white_check_mark: ${resolutionLine(episode, context)}`;
    case 'acknowledged':
      return `:eyes: Acknowledged by ${userMention(reply.userId)} at ${formatDateTime(reply.at, context.timeZone)}. No more mentions for this episode.`;
    case 'snoozed':
      return `:zzz: Snoozed by ${userMention(reply.userId)} until ${formatDateTime(reply.until, context.timeZone)}: replies in this thread are held until then; the message above stays current.`;
    case 'snooze_summary': {
      const now = problemLines(episode, context)[0];
      return `:alarm_clock: *Snooze ended*: ${plural(reply.heldReplies, 'update')} came in while snoozed; the message above shows the current state: *${SEVERITY_LABEL[episode.currentSeverity]}*${now === undefined ? '' : ` — ${now}`}.`;
    }
  }
}

/**
 * One thread reply under an alert parent. `episode` is the episode as it stands once the reply is
 * posted (for `resolved`, with its resolution set).
 *
 * @example
 * renderAlertReply(episode, host, { kind: 'rung', rungDays: 7, changes: [] }, { now, timeZone, mention: '<!subteam^S0123>' })
 * // { text: '<!subteam^S0123> :alarm_clock: *Less than 7 days left*: …', blocks: [section] }
 */
export function renderAlertReply(
  episode: Episode,
  host: AlertHost,
  reply: AlertReply,
  context: AlertRenderContext,
): AlertMessage {
  const mention = mentionOf(context);
  const text = [mention, replyText(reply, episode, host, context)].filter(Boolean).join(' ');
  return { text: fallback(text), blocks: [section(text)] };
}

/**
 * The message one decided action puts in Slack: the parent it shows, or the reply it posts.
 *
 * @example renderAlertAction(transition.actions[0], { now, timeZone: 'Europe/Berlin' }).text
 */
export function renderAlertAction(
  action: AlertAction,
  context: Omit<AlertRenderContext, 'mention'>,
): AlertMessage {
  if (action.type === 'post_reply') {
    return renderAlertReply(action.episode, action.host, action.reply, {
      ...context,
      mention: action.mention,
    });
  }
  return renderAlertParent(action.view.episode, action.view.host, {
    ...context,
    mention: action.view.mention,
  });
}
