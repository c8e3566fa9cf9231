import { describe, expect, it } from 'vitest';
import {
  backgroundRequestLimit,
  describeBudgetPlan,
  grantShares,
  type PlannedSchedule,
  type PlannedZone,
  planBudget,
  scheduleRhythm,
  zoneCheckRequests,
} from '../../../src/inventory/budget-plan.js';

const NOW = new Date('2026-12-07T08:00:00Z'); // a Monday
const LIMIT = { requests: 1200, perSeconds: 300 };
const ALERTS: PlannedSchedule = { name: 'alerts', pattern: '*/15 * * * *', timeZone: 'UTC' };
const DIGEST: PlannedSchedule = { name: 'digest', pattern: '0 9 * * 1-5', timeZone: 'Europe/Berlin' };
const MINUTE = 60_000;

const zones = (count: number, zone: PlannedZone = { associations: 100 }): PlannedZone[] =>
  Array.from({ length: count }, () => ({ ...zone }));

describe('zoneCheckRequests', () => {
  it.each([
    [null, 4],
    [0, 4],
    [100, 4],
    [1000, 4],
    [1001, 5],
    [2500, 6],
    [100_000, 103],
  ])('a zone with %s associations costs %i requests', (associations, expected) => {
    expect(zoneCheckRequests({ associations })).toBe(expected);
  });
});

describe('backgroundRequestLimit', () => {
  it.each([
    [1200, 0.2, 960],
    [1200, 0, 1200],
    [100, 0.2, 80],
    [1, 0.2, 1],
  ])('%i requests with a %s reserve leave %i to background runs', (requests, reserve, expected) => {
    expect(backgroundRequestLimit(requests, reserve)).toBe(expected);
  });
});

describe('scheduleRhythm', () => {
  it.each([
    ['*/15 * * * *', 'UTC', 15 * MINUTE, 96],
    ['0 9 * * *', 'UTC', 24 * 60 * MINUTE, 1],
    // Weekdays only: the shortest gap is a day, five runs a week.
    ['0 9 * * 1-5', 'Europe/Berlin', 24 * 60 * MINUTE, 1],
    ['0 9,10 * * *', 'UTC', 60 * MINUTE, 2],
    ['*/30 * * * * *', 'UTC', 30_000, 2880],
  ])('%s in %s: shortest interval and runs a day', (pattern, timeZone, shortest, perDay) => {
    const rhythm = scheduleRhythm(pattern, timeZone, NOW);
    expect(rhythm?.shortestIntervalMs).toBe(shortest);
    // Runs a day are read over the runs found, so a weekday pattern reads as once a day between them.
    expect(rhythm?.runsPerDay).toBeCloseTo(perDay, 0);
  });

  it('is null for a pattern it cannot read', () => {
    expect(scheduleRhythm('not a cron', 'UTC', NOW)).toBeNull();
  });
});

describe('grantShares', () => {
  it.each([
    [[0.5, 0.2], 0.8, [0.5, 0.2]],
    [[1.11, 0.01], 0.8, [0.79, 0.01]],
    [[1, 1], 0.8, [0.4, 0.4]],
    [[0.1, 0.5, 0.5], 0.8, [0.1, 0.35, 0.35]],
    [[], 0.8, []],
  ])('needs %j within %s: grants %j', (needed, capacity, expected) => {
    const granted = grantShares(needed, capacity);
    expect(granted).toHaveLength(expected.length);
    for (const [index, share] of granted.entries()) {
      expect(share).toBeCloseTo(expected[index] ?? Number.NaN, 6);
    }
  });
});

