import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../../src/slack/ids.js';
import { SIGNING_SECRET, startTestApp, type TestApp } from '../../support/app-harness.js';
import { blockKitViolations } from '../../support/block-kit-limits.js';
import {
  certificateFields,
  type FakeCloudflare,
  generateSelfSignedCertificate,
  startFakeCloudflare,
} from '../../support/fake-cloudflare.js';
import {
  appHomeOpenedEvent,
  blockActionPayload,
  type FakeSlack,
  sendEvent,
  sendInteraction,
  startFakeSlack,
} from '../../support/fake-slack.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../support/redis.js';
import { evaluateNow, waitForQueuesIdle } from '../../support/runs.js';

const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
const UNKNOWN_ZONE_ID = 'ffffffffffffffffffffffffffffffff';
const DIGEST = 'C0DIGEST';
const INCIDENT = 'C0INCIDENT';
const ONCALL = 'U0ONCALL';
const DAY_MS = 86_400_000;

let slack: FakeSlack;
let cloudflare: FakeCloudflare;
let app: TestApp | null;
let prefix: string;

function install(hostnames: string[], notAfter: Date, serialNumber: bigint): void {
  const generated = generateSelfSignedCertificate({
    hostname: hostnames[0] ?? 'x.example.com',
    notAfter,
    notBefore: new Date(notAfter.getTime() - 365 * DAY_MS),
    serialNumber,
  });
  const certificate = cloudflare.state.addCertificate(ZONE_ID, certificateFields(generated));
  for (const hostname of hostnames)
    cloudflare.state.associate(ZONE_ID, { hostname, cert_id: certificate.id });
}

/** Every text of a view's blocks, joined, so a test can look for what a person would read. */
function viewText(view: Record<string, unknown>): string {
  return JSON.stringify(view.blocks);
}

/** Waits for the app's log line saying what it did with the Home tab for `userId`, after `from`. */
async function homeOutcome(from: number, userId: string): Promise<string> {
  const entry = await slack.waitFor(
    () =>
      app?.logs
        .slice(from)
        .find(
          (line) => line.msg === 'Home tab' && line.userId === userId && typeof line.outcome === 'string',
        ),
    { what: `the Home tab outcome for ${userId}` },
  );
  return String(entry.outcome);
}

beforeEach(async () => {
  slack = await startFakeSlack();
  cloudflare = await startFakeCloudflare();
  cloudflare.state.addZone({ id: ZONE_ID, name: 'example.com' });
  const now = Date.now();
  // One certificate three days from expiry on two hostnames, one healthy certificate.
  install(['app.example.com', 'api.example.com'], new Date(now + 3 * DAY_MS + 3_600_000), 3003n);
  install(['www.example.com'], new Date(now + 200 * DAY_MS), 2002n);
  prefix = uniquePrefix('home');
  app = await startTestApp({
    slackApiUrl: slack.apiUrl,
    cloudflareBaseUrl: cloudflare.baseUrl,
    prefix,
    file: {
      timezone: 'UTC',
      zones: [
        { id: ZONE_ID, name: 'example.com' },
        // Cloudflare does not know this zone: it stays "not checked".
        { id: UNKNOWN_ZONE_ID, name: 'gone.example' },
      ],
      digest: { channels: [DIGEST], schedule: '0 9 * * 1-5' },
      alerts: { channel: INCIDENT },
    },
  });
});

afterEach(async () => {
  await app?.stop();
  app = null;
  await slack.close();
  await cloudflare.close();
  const redis = connectTestRedis();
  await deleteKeysWithPrefix(redis, prefix);
  redis.disconnect();
});

