import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isAopError } from '../../../src/errors.js';
import { createLogger } from '../../../src/observability/logger.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import {
  createSocketConnectionMonitor,
  SOCKET_RECONNECT_GRACE_MS,
} from '../../../src/slack/socket-connection.js';

function harness() {
  let nowMs = Date.parse('2026-12-05T09:00:00Z');
  const client = new EventEmitter();
  const metrics = createMetrics({ collectProcessMetrics: false });
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        callback();
      },
    }),
  });
  const monitor = createSocketConnectionMonitor({ client, clock: () => new Date(nowMs), metrics, logger });
  return {
    client,
    metrics,
    lines,
    monitor,
    advance: (ms: number) => {
      nowMs += ms;
    },
  };
}

describe('the Socket Mode connection monitor', () => {
  it('says when the connection was lost, counts the reconnect, and logs one line each way', async () => {
    const { client, metrics, lines, monitor, advance } = harness();
    client.emit('connected');
    expect(await monitor.probe()).toEqual({
      ok: true,
      detail: 'connected since 2026-12-05T09:00:00.000Z (0 reconnects)',
    });
    advance(60_000);
    client.emit('close');
    client.emit('close');
    advance(5_000);
    expect(await monitor.probe()).toEqual({
      ok: false,
      required: false,
      detail: 'reconnecting since 2026-12-05T09:01:00.000Z',
    });
    client.emit('connected');
    expect(monitor.status()).toMatchObject({ state: 'connected', reconnects: 1 });
    expect((await metrics.slackSocketReconnects.get()).values[0]?.value).toBe(1);
    expect((await metrics.slackSocketConnected.get()).values[0]?.value).toBe(1);
    expect(lines.map((line) => line.msg)).toEqual([
      'Socket Mode connection lost; reconnecting',
      'Socket Mode connection is back',
    ]);
    expect(lines[1]?.downMs).toBe(5_000);
  });

  it('fails /healthz once the bot has been deaf longer than the grace period', async () => {
    const { client, monitor, advance } = harness();
    client.emit('connected');
    client.emit('close');
    advance(SOCKET_RECONNECT_GRACE_MS + 1);
    expect(await monitor.probe()).toMatchObject({ ok: false, required: true });
  });

  it('turns every apps.connections.open failure into one the client retries, naming a refused token', async () => {
    const { monitor } = harness();
    const refusals: unknown[] = [];
    const failing = (error: unknown) =>
      monitor.wrapOpen(
        async () => {
          throw error;
        },
        (refusal) => refusals.push(refusal),
      );
    // What @slack/web-api throws after its own retries; @slack/socket-mode would stop for good on it.
    const requestError = Object.assign(new Error('A request error occurred'), {
      code: 'slack_webapi_request_error',
      original: new Error('A rate limit was exceeded'),
    });
    await expect(failing(requestError)({})).rejects.toThrow(
      'apps.connections.open failed: A rate limit was exceeded',
    );
    expect(Object.getPrototypeOf(await failing(requestError)({}).catch((error: unknown) => error))).toBe(
      Error.prototype,
    );
    expect(refusals).toEqual([]);
    await expect(failing({ data: { ok: false, error: 'token_revoked' } })({})).rejects.toThrow(
      'Slack answered token_revoked',
    );
    expect(refusals).toHaveLength(1);
    expect(isAopError(refusals[0], 'config_invalid')).toBe(true);
    expect(String((refusals[0] as Error).message)).toBe(
      'SLACK_APP_TOKEN was refused by Slack (token_revoked).',
    );
    expect(await monitor.probe()).toMatchObject({
      detail: expect.stringContaining('last attempt: Slack answered token_revoked'),
    });
  });
});
