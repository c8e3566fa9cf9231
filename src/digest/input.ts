import { type AssembledRun, lateByMs } from '../inventory/run.js';
import type { DigestInput } from './model.js';

/**
 * Builds the digest's input from an assembled run.
 *
 * @example
 * renderDigest(digestInputFromRun(run, { timeZone: 'Europe/Berlin', now: clock(), nextDigestAt }))
 */
export function digestInputFromRun(
  run: Pick<AssembledRun, 'payload' | 'results'>,
  context: { timeZone: string; now: Date; nextDigestAt: Date | null },
): DigestInput {
  const { payload } = run;
  // The account each zone was read with, so one refused token is one digest line.
  const accountOf = new Map(
    payload.plans.flatMap((plan) => (plan.account === undefined ? [] : [[plan.zone.id, plan.account]])),
  );
  return {
    slotTime: new Date(payload.slotTimeMs),
    generatedAt: context.now,
    lateByMs: payload.lateByMs ?? lateByMs(payload),
    nextDigestAt: context.nextDigestAt,
    timeZone: context.timeZone,
    checks: run.results.flatMap((result) => result.checks),
    // Results stored before digests were handed counts list every hostname in `checks` instead.
    healthyLeftOut: run.results.flatMap((result) =>
      (result.healthyLeftOut ?? []).map((tally) => ({ zone: result.zone, ...tally })),
    ),
    zoneFailures: run.results.flatMap((result) => {
      if (!result.failure) return [];
      const account = accountOf.get(result.zone.id);
      return [account === undefined ? result.failure : { ...result.failure, account }];
    }),
    // Results stored before zone-level checks existed have no `zoneLevel`: nothing to list for them.
    zoneCertificates: run.results.flatMap((result) =>
      result.zoneLevel?.state === 'checked' ? result.zoneLevel.certificates : [],
    ),
    // A zone whose hostnames could not be listed already has its line; its zone level failing too
    // (usually for the same reason) would only repeat it.
    zoneLevelFailures: run.results.flatMap((result) =>
      result.zoneLevel?.state === 'not_checked' && result.failure === null ? [result.zoneLevel] : [],
    ),
    zonesTotal: payload.zonesTotal,
    trigger: payload.trigger,
    zoneQuotas: run.results.flatMap((result) =>
      result.quota ? [{ zone: result.zone, quota: result.quota }] : [],
    ),
  };
}
