import type {
  AllMiddlewareArgs,
  App,
  BlockAction,
  ButtonAction,
  SlackActionMiddlewareArgs,
} from '@slack/bolt';
import type { Logger } from '../../observability/logger.js';
import type { ActionId } from '../ids.js';

/** What a button's listener receives from Bolt. */
export type ButtonListenerArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;
export type ButtonHandler = (args: ButtonListenerArgs) => Promise<void>;
/** A handler per action id this version puts on its messages. */
export type ButtonHandlers = Partial<Record<ActionId, ButtonHandler>>;

/**
 * Registers one Bolt listener for every button click, which picks the handler by action id.
 *
 * Bolt runs the middleware of every registered listener on every request it receives, a slash
 * command included: with one listener per button, each request paid for ten matching chains
 * before its ack. One router pays for one.
 *
 * Clicks on buttons this version does not know (old messages, tampered payloads) are acknowledged
 * so Slack shows no error, and otherwise ignored.
 *
 * @example
 * registerButtonRouter(app, { ...lookupButtonHandlers(deps), ...alertButtonHandlers(deps) }, logger);
 */
export function registerButtonRouter(app: App, handlers: ButtonHandlers, logger: Logger): void {
  const known = new Map(Object.entries(handlers) as [string, ButtonHandler][]);
  app.action({ type: 'block_actions' }, async (args) => {
    const actionId = 'action_id' in args.action ? String(args.action.action_id) : '';
    const handler = known.get(actionId);
    if (handler) {
      // Every action id handled here is a button's: the renderers put no other element on messages.
      await handler(args as ButtonListenerArgs);
      return;
    }
    await args.ack();
    logger.info({ actionId: actionId.slice(0, 100) }, 'ignored an unknown action');
  });
}
