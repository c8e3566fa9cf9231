import { describe, expect, it } from 'vitest';
import { createInFlightLimit } from '../../../src/cloudflare/in-flight.js';

function deferred() {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe('createInFlightLimit', () => {
  it('never runs more than the limit at once, and runs everything', async () => {
    const limit = createInFlightLimit(3);
    let running = 0;
    let most = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        limit.run(async () => {
          running += 1;
          most = Math.max(most, running);
          await new Promise((resolve) => setTimeout(resolve, 2));
          running -= 1;
          return index;
        }),
      ),
    );
    expect(most).toBe(3);
    expect(results).toEqual(Array.from({ length: 20 }, (_, index) => index));
    expect(limit.active).toBe(0);
  });

  it('gives the next free slot to an urgent task ahead of queued background ones', async () => {
    const limit = createInFlightLimit(1);
    const started: string[] = [];
    const blocker = deferred();
    const first = limit.run(async () => {
      started.push('running');
      await blocker.promise;
    });
    const background = [1, 2, 3].map((n) => limit.run(async () => void started.push(`background ${n}`)));
    const urgent = limit.run(async () => void started.push('urgent'), { urgent: true });
    expect(limit.waiting).toBe(4);
    blocker.resolve();
    await Promise.all([first, urgent, ...background]);
    expect(started).toEqual(['running', 'urgent', 'background 1', 'background 2', 'background 3']);
  });

  it('frees the slot when a task fails', async () => {
    const limit = createInFlightLimit(1);
    await expect(limit.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limit.run(async () => 'next')).resolves.toBe('next');
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => createInFlightLimit(0)).toThrow(RangeError);
  });
});
