/**
 * Renders a digest run as Slack messages: one parent message with the summary and the most urgent
 * items, and, when everything does not fit, thread replies that carry the rest. Every message stays
 * within BLOCK_KIT_LIMITS, no line is cut in half and no item is left out: what the parent cannot
 * show, the thread does, and the parent says so.
 */
import { TZDate } from '@date-fns/tz';
import type { ContextBlock, DividerBlock, HeaderBlock, KnownBlock, SectionBlock } from '@slack/types';
import { format } from 'date-fns/format';
import { errorClassOf } from '../alerts/group.js';
import { digestItemEntryCount, groupDigestItems, groupUnfitCertificates } from '../digest/group.js';
import type {
  DigestInput,
  DigestItem,
  DigestSectionKey,
  DigestSections,
  UnfitCertificateItem,
} from '../digest/model.js';
import { DIGEST_SECTION_KEYS } from '../digest/model.js';
import { nameSample } from '../domain/discovery.js';
import { describeZoneQuota, isQuotaExhausted } from '../domain/quota.js';
import type { ZoneRef } from '../domain/types.js';
import { SEVERITY_EMOJI } from './common.js';
import { BLOCK_KIT_LIMITS } from './limits.js';
import { escapeMrkdwn, literal, truncate } from './mrkdwn.js';

export const DIGEST_EVENT_TYPE = 'aop_digest';

export interface DigestMessage {
  /** Notification and screen-reader fallback; always set. */
  text: string;
  blocks: KnownBlock[];
  metadata?: {
    event_type: typeof DIGEST_EVENT_TYPE;
    /** `route` is null for the whole inventory's digest (contract.md, "Messages"). */
    event_payload: Record<string, string | number | boolean | null>;
  };
  /** False for the parent (messages[0]); true for every message that goes into its thread. */
  isThreadReply: boolean;
}

export interface RenderedDigest {
  /** `all_clear` when nothing is critical, warning, unknown, disabled or unlisted. */
  kind: 'all_clear' | 'attention';
  /** messages[0] is the parent; the rest are its thread replies, in posting order. */
  messages: DigestMessage[];
}

export interface RenderDigestOptions {
  /**
   * Budget for the text of all blocks of one message. Defaults to, and is capped at,
   * BLOCK_KIT_LIMITS.messageTextBudgetChars; never below MIN_MESSAGE_TEXT_CHARS.
   */
  maxTextCharsPerMessage?: number;
  /** When the digest needs a thread, how many items (lines) the parent shows at most. Default 15. */
  maxItemsInParent?: number;
}

/** The smallest per-message budget that still holds a label, a heading, a continued group head and one line. */
export const MIN_MESSAGE_TEXT_CHARS = 3000;
const DEFAULT_MAX_ITEMS_IN_PARENT = 15;
/** No single line may exceed this, so that a heading, a repeated group head and the line always fit one section. */
const MAX_LINE_CHARS = 1000;
/** Hostname lists under a group head are wrapped into lines of at most this many characters. */
const MEMBER_LINE_MAX_CHARS = 600;
/** Room kept for the parent's "showing N of M" note, which can only be written once the split is known. */
const PARENT_NOTE_RESERVE_CHARS = 300;
/** The unfit-certificates section of the parent; what does not fit is counted, not cut. */
const FITNESS_SECTION_CHARS = 1500;
const MAX_UNFIT_CERTIFICATES_SHOWN = 5;
/** The quota line names at most this many zones, the fullest first. */
const MAX_QUOTA_ZONES_SHOWN = 5;
/** Room kept for a reply's "Part 2 of 5 — …" label, written once the number of parts is known. */
const REPLY_LABEL_RESERVE_CHARS = 300;
const MEMBER_INDENT = '\u2003\u21B3 ';

/** The same emoji the status card uses for each severity, so a colour means one thing across the bot. */
const SECTION_EMOJI: Record<DigestSectionKey, string> = {
  critical: SEVERITY_EMOJI.critical,
  warning: SEVERITY_EMOJI.warning,
  unknown: SEVERITY_EMOJI.unknown,
  disabled: SEVERITY_EMOJI.info,
};
/** How a reply's label names the sections it continues: "Part 2 of 5 — warnings continued". */
const SECTION_SHORT_NAME: Record<DigestSectionKey, string> = {
  critical: 'critical',
  warning: 'warnings',
  unknown: 'unknown',
  disabled: 'disabled',
};
const SECTION_TITLE: Record<DigestSectionKey, string> = {
  critical: 'Critical',
  warning: 'Warnings',
  unknown: 'Unknown or could not be checked',
  disabled: 'Disabled, voided or not associated',
};

/**
 * Renders one digest run.
 *
 * @example
 * const { kind, messages } = renderDigest(input);
 * const parent = await client.chat.postMessage({ channel, ...messages[0] });
 * for (const reply of messages.slice(1)) await client.chat.postMessage({ channel, thread_ts: parent.ts, ...reply });
 */
