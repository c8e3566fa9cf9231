/**
 * The App Home tab: the overview from src/home/model.ts as a `home` view for `views.publish`.
 * Pure: the overview, the time zone and the clock in, the view out. Stays within a home view's
 * 100 blocks however many threads are open: threads past the budget become one "and N more" line.
 */
import type { HomeView, KnownBlock } from '@slack/types';
import { formatDateTime } from '../domain/time.js';
import { SEVERITIES, type Severity } from '../domain/types.js';
import type {
  AlertThreadKind,
  CloudflareBudgetUse,
  DigestScheduleEntry,
  HomeOverview,
  HomeThread,
  ZoneNotChecked,
} from '../home/model.js';
import { ACTION_IDS, BLOCK_IDS } from '../slack/ids.js';
import {
  actionsBlock,
  button,
  contextBlock,
  headerBlock,
  SEVERITY_EMOJI,
  sectionBlock,
  truncateMrkdwn,
  value,
} from './common.js';
import { BLOCK_KIT_LIMITS } from './limits.js';
import { escapeMrkdwn, literal } from './mrkdwn.js';

export const HOME_CALLBACK_ID = 'aop_home';

const KIND_LABEL: Record<AlertThreadKind, string> = {
  certificate: 'Certificate',
  association: 'Association',
  zone_certificate: 'Zone certificate',
  cannot_check: 'Cannot check',
};

const SEVERITY_WORD: Record<Severity, string> = {
  critical: 'critical',
  warning: 'warning',
  unknown: 'unknown',
  info: 'info',
  ok: 'healthy',
};

/** Hostnames named on a thread's line; the rest are counted. */
const HOSTNAMES_PER_THREAD = 5;
/** Lines in the digest and zones-not-checked sections before "and N more". */
const LINES_PER_LIST = 15;
/** Blocks after the thread list: divider, digests, divider, sweep, divider, budget. */
const BLOCKS_AFTER_THREADS = 6;

/** Slack's permalinks are plain https URLs; anything else is not put inside `<…|…>`. */
const SAFE_LINK = /^https:\/\/[^\s<>|]+$/;
const CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;

function channelMention(channel: string): string {
  return CHANNEL_ID.test(channel) ? `<#${channel}>` : literal(channel);
}

function severityLine(counts: Record<Severity, number>, noun: string): string {
  const parts = SEVERITIES.filter((severity) => counts[severity] > 0).map(
    (severity) => `${SEVERITY_EMOJI[severity]} ${counts[severity]} ${SEVERITY_WORD[severity]}`,
  );
  return parts.length > 0 ? parts.join('   ') : `_No ${noun} checked yet._`;
}

function daysLeftText(thread: HomeThread): string {
  if (thread.daysLeft === null) return 'expiry unknown';
  if (thread.daysLeft < 0)
    return thread.daysLeft === -1 ? 'expired 1 day ago' : `expired ${-thread.daysLeft} days ago`;
  if (thread.daysLeft === 0) return 'expires today';
  return thread.daysLeft === 1 ? '1 day left' : `${thread.daysLeft} days left`;
}

