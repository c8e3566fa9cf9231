import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Checks every request to `/slack/events` before Bolt sees it: the signature, a timestamp within
 * five minutes either way (Bolt's own check accepts timestamps in the future), and a captured
 * request replayed within the window. A request that fails gets 401 and has no side effect. Bolt
 * gets the buffered body, so nothing is read twice, and does not check the signature again.
 */

/** Slack's documented window for `X-Slack-Request-Timestamp`, in both directions. */
export const SIGNATURE_WINDOW_SECONDS = 300;
/** Slash commands and interactions are small; this bounds what one request can make us buffer. */
export const MAX_BODY_BYTES = 256 * 1024;

export interface ReplayCache {
  /** True when `signature` was not seen before (and is now remembered for `ttlMs`). */
  remember(signature: string, ttlMs: number): Promise<boolean>;
}

export type GuardVerdict = { ok: true } | { ok: false; status: 400 | 401 | 413; reason: string };

/** Pure check of one request's headers and raw body against the signing secret and the clock. */
export function verifySlackSignature(options: {
  signingSecret: string;
  rawBody: string;
  signature: string | undefined;
  timestamp: string | undefined;
  nowSeconds: number;
}): GuardVerdict {
  const { signature, timestamp } = options;
  if (!signature || !timestamp) return { ok: false, status: 401, reason: 'missing signature headers' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, status: 401, reason: 'malformed timestamp' };
  const skew = Math.abs(options.nowSeconds - Number(timestamp));
  if (skew > SIGNATURE_WINDOW_SECONDS)
    return { ok: false, status: 401, reason: 'timestamp outside the 5-minute window' };
  const expected = `v0=${createHmac('sha256', options.signingSecret).update(`v0:${timestamp}:${options.rawBody}`).digest('hex')}`;
  const given = Buffer.from(signature);
  const wanted = Buffer.from(expected);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
    return { ok: false, status: 401, reason: 'signature does not match' };
  }
  return { ok: true };
}

function readBody(request: IncomingMessage, limitBytes: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        resolve(null);
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Wraps Bolt's request listener. `onRejected` is told about every rejection (for logs and metrics).
 */
export function createSlackRequestGuard(options: {
  signingSecret: string;
  replayCache: ReplayCache;
  nowSeconds?: () => number;
  next: (request: IncomingMessage, response: ServerResponse) => void;
  onRejected?: (reason: string) => void;
}) {
  const nowSeconds = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  const reject = (response: ServerResponse, status: number, reason: string) => {
    options.onRejected?.(reason);
    response.writeHead(status, { 'content-type': 'text/plain' });
    response.end();
  };
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const body = await readBody(request, MAX_BODY_BYTES);
    if (body === null) return reject(response, 413, 'body too large');
    const rawBody = body.toString('utf8');
    // Slack's SSL check is unsigned and needs only a 200. It is answered here and never reaches
    // Bolt, so nothing smuggled beside `ssl_check=1` can run.
    if (/(^|&)ssl_check=1(&|$)/.test(rawBody) && !header(request, 'x-slack-signature')) {
      response.writeHead(200);
      response.end();
      return;
    }
    const verdict = verifySlackSignature({
      signingSecret: options.signingSecret,
      rawBody,
      signature: header(request, 'x-slack-signature'),
      timestamp: header(request, 'x-slack-request-timestamp'),
      nowSeconds: nowSeconds(),
    });
    if (!verdict.ok) return reject(response, verdict.status, verdict.reason);
    const fresh = await options.replayCache.remember(
      header(request, 'x-slack-signature') ?? '',
      (SIGNATURE_WINDOW_SECONDS * 2 + 60) * 1000,
    );
    if (!fresh) return reject(response, 401, 'replayed request');
    // Only a request signed, fresh and seen once gets here, so Bolt's receiver is built without
    // its own signature check. It reads `rawBody` when present instead of the consumed stream.
    (request as IncomingMessage & { rawBody?: Buffer }).rawBody = body;
    options.next(request, response);
  };
}
