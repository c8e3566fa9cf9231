/**
 * Action ids, block ids and button values shared by the renderers (which put them on messages)
 * and the listeners (which match on them). Button values come back from Slack as untrusted text,
 * so every decoder validates and returns null for anything it did not produce.
 */
import { parseHostname, parseZoneId } from '../domain/hostname.js';

export const ACTION_IDS = {
  refreshLookup: 'aop_lookup_refresh',
  shareLookup: 'aop_lookup_share',
  alertAcknowledge: 'aop_alert_ack',
  alertSnooze: 'aop_alert_snooze',
  alertRefresh: 'aop_alert_refresh',
  alertHostnames: 'aop_alert_hostnames',
  homeRefresh: 'aop_home_refresh',
} as const;
export type ActionId = (typeof ACTION_IDS)[keyof typeof ACTION_IDS];

export const BLOCK_IDS = {
  lookupActions: 'aop_lookup_actions',
  alertActions: 'aop_alert_actions',
  homeActions: 'aop_home_actions',
} as const;
export type BlockId = (typeof BLOCK_IDS)[keyof typeof BLOCK_IDS];

/** Values are short JSON; anything longer than this was not made by an encoder here. */
const MAX_VALUE_CHARS = 2000;
/** Bumped if a value's shape changes, so a button on an old message decodes to null, not garbage. */
const VALUE_VERSION = 1;

export interface LookupButtonValue {
  hostname: string;
  zoneId: string;
}

export interface AlertButtonValue {
  episodeId: string;
}

/**
 * Episode ids are made by the alert store; this accepts the characters an id built from a zone
 * id, a hostname and a timestamp or UUID can contain, and nothing that could carry markup.
 */
const EPISODE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:*-]{0,254}$/;

function parseJsonObject(value: unknown): Record<string, unknown> | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_VALUE_CHARS) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return null;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
  const record = parsed as Record<string, unknown>;
  return record.v === VALUE_VERSION ? record : null;
}

/**
 * The value of a Refresh / Share button on a status card.
 *
 * @example encodeLookupValue({ hostname: 'app.example.com', zoneId: '023e105f4ecef8ad9ca31a8372d0c353' })
 * // '{"v":1,"h":"app.example.com","z":"023e105f4ecef8ad9ca31a8372d0c353"}'
 */
export function encodeLookupValue(value: LookupButtonValue): string {
  return JSON.stringify({ v: VALUE_VERSION, h: value.hostname, z: value.zoneId });
}

/**
 * Reads a lookup button value back; null when it is malformed or the hostname or zone id does not
 * validate (a tampered payload). The hostname must already be in normal form, as encoders write it.
 */
export function decodeLookupValue(value: unknown): LookupButtonValue | null {
  const record = parseJsonObject(value);
  if (record === null) return null;
  const { h: hostname, z: zoneId } = record;
  if (typeof hostname !== 'string' || typeof zoneId !== 'string') return null;
  const parsedHostname = parseHostname(hostname);
  const parsedZoneId = parseZoneId(zoneId);
  if (!parsedHostname.ok || !parsedZoneId.ok) return null;
  if (parsedHostname.hostname !== hostname || parsedZoneId.zoneId !== zoneId) return null;
  return { hostname, zoneId };
}

/**
 * The value of an alert's Acknowledge / Snooze / Refresh button.
 *
 * @example encodeAlertValue({ episodeId: 'ep-42' }) // '{"v":1,"e":"ep-42"}'
 */
export function encodeAlertValue(value: AlertButtonValue): string {
  return JSON.stringify({ v: VALUE_VERSION, e: value.episodeId });
}

/** Reads an alert button value back; null unless it carries a well-formed episode id. */
export function decodeAlertValue(value: unknown): AlertButtonValue | null {
  const record = parseJsonObject(value);
  if (record === null) return null;
  const { e: episodeId } = record;
  if (typeof episodeId !== 'string' || !EPISODE_ID_PATTERN.test(episodeId)) return null;
  return { episodeId };
}