export function renderDigest(input: DigestInput, options: RenderDigestOptions = {}): RenderedDigest {
  const grouped = groupDigestItems(input);
  const budgetChars = Math.min(
    BLOCK_KIT_LIMITS.messageTextBudgetChars,
    Math.max(
      MIN_MESSAGE_TEXT_CHARS,
      options.maxTextCharsPerMessage ?? BLOCK_KIT_LIMITS.messageTextBudgetChars,
    ),
  );
  const items = DIGEST_SECTION_KEYS.flatMap((key) => grouped.sections[key]);
  if (items.length === 0) return { kind: 'all_clear', messages: [renderAllClear(input, grouped)] };

  const lines = items.flatMap((item, itemIndex) => linesForItem(item, itemIndex, input));
  const packer = new LinePacker(lines, grouped);
  const fixed = parentFixedBlocks(input, grouped);
  const fixedChars = fixed.top.concat(fixed.bottom).reduce((sum, block) => sum + blockTextChars(block), 0);
  const parentBlockBudget = BLOCK_KIT_LIMITS.blocksPerMessage - fixed.top.length - fixed.bottom.length;

  const whole = packer.packGreedy(0, { chars: budgetChars - fixedChars, blocks: parentBlockBudget });
  if (whole.nextLine === lines.length) {
    const message = parentMessage(input, grouped, fixed, whole.blocks, null, 1);
    return { kind: 'attention', messages: [message] };
  }

  const parentDraft = packer.packWholeItems(0, {
    chars: budgetChars - fixedChars - PARENT_NOTE_RESERVE_CHARS,
    blocks: parentBlockBudget - 1,
    maxItems: Math.max(0, options.maxItemsInParent ?? DEFAULT_MAX_ITEMS_IN_PARENT),
  });
  const replyDrafts: Draft[] = [];
  let nextLine = parentDraft.nextLine;
  while (nextLine < lines.length) {
    const draft = packer.packGreedy(nextLine, {
      chars: budgetChars - REPLY_LABEL_RESERVE_CHARS,
      blocks: BLOCK_KIT_LIMITS.blocksPerMessage - 1,
    });
    if (draft.nextLine === nextLine) {
      // The constants above make this unreachable; failing loudly beats looping forever.
      throw new Error(`digest line ${nextLine} does not fit an empty message`);
    }
    replyDrafts.push(draft);
    nextLine = draft.nextLine;
  }

  const partCount = 1 + replyDrafts.length;
  const totalEntries = items.reduce((sum, item) => sum + digestItemEntryCount(item), 0);
  const note = parentNote(
    parentDraft.entries,
    totalEntries,
    replyDrafts.length,
    grouped.counts.zonesNotListed > 0,
  );
  const messages = [parentMessage(input, grouped, fixed, parentDraft.blocks, note, partCount)];
  replyDrafts.forEach((draft, index) => {
    messages.push(replyMessage(input, draft, index + 2, partCount));
  });
  return { kind: 'attention', messages };
}

// ---------------------------------------------------------------------------------------------
// Lines

interface DigestLine {
  /** Escaped mrkdwn, at most MAX_LINE_CHARS. */
  text: string;
  section: DigestSectionKey;
  itemIndex: number;
  /** Hostnames (or unlisted zones) this line names, for the "showing N of M" arithmetic. */
  entries: number;
  /** For hostname-list lines under a group head: the head, repeated when the list continues in a new message. */
  continuationHead: string | null;
}

function linesForItem(item: DigestItem, itemIndex: number, input: DigestInput): DigestLine[] {
  const emoji = SECTION_EMOJI[item.section];
  const zone = `zone ${literal(zoneLabel(item))}`;
  const reason = `${literal(item.reasonText)}${item.kind === 'zone_failure' && item.errorCode !== null ? ` (${code(item.errorCode)})` : ''}`;
  const line = (text: string, entries: number, continuationHead: string | null = null): DigestLine => ({
    text: truncate(text, MAX_LINE_CHARS),
    section: item.section,
    itemIndex,
    entries,
    continuationHead,
  });

  if (item.kind === 'zone_certificate') {
    const name = `*zone certificate of ${literal(zoneLabel(item))}*`;
    if (item.certificateId === null) {
      return [
        line(
          `${emoji} *zone certificates of ${literal(zoneLabel(item))}* could not be read · ${reason}${item.errorCode !== null ? ` (${code(item.errorCode)})` : ''}`,
          1,
        ),
      ];
    }
    const use = item.zoneCertificateInUse ? ', used by every hostname without its own' : '';
    return [
      line(
        `${emoji} ${name}${use} · ${reason}${expiryClause(item, input, ' · ')} · certificate \`${literal(shortId(item.certificateId))}\``,
        1,
      ),
    ];
  }

  if (item.kind === 'zone_failure') {
    if (item.account !== undefined)
      return [line(accountFailureText(item, item.account), item.account.zones.length)];
    if (item.hostnames.length === 0) {
      return [
        line(
          `${emoji} *${literal(zoneLabel(item))}*: the zone could not be listed, so none of its hostnames were checked · ${reason}`,
          1,
        ),
      ];
    }
    const head = truncate(
      `${emoji} *${literal(zoneLabel(item))}*: the zone could not be listed, so ${plural(item.hostnames.length, 'configured hostname')} ${item.hostnames.length === 1 ? 'was' : 'were'} not checked · ${reason}`,
      MAX_LINE_CHARS,
    );
    return [line(head, 0), ...memberLines(item.hostnames).map(([text, count]) => line(text, count, head))];
  }

  const [onlyHostname] = item.hostnames;
  if (item.hostnames.length === 1 && onlyHostname !== undefined) {
    return [
      line(`${emoji} *${literal(onlyHostname)}* · ${zone} · ${reason}${expiryClause(item, input, ' · ')}`, 1),
    ];
  }
  const count = plural(item.hostnames.length, 'hostname');
  const head = truncate(
    item.certificateId === null
      ? `${emoji} ${count} · ${zone} · ${reason}${expiryClause(item, input, ' · ')}`
      : `${emoji} 1 certificate, ${count}${expiryClause(item, input, ', ')} · ${zone} · ${reason} · certificate \`${literal(shortId(item.certificateId))}\``,
    MAX_LINE_CHARS,
  );
  return [line(head, 0), ...memberLines(item.hostnames).map(([text, entries]) => line(text, entries, head))];
}

