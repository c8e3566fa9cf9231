/**
 * `/metrics`, App Home and `zones` read each zone's summary instead of its full snapshot. The
 * fixtures below are zone snapshots as the previous release stored them, and what that release
 * made of them (the gauges it exported, its Home overview and its `zones` rows), recorded with its
 * code: the summaries must give exactly the same.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildHomeOverview } from '../../../src/home/model.js';
import type { ZonePlan } from '../../../src/inventory/zone-check.js';
import { buildZoneOverview } from '../../../src/inventory/zone-overview.js';
import {
  gaugeRowsOf,
  parseZoneGaugeRows,
  parseZoneSummary,
  serializeZoneGaugeRows,
  serializeZoneSummary,
  summarizeZoneCheck,
  type ZoneGaugeRows,
  type ZoneSummary,
  zoneQuotaOf,
} from '../../../src/inventory/zone-summary.js';
import { certificateGaugeExposition } from '../../../src/observability/hostname-gauges.js';
import { deserializeZoneCheck } from '../../../src/queue/serialization.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/state/${name}`, import.meta.url), 'utf8');

const STORED = (JSON.parse(fixture('zone-snapshots-before-summaries.json')) as unknown[]).map((snapshot) =>
  JSON.stringify(snapshot),
);
/** The summaries the release that introduced them stored for those snapshots (certificate counts only in `quota`). */
const SUMMARIES_FIRST_RELEASE = (JSON.parse(fixture('zone-summaries-first-release.json')) as unknown[]).map(
  (summary) => JSON.stringify(summary),
);
const GAUGES_BEFORE = fixture('hostname-gauges-before-summaries.prom');
const READERS_BEFORE = JSON.parse(fixture('stored-state-readers-before-summaries.json')) as {
  now: string;
  home: unknown;
  zoneRows: unknown;
};

const ZONE_A = { id: 'zone-a-id', name: 'a.example' };
const ZONE_B = { id: 'zone-b-id', name: 'b.example' };
const ZONES = [
  ZONE_A,
  ZONE_B,
  { id: 'zone-c-id', name: null },
  { id: 'zone-d-id', name: 'd.example' },
  { id: 'zone-idle-id', name: 'idle.example' },
  { id: 'zone-new-id', name: 'new.example' },
];

/** Summaries as a reader gets them: made when the snapshot was stored, then read back from Redis. */
function storedSummaries(): ZoneSummary[] {
  return STORED.map((text) => {
    const summary = parseZoneSummary(serializeZoneSummary(summarizeZoneCheck(deserializeZoneCheck(text))));
    if (!summary) throw new Error('a summary just written could not be read back');
    return summary;
  });
}

/** Gauge rows as /metrics gets them, likewise. */
function storedGaugeRows(): ZoneGaugeRows[] {
  return STORED.map((text) => {
    const rows = parseZoneGaugeRows(serializeZoneGaugeRows(gaugeRowsOf(deserializeZoneCheck(text))));
    if (!rows) throw new Error('gauge rows just written could not be read back');
    return rows;
  });
}

function exportedGauges(rows: ZoneGaugeRows[]): string {
  return [
    ...certificateGaugeExposition(rows, {
      routeOf: (hostname) => (hostname.startsWith('pay.') ? 'payments' : null),
      accountOf: (zoneId) => (zoneId === ZONE_A.id ? 'prod' : 'default'),
    }),
  ].join('');
}

/** The two gauges as the registry wrote them after its other metrics: each after a blank line. */
function asWrittenAfterTheRegistry(gauges: string): string {
  const severity = gauges.indexOf('# HELP aop_hostname_severity');
  return `\n${gauges.slice(0, severity)}\n${gauges.slice(severity)}`;
}

