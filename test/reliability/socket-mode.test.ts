/**
 * Socket Mode, the default path, under faults: the real bot with SLACK_APP_TOKEN set, connected to
 * a local server speaking Slack's Socket Mode protocol. Commands and clicks are acked over the
 * socket and answered at their response_url; after a `disconnect` (refresh_requested,
 * link_disabled), a socket closed without warning, a server that stops answering pings, and
 * apps.connections.open failing for a while, the bot reconnects by itself, loses no command, and
 * answers an envelope Slack sends again after a lost ack only once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_IDS, encodeLookupValue } from '../../src/slack/ids.js';
import { SLOW_NOTICE_TEXT } from '../../src/slack/lookup-deadline.js';
import { metricValue } from '../integration/digest/support.js';
import { startTestApp, type TestApp } from '../support/app-harness.js';
import { type FakeCloudflare, startFakeCloudflare } from '../support/fake-cloudflare.js';
import { blockActionPayload, type FakeSlack, startFakeSlack } from '../support/fake-slack.js';
import {
  FAKE_APP_TOKEN,
  type FakeSocketMode,
  type SocketDelivery,
  startFakeSocketMode,
} from '../support/fake-socket-mode.js';
import { connectTestRedis, deleteKeysWithPrefix } from '../support/redis.js';
import { scenarioFigures } from './figures.js';

const figures = scenarioFigures('7-socket-mode');
const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
const HOSTNAME = 'app.example.com';
/** Slack shows the person an error when a command is not acked within this. */
const SLACK_ACK_WINDOW_MS = 3_000;

let slack: FakeSlack;
let cloudflare: FakeCloudflare;
let socket: FakeSocketMode;
let app: TestApp;

/** Every command or click sent, and its response_url: each must be answered exactly once. */
const sent: { delivery: SocketDelivery; responseUrl: string }[] = [];

function sendCommand(text = HOSTNAME): { delivery: SocketDelivery; responseUrl: string } {
  const responseUrl = slack.responseUrl();
  const delivery = socket.sendSlashCommand({ text, response_url: responseUrl });
  const entry = { delivery, responseUrl };
  sent.push(entry);
  return entry;
}

function sendRefreshClick(): { delivery: SocketDelivery; responseUrl: string } {
  const responseUrl = slack.responseUrl();
  const payload = blockActionPayload({
    actionId: ACTION_IDS.refreshLookup,
    value: encodeLookupValue({ hostname: HOSTNAME, zoneId: ZONE_ID }),
    responseUrl,
  });
  const delivery = socket.sendInteractive({ ...payload, trigger_id: `click.${sent.length}.${Date.now()}` });
  const entry = { delivery, responseUrl };
  sent.push(entry);
  return entry;
}

/** The posts at `responseUrl` that answer (a slow notice, if the machine is busy, does not). */
function answersAt(responseUrl: string) {
  return slack.responsesTo(responseUrl).filter((post) => post.body.text !== SLOW_NOTICE_TEXT);
}

/** Resolves with the first answer at `responseUrl`. */
async function answerAt(responseUrl: string, timeoutMs = 60_000) {
  return slack.waitFor(() => answersAt(responseUrl)[0], { timeoutMs, what: `an answer at ${responseUrl}` });
}

async function healthz(): Promise<{
  status: string;
  checks: Record<string, { ok: boolean; detail: string }>;
}> {
  const response = await fetch(`${app.url}/healthz`);
  return (await response.json()) as Awaited<ReturnType<typeof healthz>>;
}

