import type { SlackDeps } from '../deps.js';
import { ACTION_IDS, decodeAlertValue } from '../ids.js';
import { respondSafely } from '../respond.js';
import type { ButtonHandler, ButtonHandlers } from './router.js';

const BUTTONS = [
  [ACTION_IDS.alertAcknowledge, 'acknowledge'],
  [ACTION_IDS.alertSnooze, 'snooze'],
  [ACTION_IDS.alertRefresh, 'refresh'],
  [ACTION_IDS.alertHostnames, 'hostnames'],
] as const;

/**
 * Acknowledge, Snooze 24 h and Refresh on alert parents. The click is acked at once; the thread
 * reply and the parent update follow through chat.postMessage / chat.update, so everyone in the
 * channel sees them. Only a refusal goes back privately to the person who clicked.
 */
export function alertButtonHandlers(deps: SlackDeps): ButtonHandlers {
  const handlers: ButtonHandlers = {};
  for (const [actionId, action] of BUTTONS) {
    const handler: ButtonHandler = async ({ ack, action: button, body, respond }) => {
      await ack();
      const log = deps.logger.child({ requestId: body.trigger_id, userId: body.user.id, action });
      const tellClicker = (text: string) =>
        respondSafely(
          respond,
          { response_type: 'ephemeral', replace_original: false, text },
          { deps, log, kind: 'alert_button' },
        );
      if (!deps.alertButtons) {
        await tellClicker('Alert buttons are handled by the worker side, which is not running here.');
        return;
      }
      const decoded = decodeAlertValue(button.value ?? '');
      if (!decoded) {
        await tellClicker('This button does not belong to a known alert.');
        return;
      }
      try {
        const result = await deps.alertButtons.handle(action, decoded.episodeId, {
          userId: body.user.id,
          channelId: body.channel?.id ?? null,
          messageTs: body.message?.ts ?? null,
        });
        // One line per click: what on-call can grep for, and the signal tests wait for.
        log.info({ episodeId: decoded.episodeId, ok: result.ok }, 'alert button handled');
        if (!result.ok) await tellClicker(result.message);
        // The Hostnames button: the full list, only for the person who asked, in as many parts as needed.
        else
          for (const message of result.privateMessages ?? []) {
            await respondSafely(
              respond,
              {
                response_type: 'ephemeral',
                replace_original: false,
                text: message.text,
                blocks: message.blocks,
              },
              { deps, log, kind: 'alert_button' },
            );
          }
      } catch (error) {
        log.error({ err: error }, 'alert button failed');
        await tellClicker('That did not work (Slack or Cloudflare failed); try again in a minute.');
      }
    };
    handlers[actionId] = handler;
  }
  return handlers;
}