/** Zone names an account's failure line shows before "and N more". */
const ACCOUNT_ZONES_SHOWN = 3;

/**
 * One line for the zones of an account failing alike: what failed, how many zones, the first few,
 * and the error with what to do (its hint), the zone ids in it elided since it stands for them all.
 *
 * @example
 * // ':grey_question: *account edge*: token refused (`cloudflare_forbidden`), 340 zones not checked:
 * //  a.example, b.example, c.example and 337 more · Cloudflare refused access (HTTP 403 on GET /zones/…/…) … roll it …'
 */
function accountFailureText(item: DigestItem, account: NonNullable<DigestItem['account']>): string {
  const { shown, more } = nameSample(account.zones, ACCOUNT_ZONES_SHOWN);
  const what =
    errorClassOf(item.errorCode ?? '') === 'access' ? 'token refused' : 'zones could not be listed';
  const configured =
    item.hostnames.length === 0
      ? ''
      : ` (${plural(item.hostnames.length, 'configured hostname')} among them)`;
  const error = item.reasonText.replaceAll(/[0-9a-f]{32}/g, '…');
  return `${SECTION_EMOJI[item.section]} *account ${literal(account.name)}*: ${what}${item.errorCode === null ? '' : ` (${code(item.errorCode)})`}, ${plural(account.zones.length, 'zone')} not checked${configured}: ${shown.map(literal).join(', ')}${more > 0 ? ` and ${more} more` : ''} · ${literal(error)}`;
}

/** Wraps a hostname list into indented lines; a hostname is never split across lines. */
function memberLines(hostnames: string[]): Array<[text: string, hostnameCount: number]> {
  const result: Array<[string, number]> = [];
  let current: string[] = [];
  let currentChars = MEMBER_INDENT.length;
  for (const hostname of hostnames) {
    const escaped = literal(hostname);
    if (current.length > 0 && currentChars + 2 + escaped.length > MEMBER_LINE_MAX_CHARS) {
      result.push([MEMBER_INDENT + current.join(', '), current.length]);
      current = [];
      currentChars = MEMBER_INDENT.length;
    }
    currentChars += (current.length > 0 ? 2 : 0) + escaped.length;
    current.push(escaped);
  }
  if (current.length > 0) result.push([MEMBER_INDENT + current.join(', '), current.length]);
  return result;
}

function expiryClause(item: DigestItem, input: DigestInput, separator: string): string {
  if (item.expiresOn === null)
    return item.section === 'critical' || item.section === 'warning' ? `${separator}expiry unknown` : '';
  const verb = item.expiresOn.getTime() <= input.generatedAt.getTime() ? 'expired' : 'expires';
  return `${separator}${verb} ${formatDay(item.expiresOn, input.timeZone)}`;
}

function sectionHeading(key: DigestSectionKey, sections: DigestSections, continued: boolean): string {
  const title = `*${SECTION_EMOJI[key]} ${SECTION_TITLE[key]}${continued ? ' (continued)' : ''}*`;
  if (continued) return title;
  const items = sections.sections[key];
  const hostnames = items.reduce((sum, item) => sum + item.hostnames.length, 0);
  const unlistedZones = items.reduce(
    (sum, item) =>
      sum +
      (item.account !== undefined
        ? item.account.zones.length
        : item.kind === 'zone_failure' && item.hostnames.length === 0
          ? 1
          : 0),
    0,
  );
  const zoneCertificates = items.filter((item) => item.kind === 'zone_certificate').length;
  // A section holding only zone certificates does not open with "0 hostnames".
  const parts = hostnames === 0 && zoneCertificates > 0 ? [] : [plural(hostnames, 'hostname')];
  if (unlistedZones > 0) parts.push(plural(unlistedZones, 'zone'));
  if (zoneCertificates > 0) parts.push(plural(zoneCertificates, 'zone certificate'));
  return `${title} — ${parts.join(', ')}`;
}

