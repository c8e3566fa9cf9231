import { LogLevel } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/observability/logger.js';
import { registerButtonRouter } from '../../../src/slack/actions/router.js';
import { App } from '../../../src/slack/bolt.js';
import { ACTION_IDS } from '../../../src/slack/ids.js';

/** A Bolt app fed by hand through `processEvent`, the path every receiver takes. */
function appWithRouter() {
  const lines: Array<{ msg?: string; actionId?: string }> = [];
  const logger = createLogger({
    level: 'info',
    destination: { write: (line: string) => lines.push(JSON.parse(line)) },
  });
  const app = new App({
    authorize: async () => ({ botToken: 'xoxb-test', botId: 'B0BOT', botUserId: 'U0BOT' }),
    receiver: { init: () => {}, start: async () => undefined, stop: async () => undefined },
    logLevel: LogLevel.ERROR,
  });
  const handled: string[] = [];
  registerButtonRouter(
    app,
    {
      [ACTION_IDS.refreshLookup]: async ({ ack, action }) => {
        await ack();
        handled.push(`refresh ${action.value}`);
      },
      [ACTION_IDS.alertAcknowledge]: async ({ ack, action }) => {
        await ack();
        handled.push(`acknowledge ${action.value}`);
      },
    },
    logger,
  );
  const click = async (actionId: string) => {
    const acks: unknown[] = [];
    await app.processEvent({
      body: {
        type: 'block_actions',
        team: { id: 'T0TEAM' },
        user: { id: 'U0CLICK' },
        api_app_id: 'A0APP',
        token: 'verification-token',
        trigger_id: '1.2.3',
        channel: { id: 'C0CHAN' },
        container: { type: 'message', message_ts: '1.1', channel_id: 'C0CHAN' },
        response_url: 'https://hooks.slack.com/actions/T0TEAM/1/x',
        actions: [{ type: 'button', action_id: actionId, block_id: 'b', value: 'v1', action_ts: '1.3' }],
      },
      ack: async (response) => {
        acks.push(response);
      },
    });
    return acks;
  };
  return { click, handled, lines };
}

describe('registerButtonRouter', () => {
  it("runs the clicked button's handler, and only it, with one ack", async () => {
    const { click, handled } = appWithRouter();
    expect(await click(ACTION_IDS.alertAcknowledge)).toHaveLength(1);
    expect(await click(ACTION_IDS.refreshLookup)).toHaveLength(1);
    expect(handled).toEqual(['acknowledge v1', 'refresh v1']);
  });

  it('acks a button it does not know, runs nothing and logs the id, cut to 100 characters', async () => {
    const { click, handled, lines } = appWithRouter();
    const unknown = `aop_removed_${'x'.repeat(200)}`;
    expect(await click(unknown)).toHaveLength(1);
    // A name an object has by inheritance is no handler either.
    expect(await click('constructor')).toHaveLength(1);
    expect(handled).toEqual([]);
    expect(
      lines.filter((line) => line.msg === 'ignored an unknown action').map((line) => line.actionId),
    ).toEqual([unknown.slice(0, 100), 'constructor']);
  });
});
