import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeLoopbackPort, redisAnswers } from '../../src/demo/redis.js';
import { redisKeys } from '../../src/store/keys.js';
import { SIGNING_SECRET, startTestApp, type TestApp } from '../support/app-harness.js';
import { type FakeCloudflare, startFakeCloudflare } from '../support/fake-cloudflare.js';
import { type FakeSlack, sendSlashCommand, startFakeSlack } from '../support/fake-slack.js';
import { evaluateNow, waitForQueuesIdle } from '../support/runs.js';
import { scenarioFigures } from './figures.js';

/**
 * Scenario 3: Redis, with AOF on, dies and comes back. The watch list, subscriptions, alert
 * episodes and schedules must be intact, the bot must reconnect by itself, and while Redis is
 * down the lookup must still answer and /healthz must say what is wrong.
 */

const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
const DAY_MS = 86_400_000;
const hasRedisServer = spawnSync('sh', ['-c', 'command -v redis-server']).status === 0;
// In CI the scenario is a promise the suite keeps: a missing redis-server fails the run instead of
// skipping it silently (.ci/run installs it). Only a developer's machine may skip it.
if (!hasRedisServer && process.env.CI === 'true') {
  throw new Error(
    'redis-server is not installed, so the Redis restart scenario cannot run; with CI=true that is a failure. Install redis-server (.ci/run does).',
  );
}
const figures = scenarioFigures('3-redis-restart');

let slack: FakeSlack;
let cloudflare: FakeCloudflare;
let directory: string;
let port: number;
let redisProcess: ChildProcess | null = null;

