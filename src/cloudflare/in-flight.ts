/**
 * `cloudflare.concurrency`: how many Cloudflare requests one process has in flight, all callers
 * and all accounts together. Zone jobs, per-hostname fallbacks, lookups and the command line each
 * bound their own fan-out too, but only this bound holds when they overlap: without it the limits
 * multiply (zone jobs × hostnames per zone).
 *
 * A person waiting for a card comes before background work: an urgent request takes the next free
 * slot ahead of every queued one, and a quarter of the slots are never given to background work,
 * so a digest of hundreds of zones waiting for rate-limit budget does not push a lookup past its
 * deadline.
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
 * Slots background work may hold, out of `maxInFlight`: a quarter (at least one) is kept for people.
 * Background requests hold their slot while they wait for rate-limit budget (the 80% share of the
 * window), which at scale lasts until the window slides; without kept slots a lookup would wait
 * behind them however urgent it is.
 *
 * @example backgroundSlots(8) // 6
 * @example backgroundSlots(1) // 1 (nothing can be kept)
 */
export function backgroundSlots(maxInFlight: number): number {
  if (maxInFlight <= 1) return maxInFlight;
  return maxInFlight - Math.max(1, Math.round(maxInFlight / 4));
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
  const maxBackground = backgroundSlots(maxInFlight);
  let active = 0;
  let activeBackground = 0;
  const urgentQueue: (() => void)[] = [];
  const backgroundQueue: (() => void)[] = [];

  /** Starts queued tasks while slots allow: people first, background only within its share. */
  const startQueued = () => {
    while (active < maxInFlight) {
      const urgent = urgentQueue.shift();
      if (urgent) {
        active += 1;
        urgent();
        continue;
      }
      if (activeBackground >= maxBackground) return;
      const background = backgroundQueue.shift();
      if (!background) return;
      active += 1;
      activeBackground += 1;
      background();
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
      const urgent = options.urgent === true;
      const free = active < maxInFlight && (urgent || activeBackground < maxBackground);
      if (free) {
        active += 1;
        if (!urgent) activeBackground += 1;
      } else {
        await new Promise<void>((resolve) => (urgent ? urgentQueue : backgroundQueue).push(resolve));
      }
      try {
        return await task();
      } finally {
        active -= 1;
        if (!urgent) activeBackground -= 1;
        startQueued();
      }
    },
  };
}
