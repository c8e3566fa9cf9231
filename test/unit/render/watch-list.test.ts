import { describe, expect, it } from 'vitest';
import type { HostnameCheck } from '../../../src/digest/model.js';
import type { Severity } from '../../../src/domain/types.js';
import {
  renderWatchEntries,
  renderWatchList,
  type WatchListMessage,
  watchEntriesOf,
} from '../../../src/render/watch-list.js';
import { allBlockTexts, assertWithinBlockKitLimits } from '../../support/block-kit-limits.js';
import {
  associationCheck,
  daysAfterSlot,
  noAssociationCheck,
  SLOT_TIME,
  TIME_ZONE,
  unreachableCheck,
  ZONE_B,
  zoneFailure,
} from '../digest/builders.js';

const NOW = SLOT_TIME;
const OPTIONS = { timeZone: TIME_ZONE, now: NOW, zoneFailures: [] };
const HOSTNAME_PATTERN = /\b[a-z]+-\d{4}\.[a-z0-9]+\.example\b/g;

function bodyLines(message: WatchListMessage): string[] {
  return message.blocks
    .flatMap((block) => (block.type === 'section' && block.text ? [block.text.text] : []))
    .flatMap((text) => text.split('\n'));
}

function contextTexts(message: WatchListMessage): string[] {
  return message.blocks.flatMap((block) =>
    block.type === 'context'
      ? block.elements.flatMap((element) => ('text' in element ? [element.text] : []))
      : [],
  );
}

function hostnamesIn(messages: WatchListMessage[]): string[] {
  return messages.flatMap((message) =>
    allBlockTexts(message).flatMap((text) => text.match(HOSTNAME_PATTERN) ?? []),
  );
}

function inventory(size: number): HostnameCheck[] {
  const severities: Severity[] = [
    'ok',
    'ok',
    'ok',
    'ok',
    'ok',
    'ok',
    'info',
    'unknown',
    'warning',
    'critical',
  ];
  return Array.from({ length: size }, (_, index) => {
    const hostname = `host-${String(index).padStart(4, '0')}.zone${index % 3}.example`;
    const severity = severities[index % severities.length] as Severity;
    return associationCheck(hostname, severity, {
      expiresOn: daysAfterSlot(5 + (index % 40)),
      reason: { code: 'healthy', text: `Reason for a ${severity} hostname that is long enough to matter` },
    });
  });
}