describe('zone summaries', () => {
  it('export every per-certificate series with the labels and values the full snapshots gave', () => {
    expect(exportedGauges(storedGaugeRows())).toBe(asWrittenAfterTheRegistry(GAUGES_BEFORE));
  });

  it('export a hostname found twice in a zone once, where it first appeared, with its last value', () => {
    const [zone] = storedGaugeRows();
    if (!zone) throw new Error('fixture has a zone');
    const first = zone.hostnames[0];
    if (!first) throw new Error('fixture zone has hostnames');
    const twice = { ...zone, hostnames: [...zone.hostnames, [first[0], first[1], 42, 'ok'] as const] };
    const text = exportedGauges([twice]);
    const lines = text.split('\n').filter((line) => line.includes(`hostname="${first[0]}"`));
    expect(lines).toEqual([expect.stringMatching(/ 42$/), expect.stringMatching(/ 0$/)]);
  });

  it('escape label values as the text format requires', () => {
    const text = exportedGauges([
      { zone: { id: 'z', name: 'a"b\\c\nd' }, hostnames: [['h.example', 'id', 1, 'ok']], zoneLevel: [] },
    ]);
    expect(text).toContain('zone="a\\"b\\\\c\\nd"');
  });

  it('give the App Home overview the full snapshots gave', () => {
    const overview = buildHomeOverview(
      { zones: ZONES, summaries: storedSummaries(), openThreads: [], digests: [], cloudflareBudget: null },
      new Date(READERS_BEFORE.now),
    );
    expect(JSON.parse(JSON.stringify(overview))).toEqual(READERS_BEFORE.home);
  });

  it('give `zones` the rows the full snapshots gave', () => {
    const plans: ZonePlan[] = ZONES.map((zone, index) => ({
      zone,
      discoverAll: true,
      hostnames: index === 1 ? ['app.b.example'] : [],
      ignored: [],
      ...(index >= 4 ? { discovered: true } : {}),
    }));
    const rows = buildZoneOverview(
      plans,
      new Map(storedSummaries().map((summary) => [summary.zone.id, summary])),
      {
        configuredIds: new Set([ZONE_A.id, ZONE_B.id]),
        accountOf: (plan) => (plan.zone.id === ZONE_A.id ? 'prod' : 'default'),
      },
    );
    expect(JSON.parse(JSON.stringify(rows))).toEqual(READERS_BEFORE.zoneRows);
  });

  it('give `zones` the same rows when stored by the release that introduced them', () => {
    const plans: ZonePlan[] = ZONES.map((zone) => ({ zone, discoverAll: true, hostnames: [], ignored: [] }));
    const rowsOf = (summaries: ZoneSummary[]) =>
      buildZoneOverview(plans, new Map(summaries.map((summary) => [summary.zone.id, summary])), {
        configuredIds: new Set([ZONE_A.id, ZONE_B.id]),
        accountOf: () => 'default',
      });
    const firstRelease = SUMMARIES_FIRST_RELEASE.map(parseZoneSummary);
    expect(firstRelease.every((summary) => summary !== null)).toBe(true);
    expect(rowsOf(firstRelease as ZoneSummary[])).toEqual(rowsOf(storedSummaries()));
  });

  it("hold the zone's quota as the lookup card shows it, and say when one stored earlier lacks it", () => {
    const results = STORED.map(deserializeZoneCheck);
    expect(results.some((result) => result.quota)).toBe(true);
    expect(results.some((result) => !result.quota)).toBe(true);
    storedSummaries().forEach((summary, index) => {
      expect(zoneQuotaOf(summary)).toEqual(results[index]?.quota ?? null);
    });
    SUMMARIES_FIRST_RELEASE.forEach((text, index) => {
      const summary = parseZoneSummary(text);
      if (!summary) throw new Error('a summary of the first release could not be read');
      // No quota counted stays none; a counted one lacks the association figures: read the snapshot.
      expect(zoneQuotaOf(summary)).toBe(results[index]?.quota ? undefined : null);
    });
  });

  it('round-trip through their stored form, dates included', () => {
    for (const text of STORED) {
      const result = deserializeZoneCheck(text);
      expect(parseZoneSummary(serializeZoneSummary(summarizeZoneCheck(result)))).toEqual(
        summarizeZoneCheck(result),
      );
      expect(parseZoneGaugeRows(serializeZoneGaugeRows(gaugeRowsOf(result)))).toEqual(gaugeRowsOf(result));
    }
  });

  it('hold a few numbers per zone, and a few fields per hostname for the gauges, not its record', () => {
    const text = STORED[0] ?? '';
    const result = deserializeZoneCheck(text);
    const summary = serializeZoneSummary(summarizeZoneCheck(result));
    const rows = serializeZoneGaugeRows(gaugeRowsOf(result));
    expect(summary).not.toContain('shop.a.example');
    expect(rows.length).toBeLessThan(text.length / 4);
    expect(rows).not.toContain('reasons');
  });

  it('are not read when stored by another version or unreadable, so the snapshot is read instead', () => {
    const summary = summarizeZoneCheck(deserializeZoneCheck(STORED[0] ?? ''));
    const stored = JSON.parse(serializeZoneSummary(summary)) as Record<string, unknown>;
    expect(parseZoneSummary(JSON.stringify({ ...stored, version: 2 }))).toBeNull();
    const { version: _, ...withoutVersion } = stored;
    expect(parseZoneSummary(JSON.stringify(withoutVersion))).toBeNull();
    expect(parseZoneSummary('{"version":1,')).toBeNull();
    expect(
      parseZoneGaugeRows(
        JSON.stringify({
          ...JSON.parse(serializeZoneGaugeRows(gaugeRowsOf(deserializeZoneCheck(STORED[0] ?? '')))),
          version: 2,
        }),
      ),
    ).toBeNull();
  });
});
