/**
 * The `/aop-status` grammar (contract.md), parsed purely from the command text. The text is
 * untrusted and may be up to 10 KB of anything; `parseCommandText` never throws.
 */
import { parseHostname, parseZoneId, parseZoneName } from './hostname.js';
import { ROUTE_NAME_PATTERN } from './routing.js';

export type ZoneArgument = { kind: 'id'; id: string } | { kind: 'name'; name: string };

export type Command =
  | { kind: 'lookup'; hostname: string; zone: ZoneArgument | null }
  | { kind: 'help' }
  | { kind: 'list'; route: string | null }
  | { kind: 'route'; hostname: string; zone: ZoneArgument | null }
  | { kind: 'digest' }
  | { kind: 'zones' }
  | { kind: 'watch'; hostname: string; zone: ZoneArgument | null }
  | { kind: 'unwatch'; hostname: string }
  | { kind: 'subscribe'; route: string | null }
  | { kind: 'unsubscribe'; route: string | null }
  | { kind: 'invalid'; message: string; usage: true };

/** Slack caps slash-command text well below this; anything longer is not a person typing. */
export const MAX_COMMAND_TEXT_CHARS = 12_000;
/** How much of a bad token an error message quotes. */
export const MAX_QUOTED_TOKEN_CHARS = 100;

const NO_ARGUMENT_KEYWORDS = ['digest', 'zones'] as const;
type NoArgumentKeyword = (typeof NO_ARGUMENT_KEYWORDS)[number];

function isNoArgumentKeyword(word: string): word is NoArgumentKeyword {
  return (NO_ARGUMENT_KEYWORDS as readonly string[]).includes(word);
}

/**
 * A bad token as an error message quotes it: at most 100 characters (whole code points, so an
 * emoji is never cut in half), control characters replaced so it stays on one line.
 */
export function quoteToken(token: string): string {
  // Each code point is at most 2 UTF-16 units; one spare code point tells whether to add "…".
  const codePoints = Array.from(token.slice(0, (MAX_QUOTED_TOKEN_CHARS + 1) * 2));
  const shown =
    codePoints.length > MAX_QUOTED_TOKEN_CHARS
      ? `${codePoints.slice(0, MAX_QUOTED_TOKEN_CHARS).join('')}…`
      : codePoints.join('');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point
  return `“${shown.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\uFFFD')}”`;
}

