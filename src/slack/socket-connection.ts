import { AopError } from '../errors.js';
import type { ProbeResult } from '../http/health.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';

/** Slack's answers to `apps.connections.open` that mean the app token itself is no good. */
export const REFUSED_APP_TOKEN_ERRORS: ReadonlySet<string> = new Set([
  'invalid_auth',
  'not_authed',
  'token_revoked',
  'token_expired',
  'account_inactive',
  'not_allowed_token_type',
  'team_disabled',
  'user_removed_from_team',
]);

/** After this long without a connection, /healthz fails: the process cannot hear Slack at all. */
export const SOCKET_RECONNECT_GRACE_MS = 5 * 60_000;

/** The events of @slack/socket-mode's client this module listens to (an EventEmitter). */
export interface SocketModeEvents {
  on(event: 'connected' | 'close' | 'reconnecting', listener: () => void): unknown;
}

export interface SocketConnectionState {
  state: 'connecting' | 'connected' | 'reconnecting';
  /** When the current state began. */
  since: Date;
  reconnects: number;
  /** Why the last `apps.connections.open` failed, while reconnecting. */
  lastFailure: string | null;
}

export interface SocketConnectionMonitor {
  status(): SocketConnectionState;
  /** The /healthz probe: connected, or reconnecting since when (and why). */
  probe(): Promise<ProbeResult>;
  /**
   * Wraps the client's `apps.connections.open`. Every failure is turned into one the client retries
   * with its own backoff: @slack/socket-mode 3 gives up for good on an HTTP error, a network error or
   * a 429 that outlasts the Web API client's retries, leaving the bot deaf until restarted. A token
   * Slack refuses is also reported to `onRefusedToken`, so the start can fail naming it.
   */
  wrapOpen<Args, Answer>(
    open: (args: Args) => Promise<Answer>,
    onRefusedToken: (error: AopError) => void,
  ): (args: Args) => Promise<Answer>;
}

function slackErrorOf(error: unknown): string | null {
  const data = (error as { data?: { error?: unknown } } | null)?.data;
  return typeof data?.error === 'string' ? data.error : null;
}

function describeFailure(error: unknown): string {
  const slackError = slackErrorOf(error);
  if (slackError) return `Slack answered ${slackError}`;
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number') return `HTTP ${status}`;
  const original = (error as { original?: { message?: unknown } } | null)?.original;
  if (typeof original?.message === 'string') return original.message.slice(0, 200);
  return error instanceof Error ? error.message.slice(0, 200) : String(error).slice(0, 200);
}

/**
 * Follows the Socket Mode connection for /healthz, the reconnect metric and the logs: one line
 * when the connection is lost and one when it is back (with how long it took), not one per attempt.
 */
export function createSocketConnectionMonitor(options: {
  client: SocketModeEvents;
  clock: () => Date;
  metrics: Pick<Metrics, 'slackSocketReconnects' | 'slackSocketConnected'>;
  logger: Logger;
}): SocketConnectionMonitor {
  const { clock, metrics, logger } = options;
  let current: SocketConnectionState = {
    state: 'connecting',
    since: clock(),
    reconnects: 0,
    lastFailure: null,
  };
  let everConnected = false;

  options.client.on('connected', () => {
    const now = clock();
    if (current.state === 'reconnecting') {
      metrics.slackSocketReconnects.inc();
      logger.info(
        { downMs: now.getTime() - current.since.getTime(), reconnects: current.reconnects + 1 },
        'Socket Mode connection is back',
      );
      current = { state: 'connected', since: now, reconnects: current.reconnects + 1, lastFailure: null };
    } else {
      current = { ...current, state: 'connected', since: now, lastFailure: null };
    }
    everConnected = true;
    metrics.slackSocketConnected.set(1);
  });
  // The client emits `close` for every socket it cleans up; only the first after a connection counts.
  options.client.on('close', () => {
    if (current.state !== 'connected') return;
    current = { ...current, state: 'reconnecting', since: clock() };
    metrics.slackSocketConnected.set(0);
    logger.warn('Socket Mode connection lost; reconnecting');
  });

  return {
    status: () => ({ ...current }),
    async probe() {
      const since = current.since.toISOString();
      if (current.state === 'connected') {
        return { ok: true, detail: `connected since ${since} (${current.reconnects} reconnects)` };
      }
      const reason = current.lastFailure ? `; last attempt: ${current.lastFailure}` : '';
      const waitedMs = clock().getTime() - current.since.getTime();
      return {
        ok: false,
        // A reconnect takes seconds; only a process that stays deaf should be restarted.
        required: waitedMs > SOCKET_RECONNECT_GRACE_MS,
        detail: `${everConnected ? 'reconnecting' : 'connecting'} since ${since}${reason}`,
      };
    },
    wrapOpen(open, onRefusedToken) {
      return async (args) => {
        try {
          return await open(args);
        } catch (error) {
          const slackError = slackErrorOf(error);
          current = { ...current, lastFailure: describeFailure(error) };
          if (slackError && REFUSED_APP_TOKEN_ERRORS.has(slackError)) {
            const refused = new AopError(
              'config_invalid',
              `SLACK_APP_TOKEN was refused by Slack (${slackError}).`,
              {
                hint: "Create an App-Level Token (xapp-…) with the connections:write scope on the app's Basic Information page, and check Socket Mode is on.",
              },
            );
            logger.error({ slackError }, refused.message);
            onRefusedToken(refused);
          } else {
            logger.warn({ failure: current.lastFailure }, 'apps.connections.open failed; retrying');
          }
          // A plain Error: the client treats it as recoverable and tries again after its backoff.
          throw new Error(`apps.connections.open failed: ${current.lastFailure}`);
        }
      };
    },
  };
}
