/**
 * `cloudflare.concurrency`: how many Cloudflare requests one process has in flight, all callers
 * and all accounts together. Zone jobs, per-hostname fallbacks, lookups and the command line each
 * bound their own fan-out too, but only this bound holds when they overlap: without it the limits
 * multiply (zone jobs × hostnames per zone).
 *
 * A person waiting for a card comes before background work: an urgent request takes the next free
 * slot ahead of every queued one, so a digest of hundreds of zones does not push a lookup past
 * its deadline.
 */
export interface InFlightLimit {
  /** Runs `task` once a slot is free; `urgent` tasks go ahead of the queue. */
  run<T>(task: () => Promise<T>, options?: { urgent?: boolean }): Promise<T>;
  /** Requests running now; for tests and metrics. */
  readonly active: number;
  /** Requests waiting for a slot. */
  readonly waiting: number;
}

/**
 * @example
 * const inFlight = createInFlightLimit(8);
 * await inFlight.run(() => request(url), { urgent: true });
 */
export function createInFlightLimit(maxInFlight: number): InFlightLimit {
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
    throw new RangeError(`maxInFlight must be a positive integer, not ${maxInFlight}`);
  }
  let active = 0;
  const urgentQueue: (() => void)[] = [];
  const backgroundQueue: (() => void)[] = [];

  const release = () => {
    active -= 1;
    const next = urgentQueue.shift() ?? backgroundQueue.shift();
    if (next) {
      active += 1;
      next();
    }
  };

  return {
    get active() {
      return active;
    },
    get waiting() {
      return urgentQueue.length + backgroundQueue.length;
    },
    async run(task, options = {}) {
      if (active < maxInFlight) active += 1;
      else
        await new Promise<void>((resolve) => (options.urgent ? urgentQueue : backgroundQueue).push(resolve));
      try {
        return await task();
      } finally {
        release();
      }
    },
  };
}
