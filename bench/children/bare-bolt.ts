/**
 * The baseline for the ack benchmark: a Bolt app in HTTP mode whose only listener acks
 * `/aop-status`. Same Bolt version, same receiver, same signing checks as the bot; nothing else.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, LogLevel } from '@slack/bolt';
import { serveRpc } from '../lib/rpc.js';

let app: App | null = null;

const handlers = {
  async start(params: { signingSecret: string; slackApiUrl: string }) {
    app = new App({
      signingSecret: params.signingSecret,
      token: 'xoxb-bench-token',
      botId: 'BBOT',
      botUserId: 'UBOT',
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: params.slackApiUrl },
    });
    app.command('/aop-status', async ({ ack }) => {
      await ack();
    });
    const server = (await app.start(0)) as Server;
    return { port: (server.address() as AddressInfo).port };
  },
};

export type BareBoltHandlers = typeof handlers;

serveRpc(handlers, async () => {
  await app?.stop();
  app = null;
});
