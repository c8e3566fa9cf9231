/**
 * The load generator for the slash-command benchmarks: signed `/aop-status` posts over one
 * keep-alive undici Pool per target, a fixed number in flight. The same code drives the bot and
 * the bare Bolt app, so the client's own cost is the same on both sides of the comparison.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { slackSignatureHeaders, slashCommandBody } from '../../test/support/fake-slack.js';

export interface SlashCommandLoad {
  /** e.g. http://127.0.0.1:40123 */
  origin: string;
  signingSecret: string;
  /** One request per entry: the command text and the response_url Slack would send. */
  commands: { text: string; responseUrl: string }[];
  concurrency: number;
  /**
   * Open loop: start request i at i / ratePerSecond seconds, whether or not earlier ones were
   * answered (as Slack does), with at most `concurrency` in flight. Without it, closed loop: a
   * new request as soon as one is answered.
   */
  ratePerSecond?: number;
}

export interface LoadResult {
  /** Time from sending the request to the end of the ack's body, per request, in send order. */
  latenciesMs: number[];
  /** Requests that did not get a 200 (status, or the error's code). */
  failures: string[];
  wallMs: number;
}

/**
 * Sends every command with `concurrency` in flight and times each ack.
 *
 * @example
 * const { latenciesMs } = await runSlashCommandLoad({ origin, signingSecret, commands, concurrency: 20 });
 */
export async function runSlashCommandLoad(load: SlashCommandLoad): Promise<LoadResult> {
  const pool = new Pool(load.origin, {
    connections: load.concurrency,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  const bodies = load.commands.map((command) =>
    slashCommandBody({ text: command.text, response_url: command.responseUrl }),
  );
  const latenciesMs = new Array<number>(bodies.length);
  const failures: string[] = [];
  let next = 0;
  const startedMs = performance.now();
  const lane = async () => {
    while (next < bodies.length) {
      const index = next++;
      if (load.ratePerSecond !== undefined) {
        const dueMs = startedMs + (index * 1000) / load.ratePerSecond;
        const waitMs = dueMs - performance.now();
        if (waitMs > 1) await sleep(waitMs);
      }
      const body = bodies[index] as string;
      // Signing is the client's work, done before the clock starts.
      const headers = slackSignatureHeaders(load.signingSecret, body);
      const sentMs = performance.now();
      try {
        const response = await pool.request({ path: '/slack/events', method: 'POST', headers, body });
        await response.body.text();
        latenciesMs[index] = performance.now() - sentMs;
        if (response.statusCode !== 200) failures.push(String(response.statusCode));
      } catch (error) {
        latenciesMs[index] = performance.now() - sentMs;
        failures.push(
          typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : String(error),
        );
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: load.concurrency }, lane));
  } finally {
    await pool.close();
  }
  return { latenciesMs, failures, wallMs: performance.now() - startedMs };
}
