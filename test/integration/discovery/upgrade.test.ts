import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deserializeGroupState } from '../../../src/alerts/group.js';
import { redisKeys } from '../../../src/store/keys.js';
import { FITNESS_PEMS } from '../../fixtures/pem/fitness.js';
import { readAlertFixture, seedStoredAlerts } from '../../support/alert-fixtures.js';
import { startTestApp, type TestApp } from '../../support/app-harness.js';
import { FAKE_API_TOKEN, type FakeCloudflare, startFakeCloudflare } from '../../support/fake-cloudflare.js';
import { type FakeSlack, startFakeSlack } from '../../support/fake-slack.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../support/redis.js';
import { evaluateNow, slackCallsSince } from '../../support/runs.js';
import { messageText, slash } from '../digest/support.js';

/**
 * Upgrading to zone discovery changes nothing for a config with only `zones`: the state the
 * previous release stored (test/fixtures/alerts/grouped-release.json, an open expiry thread of 30
 * hostnames) is read as it was, no zone is listed, no discovery state or job appears, every call
 * goes with the single credential, and the open thread goes on as before.
 */

const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
const INCIDENT = 'C0INCIDENT';
const MENTION = '<!subteam^S0123>';
const HOUR_MS = 3_600_000;
const OLD_ID = '2458ce5a-0c35-4c7f-82c7-8e9487d3ff60';
const HOSTNAMES = Array.from(
  { length: 30 },
  (_, index) => `app-${String(index).padStart(2, '0')}.example.com`,
);

const FIXTURE = readAlertFixture('grouped-release');

let slack: FakeSlack;
let cloudflare: FakeCloudflare;
let app: TestApp | null;
let now: Date;
let prefix: string;

beforeEach(async () => {
  slack = await startFakeSlack();
  cloudflare = await startFakeCloudflare();
  cloudflare.state.addZone({ id: ZONE_ID, name: 'example.com' });
  cloudflare.state.addCertificate(ZONE_ID, {
    id: OLD_ID,
    serial_number: '4097',
    issuer: 'CN=Fixture Origin Pull CA',
    expires_on: '2026-12-01T12:00:00Z',
    uploaded_on: '2026-01-02T09:00:00Z',
    certificate: FITNESS_PEMS.client_auth.pem,
  });
  for (const hostname of HOSTNAMES) cloudflare.state.associate(ZONE_ID, { hostname, cert_id: OLD_ID });
  prefix = uniquePrefix('upgrade-discovery');
  now = new Date(new Date(FIXTURE.now).getTime() + HOUR_MS);
  app = null;
});

afterEach(async () => {
  await app?.stop();
  await slack.close();
  await cloudflare.close();
  const redis = connectTestRedis();
  await deleteKeysWithPrefix(redis, prefix);
  redis.disconnect();
});

describe('upgrading to zone discovery', () => {
  it('keeps a config with only zones, and the state the previous release stored, working exactly as before', async () => {
    await seedStoredAlerts(FIXTURE, { prefix, slack });
    const keys = redisKeys(prefix);
    const redis = connectTestRedis();
    try {
      const storedGroups = await redis.hgetall(keys.alertGroups);

      app = await startTestApp({
        slackApiUrl: slack.apiUrl,
        cloudflareBaseUrl: cloudflare.baseUrl,
        clock: () => now,
        prefix,
        file: {
          timezone: 'Europe/Berlin',
          zones: [{ id: ZONE_ID, name: 'example.com' }],
          alerts: { channel: INCIDENT, mention_on_critical: MENTION },
        },
      });
      const from = slack.calls.length;
      await evaluateNow(app);
      // Nothing changed within the hour: the open thread says nothing, as the previous release would.
      expect(slackCallsSince(slack, from)).toEqual([]);
      const after = await redis.hgetall(keys.alertGroups);
      expect(Object.keys(after)).toEqual(Object.keys(storedGroups));
      for (const [field, text] of Object.entries(after)) {
        const state = deserializeGroupState(text);
        expect(state.id).toBe(field);
        expect(state.episode?.resolvedAt).toBeNull();
        expect(state.episode?.parent?.ts).toBe('1700000000.000001');
      }

      // No zone listed, no discovery state, no discovery job; every call with the one credential.
      expect(cloudflare.requestsTo('zones')).toEqual([]);
      expect(await redis.keys(`${prefix}:discover:*`)).toEqual([]);
      const token = FAKE_API_TOKEN.scheme === 'api_token' ? FAKE_API_TOKEN.token : '';
      expect(new Set(cloudflare.requests.map((request) => request.headers.authorization))).toEqual(
        new Set([`Bearer ${token}`]),
      );
      // No job scheduler for the zone listing (BullMQ keeps schedulers under `<queue>:repeat`).
      expect(await redis.keys(`{${prefix}}:discover:repeat*`)).toEqual([]);

      // The zones view shows the configured zone under the single credential, as account "default".
      const { responses } = await slash(app, slack, 'zones');
      const text = responses.map((response) => messageText({ blocks: response.blocks } as never)).join('\n');
      expect(text).toContain('*Watched zones: 1 in 1 account* (1 configured): default 1.');
      expect(text).toContain(
        '*example.com* · `default` · configured · 30 hostnames · 1 of 10 hostname certificates',
      );
    } finally {
      redis.disconnect();
    }
  });
});
