import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, scrubSecrets } from '../../../src/observability/logger.js';

function capture(level = 'trace') {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  return { logger: createLogger({ level, destination }), lines };
}

const SECRETS = [
  'xoxb-1111-2222-abcdef',
  'xapp-1-A0-secret',
  'cf-token-value',
  'global-key-value',
  'signing-secret-value',
];

describe('logs never carry secrets', () => {
  it('redacts tokens in objects, error objects, messages and nested headers, even at trace level', () => {
    const { logger, lines } = capture();
    const error = Object.assign(new Error('request failed with token xoxb-1111-2222-abcdef'), {
      config: { headers: { authorization: 'Bearer cf-token-value' } },
      request: { headers: { 'x-auth-key': 'global-key-value' } },
    });
    logger.trace({ token: 'xoxb-1111-2222-abcdef', appToken: 'xapp-1-A0-secret' }, 'starting');
    logger.debug(
      { headers: { authorization: 'Bearer cf-token-value', 'x-auth-key': 'global-key-value' } },
      'request',
    );
    logger.error({ err: error }, 'failed');
    logger.info(
      { config: { slack: { botToken: 'xoxb-1111-2222-abcdef', signingSecret: 'signing-secret-value' } } },
      'config',
    );
    logger.warn('echoed xapp-1-A0-secret in a message');
    logger.info({ detail: 'free text with xoxb-1111-2222-abcdef inside' }, 'free text');
    const output = lines.join('');
    expect(lines.length).toBe(6);
    for (const secret of SECRETS) expect(output).not.toContain(secret);
    expect(output).toContain('[REDACTED]');
  });

  it('keeps ordinary text as it is', () => {
    expect(scrubSecrets('hostname app.example.com expires 2026-12-01')).toBe(
      'hostname app.example.com expires 2026-12-01',
    );
    expect(scrubSecrets('token xoxp-123-abc')).toBe('token [REDACTED]');
  });

  it('blanks Cloudflare account and user tokens (cfat_, cfut_) and every configured token, whatever its shape', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString());
        callback();
      },
    });
    const logger = createLogger({ level: 'trace', destination, secrets: ['legacy-shaped-staging-token'] });
    logger.error({ err: new Error('Bearer cfat_AbC123-xyz_9 was refused') }, 'failed');
    logger.warn({ detail: 'sent cfut_user_token_1 and legacy-shaped-staging-token' }, 'echo');
    logger.info({ accounts: [{ name: 'prod', auth: { scheme: 'api_token', token: 'x' } }] }, 'accounts');
    logger.info('message with legacy-shaped-staging-token inside');
    const output = lines.join('');
    for (const secret of [
      'cfat_AbC123-xyz_9',
      'cfut_user_token_1',
      'legacy-shaped-staging-token',
      '"token":"x"',
    ])
      expect(output).not.toContain(secret);
    expect(output).toContain('"name":"prod"');
  });
});
