/**
 * Renders `/aop-status list`: every watched hostname on one line, worst first. The answer goes back
 * through the slash command's response_url, which Slack accepts at most five times, so the list is
 * split into at most five messages within BLOCK_KIT_LIMITS: first in full, then in a compact form,
 * and as a last resort with an explicit count of what did not fit. Nothing is left out silently.
 */
import { TZDate } from '@date-fns/tz';
import type { ContextBlock, KnownBlock, SectionBlock } from '@slack/types';
import { format } from 'date-fns/format';
import type { HostnameCheck, ZoneFailure } from '../digest/model.js';
import type { Severity, ZoneRef } from '../domain/types.js';
import { SEVERITIES } from '../domain/types.js';
import { SEVERITY_EMOJI } from './common.js';
import { BLOCK_KIT_LIMITS } from './limits.js';
import { escapeMrkdwn, literal, truncate } from './mrkdwn.js';

/** Slack accepts at most this many messages through one response_url. */
export const WATCH_LIST_MAX_MESSAGES = 5;

export interface WatchListMessage {
  /** Notification and screen-reader fallback; always set. */
  text: string;
  blocks: KnownBlock[];
}

export interface RenderWatchListOptions {
  timeZone: string;
  now: Date;
  /** Zones that could not be listed: their configured hostnames (or the zone itself) are shown as not checked. */
  zoneFailures: ZoneFailure[];
  /** Defaults to WATCH_LIST_MAX_MESSAGES; the caller lowers it when it has already used some of the response_url's posts. */
  maxMessages?: number;
  /** Defaults to, and is capped at, BLOCK_KIT_LIMITS.messageTextBudgetChars; never below MIN_WATCH_LIST_TEXT_CHARS. */
  maxTextCharsPerMessage?: number;
  /** `list <route>`: the list holds that route's hostnames only, and says so. */
  routeName?: string;
}

export const MIN_WATCH_LIST_TEXT_CHARS = 3000;
const MAX_LINE_CHARS = 1000;
/** Room kept in every message for its part label or the closing "N more not shown" note. */
const MESSAGE_RESERVE_CHARS = 600;
const DAY_MS = 86_400_000;

/**
 * One row of the list, before it is written in the full or the compact form: all the list keeps of
 * a hostname's check, so a caller reading stored checks a page at a time holds these, not checks.
 */
export interface WatchEntry {
  severity: Severity;
  /** Null for a zone whose hostnames were to be discovered but could not be listed. */
  hostname: string | null;
  zone: ZoneRef;
  expiresOn: Date | null;
  reasonText: string;
  errorCode: string | null;
}

/**
 * Renders the watch list as one or more messages, to be sent in order through the response_url.
 *
 * @example
 * const messages = renderWatchList(checks, { timeZone: 'Europe/Berlin', now: clock.now(), zoneFailures });
 * for (const message of messages) await respond({ response_type: 'ephemeral', ...message });
 */
export function renderWatchList(
  checks: readonly HostnameCheck[],
  options: RenderWatchListOptions,
): WatchListMessage[] {
  return renderWatchEntries(watchEntriesOf(checks), options);
}

/**
 * `renderWatchList` from the entries of the checks (`watchEntriesOf`), in any order: the same
 * messages, whether the entries were made all at once or a page of checks at a time.
 */
export function renderWatchEntries(
  checkEntries: readonly WatchEntry[],
  options: RenderWatchListOptions,
): WatchListMessage[] {
  if (checkEntries.length === 0 && options.zoneFailures.length === 0) return [emptyInventoryMessage()];

  const entries = withZoneFailures(checkEntries, options.zoneFailures);
  const maxMessages = Math.max(1, Math.floor(options.maxMessages ?? WATCH_LIST_MAX_MESSAGES));
  const budgetChars =
    Math.min(
      BLOCK_KIT_LIMITS.messageTextBudgetChars,
      Math.max(
        MIN_WATCH_LIST_TEXT_CHARS,
        options.maxTextCharsPerMessage ?? BLOCK_KIT_LIMITS.messageTextBudgetChars,
      ),
    ) - MESSAGE_RESERVE_CHARS;
  const summary = summarySection(entries, options.routeName ?? null);

  // Lines are written as they are packed: at 100,000 hostnames only the few thousand that fit are.
  const full = packLines(
    entries,
    (entry) => fullLine(entry, options),
    budgetChars,
    summary.length,
    maxMessages,
  );
  if (full.placed === entries.length) return finishMessages(full.messages, summary, entries, null);

  const compact = packLines(
    entries,
    (entry) => compactLine(entry, options),
    budgetChars,
    summary.length,
    maxMessages,
  );
  const compactNote = `_Shown in compact form (severity, hostname, expiry) because the full list needs more than ${plural(maxMessages, 'message')}._`;
  if (compact.placed === entries.length) {
    return finishMessages(compact.messages, summary, entries, { first: compactNote, last: null });
  }

  const omitted = entries.slice(compact.placed);
  const [singular, pluralForm] = omitted.every((entry) => entry.hostname !== null)
    ? ['more hostname', 'more hostnames']
    : ['more entry', 'more entries'];
  const omittedNote =
    `:scissors: ${plural(omitted.length, singular, pluralForm)} not shown here (${severityBreakdown(omitted)}): ` +
    `a command can answer with at most ${plural(maxMessages, 'message')}. ` +
    `Run ${escapeMrkdwn('`/aop-status digest`')} to post everything that needs attention into this channel.`;
  return finishMessages(compact.messages, summary, entries, { first: compactNote, last: omittedNote });
}

