/**
 * Hostname, zone name and zone id validation for everything a person types or a button carries.
 * Pure: Unicode names are converted with `node:url` `domainToASCII`, which does no lookup.
 */
import { domainToASCII, domainToUnicode } from 'node:url';

export type HostnameParseResult = { ok: true; hostname: string } | { ok: false; reason: string };
export type ZoneIdParseResult = { ok: true; zoneId: string } | { ok: false; reason: string };
export type ZoneNameParseResult = { ok: true; zoneName: string } | { ok: false; reason: string };

export const MAX_HOSTNAME_CHARS = 253;
export const MAX_LABEL_CHARS = 63;

/**
 * Inputs longer than this are rejected before any other work, so hostile text costs nothing.
 * Generous on purpose: a Unicode name can be much shorter than its 253-character ASCII form
 * but never longer than this.
 */
const MAX_RAW_INPUT_CHARS = 1024;

const LABEL_PATTERN = /^[a-z0-9-]+$/;
const ZONE_ID_PATTERN = /^[0-9a-f]{32}$/;
/** The last label of an IPv4 address in any notation WHATWG URL accepts (decimal or 0x-hex). */
const NUMERIC_LABEL_PATTERN = /^(?:0x[0-9a-f]*|[0-9]+)$/;
/**
 * Characters allowed before IDN conversion: ASCII letters, digits, hyphen and dot, plus Unicode
 * letters, marks and numbers, plus the three full stops UTS #46 maps to '.'. Anything else
 * (slashes, colons, spaces, format characters such as U+200B) is rejected up front, because
 * `domainToASCII` would otherwise silently drop it: `domainToASCII('a/b') === 'a'`.
 */
const ALLOWED_RAW_CHARS = /^[a-z0-9.\-\p{L}\p{M}\p{N}\u3002\uFF0E\uFF61]*$/u;

/**
 * A label is fine unless it claims to be punycode (`xn--`) and is not the exact encoding of a
 * Unicode label. The round trip is needed because Node's IDNA conversion differs between majors:
 * Node 20 returns '' for 'xn--zz' while Node 24 returns it unchanged, and both decode 'xn--abc-'
 * to plain 'abc', which is no A-label at all.
 */
function isValidPunycodeLabel(label: string): boolean {
  if (!label.startsWith('xn--')) return true;
  const unicode = domainToUnicode(label);
  return unicode !== '' && !unicode.startsWith('xn--') && domainToASCII(unicode) === label;
}

function quoteLabel(label: string): string {
  const codePoints = Array.from(label);
  return codePoints.length > 40 ? `“${codePoints.slice(0, 39).join('')}…”` : `“${label}”`;
}

/** Checks one already-ASCII, lowercased name made of labels (no wildcard). */
function checkAsciiLabels(name: string): string | null {
  const labels = name.split('.');
  for (const label of labels) {
    if (label.length === 0) return 'It has an empty label (two dots in a row, or a leading dot).';
    if (label.length > MAX_LABEL_CHARS) {
      return `The label ${quoteLabel(label)} is ${label.length} characters long; the limit is ${MAX_LABEL_CHARS}.`;
    }
    if (!LABEL_PATTERN.test(label)) {
      return `The label ${quoteLabel(label)} may contain only letters, digits and hyphens.`;
    }
    if (label.startsWith('-') || label.endsWith('-')) {
      return `The label ${quoteLabel(label)} may not start or end with a hyphen.`;
    }
  }
  if (labels.length < 2) return 'A hostname needs at least two labels, e.g. app.example.com.';
  const last = labels[labels.length - 1] ?? '';
  if (NUMERIC_LABEL_PATTERN.test(last)) return 'IP addresses are not supported; use the hostname.';
  return null;
}

/**
 * Validates and normalises a hostname: trims, lowercases, drops one trailing dot, converts a
 * Unicode name to its ASCII (punycode) form, and allows a leading `*.` wildcard. Rejects IP
 * addresses, ports, paths and names with fewer than two labels. `reason` is a sentence for the
 * person who typed the name; it may quote part of the input, so render it escaped.
 *
 * @example parseHostname(' App.Example.COM. ') // { ok: true, hostname: 'app.example.com' }
 * @example parseHostname('bücher.example') // { ok: true, hostname: 'xn--bcher-kva.example' }
 * @example parseHostname('10.0.0.1') // { ok: false, reason: 'IP addresses are not supported; use the hostname.' }
 */
