import { describe, expect, it } from 'vitest';
import { digestInputFromRun } from '../../../src/digest/input.js';
import type { ZoneCheckResult } from '../../../src/inventory/zone-check.js';
import type { AssemblePayload } from '../../../src/queue/names.js';
import { renderDigest } from '../../../src/render/digest.js';
import { associationCheck, SLOT_TIME, TIME_ZONE, ZONE_A, ZONE_B, zoneFailure } from '../digest/builders.js';

const NOW = new Date(SLOT_TIME.getTime() + 60_000);
const NEXT = new Date('2026-11-27T08:00:00.000Z');

function payload(overrides: Partial<AssemblePayload> = {}): AssemblePayload {
  return {
    purpose: 'digest',
    slotId: `digest-slot-${SLOT_TIME.getTime()}`,
    slotTimeMs: SLOT_TIME.getTime(),
    startedAtMs: SLOT_TIME.getTime() + 2_000,
    lateByMs: 0,
    trigger: 'schedule',
    channel: null,
    zonesTotal: 2,
    plans: [],
    ...overrides,
  };
}

const results: ZoneCheckResult[] = [
  {
    zone: ZONE_A,
    checkedAt: NOW,
    checks: [associationCheck('a.a.example', 'critical'), associationCheck('b.a.example', 'ok')],
    failure: null,
    requests: 2,
  },
  { zone: ZONE_B, checkedAt: NOW, checks: [], failure: zoneFailure(ZONE_B), requests: 2 },
];

const context = { timeZone: TIME_ZONE, now: NOW, nextDigestAt: NEXT };

describe('digestInputFromRun', () => {
  it('carries every zone: the checks that ran and the zones that could not be checked', () => {
    const input = digestInputFromRun({ payload: payload(), results }, context);

    expect(input.checks.map((check) => check.hostname)).toEqual(['a.a.example', 'b.a.example']);
    expect(input.zoneFailures.map((failure) => failure.zone.id)).toEqual([ZONE_B.id]);
    expect(input).toMatchObject({
      slotTime: SLOT_TIME,
      generatedAt: NOW,
      nextDigestAt: NEXT,
      zonesTotal: 2,
      trigger: 'schedule',
      lateByMs: 0,
    });
  });

  it('says late what the tick found late, and the digest shows it', () => {
    const lateBy = 2 * 3_600_000;
    const input = digestInputFromRun(
      { payload: payload({ startedAtMs: SLOT_TIME.getTime() + lateBy, lateByMs: lateBy }), results },
      { ...context, now: new Date(SLOT_TIME.getTime() + lateBy) },
    );

    expect(input.lateByMs).toBe(lateBy);
    const [parent] = renderDigest(input).messages;
    expect(JSON.stringify(parent?.blocks)).toContain(
      'This digest is late: scheduled for 09:00 CET, posted 11:00 CET (the bot was down).',
    );
    expect(parent?.metadata?.event_payload).toMatchObject({ late: true, late_by_ms: lateBy });
  });

  it('works lateness out itself from payloads written before the tick decided it: 6 minutes late, 4 on time', () => {
    const { lateByMs: _absent, ...legacy } = payload();
    const sixMinutes = digestInputFromRun(
      { payload: { ...legacy, startedAtMs: SLOT_TIME.getTime() + 6 * 60_000 }, results },
      context,
    );
    const fourMinutes = digestInputFromRun(
      { payload: { ...legacy, startedAtMs: SLOT_TIME.getTime() + 4 * 60_000 }, results },
      context,
    );

    expect(sixMinutes.lateByMs).toBe(6 * 60_000);
    expect(fourMinutes.lateByMs).toBe(0);
  });

  it('never calls an on-demand digest late', () => {
    const { lateByMs: _absent, ...legacy } = payload();
    const input = digestInputFromRun(
      {
        payload: {
          ...legacy,
          trigger: 'on_demand',
          channel: 'C0ASKING',
          startedAtMs: SLOT_TIME.getTime() + 3_600_000,
        },
        results,
      },
      context,
    );

    expect(input.lateByMs).toBe(0);
    expect(input.trigger).toBe('on_demand');
  });
});
