/**
 * Small Block Kit builders shared by the renderers (status card, help, digest, alerts). Each
 * builder enforces the limit in BLOCK_KIT_LIMITS for what it builds, so a renderer cannot produce
 * a block Slack rejects however long the data gets. Builders take text that is already escaped:
 * callers escape every user- or API-derived value with `literal()` / `escapeMrkdwn()` first.
 */
import type {
  ActionsBlock,
  Button,
  ContextBlock,
  HeaderBlock,
  KnownBlock,
  MrkdwnElement,
  SectionBlock,
} from '@slack/types';
import type { HostnameAopSwitch, Severity } from '../domain/types.js';
import type { ErrorCode } from '../errors.js';
import { BLOCK_KIT_LIMITS } from './limits.js';
import { literal } from './mrkdwn.js';

/** What every renderer returns: blocks plus the notification / screen-reader fallback. */
export interface RenderedMessage {
  text: string;
  blocks: KnownBlock[];
}

export const SEVERITY_EMOJI: Record<Severity, string> = {
  critical: ':red_circle:',
  warning: ':large_orange_circle:',
  unknown: ':grey_question:',
  info: ':large_blue_circle:',
  ok: ':large_green_circle:',
};

export const SEVERITY_LABEL: Record<Severity, string> = {
  critical: 'Critical',
  warning: 'Warning',
  unknown: 'Unknown',
  info: 'Info',
  ok: 'OK',
};

/** The per-hostname switch in words. */
export function describeAopSwitch(aopSwitch: HostnameAopSwitch): string {
  switch (aopSwitch) {
    case 'on':
      return 'enabled';
    case 'off':
      return 'disabled';
    case 'voided':
      return 'association voided';
    case 'unreported':
      return 'not reported';
  }
}

/**
 * What a person can do about each failure, for when the error carries no hint of its own.
 * Keyed by the stable code, so wording here can change freely.
 */
const HINTS_BY_CODE: Partial<Record<ErrorCode, string>> = {
  invalid_hostname: 'Type a hostname such as app.example.com, optionally followed by its zone name or id.',
  invalid_zone: 'The zone is a name such as example.com or a 32-character zone id.',
  zone_not_found:
    'Add the zone as a second argument (e.g. /aop-status app.example.com example.com), or ask an admin to add it to the config.',
  channel_not_allowed: 'Run the command in one of the channels the bot is configured for.',
  not_an_admin: 'Ask one of the configured admins to make this change.',
  cloudflare_unauthorized:
    'Cloudflare did not accept the API token (revoked, expired or malformed); ask an admin to check CLOUDFLARE_API_TOKEN.',
  cloudflare_forbidden:
    'The Cloudflare API token lacks a permission here: it needs SSL and Certificates Read on the zone (and Zone Read to find zones by name).',
  cloudflare_not_found: 'Cloudflare does not know this zone or hostname; check the zone id.',
  cloudflare_zone_not_found:
    'Cloudflare knows no zone with that id for this token; check the zone id on the zone Overview page.',
  cloudflare_bad_request: 'Cloudflare rejected the request; check the hostname and zone.',
  cloudflare_rate_limited: 'Cloudflare is rate limiting the bot; try again in a few minutes.',
  cloudflare_server_error: 'Cloudflare had a server error; try again in a minute.',
  cloudflare_timeout: 'Cloudflare did not answer in time; try again in a minute.',
  cloudflare_network: 'The bot could not reach Cloudflare; try again in a minute.',
  cloudflare_malformed_response:
    'Cloudflare answered with something the bot could not read; try again later.',
  redis_unavailable: 'The bot’s storage is unavailable; try again in a minute.',
};

/** The default hint for an error code, or a generic "try again" for codes without one. */
export function hintForErrorCode(code: string): string {
  return (
    HINTS_BY_CODE[code as ErrorCode] ?? 'Try again in a minute; if it keeps failing, tell the bot’s owners.'
  );
}

/** Shown where the API left a field out; italic so it does not read as a value. */
export const NOT_REPORTED = '_not reported_';

/**
 * Cuts escaped mrkdwn to `maxLength` characters without leaving half an HTML entity (`&am…`)
 * or half a surrogate pair at the cut, marking the cut with an ellipsis.
 *
 * @example truncateMrkdwn('a &amp; b', 5) // 'a …'
 */
export function truncateMrkdwn(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  let cut = text.slice(0, Math.max(0, maxLength - 1));
  const lastCode = cut.charCodeAt(cut.length - 1);
  if (lastCode >= 0xd800 && lastCode <= 0xdbff) cut = cut.slice(0, -1);
  cut = cut.replace(/&[a-z]*$/, '');
  return `${cut}…`;
}

/**
 * An untrusted value for a mrkdwn field: escaped, formatting neutralised, control characters
 * replaced, and capped at `maxLength` characters; `NOT_REPORTED` when absent.
 */