// ---------------------------------------------------------------------------------------------
// Packing lines into section blocks within the limits

interface SectionDraft {
  section: DigestSectionKey;
  text: string;
}

interface Draft {
  blocks: SectionDraft[];
  chars: number;
  entries: number;
  /** Index of the line after the last one placed. */
  nextLine: number;
  /** The item of the last line placed: a hostname list continuing it needs no repeated head. */
  lastItemIndex: number | null;
  sectionsInOrder: Array<{ section: DigestSectionKey; continued: boolean }>;
}

interface Budget {
  chars: number;
  blocks: number;
}

class LinePacker {
  private readonly firstLineOfSection = new Map<DigestSectionKey, number>();

  constructor(
    private readonly lines: DigestLine[],
    private readonly sections: DigestSections,
  ) {
    lines.forEach((line, index) => {
      if (!this.firstLineOfSection.has(line.section)) this.firstLineOfSection.set(line.section, index);
    });
  }

  /** Places lines in order from `start` until the next one does not fit. */
  packGreedy(start: number, budget: Budget): Draft {
    let draft = emptyDraft(start);
    for (let index = start; index < this.lines.length; index += 1) {
      const next = this.tryPlace(draft, index, budget);
      if (next === null) break;
      draft = next;
    }
    return draft;
  }

  /**
   * Places whole items only, at most `maxItems`, so the parent never shows half a group. The one
   * exception: when not even the first item fits whole, as much of it as fits is shown, so the
   * parent still leads with the most urgent hostnames.
   */
  packWholeItems(start: number, budget: Budget & { maxItems: number }): Draft {
    let draft = emptyDraft(start);
    let itemsPlaced = 0;
    while (draft.nextLine < this.lines.length && itemsPlaced < budget.maxItems) {
      let candidate = draft;
      for (let index = draft.nextLine; index < this.itemEnd(draft.nextLine); index += 1) {
        const next = this.tryPlace(candidate, index, budget);
        if (next === null) return itemsPlaced === 0 ? candidate : draft;
        candidate = next;
      }
      draft = candidate;
      itemsPlaced += 1;
    }
    return draft;
  }

  /** The index just past the last line of the item that `lineIndex` belongs to. */
  private itemEnd(lineIndex: number): number {
    const itemIndex = this.lines[lineIndex]?.itemIndex;
    let end = lineIndex;
    while (end < this.lines.length && this.lines[end]?.itemIndex === itemIndex) end += 1;
    return end;
  }

  private tryPlace(draft: Draft, lineIndex: number, budget: Budget): Draft | null {
    const line = this.lines[lineIndex];
    if (line === undefined) return null;
    const last = draft.blocks.at(-1);
    const sameSection = last?.section === line.section;
    const pieces: string[] = [];
    let sectionsInOrder = draft.sectionsInOrder;
    if (!sameSection) {
      const continued = this.firstLineOfSection.get(line.section) !== lineIndex;
      pieces.push(sectionHeading(line.section, this.sections, continued));
      sectionsInOrder = [...sectionsInOrder, { section: line.section, continued }];
    }
    if (line.continuationHead !== null && draft.lastItemIndex !== line.itemIndex) {
      pieces.push(`${line.continuationHead} _(continued)_`);
    }
    pieces.push(line.text);
    const addition = pieces.join('\n');
    const placed = {
      entries: draft.entries + line.entries,
      nextLine: lineIndex + 1,
      lastItemIndex: line.itemIndex,
      sectionsInOrder,
    };

    if (
      last !== undefined &&
      sameSection &&
      last.text.length + 1 + addition.length <= BLOCK_KIT_LIMITS.sectionTextChars
    ) {
      if (draft.chars + 1 + addition.length > budget.chars) return null;
      return {
        ...placed,
        blocks: [...draft.blocks.slice(0, -1), { section: line.section, text: `${last.text}\n${addition}` }],
        chars: draft.chars + 1 + addition.length,
      };
    }
    if (draft.blocks.length + 1 > budget.blocks || draft.chars + addition.length > budget.chars) return null;
    return {
      ...placed,
      blocks: [...draft.blocks, { section: line.section, text: addition }],
      chars: draft.chars + addition.length,
    };
  }
}

function emptyDraft(start: number): Draft {
  return {
    blocks: [],
    chars: 0,
    entries: 0,
    nextLine: start,
    lastItemIndex: null,
    sectionsInOrder: [],
  };
}

// ---------------------------------------------------------------------------------------------
// Messages

interface ParentFixedBlocks {
  top: KnownBlock[];
  bottom: KnownBlock[];
}

