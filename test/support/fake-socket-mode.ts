import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { eventCallbackBody, type FakeSlack, type SlashCommandFields } from './fake-slack.js';

/**
 * A local stand-in for Slack's Socket Mode, on top of the fake Web API (fake-slack.ts):
 *
 * - `apps.connections.open` with the app token (`Authorization: Bearer xapp-…`) answers a one-use
 *   `ws://127.0.0.1:<port>/link/?ticket=…` URL; a wrong token gets `invalid_auth`, a revoked one
 *   `token_revoked`. Failures (429, `ok: false`) are queued with `slack.failNext('apps.connections.open', …)`.
 * - On connect the server sends `hello`; then `slash_commands`, `interactive` and `events_api`
 *   envelopes; the client acks each with `{ envelope_id, payload }`.
 * - Delivery is at least once, as Slack's: an envelope not acked yet is sent again (with
 *   `retry_attempt` + 1) on every new connection. `loseNextAck` makes the server drop the connection
 *   instead of taking the next ack, so the envelope comes again on the next connection.
 * - `disconnect(reason)` sends Slack's `disconnect` message (`refresh_requested`, `link_disabled`,
 *   `warning`); `dropConnection()` closes the socket without a close frame; `answerPings` turned
 *   off makes the server ignore the client's pings.
 *
 * Wire shapes follow docs.slack.dev "Using Socket Mode" and @slack/socket-mode 3.
 */

export interface SocketEnvelopeAck {
  envelopeId: string;
  connectionId: number;
  at: number;
  payload: unknown;
}

export interface SocketDelivery {
  envelopeId: string;
  type: 'slash_commands' | 'interactive' | 'events_api';
  payload: Record<string, unknown>;
  /** When the test asked for it to be sent (a person typed the command). */
  createdAt: number;
  /** Each time it went out on a socket. */
  sentAt: number[];
  ackedAt: number | null;
}

export interface SocketConnectionRecord {
  id: number;
  openedAt: number;
  helloAt: number | null;
  closedAt: number | null;
  /** Pings received from the client (answered or not). */
  pings: number;
  answerPings: boolean;
}

