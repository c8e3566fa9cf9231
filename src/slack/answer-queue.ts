import { performance } from 'node:perf_hooks';

/**
 * Where the work behind an ack waits: a lookup, its card and its post to the response_url.
 *
 * Acks and answers share one event loop. An answer started while requests are still arriving
 * competes with their acks for the CPU, and its garbage lengthens the pauses every ack in flight
 * waits behind. So answers queue here and start once requests stop arriving (`quietMs` without
 * one; `burstQuietMs` after a burst, whose requests come closer together than `burstGapMs`, since
 * a burst's own gaps are as short as a busy machine's scheduling hiccups), a few at a time
 * (`slots`); under a stream that never pauses, none waits longer than `maxHoldMs`, which keeps an
 * answer far inside the slow notice and the lookup deadline.
 */
export interface AnswerQueue {
  /** Called for every incoming Slack request: queued answers hold back until they stop. */
  noteRequest(): void;
  /** Runs `work` once requests have stopped arriving (or it has waited `maxHoldMs`) and a slot is free. */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Stops holding answers back and resolves when every queued and running answer has finished. */
  settle(): Promise<void>;
  /** Answers waiting and running, for tests and logs. */
  readonly size: { waiting: number; running: number };
}

export interface AnswerQueueOptions {
  /** Answers running at once. */
  slots: number;
  /** How long without a new request counts as "requests stopped arriving". */
  quietMs: number;
  /** Requests closer together than this are a burst… */
  burstGapMs: number;
  /** …after which answers wait this long without a request instead of `quietMs`. */
  burstQuietMs: number;
  /** The longest an answer waits for a quiet moment before it starts anyway. */
  maxHoldMs: number;
  /** Monotonic milliseconds; tests pass a fake one. */
  nowMs?: () => number;
}

/** Production values: see `createAnswerQueue`. */
export const DEFAULT_ANSWER_QUEUE: Omit<AnswerQueueOptions, 'nowMs'> = {
  // An answer holds its slot from the lookup to the post at the response_url, mostly waiting on
  // Cloudflare and Slack; eight keep a burst's answers coming without crowding the acks.
  slots: 8,
  // Short beside a lookup's own ~50 ms: a lone command is answered at once.
  quietMs: 5,
  // A burst (a channel's worth of people, a script) is held back until it has clearly ended;
  // requests at a steady 50 a second are not a burst.
  burstGapMs: 10,
  burstQuietMs: 40,
  // A third of the 3 s after which a person is told Cloudflare is slow.
  maxHoldMs: 1_000,
};

interface Waiting {
  queuedAtMs: number;
  start: () => void;
}

/**
 * @example
 * const answers = createAnswerQueue(DEFAULT_ANSWER_QUEUE);
 * server.on('request', () => answers.noteRequest());
 * // in a listener, after ack():
 * void answers.run(() => lookupAndRespond());
 */
export function createAnswerQueue(options: AnswerQueueOptions): AnswerQueue {
  const nowMs = options.nowMs ?? (() => performance.now());
  let lastRequestAtMs = Number.NEGATIVE_INFINITY;
  /** Until when answers wait because of a burst (its last close request plus `burstQuietMs`). */
  let burstHoldUntilMs = Number.NEGATIVE_INFINITY;
  let running = 0;
  let draining = false;
  let timer: NodeJS.Timeout | null = null;
  const waiting: Waiting[] = [];
  const settled: (() => void)[] = [];

  const wakeAt = (delayMs: number) => {
    // The moments that matter only move later (a newer request, a younger head), so an armed
    // timer is never late; when it fires, `pump` looks again.
    if (timer !== null) return;
    timer = setTimeout(pump, Math.max(1, Math.ceil(delayMs)));
  };

  function pump(): void {
    timer = null;
    while (running < options.slots) {
      const head = waiting[0];
      if (head === undefined) break;
      const now = nowMs();
      const quietAtMs = Math.max(lastRequestAtMs + options.quietMs, burstHoldUntilMs);
      const dueAtMs = head.queuedAtMs + options.maxHoldMs;
      if (!draining && now < quietAtMs && now < dueAtMs) {
        wakeAt(Math.min(quietAtMs, dueAtMs) - now);
        return;
      }
      waiting.shift();
      running += 1;
      head.start();
    }
    if (running === 0 && waiting.length === 0) {
      for (const resolve of settled.splice(0)) resolve();
    }
  }

  return {
    noteRequest() {
      const now = nowMs();
      if (now - lastRequestAtMs < options.burstGapMs) burstHoldUntilMs = now + options.burstQuietMs;
      lastRequestAtMs = now;
    },
    run<T>(work: () => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        waiting.push({
          queuedAtMs: nowMs(),
          start: () => {
            // A synchronous throw becomes a rejection like any other failure of the work.
            Promise.resolve()
              .then(work)
              .then(resolve, reject)
              .finally(() => {
                running -= 1;
                pump();
              });
          },
        });
        // Never inside the caller's turn: the listener that queued this finishes its ack first.
        wakeAt(0);
      });
    },
    settle() {
      draining = true;
      return new Promise<void>((resolve) => {
        settled.push(resolve);
        pump();
      });
    },
    get size() {
      return { waiting: waiting.length, running };
    },
  };
}
