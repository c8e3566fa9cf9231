import { describe, expect, it } from 'vitest';
import type { ZoneOverviewRow } from '../../../src/inventory/zone-overview.js';
import { BLOCK_KIT_LIMITS } from '../../../src/render/limits.js';
import { renderZoneList } from '../../../src/render/zone-list.js';

function row(index: number, idle: boolean): ZoneOverviewRow {
  return {
    zone: { id: String(index).padStart(32, '0'), name: `zone-${String(index).padStart(4, '0')}.example.com` },
    source: 'discovered',
    account: index % 2 === 0 ? 'prod' : 'brands',
    hostnamesWatched: idle ? 0 : 3,
    hostnameCertificatesUsed: idle ? 0 : 2,
    hostnameCertificatesLimit: 10,
    lastCheckedAt: new Date('2026-11-20T09:00:00Z'),
    failureCode: null,
    idle,
  };
}

function texts(blocks: readonly unknown[]): string[] {
  return blocks.flatMap((block) => {
    const record = block as { text?: { text?: string }; elements?: Array<{ text?: string }> };
    return [record.text?.text ?? '', ...(record.elements ?? []).map((element) => element.text ?? '')];
  });
}

describe('the zones answer', () => {
  it('fits 1,000 zones into the five answers Slack takes, within the Block Kit limits, counting what it leaves out', () => {
    const rows = Array.from({ length: 1000 }, (_, index) => row(index, index >= 60));
    const messages = renderZoneList(rows, { timeZone: 'Europe/Berlin', idleEvery: '1h' });
    expect(messages.length).toBeLessThanOrEqual(5);
    let shownIdle = 0;
    let notShown = 0;
    for (const message of messages) {
      expect(message.blocks.length).toBeLessThanOrEqual(BLOCK_KIT_LIMITS.blocksPerMessage);
      const all = texts(message.blocks);
      for (const text of all) expect(text.length).toBeLessThanOrEqual(BLOCK_KIT_LIMITS.sectionTextChars);
      expect(all.join('').length).toBeLessThanOrEqual(BLOCK_KIT_LIMITS.messageTextBudgetChars);
      const joined = all.join('\n');
      shownIdle += (joined.match(/zone-\d{4}\.example\.com \(/g) ?? []).length;
      notShown += Number(/…and (\d+) more line/.exec(joined)?.[1] ?? 0);
    }
    const first = texts(messages[0]?.blocks ?? []).join('\n');
    expect(first).toContain('*Watched zones: 1,000 in 2 accounts* (1,000 discovered): prod 500, brands 500.');
    expect(first).toContain('940 discovered zones without AOP are checked once per discovery interval (1h)');
    expect(first).toContain(
      '• *zone-0000.example.com* · `prod` · discovered · 3 hostnames · 2 of 10 hostname certificates · checked 20 Nov 10:00',
    );
    // Every idle zone is named, or the answer says how many lines were left out.
    expect(shownIdle === 940 || notShown > 0).toBe(true);
  });

  it('says how to start watching when nothing is watched', () => {
    const [message] = renderZoneList([], { timeZone: 'UTC', idleEvery: null });
    expect(message?.text).toContain('No zone is watched');
  });
});
