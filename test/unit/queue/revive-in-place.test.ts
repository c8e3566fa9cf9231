/**
 * An alert evaluation collects every zone's job result; their Dates are revived in the parsed
 * value itself, so the collected results are not held twice. Stored results of every age must read
 * exactly as they did when they were revived through a JSON copy.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deserializeZoneCheck, reviveZoneCheck } from '../../../src/queue/serialization.js';

const STORED = ['zone-check-result-every-hostname.json', 'zone-snapshot-before-zone-level.json'].map((name) =>
  readFileSync(new URL(`../../fixtures/state/${name}`, import.meta.url), 'utf8'),
);

describe('reviveZoneCheck', () => {
  it.each(STORED.map((text, index) => [index, text] as const))(
    'reads stored result %i as the JSON reviver does',
    (_index, text) => {
      expect(reviveZoneCheck(JSON.parse(text))).toEqual(deserializeZoneCheck(text));
    },
  );

  it('revives the value it is given instead of copying it', () => {
    const parsed = JSON.parse(STORED[0] as string) as {
      checks: { assessment: { effectiveExpiry: unknown } }[];
    };
    const revived = reviveZoneCheck(parsed);
    expect(revived).toBe(parsed);
    expect(revived.checkedAt).toBeInstanceOf(Date);
    expect(parsed.checks[0]?.assessment.effectiveExpiry).toBeInstanceOf(Date);
  });

  it('revives only the date fields, and an unreadable date as null', () => {
    const revived = reviveZoneCheck({
      zone: { id: 'z', name: '2026-01-01T00:00:00.000Z' },
      checkedAt: 'not a date',
      checks: [{ hostname: '2026-01-01', assessment: { effectiveExpiry: '2026-02-01T00:00:00.000Z' } }],
    }) as unknown as Record<string, unknown>;
    expect(revived).toEqual({
      zone: { id: 'z', name: '2026-01-01T00:00:00.000Z' },
      checkedAt: null,
      checks: [
        { hostname: '2026-01-01', assessment: { effectiveExpiry: new Date('2026-02-01T00:00:00.000Z') } },
      ],
    });
  });
});
