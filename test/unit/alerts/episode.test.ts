import { describe, expect, it } from 'vitest';
import {
  ALERT_STATE_SCHEMA_VERSION,
  alertStateChanged,
  certificateKeyOf,
  deserializeAlertState,
  type Episode,
  episodeIdFor,
  type HostnameAlertState,
  initialAlertState,
  serializeAlertState,
} from '../../../src/alerts/episode.js';
import { AopError } from '../../../src/errors.js';
import { EXPIRY, HOSTNAME, SERIAL, ZONE_ID } from './builders.js';

const OPENED_AT = new Date('2026-12-02T08:15:00.000Z');

function fullEpisode(): Episode {
  return {
    id: 'ep_0123456789abcdef01234567',
    kind: 'certificate',
    certificateKey: SERIAL,
    openedAt: OPENED_AT,
    parent: { channel: 'C0INCIDENT', ts: '1764663300.000100' },
    currentSeverity: 'critical',
    reasonCodes: ['expiring_critical', 'deployment_timed_out'],
    associationStatus: 'active',
    certificateStatus: 'deployment_timed_out',
    aopSwitch: 'on',
    expiresOn: EXPIRY,
    rungsPosted: [30, 14, 7],
    lastStatusSignature: 'abc',
    parentSignature: 'def',
    acknowledged: { userId: 'U0ACKER', at: new Date('2026-12-02T09:00:00.000Z') },
    snoozedUntil: new Date('2026-12-03T09:00:00.000Z'),
    resolvedAt: new Date('2026-12-04T09:00:00.000Z'),
    resolution: {
      reason: 'renewed',
      newCertificateKey: '42',
      newExpiresOn: new Date('2027-12-31T12:00:00.000Z'),
    },
    pendingRepliesWhileSnoozed: 2,
    switchWentOff: false,
    checkError: {
      errorCode: 'cloudflare_timeout',
      errorMessage: 'no answer',
      noticedAt: new Date('2026-12-02T08:45:00.000Z'),
    },
    group: null,
  };
}

function fullState(): HostnameAlertState {
  return {
    zoneId: ZONE_ID,
    hostname: HOSTNAME,
    lastSeenSwitch: 'on',
    consecutiveCheckFailures: 1,
    episode: fullEpisode(),
  };
}

function invalidReason(json: string): string {
  try {
    deserializeAlertState(json);
  } catch (error) {
    expect(error).toBeInstanceOf(AopError);
    expect((error as AopError).code).toBe('alert_state_invalid');
    return (error as AopError).message;
  }
  throw new Error('expected deserializeAlertState to throw');
}

describe('serializeAlertState / deserializeAlertState', () => {
  it('round-trips every field, Dates included', () => {
    const state = fullState();
    const back = deserializeAlertState(serializeAlertState(state));
    expect(back).toEqual(state);
    expect(back.episode?.expiresOn).toBeInstanceOf(Date);
    expect(back.episode?.acknowledged?.at).toBeInstanceOf(Date);
  });

  it('round-trips a state with no episode', () => {
    const state = initialAlertState(ZONE_ID, HOSTNAME);
    expect(deserializeAlertState(serializeAlertState(state))).toEqual(state);
  });

  it('writes the schema version and ISO dates', () => {
    const stored = JSON.parse(serializeAlertState(fullState()));
    expect(stored.schemaVersion).toBe(ALERT_STATE_SCHEMA_VERSION);
    expect(stored.episode.openedAt).toBe('2026-12-02T08:15:00.000Z');
  });

  it('serialises equal states equally whatever order their fields were built in', () => {
    const state = fullState();
    const episode = fullEpisode();
    const reversedEpisode = Object.fromEntries(Object.entries(episode).reverse()) as unknown as Episode;
    const reordered = Object.fromEntries(
      Object.entries({ ...state, episode: reversedEpisode }).reverse(),
    ) as unknown as HostnameAlertState;
    expect(Object.keys(reordered)[0]).toBe('episode');
    expect(serializeAlertState(reordered)).toBe(serializeAlertState(state));
    expect(alertStateChanged(state, reordered)).toBe(false);
    expect(alertStateChanged(state, { ...state, consecutiveCheckFailures: 2 })).toBe(true);
  });

  it('rejects text that is not JSON', () => {
    expect(invalidReason('not json')).toBe('Stored alert state is not JSON.');
  });

  it('rejects another schema version', () => {
    const stored = { ...JSON.parse(serializeAlertState(fullState())), schemaVersion: 99 };
    expect(invalidReason(JSON.stringify(stored))).toContain('schemaVersion');
  });

  it('names every invalid field', () => {
    const stored = JSON.parse(serializeAlertState(fullState()));
    stored.episode.expiresOn = 'next tuesday';
    stored.episode.currentSeverity = 'apocalyptic';
    delete stored.hostname;
    const message = invalidReason(JSON.stringify(stored));
    expect(message).toContain('episode.expiresOn');
    expect(message).toContain('episode.currentSeverity');
    expect(message).toContain('hostname');
  });

  it('rejects garbage shapes', () => {
    expect(invalidReason('[]')).toContain('Stored alert state is not valid');
    expect(invalidReason('null')).toContain('Stored alert state is not valid');
  });
});

describe('episode keys and ids', () => {
  it('prefers the serial number, then the certificate id, then none', () => {
    expect(certificateKeyOf({ serialNumber: SERIAL, certificateId: 'cert-1' })).toBe(SERIAL);
    expect(certificateKeyOf({ serialNumber: '  ', certificateId: 'cert-1' })).toBe('cert-1');
    expect(certificateKeyOf({ serialNumber: null, certificateId: null })).toBe('none');
  });

  it('derives the same id from the same key and opening time, and a different one otherwise', () => {
    const key = { kind: 'certificate' as const, zoneId: ZONE_ID, hostname: HOSTNAME, certificateKey: SERIAL };
    const id = episodeIdFor({ ...key, openedAt: OPENED_AT });
    expect(id).toMatch(/^ep_[0-9a-f]{24}$/);
    expect(episodeIdFor({ ...key, openedAt: new Date(OPENED_AT.getTime()) })).toBe(id);
    expect(episodeIdFor({ ...key, openedAt: new Date(OPENED_AT.getTime() + 1) })).not.toBe(id);
    expect(episodeIdFor({ ...key, certificateKey: '42', openedAt: OPENED_AT })).not.toBe(id);
  });
});
