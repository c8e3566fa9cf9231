/**
 * The `/aop-status` usage text (contract.md, "Slash command"). One list of lines feeds both the
 * full help and the short usage shown under an invalid command.
 */
import { contextBlock, fallbackText, headerBlock, type RenderedMessage, sectionBlock } from './common.js';
import { escapeMrkdwn } from './mrkdwn.js';

export const COMMAND_NAME = '/aop-status';

export interface GrammarLine {
  /** The text after the command, as a person types it (plain; escaped when rendered). */
  usage: string;
  does: string;
  /** Only admins may run it when `access.admins` is set. */
  adminOnly: boolean;
}

export const COMMAND_GRAMMAR: readonly GrammarLine[] = [
  {
    usage: '<hostname> [zone name or id]',
    does: 'Show the per-hostname AOP status card, only to you, with Refresh and Share-in-channel buttons.',
    adminOnly: false,
  },
  { usage: 'help', does: 'Show this help.', adminOnly: false },
  {
    usage: 'list [route]',
    does: 'Every watched hostname, one line each, worst first; with a route, only its hostnames.',
    adminOnly: false,
  },
  { usage: 'route <hostname>', does: 'Which route owns a hostname, and why.', adminOnly: false },
  { usage: 'digest', does: 'Post the digest into this channel now.', adminOnly: false },
  {
    usage: 'zones',
    does: 'Every watched zone, configured or discovered: its account, hostnames watched, hostname certificates used (n of 10), last check.',
    adminOnly: false,
  },
  { usage: 'watch <hostname> [zone]', does: 'Add a hostname to the watched inventory.', adminOnly: true },
  { usage: 'unwatch <hostname>', does: 'Remove a hostname from the watched inventory.', adminOnly: true },
  {
    usage: 'subscribe [route]',
    does: "This channel gets the scheduled digest; with a route, that route's digest only.",
    adminOnly: true,
  },
  {
    usage: 'unsubscribe [route]',
    does: "This channel stops getting the scheduled digest (or that route's).",
    adminOnly: true,
  },
];

/** One grammar line as mrkdwn: the command in code, then what it does. */
export function grammarLineMrkdwn(line: GrammarLine): string {
  const admin = line.adminOnly ? ' _(admins)_' : '';
  return `\`${COMMAND_NAME} ${escapeMrkdwn(line.usage)}\`: ${line.does}${admin}`;
}

/**
 * The full help message.
 *
 * @example const { text, blocks } = renderHelp(); await respond({ text, blocks, response_type: 'ephemeral' });
 */
export function renderHelp(): RenderedMessage {
  const lines = COMMAND_GRAMMAR.map((line) => `• ${grammarLineMrkdwn(line)}`).join('\n');
  return {
    text: fallbackText(
      `${COMMAND_NAME}: check Cloudflare per-hostname Authenticated Origin Pulls certificates`,
    ),
    blocks: [
      headerBlock(`${COMMAND_NAME} help`),
      sectionBlock(
        'Checks Cloudflare per-hostname *Authenticated Origin Pulls* (AOP): whether the association is on, ' +
          'its deployment status, and when the client certificate expires.',
      ),
      sectionBlock(lines),
      contextBlock([
        `Examples: \`${COMMAND_NAME} app.example.com\` · \`${COMMAND_NAME} app.example.com example.com\` · ` +
          `\`${COMMAND_NAME} app.example.com 023e105f4ecef8ad9ca31a8372d0c353\``,
        'The zone is optional: without it the bot uses the watched inventory, then asks Cloudflare ' +
          'for the closest parent zone.',
      ]),
    ],
  };
}
