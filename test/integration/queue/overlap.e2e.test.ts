import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOB_NAMES, QUEUE_NAMES } from '../../../src/queue/names.js';
import { redisKeys } from '../../../src/store/keys.js';
import { startTestApp, type TestApp } from '../../support/app-harness.js';
import { type FakeCloudflare, startFakeCloudflare } from '../../support/fake-cloudflare.js';
import { type FakeSlack, startFakeSlack } from '../../support/fake-slack.js';
import { connectTestRedis, deleteKeysWithPrefix, testRedisUrl } from '../../support/redis.js';
import { waitForQueuesIdle } from '../../support/runs.js';

const ZONE_ID = 'aaaa0000bbbb1111cccc2222dddd3333';
const MINUTE = 60_000;

let slack: FakeSlack;
let cloudflare: FakeCloudflare;
let app: TestApp;
let alertsQueue: Queue;

/** Resolves with the first log line `match` accepts, waiting for it to be written. */
async function logLine(match: (line: Record<string, unknown>) => boolean, what: string) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const found = app.logs.find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no log line: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const fannedOut = (slotTimeMs: number) => (line: Record<string, unknown>) =>
  line.msg === 'run fanned out' && String(line.slotId).endsWith(String(slotTimeMs));

beforeAll(async () => {
  slack = await startFakeSlack();
  cloudflare = await startFakeCloudflare();
  const zone = cloudflare.state.addZone({ id: ZONE_ID, name: 'slow.example' });
  const certificate = cloudflare.state.addCertificate(zone.id, { expires_on: '2027-06-01T00:00:00Z' });
  cloudflare.state.associate(zone.id, { hostname: 'app.slow.example', cert_id: certificate.id });
  app = await startTestApp({
    slackApiUrl: slack.apiUrl,
    cloudflareBaseUrl: cloudflare.baseUrl,
    file: {
      zones: [{ id: ZONE_ID, name: 'slow.example' }],
      // Never during the test: the slots below are queued by hand, as the scheduler would.
      alerts: { channel: 'C0INCIDENT', schedule: '0 0 1 1 *' },
      digest: { schedule: '0 0 1 1 *', channels: [] },
    },
  });
  const url = new URL(testRedisUrl());
  alertsQueue = new Queue(QUEUE_NAMES.alerts, {
    connection: { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null },
    prefix: redisKeys(app.prefix).queuePrefix,
  });
});

afterAll(async () => {
  await alertsQueue?.close();
  await app?.stop();
  const redis = connectTestRedis();
  await deleteKeysWithPrefix(redis, app.prefix);
  redis.disconnect();
  await slack?.close();
  await cloudflare?.close();
});

describe('scheduled runs never overlap', () => {
  it('holds a slot that fires while the previous evaluation is still going, then runs it once, late, and reports it', async () => {
    // Every Cloudflare answer takes 1.5 s: the first evaluation is still going when the next slot fires.
    cloudflare.options.latencyMs = 1_500;
    const firstSlot = Date.now() - 20 * MINUTE;
    const nextSlot = Date.now() - 10 * MINUTE;
    await alertsQueue.add(
      JOB_NAMES.alertsTick,
      { trigger: 'schedule', slotTimeMs: firstSlot },
      { jobId: 'first' },
    );
    await logLine(fannedOut(firstSlot), 'the first slot fanned out');
    await alertsQueue.add(
      JOB_NAMES.alertsTick,
      { trigger: 'schedule', slotTimeMs: nextSlot },
      { jobId: 'next' },
    );
    const held = await logLine(
      (line) =>
        typeof line.msg === 'string' &&
        line.msg.startsWith('the previous run of this schedule is still going'),
      'the next slot held',
    );
    expect(held).toMatchObject({ purpose: 'alerts', slotTime: new Date(nextSlot).toISOString() });
    cloudflare.options.latencyMs = 0;

    const late = await logLine(fannedOut(nextSlot), 'the held slot fanned out after the first run');
    await waitForQueuesIdle(app);
    const order = (match: (line: Record<string, unknown>) => boolean) => app.logs.findIndex(match);
    const firstDone = order((line) => line.msg === 'alert evaluation done');
    expect(firstDone, 'the first evaluation finished').toBeGreaterThanOrEqual(0);
    expect(order(fannedOut(nextSlot))).toBeGreaterThan(firstDone);
    expect(app.logs.filter(fannedOut(nextSlot))).toHaveLength(1);
    expect(late.lateByMs).toBeGreaterThanOrEqual(10 * MINUTE);

    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toContain('aop_run_slots_held_total{run="alerts",route=""} 1');
    expect(metrics).toMatch(/aop_run_late_seconds\{run="alerts",route=""\} 6\d\d/);
  });
});
