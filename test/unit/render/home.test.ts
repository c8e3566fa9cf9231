import { describe, expect, it } from 'vitest';
import { buildHomeOverview, type HomeState } from '../../../src/home/model.js';
import { summarizeZoneCheck } from '../../../src/inventory/zone-summary.js';
import { renderHomeView } from '../../../src/render/home.js';
import { BLOCK_KIT_LIMITS } from '../../../src/render/limits.js';
import { ACTION_IDS } from '../../../src/slack/ids.js';
import { assertWithinBlockKitLimits } from '../../support/block-kit-limits.js';
import { ZONE_A, ZONE_B, zoneFailure } from '../digest/builders.js';
import { thread } from '../home/builders.js';

const NOW = new Date('2026-11-26T08:00:00.000Z');
const DAY_MS = 86_400_000;

function openThreads(count: number): HomeState['openThreads'] {
  return Array.from({ length: count }, (_, index) =>
    thread({
      hostnames: Array.from({ length: 8 }, (_, n) => `host-${n}.team-${index}.example.com`),
      certificateKey: `serial-${index}-${'f'.repeat(40)}`,
      expiresOn: new Date(NOW.getTime() + (index % 30) * DAY_MS),
      parent: { channel: 'C0INCIDENT', ts: `1700000000.${String(index).padStart(6, '0')}` },
      permalink: `https://example.slack.com/archives/C0INCIDENT/p1700000000${String(index).padStart(6, '0')}`,
    }),
  );
}

function render(overrides: Partial<HomeState>) {
  const state: HomeState = {
    zones: [ZONE_A, ZONE_B],
    summaries: [
      summarizeZoneCheck({ zone: ZONE_A, checkedAt: NOW, checks: [], failure: null, requests: 2 }),
      summarizeZoneCheck({
        zone: ZONE_B,
        checkedAt: NOW,
        checks: [],
        failure: zoneFailure(ZONE_B),
        requests: 1,
      }),
    ],
    openThreads: [],
    digests: [{ route: null, channels: ['C0DIGEST'], nextAt: new Date(NOW.getTime() + DAY_MS) }],
    cloudflareBudget: null,
    ...overrides,
  };
  return renderHomeView(buildHomeOverview(state, NOW), { timeZone: 'Europe/Berlin' });
}

describe('renderHomeView', () => {
  it('shows 50 open threads, each with its link, within the limits of a Home tab', () => {
    const view = render({ openThreads: openThreads(50) });
    assertWithinBlockKitLimits(view, 'home view with 50 threads', { surface: 'home' });
    const text = JSON.stringify(view.blocks);
    for (let index = 0; index < 50; index += 1) {
      expect(text).toContain(`p1700000000${String(index).padStart(6, '0')}|Open thread>`);
    }
    expect(text).toContain('*Open alert threads* (50)');
    // The block count the closing note reports; a change here is a change to what people see.
    expect(view.blocks.length).toBe(60);
  });

  it('stays within 100 blocks with any number of threads, counting the ones left out', () => {
    const view = render({ openThreads: openThreads(500) });
    assertWithinBlockKitLimits(view, 'home view with 500 threads', { surface: 'home' });
    expect(view.blocks.length).toBeLessThanOrEqual(BLOCK_KIT_LIMITS.blocksPerHomeView);
    const text = JSON.stringify(view.blocks);
    expect(text).toMatch(/…and (\d+) more open threads in the alert channels\./);
    const shown = (text.match(/\|Open thread>/g) ?? []).length;
    const leftOut = Number(/…and (\d+) more open threads/.exec(text)?.[1]);
    expect(shown + leftOut).toBe(500);
  });

  it('has a Refresh button, the next digest, the last sweep and the zones not checked', () => {
    const view = render({});
    expect(view.type).toBe('home');
    const text = JSON.stringify(view.blocks);
    expect(text).toContain(`"action_id":"${ACTION_IDS.homeRefresh}"`);
    expect(text).toContain('None: nothing is being alerted on right now.');
    expect(text).toContain('• Whole inventory → <#C0DIGEST>: 2026-11-27 09:00 GMT+1');
    expect(text).toContain('1 of 2 zones checked');
    expect(text).toContain('b.example (zone-b-id): The API token may not read this zone');
    // No budget section until the deployment tracks it.
    expect(text).not.toContain('Cloudflare budget');
  });

  it('shows the Cloudflare budget in use when it is known', () => {
    const view = render({ cloudflareBudget: [{ account: 'prod', used: 120, limit: 1200, perSeconds: 300 }] });
    expect(JSON.stringify(view.blocks)).toContain('• prod: 120 of 1200 requests per 300 s');
  });

  it.each([
    [
      'fit',
      { neededShare: 0.45, fits: true, note: null },
      '• Cloudflare: 120 of 1200 requests per 300 s; the schedules need 45% at their busiest',
    ],
    [
      'do not fit',
      {
        neededShare: 1.12,
        fits: false,
        note: 'The schedules need 112% of 1,200 requests: alerts takes 21 min a run.',
      },
      '• Cloudflare: 120 of 1200 requests per 300 s\\n  :hourglass: The schedules need 112% of 1,200 requests: alerts takes 21 min a run.',
    ],
  ])('says what the schedules need of the budget when they %s', (_case, schedules, expected) => {
    const view = render({
      cloudflareBudget: [{ account: null, used: 120, limit: 1200, perSeconds: 300, schedules }],
    });
    expect(JSON.stringify(view.blocks)).toContain(expected);
  });

  it('never links anything but an https permalink, and escapes what it shows', () => {
    const view = render({
      openThreads: [
        thread({
          hostnames: ['<!channel>.example'],
          permalink: 'javascript:alert(1)|x',
          certificateKey: '*bold*',
        }),
      ],
    });
    const text = JSON.stringify(view.blocks);
    expect(text).not.toContain('javascript:');
    expect(text).toContain('thread in <#C0INCIDENT>');
    expect(text).toContain('&lt;!channel&gt;.example');
    expect(text).not.toContain('*bold*');
  });
});