describe('planBudget', () => {
  it.each([
    // zones, schedules, requests per alerts run, needed share (of the whole limit), fits.
    // Alerts every 15 min: 4 requests a zone ÷ 3,600 requests per 15 min; the weekday digest: ÷ 345,600 a day.
    [100, [ALERTS, DIGEST], 400, 0.1123, true],
    [700, [ALERTS, DIGEST], 2800, 0.7859, true],
    [1000, [ALERTS, DIGEST], 4000, 1.1227, false],
    [5000, [ALERTS, DIGEST], 20_000, 5.6134, false],
    [1000, [DIGEST], null, 0.0116, true],
  ])('%i zones: %#', (count, schedules, alertsRequests, neededShare, fits) => {
    const plan = planBudget({
      rateLimit: LIMIT,
      zones: zones(count),
      schedules,
      discoverEveryMs: null,
      now: NOW,
    });
    const alerts = plan.runs.find((run) => run.name === 'alerts');
    expect(alerts?.requestsPerRun ?? null).toBe(alertsRequests);
    expect(plan.neededShare).toBeCloseTo(neededShare, 3);
    expect(plan.fits).toBe(fits);
    expect(plan.backgroundRequests).toBe(960);
  });

  it('stretches a run that does not fit to its part of the background budget', () => {
    const plan = planBudget({
      rateLimit: LIMIT,
      zones: zones(1000),
      schedules: [ALERTS],
      discoverEveryMs: null,
      now: NOW,
    });
    const [alerts] = plan.runs;
    // 4,000 requests at 960 per 300 s: 1,250 s, where the schedule allows 900 s.
    expect(alerts?.paceMs).toBeCloseTo(1_250_000, -2);
    expect(alerts?.stretchedRunMs).toBeCloseTo(1_250_000, -2);
    expect(plan.zonesThatFit).toBe(720);
  });

  it('says how many zones fit the schedules: 1,000 and 5,000 zones on one token', () => {
    const at = (count: number) =>
      planBudget({
        rateLimit: LIMIT,
        zones: zones(count),
        schedules: [ALERTS, DIGEST],
        discoverEveryMs: null,
        now: NOW,
      });
    expect(at(1000).zonesThatFit).toBe(712);
    expect(at(5000).zonesThatFit).toBe(712);
    // The digest is granted all it needs; alerts get the rest of the 80%: 20,000 requests take 112 min.
    expect(at(5000).runs.find((run) => run.name === 'alerts')?.stretchedRunMs).toBeCloseTo(6_737_500, -3);
    expect(at(5000).runs.find((run) => run.name === 'digest')?.stretchedRunMs).toBeNull();
    expect(at(1000).runs.find((run) => run.name === 'alerts')?.stretchedRunMs).toBeCloseTo(1_268_300, -3);
  });

  it('keeps no stretched duration when the schedules fit, and a long run still has its pace', () => {
    const plan = planBudget({
      rateLimit: LIMIT,
      zones: zones(5000),
      schedules: [DIGEST],
      discoverEveryMs: null,
      now: NOW,
    });
    const [digest] = plan.runs;
    expect(plan.fits).toBe(true);
    expect(digest?.stretchedRunMs).toBeNull();
    // 20,000 requests cannot go faster than 960 per 300 s, schedule or not.
    expect(digest?.paceMs).toBeCloseTo(6_250_000, -3);
  });

  it("counts digests of the same schedule once, over the union of their zones, and a route's digest over its own zones", () => {
    const plan = planBudget({
      rateLimit: LIMIT,
      zones: zones(10),
      schedules: [
        DIGEST,
        { ...DIGEST, name: 'digest:payments', zoneIndexes: [0, 1] },
        { name: 'digest:night', pattern: '0 2 * * *', timeZone: 'UTC', zoneIndexes: [3] },
      ],
      discoverEveryMs: null,
      now: NOW,
    });
    expect(plan.runs.map((run) => [run.name, run.requestsPerRun])).toEqual([
      ['digest', 40],
      ['digest:night', 4],
    ]);
  });

  it('checks idle discovered zones at discover.every only, and counts the zone listing', () => {
    const plan = planBudget({
      rateLimit: LIMIT,
      zones: [...zones(100), ...zones(900, { associations: 0, idle: true })],
      schedules: [ALERTS],
      discoverEveryMs: 60 * MINUTE,
      now: NOW,
    });
    expect(plan.runs[0]?.requestsPerRun).toBe(400);
    // 1,000 zones listed 50 a page, and 900 idle zones checked once an hour.
    expect(plan.discovery).toMatchObject({ requestsPerRun: 20 + 3600 });
    expect(plan.discovery?.share).toBeCloseTo(3620 / 14_400, 4);
  });

  it('leaves out a schedule it cannot read rather than guessing', () => {
    const plan = planBudget({
      rateLimit: LIMIT,
      zones: zones(10),
      schedules: [{ name: 'alerts', pattern: 'nonsense', timeZone: 'UTC' }],
      discoverEveryMs: null,
      now: NOW,
    });
    expect(plan.runs).toEqual([]);
    expect(plan.fits).toBe(true);
  });

  it('describes a plan that does not fit with the run that overruns and the zones that would fit', () => {
    const plan = planBudget({
      rateLimit: LIMIT,
      zones: zones(1000),
      schedules: [ALERTS, DIGEST],
      discoverEveryMs: null,
      now: NOW,
    });
    expect(describeBudgetPlan(plan)).toBe(
      'The schedules need 112% of 1,200 Cloudflare requests per 300 s, more than the 80% background runs may use ' +
        '(20% is kept for lookups): alerts (4,000 requests every 15 min) takes 21 min a run. About 712 zones would fit these schedules.',
    );
  });

  it('describes a plan that fits in one sentence', () => {
    const plan = planBudget({
      rateLimit: LIMIT,
      zones: zones(100),
      schedules: [ALERTS, DIGEST],
      discoverEveryMs: null,
      now: NOW,
    });
    expect(describeBudgetPlan(plan)).toBe(
      'The schedules need 11% of 1,200 Cloudflare requests per 300 s at their busiest, within the 80% background runs may use (20% is kept for lookups).',
    );
  });
});
