import { describe, expect, it } from 'vitest';
import {
  type ExistingScheduler,
  LATE_AFTER_MS,
  lateByMs,
  nextScheduledRun,
  planSchedulerStart,
  slotTimeOfTick,
  stableJson,
  type WantedScheduler,
} from '../../../src/queue/schedule.js';

const BERLIN = 'Europe/Berlin';

describe('nextScheduledRun', () => {
  it('keeps 09:00 Berlin across the spring clock change (CET → CEST)', () => {
    // Friday 10:00 CET → the next working day is Monday, by then on summer time.
    expect(nextScheduledRun('0 9 * * 1-5', BERLIN, new Date('2026-03-27T09:00:00Z'))?.toISOString()).toBe(
      '2026-03-30T07:00:00.000Z',
    );
  });

  it('keeps 09:00 Berlin across the autumn clock change (CEST → CET)', () => {
    expect(nextScheduledRun('0 9 * * 1-5', BERLIN, new Date('2026-10-23T08:00:00Z'))?.toISOString()).toBe(
      '2026-10-26T08:00:00.000Z',
    );
  });

  it('skips the weekend and takes the same morning when it is still to come', () => {
    expect(nextScheduledRun('0 9 * * 1-5', BERLIN, new Date('2026-11-27T07:59:00Z'))?.toISOString()).toBe(
      '2026-11-27T08:00:00.000Z',
    );
    expect(nextScheduledRun('0 9 * * 1-5', BERLIN, new Date('2026-11-27T08:00:00Z'))?.toISOString()).toBe(
      '2026-11-30T08:00:00.000Z',
    );
  });

  it('reads a 6-field pattern with seconds first', () => {
    expect(
      nextScheduledRun('*/2 * * * * *', BERLIN, new Date('2026-11-27T12:00:00.500Z'))?.toISOString(),
    ).toBe('2026-11-27T12:00:02.000Z');
  });

  it('answers null for a pattern it cannot read', () => {
    expect(nextScheduledRun('every morning', BERLIN, new Date('2026-11-27T12:00:00Z'))).toBeNull();
  });
});

describe('slotTimeOfTick', () => {
  it('takes the slot the payload names (on-demand and catch-up ticks)', () => {
    expect(
      slotTimeOfTick({
        data: { trigger: 'schedule', slotTimeMs: 1_000 },
        opts: { prevMillis: 2_000 },
        timestamp: 3_000,
      }),
    ).toBe(1_000);
  });

  it('takes the slot BullMQ recorded for a scheduler job, not when the job was created', () => {
    expect(
      slotTimeOfTick({
        data: { trigger: 'schedule' },
        opts: { prevMillis: 2_000, delay: 500 },
        timestamp: 1_000,
      }),
    ).toBe(2_000);
  });

  it('falls back to when the job was due', () => {
    expect(slotTimeOfTick({ data: { trigger: 'schedule' }, opts: { delay: 500 }, timestamp: 1_000 })).toBe(
      1_500,
    );
  });
});

describe('lateByMs', () => {
  it('calls a scheduled run late once it starts more than 5 minutes after its slot', () => {
    expect(lateByMs({ trigger: 'schedule', slotTimeMs: 0, startedAtMs: LATE_AFTER_MS + 1 })).toBe(
      LATE_AFTER_MS + 1,
    );
    expect(lateByMs({ trigger: 'schedule', slotTimeMs: 0, startedAtMs: LATE_AFTER_MS })).toBe(0);
    expect(lateByMs({ trigger: 'schedule', slotTimeMs: 0, startedAtMs: 4 * 60_000 })).toBe(0);
  });

  it('never calls an on-demand run late', () => {
    expect(lateByMs({ trigger: 'on_demand', slotTimeMs: 0, startedAtMs: 3_600_000 })).toBe(0);
  });

  it('uses the threshold it is given', () => {
    expect(lateByMs({ trigger: 'schedule', slotTimeMs: 0, startedAtMs: 1_500, lateAfterMs: 1_000 })).toBe(
      1_500,
    );
  });
});

describe('planSchedulerStart', () => {
  const template = {
    name: 'digest-tick',
    data: { trigger: 'schedule' },
    opts: { attempts: 3, backoff: { type: 'exponential', delay: 1000 } },
  };
  const wanted: WantedScheduler = { pattern: '0 9 * * 1-5', timeZone: BERLIN, template };
  const now = 10_000;
  const existing = (overrides: Partial<ExistingScheduler> = {}): ExistingScheduler => ({
    pattern: '0 9 * * 1-5',
    timeZone: BERLIN,
    template,
    nextMs: 20_000,
    pendingJobState: 'delayed',
    ...overrides,
  });

  it('creates a scheduler that does not exist yet', () => {
    expect(planSchedulerStart(wanted, null, now)).toEqual({ upsert: true, catchUpSlotMs: null });
  });

  it('leaves an unchanged scheduler alone, so a slot that fell due while no worker ran is still run', () => {
    expect(planSchedulerStart(wanted, existing({ nextMs: 5_000, pendingJobState: 'waiting' }), now)).toEqual({
      upsert: false,
      catchUpSlotMs: null,
    });
    expect(planSchedulerStart(wanted, existing(), now)).toEqual({ upsert: false, catchUpSlotMs: null });
  });

  it('sees the same template whatever the order of its keys', () => {
    const reordered = {
      opts: { backoff: { delay: 1000, type: 'exponential' }, attempts: 3 },
      data: { trigger: 'schedule' },
      name: 'digest-tick',
    };
    expect(planSchedulerStart(wanted, existing({ template: reordered }), now).upsert).toBe(false);
  });

  it('upserts a changed schedule and first queues the overdue slot it would delete', () => {
    expect(planSchedulerStart(wanted, existing({ pattern: '0 8 * * *', nextMs: 5_000 }), now)).toEqual({
      upsert: true,
      catchUpSlotMs: 5_000,
    });
    expect(planSchedulerStart(wanted, existing({ timeZone: 'UTC', nextMs: 5_000 }), now)).toEqual({
      upsert: true,
      catchUpSlotMs: 5_000,
    });
  });

  it('upserts a changed schedule without a catch-up when its next slot is still to come', () => {
    expect(planSchedulerStart(wanted, existing({ template: { ...template, opts: {} } }), now)).toEqual({
      upsert: true,
      catchUpSlotMs: null,
    });
  });

  it('does not catch up a slot that is running right now', () => {
    expect(
      planSchedulerStart(
        wanted,
        existing({ pattern: '0 8 * * *', nextMs: 5_000, pendingJobState: 'active' }),
        now,
      ),
    ).toEqual({
      upsert: true,
      catchUpSlotMs: null,
    });
  });

  it('repairs a scheduler that lost its pending job', () => {
    expect(planSchedulerStart(wanted, existing({ pendingJobState: null }), now)).toEqual({
      upsert: true,
      catchUpSlotMs: null,
    });
    expect(
      planSchedulerStart(wanted, existing({ pendingJobState: 'completed', nextMs: 5_000 }), now),
    ).toEqual({
      upsert: true,
      catchUpSlotMs: null,
    });
  });
});

describe('stableJson', () => {
  it('writes equal objects the same way whatever their key order', () => {
    expect(stableJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}',
    );
  });
});