function parentFixedBlocks(input: DigestInput, grouped: DigestSections): ParentFixedBlocks {
  const top: KnownBlock[] = [
    header(
      `AOP digest${routeLabel(input)} · ${formatDay(input.slotTime, input.timeZone)}${input.trigger === 'on_demand' ? ' (on request)' : ''}`,
    ),
  ];
  const late = lateLine(input);
  if (late !== null) top.push(context(late));
  const zoneChanges = zoneChangeLines(input);
  if (zoneChanges !== null) top.push(context(zoneChanges));
  top.push(section(summaryLine(grouped)));
  const fitness = fitnessSection(input);
  if (fitness !== null) top.push(fitness);
  const bottom: KnownBlock[] = [divider(), context(footerLine(input, grouped))];
  const quota = quotaLine(input);
  if (quota !== null) bottom.push(context(quota));
  return { top, bottom };
}

/**
 * Certificates in effect that an origin checking the client certificate's purpose, key or
 * signature would reject: a warning, since the origin evidently accepts them today, and the shape
 * a renewal must not copy.
 */
function fitnessSection(input: DigestInput): SectionBlock | null {
  const items = groupUnfitCertificates(input.checks, input.zoneCertificates);
  if (items.length === 0) return null;
  const heading = `${SEVERITY_EMOJI.warning} *Unfit certificates in effect* (accepted today, so these origins do not check; a stricter origin, or a renewal copying them, would fail)`;
  const lines: string[] = [];
  let chars = heading.length;
  let shown = 0;
  for (const item of items.slice(0, MAX_UNFIT_CERTIFICATES_SHOWN)) {
    const line = unfitLine(item);
    if (chars + 1 + line.length > FITNESS_SECTION_CHARS - 40) break;
    lines.push(line);
    chars += 1 + line.length;
    shown += 1;
  }
  if (shown < items.length) lines.push(`and ${plural(items.length - shown, 'more certificate')}`);
  return section([heading, ...lines].join('\n'));
}

function unfitLine(item: UnfitCertificateItem): string {
  const [first] = item.hostnames;
  const who =
    item.level === 'zone'
      ? '*Zone certificate in use* (for every hostname without its own)'
      : item.hostnames.length === 1 && first !== undefined
        ? `*${literal(first)}*`
        : `${plural(item.hostnames.length, 'hostname')} (${literal(item.hostnames[0] ?? '')}, …)`;
  const certificate =
    item.certificateId === null ? '' : ` · certificate \`${literal(shortId(item.certificateId))}\``;
  const findings = item.findings
    .map((finding) => `${escapeMrkdwn(finding.text)}: ${escapeMrkdwn(finding.consequence)}`)
    .join(' ');
  return truncate(
    `• ${who} · zone ${literal(item.zone.name ?? item.zone.id)}${certificate} · ${findings}`,
    600,
  );
}

/** "Quota: example.com 3 of 10 hostname certificates · 30 of 100 associations on one certificate; …" */
function quotaLine(input: DigestInput, options: { onlyWhenExhausted?: boolean } = {}): string | null {
  const all = input.zoneQuotas ?? [];
  if (options.onlyWhenExhausted && !all.some(({ quota }) => isQuotaExhausted(quota))) return null;
  const readings = [...all].sort(
    (a, b) =>
      b.quota.certificatesUsed - a.quota.certificatesUsed ||
      b.quota.largestAssociationCount - a.quota.largestAssociationCount ||
      (a.zone.name ?? a.zone.id).localeCompare(b.zone.name ?? b.zone.id),
  );
  if (readings.length === 0) return null;
  const shown = readings.slice(0, MAX_QUOTA_ZONES_SHOWN).map(({ zone, quota }) => {
    const sign = isQuotaExhausted(quota) ? ':warning: ' : '';
    return `${sign}${literal(zone.name ?? zone.id)}: ${escapeMrkdwn(describeZoneQuota(quota))}`;
  });
  const more = readings.length - shown.length;
  const rest = more > 0 ? `; ${plural(more, 'more zone')} with fewer certificates` : '';
  return truncate(`Quota per zone: ${shown.join('; ')}${rest}.`, 2000);
}

function parentMessage(
  input: DigestInput,
  grouped: DigestSections,
  fixed: ParentFixedBlocks,
  drafts: SectionDraft[],
  note: string | null,
  partCount: number,
): DigestMessage {
  const blocks: KnownBlock[] = [...fixed.top, ...drafts.map((draft) => section(draft.text))];
  if (note !== null) blocks.push(context(note));
  blocks.push(...fixed.bottom);
  const { counts } = grouped;
  return {
    text: truncate(`${digestTitle(input)}: ${countsSentence(grouped)}`, BLOCK_KIT_LIMITS.fallbackTextChars),
    blocks,
    metadata: {
      event_type: DIGEST_EVENT_TYPE,
      event_payload: {
        kind: 'attention',
        route: input.route ?? null,
        slot_time: input.slotTime.toISOString(),
        generated_at: input.generatedAt.toISOString(),
        trigger: input.trigger,
        late: isLate(input),
        late_by_ms: Math.max(0, input.lateByMs),
        critical: counts.bySeverity.critical,
        warning: counts.bySeverity.warning,
        unknown: counts.bySeverity.unknown,
        info: counts.bySeverity.info,
        ok: counts.bySeverity.ok,
        hostnames_checked: counts.hostnamesChecked,
        hostnames_not_checked: counts.hostnamesNotChecked,
        zones_not_listed: counts.zonesNotListed,
        zones_checked: counts.zonesChecked,
        zones_total: counts.zonesTotal,
        ...zoneCertificateMetadata(grouped),
        part: 1,
        part_count: partCount,
      },
    },
    isThreadReply: false,
  };
}

