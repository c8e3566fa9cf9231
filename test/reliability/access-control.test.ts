/**
 * Scenario 8 of issue 5: access control. Commands from a channel outside
 * `access.allowed_channels`, and inventory or subscription changes by someone outside
 * `access.admins`, are refused privately and change nothing: the Redis state under the app's
 * prefix is the same before and after (replay-cache and rate-limit keys aside).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_IDS, encodeLookupValue } from '../../src/slack/ids.js';
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
import { waitForQueuesIdle } from '../support/runs.js';
import { scenarioFigures } from './figures.js';
import { diffState, snapshotState } from './state-snapshot.js';

const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
const ALLOWED = 'C0ALLOWED';
const OUTSIDE = 'C0OUTSIDE';
const ADMIN = 'U0ADMIN';
const SOMEONE = 'U0SOMEONE';
const CHANNEL_REFUSAL = 'aop-status is not enabled in this channel';
const ADMIN_REFUSAL = 'Only aop-status admins may';
const figures = scenarioFigures('8-access-control');

let slack: FakeSlack;
let cloudflare: FakeCloudflare;
let app: TestApp;

beforeAll(async () => {
  slack = await startFakeSlack();
  cloudflare = await startFakeCloudflare();
  const zone = cloudflare.state.addZone({ id: ZONE_ID, name: 'example.com' });
  const certificate = cloudflare.state.addCertificate(zone.id, { expires_on: '2027-06-01T00:00:00Z' });
  for (const hostname of ['app.example.com', 'watched.example.com', 'new.example.com'])
    cloudflare.state.associate(zone.id, { hostname, cert_id: certificate.id });
  app = await startTestApp({
    slackApiUrl: slack.apiUrl,
    cloudflareBaseUrl: cloudflare.baseUrl,
    file: {
      zones: [{ id: ZONE_ID, name: 'example.com', hostnames: ['app.example.com'] }],
      digest: { schedule: '0 0 1 1 *', channels: [] },
      access: { allowed_channels: [ALLOWED], admins: [ADMIN] },
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

/** Sends `/aop-status text`; returns the ack's text (empty when acked silently) and the response_url. */
async function command(text: string, channelId: string, userId: string) {
  const responseUrl = slack.responseUrl();
  const answer = await sendSlashCommand(app.url, SIGNING_SECRET, {
    text,
    response_url: responseUrl,
    channel_id: channelId,
    user_id: userId,
  });
  expect(answer.status, `/aop-status ${text}`).toBe(200);
  const ackText = answer.body === '' ? '' : String((JSON.parse(answer.body) as { text?: string }).text ?? '');
  return { ackText, responseUrl };
}

/** Sends a command that must change state, and waits for its answer. */
async function adminCommand(text: string) {
  const { ackText, responseUrl } = await command(text, ALLOWED, ADMIN);
  expect(ackText).toBe('');
  await slack.waitFor(() => slack.responsesTo(responseUrl).length > 0, { what: `the answer to ${text}` });
}

