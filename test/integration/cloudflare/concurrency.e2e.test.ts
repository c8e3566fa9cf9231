/**
 * `cloudflare.concurrency` is one limit for the whole process: zone-check jobs running side by
 * side, each falling back to per-hostname calls, and lookups at the same time never have more
 * requests in flight at the local Cloudflare than the setting says. (Before, the limits
 * multiplied: 4 zone jobs × 8 hostnames each.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNING_SECRET, startTestApp, type TestApp } from '../../support/app-harness.js';
import { type FakeCloudflare, startFakeCloudflare } from '../../support/fake-cloudflare.js';
import { type FakeSlack, sendSlashCommand, startFakeSlack } from '../../support/fake-slack.js';
import { connectTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';
import { evaluateNow } from '../../support/runs.js';

const CONCURRENCY = 3;
const ZONES = Array.from({ length: 6 }, (_, index) => ({
  id: `${String(index).padStart(2, '0')}${'a'.repeat(30)}`,
  name: `zone${index}.test`,
}));

let slack: FakeSlack;
let cloudflare: FakeCloudflare;
let app: TestApp;

beforeAll(async () => {
  slack = await startFakeSlack();
  cloudflare = await startFakeCloudflare();
  for (const zone of ZONES) {
    cloudflare.state.addZone(zone);
    const certificate = cloudflare.state.addCertificate(zone.id, { expires_on: '2027-06-01T00:00:00Z' });
    cloudflare.state.associate(zone.id, { hostname: `app.${zone.name}`, cert_id: certificate.id });
  }
  app = await startTestApp({
    slackApiUrl: slack.apiUrl,
    cloudflareBaseUrl: cloudflare.baseUrl,
    file: {
      cloudflare: { concurrency: CONCURRENCY },
      alerts: { channel: 'C0INCIDENT' },
      // Four hostnames per zone missing from the association list: each is asked for on its own.
      zones: ZONES.map((zone) => ({
        ...zone,
        hostnames: [`app.${zone.name}`, ...[1, 2, 3, 4].map((n) => `gone${n}.${zone.name}`)],
      })),
    },
  });
});

afterAll(async () => {
  await app?.stop();
  await slack?.close();
  await cloudflare?.close();
  const redis = connectTestRedis();
  await deleteKeysWithPrefix(redis, app.prefix);
  redis.disconnect();
});

describe('cloudflare.concurrency', () => {
  it('bounds the requests in flight of the whole process: zone checks and lookups together', async () => {
    cloudflare.options.latencyMs = 100;
    cloudflare.inFlight.max = 0;
    const before = cloudflare.requests.length;
    const lookups = ZONES.slice(0, 3).map(async (zone) => {
      const url = slack.responseUrl();
      await sendSlashCommand(app.url, SIGNING_SECRET, { text: `app.${zone.name}`, response_url: url });
      return slack.waitFor(() => slack.responsesTo(url)[0], {
        timeoutMs: 20_000,
        what: `the card of ${zone.name}`,
      });
    });
    await Promise.all([evaluateNow(app), ...lookups]);
    const requests = cloudflare.requests.length - before;
    // Six zones: two lists each plus four per-hostname calls, and the lookups' four calls each.
    expect(requests).toBeGreaterThanOrEqual(6 * 6);
    expect(cloudflare.inFlight.max).toBe(CONCURRENCY);
  });
});
