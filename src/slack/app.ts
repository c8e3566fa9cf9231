import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebClient } from '@slack/web-api';
import { AopError } from '../errors.js';
import type { ProbeResult } from '../http/health.js';
import { type OpsRoute, startOpsServer } from '../http/ops-server.js';
import { type Logger, toBoltLogger } from '../observability/logger.js';
import { alertButtonHandlers } from './actions/alert-actions.js';
import { lookupButtonHandlers } from './actions/lookup-actions.js';
import { registerButtonRouter } from './actions/router.js';
import { App, HTTPReceiver, SocketModeReceiver } from './bolt.js';
import { registerAopStatusCommand } from './commands/aop-status.js';
import type { SlackDeps } from './deps.js';
import { registerAppHome } from './events/app-home.js';
import { createSlackRequestGuard, type ReplayCache } from './request-guard.js';
import { createSocketConnectionMonitor, type SocketConnectionMonitor } from './socket-connection.js';

export interface SlackAppOptions {
  deps: SlackDeps;
  /** `/healthz`, `/metrics`: served on PORT in both modes. */
  customRoutes: OpsRoute[];
  /**
   * Remembers request signatures so a captured request cannot be replayed (HTTP mode), and the
   * envelopes already handled, so one Slack sends again after a lost ack is answered once (Socket Mode).
   */
  replayCache: ReplayCache;
}

export interface SlackApp {
  app: App;
  mode: 'http' | 'socket';
  /** Starts listening; resolves to the HTTP port actually bound. */
  start(): Promise<number>;
  /** Socket Mode only: the connection as /healthz reports it. */
  socketConnection: (() => Promise<ProbeResult>) | null;
  stop(): Promise<void>;
}

/** What Bolt's authorize hands every listener; filled in by `verifyBotToken` when Slack answers. */
interface BotIdentity {
  botToken: string;
  botId?: string;
  botUserId?: string;
}

const REFUSED_TOKEN_ERRORS = new Set([
  'invalid_auth',
  'not_authed',
  'token_revoked',
  'token_expired',
  'account_inactive',
]);

/** How long an envelope is remembered: Slack's redeliveries come within minutes. */
const ENVELOPE_MEMORY_MS = 10 * 60_000;

/**
 * True the first time an envelope (or the interaction inside it) arrives. Slack sends an envelope
 * again when it saw no ack, for example when the socket dropped just after the bot acked; a
 * redelivery may reach another process, hence the shared cache. The trigger id (a command or a
 * click) and the event id (an event) identify the delivery even if Slack wraps it in a new envelope.
 */
async function isFirstDelivery(
  args: { body: unknown; context: Record<string, unknown> },
  seen: ReplayCache,
): Promise<boolean> {
  const body = args.body as { trigger_id?: unknown; event_id?: unknown } | null;
  const ids: [string, unknown][] = [
    ['envelope', args.context.socketEnvelopeId],
    ['trigger', body?.trigger_id],
    ['event', body?.event_id],
  ];
  const keys = ids.flatMap(([kind, id]) => (typeof id === 'string' && id ? [`socket:${kind}:${id}`] : []));
  const fresh = await Promise.all(keys.map((key) => seen.remember(key, ENVELOPE_MEMORY_MS)));
  return fresh.every(Boolean);
}

/**
 * Asks Slack who the bot token belongs to. A refused token stops the start with a message naming
 * the variable; Slack being unreachable only warns, since the web side may still serve health.
 */
async function verifyBotToken(app: App, identity: BotIdentity, logger: Logger): Promise<void> {
  try {
    const answer = await app.client.auth.test({ token: identity.botToken });
    if (answer.bot_id) identity.botId = answer.bot_id;
    if (answer.user_id) identity.botUserId = answer.user_id;
    logger.info({ team: answer.team, botUser: answer.user }, 'Slack accepted the bot token');
  } catch (error) {
    const slackError = (error as { data?: { error?: string } }).data?.error;
    if (slackError && REFUSED_TOKEN_ERRORS.has(slackError)) {
      throw new AopError('config_invalid', `SLACK_BOT_TOKEN was refused by Slack (${slackError}).`, {
        hint: "Copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page, or reinstall the app.",
      });
    }
    logger.warn({ err: error }, 'could not verify the Slack bot token (Slack unreachable?); continuing');
  }
}

/**
 * Builds the Bolt app. HTTP mode (`POST /slack/events`, signed requests) unless SLACK_APP_TOKEN
 * is set, in which case Socket Mode; either way the custom routes answer on PORT.
 * The receivers only do transport; the listeners in commands/ and actions/ do the work.
 */
