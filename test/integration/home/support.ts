import { expect } from 'vitest';
import { startTestApp, type TestApp } from '../../support/app-harness.js';
import { blockKitViolations } from '../../support/block-kit-limits.js';
import {
  certificateFields,
  type FakeCloudflare,
  generateSelfSignedCertificate,
  startFakeCloudflare,
} from '../../support/fake-cloudflare.js';
import { type FakeSlack, type StoredMessage, startFakeSlack } from '../../support/fake-slack.js';
import { type FakeSocketMode, startFakeSocketMode } from '../../support/fake-socket-mode.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../support/redis.js';
import { evaluateNow, waitForQueuesIdle } from '../../support/runs.js';

export const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
export const UNKNOWN_ZONE_ID = 'ffffffffffffffffffffffffffffffff';
export const DIGEST = 'C0DIGEST';
export const INCIDENT = 'C0INCIDENT';
export const ONCALL = 'U0ONCALL';
const DAY_MS = 86_400_000;

export interface HomeScenario {
  app: TestApp;
  slack: FakeSlack;
  cloudflare: FakeCloudflare;
  socket: FakeSocketMode | null;
  /** The alert parents the evaluation posted in the incident channel. */
  parents: StoredMessage[];
  /** Waits for the app's log line saying what it did with the Home tab for `userId`, after log line `from`. */
  homeOutcome(from: number, userId: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * The real app with state from a digest and an alert evaluation, as production builds it: one
 * certificate three days from expiry on two hostnames, one healthy certificate, and a zone
 * Cloudflare does not know (so it stays "not checked"). HTTP mode, or Socket Mode on the local
 * Socket Mode server.
 */
export async function startHomeScenario(options: { socketMode: boolean }): Promise<HomeScenario> {
  const slack = await startFakeSlack();
  const cloudflare = await startFakeCloudflare();
  const socket = options.socketMode ? await startFakeSocketMode(slack) : null;
  cloudflare.state.addZone({ id: ZONE_ID, name: 'example.com' });
  const install = (hostnames: string[], notAfter: Date, serialNumber: bigint) => {
    const generated = generateSelfSignedCertificate({
      hostname: hostnames[0] ?? 'x.example.com',
      notAfter,
      notBefore: new Date(notAfter.getTime() - 365 * DAY_MS),
      serialNumber,
    });
    const certificate = cloudflare.state.addCertificate(ZONE_ID, certificateFields(generated));
    for (const hostname of hostnames)
      cloudflare.state.associate(ZONE_ID, { hostname, cert_id: certificate.id });
  };
  const now = Date.now();
  install(['app.example.com', 'api.example.com'], new Date(now + 3 * DAY_MS + 3_600_000), 3003n);
  install(['www.example.com'], new Date(now + 200 * DAY_MS), 2002n);
  const prefix = uniquePrefix('home');
  const app = await startTestApp({
    slackApiUrl: slack.apiUrl,
    cloudflareBaseUrl: cloudflare.baseUrl,
    prefix,
    ...(socket ? { env: { SLACK_APP_TOKEN: socket.appToken } } : {}),
    file: {
      timezone: 'UTC',
      zones: [
        { id: ZONE_ID, name: 'example.com' },
        { id: UNKNOWN_ZONE_ID, name: 'gone.example' },
      ],
      digest: { channels: [DIGEST], schedule: '0 9 * * 1-5' },
      alerts: { channel: INCIDENT },
      // A route with its own digest, so the Home tab lists each route's next digest too.
      routes: [
        {
          name: 'payments',
          match: { hostnames: ['*.pay.example.com'] },
          digest: { channels: ['C0PAYOPS'], schedule: '0 9 * * 1-5', timezone: 'America/New_York' },
        },
      ],
    },
  });
  if (socket) await socket.waitForConnections(1);
  await app.service.queues.requestDigest(DIGEST, ONCALL);
  await waitForQueuesIdle(app);
  await evaluateNow(app);
  const parents = slack.messages.filter((message) => message.channel === INCIDENT && !message.threadTs);
  if (parents.length === 0) throw new Error('the evaluation opened no alert thread');

  return {
    app,
    slack,
    cloudflare,
    socket,
    parents,
    async homeOutcome(from, userId) {
      const entry = await slack.waitFor(
        () =>
          app.logs
            .slice(from)
            .find(
              (line) => line.msg === 'Home tab' && line.userId === userId && typeof line.outcome === 'string',
            ),
        { what: `the Home tab outcome for ${userId}` },
      );
      return String(entry.outcome);
    },
    async stop() {
      await app.stop();
      await socket?.close();
      await slack.close();
      await cloudflare.close();
      const redis = connectTestRedis();
      await deleteKeysWithPrefix(redis, prefix);
      redis.disconnect();
    },
  };
}

/**
 * Checks a published Home tab against the scenario: the counts, every open thread linked, the next
 * digest, the last sweep and the zone not checked, within a Home tab's Block Kit limits.
 */
export function expectOverviewOf(scenario: HomeScenario, view: Record<string, unknown>): void {
  expect(view.type).toBe('home');
  expect(blockKitViolations({ blocks: view.blocks as unknown[] }, { surface: 'home' })).toEqual([]);
  const text = JSON.stringify(view.blocks);
  // Counts: two hostnames share the critical certificate, one healthy hostname on its own.
  expect(text).toContain(':red_circle: 2 critical   :large_green_circle: 1 healthy');
  expect(text).toContain(':red_circle: 1 critical   :large_green_circle: 1 healthy');
  // The open threads: kind, certificate, hostnames, days left, and a link to each.
  expect(text).toContain(`*Open alert threads* (${scenario.parents.length})`);
  for (const parent of scenario.parents) {
    const permalink = `https://example.slack.com/archives/${INCIDENT}/p${parent.ts.replace('.', '')}`;
    expect(text).toContain(`<${permalink}|Open thread>`);
  }
  expect(text).toMatch(/\*Certificate\* · certificate [^·]+ · 3 days left/);
  expect(text).toContain('api.example.com');
  // The next digest, the last sweep and the zone Cloudflare could not check.
  expect(text).toMatch(/Whole inventory → <#C0DIGEST>: \d{4}-\d{2}-\d{2} 09:00 UTC/);
  // 09:00 in New York, shown in the deployment's time zone (UTC): 14:00, or 13:00 in summer.
  expect(text).toMatch(/Route payments → <#C0PAYOPS>: \d{4}-\d{2}-\d{2} 1[34]:00 UTC/);
  expect(text).toContain('1 of 2 zones checked');
  expect(text).toContain('gone.example (ffffffffffffffffffffffffffffffff)');
  // The token's window as it stands (the evaluation's requests are in it), and what the schedules need.
  expect(text).toContain('*Cloudflare budget in use*');
  expect(text).toMatch(
    /• Cloudflare: [1-9]\d* of 1200 requests per 300 s; the schedules need \d+% at their busiest/,
  );
}