/** Slack sends `&`, `<` and `>` typed by a person as HTML entities; its own markup stays literal. */
function decodeSlackEntities(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

type Unwrapped = { ok: true; value: string } | { ok: false; reason: string };

/**
 * Turns what Slack delivers for one word into the hostname-ish text inside it:
 * `<http://app.example.com|app.example.com>` (Slack's autolink for a typed domain) and a pasted
 * `https://app.example.com/path` both become `app.example.com`. Mentions, channels and email
 * links are refused with a reason instead of being validated as names.
 */
function unwrapToken(token: string): Unwrapped {
  let value = token;
  const link = /^<([^<>]*)>$/.exec(value);
  if (link !== null) {
    const inner = link[1] ?? '';
    if (/^[!@#]/.test(inner)) {
      return { ok: false, reason: 'That is a Slack mention or channel, not a hostname.' };
    }
    const bar = inner.indexOf('|');
    value = bar === -1 ? inner : inner.slice(0, bar);
  }
  value = decodeSlackEntities(value);
  if (/^mailto:/i.test(value)) return { ok: false, reason: 'That is an email address, not a hostname.' };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value);
  if (scheme !== null) {
    const protocol = (scheme[1] ?? '').toLowerCase();
    if (protocol !== 'http' && protocol !== 'https') {
      return { ok: false, reason: 'Paste a hostname or an https:// URL.' };
    }
    try {
      // WHATWG URL lowercases and punycodes the host; hostname.ts then validates the result.
      value = new URL(value).hostname;
    } catch {
      return { ok: false, reason: 'It looks like a URL but could not be read as one.' };
    }
  }
  return { ok: true, value };
}

type HostnameArgument = { ok: true; hostname: string } | { ok: false; message: string };

function hostnameArgument(token: string): HostnameArgument {
  const unwrapped = unwrapToken(token);
  const display = quoteToken(decodeSlackEntities(token));
  if (!unwrapped.ok) return { ok: false, message: `${display} is not a valid hostname: ${unwrapped.reason}` };
  const parsed = parseHostname(unwrapped.value);
  if (!parsed.ok) return { ok: false, message: `${display} is not a valid hostname: ${parsed.reason}` };
  return { ok: true, hostname: parsed.hostname };
}

type ZoneArgumentResult = { ok: true; zone: ZoneArgument } | { ok: false; message: string };

function zoneArgument(token: string): ZoneArgumentResult {
  const display = quoteToken(decodeSlackEntities(token));
  const unwrapped = unwrapToken(token);
  if (!unwrapped.ok) return { ok: false, message: `${display} is not a zone: ${unwrapped.reason}` };
  const asId = parseZoneId(unwrapped.value);
  if (asId.ok) return { ok: true, zone: { kind: 'id', id: asId.zoneId } };
  const asName = parseZoneName(unwrapped.value);
  if (asName.ok) return { ok: true, zone: { kind: 'name', name: asName.zoneName } };
  return {
    ok: false,
    message: `${display} is neither a zone id (32 hexadecimal characters) nor a zone name: ${asName.reason}`,
  };
}

type RouteNameArgument = { ok: true; route: string } | { ok: false; message: string };

/** A route name as configured (`routes[].name`); typed case-insensitively. */
function routeNameArgument(token: string): RouteNameArgument {
  const name = decodeSlackEntities(token).toLowerCase();
  if (ROUTE_NAME_PATTERN.test(name)) return { ok: true, route: name };
  return {
    ok: false,
    message: `${quoteToken(decodeSlackEntities(token))} is not a route name (lowercase letters, digits and hyphens, as in the config's routes).`,
  };
}

function invalid(message: string): Command {
  return { kind: 'invalid', message, usage: true };
}

function tooMany(expected: string, got: number): Command {
  return invalid(`Too many arguments: expected ${expected}, got ${got}.`);
}

/** `<hostname> [zone]`, shared by a lookup and `watch`. */
function hostnameAndZone(
  words: string[],
  build: (hostname: string, zone: ZoneArgument | null) => Command,
  expected: string,
): Command {
  if (words.length > 2) return tooMany(expected, words.length);
  const [hostToken, zoneToken] = words;
  if (hostToken === undefined) return invalid(`Missing the hostname: expected ${expected}.`);
  const host = hostnameArgument(hostToken);
  if (!host.ok) return invalid(host.message);
  if (zoneToken === undefined) return build(host.hostname, null);
  const zone = zoneArgument(zoneToken);
  if (!zone.ok) return invalid(zone.message);
  return build(host.hostname, zone.zone);
}

/**
 * Parses the text after `/aop-status`. Keywords are case-insensitive; anything that is not a
 * keyword is a hostname lookup. Empty text means help. Error messages are plain text that may
 * quote up to 100 characters of the input, so render them escaped.
 *
 * @example parseCommandText('app.example.com example.com') // { kind: 'lookup', hostname: 'app.example.com', zone: { kind: 'name', name: 'example.com' } }
 * @example parseCommandText('<http://app.example.com|app.example.com>') // { kind: 'lookup', hostname: 'app.example.com', zone: null }
 * @example parseCommandText('LIST') // { kind: 'list', route: null }
 * @example parseCommandText('route a.pay.example.com') // { kind: 'route', hostname: 'a.pay.example.com', zone: null }
 */
export function parseCommandText(text: string): Command {
  if (typeof text !== 'string') return { kind: 'help' };
  if (text.length > MAX_COMMAND_TEXT_CHARS) {
    return invalid(
      `The command text is ${text.length} characters long; expected a hostname and an optional zone.`,
    );
  }
  const words = text.split(/\s+/).filter((word) => word !== '');
  const [first, ...rest] = words;
  if (first === undefined) return { kind: 'help' };
  const keyword = first.toLowerCase();

  if (keyword === 'help') return { kind: 'help' };
  if (keyword === 'list' || keyword === 'subscribe' || keyword === 'unsubscribe') {
    if (rest.length > 1) return tooMany(`${keyword} [route]`, rest.length);
    const [routeToken] = rest;
    if (routeToken === undefined) return { kind: keyword, route: null };
    const route = routeNameArgument(routeToken);
    return route.ok ? { kind: keyword, route: route.route } : invalid(route.message);
  }
  if (keyword === 'route') {
    return hostnameAndZone(
      rest,
      (hostname, zone) => ({ kind: 'route', hostname, zone }),
      'route <hostname> [zone name or id]',
    );
  }
  if (isNoArgumentKeyword(keyword)) {
    if (rest.length > 0) return invalid(`“${keyword}” takes no arguments, got ${rest.length}.`);
    return { kind: keyword };
  }
  if (keyword === 'watch') {
    return hostnameAndZone(
      rest,
      (hostname, zone) => ({ kind: 'watch', hostname, zone }),
      'watch <hostname> [zone name or id]',
    );
  }
  if (keyword === 'unwatch') {
    if (rest.length > 1) return tooMany('unwatch <hostname>', rest.length);
    const [hostToken] = rest;
    if (hostToken === undefined) return invalid('Missing the hostname: expected unwatch <hostname>.');
    const host = hostnameArgument(hostToken);
    return host.ok ? { kind: 'unwatch', hostname: host.hostname } : invalid(host.message);
  }

  // A single plain word with no dot is far more likely a mistyped keyword than a hostname.
  if (words.length === 1 && /^[a-z]+$/i.test(first)) {
    return invalid(`${quoteToken(first)} is neither a command nor a hostname.`);
  }
  return hostnameAndZone(
    words,
    (hostname, zone) => ({ kind: 'lookup', hostname, zone }),
    '<hostname> [zone name or id]',
  );
}