function replyMessage(input: DigestInput, draft: Draft, part: number, partCount: number): DigestMessage {
  const described = draft.sectionsInOrder
    .map(({ section: key, continued }) => `${SECTION_SHORT_NAME[key]}${continued ? ' continued' : ''}`)
    .join(', ');
  const label = `${digestTitle(input)}, part ${part} of ${partCount} — ${described}`;
  return {
    text: truncate(label, BLOCK_KIT_LIMITS.fallbackTextChars),
    blocks: [
      context(truncate(label, REPLY_LABEL_RESERVE_CHARS)),
      ...draft.blocks.map((block) => section(block.text)),
    ],
    metadata: {
      event_type: DIGEST_EVENT_TYPE,
      event_payload: {
        route: input.route ?? null,
        slot_time: input.slotTime.toISOString(),
        trigger: input.trigger,
        part,
        part_count: partCount,
      },
    },
    isThreadReply: true,
  };
}

function renderAllClear(input: DigestInput, grouped: DigestSections): DigestMessage {
  const { counts } = grouped;
  const next =
    input.nextDigestAt === null ? '' : `; next digest ${formatDateTime(input.nextDigestAt, input.timeZone)}`;
  // Checks that ran but were all healthy, or none at all: either way there is nothing to list.
  const healthy =
    counts.hostnamesChecked + counts.hostnamesUnreachable === 0
      ? `no hostnames to check in ${plural(counts.zonesTotal, 'zone')}${next}. Watch one with ${escapeMrkdwn('`/aop-status watch <hostname> [zone]`')}`
      : counts.bySeverity.ok === 1
        ? `the 1 watched hostname in ${plural(counts.zonesChecked, 'zone')} is healthy${next}`
        : `all ${formatCount(counts.bySeverity.ok)} hostnames in ${plural(counts.zonesChecked, 'zone')} are healthy${next}`;
  const zoneCertificates = counts.zoneCertificatesBySeverity.ok;
  const sentence = `${healthy}${zoneCertificates > 0 ? `; ${zoneCertificates === 1 ? 'the zone certificate in use is' : `all ${formatCount(zoneCertificates)} zone certificates are`} healthy too` : ''}.`;
  const blocks: KnownBlock[] = [section(`${SEVERITY_EMOJI.ok} *${digestTitle(input)}*: ${sentence}`)];
  const late = lateLine(input);
  if (late !== null) blocks.push(context(late));
  const zoneChanges = zoneChangeLines(input);
  if (zoneChanges !== null) blocks.push(context(zoneChanges));
  const zoneList = zoneListFooterParts(input);
  if (zoneList.length > 0) blocks.push(context(`${capitalise(zoneList.join('; '))}.`));
  // All clear now, but checks run late while the schedules overrun the budget: worth knowing.
  const budget = budgetLine(input);
  if (budget !== null) blocks.push(context(budget));
  const fitness = fitnessSection(input);
  if (fitness !== null) blocks.push(fitness);
  // The all-clear stays one line; a zone with no room for a replacement is worth the second.
  const quota = quotaLine(input, { onlyWhenExhausted: true });
  if (quota !== null) blocks.push(context(quota));
  return {
    text: `${digestTitle(input)}: ${sentence}`,
    blocks,
    metadata: {
      event_type: DIGEST_EVENT_TYPE,
      event_payload: {
        kind: 'all_clear',
        route: input.route ?? null,
        slot_time: input.slotTime.toISOString(),
        generated_at: input.generatedAt.toISOString(),
        trigger: input.trigger,
        late: isLate(input),
        late_by_ms: Math.max(0, input.lateByMs),
        critical: 0,
        warning: 0,
        unknown: 0,
        info: 0,
        ok: counts.bySeverity.ok,
        hostnames_checked: counts.hostnamesChecked,
        hostnames_not_checked: 0,
        zones_not_listed: 0,
        zones_checked: counts.zonesChecked,
        zones_total: counts.zonesTotal,
        ...zoneCertificateMetadata(grouped),
        part: 1,
        part_count: 1,
      },
    },
    isThreadReply: false,
  };
}

function digestTitle(input: DigestInput): string {
  return `AOP digest${routeLabel(input)} for ${formatDay(input.slotTime, input.timeZone)}`;
}

/** A route's digest names its route wherever the digest names itself. */
function routeLabel(input: DigestInput): string {
  return input.route ? ` (${input.route})` : '';
}

function isLate(input: DigestInput): boolean {
  return input.trigger === 'schedule' && input.lateByMs > 0;
}

function lateLine(input: DigestInput): string | null {
  if (!isLate(input)) return null;
  const sameDay = formatDay(input.slotTime, input.timeZone) === formatDay(input.generatedAt, input.timeZone);
  const show = (date: Date) =>
    sameDay ? formatClock(date, input.timeZone) : formatDateTime(date, input.timeZone);
  return `:hourglass_flowing_sand: This digest is late: scheduled for ${show(input.slotTime)}, posted ${show(input.generatedAt)} (the bot was down).`;
}

