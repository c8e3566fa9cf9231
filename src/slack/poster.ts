import type { KnownBlock, MessageMetadata } from '@slack/types';
import {
  type ChatPostMessageArguments,
  type ChatUpdateArguments,
  ErrorCode,
  WebClient,
} from '@slack/web-api';
import type { Redis } from 'ioredis';
import { abortableSleep, type Sleep } from '../cloudflare/rate-limiter.js';
import { AopError, SlackPlatformError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { RedisKeys } from '../store/keys.js';

/**
 * Message metadata as Slack accepts it: JSON values, including null and arrays of strings (the
 * alert contract uses both), which @slack/types' narrower type does not list.
 */
export interface JsonMessageMetadata {
  event_type: string;
  event_payload: Record<string, unknown>;
}

export interface OutgoingMessage {
  channel: string;
  text: string;
  blocks: KnownBlock[];
  threadTs?: string;
  metadata?: JsonMessageMetadata;
}

export interface MessageUpdate {
  channel: string;
  ts: string;
  text: string;
  blocks: KnownBlock[];
  metadata?: JsonMessageMetadata;
}

/**
 * `ok: false` answers that describe trouble on Slack's side rather than a mistake of ours; another
 * attempt can succeed, so they are retried like an HTTP 5xx instead of failing the channel for good.
 */
const TRANSIENT_SLACK_ERRORS: ReadonlySet<string> = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

/** Re-exported: the error is defined beside the other stable codes so the core can recognise it. */
export { SlackPlatformError };

/**
 * The Slack side of posting. It implements the narrower interfaces the alerts (`AlertPoster`) and
 * the digest (`DigestPoster`) declare for themselves, so neither depends on this module.
 */
export interface SlackPoster {
  /** Posts and resolves to the message ts once Slack has confirmed it. */
  postMessage(message: OutgoingMessage): Promise<{ channel: string; ts: string }>;
  updateMessage(update: MessageUpdate): Promise<void>;
}

export interface SlackPosterOptions {
  token: string;
  apiUrl: string;
  redis: Redis;
  keys: RedisKeys;
  logger: Logger;
  metrics: Metrics;
  /** Slack allows about one message per second per channel. */
  channelIntervalMs?: number;
  /** Attempts for transient failures (429, 5xx, network) before giving up to the caller's retry. */
  maxAttempts?: number;
  sleep?: Sleep;
  nowMs?: () => number;
  /** Tests hand in a client; production builds one. */
  client?: WebClient;
}

/**
 * Posting for the digest and the alerts: one message per second per channel across every
 * process (a Redis key per channel), Slack's `Retry-After` honoured by every process (a shared
 * pause key), bounded retries of transient failures, and a metric for every call. Platform errors
 * are thrown at once as SlackPlatformError: retrying cannot fix them.
 */
export function createSlackPoster(options: SlackPosterOptions): SlackPoster {
  const client =
    options.client ??
    new WebClient(options.token, {
      slackApiUrl: options.apiUrl,
      // Retries are ours: they must honour the shared pause and be counted in metrics.
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: 15_000,
    });
  const sleep = options.sleep ?? abortableSleep;
  const nowMs = options.nowMs ?? Date.now;
  const channelIntervalMs = options.channelIntervalMs ?? 1_000;
  const maxAttempts = options.maxAttempts ?? 5;
  const log = options.logger.child({ component: 'slack-poster' });
  let localPausedUntilMs = 0;
  const localPace = new Map<string, number>();

  const waitForPause = async () => {
    let sharedUntil = 0;
    try {
      sharedUntil = Number((await options.redis.get(options.keys.slackPausedUntil)) ?? 0);
    } catch {
      // Redis away: the local pause still applies.
    }
    const waitMs = Math.max(sharedUntil, localPausedUntilMs) - nowMs();
    if (waitMs > 0) await sleep(waitMs);
  };

  const waitForChannelSlot = async (channel: string) => {
    for (;;) {
      try {
        const taken = await options.redis.set(
          options.keys.channelPace(channel),
          '1',
          'PX',
          channelIntervalMs,
          'NX',
        );
        if (taken === 'OK') return;
        const remainingMs = await options.redis.pttl(options.keys.channelPace(channel));
        await sleep(Math.max(remainingMs, 20));
      } catch {
        const nextAllowedMs = localPace.get(channel) ?? 0;
        const waitMs = nextAllowedMs - nowMs();
        if (waitMs > 0) await sleep(waitMs);
        localPace.set(channel, nowMs() + channelIntervalMs);
        return;
      }
    }
  };

  const pauseEveryone = async (retryAfterSeconds: number) => {
    const untilMs = nowMs() + retryAfterSeconds * 1000;
    localPausedUntilMs = Math.max(localPausedUntilMs, untilMs);
    try {
      await options.redis.set(
        options.keys.slackPausedUntil,
        String(untilMs),
        'PX',
        retryAfterSeconds * 1000 + 1000,
      );
    } catch {
      // The local pause is enough for this process.
    }
  };

  async function call<T>(method: string, channel: string, paced: boolean, run: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      await waitForPause();
      if (paced) await waitForChannelSlot(channel);
      try {
        const result = await run();
        options.metrics.slackCalls.inc({ method, outcome: 'ok' });
        return result;
      } catch (error) {
        const code = (error as { code?: string }).code;
        const slackError =
          code === ErrorCode.PlatformError
            ? String((error as { data?: { error?: string } }).data?.error ?? 'unknown_error')
            : null;
        if (slackError !== null && !TRANSIENT_SLACK_ERRORS.has(slackError)) {
          options.metrics.slackCalls.inc({ method, outcome: slackError });
          throw new SlackPlatformError(method, slackError);
        }
        if (code === ErrorCode.RateLimitedError) {
          const retryAfterSeconds = Number((error as { retryAfter?: number }).retryAfter ?? 1);
          options.metrics.slackCalls.inc({ method, outcome: 'rate_limited' });
          log.warn(
            { method, channel, retryAfterSeconds, attempt },
            'Slack rate limited; pausing every process',
          );
          await pauseEveryone(retryAfterSeconds);
        } else {
          options.metrics.slackCalls.inc({ method, outcome: slackError ?? 'error' });
          log.warn({ method, channel, attempt, err: error }, 'Slack call failed; retrying');
        }
        if (attempt >= maxAttempts) {
          throw new AopError(
            code === ErrorCode.RateLimitedError ? 'slack_rate_limited' : 'slack_request_failed',
            `Slack ${method} to ${channel} failed ${attempt} times`,
            { cause: error, hint: 'The job will be retried; check Slack status if it keeps failing.' },
          );
        }
        if (code !== ErrorCode.RateLimitedError) await sleep(Math.min(500 * 2 ** (attempt - 1), 8_000));
      }
    }
  }

  return {
    async postMessage(message) {
      const args: ChatPostMessageArguments = {
        channel: message.channel,
        text: message.text,
        blocks: message.blocks,
        unfurl_links: false,
        unfurl_media: false,
        ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
        // The web client only serialises it; Slack accepts the JSON values @slack/types leaves out.
        ...(message.metadata ? { metadata: message.metadata as MessageMetadata } : {}),
      };
      const result = await call('chat.postMessage', message.channel, true, () =>
        client.chat.postMessage(args),
      );
      if (!result.ts) throw new SlackPlatformError('chat.postMessage', 'no_ts_in_response');
      return { channel: result.channel ?? message.channel, ts: result.ts };
    },
    async updateMessage(update) {
      const args: ChatUpdateArguments = {
        channel: update.channel,
        ts: update.ts,
        text: update.text,
        blocks: update.blocks,
        ...(update.metadata ? { metadata: update.metadata as MessageMetadata } : {}),
      };
      await call('chat.update', update.channel, false, () => client.chat.update(args));
    },
  };
}