describe('renderWatchList', () => {
  it('lists every hostname on one line, worst first, with zone, expiry, days left and the main reason', () => {
    const checks = [
      associationCheck('fine-0001.a.example', 'ok', { expiresOn: daysAfterSlot(200) }),
      noAssociationCheck('bare-0001.a.example'),
      associationCheck('warn-0001.b.example', 'warning', { zone: ZONE_B, expiresOn: daysAfterSlot(20) }),
      unreachableCheck('lost-0001.a.example'),
      associationCheck('crit-0002.a.example', 'critical', { expiresOn: daysAfterSlot(3) }),
      associationCheck('crit-0001.a.example', 'critical', {
        expiresOn: new Date(NOW.getTime() - 6.5 * 86_400_000),
      }),
    ];

    const messages = renderWatchList(checks, OPTIONS);

    expect(messages).toHaveLength(1);
    const [message] = messages as [WatchListMessage];
    assertWithinBlockKitLimits(message);
    expect(bodyLines(message)).toEqual([
      '*Watched hostnames: 6 in 2 zones*, worst first',
      ':red_circle: 2 critical   :large_orange_circle: 1 warning   :grey_question: 1 unknown   :large_blue_circle: 1 info   :large_green_circle: 1 ok',
      ':red_circle: *crit-0001.a.example* · a.example · expired 2026-11-19 (6 days ago) · Certificate expires soon',
      ':red_circle: *crit-0002.a.example* · a.example · expires 2026-11-29 (in 3 days) · Certificate expires soon',
      ':large_orange_circle: *warn-0001.b.example* · b.example · expires 2026-12-16 (in 20 days) · Certificate expires within the warning window',
      ':grey_question: *lost-0001.a.example* · a.example · Cloudflare did not answer within 10 s',
      ':large_blue_circle: *bare-0001.a.example* · a.example · No per-hostname AOP association',
      ':large_green_circle: *fine-0001.a.example* · a.example · expires 2027-06-14 (in 200 days) · Healthy',
    ]);
    expect(message.text).toBe('Watched hostnames: 2 critical, 1 warning, 1 unknown, 1 info, 1 ok');
  });

  it('shows hostnames of a zone that could not be listed, or the zone itself, as not checked', () => {
    const zoneFailures = [
      zoneFailure({ id: 'zone-c', name: 'c.example' }, ['cfg-0001.c.example']),
      zoneFailure({ id: 'zone-d', name: 'd.example' }),
    ];

    const [message] = renderWatchList([associationCheck('fine-0001.a.example', 'ok')], {
      ...OPTIONS,
      zoneFailures,
    });

    expect(bodyLines(message as WatchListMessage).slice(2)).toEqual([
      ':grey_question: *zone d.example* · The zone could not be listed, so its hostnames are unknown. The API token may not read this zone (`cloudflare_forbidden`)',
      ':grey_question: *cfg-0001.c.example* · c.example · Not checked: the zone could not be listed. The API token may not read this zone (`cloudflare_forbidden`)',
      ':large_green_circle: *fine-0001.a.example* · a.example · Healthy',
    ]);
  });

  it('escapes hostnames and zone names so <!channel> cannot ping anyone', () => {
    const checks = [
      associationCheck('<!channel>.evil.example', 'critical', { zone: { id: 'z', name: '<@U123>' } }),
    ];

    const [message] = renderWatchList(checks, OPTIONS);

    const everything = allBlockTexts(message as WatchListMessage).join('\n');
    expect(everything).not.toMatch(/<[!@]/);
    expect(everything).toContain(':red_circle: *&lt;!channel&gt;.evil.example* · &lt;@U123&gt; ·');
  });

  it('splits a long list into several messages, each within the limits, naming every hostname once in order', () => {
    const checks = inventory(250);

    const messages = renderWatchList(checks, OPTIONS);

    expect(messages.length).toBeGreaterThan(1);
    expect(messages.length).toBeLessThanOrEqual(5);
    messages.forEach((message, index) => {
      assertWithinBlockKitLimits(message, `message ${index + 1}`);
    });
    const named = hostnamesIn(messages);
    expect(named).toHaveLength(250);
    expect(new Set(named)).toEqual(new Set(checks.map((check) => check.hostname)));
    expect(contextTexts(messages[1] as WatchListMessage)).toEqual([
      `Watched hostnames, part 2 of ${messages.length}`,
    ]);
    expect(messages[1]?.text).toBe(`Watched hostnames (part 2 of ${messages.length})`);
    const rank = [
      'red_circle',
      'large_orange_circle',
      'grey_question',
      'large_blue_circle',
      'large_green_circle',
    ];
    const ranks = messages
      .flatMap(bodyLines)
      .filter((line) => (line.match(HOSTNAME_PATTERN) ?? []).length > 0)
      .map((line) => rank.indexOf(line.match(/^:([a-z_]+):/)?.[1] ?? ''));
    expect(ranks).toHaveLength(250);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(ranks[0]).toBe(0);
  });

  it('switches to the compact form when the full list would need more than five messages', () => {
    const checks = inventory(600);

    const messages = renderWatchList(checks, OPTIONS);

    expect(messages.length).toBeLessThanOrEqual(5);
    for (const message of messages) assertWithinBlockKitLimits(message);
    expect(new Set(hostnamesIn(messages))).toEqual(new Set(checks.map((check) => check.hostname)));
    expect(contextTexts(messages[0] as WatchListMessage)).toEqual([
      '_Shown in compact form (severity, hostname, expiry) because the full list needs more than 5 messages._',
    ]);
    expect(bodyLines(messages[0] as WatchListMessage)[2]).toBe(
      ':red_circle: host-0009.zone0.example · 2026-12-10',
    );
  });

  it('says how many hostnames did not fit even in compact form and points to the digest', () => {
    const checks = inventory(3000);

    const messages = renderWatchList(checks, { ...OPTIONS, maxMessages: 2 });

    expect(messages).toHaveLength(2);
    for (const message of messages) assertWithinBlockKitLimits(message);
    const shown = hostnamesIn(messages);
    // inventory(3000) holds 300 critical, 300 warning, 300 unknown, 300 info and 1,800 ok, listed in that order.
    expect(shown.length).toBeGreaterThan(300);
    expect(shown.length).toBeLessThan(600);
    const warningsLeft = 600 - shown.length;
    expect(contextTexts(messages[1] as WatchListMessage).at(-1)).toBe(
      `:scissors: ${(3000 - shown.length).toLocaleString('en-US')} more hostnames not shown here ` +
        `(${warningsLeft} warning, 300 unknown, 300 info, 1,800 ok): a command can answer with at most 2 messages. ` +
        'Run `/aop-status digest` to post everything that needs attention into this channel.',
    );
    expect(new Set(shown).size).toBe(shown.length);
  });

  it('renders the same messages from entries made a page of checks at a time, in any order', () => {
    const zoneFailures = [
      zoneFailure({ id: 'zone-c', name: 'c.example' }, ['cfg-0001.c.example']),
      zoneFailure({ id: 'zone-d', name: 'd.example' }),
    ];
    // Full form in several messages, compact form, and compact with what did not fit left out.
    for (const [size, maxMessages] of [
      [250, 5],
      [600, 5],
      [3000, 2],
    ] as const) {
      const checks = inventory(size);
      const options = { ...OPTIONS, zoneFailures, maxMessages };
      const pages = Array.from({ length: Math.ceil(size / 64) }, (_, page) =>
        watchEntriesOf(checks.slice(page * 64, (page + 1) * 64)),
      );

      const fromPages = renderWatchEntries(pages.reverse().flat(), options);

      expect(fromPages).toEqual(renderWatchList(checks, options));
      expect(fromPages.length).toBeGreaterThan(1);
    }
  });

  it('explains how to watch hostnames when nothing is watched', () => {
    const messages = renderWatchList([], OPTIONS);

    expect(messages).toEqual([
      {
        text: 'No hostnames are watched yet. Add one with `/aop-status watch &lt;hostname&gt; [zone]` (admins only), or list zones in the config file: a zone without `hostnames` watches every association in it.',
        blocks: [
          {
            type: 'section',
            text: {
              type: 'mrkdwn',
              text: 'No hostnames are watched yet. Add one with `/aop-status watch &lt;hostname&gt; [zone]` (admins only), or list zones in the config file: a zone without `hostnames` watches every association in it.',
            },
          },
        ],
      },
    ]);
  });
});