/** A few zone names, then how many more: one line stays short with hundreds of new zones. */
function zoneNames(zones: readonly ZoneRef[]): string {
  const { shown, more } = nameSample(zones);
  const names = shown.map((name) => literal(name)).join(', ');
  return more > 0 ? `${names} and ${formatCount(more)} more` : names;
}

/** Zone discovery's news, told once: zones now watched, zones no longer watched. */
function zoneChangeLines(input: DigestInput): string | null {
  const list = input.zoneList;
  if (!list) return null;
  const lines: string[] = [];
  if (list.added.length > 0)
    lines.push(`:new: Now watching ${plural(list.added.length, 'new zone')}: ${zoneNames(list.added)}.`);
  if (list.removed.length > 0)
    lines.push(
      `:wave: No longer watching ${plural(list.removed.length, 'zone')} that left the zone list (deleted, or no token reads ${list.removed.length === 1 ? 'it' : 'them'} any more): ${zoneNames(list.removed)}.`,
    );
  return lines.length > 0 ? truncate(lines.join('\n'), BLOCK_KIT_LIMITS.sectionTextChars) : null;
}

/** Footer parts about the zone list: listings that failed (their last good list was used), idle zones. */
function zoneListFooterParts(input: DigestInput): string[] {
  const list = input.zoneList;
  if (!list) return [];
  const parts = list.listingFailures.map(
    (failure) =>
      `the zone list of account ${literal(failure.account)} could not be read (${literal(truncate(failure.errorMessage, 120))}), so its last good list${failure.lastGoodAt === null ? '' : ` from ${formatDateTime(failure.lastGoodAt, input.timeZone)}`} was used`,
  );
  if (list.idleZones > 0)
    parts.push(
      `${plural(list.idleZones, 'zone')} without AOP not re-checked (checked once per discovery interval)`,
    );
  return parts;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function summaryLine(grouped: DigestSections): string {
  const { bySeverity, hostnamesInFailedZones, zonesNotListed } = grouped.counts;
  // Hostnames of a zone that could not be listed were never assessed, but they are unknown all the same.
  const unknown = bySeverity.unknown + hostnamesInFailedZones;
  const parts = [
    `${SECTION_EMOJI.critical} *${formatCount(bySeverity.critical)} critical*`,
    `${SECTION_EMOJI.warning} *${formatCount(bySeverity.warning)} warning*`,
    `${SECTION_EMOJI.unknown} *${formatCount(unknown)} unknown*`,
    `${SECTION_EMOJI.disabled} *${formatCount(bySeverity.info)} disabled*`,
    `${SEVERITY_EMOJI.ok} *${formatCount(bySeverity.ok)} healthy*`,
  ];
  if (zonesNotListed > 0) parts.push(`${plural(zonesNotListed, 'zone')} could not be listed`);
  const zoneLine = zoneCertificatesSummary(grouped);
  return zoneLine === null ? parts.join('   ') : `${parts.join('   ')}\n${zoneLine}`;
}

/**
 * The header's second line, counting zone-level certificates apart from hostnames (one zone
 * certificate serves every hostname of its zone without its own); null when there are none.
 */
function zoneCertificatesSummary(grouped: DigestSections): string | null {
  const { zoneCertificatesBySeverity: counts, zonesWithoutZoneLevel } = grouped.counts;
  const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
  if (total === 0 && zonesWithoutZoneLevel === 0) return null;
  const parts = (['critical', 'warning', 'unknown', 'info', 'ok'] as const)
    .filter((severity) => counts[severity] > 0)
    .map(
      (severity) =>
        `${SEVERITY_EMOJI[severity]} ${formatCount(counts[severity])} ${ZONE_SEVERITY_WORD[severity]}`,
    );
  if (zonesWithoutZoneLevel > 0) parts.push(`${plural(zonesWithoutZoneLevel, 'zone')} not readable`);
  return `Zone certificates: ${parts.join(' · ')}`;
}

const ZONE_SEVERITY_WORD = {
  critical: 'critical',
  warning: 'warning',
  unknown: 'unknown',
  info: 'not in use',
  ok: 'healthy',
} as const;

function zoneCertificateMetadata(grouped: DigestSections): Record<string, number> {
  const { zoneCertificatesBySeverity: counts } = grouped.counts;
  return {
    zone_certificates_critical: counts.critical,
    zone_certificates_warning: counts.warning,
    zone_certificates_unknown: counts.unknown + grouped.counts.zonesWithoutZoneLevel,
    zone_certificates_not_in_use: counts.info,
    zone_certificates_ok: counts.ok,
  };
}

function countsSentence(grouped: DigestSections): string {
  const { bySeverity, zonesNotListed, hostnamesInFailedZones } = grouped.counts;
  const unknown = bySeverity.unknown + hostnamesInFailedZones;
  const parts = [
    `${formatCount(bySeverity.critical)} critical`,
    `${formatCount(bySeverity.warning)} warning`,
    `${formatCount(unknown)} unknown`,
    `${formatCount(bySeverity.info)} disabled`,
    `${formatCount(bySeverity.ok)} healthy`,
  ];
  if (zonesNotListed > 0) parts.push(`${plural(zonesNotListed, 'zone')} not listed`);
  const zone = grouped.counts.zoneCertificatesBySeverity;
  const urgentZone = zone.critical + zone.warning;
  if (urgentZone > 0) parts.push(`${plural(urgentZone, 'zone certificate')} critical or warning`);
  return parts.join(', ');
}

function footerLine(input: DigestInput, grouped: DigestSections): string {
  const { counts } = grouped;
  const zoneCertificates = (input.zoneCertificates ?? []).length;
  const checked =
    zoneCertificates > 0
      ? `${plural(counts.hostnamesChecked, 'hostname')} and ${plural(zoneCertificates, 'zone certificate')}`
      : plural(counts.hostnamesChecked, 'hostname');
  const parts = [
    `Checked ${checked} in ${plural(counts.zonesChecked, 'zone')} at ${formatDateTime(input.generatedAt, input.timeZone)}`,
  ];
  if (counts.hostnamesNotChecked > 0)
    parts.push(`${formatCount(counts.hostnamesNotChecked)} could not be checked`);
  if (counts.zonesNotListed > 0) parts.push(`${plural(counts.zonesNotListed, 'zone')} could not be listed`);
  parts.push(...zoneListFooterParts(input));
  const next =
    input.nextDigestAt === null
      ? 'No further digest is scheduled.'
      : `Next digest: ${formatDateTime(input.nextDigestAt, input.timeZone)}.`;
  const budget = budgetLine(input);
  return `${parts.join('; ')}.${budget === null ? '' : ` ${budget}`} ${next}`;
}

/** The schedules overrun the Cloudflare budget: say so, and what it costs (see budget-plan.ts). */
function budgetLine(input: DigestInput): string | null {
  return input.budgetNote ? `:hourglass: ${escapeMrkdwn(input.budgetNote)}` : null;
}

function parentNote(
  shownEntries: number,
  totalEntries: number,
  replies: number,
  zonesIncluded: boolean,
): string {
  const noun = zonesIncluded ? 'entries' : 'hostnames';
  const thread = `in this thread (${plural(replies, 'reply', 'replies')})`;
  if (shownEntries === 0) return `:thread: All ${formatCount(totalEntries)} ${noun} are listed ${thread}.`;
  return `:thread: Showing the ${formatCount(shownEntries)} most urgent of ${formatCount(totalEntries)} ${noun}; the other ${formatCount(totalEntries - shownEntries)} are listed ${thread}.`;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function header(text: string): HeaderBlock {
  return {
    type: 'header',
    text: { type: 'plain_text', text: truncate(text, BLOCK_KIT_LIMITS.headerTextChars) },
  };
}

function section(text: string): SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

function context(text: string): ContextBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text }] };
}

