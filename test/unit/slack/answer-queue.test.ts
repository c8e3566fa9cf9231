import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAnswerQueue } from '../../../src/slack/answer-queue.js';

const OPTIONS = {
  slots: 2,
  quietMs: 5,
  burstGapMs: 10,
  burstQuietMs: 40,
  maxHoldMs: 1_000,
  nowMs: () => Date.now(),
};

/** A piece of work that records when it started and finishes when told. */
function controllable(started: string[], name: string) {
  let finish: (value: string) => void = () => {};
  const work = () =>
    new Promise<string>((resolve) => {
      started.push(name);
      finish = resolve;
    });
  return { work, finish: () => finish(name) };
}

describe('answer queue', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('starts nothing in the turn that queued it, and starts once requests stop arriving', async () => {
    const queue = createAnswerQueue(OPTIONS);
    const started: string[] = [];
    queue.noteRequest();
    void queue.run(controllable(started, 'a').work);
    expect(started).toEqual([]);
    await vi.advanceTimersByTimeAsync(4);
    expect(started).toEqual([]);
    await vi.advanceTimersByTimeAsync(2);
    expect(started).toEqual(['a']);
  });

  it('holds answers back while a burst of requests arrives, and until it has clearly ended', async () => {
    const queue = createAnswerQueue(OPTIONS);
    const started: string[] = [];
    queue.noteRequest();
    void queue.run(controllable(started, 'a').work);
    for (let step = 0; step < 50; step += 1) {
      // A hiccup of 8 ms inside the burst is not its end.
      await vi.advanceTimersByTimeAsync(step === 25 ? 8 : 3);
      queue.noteRequest();
    }
    expect(started).toEqual([]);
    await vi.advanceTimersByTimeAsync(35);
    expect(started).toEqual([]);
    await vi.advanceTimersByTimeAsync(6);
    expect(started).toEqual(['a']);
  });

  it('answers between the requests of a steady stream that is not a burst', async () => {
    const queue = createAnswerQueue(OPTIONS);
    const started: string[] = [];
    const requests = setInterval(() => queue.noteRequest(), 20);
    await vi.advanceTimersByTimeAsync(41);
    void queue.run(controllable(started, 'a').work);
    await vi.advanceTimersByTimeAsync(12);
    expect(started).toEqual(['a']);
    clearInterval(requests);
  });

  it('starts an answer after maxHoldMs even when requests never stop', async () => {
    const queue = createAnswerQueue(OPTIONS);
    const started: string[] = [];
    queue.noteRequest();
    void queue.run(controllable(started, 'a').work);
    const requests = setInterval(() => queue.noteRequest(), 2);
    await vi.advanceTimersByTimeAsync(990);
    expect(started).toEqual([]);
    await vi.advanceTimersByTimeAsync(20);
    expect(started).toEqual(['a']);
    clearInterval(requests);
  });

  it('runs at most `slots` answers at once, in the order they were queued', async () => {
    const queue = createAnswerQueue(OPTIONS);
    const started: string[] = [];
    const works = ['a', 'b', 'c', 'd'].map((name) => controllable(started, name));
    const results = works.map((work) => queue.run(work.work));
    await vi.advanceTimersByTimeAsync(10);
    expect(started).toEqual(['a', 'b']);
    expect(queue.size).toEqual({ waiting: 2, running: 2 });
    works[1]?.finish();
    await vi.advanceTimersByTimeAsync(10);
    expect(started).toEqual(['a', 'b', 'c']);
    works[0]?.finish();
    works[2]?.finish();
    await vi.advanceTimersByTimeAsync(10);
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    works[3]?.finish();
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c', 'd']);
    expect(queue.size).toEqual({ waiting: 0, running: 0 });
  });

  it("passes the work's failure to the caller and keeps serving", async () => {
    const queue = createAnswerQueue(OPTIONS);
    const failed = queue.run(() => {
      throw new Error('Cloudflare said no');
    });
    const rejected = expect(failed).rejects.toThrow('Cloudflare said no');
    await vi.advanceTimersByTimeAsync(10);
    await rejected;
    const next = queue.run(async () => 'card');
    await vi.advanceTimersByTimeAsync(10);
    expect(await next).toBe('card');
  });

  it('settle starts held answers at once and resolves when all have finished', async () => {
    const queue = createAnswerQueue(OPTIONS);
    const started: string[] = [];
    const first = controllable(started, 'a');
    queue.noteRequest();
    void queue.run(first.work);
    let settled = false;
    void queue.settle().then(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toEqual(['a']);
    expect(settled).toBe(false);
    first.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(true);
  });
});
