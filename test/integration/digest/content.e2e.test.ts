/**
 * What the digest says, through the real path: slash command → BullMQ tick → one zone-check job
 * per zone against the local Cloudflare → assemble → chat.postMessage on the local Slack.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestApp } from '../../support/app-harness.js';
import { assertWithinBlockKitLimits } from '../../support/block-kit-limits.js';
import { type FakeCloudflare, startFakeCloudflare } from '../../support/fake-cloudflare.js';
import { type FakeSlack, startFakeSlack } from '../../support/fake-slack.js';
import {
  associateOnOneCertificate,
  deletePrefix,
  digestParents,
  enqueueScheduledTick,
  expiresInDays,
  FAST_QUEUE,
  failZone,
  logLines,
  messageText,
  NEVER,
  NOW,
  requestsForZone,
  slash,
  startTunedTestApp,
  waitForCompleteDigest,
  zoneId,
} from './support.js';

const CHANNEL = 'C0DIGEST';

let slack: FakeSlack;
let cloudflare: FakeCloudflare;
let app: TestApp | undefined;

beforeEach(async () => {
  slack = await startFakeSlack();
  cloudflare = await startFakeCloudflare();
});

afterEach(async () => {
  await app?.stop();
  if (app) await deletePrefix(app.prefix);
  app = undefined;
  await slack.close();
  await cloudflare.close();
});

async function boot(
  zones: Array<{ id: string; name: string; hostnames?: string[] }>,
  digest: { post_when_all_clear?: boolean; channels?: string[] } = {},
): Promise<TestApp> {
  // Short job backoff and Slack pacing: a 17-part digest would otherwise take 17 s to post
  // (pacing itself is covered in delivery.e2e.test.ts).
  app = await startTunedTestApp({
    slackApiUrl: slack.apiUrl,
    cloudflareBaseUrl: cloudflare.baseUrl,
    clock: () => NOW,
    tuning: { queue: FAST_QUEUE, slackChannelIntervalMs: 20 },
    file: { timezone: 'Europe/Berlin', zones, digest: { schedule: NEVER, channels: [], ...digest } },
  });
  return app;
}

async function digestNow(running: TestApp) {
  const { responses } = await slash(running, slack, 'digest', { channelId: CHANNEL });
  expect(responses[0]?.text).toContain('the digest will be posted in this channel shortly');
  return waitForCompleteDigest(slack, CHANNEL, { timeoutMs: 25_000 });
}

describe('the digest groups hostnames by certificate', () => {
  it('shows 37 hostnames on one certificate expiring in 5 days as one line', async () => {
    const zone = cloudflare.state.addZone({ id: zoneId(1), name: 'example.com' });
    const hostnames = Array.from({ length: 37 }, (_, index) => `web-${index + 1}.example.com`);
    const certificateId = associateOnOneCertificate(cloudflare, zone.id, hostnames, {
      expires_on: expiresInDays(5),
    });
    associateOnOneCertificate(cloudflare, zone.id, ['healthy.example.com'], {
      expires_on: expiresInDays(200),
    });
    const running = await boot([{ id: zone.id, name: 'example.com' }]);

    const { parent, replies } = await digestNow(running);

    expect(replies).toEqual([]);
    const text = messageText(parent);
    const groupLines = text.split('\n').filter((line) => line.includes('1 certificate, 37 hostnames'));
    expect(groupLines).toEqual([
      `:red_circle: 1 certificate, 37 hostnames, expires 2026-11-25 · zone example.com · Certificate expires in 5 days (2026-11-25) · certificate \`${certificateId.slice(0, 8)}…\``,
    ]);
    // Every member is named once, under the group, and none gets a line of its own.
    for (const hostname of hostnames) {
      expect(text.split(hostname).length - 1, hostname).toBe(1);
      expect(text).not.toContain(`*${hostname}*`);
    }
    expect(text).not.toContain('healthy.example.com');
    expect(text).toContain('*37 critical*');
    expect(text).toContain('*1 healthy*');
    expect(parent.metadata?.event_payload).toMatchObject({ critical: 37, ok: 1, part_count: 1 });
    // Four requests for the zone (two lists, the zone certificates, the zone AOP switch), no per-hostname calls.
    expect(cloudflare.requests.map((request) => request.route).sort()).toEqual([
      'hostnameAssociations',
      'hostnameCertificates',
      'zoneAopSetting',
      'zoneCertificates',
    ]);
  });
});

describe('zone-level certificates', () => {
  it('lists the zone certificate in use as its own line, the expired one left behind as not in use, and counts them', async () => {
    const zone = cloudflare.state.addZone({ id: zoneId(1), name: 'example.com', aopEnabled: true });
    associateOnOneCertificate(cloudflare, zone.id, ['own.example.com'], { expires_on: expiresInDays(200) });
    cloudflare.state.addZoneCertificate(zone.id, {
      id: '7e0b1c9a-3d2f-4b8e-a6c5-1f9d8e7a6b5c',
      expires_on: expiresInDays(3),
      uploaded_on: '2026-06-01T00:00:00Z',
    });
    cloudflare.state.addZoneCertificate(zone.id, {
      id: 'b1946ac9-2c4b-4f0e-9d4a-6f2e0d7c3a11',
      expires_on: expiresInDays(-10),
      uploaded_on: '2025-06-01T00:00:00Z',
    });
    const quiet = cloudflare.state.addZone({ id: zoneId(2), name: 'quiet.test', aopEnabled: false });
    associateOnOneCertificate(cloudflare, quiet.id, ['a.quiet.test'], { expires_on: expiresInDays(200) });
    const running = await boot([
      { id: zone.id, name: 'example.com' },
      { id: quiet.id, name: 'quiet.test' },
    ]);

    const { parent } = await digestNow(running);

    const lines = messageText(parent).split('\n');
    expect(lines).toContain(
      ':red_circle: *zone certificate of example.com*, used by every hostname without its own · Certificate expires in 3 days (2026-11-23) · expires 2026-11-23 · certificate `7e0b1c9a…`',
    );
    expect(lines).toContain(
      ':large_blue_circle: *zone certificate of example.com* · Uploaded, not in use: a more recently deployed zone certificate is in use · expired 2026-11-10 · certificate `b1946ac9…`',
    );
    expect(lines).toContain('Zone certificates: :red_circle: 1 critical · :large_blue_circle: 1 not in use');
    expect(messageText(parent)).toContain('Checked 2 hostnames and 2 zone certificates in 2 zones');
    expect(parent.metadata?.event_payload).toMatchObject({
      critical: 0,
      ok: 2,
      zone_certificates_critical: 1,
      zone_certificates_not_in_use: 1,
    });
    // At most four requests per zone, zone level included.
    for (const id of [zone.id, quiet.id]) expect(requestsForZone(cloudflare, id)).toHaveLength(4);
  });

  it('says which permission would show the zone certificates, and still lists the hostnames', async () => {
    const zone = cloudflare.state.addZone({ id: zoneId(1), name: 'example.com', aopEnabled: true });
    associateOnOneCertificate(cloudflare, zone.id, ['app.example.com'], { expires_on: expiresInDays(3) });
    cloudflare.state.forbiddenRoutes.add('zoneCertificates');
    const running = await boot([{ id: zone.id, name: 'example.com' }]);

    const { parent } = await digestNow(running);

    const text = messageText(parent);
    expect(text).toContain('*app.example.com*');
    const line = text
      .split('\n')
      .find((candidate) => candidate.includes('*zone certificates of example.com*'));
    expect(line).toContain('could not be read');
    expect(line).toContain('SSL and Certificates Read');
    expect(parent.metadata?.event_payload).toMatchObject({ critical: 1, zone_certificates_unknown: 1 });
  });
});

describe('a 2,000-hostname inventory', () => {
  it('splits into a parent and thread replies that each pass the limits and together name every problem', async () => {
    // Five zones of 400: one certificate per hostname, so nothing groups and every problem is a line.
    const zones = Array.from({ length: 5 }, (_, index) => ({
      id: zoneId(100 + index),
      name: `zone-${index}.test`,
    }));
    const problems = new Set<string>();
    const healthy = new Set<string>();
    zones.forEach((zone, zoneIndex) => {
      cloudflare.state.addZone({ id: zone.id, name: zone.name });
      for (let index = 0; index < 400; index += 1) {
        const hostname = `host-${String(index).padStart(3, '0')}.${zone.name}`;
        const kind = (index + zoneIndex) % 5;
        // 0: critical (3 days), 1: warning (20 days), 2: disabled, 3: pending too long (unknown/warning), 4: healthy
        if (kind === 0)
          associateOnOneCertificate(cloudflare, zone.id, [hostname], { expires_on: expiresInDays(3) });
        else if (kind === 1)
          associateOnOneCertificate(cloudflare, zone.id, [hostname], { expires_on: expiresInDays(20) });
        else if (kind === 2)
          associateOnOneCertificate(
            cloudflare,
            zone.id,
            [hostname],
            { expires_on: expiresInDays(300) },
            { enabled: false },
          );
        else if (kind === 3)
          associateOnOneCertificate(
            cloudflare,
            zone.id,
            [hostname],
            { expires_on: expiresInDays(300), status: 'deployment_timed_out' },
            { status: 'deployment_timed_out' },
          );
        else associateOnOneCertificate(cloudflare, zone.id, [hostname], { expires_on: expiresInDays(300) });
        (kind === 4 ? healthy : problems).add(hostname);
      }
    });
    const running = await boot(zones);

    const { parent, replies } = await digestNow(running);

    expect(problems.size).toBe(1600);
    expect(replies.length).toBeGreaterThan(1);
    const messages = [parent, ...replies];
    messages.forEach((message, index) => {
      assertWithinBlockKitLimits(message, `part ${index + 1}`);
      if (index > 0) expect(message.threadTs, `part ${index + 1} thread_ts`).toBe(parent.ts);
      expect(message.metadata?.event_payload.part, `part ${index + 1} metadata`).toBe(index + 1);
    });
    expect(parent.metadata?.event_payload.part_count).toBe(messages.length);
    const mentioned = new Set(
      messages.flatMap((message) => messageText(message).match(/host-\d{3}\.zone-\d\.test/g) ?? []),
    );
    expect([...problems].filter((hostname) => !mentioned.has(hostname))).toEqual([]);
    expect([...healthy].filter((hostname) => mentioned.has(hostname))).toEqual([]);
    expect(parent.metadata?.event_payload).toMatchObject({
      hostnames_checked: 2000,
      ok: 400,
      zones_checked: 5,
    });
    // Bulk endpoints only: four requests per zone.
    expect(cloudflare.requests).toHaveLength(20);
  });
});

describe('zones that cannot be checked', () => {
  it('still posts the other zones and names the zone that kept failing, and why', async () => {
    const good = cloudflare.state.addZone({ id: zoneId(1), name: 'good.test' });
    associateOnOneCertificate(cloudflare, good.id, ['app.good.test'], { expires_on: expiresInDays(3) });
    const broken = cloudflare.state.addZone({ id: zoneId(2), name: 'broken.test' });
    associateOnOneCertificate(cloudflare, broken.id, ['app.broken.test'], { expires_on: expiresInDays(3) });
    const locked = cloudflare.state.addZone({ id: zoneId(3), name: 'locked.test' });
    associateOnOneCertificate(cloudflare, locked.id, ['app.locked.test'], { expires_on: expiresInDays(3) });
    failZone(cloudflare, broken.id, 'server_error');
    failZone(cloudflare, locked.id, 'forbidden');
    const running = await boot([
      { id: good.id, name: 'good.test' },
      { id: broken.id, name: 'broken.test' },
      { id: locked.id, name: 'locked.test' },
    ]);

    const { parent } = await digestNow(running);

    const text = messageText(parent);
    expect(text).toContain('*app.good.test*');
    const lines = text.split('\n');
    const brokenLine = lines.find((line) => line.includes('*broken.test*'));
    expect(brokenLine).toContain('the zone could not be listed, so none of its hostnames were checked');
    expect(brokenLine).toContain('Cloudflare had a server error (HTTP 500');
    expect(brokenLine).toContain('`cloudflare_server_error`');
    const lockedLine = lines.find((line) => line.includes('*locked.test*'));
    expect(lockedLine).toContain('Cloudflare refused access (HTTP 403');
    expect(lockedLine).toContain('SSL and Certificates Read');
    expect(lockedLine).toContain('`cloudflare_forbidden`');
    expect(parent.metadata?.event_payload).toMatchObject({
      critical: 1,
      zones_not_listed: 2,
      zones_checked: 1,
      zones_total: 3,
    });
    // A refusal is final: asked once per list, not retried. A server error is retried by the
    // client (3 attempts) and then by the zone-check job (3 attempts).
    expect(
      requestsForZone(cloudflare, locked.id).filter((request) => request.route === 'hostnameAssociations'),
    ).toHaveLength(1);
    expect(
      requestsForZone(cloudflare, broken.id).filter((request) => request.route === 'hostnameAssociations'),
    ).toHaveLength(9);
  });

  it('says every zone was not checked when the token lacks the permission everywhere', async () => {
    const zone = cloudflare.state.addZone({ id: zoneId(1), name: 'example.com' });
    associateOnOneCertificate(cloudflare, zone.id, ['app.example.com'], { expires_on: expiresInDays(3) });
    cloudflare.state.forbiddenRoutes.add('hostnameAssociations');
    cloudflare.state.forbiddenRoutes.add('hostnameCertificates');
    const running = await boot([{ id: zone.id, name: 'example.com' }]);

    const { parent } = await digestNow(running);

    const text = messageText(parent);
    expect(text).toContain('*example.com*: the zone could not be listed');
    expect(text).toContain('SSL and Certificates Read');
    expect(parent.metadata?.event_payload).toMatchObject({ zones_not_listed: 1, zones_checked: 0 });
  });
});

describe('when nothing needs attention', () => {
  it('says so in one short message', async () => {
    const zone = cloudflare.state.addZone({ id: zoneId(1), name: 'example.com' });
    associateOnOneCertificate(cloudflare, zone.id, ['a.example.com', 'b.example.com'], {
      expires_on: expiresInDays(200),
    });
    const running = await boot([{ id: zone.id, name: 'example.com' }], { channels: [CHANNEL] });

    await enqueueScheduledTick(running, Date.now());
    const { parent, replies } = await waitForCompleteDigest(slack, CHANNEL);

    expect(replies).toEqual([]);
    expect(parent.blocks).toHaveLength(1);
    expect(messageText(parent)).toMatch(
      /^:large_green_circle: \*AOP digest for \d{4}-\d\d-\d\d\*: all 2 hostnames in 1 zone are healthy; next digest Fri 2027-01-01 00:00 CET\.$/,
    );
    expect(parent.metadata?.event_payload).toMatchObject({ kind: 'all_clear', ok: 2, part_count: 1 });
  });

  it('stays silent on schedule when post_when_all_clear is false, but answers a digest asked for', async () => {
    const zone = cloudflare.state.addZone({ id: zoneId(1), name: 'example.com' });
    associateOnOneCertificate(cloudflare, zone.id, ['a.example.com'], { expires_on: expiresInDays(200) });
    const running = await boot([{ id: zone.id, name: 'example.com' }], {
      channels: [CHANNEL],
      post_when_all_clear: false,
    });

    await enqueueScheduledTick(running, Date.now());
    await slack.waitFor(() => logLines(running, 'post_when_all_clear is false').length > 0, {
      what: 'the run to decide to stay silent',
    });
    expect(slack.messages).toEqual([]);

    await slash(running, slack, 'digest', { channelId: 'C0ASKING' });
    const { parent } = await waitForCompleteDigest(slack, 'C0ASKING');
    expect(parent.metadata?.event_payload).toMatchObject({ kind: 'all_clear', trigger: 'on_demand' });
    expect(digestParents(slack, CHANNEL)).toEqual([]);
  });

  it('says there is nothing to check when no zone is configured and nothing is watched', async () => {
    const running = await boot([], { channels: [CHANNEL] });

    await enqueueScheduledTick(running, Date.now());
    const { parent } = await waitForCompleteDigest(slack, CHANNEL);

    expect(messageText(parent)).toContain('no hostnames to check in 0 zones');
    expect(cloudflare.requests).toEqual([]);
  });
});

describe('a run of more zones than one read of their results', () => {
  it('collects every zone: 130 zones are all counted and their problems all named', async () => {
    // The assemble step reads the zones' results a page at a time; a zone left out of a page
    // would show as not checked.
    const zones = Array.from({ length: 130 }, (_, index) => ({
      id: zoneId(1_000 + index),
      name: `many-${index}.test`,
    }));
    for (const zone of zones) {
      cloudflare.state.addZone({ id: zone.id, name: zone.name });
      associateOnOneCertificate(cloudflare, zone.id, [`app.${zone.name}`], { expires_on: expiresInDays(3) });
      associateOnOneCertificate(cloudflare, zone.id, [`www.${zone.name}`], {
        expires_on: expiresInDays(300),
      });
    }
    const running = await boot(zones);

    const { parent, replies } = await digestNow(running);

    expect(parent.metadata?.event_payload).toMatchObject({
      hostnames_checked: 260,
      critical: 130,
      ok: 130,
      zones_checked: 130,
    });
    const mentioned = new Set(
      [parent, ...replies].flatMap((message) => messageText(message).match(/app\.many-\d+\.test/g) ?? []),
    );
    expect(mentioned.size).toBe(130);
  }, 120_000);
});
