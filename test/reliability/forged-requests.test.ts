/**
 * Scenario 7 of issue 5: forged and replayed requests to /slack/events. Every one is rejected with
 * 401 before Bolt sees it, and leaves no trace: no Cloudflare request, no Slack call, no
 * response_url post, no Redis change under the app's prefix (the replay cache aside).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_IDS, encodeLookupValue } from '../../src/slack/ids.js';
import { SIGNING_SECRET, startTestApp, type TestApp } from '../support/app-harness.js';
import { type FakeCloudflare, startFakeCloudflare } from '../support/fake-cloudflare.js';
import {
  blockActionPayload,
  type FakeSlack,
  slackSignatureHeaders,
  slashCommandBody,
  startFakeSlack,
} from '../support/fake-slack.js';
import { connectTestRedis, deleteKeysWithPrefix } from '../support/redis.js';
import { scenarioFigures } from './figures.js';
import { diffState, snapshotState } from './state-snapshot.js';

const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
const HOSTNAME = 'app.example.com';
const figures = scenarioFigures('7-forged-requests');

let slack: FakeSlack;
let cloudflare: FakeCloudflare;
let app: TestApp;

beforeAll(async () => {
  slack = await startFakeSlack();
  cloudflare = await startFakeCloudflare();
  const zone = cloudflare.state.addZone({ id: ZONE_ID, name: 'example.com' });
  const certificate = cloudflare.state.addCertificate(zone.id, { expires_on: '2027-06-01T00:00:00Z' });
  cloudflare.state.associate(zone.id, { hostname: HOSTNAME, cert_id: certificate.id });
  app = await startTestApp({
    slackApiUrl: slack.apiUrl,
    cloudflareBaseUrl: cloudflare.baseUrl,
    file: {
      zones: [{ id: ZONE_ID, name: 'example.com', hostnames: [HOSTNAME] }],
      digest: { schedule: '0 0 1 1 *', channels: [] },
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

async function post(body: string, headers: Record<string, string>): Promise<number> {
  const response = await fetch(`${app.url}/slack/events`, { method: 'POST', headers, body });
  await response.text();
  return response.status;
}

function interactionBody(responseUrl: string): string {
  const payload = blockActionPayload({
    actionId: ACTION_IDS.refreshLookup,
    value: encodeLookupValue({ hostname: HOSTNAME, zoneId: ZONE_ID }),
    responseUrl,
  });
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** Requests the guard refused, from the app's log. */
function rejectionsLogged(): number {
  return app.logs.filter((line) => line.msg === 'rejected a request to /slack/events').length;
}

async function waitForPosts(responseUrl: string, count: number): Promise<void> {
  await slack.waitFor(() => slack.responsesTo(responseUrl).length >= count, {
    what: `${count} post(s) to ${responseUrl}`,
  });
}

