import { describe, expect, it } from 'vitest';
import { type Command, parseCommandText, quoteToken } from '../../../src/domain/command.js';

const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';

describe('parseCommandText: the grammar in contract.md', () => {
  const cases: Array<[text: string, command: Command]> = [
    ['', { kind: 'help' }],
    ['   \n\t ', { kind: 'help' }],
    ['help', { kind: 'help' }],
    ['HELP', { kind: 'help' }],
    ['help watch', { kind: 'help' }],
    ['list', { kind: 'list', route: null }],
    ['List', { kind: 'list', route: null }],
    ['list payments', { kind: 'list', route: 'payments' }],
    ['LIST Web-Team', { kind: 'list', route: 'web-team' }],
    ['route a.pay.example.com', { kind: 'route', hostname: 'a.pay.example.com', zone: null }],
    [
      'ROUTE <http://a.pay.example.com|a.pay.example.com> example.com',
      { kind: 'route', hostname: 'a.pay.example.com', zone: { kind: 'name', name: 'example.com' } },
    ],
    // Hostnames named like the new keywords are still looked up, as before.
    ['route.example.com', { kind: 'lookup', hostname: 'route.example.com', zone: null }],
    [
      'route.example.com example.com',
      { kind: 'lookup', hostname: 'route.example.com', zone: { kind: 'name', name: 'example.com' } },
    ],
    ['digest', { kind: 'digest' }],
    ['zones', { kind: 'zones' }],
    ['ZONES', { kind: 'zones' }],
    ['subscribe', { kind: 'subscribe', route: null }],
    ['UNSUBSCRIBE', { kind: 'unsubscribe', route: null }],
    ['subscribe payments', { kind: 'subscribe', route: 'payments' }],
    ['unsubscribe Payments', { kind: 'unsubscribe', route: 'payments' }],
    ['app.example.com', { kind: 'lookup', hostname: 'app.example.com', zone: null }],
    ['  App.Example.com.  ', { kind: 'lookup', hostname: 'app.example.com', zone: null }],
    [
      'app.example.com example.com',
      { kind: 'lookup', hostname: 'app.example.com', zone: { kind: 'name', name: 'example.com' } },
    ],
    [
      `app.example.com ${ZONE_ID.toUpperCase()}`,
      { kind: 'lookup', hostname: 'app.example.com', zone: { kind: 'id', id: ZONE_ID } },
    ],
    ['*.example.com', { kind: 'lookup', hostname: '*.example.com', zone: null }],
    ['bücher.example', { kind: 'lookup', hostname: 'xn--bcher-kva.example', zone: null }],
    ['watch app.example.com', { kind: 'watch', hostname: 'app.example.com', zone: null }],
    [
      'WATCH app.example.com example.com',
      { kind: 'watch', hostname: 'app.example.com', zone: { kind: 'name', name: 'example.com' } },
    ],
    [
      `watch app.example.com ${ZONE_ID}`,
      { kind: 'watch', hostname: 'app.example.com', zone: { kind: 'id', id: ZONE_ID } },
    ],
    ['unwatch app.example.com', { kind: 'unwatch', hostname: 'app.example.com' }],
    // A hostname that happens to start with a keyword is still a hostname.
    ['list.example.com', { kind: 'lookup', hostname: 'list.example.com', zone: null }],
  ];
  for (const [text, command] of cases) {
    it(`parses ${JSON.stringify(text)}`, () => {
      expect(parseCommandText(text)).toEqual(command);
    });
  }
});