function emptyInventoryMessage(): WatchListMessage {
  const text =
    `No hostnames are watched yet. Add one with ${escapeMrkdwn('`/aop-status watch <hostname> [zone]`')} ` +
    '(admins only), or list zones in the config file: a zone without `hostnames` watches every association in it.';
  return { text, blocks: [section(text)] };
}

/**
 * The list's row of each check, in the checks' order. `zoneOf` may hand back an equal zone that is
 * shared by many entries (a zone's every check carries its own copy when read from JSON).
 */
export function watchEntriesOf(
  checks: readonly HostnameCheck[],
  zoneOf: (check: HostnameCheck) => ZoneRef = (check) => check.zone,
): WatchEntry[] {
  return checks.map((check) => ({
    severity: check.assessment.severity,
    hostname: check.hostname,
    zone: zoneOf(check),
    expiresOn: check.assessment.effectiveExpiry,
    reasonText: check.assessment.reasons[0]?.text ?? check.assessment.severity,
    errorCode: null,
  }));
}

/** The checks' entries and those of the zones that could not be listed, sorted worst first. */
function withZoneFailures(checkEntries: readonly WatchEntry[], zoneFailures: ZoneFailure[]): WatchEntry[] {
  const entries = [...checkEntries];
  for (const failure of zoneFailures) {
    const notChecked = `Not checked: the zone could not be listed. ${failure.errorMessage}`;
    if (failure.hostnames.length === 0) {
      entries.push({
        severity: 'unknown',
        hostname: null,
        zone: failure.zone,
        expiresOn: null,
        reasonText: `The zone could not be listed, so its hostnames are unknown. ${failure.errorMessage}`,
        errorCode: failure.errorCode,
      });
    }
    for (const hostname of failure.hostnames) {
      entries.push({
        severity: 'unknown',
        hostname,
        zone: failure.zone,
        expiresOn: null,
        reasonText: notChecked,
        errorCode: failure.errorCode,
      });
    }
  }
  return entries.sort(compareEntries);
}

/** Worst severity first; then the earliest expiry; then zones that could not be listed; then by hostname. */
function compareEntries(a: WatchEntry, b: WatchEntry): number {
  return (
    SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) ||
    compareExpiry(a.expiresOn, b.expiresOn) ||
    (a.hostname === null ? 0 : 1) - (b.hostname === null ? 0 : 1) ||
    compareText(a.hostname ?? '', b.hostname ?? '') ||
    compareText(zoneLabel(a.zone), zoneLabel(b.zone)) ||
    compareText(a.zone.id, b.zone.id)
  );
}

function fullLine(entry: WatchEntry, options: RenderWatchListOptions): string {
  const emoji = SEVERITY_EMOJI[entry.severity];
  const zone = literal(zoneLabel(entry.zone));
  const errorCode = entry.errorCode === null ? '' : ` (${code(entry.errorCode)})`;
  const reason = `${literal(entry.reasonText)}${errorCode}`;
  if (entry.hostname === null) return truncate(`${emoji} *zone ${zone}* · ${reason}`, MAX_LINE_CHARS);
  const expiry = entry.expiresOn === null ? '' : ` · ${expiryText(entry.expiresOn, options)}`;
  return truncate(`${emoji} *${literal(entry.hostname)}* · ${zone}${expiry} · ${reason}`, MAX_LINE_CHARS);
}

function compactLine(entry: WatchEntry, options: RenderWatchListOptions): string {
  const emoji = SEVERITY_EMOJI[entry.severity];
  if (entry.hostname === null)
    return truncate(`${emoji} zone ${literal(zoneLabel(entry.zone))} · not listed`, MAX_LINE_CHARS);
  const expiry =
    entry.expiresOn !== null
      ? ` · ${formatDay(entry.expiresOn, options.timeZone)}`
      : entry.errorCode !== null
        ? ' · not checked'
        : '';
  return truncate(`${emoji} ${literal(entry.hostname)}${expiry}`, MAX_LINE_CHARS);
}

/** "expires 2026-12-03 (in 7 days)", "expired 2026-11-20 (6 days ago)". Days are whole 24-hour periods. */
function expiryText(expiresOn: Date, options: RenderWatchListOptions): string {
  const date = formatDay(expiresOn, options.timeZone);
  const deltaMs = expiresOn.getTime() - options.now.getTime();
  const days = Math.floor(Math.abs(deltaMs) / DAY_MS);
  if (deltaMs > 0)
    return `expires ${date} (${days === 0 ? 'in less than a day' : `in ${plural(days, 'day')}`})`;
  return `expired ${date} (${days === 0 ? 'less than a day ago' : `${plural(days, 'day')} ago`})`;
}

