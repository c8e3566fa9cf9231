import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp } from './../support/app-harness.js';
import { type FakeCloudflare, startFakeCloudflare } from './../support/fake-cloudflare.js';
import { type FakeSlack, startFakeSlack } from './../support/fake-slack.js';
import { FAKE_APP_TOKEN, type FakeSocketMode, startFakeSocketMode } from './../support/fake-socket-mode.js';

let slack: FakeSlack;
let cloudflare: FakeCloudflare;
let socket: FakeSocketMode;

beforeAll(async () => {
  slack = await startFakeSlack();
  cloudflare = await startFakeCloudflare();
  socket = await startFakeSocketMode(slack);
});

afterAll(async () => {
  await socket.close();
  await slack.close();
  await cloudflare.close();
});

describe('start-up', () => {
  it('stops with a message naming SLACK_BOT_TOKEN when Slack refuses the token', async () => {
    slack.failNext('auth.test', { error: 'invalid_auth' });
    await expect(
      startTestApp({ slackApiUrl: slack.apiUrl, cloudflareBaseUrl: cloudflare.baseUrl }),
    ).rejects.toMatchObject({
      code: 'config_invalid',
      message: expect.stringContaining('SLACK_BOT_TOKEN was refused by Slack (invalid_auth)'),
    });
  });

  it('starts when Slack accepts the token, having asked it once', async () => {
    const before = slack.callsTo('auth.test').length;
    const app = await startTestApp({ slackApiUrl: slack.apiUrl, cloudflareBaseUrl: cloudflare.baseUrl });
    try {
      expect(slack.callsTo('auth.test').length - before).toBe(1);
    } finally {
      await app.stop();
    }
  });

  it('stops with a message naming SLACK_APP_TOKEN when Slack says the app token is revoked', async () => {
    socket.revokedTokens.add(FAKE_APP_TOKEN);
    try {
      await expect(
        startTestApp({
          slackApiUrl: slack.apiUrl,
          cloudflareBaseUrl: cloudflare.baseUrl,
          env: { SLACK_APP_TOKEN: FAKE_APP_TOKEN },
        }),
      ).rejects.toMatchObject({
        code: 'config_invalid',
        message: expect.stringContaining('SLACK_APP_TOKEN was refused by Slack (token_revoked)'),
      });
    } finally {
      socket.revokedTokens.clear();
    }
    expect(socket.connections).toHaveLength(0);
  });

  it('stops with a message naming SLACK_APP_TOKEN when Slack does not know the app token', async () => {
    await expect(
      startTestApp({
        slackApiUrl: slack.apiUrl,
        cloudflareBaseUrl: cloudflare.baseUrl,
        env: { SLACK_APP_TOKEN: 'xapp-1-A0AOP-1-someoneelses' },
      }),
    ).rejects.toMatchObject({
      code: 'config_invalid',
      message: expect.stringContaining('SLACK_APP_TOKEN was refused by Slack (invalid_auth)'),
    });
  });

  it('in Socket Mode, starts once the socket said hello and reports the connection on /healthz', async () => {
    const app = await startTestApp({
      slackApiUrl: slack.apiUrl,
      cloudflareBaseUrl: cloudflare.baseUrl,
      env: { SLACK_APP_TOKEN: FAKE_APP_TOKEN },
    });
    try {
      expect(socket.current()).not.toBeNull();
      const report = (await (await fetch(`${app.url}/healthz`)).json()) as {
        checks: Record<string, { ok: boolean; detail: string }>;
      };
      expect(report.checks.slackSocket).toMatchObject({
        ok: true,
        detail: expect.stringMatching(/^connected since /),
      });
    } finally {
      await app.stop();
    }
  });
});
