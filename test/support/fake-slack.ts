import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP server standing in for Slack: the Web API (`POST /api/<method>`, form-encoded with
 * JSON-encoded `blocks`/`metadata` fields, exactly as @slack/web-api sends them) and response_url
 * endpoints (`POST /response/<id>`, JSON). It keeps the messages it was given so tests can assert on
 * what a channel would show, and it can be told to fail the way Slack fails.
 */

export interface RecordedCall {
  method: string;
  args: Record<string, unknown>;
  authorization: string | undefined;
  at: number;
}

export interface StoredMessage {
  channel: string;
  ts: string;
  threadTs: string | undefined;
  text: string | undefined;
  blocks: unknown[] | undefined;
  metadata: { event_type: string; event_payload: Record<string, unknown> } | undefined;
  updates: number;
}

/** The Home tab Slack shows one user: the last view published for them. */
export interface PublishedHomeView {
  userId: string;
  id: string;
  hash: string;
  view: Record<string, unknown>;
  publishedAt: number;
}

export interface ResponseUrlPost {
  id: string;
  body: Record<string, unknown>;
  at: number;
}

export interface SlackFault {
  /** HTTP status; 200 with `error` gives an `ok: false` platform error. */
  status?: number;
  error?: string;
  retryAfterSeconds?: number;
  /** How many calls this fault answers (default 1). */
  times?: number;
}