describe('parseCommandText: what Slack sends when people paste links', () => {
  const cases: Array<[text: string, command: Command]> = [
    ['<http://app.example.com|app.example.com>', { kind: 'lookup', hostname: 'app.example.com', zone: null }],
    ['<https://app.example.com>', { kind: 'lookup', hostname: 'app.example.com', zone: null }],
    ['https://App.Example.com/path?q=1#x', { kind: 'lookup', hostname: 'app.example.com', zone: null }],
    [
      '<https://app.example.com/health|app.example.com/health>',
      { kind: 'lookup', hostname: 'app.example.com', zone: null },
    ],
    [
      '<http://app.example.com|app.example.com> <http://example.com|example.com>',
      { kind: 'lookup', hostname: 'app.example.com', zone: { kind: 'name', name: 'example.com' } },
    ],
    [
      'watch <http://app.example.com|app.example.com>',
      { kind: 'watch', hostname: 'app.example.com', zone: null },
    ],
  ];
  for (const [text, command] of cases) {
    it(`unwraps ${JSON.stringify(text)}`, () => {
      expect(parseCommandText(text)).toEqual(command);
    });
  }
});

describe('parseCommandText: invalid input gets a clear message and the usage', () => {
  const cases: Array<[text: string, message: string]> = [
    ['stauts', '“stauts” is neither a command nor a hostname.'],
    ['list pay ments', 'Too many arguments: expected list [route], got 2.'],
    ['subscribe a b', 'Too many arguments: expected subscribe [route], got 2.'],
    [
      'unsubscribe #payments',
      "“#payments” is not a route name (lowercase letters, digits and hyphens, as in the config's routes).",
    ],
    [
      'list app.example.com',
      "“app.example.com” is not a route name (lowercase letters, digits and hyphens, as in the config's routes).",
    ],
    [
      'list <!channel>',
      "“<!channel>” is not a route name (lowercase letters, digits and hyphens, as in the config's routes).",
    ],
    ['route', 'Missing the hostname: expected route <hostname> [zone name or id].'],
    [
      'route a.example.com example.com extra',
      'Too many arguments: expected route <hostname> [zone name or id], got 3.',
    ],
    [
      'route payments',
      '“payments” is not a valid hostname: A hostname needs at least two labels, e.g. app.example.com.',
    ],
    ['digest now please', '“digest” takes no arguments, got 2.'],
    ['zones prod', '“zones” takes no arguments, got 1.'],
    [
      'a.example.com b.example.com c.example.com',
      'Too many arguments: expected <hostname> [zone name or id], got 3.',
    ],
    ['watch', 'Missing the hostname: expected watch <hostname> [zone name or id].'],
    [
      'watch a.example.com example.com extra',
      'Too many arguments: expected watch <hostname> [zone name or id], got 3.',
    ],
    ['unwatch', 'Missing the hostname: expected unwatch <hostname>.'],
    ['unwatch a.example.com b.example.com', 'Too many arguments: expected unwatch <hostname>, got 2.'],
    [
      '<!channel>',
      '“<!channel>” is not a valid hostname: That is a Slack mention or channel, not a hostname.',
    ],
    [
      '<@U0123|alice>',
      '“<@U0123|alice>” is not a valid hostname: That is a Slack mention or channel, not a hostname.',
    ],
    [
      '&lt;!channel&gt;',
      '“<!channel>” is not a valid hostname: A hostname may contain only letters, digits, hyphens and dots.',
    ],
    [
      '<mailto:ops@example.com|ops@example.com>',
      '“<mailto:ops@example.com|ops@example.com>” is not a valid hostname: That is an email address, not a hostname.',
    ],
    [
      'ftp://app.example.com',
      '“ftp://app.example.com” is not a valid hostname: Paste a hostname or an https:// URL.',
    ],
    [
      '../../etc/passwd',
      '“../../etc/passwd” is not a valid hostname: Enter only the hostname, without a scheme, path or user name.',
    ],
    [
      'app%2Eexample.com',
      '“app%2Eexample.com” is not a valid hostname: A hostname may contain only letters, digits, hyphens and dots.',
    ],
    ['10.0.0.1', '“10.0.0.1” is not a valid hostname: IP addresses are not supported; use the hostname.'],
    [
      'https://10.0.0.1/',
      '“https://10.0.0.1/” is not a valid hostname: IP addresses are not supported; use the hostname.',
    ],
    [
      'app.example.com *.example.com',
      '“*.example.com” is neither a zone id (32 hexadecimal characters) nor a zone name: A zone name cannot be a wildcard.',
    ],
    [
      'app.example.com 023e105f',
      '“023e105f” is neither a zone id (32 hexadecimal characters) nor a zone name: A hostname needs at least two labels, e.g. app.example.com.',
    ],
  ];
  for (const [text, message] of cases) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      expect(parseCommandText(text)).toEqual({ kind: 'invalid', message, usage: true });
    });
  }

  it('quotes at most 100 characters of a long bad token', () => {
    const token = `${'x'.repeat(300)}/evil`;
    const result = parseCommandText(token);
    expect(result.kind).toBe('invalid');
    const message = result.kind === 'invalid' ? result.message : '';
    expect(message).toBe(
      `“${'x'.repeat(100)}…” is not a valid hostname: Enter only the hostname, without a scheme, path or user name.`,
    );
  });

  it('replaces control characters in the quote so the message stays on one line', () => {
    expect(quoteToken('a\u0000b\u001bc\u007f')).toBe('“a\uFFFDb\uFFFDc\uFFFD”');
  });

  it('never cuts an emoji in half when quoting', () => {
    const quoted = quoteToken('😀'.repeat(150));
    expect(quoted).toBe(`“${'😀'.repeat(100)}…”`);
  });

  it('refuses text longer than 12,000 characters without looking at it', () => {
    const result = parseCommandText('a'.repeat(12_001));
    expect(result).toEqual({
      kind: 'invalid',
      message: 'The command text is 12001 characters long; expected a hostname and an optional zone.',
      usage: true,
    });
  });
});

