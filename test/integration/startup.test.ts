import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp } from './../support/app-harness.js';
import { type FakeCloudflare, startFakeCloudflare } from './../support/fake-cloudflare.js';
import { type FakeSlack, startFakeSlack } from './../support/fake-slack.js';

let slack: FakeSlack;
let cloudflare: FakeCloudflare;

beforeAll(async () => {
  slack = await startFakeSlack();
  cloudflare = await startFakeCloudflare();
});

afterAll(async () => {
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
});