export interface FakeSlack {
  baseUrl: string;
  apiUrl: string;
  calls: RecordedCall[];
  messages: StoredMessage[];
  responses: ResponseUrlPost[];
  /** views.publish: user id → the Home tab that user sees now. */
  homeViews: Map<string, PublishedHomeView>;
  /** A fresh response_url; usable `maxUses` times (Slack: 5 within 30 minutes). */
  responseUrl(options?: { maxUses?: number }): string;
  expireResponseUrl(url: string): void;
  failNext(method: string, fault: SlackFault): void;
  /** Answers `method` with `answer` (after any queued fault), e.g. apps.connections.open for Socket Mode. */
  answer(method: string, answer: (call: RecordedCall) => Record<string, unknown>): void;
  /** Channels that answer `channel_not_found`. */
  missingChannels: Set<string>;
  deleteMessage(channel: string, ts: string): void;
  /** Puts a message in a channel as if it had been posted earlier (state written by an older release). */
  seedMessage(message: Omit<StoredMessage, 'updates' | 'blocks'> & { blocks?: unknown[] }): void;
  callsTo(method: string): RecordedCall[];
  responsesTo(url: string): ResponseUrlPost[];
  waitFor<T>(probe: () => T | undefined | false, options?: { timeoutMs?: number; what?: string }): Promise<T>;
  reset(): void;
  close(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

const JSON_FIELDS = new Set(['blocks', 'metadata', 'attachments', 'view']);

/** Slack's limit for a Home tab view. */
const MAX_HOME_VIEW_BLOCKS = 100;

function parseApiArgs(body: string, contentType: string | undefined): Record<string, unknown> {
  if (contentType?.startsWith('application/json')) return JSON.parse(body || '{}') as Record<string, unknown>;
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    args[key] = JSON_FIELDS.has(key) ? JSON.parse(value) : value;
  }
  return args;
}

function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

export async function startFakeSlack(): Promise<FakeSlack> {
  const calls: RecordedCall[] = [];
  const messages: StoredMessage[] = [];
  const responses: ResponseUrlPost[] = [];
  const homeViews = new Map<string, PublishedHomeView>();
  let viewCounter = 0;
  const faults = new Map<string, SlackFault[]>();
  const responseUrlUses = new Map<string, { remaining: number; expired: boolean }>();
  const missingChannels = new Set<string>();
  const answers = new Map<string, (call: RecordedCall) => Record<string, unknown>>();
  let tsCounter = 0;
  const nextTs = () => {
    tsCounter += 1;
    return `1700000000.${String(tsCounter).padStart(6, '0')}`;
  };

  const takeFault = (method: string): SlackFault | undefined => {
    const queue = faults.get(method);
    const fault = queue?.[0];
    if (!queue || !fault) return undefined;
    const remaining = (fault.times ?? 1) - 1;
    if (remaining <= 0) queue.shift();
    else queue[0] = { ...fault, times: remaining };
    return fault;
  };

  const handleApi = (call: RecordedCall, response: ServerResponse) => {
    const { method, args } = call;
    const fault = takeFault(method);
    if (fault) {
      const headers: Record<string, string> = {};
      if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
      const status = fault.status ?? 200;
      send(
        response,
        status,
        { ok: false, error: fault.error ?? (status === 429 ? 'ratelimited' : 'fatal_error') },
        headers,
      );
      return;
    }
    const custom = answers.get(method);
    if (custom) return send(response, 200, custom(call));
    const channel = typeof args.channel === 'string' ? args.channel : '';
    switch (method) {
      case 'auth.test':
        send(response, 200, {
          ok: true,
          user_id: 'UBOT',
          bot_id: 'BBOT',
          team_id: 'T0001',
          user: 'aop-status',
        });
        return;
      case 'chat.postMessage': {
        if (missingChannels.has(channel))
          return send(response, 200, { ok: false, error: 'channel_not_found' });
        const message: StoredMessage = {
          channel,
          ts: nextTs(),
          threadTs: typeof args.thread_ts === 'string' ? args.thread_ts : undefined,
          text: typeof args.text === 'string' ? args.text : undefined,
          blocks: Array.isArray(args.blocks) ? args.blocks : undefined,
          metadata: args.metadata as StoredMessage['metadata'],
          updates: 0,
        };
        messages.push(message);
        send(response, 200, {
          ok: true,
          channel,
          ts: message.ts,
          message: { text: message.text, ts: message.ts },
        });
        return;
      }
      case 'chat.update': {
        const message = messages.find(
          (candidate) => candidate.channel === channel && candidate.ts === args.ts,
        );
        if (!message) return send(response, 200, { ok: false, error: 'message_not_found' });
        if (typeof args.text === 'string') message.text = args.text;
        if (Array.isArray(args.blocks)) message.blocks = args.blocks;
        if (args.metadata) message.metadata = args.metadata as StoredMessage['metadata'];
        message.updates += 1;
        send(response, 200, { ok: true, channel, ts: message.ts, text: message.text });
        return;
      }
      case 'views.publish': {
        const userId = typeof args.user_id === 'string' ? args.user_id : '';
        const view = args.view as Record<string, unknown> | undefined;
        const problems: string[] = [];
        if (!/^[UW][A-Z0-9]+$/.test(userId)) problems.push('[ERROR] invalid user_id [json-pointer:/user_id]');
        if (!view || typeof view !== 'object') problems.push('[ERROR] missing required field: view');
        else {
          if (view.type !== 'home') problems.push('[ERROR] must be home [json-pointer:/view/type]');
          if (!Array.isArray(view.blocks))
            problems.push('[ERROR] missing required field: blocks [json-pointer:/view]');
          else if (view.blocks.length > MAX_HOME_VIEW_BLOCKS)
            problems.push(
              `[ERROR] no more than ${MAX_HOME_VIEW_BLOCKS} items allowed [json-pointer:/view/blocks]`,
            );
        }
        if (problems.length > 0 || !view) {
          return send(response, 200, {
            ok: false,
            error: 'invalid_arguments',
            response_metadata: { messages: problems },
          });
        }
        // A stale hash (someone else published since) is refused, as Slack does.
        const current = homeViews.get(userId);
        if (typeof args.hash === 'string' && current && current.hash !== args.hash) {
          return send(response, 200, { ok: false, error: 'hash_conflict' });
        }
        viewCounter += 1;
        const published: PublishedHomeView = {
          userId,
          id: current?.id ?? `V${String(viewCounter).padStart(10, '0')}`,
          hash: `${Date.now()}.${randomUUID().slice(0, 8)}`,
          view,
          publishedAt: Date.now(),
        };
        homeViews.set(userId, published);
        send(response, 200, {
          ok: true,
          view: {
            id: published.id,
            team_id: 'T0001',
            type: 'home',
            blocks: view.blocks,
            private_metadata: typeof view.private_metadata === 'string' ? view.private_metadata : '',
            callback_id: typeof view.callback_id === 'string' ? view.callback_id : '',
            state: { values: {} },
            hash: published.hash,
            title: { type: 'plain_text', text: 'View Title', emoji: true },
            clear_on_close: false,
            notify_on_close: false,
            close: null,
            submit: null,
            previous_view_id: null,
            root_view_id: published.id,
            app_id: 'A0AOP',
            external_id: typeof view.external_id === 'string' ? view.external_id : '',
            app_installed_team_id: 'T0001',
            bot_id: 'BBOT',
          },
        });
        return;
      }
      case 'chat.getPermalink': {
        const messageTs = typeof args.message_ts === 'string' ? args.message_ts : '';
        if (missingChannels.has(channel) || channel === '')
          return send(response, 200, { ok: false, error: 'channel_not_found' });
        const message = messages.find(
          (candidate) => candidate.channel === channel && candidate.ts === messageTs,
        );
        if (!message) return send(response, 200, { ok: false, error: 'message_not_found' });
        // Slack's shape: the ts without its dot after `p`; a reply adds its thread and channel.
        const base = `https://example.slack.com/archives/${channel}/p${messageTs.replace('.', '')}`;
        const permalink = message.threadTs ? `${base}?thread_ts=${message.threadTs}&cid=${channel}` : base;
        send(response, 200, { ok: true, channel, permalink });
        return;
      }
      case 'chat.delete': {
        const index = messages.findIndex(
          (candidate) => candidate.channel === channel && candidate.ts === args.ts,
        );
        if (index < 0) return send(response, 200, { ok: false, error: 'message_not_found' });
        messages.splice(index, 1);
        send(response, 200, { ok: true, channel, ts: args.ts });
        return;
      }
      default:
        send(response, 200, { ok: true });
    }
  };

  const server: Server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      const url = new URL(request.url ?? '/', 'http://fake-slack');
      if (request.method === 'POST' && url.pathname.startsWith('/api/')) {
        const method = url.pathname.slice('/api/'.length);
        let args: Record<string, unknown>;
        try {
          args = parseApiArgs(body, request.headers['content-type']);
        } catch {
          return send(response, 200, { ok: false, error: 'invalid_arguments' });
        }
        const call = { method, args, authorization: request.headers.authorization, at: Date.now() };
        calls.push(call);
        return handleApi(call, response);
      }
      if (request.method === 'POST' && url.pathname.startsWith('/response/')) {
        const id = url.pathname.slice('/response/'.length);
        const uses = responseUrlUses.get(id);
        if (!uses || uses.expired || uses.remaining <= 0) {
          response.writeHead(404, { 'content-type': 'text/plain' });
          response.end('expired_url');
          return;
        }
        uses.remaining -= 1;
        responses.push({ id, body: JSON.parse(body || '{}') as Record<string, unknown>, at: Date.now() });
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.end('ok');
        return;
      }
      response.writeHead(404);
      response.end();
    })().catch((error: unknown) => {
      response.writeHead(500);
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;

  const idOf = (url: string) => url.slice(url.lastIndexOf('/') + 1);

  return {
    baseUrl,
    apiUrl: `${baseUrl}/api/`,
    calls,
    messages,
    responses,
    homeViews,
    missingChannels,
    responseUrl(options = {}) {
      const id = randomUUID();
      responseUrlUses.set(id, { remaining: options.maxUses ?? 5, expired: false });
      return `${baseUrl}/response/${id}`;
    },
    expireResponseUrl(url) {
      const uses = responseUrlUses.get(idOf(url));
      if (uses) uses.expired = true;
    },
    answer(method, answer) {
      answers.set(method, answer);
    },
    failNext(method, fault) {
      const queue = faults.get(method) ?? [];
      queue.push(fault);
      faults.set(method, queue);
    },
    seedMessage(message) {
      messages.push({ ...message, blocks: message.blocks, updates: 0 });
      // Later posts get later ts values than every seeded one, as in a real channel.
      const counter = Number(message.ts.split('.')[1] ?? 0);
      if (message.ts.startsWith('1700000000.') && counter > tsCounter) tsCounter = counter;
    },
    deleteMessage(channel, ts) {
      const index = messages.findIndex((message) => message.channel === channel && message.ts === ts);
      if (index >= 0) messages.splice(index, 1);
    },
    callsTo: (method) => calls.filter((call) => call.method === method),
    responsesTo: (url) => responses.filter((post) => post.id === idOf(url)),
    async waitFor(probe, options = {}) {
      const deadline = Date.now() + (options.timeoutMs ?? 5000);
      for (;;) {
        const value = probe();
        if (value !== undefined && value !== false) return value;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${options.what ?? 'condition'}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    reset() {
      calls.length = 0;
      messages.length = 0;
      responses.length = 0;
      homeViews.clear();
      faults.clear();
      missingChannels.clear();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Headers Slack would send with `rawBody`, signed with `signingSecret` at `timestampSeconds`. */
export function slackSignatureHeaders(
  signingSecret: string,
  rawBody: string,
  timestampSeconds = Math.floor(Date.now() / 1000),
): Record<string, string> {
  const signature = createHmac('sha256', signingSecret)
    .update(`v0:${timestampSeconds}:${rawBody}`)
    .digest('hex');
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(timestampSeconds),
    'x-slack-signature': `v0=${signature}`,
  };
}

export interface SlashCommandFields {
  text: string;
  response_url: string;
  user_id?: string;
  channel_id?: string;
  command?: string;
}

/** The form body Slack sends for a slash command. */
export function slashCommandBody(fields: SlashCommandFields): string {
  return new URLSearchParams({
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
    trigger_id: '123.456.789',
  }).toString();
}

/** Posts a signed slash command to the app; returns the HTTP status, body and time to answer. */
export async function sendSlashCommand(
  appUrl: string,
  signingSecret: string,
  fields: SlashCommandFields,
): Promise<{ status: number; body: string; elapsedMs: number }> {
  const body = slashCommandBody(fields);
  const started = performance.now();
  const response = await fetch(`${appUrl}/slack/events`, {
    method: 'POST',
    headers: slackSignatureHeaders(signingSecret, body),
    body,
  });
  const text = await response.text();
  return { status: response.status, body: text, elapsedMs: performance.now() - started };
}

/** Posts a signed interactivity payload (block_actions) to the app. */
export async function sendInteraction(
  appUrl: string,
  signingSecret: string,
  payload: Record<string, unknown>,
): Promise<{ status: number; body: string }> {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const response = await fetch(`${appUrl}/slack/events`, {
    method: 'POST',
    headers: slackSignatureHeaders(signingSecret, body),
    body,
  });
  return { status: response.status, body: await response.text() };
}

/** A block_actions payload as Slack sends it when a button is clicked. */
export function blockActionPayload(options: {
  actionId: string;
  value: string;
  responseUrl: string;
  userId?: string;
  channelId?: string;
  messageTs?: string;
  isEphemeral?: boolean;
}): Record<string, unknown> {
  return {
    type: 'block_actions',
    team: { id: 'T0001', domain: 'example' },
    user: { id: options.userId ?? 'U0ONCALL', username: 'oncall', team_id: 'T0001' },
    api_app_id: 'A0AOP',
    token: 'deprecated-verification-token',
    container: {
      type: 'message',
      message_ts: options.messageTs ?? '1700000000.000001',
      channel_id: options.channelId ?? 'C0ONCALL',
      is_ephemeral: options.isEphemeral ?? true,
    },
    trigger_id: '123.456.789',
    channel: { id: options.channelId ?? 'C0ONCALL', name: 'oncall' },
    message: { ts: options.messageTs ?? '1700000000.000001', text: '', type: 'message' },
    response_url: options.responseUrl,
    actions: [
      {
        action_id: options.actionId,
        block_id: 'actions',
        value: options.value,
        type: 'button',
        action_ts: String(Date.now() / 1000),
      },
    ],
  };
}

/** An Events API envelope as Slack posts it to the request URL (JSON, signed like the rest). */
export function eventCallbackBody(event: Record<string, unknown>): Record<string, unknown> {
  return {
    token: 'deprecated-verification-token',
    team_id: 'T0001',
    api_app_id: 'A0AOP',
    event,
    type: 'event_callback',
    event_id: `Ev${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [
      { enterprise_id: null, team_id: 'T0001', user_id: 'UBOT', is_bot: true, is_enterprise_install: false },
    ],
    is_ext_shared_channel: false,
  };
}

/** `app_home_opened` for the Home tab, as Slack sends it when `userId` opens the app. */
export function appHomeOpenedEvent(
  userId: string,
  tab: 'home' | 'messages' = 'home',
): Record<string, unknown> {
  return {
    type: 'app_home_opened',
    user: userId,
    channel: 'D0APPHOME',
    tab,
    event_ts: String(Date.now() / 1000),
  };
}

/** Posts a signed Events API request to the app. */
export async function sendEvent(
  appUrl: string,
  signingSecret: string,
  event: Record<string, unknown>,
): Promise<{ status: number; body: string }> {
  const body = JSON.stringify(eventCallbackBody(event));
  const response = await fetch(`${appUrl}/slack/events`, {
    method: 'POST',
    headers: { ...slackSignatureHeaders(signingSecret, body), 'content-type': 'application/json' },
    body,
  });
  return { status: response.status, body: await response.text() };
}