function divider(): DividerBlock {
  return { type: 'divider' };
}

/** The text a block contributes to Slack's per-message budget. */
function blockTextChars(block: KnownBlock): number {
  switch (block.type) {
    case 'header':
      return block.text.text.length;
    case 'section':
      return (
        (block.text?.text.length ?? 0) +
        (block.fields ?? []).reduce((sum, field) => sum + field.text.length, 0)
      );
    case 'context':
      return block.elements.reduce((sum, element) => sum + ('text' in element ? element.text.length : 0), 0);
    default:
      return 0;
  }
}

/** Inline code: inside backticks formatting characters are inert, so only `<>&` and the backtick itself need care. */
function code(text: string): string {
  return `\`${escapeMrkdwn(text).replace(/`/g, '\u02CB')}\``;
}

function zoneLabel(item: DigestItem): string {
  return item.zone.name ?? item.zone.id;
}

function shortId(id: string): string {
  return id.length > 12 ? `${id.slice(0, 8)}…` : id;
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

function formatClock(date: Date, timeZone: string): string {
  return `${format(new TZDate(date.getTime(), timeZone), 'HH:mm')} ${timeZoneAbbreviation(date, timeZone)}`;
}

function formatDateTime(date: Date, timeZone: string): string {
  return `${format(new TZDate(date.getTime(), timeZone), 'EEE yyyy-MM-dd HH:mm')} ${timeZoneAbbreviation(date, timeZone)}`;
}

/**
 * "CET" reads better than "GMT+1", but en-US only knows American abbreviations and en-GB only
 * European ones, so ask both and prefer a name over an offset.
 */
function timeZoneAbbreviation(date: Date, timeZone: string): string {
  const names = ['en-US', 'en-GB'].map(
    (locale) =>
      new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'short' })
        .formatToParts(date)
        .find((part) => part.type === 'timeZoneName')?.value ?? timeZone,
  );
  return names.find((name) => !/^(GMT|UTC)[+\-\u2212]/.test(name)) ?? names[0] ?? timeZone;
}
