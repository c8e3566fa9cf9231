import { describe, expect, it } from 'vitest';
import { backgroundSlots, createInFlightLimit } from '../../../src/cloudflare/in-flight.js';

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
        limit.run(
          async () => {
            running += 1;
            most = Math.max(most, running);
            await new Promise((resolve) => setTimeout(resolve, 2));
            running -= 1;
            return index;
          },
          { urgent: index % 2 === 0 },
        ),
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

  it('keeps a quarter of the slots for people: background work stuck waiting never takes them', async () => {
    expect([1, 2, 3, 4, 8, 16].map(backgroundSlots)).toEqual([1, 1, 2, 3, 6, 12]);
    const limit = createInFlightLimit(8);
    const stuck = deferred();
    const background = Array.from({ length: 20 }, () => limit.run(() => stuck.promise));
    expect(limit.active).toBe(6);
    expect(limit.waiting).toBe(14);
    // A lookup's four calls start at once, though twenty background requests are ahead of them.
    const started: number[] = [];
    const lookup = [1, 2, 3, 4].map((call) =>
      limit.run(async () => void started.push(call), { urgent: true }),
    );
    expect(started).toEqual([1, 2]);
    await Promise.all(lookup);
    expect(started).toEqual([1, 2, 3, 4]);
    expect(limit.active).toBe(6);
    stuck.resolve();
    await Promise.all(background);
    expect(limit.active).toBe(0);
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
