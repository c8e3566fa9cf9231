/**
 * Renders `/aop-status zones`: every watched zone with its account, where it comes from, the
 * hostnames watched, the hostname certificates used (n of 10) and the last check. Zones that use
 * AOP get a line each; discovered zones without AOP are named together, since a large account has
 * hundreds of them. Like `list`, the answer goes through the response_url (five posts at most), so
 * what does not fit is counted, never dropped silently.
 */
import { TZDate } from '@date-fns/tz';
import type { KnownBlock } from '@slack/types';
import { format } from 'date-fns/format';
import type { ZoneOverviewRow } from '../inventory/zone-overview.js';
import { fallbackText } from './common.js';
import { BLOCK_KIT_LIMITS } from './limits.js';
import { literal } from './mrkdwn.js';

export interface ZoneListMessage {
  text: string;
  blocks: KnownBlock[];
}

export interface RenderZoneListOptions {
  timeZone: string;
  /** How often discovered zones without AOP are checked, for the note about them (e.g. "1h"). */
  idleEvery: string | null;
  /** Default 5: what one response_url accepts. */
  maxMessages?: number;
}

const SECTION_CHARS = 2_800;
const MESSAGE_CHARS = 11_000;
const MESSAGE_BLOCKS = 45;

/**
 * @example renderZoneList(rows, { timeZone: 'Europe/Berlin', idleEvery: '1h' })[0].text
 * // 'Watched zones: 259 in 3 accounts'
 */
export function renderZoneList(
  rows: readonly ZoneOverviewRow[],
  options: RenderZoneListOptions,
): ZoneListMessage[] {
  if (rows.length === 0) {
    const text =
      'No zone is watched: list zones under `zones:` in the config file, add `discover:`, or watch a hostname with `/aop-status watch <hostname>`.';
    return [{ text: fallbackText(text), blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] }];
  }
  const accounts = new Map<string, number>();
  for (const row of rows) accounts.set(row.account, (accounts.get(row.account) ?? 0) + 1);
  const bySource = (source: ZoneOverviewRow['source']) => rows.filter((row) => row.source === source).length;
  const sources = (['configured', 'discovered', 'watched'] as const)
    .map((source) => [source, bySource(source)] as const)
    .filter(([, count]) => count > 0)
    .map(
      ([source, count]) =>
        `${formatCount(count)} ${source === 'watched' ? 'from watched hostnames' : source}`,
    );
  const idle = rows.filter((row) => row.idle);
  const title = `Watched zones: ${formatCount(rows.length)} in ${plural(accounts.size, 'account')}`;
  const headline = [
    `*${title}* (${sources.join(', ')}): ${[...accounts.entries()].map(([name, count]) => `${literal(name)} ${formatCount(count)}`).join(', ')}.`,
    idle.length > 0
      ? `${plural(idle.length, 'discovered zone')} without AOP ${idle.length === 1 ? 'is' : 'are'} checked once per discovery interval${options.idleEvery ? ` (${literal(options.idleEvery)})` : ''}, not on every run.`
      : '',
  ]
    .filter(Boolean)
    .join(' ');

  const lines = rows.filter((row) => !row.idle).map((row) => zoneLine(row, options));
  if (idle.length > 0) {
    lines.push(`*Without AOP* (${plural(idle.length, 'zone')}):`);
    lines.push(
      ...nameChunks(idle.map((row) => `${literal(row.zone.name ?? row.zone.id)} (${literal(row.account)})`)),
    );
  }
  return packMessages(headline, lines, title, options.maxMessages ?? 5);
}

function zoneLine(row: ZoneOverviewRow, options: RenderZoneListOptions): string {
  const certificates =
    row.hostnameCertificatesUsed === null
      ? 'hostname certificates not read yet'
      : `${row.hostnameCertificatesUsed} of ${row.hostnameCertificatesLimit} hostname certificates`;
  const checked =
    row.lastCheckedAt === null
      ? 'not checked yet'
      : `checked ${formatDateTime(row.lastCheckedAt, options.timeZone)}${row.failureCode === null ? '' : ` (failed: \`${literal(row.failureCode)}\`)`}`;
  return `• *${literal(row.zone.name ?? row.zone.id)}* · \`${literal(row.account)}\` · ${row.source} · ${plural(row.hostnamesWatched, 'hostname')} · ${certificates} · ${checked}`;
}

/** Names joined with commas, in pieces that each fit one section. */
function nameChunks(names: readonly string[]): string[] {
  const chunks: string[] = [];
  let current = '';
  for (const name of names) {
    const next = current === '' ? name : `${current}, ${name}`;
    if (next.length > SECTION_CHARS - 10 && current !== '') {
      chunks.push(current);
      current = name;
    } else {
      current = next;
    }
  }
  if (current !== '') chunks.push(current);
  return chunks;
}

/** Lines into sections, sections into messages; what does not fit in `maxMessages` is counted. */
function packMessages(
  headline: string,
  lines: string[],
  title: string,
  maxMessages: number,
): ZoneListMessage[] {
  const messages: KnownBlock[][] = [[section(headline)]];
  let chars = headline.length;
  let sectionText = '';
  let shown = 0;
  const flush = (): boolean => {
    if (sectionText === '') return true;
    let blocks = messages[messages.length - 1] ?? [];
    if (chars + sectionText.length > MESSAGE_CHARS || blocks.length + 1 > MESSAGE_BLOCKS) {
      if (messages.length >= maxMessages) return false;
      blocks = [];
      messages.push(blocks);
      chars = 0;
    }
    blocks.push(section(sectionText));
    chars += sectionText.length;
    sectionText = '';
    return true;
  };
  let stopped = false;
  for (const line of lines) {
    const next = sectionText === '' ? line : `${sectionText}\n${line}`;
    if (next.length > SECTION_CHARS && !flush()) {
      stopped = true;
      break;
    }
    sectionText = sectionText === '' ? line : next.length > SECTION_CHARS ? line : next;
    shown += 1;
  }
  if (!stopped && !flush()) stopped = true;
  if (stopped) {
    const left = lines.length - shown + (sectionText === '' ? 0 : sectionText.split('\n').length);
    messages[messages.length - 1]?.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `…and ${plural(left, 'more line')} not shown (Slack takes ${maxMessages} answers to one command); \`npm run cli -- zones\` prints them all.`,
        },
      ],
    });
  }
  return messages.map((blocks, index) => ({
    text: fallbackText(messages.length === 1 ? title : `${title} (part ${index + 1} of ${messages.length})`),
    blocks,
  }));
}

function section(text: string): KnownBlock {
  return {
    type: 'section',
    text: { type: 'mrkdwn', text: text.slice(0, BLOCK_KIT_LIMITS.sectionTextChars) },
  };
}

function formatDateTime(date: Date, timeZone: string): string {
  return format(new TZDate(date.getTime(), timeZone), 'd MMM HH:mm');
}

function formatCount(count: number): string {
  return count.toLocaleString('en-US');
}

function plural(count: number, singular: string): string {
  return `${formatCount(count)} ${count === 1 ? singular : `${singular}s`}`;
}
