/**
 * Links that open a message or a home tab in Slack's Block Kit Builder, so a person sees exactly
 * how Slack renders it. The Builder reads the surface from the URL fragment: the JSON payload
 * (`{"blocks":[…]}` for a message, `{"type":"home","blocks":[…]}` for a home tab),
 * percent-encoded. The fragment never reaches a server, so nothing in it is sent anywhere by
 * opening the link. Pure.
 */

export const BLOCK_KIT_BUILDER_URL = 'https://app.slack.com/block-kit-builder/#';

/**
 * Longer links are not made: browsers, terminals and chat tools start truncating URLs past a few
 * thousand characters, and 8,000 is the size RFC 9110 asks every HTTP component to support.
 */
export const MAX_BUILDER_LINK_CHARS = 8_000;

export type BuilderSurface =
  | { type: 'message'; blocks: readonly unknown[] }
  | { type: 'home'; blocks: readonly unknown[] };

export type BuilderLink =
  | { ok: true; url: string }
  | { ok: false; reason: 'no_blocks' }
  | { ok: false; reason: 'too_long'; lengthChars: number; maxChars: number };

/**
 * Characters RFC 3986 allows as they are in a fragment that `encodeURIComponent` escapes anyway.
 * Leaving the common JSON ones readable keeps links shorter (Slack's own documentation links do
 * the same with `:` and `,`); `decodeURIComponent` reads both forms.
 */
const FRAGMENT_SAFE = new Map([
  ['%3A', ':'],
  ['%2C', ','],
  ['%2F', '/'],
  ['%40', '@'],
]);

function payloadOf(surface: BuilderSurface): Record<string, unknown> {
  return surface.type === 'home' ? { type: 'home', blocks: surface.blocks } : { blocks: surface.blocks };
}

/**
 * The Block Kit Builder link for a message or home tab, or why there is none.
 *
 * @example blockKitBuilderLink({ type: 'message', blocks: [{ type: 'divider' }] })
 * // { ok: true, url: 'https://app.slack.com/block-kit-builder/#%7B%22blocks%22:%5B%7B%22type%22:%22divider%22%7D%5D%7D' }
 */
export function blockKitBuilderLink(
  surface: BuilderSurface,
  options: { maxChars?: number } = {},
): BuilderLink {
  if (surface.blocks.length === 0) return { ok: false, reason: 'no_blocks' };
  const maxChars = options.maxChars ?? MAX_BUILDER_LINK_CHARS;
  const encoded = encodeURIComponent(JSON.stringify(payloadOf(surface))).replace(
    /%3A|%2C|%2F|%40/g,
    (percentEscape) => FRAGMENT_SAFE.get(percentEscape) ?? percentEscape,
  );
  const url = `${BLOCK_KIT_BUILDER_URL}${encoded}`;
  if (url.length > maxChars) return { ok: false, reason: 'too_long', lengthChars: url.length, maxChars };
  return { ok: true, url };
}

/**
 * Reads a Builder link back into the payload it carries; null for anything else.
 *
 * @example decodeBlockKitBuilderLink(link.url) // { blocks: [{ type: 'divider' }] }
 */
export function decodeBlockKitBuilderLink(url: string): Record<string, unknown> | null {
  if (!url.startsWith(BLOCK_KIT_BUILDER_URL)) return null;
  try {
    const parsed: unknown = JSON.parse(decodeURIComponent(url.slice(BLOCK_KIT_BUILDER_URL.length)));
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** One line for a terminal: the link, or why there is none. */
export function describeBuilderLink(link: BuilderLink): string {
  if (link.ok) return `Open in Block Kit Builder: ${link.url}`;
  if (link.reason === 'no_blocks') return 'Text only, no blocks: nothing to open in Block Kit Builder.';
  return (
    `Too long to link to Block Kit Builder (${link.lengthChars.toLocaleString('en-US')} characters; ` +
    `links stop at ${link.maxChars.toLocaleString('en-US')}).`
  );
}