function threadBlock(thread: HomeThread): KnownBlock {
  const certificate =
    thread.certificateKey === null ? 'no certificate' : `certificate ${value(thread.certificateKey, 64)}`;
  const named = thread.hostnames.slice(0, HOSTNAMES_PER_THREAD).map((hostname) => literal(hostname));
  const more = thread.hostnames.length - named.length;
  const hostnames = `${named.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
  const link =
    thread.permalink !== null && SAFE_LINK.test(thread.permalink)
      ? `<${thread.permalink}|Open thread>`
      : `thread in ${channelMention(thread.parent.channel)}`;
  const acknowledged = thread.acknowledged ? ' · acknowledged' : '';
  const route = thread.route === null ? '' : ` · route ${literal(thread.route)}`;
  return sectionBlock(
    `${SEVERITY_EMOJI[thread.severity]} *${KIND_LABEL[thread.kind]}* · ${certificate} · ${daysLeftText(thread)}${acknowledged}\n` +
      `${truncateMrkdwn(hostnames, 1500)} · ${link}${route}`,
  );
}

function listText(title: string, lines: string[], empty: string): string {
  if (lines.length === 0) return `*${title}*\n${empty}`;
  const shown = lines.slice(0, LINES_PER_LIST);
  const more = lines.length - shown.length;
  return `*${title}*\n${shown.join('\n')}${more > 0 ? `\n…and ${more} more` : ''}`;
}

function digestLine(entry: DigestScheduleEntry, timeZone: string): string {
  const who = entry.route === null ? 'Whole inventory' : `Route ${literal(entry.route)}`;
  const where =
    entry.channels.length > 0 ? entry.channels.slice(0, 5).map(channelMention).join(', ') : 'no channel';
  const when = entry.nextAt === null ? 'not scheduled' : formatDateTime(entry.nextAt, timeZone);
  return `• ${who} → ${where}: ${when}`;
}

function zoneLine(entry: ZoneNotChecked, timeZone: string): string {
  const name = entry.zone.name ? `${literal(entry.zone.name)} (${entry.zone.id})` : entry.zone.id;
  const since =
    entry.lastCheckedAt === null ? '' : ` (tried ${formatDateTime(entry.lastCheckedAt, timeZone)})`;
  return `• ${name}: ${truncateMrkdwn(literal(entry.reason), 300)}${since}`;
}

function budgetLine(use: CloudflareBudgetUse): string {
  const who = use.account === null ? 'Cloudflare' : literal(use.account);
  const line = `• ${who}: ${use.used} of ${use.limit} requests per ${use.perSeconds} s`;
  const schedules = use.schedules;
  if (schedules === undefined) return line;
  if (schedules.fits) {
    return `${line}; the schedules need ${Math.round(schedules.neededShare * 100)}% at their busiest`;
  }
  return `${line}\n  :hourglass: ${truncateMrkdwn(escapeMrkdwn(schedules.note ?? ''), 600)}`;
}

/**
 * The Home tab view.
 *
 * @example renderHomeView(buildHomeOverview(state, now), { timeZone: 'Europe/Berlin' }).blocks.length // ≤ 100
 */
export function renderHomeView(overview: HomeOverview, options: { timeZone: string }): HomeView {
  const { timeZone } = options;
  const blocks: KnownBlock[] = [
    headerBlock('AOP overview'),
    contextBlock([
      `Updated ${formatDateTime(overview.generatedAt, timeZone)} from the stored checks; opening this tab asks nothing of Cloudflare.`,
    ]),
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Hostnames*\n${severityLine(overview.hostnames, 'hostnames')}` },
        { type: 'mrkdwn', text: `*Certificates*\n${severityLine(overview.certificates, 'certificates')}` },
      ],
    },
    actionsBlock(BLOCK_IDS.homeActions, [
      button({ text: 'Refresh', actionId: ACTION_IDS.homeRefresh, value: 'refresh' }),
    ]),
    { type: 'divider' },
  ];

  const threads = overview.openThreads;
  blocks.push(
    sectionBlock(
      threads.length === 0
        ? '*Open alert threads*\nNone: nothing is being alerted on right now.'
        : `*Open alert threads* (${threads.length})`,
    ),
  );
  // Room for the threads: the limit, minus what is already there, what follows, and one overflow line.
  const room = BLOCK_KIT_LIMITS.blocksPerHomeView - blocks.length - BLOCKS_AFTER_THREADS - 1;
  const shown = threads.slice(0, room);
  for (const thread of shown) blocks.push(threadBlock(thread));
  if (threads.length > shown.length) {
    blocks.push(
      contextBlock([`…and ${threads.length - shown.length} more open threads in the alert channels.`]),
    );
  }

  blocks.push(
    { type: 'divider' },
    sectionBlock(
      listText(
        'Next digests',
        overview.digests.map((entry) => digestLine(entry, timeZone)),
        'No digest is scheduled.',
      ),
    ),
    { type: 'divider' },
  );
  const sweep =
    overview.lastSweepAt === null
      ? 'No zone has been checked yet.'
      : `${formatDateTime(overview.lastSweepAt, timeZone)} · ${overview.zonesTotal - overview.zonesNotChecked.length} of ${overview.zonesTotal} zones checked`;
  blocks.push(
    sectionBlock(
      `*Last sweep*\n${sweep}` +
        (overview.zonesNotChecked.length === 0
          ? ''
          : `\n${listText(
              'Zones not checked',
              overview.zonesNotChecked.map((entry) => zoneLine(entry, timeZone)),
              '',
            )}`),
    ),
  );
  if (overview.cloudflareBudget !== null) {
    blocks.push(
      { type: 'divider' },
      sectionBlock(
        listText(
          'Cloudflare budget in use',
          overview.cloudflareBudget.map(budgetLine),
          'No request made in the current window.',
        ),
      ),
    );
  }
  return { type: 'home', callback_id: HOME_CALLBACK_ID, blocks };
}
