/**
 * Block Kit messages as plain terminal text, for the command line (`npm run cli`) and the demo
 * (`npm run demo`). Pure: a message in, a string out. It reads blocks structurally, so it renders
 * what our renderers return and what the local Slack stand-in recorded (parsed JSON) alike.
 *
 * mrkdwn becomes plain text: mentions and links are spelled out, `&lt; &gt; &amp;` are unescaped,
 * the `*bold*`, `_italic_` and `~strike~` markers are dropped, code spans keep their content, and
 * the emoji shortcodes our renderers use become emoji. The look-alike characters `literal()` puts
 * into untrusted values (∗ ˍ ∼ ˋ) are turned back, so `*.example.com` prints as typed.
 */

export interface TerminalTextOptions {
  /** `unicode` (default): the shortcodes in EMOJI_BY_SHORTCODE become emoji; `shortcode`: kept as typed. */
  emoji?: 'unicode' | 'shortcode';
  /** Show action rows as `[Refresh] [Share in channel]` (default true). False where nothing can be clicked. */
  showActions?: boolean;
}

/** Anything with a fallback text and, optionally, blocks: a RenderedMessage or a recorded Slack call. */
export interface TerminalMessage {
  text?: string | undefined;
  blocks?: readonly unknown[] | undefined;
}

/** The shortcodes the renderers use, as emoji. Others stay as `:shortcode:`. */
export const EMOJI_BY_SHORTCODE: Readonly<Record<string, string>> = {
  red_circle: '🔴',
  large_orange_circle: '🟠',
  grey_question: '❔',
  large_blue_circle: '🔵',
  large_green_circle: '🟢',
  warning: '⚠️',
  white_check_mark: '✅',
  alarm_clock: '⏰',
  rotating_light: '🚨',
  eyes: '👀',
  zzz: '💤',
  hourglass_flowing_sand: '⏳',
  scissors: '✂️',
  thread: '🧵',
  arrows_counterclockwise: '🔄',
};

const DIVIDER = '─'.repeat(40);

/** Undoes `literal()`'s look-alikes (src/render/mrkdwn.ts); safe once formatting is gone. */
const LOOKALIKES: ReadonlyArray<[string, string]> = [
  ['\u2217', '*'],
  ['\u02CD', '_'],
  ['\u223C', '~'],
  ['\u02CB', '`'],
];

