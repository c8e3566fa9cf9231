/**
 * A person waiting for a card gets one deadline for the whole answer, whatever Cloudflare does:
 * after about 3 s a notice that Cloudflare is slow, then the card (or the error) in its place, all
 * within 15 s. Against a local Cloudflare that hangs or answers late.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_IDS, encodeLookupValue } from '../../src/slack/ids.js';
import { DEFAULT_LOOKUP_TIMING, SLOW_NOTICE_TEXT } from '../../src/slack/lookup-deadline.js';
import { scenarioFigures } from '../reliability/figures.js';
import { SIGNING_SECRET, startTestApp, type TestApp } from '../support/app-harness.js';
import { type FakeCloudflare, startFakeCloudflare } from '../support/fake-cloudflare.js';
import {
  blockActionPayload,
  type FakeSlack,
  sendInteraction,
  sendSlashCommand,
  startFakeSlack,
} from '../support/fake-slack.js';
import { connectTestRedis, deleteKeysWithPrefix } from '../support/redis.js';

const figures = scenarioFigures('lookup-deadline');

const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
const { slowNoticeAfterMs, deadlineMs } = DEFAULT_LOOKUP_TIMING;
/** Scheduling slack on a shared, busy machine; the promises themselves are the constants above. */
const MARGIN_MS = 1_500;

let slack: FakeSlack;
let cloudflare: FakeCloudflare;
let app: TestApp;

beforeAll(async () => {
  slack = await startFakeSlack();
  cloudflare = await startFakeCloudflare();
  const zone = cloudflare.state.addZone({ id: ZONE_ID, name: 'example.com' });
  const certificate = cloudflare.state.addCertificate(zone.id, { expires_on: '2027-06-01T00:00:00Z' });
  for (const hostname of ['hang.example.com', 'late.example.com', 'quick.example.com', 'button.example.com'])
    cloudflare.state.associate(zone.id, { hostname, cert_id: certificate.id });
  app = await startTestApp({
    slackApiUrl: slack.apiUrl,
    cloudflareBaseUrl: cloudflare.baseUrl,
    file: { zones: [{ id: ZONE_ID, name: 'example.com' }] },
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
  cloudflare.options.latencyMs = 0;
  cloudflare.clearFaults();
});

/** Waits for `count` posts at `url`; returns them with their time since `startedAt`. */
async function postsAt(url: string, count: number, startedAt: number) {
  const posts = await slack.waitFor(
    () => {
      const found = slack.responsesTo(url);
      return found.length >= count ? found : undefined;
    },
    { timeoutMs: deadlineMs + 10_000, what: `${count} posts at ${url}` },
  );
  return posts.map((post) => ({ ...post, afterMs: post.at - startedAt }));
}

describe('the lookup deadline', () => {
  it('against a Cloudflare that never answers: the notice after ~3 s, the error in its place within 15 s', async () => {
    // Both attempts the deadline leaves room for hang (the client's own timeout is 10 s).
    cloudflare.inject('any', { kind: 'hang' }, 100);
    const url = slack.responseUrl();
    const startedAt = Date.now();
    const ack = await sendSlashCommand(app.url, SIGNING_SECRET, {
      text: 'hang.example.com',
      response_url: url,
    });
    expect(ack.status).toBe(200);
    const [notice, answer] = await postsAt(url, 2, startedAt);
    expect(notice?.body.text).toBe(SLOW_NOTICE_TEXT);
    expect(notice?.afterMs).toBeGreaterThanOrEqual(slowNoticeAfterMs);
    expect(notice?.afterMs).toBeLessThan(slowNoticeAfterMs + MARGIN_MS);
    expect(answer?.body.replace_original).toBe(true);
    expect(String(answer?.body.text)).toContain('Cloudflare did not answer within 15 s');
    expect(answer?.afterMs).toBeGreaterThanOrEqual(deadlineMs);
    expect(answer?.afterMs).toBeLessThan(deadlineMs + MARGIN_MS);
    figures.record('hanging_notice_ms', notice?.afterMs ?? -1, {
      note: 'command sent → slow notice; promise ~3000',
    });
    figures.record('hanging_answer_ms', answer?.afterMs ?? -1, {
      note: 'command sent → error; promise ≤ 15000 (+ posting)',
    });
    expect(await app.service.metrics.lookups.get()).toMatchObject({
      values: expect.arrayContaining([
        expect.objectContaining({ labels: { outcome: 'cloudflare_timeout' } }),
      ]),
    });
  });

  it('against a Cloudflare that answers after 5 s: the notice, then the card in its place', async () => {
    cloudflare.options.latencyMs = 5_000;
    const url = slack.responseUrl();
    const startedAt = Date.now();
    await sendSlashCommand(app.url, SIGNING_SECRET, { text: 'late.example.com', response_url: url });
    const [notice, card] = await postsAt(url, 2, startedAt);
    expect(notice?.body.text).toBe(SLOW_NOTICE_TEXT);
    expect(card?.body.replace_original).toBe(true);
    expect(String(card?.body.text)).toContain('late.example.com');
    expect(card?.afterMs).toBeGreaterThanOrEqual(5_000);
    expect(card?.afterMs).toBeLessThan(deadlineMs);
    figures.record('late_notice_ms', notice?.afterMs ?? -1, { note: 'Cloudflare answering after 5 s' });
    figures.record('late_card_ms', card?.afterMs ?? -1, { note: 'the card replacing the notice' });
  });

  it('a quick answer comes alone, without a notice', async () => {
    const url = slack.responseUrl();
    const startedAt = Date.now();
    await sendSlashCommand(app.url, SIGNING_SECRET, { text: 'quick.example.com', response_url: url });
    const [card] = await postsAt(url, 1, startedAt);
    expect(String(card?.body.text)).toContain('quick.example.com');
    // The positive signal that nothing else is coming: the notice would have been due by now.
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, slowNoticeAfterMs + 500 - (Date.now() - startedAt))),
    );
    expect(slack.responsesTo(url)).toHaveLength(1);
  });

  it('Refresh against a hanging Cloudflare: the notice replaces the card, the error replaces the notice', async () => {
    cloudflare.inject('any', { kind: 'hang' }, 100);
    const url = slack.responseUrl();
    const startedAt = Date.now();
    await sendInteraction(
      app.url,
      SIGNING_SECRET,
      blockActionPayload({
        actionId: ACTION_IDS.refreshLookup,
        value: encodeLookupValue({ hostname: 'button.example.com', zoneId: ZONE_ID }),
        responseUrl: url,
      }),
    );
    const [notice, answer] = await postsAt(url, 2, startedAt);
    expect(notice?.body).toMatchObject({ text: SLOW_NOTICE_TEXT, replace_original: true });
    expect(answer?.body.replace_original).toBe(true);
    expect(answer?.afterMs).toBeLessThan(deadlineMs + MARGIN_MS);
  });
});
