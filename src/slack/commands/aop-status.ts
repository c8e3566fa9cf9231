import { performance } from 'node:perf_hooks';
import type { App, RespondArguments, RespondFn, SlashCommand } from '@slack/bolt';
import { type Command, parseCommandText, type ZoneArgument } from '../../domain/command.js';
import type { Logger } from '../../observability/logger.js';
import { renderHelp } from '../../render/help.js';
import { renderLookupError, renderStatusCard, renderUsage } from '../../render/status-card.js';
import { checkAdmin, checkChannelAllowed } from '../access.js';
import type { SlackDeps, SlackMessage } from '../deps.js';
import { answerLookupInTime } from '../lookup-deadline.js';
import { respondSafely } from '../respond.js';

export const SLASH_COMMAND = '/aop-status';

function ephemeral(message: SlackMessage): RespondArguments {
  return { response_type: 'ephemeral', text: message.text, blocks: message.blocks };
}

const CHANGING_COMMANDS: Partial<Record<Command['kind'], string>> = {
  watch: 'watch hostnames',
  unwatch: 'unwatch hostnames',
  subscribe: 'subscribe channels to the digest',
  unsubscribe: 'unsubscribe channels from the digest',
};

/**
 * Decides what to answer inside Slack's 3-second window. Everything that can be answered without
 * I/O (help, usage, refusals) goes into the ack itself; anything that needs Cloudflare or Redis is
 * acked empty first and answered through the response_url. A lookup is answered after the
 * listener has returned, from `deps.answers`.
 */
export async function handleAopStatusCommand(
  args: { command: SlashCommand; ack: (response?: RespondArguments) => Promise<void>; respond: RespondFn },
  deps: SlackDeps,
): Promise<void> {
  const { command, ack, respond } = args;
  // Made when first needed: a lookup's ack logs nothing, and a child logger costs more than the
  // rest of the ack's own work.
  const logIds: CommandLogIds = {
    requestId: command.trigger_id,
    userId: command.user_id,
    channelId: command.channel_id,
  };
  let requestLog: Logger | null = null;
  const log = () => (requestLog ??= deps.logger.child(logIds));
  const parsed = parseCommandText(command.text ?? '');

  // Refusals are counted and logged: someone probing the bot from the wrong place should be visible.
  const channelAccess = checkChannelAllowed(deps.config.access, command.channel_id);
  if (!channelAccess.allowed) {
    deps.metrics.lookups.inc({ outcome: 'channel_not_allowed' });
    log().info({ command: parsed.kind }, 'refused a command from a channel outside access.allowed_channels');
    await ack({ response_type: 'ephemeral', text: channelAccess.message });
    return;
  }
  const changing = CHANGING_COMMANDS[parsed.kind];
  if (changing) {
    const adminAccess = checkAdmin(deps.config.access, command.user_id, changing);
    if (!adminAccess.allowed) {
      deps.metrics.lookups.inc({ outcome: 'not_an_admin' });
      log().info({ command: parsed.kind }, 'refused a change by someone outside access.admins');
      await ack({ response_type: 'ephemeral', text: adminAccess.message });
      return;
    }
  }

  switch (parsed.kind) {
    case 'help':
      await ack(ephemeral(renderHelp()));
      return;
    case 'invalid':
      deps.metrics.lookups.inc({ outcome: 'invalid_input' });
      await ack(ephemeral(renderUsage(parsed.message)));
      return;
    case 'lookup': {
      const requestedAtMs = performance.now();
      await ack();
      // The listener ends at the ack, and Bolt lets go of the request. The answer waits in
      // `deps.answers` until requests stop arriving; its deadline still counts from the request.
      queueLookupAnswer(
        {
          hostname: parsed.hostname,
          zone: parsed.zone,
          requestedAtMs,
          logIds,
        },
        respond,
        deps,
      );
      return;
    }
    default: {
      if (!deps.inventory) {
        await ack({
          response_type: 'ephemeral',
          text: 'This command needs the worker side of aop-status, which is not running in this process.',
        });
        return;
      }
      await ack();
      try {
        const messages = await deps.inventory.handle(parsed, {
          userId: command.user_id,
          channelId: command.channel_id,
        });
        for (const message of messages) {
          await respondSafely(
            respond,
            { response_type: 'ephemeral', ...message },
            { deps, log: log(), kind: parsed.kind },
          );
        }
      } catch (error) {
        log().error({ err: error, command: parsed.kind }, 'inventory command failed');
        await respondSafely(respond, ephemeral(renderLookupError(error, {})), {
          deps,
          log: log(),
          kind: parsed.kind,
        });
      }
    }
  }
}

/** What every log line about one command carries. */
interface CommandLogIds {
  requestId: string;
  userId: string;
  channelId: string;
}

/** What a queued lookup keeps until it runs: a few strings, not the whole request. */
interface QueuedLookup {
  hostname: string;
  zone: ZoneArgument | null;
  /** When the command arrived (`performance.now()`): the deadline counts from it. */
  requestedAtMs: number;
  logIds: CommandLogIds;
}

/**
 * Queues a lookup's answer (lookup, card, post to the response_url) in `deps.answers`.
 *
 * A burst of commands can hold hundreds of answers at once, and each young-generation GC pause
 * copies what they keep while every ack in flight waits. So the queued work is made here, away
 * from the listener's scope, and keeps only the command's few fields instead of its whole body.
 */
function queueLookupAnswer(lookup: QueuedLookup, respond: RespondFn, deps: SlackDeps): void {
  const log = () => deps.logger.child(lookup.logIds);
  void deps.answers
    .run(() => {
      const answerLog = log();
      return answerLookupInTime({
        respond,
        deps,
        log: answerLog,
        kind: 'lookup',
        requestedAtMs: lookup.requestedAtMs,
        slowNotice: { replaceOriginal: false },
        run: async (signal) => {
          signal.throwIfAborted();
          const result = await deps.lookup.lookup({ hostname: lookup.hostname, zone: lookup.zone, signal });
          deps.metrics.lookups.inc({ outcome: result.assessment.severity });
          return ephemeral(
            renderStatusCard(result, { timeZone: deps.config.timezone, now: deps.clock(), shareable: true }),
          );
        },
        fail: (error) => {
          answerLog.warn({ err: error, hostname: lookup.hostname }, 'lookup failed');
          deps.metrics.lookups.inc({ outcome: errorCode(error) });
          return ephemeral(renderLookupError(error, { hostname: lookup.hostname }));
        },
      });
    })
    .catch((error: unknown) => log().error({ err: error }, 'lookup answer failed'));
}

function errorCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : 'internal_error';
}

export function registerAopStatusCommand(app: App, deps: SlackDeps): void {
  app.command(SLASH_COMMAND, async ({ command, ack, respond }) => {
    await handleAopStatusCommand({ command, ack, respond }, deps);
  });
}