/** Deterministic PRNG (mulberry32) so a failing fuzz case can be reproduced from its seed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const FRAGMENTS = [
  '<!channel>',
  '<!here|here>',
  '<@U123>',
  '<#C123|general>',
  '<http://a.example.com|a.example.com>',
  '<mailto:x@y.z|x@y.z>',
  '../',
  '%2e%2e%2f',
  '%00',
  '&lt;',
  '&amp;',
  '*.',
  'xn--',
  'watch',
  'LIST',
  'https://',
  '[::1]',
  ':443',
  '\u0000',
  '\u202e',
  '\u200b',
  '\ud800',
  '😀',
  'ü',
  '。',
  '.',
  ' ',
  '\n',
  '\t',
  '|',
  '>',
  '<',
  '`',
  '*',
  '_',
  '~',
];

function randomText(random: () => number): string {
  const length = Math.floor(random() ** 3 * 10_240);
  const parts: string[] = [];
  let size = 0;
  while (size < length) {
    const part =
      random() < 0.5
        ? (FRAGMENTS[Math.floor(random() * FRAGMENTS.length)] ?? '')
        : String.fromCharCode(Math.floor(random() * 0x3000));
    parts.push(part);
    size += part.length;
  }
  return parts.join('').slice(0, 10_240);
}

describe('parseCommandText: hostile input', () => {
  it('never throws and always returns a well-formed command for 1000 random strings up to 10 KB', () => {
    const random = mulberry32(20_261_126);
    for (let index = 0; index < 1000; index += 1) {
      const text = randomText(random);
      let command: Command;
      try {
        command = parseCommandText(text);
      } catch (error) {
        throw new Error(`threw on case ${index} (${JSON.stringify(text.slice(0, 80))}…): ${String(error)}`);
      }
      if (command.kind === 'invalid') {
        expect(command.usage).toBe(true);
        // 100 quoted code points (up to 2 UTF-16 units each) plus our own sentence.
        expect(command.message.length).toBeLessThan(600);
        // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting there are none
        expect(command.message).not.toMatch(/[\u0000-\u001f]/);
      }
      if (command.kind === 'lookup' || command.kind === 'watch' || command.kind === 'unwatch') {
        expect(command.hostname).toMatch(/^(\*\.)?[a-z0-9.-]+$/);
      }
    }
  });
});
