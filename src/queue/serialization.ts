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

/** BullMQ hands back job return values already parsed; revive their Dates the same way. */
export function reviveZoneCheck(value: unknown): ZoneCheckResult {
  return deserializeZoneCheck(JSON.stringify(value));
}