describe('App Home over HTTP (events on /slack/events)', () => {
  it('publishes the overview from stored state on open, without calling Cloudflare, at most once per 10 s', async () => {
    if (!app) throw new Error('app not started');
    // State from a digest and an alert evaluation, as production builds it.
    await app.service.queues.requestDigest(DIGEST, ONCALL);
    await waitForQueuesIdle(app);
    await evaluateNow(app);
    // One thread per thing to fix: how many the alert store opens for the shared certificate is its
    // business; the Home tab lists each, linked.
    const parents = slack.messages.filter((message) => message.channel === INCIDENT && !message.threadTs);
    if (parents.length === 0) throw new Error('the evaluation opened no alert thread');

    const cloudflareRequestsBefore = cloudflare.requests.length;
    const logsBefore = app.logs.length;
    const opened = await sendEvent(app.url, SIGNING_SECRET, appHomeOpenedEvent(ONCALL));
    expect(opened.status).toBe(200);
    expect(await homeOutcome(logsBefore, ONCALL)).toBe('published');

    // No Cloudflare call on open; one permalink lookup per thread, one publish.
    expect(cloudflare.requests.length).toBe(cloudflareRequestsBefore);
    expect(
      slack
        .callsTo('chat.getPermalink')
        .map((call) => `${String(call.args.channel)}/${String(call.args.message_ts)}`)
        .sort(),
    ).toEqual(parents.map((parent) => `${INCIDENT}/${parent.ts}`).sort());
    const publishes = slack.callsTo('views.publish');
    expect(publishes).toHaveLength(1);
    expect(publishes[0]?.args.user_id).toBe(ONCALL);

    const published = slack.homeViews.get(ONCALL);
    if (!published) throw new Error('no Home tab published');
    expect(published.view.type).toBe('home');
    expect(blockKitViolations({ blocks: published.view.blocks as unknown[] }, { surface: 'home' })).toEqual(
      [],
    );
    const text = viewText(published.view);
    // Counts: two hostnames share the critical certificate, one healthy hostname on its own.
    expect(text).toContain(':red_circle: 2 critical   :large_green_circle: 1 healthy');
    expect(text).toContain(':red_circle: 1 critical   :large_green_circle: 1 healthy');
    // The open thread: kind, certificate, hostnames, days left, and its link.
    expect(text).toContain(`*Open alert threads* (${parents.length})`);
    for (const parent of parents) {
      const permalink = `https://example.slack.com/archives/${INCIDENT}/p${parent.ts.replace('.', '')}`;
      expect(text).toContain(`<${permalink}|Open thread>`);
    }
    expect(text).toMatch(/\*Certificate\* · certificate [^·]+ · 3 days left/);
    expect(text).toContain('api.example.com');
    // The next digest, the last sweep and the zone Cloudflare could not check.
    expect(text).toMatch(/Whole inventory → <#C0DIGEST>: \d{4}-\d{2}-\d{2} 09:00 UTC/);
    expect(text).toContain('1 of 2 zones checked');
    expect(text).toContain('gone.example (ffffffffffffffffffffffffffffffff)');

    // A second open and a Refresh within 10 s publish nothing new.
    const logsBeforeSecond = app.logs.length;
    await sendEvent(app.url, SIGNING_SECRET, appHomeOpenedEvent(ONCALL));
    expect(await homeOutcome(logsBeforeSecond, ONCALL)).toBe('throttled');
    const logsBeforeRefresh = app.logs.length;
    const refresh = await sendInteraction(
      app.url,
      SIGNING_SECRET,
      blockActionPayload({
        actionId: ACTION_IDS.homeRefresh,
        value: 'refresh',
        responseUrl: '',
        userId: ONCALL,
      }),
    );
    expect(refresh.status).toBe(200);
    expect(await homeOutcome(logsBeforeRefresh, ONCALL)).toBe('throttled');
    expect(slack.callsTo('views.publish')).toHaveLength(1);

    // Another person opening it is not held back by the first one's limit.
    const logsBeforeOther = app.logs.length;
    await sendEvent(app.url, SIGNING_SECRET, appHomeOpenedEvent('U0SECOND'));
    expect(await homeOutcome(logsBeforeOther, 'U0SECOND')).toBe('published');
    expect(slack.callsTo('views.publish')).toHaveLength(2);
    // The permalinks came from the cache: no new chat.getPermalink call.
    expect(slack.callsTo('chat.getPermalink')).toHaveLength(parents.length);

    // Once the 10 s are over (the window's key expired), Refresh publishes again.
    const redis = connectTestRedis();
    try {
      await redis.del(`${prefix}:home:published:${ONCALL}`);
    } finally {
      redis.disconnect();
    }
    const logsBeforeLater = app.logs.length;
    await sendInteraction(
      app.url,
      SIGNING_SECRET,
      blockActionPayload({
        actionId: ACTION_IDS.homeRefresh,
        value: 'refresh',
        responseUrl: '',
        userId: ONCALL,
      }),
    );
    expect(await homeOutcome(logsBeforeLater, ONCALL)).toBe('published');
    expect(slack.callsTo('views.publish')).toHaveLength(3);
    expect(cloudflare.requests.length).toBe(cloudflareRequestsBefore);
  });

  it('ignores the Messages tab and rejects an unsigned event', async () => {
    if (!app) throw new Error('app not started');
    const logsBefore = app.logs.length;
    await sendEvent(app.url, SIGNING_SECRET, appHomeOpenedEvent(ONCALL, 'messages'));
    const forged = await sendEvent(app.url, 'not-the-signing-secret', appHomeOpenedEvent(ONCALL));
    expect(forged.status).toBe(401);
    // A positive signal that the app handled what it was sent: a Home tab open after those two.
    await sendEvent(app.url, SIGNING_SECRET, appHomeOpenedEvent('U0THIRD'));
    expect(await homeOutcome(logsBefore, 'U0THIRD')).toBe('published');
    expect(slack.callsTo('views.publish').map((call) => call.args.user_id)).toEqual(['U0THIRD']);
  });
});
