/**
 * What a zone check hands an alert evaluation. Unlike a digest, an evaluation looks at every
 * hostname (a healthy one may end an episode, move to a new certificate, or need its switch
 * remembered), so every check travels; but only with what alerts read: the severity and its
 * reasons, the expiry, the certificate's id, serial and issuer, the statuses and the switch. The
 * fitness findings and Cloudflare's four timestamps (each a Date once collected) stay in the zone
 * snapshot, where `list`, App Home and `/metrics` read them, instead of being collected 100,000
 * times into one assemble step that never reads them.
 */

import type { HostnameCheck } from '../digest/model.js';
import type { ZoneCheckResult } from './zone-check.js';

/**
 * The check with only what an alert evaluation reads.
 *
 * @example
 * leanForAlerts(check).fitness // undefined
 * leanForAlerts(check).observation.association.associationUpdatedAt // null
 */
export function leanForAlerts(check: HostnameCheck): HostnameCheck {
  const { fitness: _fitness, ...kept } = check;
  if (kept.observation.kind !== 'association') return kept;
  return {
    ...kept,
    observation: {
      kind: 'association',
      association: {
        ...kept.observation.association,
        signature: null,
        certificatePem: null,
        associationCreatedAt: null,
        associationUpdatedAt: null,
        certificateUploadedOn: null,
        certificateUpdatedAt: null,
      },
    },
  };
}

/** The result with every hostname's check in its lean form; zone-level readings are kept whole. */
export function handOffToAlerts(result: ZoneCheckResult): ZoneCheckResult {
  return { ...result, checks: result.checks.map(leanForAlerts) };
}
