import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_IDS, encodeLookupValue } from '../../src/slack/ids.js';
import { APP_PEM } from '../fixtures/pem/certificates.js';
import { SIGNING_SECRET, startTestApp, type TestApp } from '../support/app-harness.js';
import { type FakeCloudflare, startFakeCloudflare } from '../support/fake-cloudflare.js';
import {
  blockActionPayload,
  type FakeSlack,
  sendInteraction,
  sendSlashCommand,
  slackSignatureHeaders,
  slashCommandBody,
  startFakeSlack,
} from '../support/fake-slack.js';
import { connectTestRedis, deleteKeysWithPrefix } from '../support/redis.js';

const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
const OTHER_ZONE_ID = 'aaaabbbbccccddddeeeeffff00001111';
const ZONE_LEVEL_ZONE_ID = 'cccc0000cccc0000cccc0000cccc0000';
const NOW = new Date('2026-11-20T12:00:00Z');

let slack: FakeSlack;
let cloudflare: FakeCloudflare;
let app: TestApp;

function seed(): void {
  const zone = cloudflare.state.addZone({
    id: ZONE_ID,
    name: 'example.com',
    tlsClientAuth: 'on',
    aopEnabled: false,
  });
  const certificate = cloudflare.state.addCertificate(zone.id, {
    id: '2458ce5a-0c35-4c7f-82c7-8e9487d3ff60',
    certificate: APP_PEM,
    expires_on: '2026-12-01T12:00:00.12345Z',
    issuer: 'Fixture Origin Pull CA',
    serial_number: '11111111111111',
    signature: 'SHA256WithRSA',
    status: 'active',
  });
  cloudflare.state.associate(zone.id, { hostname: 'app.example.com', cert_id: certificate.id });
  const other = cloudflare.state.addZone({ id: OTHER_ZONE_ID, name: 'other.org' });
  const otherCertificate = cloudflare.state.addCertificate(other.id, { expires_on: '2027-06-01T00:00:00Z' });
  cloudflare.state.associate(other.id, { hostname: 'shop.other.org', cert_id: otherCertificate.id });
  // Zone-level AOP with two active zone certificates: the newer one (3 days left) is the one in use;
  // the older one expired and, as at Cloudflare, was never removed.
  const zoned = cloudflare.state.addZone({
    id: ZONE_LEVEL_ZONE_ID,
    name: 'zoned.net',
    tlsClientAuth: 'off',
    aopEnabled: true,
  });
  cloudflare.state.addZoneCertificate(zoned.id, {
    id: 'expired-zone-certificate',
    expires_on: '2026-11-01T00:00:00Z',
    uploaded_on: '2025-11-01T00:00:00Z',
  });
  cloudflare.state.addZoneCertificate(zoned.id, {
    id: 'current-zone-certificate',
    expires_on: '2026-11-23T12:00:00Z',
    uploaded_on: '2026-08-01T00:00:00Z',
    issuer: 'Zoned Origin Pull CA',
  });
}

async function lookup(text: string, extra: { channel_id?: string } = {}) {
  const responseUrl = slack.responseUrl();
  const answer = await sendSlashCommand(app.url, SIGNING_SECRET, {
    text,
    response_url: responseUrl,
    ...extra,
  });
  return { answer, responseUrl };
}

/** Requests the guard refused, from the app's log. */
function rejections(): number {
  return app.logs.filter((line) => line.msg === 'rejected a request to /slack/events').length;
}

async function cardAt(responseUrl: string) {
  const [post] = await slack.waitFor(
    () => {
      const posts = slack.responsesTo(responseUrl);
      return posts.length > 0 ? posts : undefined;
    },
    { what: `a post to ${responseUrl}` },
  );
  return post?.body as {
    text: string;
    blocks: unknown[];
    response_type?: string;
    replace_original?: boolean;
  };
}