export interface FakeSocketMode {
  appToken: string;
  connections: SocketConnectionRecord[];
  deliveries: SocketDelivery[];
  acks: SocketEnvelopeAck[];
  /** Whether connections opened from now on answer the client's pings (default true). */
  answerPings: boolean;
  /** Tokens that were valid once: `token_revoked`. */
  revokedTokens: Set<string>;
  /** The connection envelopes go to, if one is open and said hello. */
  current(): SocketConnectionRecord | null;
  sendSlashCommand(fields: SlashCommandFields & { trigger_id?: string }): SocketDelivery;
  sendInteractive(payload: Record<string, unknown>): SocketDelivery;
  /** An Events API event (e.g. app_home_opened), in the same envelope Slack posts in HTTP mode. */
  sendEvent(event: Record<string, unknown>): SocketDelivery;
  /** The next ack that arrives is lost: the server drops that connection instead of recording it. */
  loseNextAck(): void;
  /** Sends Slack's `disconnect` message on the current connection. */
  disconnect(reason: 'refresh_requested' | 'link_disabled' | 'warning'): void;
  /** Destroys the current connection's socket: no close frame, no warning. */
  dropConnection(): void;
  /** Stops answering pings on the current connection. */
  ignorePingsOnCurrent(): void;
  /** Resolves once `count` connections have said hello (and the last is still open). */
  waitForConnections(count: number, timeoutMs?: number): Promise<SocketConnectionRecord>;
  waitForAck(delivery: SocketDelivery, timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

export const FAKE_APP_TOKEN = 'xapp-1-A0AOP-1-fakeapptoken';

async function waitUntil<T>(probe: () => T | null | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`fake Socket Mode: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A slash command's payload as Socket Mode carries it: the HTTP form fields as an object. */
function slashCommandPayload(fields: SlashCommandFields & { trigger_id?: string }): Record<string, unknown> {
  return {
    token: 'deprecated-verification-token',
    team_id: 'T0001',
    team_domain: 'example',
    channel_id: fields.channel_id ?? 'C0ONCALL',
    channel_name: 'oncall',
    user_id: fields.user_id ?? 'U0ONCALL',
    user_name: 'oncall',
    command: fields.command ?? '/aop-status',
    text: fields.text,
    api_app_id: 'A0AOP',
    is_enterprise_install: 'false',
    response_url: fields.response_url,
    trigger_id: fields.trigger_id ?? `${Date.now()}.${randomUUID()}`,
  };
}

export async function startFakeSocketMode(
  slack: FakeSlack,
  options: { appToken?: string } = {},
): Promise<FakeSocketMode> {
  const appToken = options.appToken ?? FAKE_APP_TOKEN;
  // Pongs are sent by hand below, so a scenario can stop them.
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, autoPong: false });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;

  const tickets = new Set<string>();
  const connections: SocketConnectionRecord[] = [];
  const sockets = new Map<number, WebSocket>();
  const deliveries: SocketDelivery[] = [];
  const acks: SocketEnvelopeAck[] = [];
  let ackLossesPending = 0;
  let currentId: number | null = null;

  const fake: FakeSocketMode = {
    appToken,
    connections,
    deliveries,
    acks,
    answerPings: true,
    revokedTokens: new Set(),
    current() {
      const record = currentId === null ? undefined : connections[currentId - 1];
      return record && record.helloAt !== null && record.closedAt === null ? record : null;
    },
    sendSlashCommand(fields) {
      return enqueue('slash_commands', slashCommandPayload(fields));
    },
    sendInteractive(payload) {
      return enqueue('interactive', payload);
    },
    sendEvent(event) {
      return enqueue('events_api', eventCallbackBody(event));
    },
    loseNextAck() {
      ackLossesPending += 1;
    },
    disconnect(reason) {
      const socket = currentId === null ? undefined : sockets.get(currentId);
      socket?.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-fake' } }));
    },
    dropConnection() {
      const socket = currentId === null ? undefined : sockets.get(currentId);
      socket?.terminate();
    },
    ignorePingsOnCurrent() {
      const record = fake.current();
      if (record) record.answerPings = false;
    },
    waitForConnections(count, timeoutMs = 60_000) {
      return waitUntil(
        () => {
          const record = connections[count - 1];
          return record && record.helloAt !== null && record.closedAt === null ? record : null;
        },
        timeoutMs,
        `connection #${count}`,
      );
    },
    waitForAck(delivery, timeoutMs = 30_000) {
      return waitUntil(() => delivery.ackedAt, timeoutMs, `the ack of ${delivery.envelopeId}`);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets.values()) socket.terminate();
        server.close(() => resolve());
      }),
  };

  function transmit(delivery: SocketDelivery, connectionId: number): void {
    const socket = sockets.get(connectionId);
    if (!socket || socket.readyState !== socket.OPEN) return;
    const retryAttempt = delivery.sentAt.length;
    delivery.sentAt.push(Date.now());
    socket.send(
      JSON.stringify({
        envelope_id: delivery.envelopeId,
        type: delivery.type,
        payload: delivery.payload,
        accepts_response_payload: delivery.type === 'slash_commands',
        ...(retryAttempt > 0 ? { retry_attempt: retryAttempt, retry_reason: 'timeout' } : {}),
      }),
    );
  }

  function enqueue(type: SocketDelivery['type'], payload: Record<string, unknown>): SocketDelivery {
    const delivery: SocketDelivery = {
      envelopeId: randomUUID(),
      type,
      payload,
      createdAt: Date.now(),
      sentAt: [],
      ackedAt: null,
    };
    deliveries.push(delivery);
    const record = fake.current();
    if (record) transmit(delivery, record.id);
    return delivery;
  }

  slack.answer('apps.connections.open', (call) => {
    const token = call.authorization?.replace(/^Bearer /, '') ?? '';
    if (fake.revokedTokens.has(token)) return { ok: false, error: 'token_revoked' };
    if (token !== appToken) return { ok: false, error: 'invalid_auth' };
    const ticket = randomUUID();
    tickets.add(ticket);
    return { ok: true, url: `ws://127.0.0.1:${port}/link/?ticket=${ticket}&app_id=A0AOP` };
  });

  server.on('connection', (socket, request) => {
    const ticket = new URL(request.url ?? '/', 'ws://fake').searchParams.get('ticket') ?? '';
    if (!tickets.delete(ticket)) {
      socket.close(1008, 'invalid ticket');
      return;
    }
    const record: SocketConnectionRecord = {
      id: connections.length + 1,
      openedAt: Date.now(),
      helloAt: null,
      closedAt: null,
      pings: 0,
      answerPings: fake.answerPings,
    };
    connections.push(record);
    sockets.set(record.id, socket);
    currentId = record.id;
    socket.on('ping', (data) => {
      record.pings += 1;
      if (record.answerPings) socket.pong(data);
    });
    socket.on('message', (data) => {
      let message: { envelope_id?: unknown; payload?: unknown };
      try {
        message = JSON.parse(String(data)) as typeof message;
      } catch {
        return;
      }
      const delivery = deliveries.find((candidate) => candidate.envelopeId === message.envelope_id);
      if (!delivery) return;
      if (ackLossesPending > 0) {
        ackLossesPending -= 1;
        socket.terminate();
        return;
      }
      acks.push({
        envelopeId: delivery.envelopeId,
        connectionId: record.id,
        at: Date.now(),
        payload: message.payload,
      });
      delivery.ackedAt ??= Date.now();
    });
    socket.on('close', () => {
      record.closedAt = Date.now();
      sockets.delete(record.id);
    });
    socket.send(
      JSON.stringify({
        type: 'hello',
        num_connections: 1,
        debug_info: { host: 'applink-fake', build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: 'A0AOP' },
      }),
    );
    record.helloAt = Date.now();
    // At least once: whatever was never acked goes out again on the new connection.
    for (const delivery of deliveries) if (delivery.ackedAt === null) transmit(delivery, record.id);
  });

  return fake;
}
