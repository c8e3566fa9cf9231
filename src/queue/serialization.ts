import type { ZoneCheckResult } from '../inventory/zone-check.js';

/**
 * Job results and snapshots travel through Redis as JSON, which turns Dates into strings. These
 * field names are the Dates of the domain model; the reviver restores exactly those, so a
 * hostname or reason that happens to look like a date is never touched.
 */
const DATE_FIELDS = new Set([
  'checkedAt',
  'expiresOn',
  'associationCreatedAt',
  'associationUpdatedAt',
  'certificateUploadedOn',
  'certificateUpdatedAt',
  'uploadedOn',
  'effectiveExpiry',
  'validFrom',
  'validTo',
]);

export function reviveDates(key: string, value: unknown): unknown {
  if (DATE_FIELDS.has(key) && typeof value === 'string') {
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? null : date;
  }
  return value;
}

export function serializeZoneCheck(result: ZoneCheckResult): string {
  return JSON.stringify(result);
}

export function deserializeZoneCheck(text: string): ZoneCheckResult {
  return JSON.parse(text, reviveDates) as ZoneCheckResult;
}

/**
 * BullMQ hands back job return values already parsed; their Dates are revived the same way, in
 * place: the value is taken over, not copied. An alert evaluation of 100,000 hostnames collects
 * about 150 MB of parsed results, and a revived copy beside them would double that.
 */
export function reviveZoneCheck(value: unknown): ZoneCheckResult {
  return reviveDatesInPlace(value) as ZoneCheckResult;
}

/** What `JSON.parse(JSON.stringify(value), reviveDates)` gives, made from `value` itself. */
function reviveDatesInPlace(value: unknown): unknown {
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) value[index] = reviveDatesInPlace(value[index]);
    return value;
  }
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const field = record[key];
    if (field === undefined) delete record[key];
    else record[key] = reviveDates(key, reviveDatesInPlace(field));
  }
  return record;
}
