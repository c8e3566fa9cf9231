import type { TestApp } from './app-harness.js';

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
export async function evaluateNow(app: TestApp): Promise<void> {
  await app.service.queues.requestEvaluation();
  await waitForQueuesIdle(app);
}