export function parseHostname(input: string): HostnameParseResult {
  if (typeof input !== 'string') return { ok: false, reason: 'A hostname must be text.' };
  if (input.length > MAX_RAW_INPUT_CHARS) {
    return { ok: false, reason: `A hostname is at most ${MAX_HOSTNAME_CHARS} characters long.` };
  }
  let name = input.trim().toLowerCase();
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name === '') return { ok: false, reason: 'Enter a hostname, e.g. app.example.com.' };

  let wildcard = false;
  if (name.startsWith('*.')) {
    wildcard = true;
    name = name.slice(2);
  }
  if (name.includes('*')) {
    return { ok: false, reason: 'A wildcard is allowed only as the whole first label, e.g. *.example.com.' };
  }
  if (name.includes(':') || name.startsWith('[')) {
    return { ok: false, reason: 'Enter a hostname without a port; IP addresses are not supported.' };
  }
  if (name.includes('/') || name.includes('\\') || name.includes('@') || name.includes('?')) {
    return { ok: false, reason: 'Enter only the hostname, without a scheme, path or user name.' };
  }
  if (!ALLOWED_RAW_CHARS.test(name)) {
    return { ok: false, reason: 'A hostname may contain only letters, digits, hyphens and dots.' };
  }

  // Only non-ASCII input goes through domainToASCII: for ASCII it would also rewrite numeric
  // forms such as '0x7f.1' into '127.0.0.1', and the checks below want to see what was typed.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the range is "every ASCII character"
  if (!/^[\u0000-\u007f]*$/.test(name)) {
    const ascii = domainToASCII(name);
    if (ascii === '') return { ok: false, reason: 'It is not a valid internationalised domain name.' };
    name = ascii;
  }

  const problem = checkAsciiLabels(name);
  if (problem !== null) return { ok: false, reason: problem };
  if (!name.split('.').every(isValidPunycodeLabel)) {
    return { ok: false, reason: 'It is not a valid internationalised domain name.' };
  }

  const hostname = wildcard ? `*.${name}` : name;
  if (hostname.length > MAX_HOSTNAME_CHARS) {
    return {
      ok: false,
      reason: `It is ${hostname.length} characters long; a hostname is at most ${MAX_HOSTNAME_CHARS}.`,
    };
  }
  return { ok: true, hostname };
}

/**
 * A zone name is a hostname without a wildcard.
 *
 * @example parseZoneName('Example.com') // { ok: true, zoneName: 'example.com' }
 */
export function parseZoneName(input: string): ZoneNameParseResult {
  const parsed = parseHostname(input);
  if (!parsed.ok) return { ok: false, reason: parsed.reason };
  if (parsed.hostname.startsWith('*.')) {
    return { ok: false, reason: 'A zone name cannot be a wildcard.' };
  }
  return { ok: true, zoneName: parsed.hostname };
}

/**
 * A Cloudflare zone id: exactly 32 hexadecimal characters, returned lowercased.
 *
 * @example parseZoneId('023E105F4ECEF8AD9CA31A8372D0C353') // { ok: true, zoneId: '023e105f4ecef8ad9ca31a8372d0c353' }
 */
export function parseZoneId(input: string): ZoneIdParseResult {
  if (typeof input !== 'string') return { ok: false, reason: 'A zone id must be text.' };
  const zoneId = input.trim().toLowerCase();
  if (!ZONE_ID_PATTERN.test(zoneId)) {
    return { ok: false, reason: 'A zone id is exactly 32 hexadecimal characters.' };
  }
  return { ok: true, zoneId };
}

/** True when `input` is a zone id as `parseZoneId` accepts it. */
export function isZoneId(input: string): boolean {
  return parseZoneId(input).ok;
}

/**
 * The zone-name candidates for a hostname, most specific first, for resolving its zone with
 * `GET /zones?name=`. Never includes a bare top-level label; a wildcard's `*` label is dropped.
 * Expects a hostname `parseHostname` returned.
 *
 * @example parentSuffixes('a.b.example.com') // ['a.b.example.com', 'b.example.com', 'example.com']
 * @example parentSuffixes('*.x.example.com') // ['x.example.com', 'example.com']
 */
export function parentSuffixes(hostname: string): string[] {
  const name = hostname.startsWith('*.') ? hostname.slice(2) : hostname;
  const labels = name.split('.').filter((label) => label !== '');
  const suffixes: string[] = [];
  for (let start = 0; start <= labels.length - 2; start += 1) {
    suffixes.push(labels.slice(start).join('.'));
  }
  return suffixes;
}
