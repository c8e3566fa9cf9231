import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { HomeSlackApi } from '../../home/service.js';
import type { ButtonHandlers } from '../actions/router.js';
import type { SlackDeps } from '../deps.js';
import { ACTION_IDS } from '../ids.js';

/** views.publish and chat.getPermalink through the listener's client, counted like every Slack call. */
function homeSlackApi(client: WebClient, deps: SlackDeps): HomeSlackApi {
  const counted = async <T>(method: string, call: () => Promise<T>): Promise<T> => {
    try {
      const result = await call();
      deps.metrics.slackCalls.inc({ method, outcome: 'ok' });
      return result;
    } catch (error) {
      deps.metrics.slackCalls.inc({ method, outcome: 'error' });
      throw error;
    }
  };
  return {
    publish: async (userId, view) => {
      await counted('views.publish', () => client.views.publish({ user_id: userId, view }));
    },
    permalink: async (channel, messageTs) => {
      const answer = await counted('chat.getPermalink', () =>
        client.chat.getPermalink({ channel, message_ts: messageTs }),
      );
      if (!answer.permalink) throw new Error('chat.getPermalink answered without a permalink');
      return answer.permalink;
    },
  };
}

/**
 * The Home tab: opening it (`app_home_opened`, tab `home`) or clicking its Refresh button
 * publishes the overview, at most once per user per 10 seconds. Works the same over HTTP
 * (events on /slack/events) and Socket Mode, since both reach these listeners through Bolt.
 * Registers the event listener and returns the Refresh button's handler for the button router.
 */
export function registerAppHome(app: App, deps: SlackDeps): ButtonHandlers {
  const publish = async (userId: string, client: WebClient, trigger: 'opened' | 'refresh') => {
    const log = deps.logger.child({ userId, trigger });
    if (!deps.home) {
      log.info('Home tab opened, but this process has no access to the stored state');
      return;
    }
    try {
      const outcome = await deps.home.publishFor(userId, homeSlackApi(client, deps));
      log.info({ outcome }, 'Home tab');
    } catch (error) {
      log.error({ err: error }, 'could not publish the Home tab');
    }
  };

  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    await publish(event.user, client, 'opened');
  });

  return {
    [ACTION_IDS.homeRefresh]: async ({ ack, body, client }) => {
      await ack();
      await publish(body.user.id, client, 'refresh');
    },
  };
}
