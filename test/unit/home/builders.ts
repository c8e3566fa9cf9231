import type { OpenAlertThread } from '../../../src/home/model.js';
import { ZONE_A } from '../digest/builders.js';

const NOW = new Date('2026-11-26T08:00:00.000Z');
const DAY_MS = 86_400_000;

/** An open alert thread as the Home tab receives it: critical, three days left, linked. */
export function thread(
  overrides: Partial<OpenAlertThread & { permalink: string | null }> & { hostnames: string[] },
): OpenAlertThread & { permalink: string | null } {
  return {
    episodeId: `ep_${overrides.hostnames[0]}`,
    kind: 'certificate',
    severity: 'critical',
    zone: ZONE_A,
    certificateKey: '0a1b',
    expiresOn: new Date(NOW.getTime() + 3 * DAY_MS),
    acknowledged: false,
    parent: { channel: 'C0INCIDENT', ts: '1700000000.000001' },
    route: null,
    permalink: 'https://example.slack.com/archives/C0INCIDENT/p1700000000000001',
    ...overrides,
  };
}