export function value(raw: string | null | undefined, maxLength = 250): string {
  if (raw === null || raw === undefined || raw.trim() === '') return NOT_REPORTED;
  return truncateMrkdwn(literal(raw), maxLength);
}

/** Plain text for headers and buttons: escaped (so a stray `<!channel>` stays text) and capped. */
export function plainText(
  text: string,
  maxLength: number,
): { type: 'plain_text'; text: string; emoji: true } {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point
  const safe = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\uFFFD');
  const escaped = safe.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return { type: 'plain_text', text: truncateMrkdwn(escaped, maxLength), emoji: true };
}

export function mrkdwn(text: string, maxLength: number): MrkdwnElement {
  // Slack rejects an empty text object; a lone space keeps the block valid.
  return { type: 'mrkdwn', text: text === '' ? ' ' : truncateMrkdwn(text, maxLength) };
}

export function headerBlock(text: string): HeaderBlock {
  return { type: 'header', text: plainText(text, BLOCK_KIT_LIMITS.headerTextChars) };
}

/** A section of escaped mrkdwn, capped at `maxLength` (never above Slack's 3000). */
export function sectionBlock(
  text: string,
  maxLength: number = BLOCK_KIT_LIMITS.sectionTextChars,
): SectionBlock {
  return { type: 'section', text: mrkdwn(text, Math.min(maxLength, BLOCK_KIT_LIMITS.sectionTextChars)) };
}

/** A labelled field: the label is ours (plain words), the value already escaped. */
export function field(label: string, escapedValue: string): string {
  return `*${label}*\n${escapedValue}`;
}

/** Sections of two-column fields, 10 per section as Slack allows, each field capped. */
export function fieldSections(fields: string[], maxFieldLength = 400): SectionBlock[] {
  const sections: SectionBlock[] = [];
  const fieldLimit = Math.min(maxFieldLength, BLOCK_KIT_LIMITS.sectionFieldChars);
  for (let start = 0; start < fields.length; start += BLOCK_KIT_LIMITS.sectionFieldCount) {
    const chunk = fields.slice(start, start + BLOCK_KIT_LIMITS.sectionFieldCount);
    sections.push({ type: 'section', fields: chunk.map((text) => mrkdwn(text, fieldLimit)) });
  }
  return sections;
}

/** A context line; extra elements beyond Slack's 10 are dropped. */
export function contextBlock(texts: string[], maxLength = 500): ContextBlock {
  return {
    type: 'context',
    elements: texts.slice(0, BLOCK_KIT_LIMITS.contextElements).map((text) => mrkdwn(text, maxLength)),
  };
}

export interface ButtonOptions {
  text: string;
  actionId: string;
  value: string;
  style?: 'primary' | 'danger';
}

export function button(options: ButtonOptions): Button {
  const element: Button = {
    type: 'button',
    text: plainText(options.text, BLOCK_KIT_LIMITS.buttonTextChars),
    action_id: options.actionId.slice(0, BLOCK_KIT_LIMITS.actionIdChars),
    value: options.value.slice(0, BLOCK_KIT_LIMITS.buttonValueChars),
  };
  if (options.style !== undefined) element.style = options.style;
  return element;
}

export function actionsBlock(blockId: string, elements: Button[]): ActionsBlock {
  return {
    type: 'actions',
    block_id: blockId.slice(0, BLOCK_KIT_LIMITS.blockIdChars),
    elements: elements.slice(0, BLOCK_KIT_LIMITS.actionsElements),
  };
}

/** The top-level `text` fallback: capped, never empty (Slack warns on a missing fallback). */
export function fallbackText(text: string): string {
  const trimmed = text.trim() === '' ? 'aop-status' : text;
  return truncateMrkdwn(trimmed, BLOCK_KIT_LIMITS.fallbackTextChars);
}

function textOf(item: unknown): number {
  if (item !== null && typeof item === 'object' && 'text' in item) {
    const text = (item as { text: unknown }).text;
    if (typeof text === 'string') return text.length;
    return textOf(text);
  }
  return 0;
}

/**
 * Characters of text across blocks (headers, sections, fields, context, buttons): what Slack
 * counts toward `msg_blocks_too_long`. Renderers and tests check it against
 * `BLOCK_KIT_LIMITS.messageTextBudgetChars`.
 */
export function blocksTextLength(blocks: readonly KnownBlock[]): number {
  let total = 0;
  for (const block of blocks) {
    total += textOf(block);
    if ('fields' in block && Array.isArray(block.fields)) {
      for (const item of block.fields) total += textOf(item);
    }
    if ('elements' in block && Array.isArray(block.elements)) {
      for (const item of block.elements) total += textOf(item);
    }
  }
  return total;
}