/** Polls /healthz until the Socket Mode check says `state`; returns its detail. */
async function waitForSocketCheck(state: 'connected' | 'reconnecting', timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const check = (await healthz()).checks.slackSocket;
    if (check?.detail.startsWith(state)) return check.detail;
    if (Date.now() > deadline) throw new Error(`/healthz never said ${state}: ${check?.detail}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Runs one disruption: `disrupt()` at t0, a command typed while the bot is away, then waits for
 * the next connection and for that command's answer. Returns the reconnect time (t0 → hello).
 */
async function survive(name: string, disrupt: () => void, options: { detectionTimeoutMs?: number } = {}) {
  const connectionsBefore = socket.connections.length;
  const reconnectsBefore = await metricValue(app, 'aop_slack_socket_reconnects_total');
  const startedAt = Date.now();
  disrupt();
  const reconnecting = await waitForSocketCheck('reconnecting', options.detectionTimeoutMs ?? 30_000);
  expect(reconnecting).toMatch(/^reconnecting since \d{4}-\d{2}-\d{2}T/);
  const lostAfterMs = Date.now() - startedAt;
  // A person runs the command while the bot is away; Slack holds it until a connection is back.
  const during = sendCommand();
  const connection = await socket.waitForConnections(connectionsBefore + 1, 90_000);
  const reconnectMs = (connection.helloAt ?? Date.now()) - startedAt;
  await answerAt(during.responseUrl);
  await waitForSocketCheck('connected');
  // And the connection works for the next person at once.
  const after = sendCommand();
  const ackedAt = await socket.waitForAck(after.delivery);
  await answerAt(after.responseUrl);
  expect(await metricValue(app, 'aop_slack_socket_reconnects_total')).toBe(reconnectsBefore + 1);
  figures.record(`${name}_reconnect_ms`, reconnectMs, {
    note: `from the fault to the new connection's hello; the loss was on /healthz after ${lostAfterMs} ms`,
    details: { lostAfterMs, ackAfterReconnectMs: ackedAt - after.delivery.createdAt },
  });
  return { reconnectMs, lostAfterMs };
}

beforeAll(async () => {
  slack = await startFakeSlack();
  cloudflare = await startFakeCloudflare();
  const zone = cloudflare.state.addZone({ id: ZONE_ID, name: 'example.com' });
  const certificate = cloudflare.state.addCertificate(zone.id, { expires_on: '2027-06-01T00:00:00Z' });
  cloudflare.state.associate(zone.id, { hostname: HOSTNAME, cert_id: certificate.id });
  socket = await startFakeSocketMode(slack);
  app = await startTestApp({
    slackApiUrl: slack.apiUrl,
    cloudflareBaseUrl: cloudflare.baseUrl,
    env: { SLACK_APP_TOKEN: FAKE_APP_TOKEN },
    file: { zones: [{ id: ZONE_ID, name: 'example.com', hostnames: [HOSTNAME] }] },
  });
});

afterAll(async () => {
  await app?.stop();
  await socket?.close();
  await slack?.close();
  await cloudflare?.close();
  if (app) {
    const redis = connectTestRedis();
    await deleteKeysWithPrefix(redis, app.prefix);
    redis.disconnect();
  }
});

