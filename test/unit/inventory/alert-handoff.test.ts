/**
 * An alert evaluation is handed every hostname's check in a lean form. What it decides from the lean
 * form must be what it decided from the full check: the same groups with the same facts, and the
 * same per-hostname bookkeeping, for a zone with critical, warning and healthy hostnames.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decideGroupTransition, initialGroupState, observeGroups } from '../../../src/alerts/group.js';
import { decideAlertTransition } from '../../../src/alerts/transition.js';
import { handOffToAlerts } from '../../../src/inventory/alert-handoff.js';
import {
  deserializeZoneCheck,
  reviveZoneCheck,
  serializeZoneCheck,
} from '../../../src/queue/serialization.js';
import { alertContext } from '../alerts/builders.js';

const STORED = deserializeZoneCheck(
  readFileSync(
    new URL('../../fixtures/state/zone-check-result-every-hostname.json', import.meta.url),
    'utf8',
  ),
);
const NOW = new Date('2026-11-26T08:00:00.000Z');

/** The result as the assemble step collects it: through JSON, as a job's return value. */
function collected(handOff: (result: typeof STORED) => typeof STORED) {
  return reviveZoneCheck(JSON.parse(serializeZoneCheck(handOff(STORED))));
}

function evaluationsOf(result: typeof STORED) {
  return result.checks.map((check) => ({
    zoneId: check.zone.id,
    hostname: check.hostname,
    evaluation: { observation: check.observation, assessment: check.assessment },
  }));
}

describe('handOffToAlerts', () => {
  it('keeps every hostname and makes the job result smaller', () => {
    const lean = handOffToAlerts(STORED);
    expect(lean.checks.map((check) => check.hostname)).toEqual(STORED.checks.map((check) => check.hostname));
    expect(lean.checks.some((check) => check.fitness !== undefined)).toBe(false);
    expect(serializeZoneCheck(lean).length).toBeLessThan(serializeZoneCheck(STORED).length);
  });

  it('groups, opens and bookkeeps exactly as the full checks do', () => {
    const decide = (result: typeof STORED) => {
      const { observations, hostnameUpdates } = observeGroups({
        evaluations: evaluationsOf(result),
        hostnameStates: new Map(),
        groups: new Map(),
        cannotCheckAfterEvaluations: 3,
      });
      const transitions = [...observations.values()].map((observation) =>
        decideGroupTransition(initialGroupState(observation.key), observation, alertContext(NOW)),
      );
      return { observations: [...observations], hostnameUpdates, transitions };
    };
    const full = decide(collected((result) => result));
    const lean = decide(collected(handOffToAlerts));
    expect(full.observations.length).toBeGreaterThan(0);
    expect(lean).toEqual(full);
  });

  it('gives the per-hostname threads the same decisions', () => {
    const decisions = (result: typeof STORED) =>
      evaluationsOf(result).map(({ zoneId, hostname, evaluation }) =>
        decideAlertTransition(
          { zoneId, hostname, lastSeenSwitch: 'on', consecutiveCheckFailures: 0, episode: null },
          evaluation,
          alertContext(NOW),
        ),
      );
    const full = decisions(collected((result) => result));
    expect(full.some((transition) => transition.actions.length > 0)).toBe(true);
    expect(decisions(collected(handOffToAlerts))).toEqual(full);
  });
});
