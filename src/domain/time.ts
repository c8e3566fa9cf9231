/**
 * Dates as people read them. Every function takes the instant (and the clock, where one matters)
 * as an argument; nothing here reads the current time.
 */

/** Milliseconds in one 24-hour day; "days" in this codebase are 24-hour periods, not calendar days. */
export const DAY_MS = 24 * 60 * 60 * 1000;

function assertValidDate(date: Date, functionName: string): void {
  if (Number.isNaN(date.getTime())) {
    throw new RangeError(`${functionName}: invalid Date`);
  }
}

/**
 * True when `timeZone` is an IANA zone name the runtime knows (`Europe/Berlin`, `UTC`).
 *
 * @example isValidTimeZone('Europe/Berlin') // true
 * @example isValidTimeZone('Mars/Olympus') // false
 */
export function isValidTimeZone(timeZone: string): boolean {
  if (typeof timeZone !== 'string' || timeZone.trim() === '' || timeZone !== timeZone.trim()) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The calendar date of `date` in `timeZone`, as `yyyy-MM-dd`.
 * Throws a RangeError for an invalid Date or an unknown zone (config validates the zone once, so
 * reaching that here is a programming error, not bad input).
 *
 * @example formatDate(new Date('2026-12-01T23:30:00Z'), 'Europe/Berlin') // '2026-12-02'
 */
export function formatDate(date: Date, timeZone: string): string {
  assertValidDate(date, 'formatDate');
  const parts = partsIn(date, timeZone);
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/**
 * One Intl formatter per zone, reused: building a DateTimeFormat costs about 0.2 ms, and a status
 * card formats a dozen times while the next slash command waits for the same event loop.
 */
const FORMATTERS = new Map<string, Intl.DateTimeFormat>();

function partsIn(
  date: Date,
  timeZone: string,
): Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'timeZoneName', string> {
  let formatter = FORMATTERS.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
    FORMATTERS.set(timeZone, formatter);
  }
  const parts = { year: '', month: '', day: '', hour: '', minute: '', timeZoneName: '' };
  for (const part of formatter.formatToParts(date)) {
    if (part.type in parts) parts[part.type as keyof typeof parts] = part.value;
  }
  parts.year = parts.year.padStart(4, '0');
  return parts;
}

/**
 * Date and minute in `timeZone`, followed by the zone's short name. Intl only knows abbreviations
 * for some zones in English (`PDT`, `UTC`); for the rest it gives the offset (`GMT+2`), which is
 * still unambiguous.
 *
 * @example formatDateTime(new Date('2026-07-01T10:00:00Z'), 'America/Los_Angeles') // '2026-07-01 03:00 PDT'
 * @example formatDateTime(new Date('2026-07-01T10:00:00Z'), 'Europe/Berlin') // '2026-07-01 12:00 GMT+2'
 */
export function formatDateTime(date: Date, timeZone: string): string {
  assertValidDate(date, 'formatDateTime');
  const parts = partsIn(date, timeZone);
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${parts.timeZoneName}`;
}

/**
 * Whole 24-hour days from `now` to `date`, truncated toward zero: 47 hours ahead is 1, 2 hours
 * ago is 0. (Severity uses `Math.floor` for `daysUntilExpiry`; the two agree for future dates.)
 */
export function wholeDaysBetween(now: Date, date: Date): number {
  const days = Math.trunc((date.getTime() - now.getTime()) / DAY_MS);
  // Math.trunc(-0.5) is -0; keep the result a plain 0 so callers can compare with ===.
  return days === 0 ? 0 : days;
}

/**
 * A short phrase for how far `date` is from `now`, counted in whole 24-hour periods (see
 * `wholeDaysBetween`): less than 24 hours either way is "today", so an expiry 3 hours ago reads
 * "today" rather than "yesterday".
 *
 * @example describeRelativeDays(new Date('2026-01-06T12:00:00Z'), new Date('2026-01-01T12:00:00Z')) // 'in 5 days'
 * @example describeRelativeDays(new Date('2026-01-02T13:00:00Z'), new Date('2026-01-01T12:00:00Z')) // 'tomorrow'
 * @example describeRelativeDays(new Date('2025-12-29T12:00:00Z'), new Date('2026-01-01T12:00:00Z')) // '3 days ago'
 */
export function describeRelativeDays(date: Date, now: Date): string {
  assertValidDate(date, 'describeRelativeDays');
  assertValidDate(now, 'describeRelativeDays');
  const days = wholeDaysBetween(now, date);
  if (days === 0) return 'today';
  if (days === 1) return 'tomorrow';
  if (days === -1) return 'yesterday';
  return days > 0 ? `in ${days} days` : `${-days} days ago`;
}

/**
 * A duration as people say it, rounded down to minutes: "45 min", "3 h 10 min", "2 d 4 h".
 *
 * @example describeDuration(190 * 60_000) // '3 h 10 min'
 */
export function describeDuration(durationMs: number): string {
  const totalMinutes = Math.max(0, Math.floor(durationMs / 60_000));
  const days = Math.floor(totalMinutes / (24 * 60));
  const hours = Math.floor((totalMinutes % (24 * 60)) / 60);
  const minutes = totalMinutes % 60;
  if (days > 0) return hours > 0 ? `${days} d ${hours} h` : `${days} d`;
  if (hours > 0) return minutes > 0 ? `${hours} h ${minutes} min` : `${hours} h`;
  return `${minutes} min`;
}
