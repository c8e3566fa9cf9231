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
  MrkdwnElement,
  SectionBlock,
} from '@slack/types';
import { format } from 'date-fns/format';
import type {
  DepartedHostname,
  Episode,
  MovedHostname,
  ReplacementCandidate,
  ZoneSlotsFull,
} from '../alerts/episode.js';
import { accountOfScope } from '../alerts/group.js';
import type {
  AlertAction,
  AlertHost,
  AlertReply,
  AlertStatusChange,
  ContinuedIn,
  MembershipChange,
  RoutedTo,
  ThreadState,
} from '../alerts/transition.js';
import { FITNESS_CONSEQUENCES } from '../domain/fitness.js';
import type { HostnameAopSwitch, ReasonCode, Severity } from '../domain/types.js';
import { ACTION_IDS, BLOCK_IDS, encodeAlertValue } from '../slack/ids.js';
import { BLOCK_KIT_LIMITS } from './limits.js';
import { escapeMrkdwn, literal } from './mrkdwn.js';

/** Action ids of the parent's buttons: the shared constants the listeners also use. */
export const ALERT_ACTION_IDS = {
  alertAcknowledge: ACTION_IDS.alertAcknowledge,
  alertSnooze: ACTION_IDS.alertSnooze,
  alertRefresh: ACTION_IDS.alertRefresh,
  alertHostnames: ACTION_IDS.alertHostnames,
} as const;

/** How many hostnames a grouped parent names before "and N more". */
export const PARENT_HOSTNAMES_SHOWN = 10;

/** Block id of the parent's button row. */
export const ALERT_ACTIONS_BLOCK_ID = BLOCK_IDS.alertActions;

/** `event_type` of every alert parent's metadata (see the contract's "Messages" section). */
export const ALERT_EVENT_TYPE = 'aop_alert';

export interface AlertMessage {
  text: string;
  blocks: KnownBlock[];
  /** Set on parents only; replies carry none. Values are JSON (null and string arrays included). */
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
}

