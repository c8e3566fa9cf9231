import type { TestApp } from './app-harness.js';
import type { FakeSlack } from './fake-slack.js';

/**
 * Waits until no run is queued, running or waiting for its zones in `app`'s queues: the moment a
 * requested evaluation or digest has finished (scheduler jobs waiting for a later slot are delayed
 * and so do not count).
 */
export async function waitForQueuesIdle(app: TestApp, options: { timeoutMs?: number } = {}): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    const depths = await app.service.queues.queueDepths();
    const busy = Object.values(depths).some(
      (counts) => (counts.waiting ?? 0) + (counts.active ?? 0) + (counts['waiting-children'] ?? 0) > 0,
    );
    if (!busy) return;
    if (Date.now() > deadline)
      throw new Error(`queues still busy after the timeout: ${JSON.stringify(depths)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Requests one alert evaluation and waits until it has been applied. */
export async function evaluateNow(app: TestApp, options: { timeoutMs?: number } = {}): Promise<void> {
  await app.service.queues.requestEvaluation();
  await waitForQueuesIdle(app, options);
}

/**
 * The alert-relevant Slack calls made since call number `from`, in order: 'parent', 'reply' or
 * 'update'; with `withTs` 'reply:<thread ts>' and 'update:<ts>' to say which thread; with
 * `withChannel` 'parent:<channel>', 'reply:<channel>' and 'update:<channel>' to say where.
 */
export function slackCallsSince(
  slack: Pick<FakeSlack, 'calls'>,
  from: number,
  options: { withTs?: boolean; withChannel?: boolean } = {},
): string[] {
  return slack.calls.slice(from).flatMap((call) => {
    const where = options.withChannel ? `:${String(call.args.channel)}` : '';
    if (call.method === 'chat.postMessage') {
      if (!call.args.thread_ts) return [`parent${where}`];
      return [options.withTs ? `reply:${String(call.args.thread_ts)}` : `reply${where}`];
    }
    if (call.method === 'chat.update')
      return [options.withTs ? `update:${String(call.args.ts)}` : `update${where}`];
    return [];
  });
}
