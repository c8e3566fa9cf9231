import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../../src/slack/ids.js';
import { SIGNING_SECRET } from '../../support/app-harness.js';
import {
  appHomeOpenedEvent,
  blockActionPayload,
  sendEvent,
  sendInteraction,
} from '../../support/fake-slack.js';
import { connectTestRedis } from '../../support/redis.js';
import { expectOverviewOf, type HomeScenario, INCIDENT, ONCALL, startHomeScenario } from './support.js';

let scenario: HomeScenario;

beforeEach(async () => {
  scenario = await startHomeScenario({ socketMode: false });
});

afterEach(async () => {
  await scenario.stop();
});

describe('App Home over HTTP (events on /slack/events)', () => {
  it('publishes the overview from stored state on open, without calling Cloudflare, at most once per 10 s', async () => {
    const { app, slack, cloudflare, parents } = scenario;
    const refreshClick = () =>
      sendInteraction(
        app.url,
        SIGNING_SECRET,
        blockActionPayload({
          actionId: ACTION_IDS.homeRefresh,
          value: 'refresh',
          responseUrl: '',
          userId: ONCALL,
        }),
      );
    const cloudflareRequestsBefore = cloudflare.requests.length;
    const logsBefore = app.logs.length;
    const opened = await sendEvent(app.url, SIGNING_SECRET, appHomeOpenedEvent(ONCALL));
    expect(opened.status).toBe(200);
    expect(await scenario.homeOutcome(logsBefore, ONCALL)).toBe('published');

    // No Cloudflare call on open; one permalink lookup per thread, one publish.
    expect(cloudflare.requests.length).toBe(cloudflareRequestsBefore);
    expect(
      slack
        .callsTo('chat.getPermalink')
        .map((call) => `${String(call.args.channel)}/${String(call.args.message_ts)}`)
        .sort(),
    ).toEqual(parents.map((parent) => `${INCIDENT}/${parent.ts}`).sort());
    expect(slack.callsTo('views.publish').map((call) => call.args.user_id)).toEqual([ONCALL]);
    const published = slack.homeViews.get(ONCALL);
    if (!published) throw new Error('no Home tab published');
    expectOverviewOf(scenario, published.view);

    // A second open and a Refresh within 10 s publish nothing new.
    const logsBeforeSecond = app.logs.length;
    await sendEvent(app.url, SIGNING_SECRET, appHomeOpenedEvent(ONCALL));
    expect(await scenario.homeOutcome(logsBeforeSecond, ONCALL)).toBe('throttled');
    const logsBeforeRefresh = app.logs.length;
    expect((await refreshClick()).status).toBe(200);
    expect(await scenario.homeOutcome(logsBeforeRefresh, ONCALL)).toBe('throttled');
    expect(slack.callsTo('views.publish')).toHaveLength(1);

    // Another person opening it is not held back by the first one's limit.
    const logsBeforeOther = app.logs.length;
    await sendEvent(app.url, SIGNING_SECRET, appHomeOpenedEvent('U0SECOND'));
    expect(await scenario.homeOutcome(logsBeforeOther, 'U0SECOND')).toBe('published');
    expect(slack.callsTo('views.publish')).toHaveLength(2);
    // The permalinks came from the cache: no new chat.getPermalink call.
    expect(slack.callsTo('chat.getPermalink')).toHaveLength(parents.length);

    // Once the 10 s are over (the window's key expired), Refresh publishes again.
    const redis = connectTestRedis();
    try {
      await redis.del(`${app.prefix}:home:published:${ONCALL}`);
    } finally {
      redis.disconnect();
    }
    const logsBeforeLater = app.logs.length;
    await refreshClick();
    expect(await scenario.homeOutcome(logsBeforeLater, ONCALL)).toBe('published');
    expect(slack.callsTo('views.publish')).toHaveLength(3);
    expect(cloudflare.requests.length).toBe(cloudflareRequestsBefore);
  });

  it('ignores the Messages tab and rejects an unsigned event', async () => {
    const { app, slack } = scenario;
    const logsBefore = app.logs.length;
    await sendEvent(app.url, SIGNING_SECRET, appHomeOpenedEvent(ONCALL, 'messages'));
    const forged = await sendEvent(app.url, 'not-the-signing-secret', appHomeOpenedEvent(ONCALL));
    expect(forged.status).toBe(401);
    // A positive signal that the app handled what it was sent: a Home tab open after those two.
    await sendEvent(app.url, SIGNING_SECRET, appHomeOpenedEvent('U0THIRD'));
    expect(await scenario.homeOutcome(logsBefore, 'U0THIRD')).toBe('published');
    expect(slack.callsTo('views.publish').map((call) => call.args.user_id)).toEqual(['U0THIRD']);
  });
});
