import { performance } from 'node:perf_hooks';
import { renderLookupError, renderStatusCard } from '../../render/status-card.js';
import { checkChannelAllowed } from '../access.js';
import type { SlackDeps } from '../deps.js';
import { ACTION_IDS, decodeLookupValue } from '../ids.js';
import { answerLookupInTime } from '../lookup-deadline.js';
import { respondSafely } from '../respond.js';
import type { ButtonHandlers, ButtonListenerArgs } from './router.js';

const STALE_BUTTON =
  'This button no longer matches a hostname (it may be from an old or altered message). Run `/aop-status <hostname>` again.';

/** Refresh re-reads Cloudflare, bypassing the cache; Share posts the card to the channel for everyone. */
export function lookupButtonHandlers(deps: SlackDeps): ButtonHandlers {
  return {
    [ACTION_IDS.refreshLookup]: async ({ ack, action, body, respond }) => {
      const requestedAtMs = performance.now();
      await ack();
      answerAfterAck({ value: action.value, body, respond, deps, share: false, requestedAtMs });
    },
    [ACTION_IDS.shareLookup]: async ({ ack, action, body, respond }) => {
      const requestedAtMs = performance.now();
      await ack();
      answerAfterAck({ value: action.value, body, respond, deps, share: true, requestedAtMs });
    },
  };
}

/**
 * The listener ends at the ack; the answer waits in `deps.answers` until requests stop arriving,
 * then follows through the response_url.
 */
function answerAfterAck(args: Parameters<typeof answerButton>[0]): void {
  args.deps.answers
    .run(() => answerButton(args))
    .catch((error: unknown) =>
      args.deps.logger.error({ err: error, requestId: args.body.trigger_id }, 'button answer failed'),
    );
}

async function answerButton(args: {
  value: string | undefined;
  body: ButtonListenerArgs['body'];
  respond: ButtonListenerArgs['respond'];
  deps: SlackDeps;
  share: boolean;
  /** When the click arrived (`performance.now()`): the deadline counts from it. */
  requestedAtMs: number;
}): Promise<void> {
  const { body, respond, deps, share } = args;
  const log = deps.logger.child({
    requestId: body.trigger_id,
    userId: body.user.id,
    action: share ? 'share' : 'refresh',
  });
  const channelId = body.channel?.id ?? body.container?.channel_id;
  // A click that names no channel (App Home, a tampered payload) is checked as an unknown channel,
  // so an allow-list fails closed instead of letting Share post anywhere.
  const access = checkChannelAllowed(deps.config.access, typeof channelId === 'string' ? channelId : '');
  if (!access.allowed) {
    await respondSafely(
      respond,
      { response_type: 'ephemeral', replace_original: false, text: access.message },
      { deps, log, kind: 'refusal' },
    );
    return;
  }
  const target = args.value === undefined ? null : decodeLookupValue(args.value);
  if (!target) {
    await respondSafely(
      respond,
      { response_type: 'ephemeral', replace_original: false, text: STALE_BUTTON },
      { deps, log, kind: 'stale_button' },
    );
    return;
  }
  await answerLookupInTime({
    respond,
    deps,
    log,
    kind: share ? 'share' : 'refresh',
    requestedAtMs: args.requestedAtMs,
    // Refresh: the notice takes the card's place until the new card replaces it. Share posts into
    // the channel, where a notice would stay behind, so it only gets the deadline.
    slowNotice: share ? null : { replaceOriginal: true },
    run: async (signal) => {
      signal.throwIfAborted();
      const result = await deps.lookup.lookup({
        hostname: target.hostname,
        zone: { kind: 'id', id: target.zoneId },
        bypassCache: !share,
        signal,
      });
      const card = renderStatusCard(result, {
        timeZone: deps.config.timezone,
        now: deps.clock(),
        shareable: !share,
        ...(share ? { sharedBy: body.user.id } : {}),
      });
      return share
        ? { response_type: 'in_channel', replace_original: false, text: card.text, blocks: card.blocks }
        : { response_type: 'ephemeral', replace_original: true, text: card.text, blocks: card.blocks };
    },
    fail: (error) => {
      log.warn({ err: error, hostname: target.hostname }, 'button lookup failed');
      const failure = renderLookupError(error, { hostname: target.hostname });
      return { response_type: 'ephemeral', replace_original: false, ...failure };
    },
  });
}
