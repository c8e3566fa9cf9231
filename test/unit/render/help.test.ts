import { describe, expect, it } from 'vitest';
import { parseCommandText } from '../../../src/domain/command.js';
import { COMMAND_GRAMMAR, renderHelp } from '../../../src/render/help.js';
import { allBlockTexts, assertWithinBlockKitLimits } from '../../support/block-kit-limits.js';

describe('renderHelp', () => {
  it('lists every command of the contract, escaped, admins marked', () => {
    const help = renderHelp();
    assertWithinBlockKitLimits(help, 'help');
    const grammar = allBlockTexts(help).find((text) => text.startsWith('• '));
    expect(grammar?.split('\n')).toEqual([
      '• `/aop-status &lt;hostname&gt; [zone name or id]`: Show the per-hostname AOP status card, only to you, with Refresh and Share-in-channel buttons.',
      '• `/aop-status help`: Show this help.',
      '• `/aop-status list [route]`: Every watched hostname, one line each, worst first; with a route, only its hostnames.',
      '• `/aop-status route &lt;hostname&gt;`: Which route owns a hostname, and why.',
      '• `/aop-status digest`: Post the digest into this channel now.',
      '• `/aop-status zones`: Every watched zone, configured or discovered: its account, hostnames watched, hostname certificates used (n of 10), last check.',
      '• `/aop-status watch &lt;hostname&gt; [zone]`: Add a hostname to the watched inventory. _(admins)_',
      '• `/aop-status unwatch &lt;hostname&gt;`: Remove a hostname from the watched inventory. _(admins)_',
      "• `/aop-status subscribe [route]`: This channel gets the scheduled digest; with a route, that route's digest only. _(admins)_",
      "• `/aop-status unsubscribe [route]`: This channel stops getting the scheduled digest (or that route's). _(admins)_",
    ]);
    expect(help.text).toBe(
      '/aop-status: check Cloudflare per-hostname Authenticated Origin Pulls certificates',
    );
  });

  it('documents only commands the parser understands', () => {
    for (const line of COMMAND_GRAMMAR) {
      const example = line.usage
        .replace('<hostname>', 'app.example.com')
        .replace(/\[zone[^\]]*\]/, 'example.com')
        .replace('[route]', 'payments');
      expect(parseCommandText(example).kind, example).not.toBe('invalid');
    }
  });

  it('gives examples that parse as lookups', () => {
    const examples = allBlockTexts(renderHelp())
      .join('\n')
      .match(/`\/aop-status ([^`]+)`/g);
    const lookups = (examples ?? [])
      .map((example) => example.slice('`/aop-status '.length, -1))
      .filter((text) => text.startsWith('app.'));
    expect(lookups.map((text) => parseCommandText(text).kind)).toEqual(['lookup', 'lookup', 'lookup']);
  });
});
