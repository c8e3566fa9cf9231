/**
 * One signed `/aop-status <text>` sent to a running bot, timed from sending the request to the card
 * arriving at the local response_url: what a person waits for.
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { SLOW_NOTICE_TEXT } from '../../src/slack/lookup-deadline.js';
import { slackSignatureHeaders, slashCommandBody } from '../../test/support/fake-slack.js';
import type { FakesHandlers } from '../children/fakes.js';
import { BENCH_SIGNING_SECRET } from './constants.js';
import type { ChildHandle } from './rpc.js';

export interface LookupClient {
  /**
   * Resolves to request → card (ms), the card's fallback text, and whether the slow notice came
   * before it (the card is what is timed, not the notice).
   */
  lookup(text: string): Promise<{ answerMs: number; text: string; noticeFirst: boolean }>;
  close(): Promise<void>;
}

export function lookupClient(origin: string, fakes: ChildHandle<FakesHandlers>): LookupClient {
  const pool = new Pool(origin, { connections: 1, keepAliveTimeout: 30_000 });
  return {
    async lookup(text: string) {
      const [responseUrl] = await fakes.call('responseUrls', { count: 1 });
      if (!responseUrl) throw new Error('no response_url');
      const body = slashCommandBody({ text, response_url: responseUrl });
      const headers = slackSignatureHeaders(BENCH_SIGNING_SECRET, body);
      // Epoch ms with sub-ms precision, comparable with the fake's Date.now() stamp.
      const sentAtMs = performance.timeOrigin + performance.now();
      const response = await pool.request({ path: '/slack/events', method: 'POST', headers, body });
      await response.body.text();
      if (response.statusCode !== 200) throw new Error(`ack was ${response.statusCode}`);
      const card = await fakes.call(
        'responseArrival',
        { url: responseUrl, timeoutMs: 20_000, skipText: SLOW_NOTICE_TEXT },
        25_000,
      );
      return { answerMs: card.atMs - sentAtMs, text: card.text, noticeFirst: card.postsBefore > 0 };
    },
    close: () => pool.close(),
  };
}
