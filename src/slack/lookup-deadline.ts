import { performance } from 'node:perf_hooks';
import type { RespondArguments, RespondFn } from '@slack/bolt';
import { AopError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { SlackDeps } from './deps.js';
import { respondSafely } from './respond.js';

/** When a person waiting on a lookup is told Cloudflare is slow, and when they get an answer at the latest. */
export interface LookupTiming {
  slowNoticeAfterMs: number;
  deadlineMs: number;
}

/**
 * A person waits for a card, a background job does not: one deadline for the whole answer (zone
 * resolution, every call, every retry, the wait for a lookup slot), a word after a few seconds,
 * and the client's own 10 s × 3 attempts left to the digests and alerts.
 */
export const DEFAULT_LOOKUP_TIMING: LookupTiming = { slowNoticeAfterMs: 3_000, deadlineMs: 15_000 };

export const SLOW_NOTICE_TEXT = 'Cloudflare is slow to answer, still trying…';

/** The error a lookup ends with when its deadline passes first. */
export function lookupDeadlineError(deadlineMs: number): AopError {
  return new AopError(
    'cloudflare_timeout',
    `Cloudflare did not answer within ${Math.round(deadlineMs / 1000)} s, so there is no live status to show.`,
    {
      hint: 'Cloudflare is slow or unreachable from the bot right now; try again in a minute (https://www.cloudflarestatus.com lists its incidents).',
    },
  );
}

/**
 * Answers one lookup at the response_url within `timing.deadlineMs` of the request: `run` gets a
 * signal that aborts at the deadline; `timing.slowNoticeAfterMs` after the request without an
 * answer a short notice is posted (when `slowNotice` says how), and the answer, card or error,
 * then replaces it. Both count from `requestedAtMs`, so time spent queued after the ack counts.
 *
 * @example
 * await answerLookupInTime({ respond, deps, log, kind: 'lookup', slowNotice: { replaceOriginal: false },
 *   run: async (signal) => ({ response_type: 'ephemeral', ...card(await lookup({ ..., signal })) }),
 *   fail: (error) => ({ response_type: 'ephemeral', ...renderLookupError(error) }) });
 */
export async function answerLookupInTime(options: {
  respond: RespondFn;
  deps: Pick<SlackDeps, 'metrics' | 'lookupTiming'>;
  log: Logger;
  kind: string;
  /** When the request arrived (`performance.now()`); default: now. */
  requestedAtMs?: number;
  /** How the notice is posted; null for answers that must not leave one behind (Share). */
  slowNotice: { replaceOriginal: boolean } | null;
  run: (signal: AbortSignal) => Promise<RespondArguments>;
  fail: (error: unknown) => RespondArguments;
}): Promise<void> {
  const { respond, deps, log, kind } = options;
  const timing = deps.lookupTiming ?? DEFAULT_LOOKUP_TIMING;
  const waitedMs = options.requestedAtMs === undefined ? 0 : performance.now() - options.requestedAtMs;
  const deadline = new AbortController();
  const timedOut = new Promise<never>((_, reject) => {
    deadline.signal.addEventListener('abort', () => reject(deadline.signal.reason), { once: true });
  });
  timedOut.catch(() => {});
  const deadlineTimer = setTimeout(
    () => deadline.abort(lookupDeadlineError(timing.deadlineMs)),
    Math.max(0, timing.deadlineMs - waitedMs),
  );
  // An object, not a `let`: the timer callback sets it, which control-flow narrowing cannot see.
  const posted: { notice: Promise<boolean> | null } = { notice: null };
  const slowNotice = options.slowNotice;
  const noticeTimer = slowNotice
    ? setTimeout(
        () => {
          posted.notice = respondSafely(
            respond,
            {
              response_type: 'ephemeral',
              replace_original: slowNotice.replaceOriginal,
              text: SLOW_NOTICE_TEXT,
            },
            { deps, log, kind: `${kind}_slow_notice` },
          );
        },
        Math.max(0, timing.slowNoticeAfterMs - waitedMs),
      )
    : null;

  let message: RespondArguments;
  try {
    // The race guarantees the deadline even for a step that does not watch the signal.
    message = await Promise.race([options.run(deadline.signal), timedOut]);
  } catch (error) {
    const reason = deadline.signal.aborted ? deadline.signal.reason : error;
    if (deadline.signal.aborted) log.warn({ deadlineMs: timing.deadlineMs }, 'lookup deadline passed');
    message = options.fail(reason);
  } finally {
    clearTimeout(deadlineTimer);
    if (noticeTimer) clearTimeout(noticeTimer);
  }
  // The answer goes out after the notice, never before it, and takes its place.
  const noticePosted = posted.notice === null ? false : await posted.notice;
  await respondSafely(respond, noticePosted ? { ...message, replace_original: true } : message, {
    deps,
    log,
    kind,
  });
}
