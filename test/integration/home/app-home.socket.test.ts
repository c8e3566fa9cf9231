import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../../src/slack/ids.js';
import { appHomeOpenedEvent, blockActionPayload } from '../../support/fake-slack.js';
import { expectOverviewOf, type HomeScenario, ONCALL, startHomeScenario } from './support.js';

let scenario: HomeScenario;

beforeEach(async () => {
  scenario = await startHomeScenario({ socketMode: true });
});

afterEach(async () => {
  await scenario.stop();
});

describe('App Home over Socket Mode', () => {
  it('publishes the overview when app_home_opened arrives on the socket, and nothing new within 10 s', async () => {
    const { app, slack, cloudflare, parents } = scenario;
    const socket = scenario.socket;
    if (!socket) throw new Error('no Socket Mode server');
    const cloudflareRequestsBefore = cloudflare.requests.length;

    const logsBefore = app.logs.length;
    const opened = socket.sendEvent(appHomeOpenedEvent(ONCALL));
    await socket.waitForAck(opened);
    expect(await scenario.homeOutcome(logsBefore, ONCALL)).toBe('published');
    expect(slack.callsTo('views.publish').map((call) => call.args.user_id)).toEqual([ONCALL]);
    expect(slack.callsTo('chat.getPermalink')).toHaveLength(parents.length);
    const published = slack.homeViews.get(ONCALL);
    if (!published) throw new Error('no Home tab published');
    expectOverviewOf(scenario, published.view);

    // Opened again, and Refresh clicked, within 10 s: acknowledged, nothing published.
    const logsBeforeSecond = app.logs.length;
    await socket.waitForAck(socket.sendEvent(appHomeOpenedEvent(ONCALL)));
    expect(await scenario.homeOutcome(logsBeforeSecond, ONCALL)).toBe('throttled');
    const logsBeforeRefresh = app.logs.length;
    const click = blockActionPayload({
      actionId: ACTION_IDS.homeRefresh,
      value: 'refresh',
      responseUrl: '',
      userId: ONCALL,
    });
    await socket.waitForAck(socket.sendInteractive({ ...click, trigger_id: `home.${Date.now()}` }));
    expect(await scenario.homeOutcome(logsBeforeRefresh, ONCALL)).toBe('throttled');
    expect(slack.callsTo('views.publish')).toHaveLength(1);
    expect(cloudflare.requests.length).toBe(cloudflareRequestsBefore);
  });
});
