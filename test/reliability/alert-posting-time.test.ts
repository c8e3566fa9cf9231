import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app-harness.js';
import { type FakeCloudflare, startFakeCloudflare } from '../support/fake-cloudflare.js';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../support/redis.js';
import { evaluateNow, slackCallsSince } from '../support/runs.js';
import { scenarioFigures } from './figures.js';

/**
 * How long one evaluation step takes to post when a certificate shared by 1, 10 or 100 hostnames
 * crosses a ladder rung, with Slack's pacing as in production (one message per second per
 * channel, shared through Redis). Grouped, a step is one reply and one update whatever the number
 * of hostnames; per hostname it is one reply and one update per hostname, so it grows with them.
 */

const figures = scenarioFigures('10-alert-posting-time');
const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
const DAY_MS = 86_400_000;
const EXPIRY = new Date('2027-01-01T00:00:00Z');

let slack: FakeSlack | undefined;
let cloudflare: FakeCloudflare | undefined;
let app: TestApp | undefined;
let prefix = '';

afterEach(async () => {
  await app?.stop();
  await slack?.close();
  await cloudflare?.close();
  const redis = connectTestRedis();
  await deleteKeysWithPrefix(redis, prefix);
  redis.disconnect();
});

/** Opens the thread(s) at 25 days left, then times the evaluation that crosses rung 14. */
async function stepSeconds(
  groupBy: 'certificate' | 'hostname',
  hostnames: number,
): Promise<{ seconds: number; calls: string[] }> {
  slack = await startFakeSlack();
  cloudflare = await startFakeCloudflare();
  cloudflare.state.addZone({ id: ZONE_ID, name: 'example.com' });
  const certificate = cloudflare.state.addCertificate(ZONE_ID, {
    serial_number: '4097',
    expires_on: EXPIRY.toISOString(),
  });
  for (let index = 0; index < hostnames; index += 1) {
    cloudflare.state.associate(ZONE_ID, { hostname: `app-${index}.example.com`, cert_id: certificate.id });
  }
  prefix = uniquePrefix(`posting-${groupBy}-${hostnames}`);
  let now = new Date(EXPIRY.getTime() - 25 * DAY_MS);
  app = await startTestApp({
    slackApiUrl: slack.apiUrl,
    cloudflareBaseUrl: cloudflare.baseUrl,
    clock: () => now,
    prefix,
    file: {
      timezone: 'UTC',
      zones: [{ id: ZONE_ID, name: 'example.com' }],
      alerts: { channel: 'C0INCIDENT', group_by: groupBy },
    },
  });
  await evaluateNow(app, { timeoutMs: 300_000 });
  now = new Date(EXPIRY.getTime() - 10 * DAY_MS);
  const from = slack.calls.length;
  const started = performance.now();
  await evaluateNow(app, { timeoutMs: 300_000 });
  return {
    seconds: Math.round((performance.now() - started) / 100) / 10,
    calls: slackCallsSince(slack, from),
  };
}

describe('posting time per step', () => {
  for (const hostnames of [1, 10, 100]) {
    it(`grouped by certificate, ${hostnames} hostname(s) on the certificate: one reply and one update`, async () => {
      const { seconds, calls } = await stepSeconds('certificate', hostnames);
      figures.record(`certificate_${hostnames}_hostnames_step_seconds`, seconds, {
        note: 'rung 14 crossed: wall time of the evaluation, Slack paced at 1 message/s per channel',
      });
      expect(calls).toEqual(['reply', 'update']);
    }, 120_000);
  }
  for (const hostnames of [1, 10]) {
    it(`per hostname, ${hostnames} hostname(s): one reply and one update each`, async () => {
      const { seconds, calls } = await stepSeconds('hostname', hostnames);
      figures.record(`hostname_${hostnames}_hostnames_step_seconds`, seconds, {
        note: 'group_by: hostname, for comparison; 100 hostnames would take at least 100 s at 1 message/s',
      });
      expect(calls.filter((call) => call === 'reply')).toHaveLength(hostnames);
    }, 300_000);
  }
});
