import type { RespondArguments, RespondFn } from '@slack/bolt';
import type { Logger } from '../observability/logger.js';
import type { SlackDeps } from './deps.js';

/**
 * Sends a response_url message and never throws: a response_url is good for 5 posts in 30
 * minutes, and an expired one is the user's cue to run the command again, not a crash. Every
 * failure leaves a log line and a metric.
 */
export async function respondSafely(
  respond: RespondFn,
  message: RespondArguments,
  context: { deps: Pick<SlackDeps, 'metrics'>; log: Logger; kind: string },
): Promise<boolean> {
  try {
    await respond(message);
    context.deps.metrics.slackCalls.inc({ method: 'response_url', outcome: 'ok' });
    return true;
  } catch (error) {
    const status =
      typeof error === 'object' && error !== null && 'statusCode' in error
        ? String(error.statusCode)
        : 'error';
    context.deps.metrics.slackCalls.inc({
      method: 'response_url',
      outcome: status === '404' ? 'expired' : 'error',
    });
    context.deps.metrics.slackMessagesFailed.inc({ kind: context.kind });
    context.log.error(
      { err: error, kind: context.kind },
      'could not answer through the response_url (expired or unreachable)',
    );
    return false;
  }
}