describe('forged and replayed requests', () => {
  it('rejects every forgery and replay with 401 and leaves Cloudflare, Slack and Redis untouched', async () => {
    // Two genuine requests, captured as an attacker on the path would see them.
    const commandUrl = slack.responseUrl();
    const commandBody = slashCommandBody({ text: HOSTNAME, response_url: commandUrl });
    const commandHeaders = slackSignatureHeaders(SIGNING_SECRET, commandBody);
    expect(await post(commandBody, commandHeaders)).toBe(200);
    await waitForPosts(commandUrl, 1);
    const buttonUrl = slack.responseUrl();
    const buttonBody = interactionBody(buttonUrl);
    const buttonHeaders = slackSignatureHeaders(SIGNING_SECRET, buttonBody);
    expect(await post(buttonBody, buttonHeaders)).toBe(200);
    await waitForPosts(buttonUrl, 1);

    // Two copies of one new request at the same moment: exactly one gets through.
    const raceUrl = slack.responseUrl();
    const raceBody = slashCommandBody({ text: 'help', response_url: raceUrl });
    const raceHeaders = slackSignatureHeaders(SIGNING_SECRET, raceBody);
    const rejectionsBeforeRace = rejectionsLogged();
    const raced = await Promise.all([post(raceBody, raceHeaders), post(raceBody, raceHeaders)]);
    // The positive signal: the guard logged the copy it refused (help is answered in the ack itself).
    await slack.waitFor(() => rejectionsLogged() > rejectionsBeforeRace, { what: 'the refused copy logged' });

    const redis = connectTestRedis();
    try {
      const stateBefore = await snapshotState(redis, app.prefix);
      // The comparison means something only if there is state to compare (queues, schedulers).
      expect(stateBefore.size).toBeGreaterThan(0);
      const cloudflareBefore = cloudflare.requests.length;
      const slackCallsBefore = slack.calls.length;
      const responsesBefore = slack.responses.length;
      const rejectionsLoggedBefore = rejectionsLogged();

      const nowSeconds = Math.floor(Date.now() / 1000);
      const freshUrl = slack.responseUrl();
      const fresh = slashCommandBody({ text: HOSTNAME, response_url: freshUrl });
      const signed = slackSignatureHeaders(SIGNING_SECRET, fresh);
      const withoutHeader = (name: string) =>
        Object.fromEntries(Object.entries(signed).filter(([key]) => key !== name));
      const flipped = `${signed['x-slack-signature']?.slice(0, -1)}${signed['x-slack-signature']?.endsWith('0') ? '1' : '0'}`;
      const forgeries: Array<{ name: string; body: string; headers: Record<string, string> }> = [
        {
          name: 'signed with another secret',
          body: fresh,
          headers: slackSignatureHeaders('not-the-secret', fresh),
        },
        {
          name: 'signature with one digit changed',
          body: fresh,
          headers: { ...signed, 'x-slack-signature': flipped },
        },
        {
          name: 'body changed after signing',
          body: fresh.replace(HOSTNAME, 'evil.example.com'),
          headers: signed,
        },
        {
          name: 'signature in another scheme',
          body: fresh,
          headers: { ...signed, 'x-slack-signature': 'v1=abc' },
        },
        { name: 'no signature header', body: fresh, headers: withoutHeader('x-slack-signature') },
        { name: 'no timestamp header', body: fresh, headers: withoutHeader('x-slack-request-timestamp') },
        {
          name: 'no Slack headers at all',
          body: fresh,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        },
        {
          name: 'timestamp that is not a number',
          body: fresh,
          headers: { ...signed, 'x-slack-request-timestamp': 'yesterday' },
        },
        {
          name: 'timestamp 6 minutes old, correctly signed',
          body: fresh,
          headers: slackSignatureHeaders(SIGNING_SECRET, fresh, nowSeconds - 6 * 60),
        },
        {
          name: 'timestamp 6 minutes ahead, correctly signed',
          body: fresh,
          headers: slackSignatureHeaders(SIGNING_SECRET, fresh, nowSeconds + 6 * 60),
        },
        {
          name: 'captured signature under a fresh timestamp',
          body: commandBody,
          headers: { ...commandHeaders, 'x-slack-request-timestamp': String(nowSeconds + 1) },
        },
        { name: 'replay of the captured slash command', body: commandBody, headers: commandHeaders },
        { name: 'replay of the captured button click', body: buttonBody, headers: buttonHeaders },
        { name: 'second replay of the captured slash command', body: commandBody, headers: commandHeaders },
        {
          name: 'interaction signed with another secret',
          body: interactionBody(freshUrl),
          headers: slackSignatureHeaders('not-the-secret', interactionBody(freshUrl)),
        },
      ];

      const statuses: Record<string, number> = {};
      for (const forgery of forgeries) statuses[forgery.name] = await post(forgery.body, forgery.headers);
      // The positive signal: every forgery was refused by the guard (logged), so none reached Bolt.
      await slack.waitFor(() => rejectionsLogged() - rejectionsLoggedBefore >= forgeries.length, {
        what: 'every forgery refused in the log',
      });

      const rejected = Object.values(statuses).filter((status) => status === 401).length;
      const changes = diffState(stateBefore, await snapshotState(redis, app.prefix));
      const cloudflareRequests = cloudflare.requests.length - cloudflareBefore;
      const slackCalls = slack.calls.length - slackCallsBefore;
      const slackMethods = slack.calls
        .slice(slackCallsBefore)
        .map((call) => `${call.method}@${call.at - Date.now()}`);
      const responsePosts = slack.responses.length - responsesBefore;
      const rejectionsLoggedNow = rejectionsLogged() - rejectionsLoggedBefore;
      figures.record('forged_or_replayed_requests', forgeries.length);
      figures.record('rejected_with_401', rejected, {
        note: `must be ${forgeries.length}`,
        details: statuses,
      });
      figures.record('side_effects', cloudflareRequests + slackCalls + responsePosts + changes.length, {
        note: 'must be 0',
        details: {
          cloudflareRequests,
          slackCalls,
          responsePosts,
          slackMethods,
          redisChanges: changes,
          redisKeysCompared: stateBefore.size,
        },
      });
      figures.record('simultaneous_duplicate_accepted', raced.filter((status) => status === 200).length, {
        note: 'two identical requests at once: must be 1',
      });

      expect(statuses).toEqual(Object.fromEntries(forgeries.map((forgery) => [forgery.name, 401])));
      expect(changes).toEqual([]);
      expect(cloudflareRequests).toBe(0);
      expect(slackCalls).toBe(0);
      expect(responsePosts).toBe(0);
      expect(rejectionsLoggedNow).toBe(forgeries.length);
      expect(raced.sort()).toEqual([200, 401]);
      expect(slack.responsesTo(freshUrl)).toHaveLength(0);
    } finally {
      redis.disconnect();
    }
  });

  // The second shape repeats the key: a parser that reads it as a list would not see `'1'`, and
  // must still neither skip the signature check nor run the command.
  it.each([
    ['ssl_check=1&', 'beside a command'],
    ['ssl_check=1&ssl_check=0&', 'beside a second ssl_check and a command'],
  ])('answers an unsigned ssl_check without running anything smuggled into it (%s: %s)', async (prefix) => {
    const responseUrl = slack.responseUrl();
    const body = `${prefix}${slashCommandBody({ text: HOSTNAME, response_url: responseUrl })}`;
    const cloudflareBefore = cloudflare.requests.length;
    const status = await post(body, { 'content-type': 'application/x-www-form-urlencoded' });
    const cloudflareAfter = cloudflare.requests.length;
    // The positive signal: a genuine lookup of the same hostname sent afterwards has been answered,
    // so a smuggled lookup, had one been queued before it, would have posted its card by now.
    const sentinelUrl = slack.responseUrl();
    const sentinel = slashCommandBody({ text: HOSTNAME, response_url: sentinelUrl });
    expect(await post(sentinel, slackSignatureHeaders(SIGNING_SECRET, sentinel))).toBe(200);
    await waitForPosts(sentinelUrl, 1);
    figures.record('smuggled_ssl_check_side_effects', cloudflareAfter - cloudflareBefore, {
      note: 'must be 0',
    });
    expect(status).toBe(200);
    expect(cloudflareAfter).toBe(cloudflareBefore);
    expect(slack.responsesTo(responseUrl)).toHaveLength(0);
  });
});