describe('access control', () => {
  it('refuses commands outside the allowed channels and changes by non-admins, and changes nothing', async () => {
    // State worth protecting: one watched hostname and one subscription, made by the admin.
    await adminCommand('watch watched.example.com');
    await adminCommand('subscribe');
    const redis = connectTestRedis();
    try {
      const before = await snapshotState(redis, app.prefix);
      expect([...before.keys()].some((key) => key.endsWith(':inventory:watched'))).toBe(true);
      expect([...before.keys()].some((key) => key.endsWith(':inventory:subscribed-channels'))).toBe(true);
      const cloudflareBefore = cloudflare.requests.length;
      const postsBefore = slack.responses.length;

      const outsideChannel = [
        'app.example.com',
        'help',
        'list',
        'digest',
        'watch new.example.com',
        'unwatch watched.example.com',
        'subscribe',
        'unsubscribe',
        'WATCH new.example.com',
      ];
      const byNonAdmin = [
        'watch new.example.com',
        'watch new.example.com example.com',
        'Watch NEW.example.com',
        'unwatch watched.example.com',
        'unwatch app.example.com',
        'subscribe',
        'unsubscribe',
        'SUBSCRIBE',
      ];
      const refusals: Record<string, string> = {};
      for (const text of outsideChannel) {
        // Even an admin is refused outside the allowed channels.
        refusals[`${OUTSIDE} ${ADMIN}: ${text}`] = (await command(text, OUTSIDE, ADMIN)).ackText;
        refusals[`${OUTSIDE} ${SOMEONE}: ${text}`] = (await command(text, OUTSIDE, SOMEONE)).ackText;
      }
      for (const text of byNonAdmin) {
        refusals[`${ALLOWED} ${SOMEONE}: ${text}`] = (await command(text, ALLOWED, SOMEONE)).ackText;
      }
      // The card's buttons, clicked in a channel outside the list, are refused too (privately).
      const buttonUrls: string[] = [];
      for (const actionId of [ACTION_IDS.refreshLookup, ACTION_IDS.shareLookup]) {
        const responseUrl = slack.responseUrl();
        buttonUrls.push(responseUrl);
        const answer = await sendInteraction(
          app.url,
          SIGNING_SECRET,
          blockActionPayload({
            actionId,
            value: encodeLookupValue({ hostname: 'app.example.com', zoneId: ZONE_ID }),
            responseUrl,
            channelId: OUTSIDE,
            userId: ADMIN,
          }),
        );
        expect(answer.status).toBe(200);
      }
      const buttonAnswers = await slack.waitFor(
        () => {
          const posts = buttonUrls.map((url) => slack.responsesTo(url)[0]);
          return posts.every((post) => post !== undefined) ? posts : undefined;
        },
        { what: 'the refusals of the two button clicks' },
      );
      await waitForQueuesIdle(app);
      await new Promise((resolve) => setTimeout(resolve, 200));

      const after = await snapshotState(redis, app.prefix);
      const changes = diffState(before, after);
      const channelRefusals = Object.values(refusals).filter((text) =>
        text.startsWith(CHANNEL_REFUSAL),
      ).length;
      const adminRefusals = Object.values(refusals).filter((text) => text.startsWith(ADMIN_REFUSAL)).length;
      const buttonRefusals = buttonAnswers.filter((post) =>
        String(post?.body.text).startsWith(CHANNEL_REFUSAL),
      ).length;
      figures.record('attempts', Object.keys(refusals).length + buttonUrls.length);
      figures.record('refusals', channelRefusals + adminRefusals + buttonRefusals, {
        details: {
          outsideChannel: channelRefusals,
          nonAdmin: adminRefusals,
          buttonsOutsideChannel: buttonRefusals,
        },
      });
      figures.record('state_changes', changes.length, {
        note: 'must be 0',
        details: { changes, keysCompared: before.size },
      });
      figures.record('cloudflare_requests_during_refusals', cloudflare.requests.length - cloudflareBefore, {
        note: 'must be 0',
      });

      const counted = async (outcome: string) => {
        const metric = await app.service.metrics.registry.getSingleMetric('aop_lookups_total')?.get();
        return metric?.values.find((sample) => sample.labels.outcome === outcome)?.value ?? 0;
      };
      figures.record(
        'refusals_in_metrics',
        (await counted('channel_not_allowed')) + (await counted('not_an_admin')),
        {
          note: 'aop_lookups_total{outcome=channel_not_allowed|not_an_admin}',
        },
      );
      expect(await counted('channel_not_allowed')).toBe(outsideChannel.length * 2);
      expect(await counted('not_an_admin')).toBe(byNonAdmin.length);
      expect(app.logs.filter((line) => String(line.msg).startsWith('refused a'))).toHaveLength(
        outsideChannel.length * 2 + byNonAdmin.length,
      );
      expect(channelRefusals).toBe(outsideChannel.length * 2);
      expect(adminRefusals).toBe(byNonAdmin.length);
      expect(buttonRefusals).toBe(2);
      expect(Object.values(refusals).every((text) => text.length > 0)).toBe(true);
      expect(changes).toEqual([]);
      expect(cloudflare.requests.length).toBe(cloudflareBefore);
      // Nothing but the two button refusals went out through a response_url.
      expect(slack.responses.length - postsBefore).toBe(2);
      // (Bolt's own auth.test aside) no message was posted or updated.
      expect(slack.calls.filter((call) => call.method.startsWith('chat.'))).toEqual([]);

      // The check can fail: the same change by the admin in the allowed channel is seen.
      await adminCommand('unsubscribe');
      expect(diffState(after, await snapshotState(redis, app.prefix))).toEqual([
        `removed ${app.prefix}:inventory:subscribed-channels`,
      ]);
    } finally {
      redis.disconnect();
    }
  });

  it('refuses a card button whose click names no channel while the allow-list is set', async () => {
    // App Home and other surfaces carry no channel; with an allow-list the bot fails closed.
    const responseUrl = slack.responseUrl();
    const payload = blockActionPayload({
      actionId: ACTION_IDS.shareLookup,
      value: encodeLookupValue({ hostname: 'app.example.com', zoneId: ZONE_ID }),
      responseUrl,
      userId: ADMIN,
    });
    delete payload.channel;
    payload.container = { type: 'view', view_id: 'V0HOME' };
    const cloudflareBefore = cloudflare.requests.length;
    const answer = await sendInteraction(app.url, SIGNING_SECRET, payload);
    expect(answer.status).toBe(200);
    const [refusal] = await slack.waitFor(
      () => {
        const posts = slack.responsesTo(responseUrl);
        return posts.length > 0 ? posts : undefined;
      },
      { what: 'the answer to the click' },
    );
    figures.record('button_without_channel_refused', String(refusal?.body.text).startsWith(CHANNEL_REFUSAL), {
      note: 'must be true',
    });
    expect(refusal?.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(String(refusal?.body.text)).toMatch(new RegExp(`^${CHANNEL_REFUSAL}`));
    expect(cloudflare.requests.length).toBe(cloudflareBefore);
  });

  it('still lets a non-admin look up and list in an allowed channel', async () => {
    const lookup = await command('app.example.com', ALLOWED, SOMEONE);
    expect(lookup.ackText).toBe('');
    const [card] = await slack.waitFor(
      () => {
        const posts = slack.responsesTo(lookup.responseUrl);
        return posts.length > 0 ? posts : undefined;
      },
      { what: 'the card' },
    );
    expect(String(card?.body.text)).toContain('app.example.com');
  });
});