function summarySection(entries: WatchEntry[], routeName: string | null): string {
  // Every check and every zone failure has at least one entry, in its own zone.
  const zoneIds = new Set(entries.map((entry) => entry.zone.id));
  const hostnames = entries.filter((entry) => entry.hostname !== null).length;
  const counts = countBySeverity(entries);
  const countLine = SEVERITIES.map(
    (severity) => `${SEVERITY_EMOJI[severity]} ${formatCount(counts[severity])} ${severity}`,
  ).join('   ');
  const owner = routeName === null ? '' : ` of route ${literal(routeName)}`;
  return `*Watched hostnames${owner}: ${formatCount(hostnames)} in ${plural(zoneIds.size, 'zone')}*, worst first\n${countLine}`;
}

function countBySeverity(entries: WatchEntry[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { critical: 0, warning: 0, unknown: 0, info: 0, ok: 0 };
  for (const entry of entries) counts[entry.severity] += 1;
  return counts;
}

function severityBreakdown(entries: WatchEntry[]): string {
  const counts = countBySeverity(entries);
  return SEVERITIES.filter((severity) => counts[severity] > 0)
    .map((severity) => `${formatCount(counts[severity])} ${severity}`)
    .join(', ');
}

interface PackResult {
  /** Section texts per message. */
  messages: string[][];
  /** How many lines, from the start, found a place. */
  placed: number;
}

/**
 * Fills up to `maxMessages` messages with whole lines, the entries' in order. The first message also
 * carries the summary, so it starts with that much of its budget used.
 */
function packLines(
  entries: readonly WatchEntry[],
  lineOf: (entry: WatchEntry) => string,
  budgetChars: number,
  summaryChars: number,
  maxMessages: number,
): PackResult {
  const messages: string[][] = [];
  let placed = 0;
  while (placed < entries.length && messages.length < maxMessages) {
    // First: summary, compact note, omitted note. Others: part label, omitted note.
    const reservedBlocks = messages.length === 0 ? 3 : 2;
    let chars = messages.length === 0 ? summaryChars : 0;
    const sections: string[] = [];
    while (placed < entries.length) {
      const entry = entries[placed];
      const line = entry === undefined ? '' : lineOf(entry);
      const last = sections.at(-1);
      if (last !== undefined && last.length + 1 + line.length <= BLOCK_KIT_LIMITS.sectionTextChars) {
        if (chars + 1 + line.length > budgetChars) break;
        sections[sections.length - 1] = `${last}\n${line}`;
        chars += 1 + line.length;
      } else {
        if (sections.length + reservedBlocks >= BLOCK_KIT_LIMITS.blocksPerMessage) break;
        if (chars + line.length > budgetChars) break;
        sections.push(line);
        chars += line.length;
      }
      placed += 1;
    }
    if (sections.length === 0) break; // cannot happen with the clamped budget; never loop forever
    messages.push(sections);
  }
  return { messages, placed };
}

function finishMessages(
  packed: string[][],
  summary: string,
  entries: WatchEntry[],
  notes: { first: string; last: string | null } | null,
): WatchListMessage[] {
  const partCount = packed.length;
  const counts = countBySeverity(entries);
  const countsText = SEVERITIES.map((severity) => `${formatCount(counts[severity])} ${severity}`).join(', ');
  return packed.map((sections, index) => {
    const part = partCount > 1 ? ` (part ${index + 1} of ${partCount})` : '';
    const blocks: KnownBlock[] = [];
    if (index === 0) {
      blocks.push(section(summary));
      if (notes !== null) blocks.push(context(notes.first));
    } else {
      blocks.push(context(`Watched hostnames, part ${index + 1} of ${partCount}`));
    }
    blocks.push(...sections.map(section));
    if (index === partCount - 1 && notes?.last) blocks.push(context(notes.last));
    const text = index === 0 ? `Watched hostnames: ${countsText}${part}` : `Watched hostnames${part}`;
    return { text: truncate(text, BLOCK_KIT_LIMITS.fallbackTextChars), blocks };
  });
}

function section(text: string): SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

function context(text: string): ContextBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text }] };
}

function code(text: string): string {
  return `\`${escapeMrkdwn(text).replace(/`/g, '\u02CB')}\``;
}

function zoneLabel(zone: ZoneRef): string {
  return zone.name ?? zone.id;
}

function compareExpiry(a: Date | null, b: Date | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  return a.getTime() - b.getTime();
}

const NATURAL_ORDER = new Intl.Collator('en-US', { numeric: true, sensitivity: 'variant' });

function compareText(a: string, b: string): number {
  return NATURAL_ORDER.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

function formatCount(count: number): string {
  return count.toLocaleString('en-US');
}

function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${formatCount(count)} ${count === 1 ? singular : pluralForm}`;
}

function formatDay(date: Date, timeZone: string): string {
  return format(new TZDate(date.getTime(), timeZone), 'yyyy-MM-dd');
}
