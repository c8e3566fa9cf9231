import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../../src/config/load.js';
import type { AppConfig } from '../../../src/config/types.js';
import type { ZoneRef } from '../../../src/domain/types.js';
import { budgetInputs, budgetWarning, planAccountBudgets } from '../../../src/inventory/budget-inputs.js';
import { type ZoneCheckResult, type ZonePlan, zoneUseOf } from '../../../src/inventory/zone-check.js';

const NOW = new Date('2026-12-07T08:00:00Z');
const zoneId = (index: number) => index.toString(16).padStart(32, '0');

function config(file: Record<string, unknown>): AppConfig {
  const result = loadConfig({
    env: {
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: 'secret',
      CLOUDFLARE_API_TOKEN: 'cfat_default-token',
      CLOUDFLARE_API_TOKEN_PROD: 'cfat_prod-token',
      CLOUDFLARE_API_TOKEN_STAGING: 'cfat_staging-token',
    },
    cwd: '/srv/aop',
    fileExists: (file) => file === '/srv/aop/aop-status.yml',
    readFile: () => stringify(file),
  });
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.config;
}

const ACCOUNTS = {
  accounts: [
    { name: 'prod', token_env: 'CLOUDFLARE_API_TOKEN_PROD' },
    {
      name: 'staging',
      token_env: 'CLOUDFLARE_API_TOKEN_STAGING',
      rate_limit: { requests: 600, per_seconds: 300 },
    },
  ],
};

function plan(index: number, extra: Partial<ZonePlan> = {}): ZonePlan {
  return {
    zone: { id: zoneId(index), name: `zone${index}.example` },
    discoverAll: true,
    hostnames: [],
    ignored: [],
    ...extra,
  };
}

function checked(index: number, hostnames: number, quota = hostnames > 0 ? 1 : 0): ZoneCheckResult {
  const zone: ZoneRef = { id: zoneId(index), name: `zone${index}.example` };
  return {
    zone,
    checkedAt: NOW,
    checks: Array.from({ length: hostnames }, () => ({}) as ZoneCheckResult['checks'][number]),
    failure: null,
    requests: 4,
    quota: {
      certificatesUsed: quota,
      certificatesLimit: 10,
      largestAssociationCount: 0,
      largestAssociationCertificateId: null,
      associationsLimit: 100,
    },
    zoneLevel: { state: 'checked', zoneLevelAop: false, certificates: [] },
  };
}

describe('budgetInputs', () => {
  it("splits the zones by the account that reads them, each with its own token's limit", () => {
    const inputs = budgetInputs({
      config: config({ cloudflare: ACCOUNTS, alerts: { channel: 'C0INC' } }),
      plans: [plan(1, { account: 'prod' }), plan(2, { account: 'staging' }), plan(3, { account: 'staging' })],
      accountOf: (zonePlan) => zonePlan.account ?? 'prod',
      snapshots: new Map(),
      mayOwnInZone: () => true,
      now: NOW,
    });
    expect(
      inputs.map(({ account, input }) => [account, input.zones.length, input.rateLimit.requests]),
    ).toEqual([
      ['prod', 1, 1200],
      ['staging', 2, 600],
    ]);
  });

  it.each([
    ['alerts.channel set', { alerts: { channel: 'C0INC' } }, ['digest', 'alerts']],
    ['no alert channel anywhere', {}, ['digest']],
    [
      "a route's alerts channel",
      { routes: [{ name: 'pay', match: { zones: ['zone1.example'] }, alerts_channel: 'C0PAY' }] },
      ['digest', 'alerts'],
    ],
    [
      'a route digest with its own channel',
      {
        routes: [
          {
            name: 'pay',
            match: { zones: ['zone1.example'] },
            digest: { channels: ['C0PAYOPS'], schedule: '0 7 * * *' },
          },
        ],
      },
      ['digest', 'digest:pay'],
    ],
    [
      'a route digest without a channel (subscriptions are not known here)',
      { routes: [{ name: 'pay', match: { zones: ['zone1.example'] } }] },
      ['digest'],
    ],
  ])('schedules with %s', (_name, file, expected) => {
    const [prod] = budgetInputs({
      config: config(file),
      plans: [plan(1), plan(2)],
      accountOf: () => 'default',
      snapshots: new Map(),
      mayOwnInZone: (route, zone) => route === 'pay' && zone.name === 'zone1.example',
      now: NOW,
    });
    expect(prod?.input.schedules.map((schedule) => schedule.name)).toEqual(expected);
    const routeDigest = prod?.input.schedules.find((schedule) => schedule.name === 'digest:pay');
    if (routeDigest) expect(routeDigest.zoneIndexes).toEqual([0]);
  });

  it('takes association counts from the stored checks and marks idle discovered zones with discover:', () => {
    const [only] = budgetInputs({
      config: config({ discover: { every: '1h' } }),
      plans: [plan(1), plan(2, { discovered: true }), plan(3, { discovered: true })],
      accountOf: () => 'default',
      snapshots: new Map([
        [zoneId(1), zoneUseOf(checked(1, 2500))],
        [zoneId(2), zoneUseOf(checked(2, 0))],
      ]),
      mayOwnInZone: () => true,
      now: NOW,
    });
    expect(only?.input.zones).toEqual([
      { associations: 2500 },
      { associations: 0, idle: true },
      { associations: null },
    ]);
    expect(only?.input.discoverEveryMs).toBe(3_600_000);
  });
});

describe('budgetWarning', () => {
  const plansFor = (zones: number, file: Record<string, unknown>) => {
    const loaded = config({ alerts: { channel: 'C0INC' }, ...file });
    const first = loaded.cloudflare.accounts[0]?.name ?? 'default';
    return planAccountBudgets(
      budgetInputs({
        config: loaded,
        plans: Array.from({ length: zones }, (_, index) => plan(index)),
        accountOf: (zonePlan) => zonePlan.account ?? first,
        snapshots: new Map(),
        mayOwnInZone: () => true,
        now: NOW,
      }),
    );
  };

  it('is null while every token fits', () => {
    expect(budgetWarning(plansFor(100, {}))).toBeNull();
  });

  it('names the account whose schedules do not fit when there are several', () => {
    expect(budgetWarning(plansFor(1000, { cloudflare: ACCOUNTS }))).toMatch(
      /^Account prod: The schedules need 112% of 1,200 Cloudflare requests per 300 s/,
    );
  });

  it('is one sentence without an account name for the single credential', () => {
    expect(budgetWarning(plansFor(1000, {}))).toMatch(/^The schedules need 112%/);
  });
});
