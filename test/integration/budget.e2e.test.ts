import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { createZoneSummaryReader } from '../../src/queue/zone-summaries.js';
import { redisKeys } from '../../src/store/keys.js';
import { startTestApp, type TestApp } from '../support/app-harness.js';
import { type FakeCloudflare, startFakeCloudflare } from '../support/fake-cloudflare.js';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.js';
import { connectTestRedis, deleteKeysWithPrefix } from '../support/redis.js';
import { waitForQueuesIdle } from '../support/runs.js';

const NOW = new Date('2026-11-20T12:00:00Z');
const DIGEST = 'C0DIGEST';
/** Six zones, each four requests a run. */
const ZONE_IDS = Array.from({ length: 6 }, (_, index) => `${index.toString(16)}`.repeat(32));

let slack: FakeSlack;
let cloudflare: FakeCloudflare;
let app: TestApp;

beforeAll(async () => {
  slack = await startFakeSlack();
  cloudflare = await startFakeCloudflare();
  ZONE_IDS.forEach((id, index) => {
    cloudflare.state.addZone({ id, name: `zone${index}.example` });
  });
  // One hostname expiring soon, so the digest is a full one with its footer.
  const certificate = cloudflare.state.addCertificate(ZONE_IDS[0] as string, {
    expires_on: '2026-11-25T00:00:00Z',
  });
  cloudflare.state.associate(ZONE_IDS[0] as string, {
    hostname: 'app.zone0.example',
    cert_id: certificate.id,
  });
  app = await startTestApp({
    slackApiUrl: slack.apiUrl,
    cloudflareBaseUrl: cloudflare.baseUrl,
    clock: () => NOW,
    file: {
      timezone: 'UTC',
      zones: ZONE_IDS.map((id, index) => ({ id, name: `zone${index}.example` })),
      // Every minute on the day the domain clock is on: 24 requests a minute where the limit gives
      // 20 (100 per 5 minutes). The queue's own clock is the wall clock, so no evaluation runs here.
      alerts: { channel: 'C0INCIDENT', schedule: '* * 20 11 *' },
      digest: { schedule: '0 0 1 1 *', channels: [DIGEST] },
      cloudflare: { rate_limit: { requests: 100, per_seconds: 300 } },
    },
  });
});

afterAll(async () => {
  await app?.stop();
  const redis = connectTestRedis();
  await deleteKeysWithPrefix(redis, app.prefix);
  redis.disconnect();
  await slack?.close();
  await cloudflare?.close();
});

describe('a Cloudflare budget the schedules do not fit', () => {
  it('says so at start, with what the schedules need', () => {
    const warning = app.logs.find(
      (line) =>
        typeof line.msg === 'string' && line.msg.startsWith('the schedules do not fit the Cloudflare budget'),
    );
    expect(warning, 'the start-up warning').toBeDefined();
    expect(warning?.msg).toContain('The schedules need 120% of 100 Cloudflare requests per 300 s');
    expect(warning).toMatchObject({ account: 'default', backgroundRequests: 80 });
  });

  it('reports it in /healthz without failing it', async () => {
    const health = await fetch(`${app.url}/healthz`);
    expect(health.status).toBe(200);
    const report = (await health.json()) as {
      status: string;
      checks: Record<string, { ok: boolean; required?: boolean; detail: string }>;
    };
    expect(report.status).toBe('ok');
    expect(report.checks.cloudflareBudget).toMatchObject({ ok: false, required: false });
    expect(report.checks.cloudflareBudget?.detail).toContain('more than the 80% background runs may use');
  });

  it('exports the aop_cloudflare_budget_* gauges', async () => {
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toContain('aop_cloudflare_budget_fits{account="default"} 0');
    expect(metrics).toContain('aop_cloudflare_budget_needed_ratio{account="default"} 1.2');
    expect(metrics).toContain('aop_cloudflare_budget_background_ratio{account="default"} 0.8');
    expect(metrics).toContain('aop_cloudflare_budget_run_requests{account="default",schedule="alerts"} 24');
    expect(metrics).toContain(
      'aop_cloudflare_budget_interval_seconds{account="default",schedule="alerts"} 60',
    );
    // 24 requests a minute granted 16: a run takes 90 s.
    expect(metrics).toContain('aop_cloudflare_budget_run_seconds{account="default",schedule="alerts"} 90');
  });

  it('adds a line to the digest footer', async () => {
    const before = slack.messages.length;
    await app.service.queues.requestDigest(DIGEST, 'U0TEST');
    await waitForQueuesIdle(app);
    const posted = slack.messages.slice(before).filter((message) => message.channel === DIGEST);
    expect(posted.length).toBeGreaterThan(0);
    expect(JSON.stringify(posted.map((message) => message.blocks))).toContain(
      ':hourglass: The schedules need 120% of 100 Cloudflare requests per 300 s',
    );
  });

  it("plans from each zone's stored summary, a few numbers: the hostnames its check reported", async () => {
    // The digest above stored every zone's check, and its summary beside it.
    const redis = connectTestRedis();
    try {
      const reader = createZoneSummaryReader({
        redis,
        keys: redisKeys(app.prefix),
        logger: createLogger({ level: 'silent' }),
      });
      const readings = new Map(
        (await reader.readSummaries()).map((summary) => [summary.zone.id, summary.use]),
      );
      expect([...readings.keys()].sort()).toEqual([...ZONE_IDS].sort());
      expect(readings.get(ZONE_IDS[0] as string)).toMatchObject({ failed: false, hostnames: 1 });
      expect(readings.get(ZONE_IDS[1] as string)).toMatchObject({ failed: false, hostnames: 0 });
    } finally {
      redis.disconnect();
    }
  });
});