export interface AlertRenderContext {
  now: Date;
  /** IANA zone for every date shown. */
  timeZone: string;
  /** Slack mention text to put first (e.g. `<!subteam^S0123>`), posted verbatim; null or '' for none. */
  mention?: string | null;
  /** The route owning a per-hostname thread, for its metadata (a grouped episode records its own). */
  route?: string | null;
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

function problemLines(episode: Episode, context: AlertRenderContext, host?: AlertHost): string[] {
  const lines: string[] = [];
  const account = host === undefined ? null : accountOfScope(host.zoneId);
  if (episode.kind === 'cannot_check') {
    lines.push(
      episode.group === null
        ? 'Checks of this hostname keep failing, so its certificate is not being watched.'
        : account !== null
          ? `Cloudflare refuses the token of account ${code(account)} for ${plural(episode.group.hostnames.length, 'zone')}${episode.group.route === null ? ', so nothing in them is being watched' : ` where route ${code(episode.group.route)} has hostnames, so they are not being watched`}. Roll the token (its environment variable) or give it back its permissions; the other accounts are checked as usual.`
          : `Checks keep failing for ${plural(episode.group.hostnames.length, 'hostname')} in this zone, so their certificates are not being watched.`,
    );
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

/** Not "renewed" or "healthy": nobody knows, the zone is simply no longer watched. */
const ZONE_GONE_LINE =
  '*Ended: the zone is no longer watched.* It left the zone list (deleted, or no token can read it any more), so this problem was not seen to be fixed.';

function resolutionLine(episode: Episode, context: AlertRenderContext): string {
  const resolution = episode.resolution;
  if (episode.group !== null) return groupResolutionLine(episode, context);
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
    case 'zone_gone':
      return ZONE_GONE_LINE;
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
 * The `aop_alert` metadata of a parent (the contract's "Messages" section): every affected hostname
 * sorted and the first of them, the zone, the episode, its kind, the certificate key and the route.
 */
function parentMetadata(
  episode: Episode,
  host: AlertHost,
  options: {
    hostnames?: readonly string[];
    certificateKey?: string | null;
    state?: string;
    continuedInTs?: string;
    /** A per-hostname thread's route; a grouped episode's own wins. */
    route?: string | null;
  } = {},
): NonNullable<AlertMessage['metadata']> {
  const hostnames = [...(options.hostnames ?? [host.hostname])].sort();
  return {
    event_type: ALERT_EVENT_TYPE,
    event_payload: {
      hostname: hostnames[0] ?? host.hostname,
      hostnames,
      zone_id: host.zoneId,
      episode_id: episode.id,
      kind: episode.kind,
      certificate_key:
        options.certificateKey !== undefined
          ? options.certificateKey
          : episode.certificateKey === 'none'
            ? null
            : episode.certificateKey,
      route: episode.group?.route ?? options.route ?? null,
      severity: episode.currentSeverity,
      state: options.state ?? episodeDisplayState(episode),
      ...(options.continuedInTs === undefined ? {} : { continued_in_ts: options.continuedInTs }),
    },
  };
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
  if (episode.group !== null) return renderGroupParent(episode, host, context);
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
    metadata: parentMetadata(episode, host, { route: context.route ?? null }),
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
  const subject = episode.group === null ? `*${hostname}*` : groupSubject(episode, host);
  switch (reply.kind) {
    case 'rung':
      return `${episode.group === null ? rungLead(reply.rungDays, episode, hostname, context) : groupRungLead(reply.rungDays, episode, context)}${bullets(reply.changes)}${membershipLines(reply.membership, episode)}`;
    case 'status_change':
      return reply.changes.length === 0 && reply.membership !== undefined
        ? `:busts_in_silhouette: *Hostnames changed* for ${subject}:${membershipLines(reply.membership, episode)}`
        : `:arrows_counterclockwise: *Status changed* for ${subject}:${bullets(reply.changes)}${membershipLines(reply.membership, episode)}`;
    case 'runbook':
      return runbookParts(episode, host.zoneId).join('\n');
    case 'renewal':
      return renewalParts(reply, episode, host.zoneId, context).join('\n');
    case 'resolved':
      return `:white_check_mark: ${resolutionLine(episode, context)}`;
    case 'acknowledged':
      return `:eyes: Acknowledged by ${userMention(reply.userId)} at ${formatDateTime(reply.at, context.timeZone)}. No more mentions for this episode.`;
    case 'snoozed':
      return `:zzz: Snoozed by ${userMention(reply.userId)} until ${formatDateTime(reply.until, context.timeZone)}: replies in this thread are held until then; the message above stays current.`;
    case 'snooze_summary': {
      const now = problemLines(episode, context, host)[0];
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
  if (reply.kind === 'runbook') {
    const parts = runbookParts(episode, host.zoneId);
    return { text: fallback(parts[0] ?? 'How to fix'), blocks: parts.map((part) => section(part)) };
  }
  if (reply.kind === 'renewal') {
    const mention = mentionOf(context);
    const [lead = '', ...rest] = renewalParts(reply, episode, host.zoneId, context);
    const first = [mention, lead].filter(Boolean).join(' ');
    return { text: fallback(first), blocks: [first, ...rest].map((part) => section(part)) };
  }
  const mention = mentionOf(context);
  const text = [mention, replyText(reply, episode, host, context)].filter(Boolean).join(' ');
  return { text: fallback(text), blocks: [section(text)] };
}

/**
 * The message one decided action puts in Slack: the parent it shows, or the reply it posts.
 *
 * @example renderAlertAction(transition.actions[0], { now, timeZone: 'Europe/Berlin' }).text
 */
export function renderAlertAction<S extends ThreadState>(
  action: AlertAction<S>,
  context: Omit<AlertRenderContext, 'mention'>,
): AlertMessage {
  if (action.type === 'post_reply') {
    return renderAlertReply(action.episode, action.host, action.reply, {
      ...context,
      mention: action.mention,
    });
  }
  if (action.view.routedTo !== undefined) {
    return renderRoutedParent(action.view.episode, action.view.host, action.view.routedTo, context);
  }
  if (action.view.continuedIn !== undefined) {
    return renderContinuedParent(action.view.episode, action.view.host, action.view.continuedIn, context);
  }
  return renderAlertParent(action.view.episode, action.view.host, {
    ...context,
    mention: action.view.mention,
  });
}

// ---------------------------------------------------------------------------------------------
// Grouped episodes (`alerts.group_by: certificate`)

/** "certificate `4097`", "certificate `2458ce5a-…`" or "a certificate Cloudflare did not identify". */
function certificateName(episode: Episode): string {
  const certificate = episode.group?.certificate ?? null;
  if (episode.kind === 'zone_certificate')
    return `zone certificate ${code(certificate?.id ?? episode.certificateKey)}`;
  if (certificate?.serialNumber) return `certificate with serial ${code(certificate.serialNumber)}`;
  if (certificate?.id) return `certificate ${code(certificate.id)}`;
  return episode.certificateKey === 'none'
    ? 'an unidentified certificate'
    : `certificate ${code(episode.certificateKey)}`;
}

/** What a grouped thread is about, for reply leads. */
function groupSubject(episode: Episode, host: AlertHost): string {
  const account = accountOfScope(host.zoneId);
  const count = plural(episode.group?.hostnames.length ?? 0, account === null ? 'hostname' : 'zone');
  if (episode.kind === 'cannot_check')
    return account === null ? `the checks of ${count}` : `the checks of account ${code(account)} (${count})`;
  if (episode.kind === 'association')
    return `${ASSOCIATION_PROBLEM[episode.group?.problem ?? ''] ?? 'an association problem'} (${count})`;
  if (episode.kind === 'zone_certificate')
    return `the ${certificateName(episode)} (${ZONE_CERTIFICATE_SCOPE})`;
  return `the ${certificateName(episode)} (${count})`;
}

/** Who a zone certificate serves: Cloudflare presents it for these, watched or not. */
const ZONE_CERTIFICATE_SCOPE = 'every hostname of the zone without its own association';

const ASSOCIATION_PROBLEM: Record<string, string> = {
  aop_off: 'per-hostname AOP switched off',
  association_stuck: 'association stuck or timed out',
  association_gone: 'association gone',
};

/** Hostnames in inline code, the first `limit` of them, then "and N more". */
function hostnameList(hostnames: readonly string[], limit = PARENT_HOSTNAMES_SHOWN): string {
  const shown = hostnames.slice(0, limit).map((hostname) => code(hostname));
  const rest = hostnames.length - shown.length;
  return rest > 0 ? `${shown.join(', ')} and ${rest} more` : shown.join(', ');
}

/**
 * "12 of 30 hostnames moved to serial `X`" (per target certificate), or null before any moved.
 * Moves to the certificates in `except` are left out (the parent counts those on their own line).
 */
function progressLine(episode: Episode, except: ReadonlySet<string> = new Set()): string | null {
  const group = episode.group;
  if (group === null || group.moved.length === 0) return null;
  const total = group.hostnames.length + group.moved.length + group.departed.length;
  const byTarget = new Map<string, number>();
  for (const entry of group.moved)
    if (!except.has(entry.certificateKey))
      byTarget.set(entry.certificateKey, (byTarget.get(entry.certificateKey) ?? 0) + 1);
  if (byTarget.size === 0) return null;
  const targets = [...byTarget.entries()].map(([key, count]) => `${count} to ${code(key)}`);
  const where =
    targets.length === 1 ? `to serial ${code([...byTarget.keys()][0] ?? '')}` : `(${targets.join(', ')})`;
  return `*${group.moved.length} of ${plural(total, 'hostname')} moved* ${where}`;
}

function groupTitle(episode: Episode, host: AlertHost, context: AlertRenderContext): string {
  const group = episode.group;
  const count = plural(group?.hostnames.length ?? 0, 'hostname');
  const account = accountOfScope(host.zoneId);
  if (account !== null && episode.kind === 'cannot_check') {
    const zones = plural(group?.hostnames.length ?? 0, 'zone');
    return episode.resolvedAt !== null
      ? `:white_check_mark: Resolved: checks of account ${plainHostname(account)}`
      : `${SEVERITY_EMOJI.unknown} Cannot check account ${plainHostname(account)}: ${zones} not watched`;
  }
  if (episode.resolvedAt !== null) {
    const total = (group?.moved.length ?? 0) + (group?.departed.length ?? 0) + (group?.hostnames.length ?? 0);
    const what =
      episode.kind === 'cannot_check'
        ? `checks of zone ${plainHostname(host.zoneId)}`
        : episode.kind === 'association'
          ? (ASSOCIATION_PROBLEM[group?.problem ?? ''] ?? 'association problem')
          : `certificate ${plainHostname(episode.certificateKey)}`;
    if (episode.kind === 'zone_certificate')
      return `:white_check_mark: Resolved: zone certificate ${plainHostname(episode.certificateKey)} of zone ${plainHostname(host.zoneId)}`;
    return `:white_check_mark: Resolved: ${what} (${plural(total, 'hostname')})`;
  }
  if (episode.kind === 'cannot_check') {
    return `${SEVERITY_EMOJI.unknown} Cannot check zone ${plainHostname(host.zoneId)}: ${count} not watched`;
  }
  const lead = `${SEVERITY_EMOJI[episode.currentSeverity]} ${SEVERITY_LABEL[episode.currentSeverity]}`;
  if (episode.kind === 'association') {
    return `${lead}: ${ASSOCIATION_PROBLEM[group?.problem ?? ''] ?? 'association problem'} on ${count}`;
  }
  const expiry = episode.expiresOn;
  const expiring = episode.reasonCodes.some((reasonCode) => EXPIRY_CODES.has(reasonCode));
  if (episode.kind === 'zone_certificate') {
    const subject = `zone certificate of zone ${plainHostname(host.zoneId)}`;
    if (expiry !== null && expiring) {
      const expired = expiry.getTime() <= context.now.getTime();
      return `${lead}: ${subject} ${expired ? relativeExpiry(expiry, context.now) : `expires ${relativeExpiry(expiry, context.now)}`}`;
    }
    const first = episode.reasonCodes[0];
    return `${lead}: ${subject}${first === undefined ? '' : ` — ${REASON_PHRASE[first]}`}`;
  }
  if (expiry !== null && expiring) {
    const expired = expiry.getTime() <= context.now.getTime();
    return `${lead}: certificate for ${count} ${expired ? relativeExpiry(expiry, context.now) : `expires ${relativeExpiry(expiry, context.now)}`}`;
  }
  const first = episode.reasonCodes[0];
  return `${lead}: certificate for ${count}${first === undefined ? '' : ` — ${REASON_PHRASE[first]}`}`;
}

function groupFields(episode: Episode, host: AlertHost, context: AlertRenderContext): string[] {
  const group = episode.group;
  const fields = [`*Zone*\n${code(host.zoneId)}`];
  if (episode.kind !== 'cannot_check') {
    const certificate = group?.certificate ?? null;
    fields.push(`*Serial*\n${certificate?.serialNumber ? code(certificate.serialNumber) : '_not reported_'}`);
    fields.push(`*Certificate id*\n${certificate?.id ? code(certificate.id) : '_not reported_'}`);
    fields.push(`*Issuer*\n${certificate?.issuer ? literal(certificate.issuer) : '_not reported_'}`);
    const expiry = episode.resolution !== null ? episode.resolution.newExpiresOn : episode.expiresOn;
    fields.push(
      `*Expires*\n${expiry === null ? '_unknown_' : `${formatDateTime(expiry, context.timeZone)}\n${relativeExpiry(expiry, context.now)}`}`,
    );
    if (expiry !== null) {
      const days = Math.floor((expiry.getTime() - context.now.getTime()) / DAY_MS);
      fields.push(`*Days left*\n${days < 0 ? `expired (${days})` : String(days)}`);
    }
  } else if (episode.checkError !== null) {
    fields.push(`*Last error*\n${code(episode.checkError.errorCode)}`);
  }
  fields.push(
    episode.kind === 'zone_certificate'
      ? '*Hostnames*\nevery one without its own association'
      : `*Hostnames*\n${group?.hostnames.length ?? 0}`,
  );
  fields.push(`*Severity*\n${SEVERITY_LABEL[episode.currentSeverity]}`);
  if (episode.kind === 'certificate')
    fields.push(`*Certificate status*\n${statusValue(episode.certificateStatus)}`);
  fields.push(`*Opened*\n${formatDateTime(episode.openedAt, context.timeZone)}`);
  return fields.slice(0, BLOCK_KIT_LIMITS.sectionFieldCount);
}

function groupResolutionLine(episode: Episode, context: AlertRenderContext): string {
  const group = episode.group;
  const resolution = episode.resolution;
  const moved = group?.moved.length ?? 0;
  const departed = group?.departed.length ?? 0;
  if (episode.kind === 'zone_certificate') {
    if (resolution?.reason === 'renewed') {
      const next =
        resolution.newExpiresOn === null
          ? 'an unknown date'
          : describeExpiry(resolution.newExpiresOn, context);
      return `*Renewed*: zone certificate ${code(resolution.newCertificateKey ?? '')} is in use now, and expires ${next}. Delete the old one.`;
    }
    if (resolution?.reason === 'zone_gone') return ZONE_GONE_LINE;
    return '*Resolved*: this zone certificate is healthy again, or zone-level AOP is switched off.';
  }
  switch (resolution?.reason) {
    case 'renewed': {
      const next =
        resolution.newExpiresOn === null
          ? 'an unknown date'
          : describeExpiry(resolution.newExpiresOn, context);
      const left = departed > 0 ? `; ${plural(departed, 'other hostname')} left it` : '';
      return `*Renewed*: ${plural(moved, 'hostname')} moved to serial ${code(resolution.newCertificateKey ?? '')}, which expires ${next}${left}. No hostname is on the old certificate any more.`;
    }
    case 'checks_recovered':
      return '*Checks work again* for every hostname of this zone.';
    case 'zone_gone':
      return ZONE_GONE_LINE;
    default:
      return '*Resolved*: no hostname has this problem any more.';
  }
}

function groupRungLead(rungDays: number, episode: Episode, context: AlertRenderContext): string {
  const expiry = episode.expiresOn;
  const when = expiry === null ? '' : ` ${describeExpiry(expiry, context)}`;
  const subject =
    episode.kind === 'zone_certificate'
      ? `the ${certificateName(episode)}, used by ${ZONE_CERTIFICATE_SCOPE},`
      : `the ${certificateName(episode)}, used by ${plural(episode.group?.hostnames.length ?? 0, 'hostname')},`;
  if (rungDays < 0)
    return `:rotating_light: *Expired over ${plural(-rungDays, 'day')} ago*: ${subject} expired${when}.`;
  if (rungDays === 0) return `:rotating_light: *Expired*: ${subject} expired${when}.`;
  return `:alarm_clock: *Less than ${plural(rungDays, 'day')} left*: ${subject} expires${when}.`;
}

function membershipLines(membership: MembershipChange | undefined, episode: Episode): string {
  if (membership === undefined) return '';
  const lines: string[] = [];
  const progress = progressLine(episode);
  if (membership.moved.length > 0) {
    lines.push(
      `${progress ?? `${membership.moved.length} moved`}; this time: ${hostnameList(membership.moved.map((entry: MovedHostname) => entry.hostname))}`,
    );
    if ((episode.group?.hostnames.length ?? 0) > 0) {
      lines.push(
        `Still on the old certificate (${episode.group?.hostnames.length}): ${hostnameList(episode.group?.hostnames ?? [])}`,
      );
    }
  }
  if (membership.joined.length > 0)
    lines.push(`Joined (${membership.joined.length}): ${hostnameList(membership.joined)}`);
  const gone = membership.departed.filter((entry: DepartedHostname) => entry.reason === 'not_associated');
  const recovered = membership.departed.filter((entry: DepartedHostname) => entry.reason === 'recovered');
  if (gone.length > 0)
    lines.push(`No longer associated (${gone.length}): ${hostnameList(gone.map((entry) => entry.hostname))}`);
  if (recovered.length > 0)
    lines.push(
      `Problem gone (${recovered.length}): ${hostnameList(recovered.map((entry) => entry.hostname))}`,
    );
  return lines.map((line) => `\n• ${line}`).join('');
}

/** Mrkdwn code block: Slack shows it verbatim, so only `<&>` need escaping and backticks replacing. */
function codeBlock(text: string): string {
  return `\`\`\`${escapeMrkdwn(text).replace(/`/g, '\u02CB')}\`\`\``;
}

/**
 * The runbook: the concrete API calls for this certificate with the ids filled in. Text only; the
 * bot itself stays read-only and never needs a write permission.
 */
/**
 * The runbook: the concrete API calls for this certificate with the ids filled in, as sections of
 * at most the section limit. The association body is split into as many PUT requests as it takes
 * for each body to fit one code block, every one of them exact JSON. Text only: the bot itself
 * stays read-only and never needs a write permission.
 */
function runbookParts(episode: Episode, zoneId: string, reserveChars = 0): string[] {
  if (episode.kind === 'zone_certificate') return zoneRunbookParts(episode, zoneId);
  const group = episode.group;
  const zone = literal(zoneId);
  const hostnames = group?.hostnames ?? [];
  const oldId = literal(group?.certificate?.id ?? 'OLD_CERTIFICATE_ID');
  // A fit replacement already uploaded: no upload step, and its id in every association body.
  const replacement = preferredReplacement(episode);
  const newId = replacement?.id ?? 'NEW_CERTIFICATE_ID';
  const entry = (hostname: string) => ({ hostname, cert_id: newId, enabled: true });
  const bodies: string[] = [];
  let batch: string[] = [];
  const flush = () => {
    if (batch.length > 0) bodies.push(JSON.stringify({ config: batch.map(entry) }));
    batch = [];
  };
  for (const hostname of hostnames) {
    const candidate = JSON.stringify({ config: [...batch, hostname].map(entry) });
    if (batch.length > 0 && escapeMrkdwn(candidate).length > BLOCK_KIT_LIMITS.sectionTextChars - 100) flush();
    batch.push(hostname);
  }
  flush();
  const requests =
    bodies.length > 1 ? `, in ${bodies.length} requests, one with each of these bodies:` : ' with this body:';
  const steps: string[] =
    replacement === null
      ? [
          `:wrench: *How to fix*: replace the ${certificateName(episode)} for ${plural(hostnames.length, 'hostname')}.`,
          ...slotLines(group?.zoneSlotsFull ?? null, zone),
          `1. Upload the replacement certificate and its key: \`POST /zones/${zone}/origin_tls_client_auth/hostnames/certificates\` with \`{"certificate": "NEW_CERTIFICATE_PEM", "private_key": "NEW_PRIVATE_KEY_PEM"}\`; the answer holds the new certificate's \`id\`.`,
          `2. Associate the hostnames with it (the new id in place of NEW_CERTIFICATE_ID): \`PUT /zones/${zone}/origin_tls_client_auth/hostnames\`${requests}`,
        ]
      : [
          `:wrench: *How to fix*: move the ${plural(hostnames.length, 'hostname')} still on the ${certificateName(episode)} to the replacement already uploaded (${describeCandidate(replacement)}).`,
          `1. Associate the hostnames with it: \`PUT /zones/${zone}/origin_tls_client_auth/hostnames\`${requests}`,
        ];
  const first = replacement === null ? 3 : 2;
  const parts = [
    steps.join('\n'),
    ...bodies.map(codeBlock),
    [
      `${first}. Check that each association's \`status\` becomes \`active\`: \`GET /zones/${zone}/origin_tls_client_auth/hostnames/HOSTNAME\`. This thread shows the progress at the next check.`,
      `${first + 1}. Delete the old certificate once no hostname uses it: \`DELETE /zones/${zone}/origin_tls_client_auth/hostnames/certificates/${oldId}\`.`,
    ].join('\n'),
  ];
  // Hostnames are at most 255 characters, so 100 of them can exceed one message: keep it one
  // message and point at the Hostnames button for the rest.
  const kept: string[] = [];
  let size = 0;
  for (const part of parts) {
    if (
      size + part.length > BLOCK_KIT_LIMITS.messageTextBudgetChars - 200 - reserveChars ||
      kept.length >= BLOCK_KIT_LIMITS.blocksPerMessage - 1 - (reserveChars > 0 ? 1 : 0)
    ) {
      kept.push('_The list is too long for one message: the *Hostnames* button above lists every hostname._');
      break;
    }
    kept.push(part);
    size += part.length;
  }
  return kept;
}

/** The fit replacement the runbook moves hostnames to: the best ranked one, or null. */
function preferredReplacement(episode: Episode): ReplacementCandidate | null {
  if (episode.kind !== 'certificate') return null;
  return episode.group?.replacements.find((candidate) => candidate.unfit.length === 0) ?? null;
}

/** "serial `8193`, id `2458…`". */
function describeCandidate(candidate: ReplacementCandidate): string {
  return `${candidate.serialNumber ? `serial ${code(candidate.serialNumber)}, ` : ''}id ${code(candidate.id)}`;
}

/**
 * The runbook's word on a zone with no free certificate slot: Cloudflare refuses the upload, so
 * expired certificates must go first, each after its associations are voided (`enabled: null`).
 */
function slotLines(slots: ZoneSlotsFull | null, zone: string): string[] {
  if (slots === null) return [];
  const lead = `:no_entry: *No free certificate slot*: the zone holds ${slots.used} of ${slots.limit} hostname certificates, so Cloudflare refuses the upload.`;
  if (slots.deletable.length === 0)
    return [
      `${lead} None of them has expired: delete one no hostname needs (void its associations first, as below), then upload.`,
    ];
  const expired = slots.deletable.map(
    (certificate) =>
      `   • ${certificate.serialNumber ? `serial ${code(certificate.serialNumber)}, ` : ''}id ${code(certificate.id)}, expired ${certificate.expiresOn === null ? '(date unknown)' : certificate.expiresOn.toISOString().slice(0, 10)}, ${plural(certificate.associations, 'association')}`,
  );
  return [
    `${lead} ${slots.deletable.length === 1 ? 'This expired certificate can' : 'These expired certificates can'} be deleted to make room:`,
    ...expired,
    `0. For each: first void its associations, \`PUT /zones/${zone}/origin_tls_client_auth/hostnames\` with \`{"config":[{"hostname":"HOSTNAME","cert_id":"EXPIRED_CERTIFICATE_ID","enabled":null}]}\` for every hostname still on it (Cloudflare refuses to delete a certificate with associations), then \`DELETE /zones/${zone}/origin_tls_client_auth/hostnames/certificates/EXPIRED_CERTIFICATE_ID\`.`,
  ];
}

/** "serial `8193`, id `…`, uploaded 2026-11-22 10:00 CET, expires 2027-12-01 13:00 CET (in 375 days)". */
function candidateFacts(candidate: ReplacementCandidate, context: AlertRenderContext): string {
  const uploaded =
    candidate.uploadedOn === null
      ? ''
      : `, uploaded ${formatDateTime(candidate.uploadedOn, context.timeZone)}`;
  const expires =
    candidate.expiresOn === null ? '' : `, expires ${describeExpiry(candidate.expiresOn, context)}`;
  return `${describeCandidate(candidate)}${uploaded}${expires}`;
}

/** "0 of 30 hostnames moved" to `candidate`. */
function movedToCandidate(episode: Episode, candidate: ReplacementCandidate): string {
  const group = episode.group;
  const total = (group?.hostnames.length ?? 0) + (group?.moved.length ?? 0) + (group?.departed.length ?? 0);
  const key = candidate.serialNumber || candidate.id;
  const moved = (group?.moved ?? []).filter((entry) => entry.certificateKey === key).length;
  return `${moved} of ${plural(total, 'hostname')} moved`;
}

/** One finding of an unfit replacement with its consequence, escaped. */
function unfitFinding(finding: ReplacementCandidate['unfit'][number]): string {
  return `${literal(finding.text)}: ${FITNESS_CONSEQUENCES[finding.code]}`;
}

/** The parent's lines about the replacements of an expiry episode, and a stalled renewal. */
function replacementLines(episode: Episode, context: AlertRenderContext): string[] {
  const group = episode.group;
  if (group === null) return [];
  const several = group.replacements.length > 1;
  const lines = group.replacements.map((candidate) => {
    const when =
      candidate.uploadedOn === null ? '' : ` ${formatDateTime(candidate.uploadedOn, context.timeZone)}`;
    const expires =
      candidate.expiresOn === null ? '' : `, expires ${describeExpiry(candidate.expiresOn, context)}`;
    const match = several && candidate.namesMatch ? ' (same names as the old certificate)' : '';
    const facts = `${describeCandidate(candidate)}${expires}, ${movedToCandidate(episode, candidate)}${match}`;
    if (candidate.unfit.length === 0) return `*Replacement uploaded*${when}: ${facts}`;
    return `:warning: *Unfit replacement uploaded*${when}: ${facts}. ${candidate.unfit.map(unfitFinding).join(' ')} Do not move hostnames to it.`;
  });
  if (group.stallTold && group.moved.length === 0)
    lines.push(
      ':hourglass_flowing_sand: *Renewal stalled*: a replacement is uploaded, and no hostname has moved to it.',
    );
  return lines;
}

/**
 * The renewal reply: the replacements seen for the first time, the unfit ones (before anyone moves
 * a hostname), the stalled renewal, then the runbook for the replacement's id when it changed.
 */
function renewalParts(
  reply: Extract<AlertReply, { kind: 'renewal' }>,
  episode: Episode,
  zoneId: string,
  context: AlertRenderContext,
): string[] {
  const byId = new Map((episode.group?.replacements ?? []).map((candidate) => [candidate.id, candidate]));
  const lines: string[] = [];
  for (const id of reply.uploaded) {
    const candidate = byId.get(id);
    if (candidate === undefined) continue;
    lines.push(
      `:inbox_tray: *Replacement uploaded*: ${candidateFacts(candidate, context)}; ${movedToCandidate(episode, candidate)}.`,
    );
  }
  for (const id of reply.unfit) {
    const candidate = byId.get(id);
    if (candidate === undefined) continue;
    lines.push(
      [
        `:warning: *Unfit replacement*: ${candidateFacts(candidate, context)}. The origin will reject it the moment hostnames move to it:`,
        ...candidate.unfit.map((finding) => `• ${unfitFinding(finding)}`),
        `Do not move hostnames to it. Upload one without these problems (the runbook above still applies), and delete this one: \`DELETE /zones/${literal(zoneId)}/origin_tls_client_auth/hostnames/certificates/${literal(candidate.id)}\`.`,
      ].join('\n'),
    );
  }
  const replacement = preferredReplacement(episode);
  if (reply.stalled && replacement !== null) {
    const uploaded = replacement.uploadedOn;
    const ago =
      uploaded === null
        ? ''
        : ` ${plural(Math.floor((context.now.getTime() - uploaded.getTime()) / 3_600_000), 'hour')} ago`;
    const expiry =
      episode.expiresOn === null
        ? ''
        : `, while the old certificate ${episode.expiresOn.getTime() <= context.now.getTime() ? 'expired' : 'expires'} ${describeExpiry(episode.expiresOn, context)}`;
    lines.push(
      `:hourglass_flowing_sand: *The renewal has stalled*: the replacement (${describeCandidate(replacement)}) was uploaded${ago} and none of the ${plural(episode.group?.hostnames.length ?? 0, 'hostname')} has moved to it${expiry}. Associating them is the step left: the body is in the runbook${reply.uploaded.length > 0 ? ' below' : ' of this thread'}.`,
    );
  }
  const lead = lines.join('\n');
  const showRunbook = replacement !== null && reply.uploaded.includes(replacement.id);
  if (!showRunbook) return [lead];
  return [lead, ...runbookParts(episode, zoneId, lead.length + 100)];
}

/**
 * The zone-level runbook: Cloudflare presents the most recently uploaded active zone certificate,
 * so the fix is to upload the replacement, see it active, then delete the old one.
 */
function zoneRunbookParts(episode: Episode, zoneId: string): string[] {
  const zone = literal(zoneId);
  const oldId = literal(episode.group?.certificate?.id ?? 'OLD_CERTIFICATE_ID');
  return [
    [
      `:wrench: *How to fix*: replace the ${certificateName(episode)}, which Cloudflare presents for ${ZONE_CERTIFICATE_SCOPE}.`,
      `1. Upload the replacement certificate and its key: \`POST /zones/${zone}/origin_tls_client_auth\` with \`{"certificate": "NEW_CERTIFICATE_PEM", "private_key": "NEW_PRIVATE_KEY_PEM"}\`. Cloudflare uses the most recently uploaded active one.`,
      `2. Check that its \`status\` becomes \`active\`: \`GET /zones/${zone}/origin_tls_client_auth/NEW_CERTIFICATE_ID\`. This thread resolves at the next check once it is in use.`,
      `3. Delete the old certificate: \`DELETE /zones/${zone}/origin_tls_client_auth/${oldId}\`.`,
    ].join('\n'),
  ];
}

function groupButtons(episode: Episode): ActionsBlock {
  const actions = parentButtons(episode);
  return {
    ...actions,
    elements: [...actions.elements, button('Hostnames', ALERT_ACTION_IDS.alertHostnames, episode.id)],
  };
}

/**
 * The parent of a grouped thread: what to fix and how big the blast radius is (certificate serial,
 * issuer, expiry, days left, the number of hostnames, the first 10 of them and "and N more",
 * renewal progress), with Acknowledge / Snooze 24 h / Refresh / Hostnames.
 */
function renderGroupParent(episode: Episode, host: AlertHost, context: AlertRenderContext): AlertMessage {
  const group = episode.group;
  const hostnames = group?.hostnames ?? [];
  const mention = mentionOf(context);
  const title = groupTitle(episode, host, context);
  const lines =
    episode.resolvedAt !== null
      ? [resolutionLine(episode, context)]
      : problemLines(episode, context, host).map((line) => `• ${line}`);
  const replacementKeys = new Set(
    (group?.replacements ?? []).map((candidate) => candidate.serialNumber || candidate.id),
  );
  // Moves to a listed replacement are counted on its own line; the progress line counts the rest.
  const progress = progressLine(episode, replacementKeys);
  if (episode.resolvedAt === null) {
    if (episode.kind === 'certificate')
      lines.push(...replacementLines(episode, context).map((line) => `• ${line}`));
    if (progress !== null) lines.push(`• ${progress}`);
  }
  const summary = [mention, ...lines].filter((line): line is string => line !== null).join('\n');
  const listed =
    episode.resolvedAt !== null
      ? null
      : episode.kind === 'zone_certificate'
        ? `*Serves ${ZONE_CERTIFICATE_SCOPE}*: Cloudflare presents it when a hostname has no certificate of its own.`
        : `*${episode.kind === 'certificate' && (group?.moved.length ?? 0) > 0 ? 'Still on the old certificate' : 'Hostnames'} (${hostnames.length})*: ${hostnameList(hostnames)}`;
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: cap(title, BLOCK_KIT_LIMITS.headerTextChars), emoji: true },
    },
    section(summary),
    ...(listed === null ? [] : [section(listed)]),
    {
      type: 'section',
      fields: groupFields(episode, host, context).map((text) =>
        mrkdwn(text, BLOCK_KIT_LIMITS.sectionFieldChars),
      ),
    },
    parentContext(episode, context),
    groupButtons(episode),
  ];
  const certificate = group?.certificate ?? null;
  const certificateKey =
    certificate?.serialNumber ||
    certificate?.id ||
    (episode.certificateKey === 'none' ? null : episode.certificateKey);
  return {
    text: fallback([mention, `${title} (zone ${escapeMrkdwn(host.zoneId)})`].filter(Boolean).join(' — ')),
    blocks,
    metadata: parentMetadata(episode, host, {
      // A resolved parent still names the hostnames it was about (they all moved or left).
      hostnames:
        episode.resolvedAt === null
          ? hostnames
          : [
              ...hostnames,
              ...(group?.moved ?? []).map((entry) => entry.hostname),
              ...(group?.departed ?? []).map((entry) => entry.hostname),
            ],
      certificateKey: certificateKey ?? null,
    }),
  };
}

/**
 * The Hostnames button's answer: every hostname a grouped episode covers (and those that moved or
 * left), in as many section blocks and messages as Block Kit allows, for one person (ephemeral).
 *
 * @example renderEpisodeHostnames(episode).length // 1 for 100 hostnames
 */
export function renderEpisodeHostnames(episode: Episode): AlertMessage[] {
  const group = episode.group;
  const hostnames = group?.hostnames ?? [];
  const parts: string[] = [
    `*${hostnames.length === 0 ? 'No hostname is' : `${plural(hostnames.length, 'hostname')} are`} covered by this alert*`,
  ];
  const lines = [
    ...hostnames.map((hostname) => code(hostname)),
    ...(group?.moved ?? []).map((entry) => `${code(entry.hostname)} moved to ${code(entry.certificateKey)}`),
    ...(group?.departed ?? []).map(
      (entry) =>
        `${code(entry.hostname)} ${entry.reason === 'not_associated' ? 'no longer associated' : 'problem gone'}`,
    ),
  ];
  // Sections of whole lines under the section limit; messages of sections under the message budget.
  let current = '';
  for (const line of lines) {
    if (current.length + line.length + 1 > BLOCK_KIT_LIMITS.sectionTextChars - 10) {
      parts.push(current);
      current = '';
    }
    current = current === '' ? line : `${current}\n${line}`;
  }
  if (current !== '') parts.push(current);
  const messages: AlertMessage[] = [];
  let blocks: KnownBlock[] = [];
  let size = 0;
  for (const part of parts) {
    if (
      blocks.length >= BLOCK_KIT_LIMITS.blocksPerMessage ||
      size + part.length > BLOCK_KIT_LIMITS.messageTextBudgetChars
    ) {
      messages.push({ text: fallback(`Hostnames of episode ${episode.id}`), blocks });
      blocks = [];
      size = 0;
    }
    blocks.push(section(part));
    size += part.length;
  }
  if (blocks.length > 0) messages.push({ text: fallback(`Hostnames of episode ${episode.id}`), blocks });
  return messages;
}

/**
 * An old per-hostname parent after the upgrade to grouped threads: it says which thread continues
 * the problem (by the new parent's ts, no permalink needed) and loses its buttons.
 */
export function renderContinuedParent(
  episode: Episode,
  host: AlertHost,
  continuedIn: ContinuedIn,
  context: Omit<AlertRenderContext, 'mention'>,
): AlertMessage {
  const what =
    continuedIn.kind === 'cannot_check'
      ? `the thread for zone ${code(host.zoneId)} (checks failing)`
      : continuedIn.kind === 'association'
        ? `the thread for the association problem on certificate ${code(continuedIn.certificateKey ?? 'none')}`
        : `the thread for certificate ${code(continuedIn.certificateKey ?? 'none')}`;
  const title = `:arrow_right: Continued: ${plainHostname(host.hostname)}`;
  const text = `This alert for *${literal(host.hostname)}* continues in ${what}, which covers every hostname with the same problem (parent message ts ${code(continuedIn.parent.ts)} in ${channelLink(continuedIn.parent.channel)}).`;
  return {
    text: fallback(`${title} — continued in ${what}`),
    blocks: pointerBlocks(title, text, episode, context),
    metadata: parentMetadata(episode, host, { state: 'continued', continuedInTs: continuedIn.parent.ts }),
  };
}

/** A parent that only says where its thread continues: a header, the pointer, when and which episode; no buttons. */
function pointerBlocks(
  title: string,
  text: string,
  episode: Episode,
  context: Omit<AlertRenderContext, 'mention'>,
): KnownBlock[] {
  return [
    {
      type: 'header',
      text: { type: 'plain_text', text: cap(title, BLOCK_KIT_LIMITS.headerTextChars), emoji: true },
    },
    section(text),
    {
      type: 'context',
      elements: [
        mrkdwn(`Updated ${formatDateTime(context.now, context.timeZone)} · episode ${code(episode.id)}`, 500),
      ],
    },
  ];
}

/** A channel id as a channel link; anything else (never expected) in a code span. */
function channelLink(channel: string): string {
  return /^[CG][A-Z0-9]{2,30}$/.test(channel) ? `<#${channel}>` : code(channel);
}

/**
 * A grouped parent after the routes changed and its episode moved to the new owner's channel: it
 * says where the thread continues (or that the new owner's alert threads are off) and loses its
 * buttons. Its metadata keeps the old route and every hostname it was about.
 *
 * @example renderRoutedParent(episode, host, { route: 'payments', parent: { channel: 'C0PAYINC', ts } }, context).text
 * // ':arrow_right: Moved: … — continues in <#C0PAYINC> (route payments)'
 */
export function renderRoutedParent(
  episode: Episode,
  host: AlertHost,
  routedTo: RoutedTo,
  context: Omit<AlertRenderContext, 'mention'>,
): AlertMessage {
  const owner =
    routedTo.route === null ? 'the top level (no route owns them now)' : `route *${literal(routedTo.route)}*`;
  const ownerPlain = routedTo.route === null ? 'the top level' : `route ${routedTo.route}`;
  const subject = groupSubject(episode, host);
  const title = `:arrow_right: Moved: ${subject.replace(/[*`]/g, '')}`;
  const where =
    routedTo.parent === null
      ? `The routes changed: ${episode.kind === 'zone_certificate' ? 'its zone' : 'its hostnames'} now belong to ${owner}, whose alert threads are off (no alerts channel), so this thread ends here.`
      : `The routes changed: this alert continues in ${channelLink(routedTo.parent.channel)} (${owner}; parent message ts ${code(routedTo.parent.ts)}), with its acknowledgement, snooze and the reminders already sent.`;
  const hostnames = episode.group?.hostnames ?? [];
  const ownerName = (route: string | null) =>
    route === null ? 'the top level' : `route *${literal(route)}*`;
  // Split over several owners: which hostnames went where, so nobody looks for one in the wrong thread.
  const split = (routedTo.others ?? []).map(
    (other) =>
      `• ${hostnameList(other.hostnames)}: ${ownerName(other.route)}, ${other.channel === null ? 'whose alert threads are off' : `in its own thread in ${channelLink(other.channel)}`}`,
  );
  const pointer =
    split.length === 0
      ? where
      : [
          where,
          `• ${hostnameList(routedTo.hostnames ?? [])}: ${ownerName(routedTo.route)}, in that thread`,
          ...split,
        ].join('\n');
  return {
    text: fallback(
      routedTo.parent === null
        ? `${title} — ${ownerPlain} has no alerts channel`
        : `${title} — continues in <#${routedTo.parent.channel}> (${ownerPlain})`,
    ),
    blocks: pointerBlocks(
      title,
      `${pointer}${split.length === 0 && hostnames.length > 0 ? `\n*Hostnames (${hostnames.length})*: ${hostnameList(hostnames)}` : ''}`,
      episode,
      context,
    ),
    metadata: parentMetadata(episode, host, {
      hostnames,
      state: 'continued',
      ...(routedTo.parent === null ? {} : { continuedInTs: routedTo.parent.ts }),
    }),
  };
}