async function startRedis(): Promise<void> {
  redisProcess = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--save',
      '',
      '--dir',
      directory,
    ],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 10_000;
  while (!(await redisAnswers(`redis://127.0.0.1:${port}`, 500))) {
    if (Date.now() > deadline) throw new Error('redis-server did not start');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function killRedis(): Promise<void> {
  const child = redisProcess;
  if (!child) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  redisProcess = null;
}

beforeAll(async () => {
  if (!hasRedisServer) return;
  slack = await startFakeSlack();
  cloudflare = await startFakeCloudflare();
  cloudflare.state.addZone({ id: ZONE_ID, name: 'example.com' });
  const expiring = cloudflare.state.addCertificate(ZONE_ID, {
    expires_on: new Date(Date.now() + 10 * DAY_MS).toISOString(),
  });
  cloudflare.state.associate(ZONE_ID, { hostname: 'app.example.com', cert_id: expiring.id });
  const healthy = cloudflare.state.addCertificate(ZONE_ID, {
    expires_on: new Date(Date.now() + 200 * DAY_MS).toISOString(),
  });
  cloudflare.state.associate(ZONE_ID, { hostname: 'api.example.com', cert_id: healthy.id });
  directory = mkdtempSync(path.join(tmpdir(), 'aop-redis-aof-'));
  port = await freeLoopbackPort();
  await startRedis();
});

afterAll(async () => {
  if (!hasRedisServer) return;
  await killRedis();
  await slack.close();
  await cloudflare.close();
  rmSync(directory, { recursive: true, force: true });
});

async function snapshotOf(redis: Redis, prefix: string) {
  const keys = redisKeys(prefix);
  const [watched, subscribed, alertStates, alertGroups, episodes, schedulers] = await Promise.all([
    redis.hgetall(keys.watchedHostnames),
    redis.smembers(keys.subscribedChannels),
    redis.hgetall(keys.alertStates),
    redis.hgetall(keys.alertGroups),
    redis.hgetall(keys.alertEpisodes),
    redis.keys(`${keys.queuePrefix}:*:repeat*`),
  ]);
  return {
    watched,
    subscribed: subscribed.sort(),
    alertStates,
    alertGroups,
    episodes,
    schedulers: schedulers.sort(),
  };
}

describe.skipIf(!hasRedisServer)('Redis restart with AOF on', () => {
  it('keeps every piece of state, answers lookups while down, reports it on /healthz, and reconnects by itself', async () => {
    const redisUrl = `redis://127.0.0.1:${port}`;
    const app: TestApp = await startTestApp({
      slackApiUrl: slack.apiUrl,
      cloudflareBaseUrl: cloudflare.baseUrl,
      env: { REDIS_URL: redisUrl },
      file: {
        zones: [{ id: ZONE_ID, name: 'example.com', hostnames: ['app.example.com'] }],
        alerts: { channel: 'C0INCIDENT' },
      },
    });
    const inspector = new Redis(redisUrl, { maxRetriesPerRequest: 1, retryStrategy: () => 500 });
    inspector.on('error', () => {});
    try {
      // State worth losing: a watched hostname, a subscription, an alert episode, the schedules.
      for (const text of ['watch api.example.com', 'subscribe']) {
        const url = slack.responseUrl();
        await sendSlashCommand(app.url, SIGNING_SECRET, { text, response_url: url, channel_id: 'C0TEAM' });
        await slack.waitFor(() => slack.responsesTo(url).length > 0, { what: text });
      }
      await evaluateNow(app);
      // One grouped thread: its parent and the runbook reply.
      expect(
        slack.messages.filter((message) => message.channel === 'C0INCIDENT' && !message.threadTs),
      ).toHaveLength(1);
      const before = await snapshotOf(inspector, app.prefix);
      expect(Object.keys(before.watched)).toEqual(['api.example.com']);
      expect(before.subscribed).toEqual(['C0TEAM']);
      expect(Object.keys(before.alertStates).length).toBeGreaterThan(0);
      expect(Object.keys(before.alertGroups).length).toBeGreaterThan(0);
      expect(before.schedulers.length).toBeGreaterThan(0);

      await killRedis();
      const downAt = Date.now();

      // While Redis is down: the lookup still answers, /healthz says what is wrong.
      const lookupUrl = slack.responseUrl();
      const ack = await sendSlashCommand(app.url, SIGNING_SECRET, {
        text: 'app.example.com',
        response_url: lookupUrl,
      });
      expect(ack.status).toBe(200);
      const card = await slack.waitFor(() => slack.responsesTo(lookupUrl)[0], {
        timeoutMs: 10_000,
        what: 'the card while Redis is down',
      });
      expect(String(card.body.text)).toContain('app.example.com');
      const health = await fetch(`${app.url}/healthz`);
      expect(health.status).toBe(503);
      const report = (await health.json()) as { checks: Record<string, { ok: boolean; detail: string }> };
      expect(report.checks.redis?.ok).toBe(false);
      expect(report.checks.redis?.detail).toMatch(/unreachable/);
      const metricsWhileDown = await fetch(`${app.url}/metrics`);
      expect(metricsWhileDown.status).toBe(200);

      await startRedis();
      const restartedAt = Date.now();
      let recoveredAt = 0;
      while (Date.now() - restartedAt < 30_000) {
        const answer = await fetch(`${app.url}/healthz`);
        if (answer.status === 200) {
          recoveredAt = Date.now();
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(recoveredAt, 'the bot reconnected by itself').toBeGreaterThan(0);

      const after = await snapshotOf(inspector, app.prefix);
      expect(after).toEqual(before);

      // And it works again end to end: a digest reaches the subscribed channel.
      await app.service.queues.requestDigest('C0TEAM', 'U0TEST');
      await waitForQueuesIdle(app, { timeoutMs: 30_000 });
      expect(
        slack.messages.some(
          (message) => message.channel === 'C0TEAM' && message.metadata?.event_type === 'aop_digest',
        ),
      ).toBe(true);

      const lost =
        Object.keys(before.watched).length -
        Object.keys(after.watched).length +
        before.subscribed.length -
        after.subscribed.length +
        Object.keys(before.alertStates).length -
        Object.keys(after.alertStates).length +
        Object.keys(before.alertGroups).length -
        Object.keys(after.alertGroups).length +
        before.schedulers.length -
        after.schedulers.length;
      figures.record('data_lost', lost, {
        note: 'watch list, subscriptions, alert states and groups, and schedulers; must be 0',
      });
      figures.record('seconds_to_recover', Math.round((recoveredAt - restartedAt) / 100) / 10, {
        note: `Redis restarted ${Math.round((restartedAt - downAt) / 100) / 10} s after it died; /healthz 200 again after this`,
      });
      figures.record('lookup_answered_while_down', true);
    } finally {
      inspector.disconnect();
      await app.stop();
    }
  });
});
