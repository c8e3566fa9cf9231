/**
 * Slack mrkdwn escaping. Everything a user typed or the API returned goes through `escapeMrkdwn`
 * before it lands in a `mrkdwn` text object, so `<!channel>`, `<@U123>` or a link typed into the
 * command can never ping anyone or render as a link.
 */

/**
 * Escapes the three control characters Slack documents for mrkdwn (&, <, >). That alone disarms
 * mentions, broadcasts and links, because all of them need a literal `<`.
 *
 * @example escapeMrkdwn('<!channel> & co') // '&lt;!channel&gt; &amp; co'
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Escapes and also neutralises formatting characters so that an untrusted value renders literally
 * inside surrounding bold/italic/code markup. Control characters are replaced by U+FFFD so that a
 * newline typed into a hostname cannot forge extra lines.
 *
 * @example literal('*bold* `x`') // '∗bold∗ ˋxˋ'
 */
export function literal(text: string): string {
  return (
    escapeMrkdwn(text)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point
      .replace(/[\u0000-\u001f\u007f-\u009f]/g, '\uFFFD')
      .replace(/\*/g, '\u2217')
      .replace(/_/g, '\u02CD')
      .replace(/~/g, '\u223C')
      .replace(/`/g, '\u02CB')
  );
}

/** Shortens `text` to at most `maxLength` characters, marking the cut with an ellipsis. */
export function truncate(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  return `${text.slice(0, Math.max(0, maxLength - 1))}…`;
}
