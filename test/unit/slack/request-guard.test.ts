import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifySlackSignature } from '../../../src/slack/request-guard.js';

const SECRET = 'secret';
const NOW = 1_800_000_000;
const sign = (body: string, timestamp: number | string) =>
  `v0=${createHmac('sha256', SECRET).update(`v0:${timestamp}:${body}`).digest('hex')}`;

describe('verifySlackSignature', () => {
  const cases: [string, { signature?: string; timestamp?: string }, boolean][] = [
    [
      'accepts a fresh, correctly signed request',
      { signature: sign('a=1', NOW), timestamp: String(NOW) },
      true,
    ],
    [
      'accepts 299 s of clock skew either way',
      { signature: sign('a=1', NOW + 299), timestamp: String(NOW + 299) },
      true,
    ],
    [
      'rejects a timestamp more than 5 minutes old',
      { signature: sign('a=1', NOW - 301), timestamp: String(NOW - 301) },
      false,
    ],
    [
      'rejects a timestamp more than 5 minutes ahead',
      { signature: sign('a=1', NOW + 301), timestamp: String(NOW + 301) },
      false,
    ],
    [
      'rejects a signature made with another secret',
      { signature: `v0=${'0'.repeat(64)}`, timestamp: String(NOW) },
      false,
    ],
    ['rejects a missing signature', { timestamp: String(NOW) }, false],
    ['rejects a missing timestamp', { signature: sign('a=1', NOW) }, false],
    ['rejects a non-numeric timestamp', { signature: sign('a=1', 'x'), timestamp: 'x' }, false],
    ['rejects a signature of different length', { signature: 'v0=abc', timestamp: String(NOW) }, false],
  ];
  it.each(cases)('%s', (_label, headers, ok) => {
    const verdict = verifySlackSignature({
      signingSecret: SECRET,
      rawBody: 'a=1',
      signature: headers.signature,
      timestamp: headers.timestamp,
      nowSeconds: NOW,
    });
    expect(verdict.ok).toBe(ok);
  });

  it('rejects a body changed after signing', () => {
    const verdict = verifySlackSignature({
      signingSecret: SECRET,
      rawBody: 'a=2',
      signature: sign('a=1', NOW),
      timestamp: String(NOW),
      nowSeconds: NOW,
    });
    expect(verdict).toEqual({ ok: false, status: 401, reason: 'signature does not match' });
  });
});
