import { describe, expect, it } from 'vitest';
import {
  ACTION_IDS,
  decodeAlertValue,
  decodeLookupValue,
  encodeAlertValue,
  encodeLookupValue,
} from '../../../src/slack/ids.js';

const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';

describe('button values carried by the status card and the alerts', () => {
  it('keeps the action ids listeners match on', () => {
    expect(ACTION_IDS).toEqual({
      refreshLookup: 'aop_lookup_refresh',
      shareLookup: 'aop_lookup_share',
      alertAcknowledge: 'aop_alert_ack',
      alertSnooze: 'aop_alert_snooze',
      alertRefresh: 'aop_alert_refresh',
      alertHostnames: 'aop_alert_hostnames',
      homeRefresh: 'aop_home_refresh',
    });
  });

  it('round-trips a lookup value', () => {
    const encoded = encodeLookupValue({ hostname: '*.example.com', zoneId: ZONE_ID });
    expect(encoded).toBe(`{"v":1,"h":"*.example.com","z":"${ZONE_ID}"}`);
    expect(decodeLookupValue(encoded)).toEqual({ hostname: '*.example.com', zoneId: ZONE_ID });
  });

  it.each([
    ['not json', 'not json'],
    ['an array', '[1]'],
    ['null', 'null'],
    ['another version', `{"v":2,"h":"app.example.com","z":"${ZONE_ID}"}`],
    ['a hostile hostname', `{"v":1,"h":"<!channel>.example.com","z":"${ZONE_ID}"}`],
    ['a path', `{"v":1,"h":"../../admin","z":"${ZONE_ID}"}`],
    ['a hostname not in normal form', `{"v":1,"h":"App.Example.com","z":"${ZONE_ID}"}`],
    ['a short zone id', '{"v":1,"h":"app.example.com","z":"023e"}'],
    ['an uppercase zone id', `{"v":1,"h":"app.example.com","z":"${ZONE_ID.toUpperCase()}"}`],
    ['a number for the hostname', `{"v":1,"h":42,"z":"${ZONE_ID}"}`],
    ['an oversized value', `{"v":1,"h":"app.example.com","z":"${ZONE_ID}","pad":"${'x'.repeat(3000)}"}`],
  ])('decodes a tampered lookup value (%s) to null', (_name, raw) => {
    expect(decodeLookupValue(raw)).toBeNull();
  });

  it('decodes a non-string to null', () => {
    expect(decodeLookupValue(undefined)).toBeNull();
    expect(decodeAlertValue(42)).toBeNull();
  });

  it('round-trips an alert episode id', () => {
    const episodeId = `${ZONE_ID}:app.example.com:1764144000000`;
    const encoded = encodeAlertValue({ episodeId });
    expect(encoded).toBe(`{"v":1,"e":"${episodeId}"}`);
    expect(decodeAlertValue(encoded)).toEqual({ episodeId });
  });

  it.each([
    '{"v":1,"e":""}',
    '{"v":1,"e":"<!channel>"}',
    '{"v":1,"e":"a b"}',
    `{"v":1,"e":"${'a'.repeat(256)}"}`,
    '{"v":1}',
    '{"e":"ep-1"}',
  ])('decodes a tampered alert value %j to null', (raw) => {
    expect(decodeAlertValue(raw)).toBeNull();
  });
});
