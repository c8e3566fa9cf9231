import { describe, expect, it } from 'vitest';
import {
  describeDuration,
  describeRelativeDays,
  formatDate,
  formatDateTime,
  isValidTimeZone,
} from '../../../src/domain/time.js';

const NOW = new Date('2026-01-01T12:00:00.000Z');
const HOUR_MS = 3_600_000;
const at = (hoursFromNow: number) => new Date(NOW.getTime() + hoursFromNow * HOUR_MS);

describe('formatDate and formatDateTime', () => {
  it('gives the calendar date in the configured zone', () => {
    const lateEvening = new Date('2026-12-01T23:30:00.000Z');
    expect(formatDate(lateEvening, 'UTC')).toBe('2026-12-01');
    expect(formatDate(lateEvening, 'Europe/Berlin')).toBe('2026-12-02');
    expect(formatDate(lateEvening, 'America/Los_Angeles')).toBe('2026-12-01');
  });

  it('adds the time and the zone abbreviation, or the offset where Intl has no abbreviation', () => {
    const instant = new Date('2026-07-01T10:00:00.000Z');
    expect(formatDateTime(instant, 'UTC')).toBe('2026-07-01 10:00 UTC');
    expect(formatDateTime(instant, 'America/Los_Angeles')).toBe('2026-07-01 03:00 PDT');
    expect(formatDateTime(instant, 'Europe/Berlin')).toBe('2026-07-01 12:00 GMT+2');
    expect(formatDateTime(instant, 'Asia/Kolkata')).toBe('2026-07-01 15:30 GMT+5:30');
  });

  it('follows daylight saving time', () => {
    expect(formatDateTime(new Date('2026-01-15T10:00:00.000Z'), 'Europe/Berlin')).toBe(
      '2026-01-15 11:00 GMT+1',
    );
  });

  it('throws a RangeError for an invalid Date instead of printing NaN', () => {
    expect(() => formatDate(new Date(Number.NaN), 'UTC')).toThrow(RangeError);
  });
});

describe('describeRelativeDays (whole 24-hour periods, truncated toward zero)', () => {
  it.each([
    [at(5 * 24), 'in 5 days'],
    [at(5 * 24 + 23), 'in 5 days'],
    [at(2 * 24), 'in 2 days'],
    [at(47), 'tomorrow'],
    [at(24), 'tomorrow'],
    [at(23), 'today'],
    [NOW, 'today'],
    [at(-3), 'today'],
    [at(-24), 'yesterday'],
    [at(-3 * 24), '3 days ago'],
  ])('describes %s as %j', (date, phrase) => {
    expect(describeRelativeDays(date, NOW)).toBe(phrase);
  });
});

describe('isValidTimeZone', () => {
  it.each(['Europe/Berlin', 'UTC', 'America/Argentina/Buenos_Aires'])('accepts %j', (zone) => {
    expect(isValidTimeZone(zone)).toBe(true);
  });

  it.each(['Mars/Olympus', '', ' Europe/Berlin', 'Europe/Berlin\n'])('rejects %j', (zone) => {
    expect(isValidTimeZone(zone)).toBe(false);
  });
});

describe('describeDuration', () => {
  it.each([
    [0, '0 min'],
    [59_999, '0 min'],
    [45 * 60_000, '45 min'],
    [120 * 60_000, '2 h'],
    [190 * 60_000, '3 h 10 min'],
    [(2 * 24 + 4) * HOUR_MS + 59 * 60_000, '2 d 4 h'],
  ])('describes %i ms as %j', (durationMs, text) => {
    expect(describeDuration(durationMs)).toBe(text);
  });
});