describe('Socket Mode end to end', () => {
  it('acks commands and button clicks over the socket within 3 s and answers them at the response_url', async () => {
    expect(socket.connections).toHaveLength(1);
    expect(slack.callsTo('apps.connections.open')[0]?.authorization).toBe(`Bearer ${FAKE_APP_TOKEN}`);
    const entries = [
      sendCommand(),
      sendCommand('help'),
      sendRefreshClick(),
      sendCommand(),
      sendRefreshClick(),
    ];
    const ackMs = await Promise.all(
      entries.map(async ({ delivery }) => (await socket.waitForAck(delivery)) - delivery.createdAt),
    );
    const answers = await Promise.all(
      entries.filter((_, index) => index !== 1).map((entry) => answerAt(entry.responseUrl)),
    );
    // `help` is answered in the ack itself, as the HTTP mode answers it in the response body.
    const helpAck = socket.acks.find((ack) => ack.envelopeId === entries[1]?.delivery.envelopeId);
    expect(JSON.stringify(helpAck?.payload)).toContain('/aop-status');
    expect(JSON.stringify(answers[0]?.body)).toContain(HOSTNAME);
    expect(answers[1]?.body.replace_original).toBe(true);
    expect(Math.max(...ackMs)).toBeLessThan(SLACK_ACK_WINDOW_MS);
    figures.record('max_ack_ms', Math.round(Math.max(...ackMs)), {
      note: '5 envelopes (3 commands, 2 clicks) sent at once; must be < 3000',
    });
    const health = await healthz();
    expect(health.checks.slackSocket?.ok).toBe(true);
    expect(health.checks.slackSocket?.detail).toMatch(/^connected since .* \(0 reconnects\)$/);
  });

  it('reconnects by itself after disconnect: refresh_requested', async () => {
    await survive('refresh_requested', () => socket.disconnect('refresh_requested'));
  });

  it('reconnects by itself after disconnect: link_disabled', async () => {
    await survive('link_disabled', () => socket.disconnect('link_disabled'));
  });

  it('reconnects by itself when the server closes the socket without warning', async () => {
    await survive('abrupt_close', () => socket.dropConnection());
  });

  it('notices a server that answers no pings, and reconnects', async () => {
    const { lostAfterMs } = await survive('no_pongs', () => socket.ignorePingsOnCurrent());
    const silent = socket.connections[socket.connections.length - 2];
    expect(silent?.pings).toBeGreaterThan(1);
    figures.record('no_pongs_detected_after_ms', lostAfterMs, {
      note: '@slack/socket-mode gives up after 3 pings without a pong (clientPingTimeout 5 s)',
    });
  });

  it('keeps trying while apps.connections.open fails (429, ok:false), with backoff, then reconnects', async () => {
    const opensBefore = slack.callsTo('apps.connections.open').length;
    // More 429s than the Web API client's own retries: @slack/socket-mode alone would give up for good.
    slack.failNext('apps.connections.open', { status: 429, retryAfterSeconds: 1, times: 6 });
    slack.failNext('apps.connections.open', { error: 'internal_error', times: 1 });
    const { reconnectMs } = await survive('connections_open_failing', () => socket.dropConnection(), {
      detectionTimeoutMs: 30_000,
    });
    const opens = slack.callsTo('apps.connections.open').slice(opensBefore);
    expect(opens).toHaveLength(8);
    const gapsMs = opens.slice(1).map((call, index) => call.at - (opens[index]?.at ?? call.at));
    figures.record('connections_open_attempts', opens.length, {
      note: '6 × 429 (retry-after 1 s), 1 × ok:false internal_error, then success',
      details: { gapsMs, reconnectMs },
    });
  });

  it('answers once an envelope Slack sends again after its ack was lost', async () => {
    socket.loseNextAck();
    const connectionsBefore = socket.connections.length;
    const entry = sendCommand();
    await socket.waitForConnections(connectionsBefore + 1, 60_000);
    await socket.waitForAck(entry.delivery);
    expect(entry.delivery.sentAt).toHaveLength(2);
    // The positive signal that the second delivery was handled: the duplicate's log line.
    await slack.waitFor(
      () => app.logs.some((line) => String(line.msg).includes('an envelope Slack sent again')),
      { timeoutMs: 10_000, what: 'the duplicate envelope log line' },
    );
    await answerAt(entry.responseUrl);
    expect(answersAt(entry.responseUrl)).toHaveLength(1);
    figures.record('redelivered_envelope_answers', answersAt(entry.responseUrl).length, {
      note: 'an envelope delivered twice (ack lost with its connection) is answered once; must be 1',
    });
  });

  it('lost no command: every command and click was answered exactly once', async () => {
    await Promise.all(
      sent
        .filter((entry) => entry.delivery.payload.text !== 'help')
        .map((entry) => answerAt(entry.responseUrl)),
    );
    const answeredOnce = sent.filter(
      (entry) => entry.delivery.payload.text === 'help' || answersAt(entry.responseUrl).length === 1,
    );
    const lost = sent.length - answeredOnce.length;
    expect(lost).toBe(0);
    figures.record('commands_lost', lost, { note: `of ${sent.length} commands and clicks; must be 0` });
    figures.record('reconnects', await metricValue(app, 'aop_slack_socket_reconnects_total'), {
      note: 'aop_slack_socket_reconnects_total at the end',
    });
  });
});