function unescapeEntities(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function restoreLookalikes(text: string): string {
  let restored = text;
  for (const [lookalike, original] of LOOKALIKES) restored = restored.replaceAll(lookalike, original);
  return restored;
}

function replaceEmoji(text: string, options: TerminalTextOptions): string {
  if (options.emoji === 'shortcode') return text;
  return text.replace(/:([a-z0-9_+-]+):/g, (whole, name: string) => EMOJI_BY_SHORTCODE[name] ?? whole);
}

/** `<@U123>`, `<!here>`, `<!subteam^S1|@team>`, `<#C1|name>`, `<https://x|label>` in words. */
function spellOutSpecial(inner: string): string {
  const bar = inner.indexOf('|');
  const target = bar === -1 ? inner : inner.slice(0, bar);
  const label = bar === -1 ? null : inner.slice(bar + 1);
  if (target.startsWith('@')) return label === null ? target : `@${label.replace(/^@/, '')}`;
  if (target.startsWith('#')) return label === null ? target : `#${label.replace(/^#/, '')}`;
  if (target.startsWith('!')) {
    if (label !== null) return label;
    const [keyword = '', id] = target.slice(1).split('^');
    return id === undefined ? `@${keyword}` : `@${id}`;
  }
  const url = target.replace(/^mailto:/, '');
  if (label === null || label === url || label === url.replace(/^https?:\/\//, '')) return url;
  return `${label} (${url})`;
}

/**
 * Drops one kind of emphasis marker where Slack would treat it as one: at word edges, around
 * text that neither starts nor ends with a space. `pending_deployment` keeps its underscore.
 */
function stripMarker(text: string, marker: '*' | '_' | '~'): string {
  const m = marker === '*' ? '\\*' : marker;
  const pattern = new RegExp(
    `(^|[^\\p{L}\\p{N}${m}])${m}([^\\s${m}](?:[^${m}\\n]*?[^\\s${m}])?)${m}(?![\\p{L}\\p{N}])`,
    'gu',
  );
  let previous: string;
  let current = text;
  do {
    previous = current;
    current = current.replace(pattern, '$1$2');
  } while (current !== previous);
  return current;
}

/** mrkdwn outside code spans. */
function plainFromFormatted(text: string, options: TerminalTextOptions): string {
  let result = text.replace(/<([^<>\n]*)>/g, (_whole, inner: string) => spellOutSpecial(inner));
  result = replaceEmoji(result, options);
  for (const marker of ['*', '_', '~'] as const) result = stripMarker(result, marker);
  return restoreLookalikes(unescapeEntities(result));
}

/**
 * Slack mrkdwn as plain text: code spans keep their content verbatim (without the backticks),
 * everything else loses its formatting markers, links and mentions are written out.
 *
 * @example mrkdwnToPlainText('*Expires*\n2026-12-01 (in 5 days) · `pending_deployment` &amp; :warning:')
 * // 'Expires\n2026-12-01 (in 5 days) · pending_deployment & ⚠️'
 */
export function mrkdwnToPlainText(text: string, options: TerminalTextOptions = {}): string {
  const parts: string[] = [];
  const code = /```([\s\S]*?)```|`([^`\n]+)`/g;
  let last = 0;
  for (let match = code.exec(text); match !== null; match = code.exec(text)) {
    parts.push(plainFromFormatted(text.slice(last, match.index), options));
    parts.push(restoreLookalikes(unescapeEntities(match[1] ?? match[2] ?? '')));
    last = match.index + match[0].length;
  }
  parts.push(plainFromFormatted(text.slice(last), options));
  return parts.join('');
}

/** plain_text objects: no formatting, but emoji shortcodes (emoji: true) and our escaping apply. */
function plainTextToTerminal(text: string, options: TerminalTextOptions): string {
  return restoreLookalikes(unescapeEntities(replaceEmoji(text, options)));
}

function record(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

/** A Block Kit text object (`mrkdwn` or `plain_text`) as terminal text; '' for anything else. */
function textObject(value: unknown, options: TerminalTextOptions): string {
  const object = record(value);
  if (object === null || typeof object.text !== 'string') return '';
  return object.type === 'mrkdwn'
    ? mrkdwnToPlainText(object.text, options)
    : plainTextToTerminal(object.text, options);
}

/** Terminal columns a string takes, near enough for an underline: emoji count two, joiners none. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const character of text) {
    const codePoint = character.codePointAt(0) ?? 0;
    if (codePoint === 0xfe0f || codePoint === 0x200d) continue;
    width += codePoint >= 0x1f000 || (codePoint >= 0x2600 && codePoint <= 0x27bf) ? 2 : 1;
  }
  return width;
}

/**
 * A field written as `*Label*\nvalue` becomes `Label: value`, further value lines indented under
 * the first; any other field is printed as it reads.
 */
function fieldLines(field: unknown, options: TerminalTextOptions): string[] {
  const object = record(field);
  const raw = object && typeof object.text === 'string' ? object.text : '';
  const labelled = object?.type === 'mrkdwn' ? /^\*([^*\n]+)\*\n([\s\S]*)$/.exec(raw) : null;
  if (labelled === null) return textObject(field, options).split('\n');
  const label = mrkdwnToPlainText(labelled[1] ?? '', options);
  const [first = '', ...rest] = mrkdwnToPlainText(labelled[2] ?? '', options).split('\n');
  const indent = ' '.repeat(displayWidth(label) + 2);
  return [`${label}: ${first}`, ...rest.map((line) => `${indent}${line}`)];
}

function elementLabel(element: unknown, options: TerminalTextOptions): string {
  const object = record(element);
  if (object === null) return '';
  const text = textObject(object.text, options) || textObject(object.placeholder, options);
  if (text !== '') return `[${text}]`;
  if (object.type === 'image' && typeof object.alt_text === 'string') return `[image: ${object.alt_text}]`;
  return `[${String(object.type ?? 'element')}]`;
}

/** Every text object inside a block we do not know, in order, so nothing is lost silently. */
function anyTexts(value: unknown, options: TerminalTextOptions): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => anyTexts(item, options));
  const object = record(value);
  if (object === null) return [];
  if (typeof object.text === 'string') return [textObject(object, options) || object.text];
  return Object.values(object).flatMap((item) => anyTexts(item, options));
}

function blockLines(block: unknown, options: TerminalTextOptions): string[] {
  const object = record(block);
  if (object === null) return [];
  switch (object.type) {
    case 'header': {
      const title = textObject(object.text, options);
      return [title, '═'.repeat(Math.max(3, displayWidth(title)))];
    }
    case 'section': {
      const lines: string[] = [];
      const text = textObject(object.text, options);
      if (text.trim() !== '') lines.push(...text.split('\n'));
      if (Array.isArray(object.fields)) {
        for (const field of object.fields) lines.push(...fieldLines(field, options));
      }
      if (object.accessory !== undefined && options.showActions !== false) {
        lines.push(elementLabel(object.accessory, options));
      }
      return lines;
    }
    case 'context': {
      const elements = Array.isArray(object.elements) ? object.elements : [];
      const texts = elements
        .map((element) => {
          const item = record(element);
          if (item?.type === 'image') return typeof item.alt_text === 'string' ? `[${item.alt_text}]` : '';
          return textObject(element, options);
        })
        .filter((text) => text.trim() !== '');
      return texts.length === 0 ? [] : [texts.join(' · ')];
    }
    case 'actions': {
      if (options.showActions === false) return [];
      const elements = Array.isArray(object.elements) ? object.elements : [];
      const labels = elements.map((element) => elementLabel(element, options)).filter(Boolean);
      return labels.length === 0 ? [] : [labels.join(' ')];
    }
    case 'divider':
      return [DIVIDER];
    case 'image':
      return [`[image: ${typeof object.alt_text === 'string' ? object.alt_text : 'no description'}]`];
    default:
      return anyTexts(object, options).flatMap((text) => text.split('\n'));
  }
}

/**
 * A Block Kit message as readable terminal text: a header underlined, sections as lines, fields
 * as `Label: value`, context on one line joined by ` · `, buttons as `[Refresh] [Share in channel]`,
 * dividers as a rule; blocks separated by a blank line. Without blocks, the fallback text.
 *
 * @example
 * blocksToTerminalText(renderStatusCard(result, { timeZone: 'UTC', now, shareable: true }))
 * // '🟢 app.example.com\n═══════════════════\n\nOK\n• 🟢 Certificate valid for 90 more days\n…'
 */
export function blocksToTerminalText(message: TerminalMessage, options: TerminalTextOptions = {}): string {
  const blocks = message.blocks ?? [];
  const rendered = blocks
    .map((block) => blockLines(block, options).map((line) => line.trimEnd()))
    .filter((lines) => lines.length > 0)
    .map((lines) => lines.join('\n'));
  if (rendered.length === 0) return mrkdwnToPlainText(message.text ?? '', options).trimEnd();
  return rendered.join('\n\n');
}