export function createSlackApp(options: SlackAppOptions): SlackApp {
  const { config, logger } = options.deps;
  const boltLogger = toBoltLogger(logger);
  const clientOptions = {
    slackApiUrl: config.slack.apiUrl,
    // Listener-side calls are few (auth.test); posting with retries lives in src/slack/poster.ts.
    retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2_000 },
  };

  const identity: BotIdentity = { botToken: config.slack.botToken };
  let app: App;
  let mode: SlackApp['mode'];
  let httpServer: Server | null = null;
  let receiver: HTTPReceiver | null = null;
  let socketMonitor: SocketConnectionMonitor | null = null;
  let refusedAppToken: Promise<never> | null = null;
  let socketReceiver: SocketModeReceiver | null = null;
  let socketOpsServer: { port: number; close(): Promise<void> } | null = null;
  if (config.slack.appToken) {
    mode = 'socket';
    const receiver = new SocketModeReceiver({
      appToken: config.slack.appToken,
      logger: boltLogger,
      // No customRoutes: Bolt's server would ignore HOST and hide the port bound; ours serves them.
      // clientOptions here too, so apps.connections.open honours SLACK_API_URL like every other call.
      // More tries than the listener client: between them the bot cannot hear Slack at all.
      installerOptions: {
        port: config.port,
        clientOptions: {
          ...clientOptions,
          retryConfig: { retries: 4, factor: 2, minTimeout: 500, maxTimeout: 5_000 },
        },
      },
      // The envelope id reaches the middleware below through the listener context.
      customPropertiesExtractor: (args) => ({ socketEnvelopeId: String(args.envelope_id ?? '') }),
    });
    socketReceiver = receiver;
    socketMonitor = createSocketConnectionMonitor({
      client: receiver.client,
      clock: options.deps.clock,
      metrics: options.deps.metrics,
      logger,
    });
    const monitor = socketMonitor;
    refusedAppToken = new Promise<never>((_, reject) => {
      // The client keeps its Web API client private; this is the one call it makes with it.
      const { webClient } = receiver.client as unknown as { webClient: WebClient };
      const connections = webClient.apps.connections;
      connections.open = monitor.wrapOpen(connections.open.bind(connections), reject);
    });
    // Only the start awaits it; a refusal later is logged and retried.
    refusedAppToken.catch(() => {});
    app = new App({
      // A fixed identity instead of `token`: Bolt would otherwise call auth.test on every request,
      // and a slash command must be answered even while Slack's Web API is failing.
      authorize: async () => identity,
      receiver,
      logger: boltLogger,
      clientOptions,
    });
    app.use(async (args) => {
      options.deps.answers.noteRequest();
      if (await isFirstDelivery(args, options.replayCache)) {
        await args.next();
        return;
      }
      if ('ack' in args && typeof args.ack === 'function') await args.ack();
      logger.info('acknowledged an envelope Slack sent again; it was answered already');
    });
  } else {
    mode = 'http';
    receiver = new HTTPReceiver({
      signingSecret: config.slack.signingSecret ?? '',
      endpoints: '/slack/events',
      // Every request reaches this receiver through the request guard (startHttp below), which
      // has checked the same signature with stricter rules; a second HMAC would only slow the ack.
      signatureVerification: false,
      logger: boltLogger,
      // A payload no listener acknowledges (an empty or malformed actions list) still gets its 200
      // inside Slack's 3 seconds instead of Bolt's late 404.
      unhandledRequestTimeoutMillis: 1_000,
      unhandledRequestHandler: ({ logger: receiverLogger, response }) => {
        receiverLogger.info('acknowledged a request no listener handled');
        if (!response.headersSent) {
          response.writeHead(200);
          response.end();
        }
      },
      // A listener error must never turn into a user-facing stack trace; the listeners answer themselves.
      processEventErrorHandler: async ({ error, response }) => {
        logger.error({ err: error }, 'unhandled error in a Slack listener');
        if (!response.headersSent) {
          response.writeHead(200);
          response.end();
        }
        return true;
      },
    });
    app = new App({
      // A fixed identity instead of `token`: Bolt would otherwise call auth.test on every request,
      // and a slash command must be answered even while Slack's Web API is failing.
      authorize: async () => identity,
      receiver,
      logger: boltLogger,
      clientOptions,
    });
  }

  app.error(async (error) => {
    logger.error({ err: error }, 'Slack app error');
  });

  // Three listeners in all: Bolt runs each one's matching on every request, before its ack.
  registerAopStatusCommand(app, options.deps);
  const homeButtons = registerAppHome(app, options.deps);
  registerButtonRouter(
    app,
    { ...lookupButtonHandlers(options.deps), ...alertButtonHandlers(options.deps), ...homeButtons },
    logger,
  );

  /**
   * HTTP mode serves through a server of our own: the guard checks every Slack request (future
   * timestamps, replays) before Bolt's listener gets the buffered body; the ops routes sit beside it.
   */
  const startHttp = async (boltReceiver: HTTPReceiver): Promise<number> => {
    const guard = createSlackRequestGuard({
      signingSecret: config.slack.signingSecret ?? '',
      replayCache: options.replayCache,
      next: (request, response) => boltReceiver.requestListener(request, response),
      onRejected: (reason) => logger.warn({ reason }, 'rejected a request to /slack/events'),
    });
    httpServer = createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://bot').pathname;
      if (path === '/slack/events' && request.method === 'POST') {
        options.deps.answers.noteRequest();
        guard(request, response).catch((error: unknown) => {
          logger.error({ err: error }, 'request guard failed');
          if (!response.headersSent) response.writeHead(500);
          response.end();
        });
        return;
      }
      const route = options.customRoutes.find(
        (candidate) => candidate.path === path && candidate.method === request.method,
      );
      if (route) {
        route.handler(request, response);
        return;
      }
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end();
    });
    const server = httpServer;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if (config.host) server.listen(config.port, config.host, resolve);
      else server.listen(config.port, resolve);
    });
    return (server.address() as AddressInfo).port;
  };

  return {
    app,
    mode,
    socketConnection: socketMonitor ? socketMonitor.probe : null,
    async start() {
      await verifyBotToken(app, identity, logger);
      if (receiver) return startHttp(receiver);
      try {
        await Promise.race([app.start(), ...(refusedAppToken ? [refusedAppToken] : [])]);
        socketOpsServer = await startOpsServer(config.port, config.host, options.customRoutes);
      } catch (error) {
        // Leave no reconnect loop behind a failed start.
        await socketReceiver?.client.disconnect();
        throw error;
      }
      return socketOpsServer.port;
    },
    async stop() {
      if (!receiver) {
        await app.stop();
        await socketOpsServer?.close();
        return;
      }
      const server = httpServer;
      if (!server) return;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}