beforeAll(async () => {
  slack = await startFakeSlack();
  cloudflare = await startFakeCloudflare();
  seed();
  app = await startTestApp({
    slackApiUrl: slack.apiUrl,
    cloudflareBaseUrl: cloudflare.baseUrl,
    clock: () => NOW,
    file: {
      timezone: 'Europe/Berlin',
      zones: [{ id: ZONE_ID, name: 'example.com', hostnames: ['app.example.com'] }],
      access: { allowed_channels: ['C0ONCALL', 'C0OTHER'] },
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

beforeEach(() => {
  cloudflare.requests.length = 0;
});

describe('/aop-status <hostname> end to end', () => {
  it('acks at once and delivers the live card through the response_url', async () => {
    const { answer, responseUrl } = await lookup('app.example.com');
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('');
    const card = await cardAt(responseUrl);
    expect(card.response_type).toBe('ephemeral');
    const rendered = JSON.stringify(card.blocks);
    expect(card.text).toContain('app.example.com');
    expect(rendered).toContain('2026-12-01');
    expect(rendered).toContain('in 11 days');
    expect(rendered).toContain('Fixture Origin Pull CA');
    expect(rendered).toContain('2458ce5a-0c35-4c7f-82c7-8e9487d3ff60');
    expect(rendered).toContain('53:0A:D1:79');
    expect(rendered).toContain(ACTION_IDS.refreshLookup);
    expect(rendered).toContain(ACTION_IDS.shareLookup);
    // The hostname status, the two zone switches and the zone certificates; the zone came from the config file.
    const paths = cloudflare.requests.map((request) => request.path).sort();
    expect(paths).toEqual([
      `/zones/${ZONE_ID}/origin_tls_client_auth`,
      `/zones/${ZONE_ID}/origin_tls_client_auth/hostnames/app.example.com`,
      `/zones/${ZONE_ID}/origin_tls_client_auth/settings`,
      `/zones/${ZONE_ID}/settings/tls_client_auth`,
    ]);
  });

  it('finds a zone the config does not know through GET /zones?name= on the parent domains', async () => {
    const { responseUrl } = await lookup('shop.other.org');
    const card = await cardAt(responseUrl);
    expect(card.text).toContain('shop.other.org');
    const zoneQueries = cloudflare.requests
      .filter((request) => request.path === '/zones')
      .map((request) => request.query.name);
    expect(zoneQueries).toEqual(['shop.other.org', 'other.org']);
  });

  it("says a hostname without an association gets Cloudflare's shared certificate, without a stack trace", async () => {
    const { responseUrl } = await lookup('missing.example.com example.com');
    const card = await cardAt(responseUrl);
    const everything = `${card.text} ${JSON.stringify(card.blocks)}`;
    expect(everything).toContain("Cloudflare's shared certificate (global AOP");
    expect(everything).toContain('missing.example.com');
    expect(everything).not.toMatch(/at .*\.ts:\d+/);
  });

  it('answers with the zone certificate in use, critical at 3 days, from four requests made at once', async () => {
    cloudflare.options.latencyMs = 300;
    try {
      const { responseUrl } = await lookup(`edge.zoned.net ${ZONE_LEVEL_ZONE_ID}`);
      const card = await cardAt(responseUrl);
      const everything = JSON.stringify(card.blocks);
      expect(card.text).toContain('Critical: edge.zoned.net: Certificate expires in 3 days (2026-11-23)');
      expect(everything).toContain('The zone certificate of');
      expect(everything).toContain('current-zone-certificate');
      expect(everything).toContain('Zoned Origin Pull CA');
      expect(everything).toContain(
        '`expired-zone-certificate`, active, expires 2026-11-01 (19 days ago): a more recently deployed zone certificate is in use',
      );
      expect(cloudflare.requests.map((request) => request.route).sort()).toEqual([
        'hostnameStatus',
        'zoneAopSetting',
        'zoneCertificates',
        'zoneTlsClientAuth',
      ]);
      // In parallel: every request arrived before the first could have been answered.
      const arrivals = cloudflare.requests.map((request) => request.atMs);
      expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeLessThan(300);
    } finally {
      cloudflare.options.latencyMs = 0;
    }
  });

  it('still answers when the token may not read the zone certificates, and names the permission', async () => {
    cloudflare.state.forbiddenRoutes.add('zoneCertificates');
    try {
      const { responseUrl } = await lookup(`api.zoned.net ${ZONE_LEVEL_ZONE_ID}`);
      const card = await cardAt(responseUrl);
      const everything = JSON.stringify(card.blocks);
      expect(card.text).toContain('Unknown: api.zoned.net');
      expect(everything).toContain('Zone-level AOP is on, but the zone certificates could not be read');
      expect(everything).toContain('The API token lacks SSL and Certificates Read');
      expect(everything).toContain('Zone-level AOP: on');
    } finally {
      cloudflare.state.forbiddenRoutes.delete('zoneCertificates');
    }
  });

  it('names a zone id Cloudflare does not know instead of calling it "no association"', async () => {
    const unknownZone = 'ffffffffffffffffffffffffffffffff';
    const { responseUrl } = await lookup(`app.example.com ${unknownZone}`);
    const card = await cardAt(responseUrl);
    const everything = `${card.text} ${JSON.stringify(card.blocks)}`;
    expect(everything).toContain(`no zone ${unknownZone}`);
    expect(everything).toContain('cloudflare_zone_not_found');
    expect(everything).not.toContain('No per-hostname AOP association');
  });

  it('says the token is not accepted when Cloudflare answers 403 with 9109, not that a permission is missing', async () => {
    cloudflare.state.revokedCredentials = [...cloudflare.state.credentials];
    try {
      const { responseUrl } = await lookup('revoked.example.com example.com');
      const card = await cardAt(responseUrl);
      const everything = `${card.text} ${JSON.stringify(card.blocks)}`;
      expect(everything).toContain('did not accept the API credentials');
      expect(everything).toContain('Invalid access token');
      expect(everything).not.toContain('SSL and Certificates Read');
    } finally {
      cloudflare.state.revokedCredentials = [];
    }
  });

  it('names the missing permission when the token may not read the hostname', async () => {
    cloudflare.state.forbiddenRoutes.add('hostnameStatus');
    try {
      // A hostname not looked up before: answers are cached for a few seconds.
      const { responseUrl } = await lookup('secure.example.com example.com');
      const card = await cardAt(responseUrl);
      expect(`${card.text} ${JSON.stringify(card.blocks)}`).toContain('SSL and Certificates Read');
    } finally {
      cloudflare.state.forbiddenRoutes.delete('hostnameStatus');
    }
  });

  it('answers bad input in the ack itself, escaped, and never calls Cloudflare', async () => {
    const { answer, responseUrl } = await lookup('<!channel> ../etc/passwd');
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.body) as { text: string; blocks: unknown[]; response_type: string };
    expect(body.response_type).toBe('ephemeral');
    expect(answer.body).not.toContain('<!channel>');
    expect(cloudflare.requests).toHaveLength(0);
    expect(slack.responsesTo(responseUrl)).toHaveLength(0);
  });

  it('rejects a forged request with 401 and does nothing', async () => {
    const responseUrl = slack.responseUrl();
    const body = slashCommandBody({ text: 'app.example.com', response_url: responseUrl });
    const rejectionsBefore = rejections();
    const response = await fetch(`${app.url}/slack/events`, {
      method: 'POST',
      headers: slackSignatureHeaders('not-the-secret', body),
      body,
    });
    expect(response.status).toBe(401);
    // The positive signal: the guard logged its refusal, so Bolt never saw the request.
    await slack.waitFor(() => rejections() > rejectionsBefore, { what: 'the refusal log line' });
    expect(cloudflare.requests).toHaveLength(0);
    expect(slack.responsesTo(responseUrl)).toHaveLength(0);
  });

  it('rejects replays, stale or future timestamps and missing headers with 401 and no side effect', async () => {
    const responseUrl = slack.responseUrl();
    const body = slashCommandBody({ text: 'app.example.com', response_url: responseUrl });
    const captured = slackSignatureHeaders(SIGNING_SECRET, body);
    const send = (headers: Record<string, string>) =>
      fetch(`${app.url}/slack/events`, { method: 'POST', headers, body }).then((response) => response.status);
    expect(await send(captured)).toBe(200);
    await cardAt(responseUrl);
    const requestsAfterFirst = cloudflare.requests.length;
    expect(await send(captured)).toBe(401);
    const nowSeconds = Math.floor(Date.now() / 1000);
    expect(await send(slackSignatureHeaders(SIGNING_SECRET, body, nowSeconds + 6 * 60))).toBe(401);
    expect(await send(slackSignatureHeaders(SIGNING_SECRET, body, nowSeconds - 6 * 60))).toBe(401);
    const rejectionsBefore = rejections();
    expect(await send({ 'content-type': 'application/x-www-form-urlencoded' })).toBe(401);
    await slack.waitFor(() => rejections() > rejectionsBefore, { what: 'the refusal log line' });
    expect(slack.responsesTo(responseUrl)).toHaveLength(1);
    expect(cloudflare.requests.length).toBe(requestsAfterFirst);
  });

  it('refuses channels outside access.allowed_channels', async () => {
    const { answer } = await lookup('app.example.com', { channel_id: 'C0RANDOM' });
    expect(answer.body).toContain('not enabled in this channel');
    expect(cloudflare.requests).toHaveLength(0);
  });

  it('Refresh reads Cloudflare again and replaces the card; Share posts it to the channel', async () => {
    const value = encodeLookupValue({ hostname: 'app.example.com', zoneId: ZONE_ID });
    const refreshUrl = slack.responseUrl();
    const refresh = await sendInteraction(
      app.url,
      SIGNING_SECRET,
      blockActionPayload({ actionId: ACTION_IDS.refreshLookup, value, responseUrl: refreshUrl }),
    );
    expect(refresh.status).toBe(200);
    const refreshed = await cardAt(refreshUrl);
    expect(refreshed.replace_original).toBe(true);
    expect(cloudflare.requests.some((request) => request.path.endsWith('/hostnames/app.example.com'))).toBe(
      true,
    );

    const shareUrl = slack.responseUrl();
    await sendInteraction(
      app.url,
      SIGNING_SECRET,
      blockActionPayload({ actionId: ACTION_IDS.shareLookup, value, responseUrl: shareUrl }),
    );
    const shared = await cardAt(shareUrl);
    expect(shared.response_type).toBe('in_channel');
    expect(JSON.stringify(shared.blocks)).not.toContain(ACTION_IDS.shareLookup);
  });

  it('answers a tampered button value with a clear message and no Cloudflare call', async () => {
    const url = slack.responseUrl();
    const result = await sendInteraction(
      app.url,
      SIGNING_SECRET,
      blockActionPayload({
        actionId: ACTION_IDS.refreshLookup,
        value: '{"hostname":"../../x","zoneId":"zz"}',
        responseUrl: url,
      }),
    );
    expect(result.status).toBe(200);
    const answer = await cardAt(url);
    expect(answer.text).toContain('no longer matches');
    expect(cloudflare.requests).toHaveLength(0);
  });

  it('acknowledges clicks on unknown buttons with 200 and ignores them', async () => {
    const url = slack.responseUrl();
    const result = await sendInteraction(
      app.url,
      SIGNING_SECRET,
      blockActionPayload({ actionId: 'something_else', value: 'x', responseUrl: url }),
    );
    expect(result.status).toBe(200);
  });

  it('serves /healthz and /metrics on the same port', async () => {
    const health = await fetch(`${app.url}/healthz`);
    expect(health.status).toBe(200);
    const report = (await health.json()) as { status: string; checks: Record<string, { ok: boolean }> };
    expect(report.status).toBe('ok');
    expect(report.checks.redis?.ok).toBe(true);
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toContain('aop_cloudflare_requests_total');
  });
});
