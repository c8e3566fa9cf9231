import { describe, expect, it } from 'vitest';
import type { Episode, ReplacementCandidate } from '../../../src/alerts/episode.js';
import { openEpisode } from '../../../src/alerts/transition.js';
import { renderAlertParent, renderAlertReply } from '../../../src/render/alert.js';
import { assertWithinBlockKitLimits } from '../../support/block-kit-limits.js';

/**
 * The renewal lines of an expiry thread at their largest: 100 hostnames of 200 characters, several
 * replacements (one unfit on every count), a full zone, and values from Cloudflare that try to ping.
 */

const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
const NOW = new Date('2026-11-25T12:00:00Z');
const EXPIRY = new Date('2026-12-01T12:00:00Z');
const HOSTNAMES = Array.from(
  { length: 100 },
  (_, index) => `h${String(index).padStart(3, '0')}.${'x'.repeat(180)}.example.com`,
);
const HOSTILE = '<!channel>`*bold*`';

function replacement(id: string, overrides: Partial<ReplacementCandidate> = {}): ReplacementCandidate {
  return {
    id,
    serialNumber: HOSTILE,
    uploadedOn: new Date('2026-11-24T00:00:00Z'),
    expiresOn: new Date('2027-12-01T12:00:00Z'),
    namesMatch: true,
    unfit: [],
    ...overrides,
  };
}

function episode(): Episode {
  return openEpisode({
    id: 'ep_renewal',
    kind: 'certificate',
    certificateKey: '4097',
    openedAt: new Date('2026-11-21T12:00:00Z'),
    currentSeverity: 'critical',
    reasonCodes: ['expiring_critical'],
    associationStatus: null,
    certificateStatus: 'active',
    aopSwitch: null,
    expiresOn: EXPIRY,
    rungsPosted: [30, 14, 7],
    switchWentOff: false,
    checkError: null,
    group: {
      problem: null,
      route: null,
      hostnames: HOSTNAMES,
      moved: [],
      departed: [],
      certificate: { id: 'old-id', serialNumber: '4097', issuer: 'CN=Example' },
      runbookPosted: true,
      replacements: [
        replacement('fit-1'),
        replacement('fit-2', { namesMatch: false }),
        replacement('unfit-1', {
          unfit: [
            { code: 'client_auth_missing', text: `Extended key usage is serverAuth only ${HOSTILE}` },
            { code: 'digital_signature_missing', text: 'Key usage is present without digitalSignature' },
            { code: 'weak_key', text: 'RSA key of 1024 bits, below 2048' },
            { code: 'weak_signature', text: 'Signed with SHA-1 with RSA' },
          ],
        }),
      ],
      replacementsTold: [],
      unfitTold: [],
      stallTold: true,
      zoneSlotsFull: {
        used: 10,
        limit: 10,
        deletable: Array.from({ length: 8 }, (_, index) => ({
          id: `expired-${index}`,
          serialNumber: HOSTILE,
          expiresOn: new Date('2024-01-01T00:00:00Z'),
          associations: index,
        })),
      },
    },
  });
}

const host = { zoneId: ZONE_ID, hostname: HOSTNAMES[0] ?? '' };
const context = { now: NOW, timeZone: 'Europe/Berlin' };

describe('renewal lines of an expiry thread', () => {
  it('stay within Block Kit limits and never let a value from Cloudflare ping', () => {
    const messages = [
      renderAlertParent(episode(), host, context),
      renderAlertReply(episode(), host, { kind: 'runbook' }, context),
      renderAlertReply(
        episode(),
        host,
        { kind: 'renewal', uploaded: ['fit-1', 'fit-2'], unfit: ['unfit-1'], stalled: true },
        { ...context, mention: '<!subteam^S0123>' },
      ),
    ];
    for (const [index, message] of messages.entries()) {
      assertWithinBlockKitLimits(message, `message ${index}`);
      const text = JSON.stringify(message);
      expect(text).not.toContain('<!channel>');
    }
    const renewal = JSON.stringify(messages[2]);
    expect(renewal.startsWith('{"text":"<!subteam^S0123>')).toBe(true);
    expect(renewal).toContain('The renewal has stalled');
    expect(renewal).toContain('Unfit replacement');
    expect(renewal).toContain('fit-1');
    // The runbook in the renewal reply moves hostnames to the preferred fit replacement.
    expect(renewal).toContain('\\"cert_id\\":\\"fit-1\\"');
    expect(renewal).not.toContain('\\"cert_id\\":\\"unfit-1\\"');
    const parent = JSON.stringify(messages[0]);
    expect(parent).toContain('Renewal stalled');
    expect(parent).toContain('same names as the old certificate');
  });

  it('keeps the upload step, after making room, when no fit replacement is there', () => {
    const withoutFit = episode();
    const group = withoutFit.group;
    if (group === null) throw new Error('grouped episode expected');
    group.replacements = group.replacements.filter((candidate) => candidate.unfit.length > 0);
    const runbook = JSON.stringify(renderAlertReply(withoutFit, host, { kind: 'runbook' }, context));
    expect(runbook).toContain('No free certificate slot');
    expect(runbook).toContain('expired-0');
    expect(runbook).toContain('Upload the replacement certificate');
    expect(runbook).toContain('NEW_CERTIFICATE_ID');
  });
});
