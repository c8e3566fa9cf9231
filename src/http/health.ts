/**
 * `/healthz`: each probe says whether its part works; the endpoint answers 503 with the reasons
 * when any required probe fails, so a load balancer or orchestrator can act on it.
 */
export interface ProbeResult {
  ok: boolean;
  /** Shown to operators: what is wrong, or a short status. */
  detail: string;
  /** A probe that is not required reports but does not fail the check. */
  required?: boolean;
}

export type HealthProbe = () => Promise<ProbeResult>;

export interface HealthReport {
  status: 'ok' | 'unhealthy';
  checks: Record<string, ProbeResult>;
}

/** Runs every probe with a time bound; a probe that throws or hangs is a failed probe. */
export async function runHealthChecks(
  probes: Record<string, HealthProbe>,
  timeoutMs = 2_000,
): Promise<HealthReport> {
  const entries = await Promise.all(
    Object.entries(probes).map(async ([name, probe]) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<ProbeResult>((resolve) => {
        timer = setTimeout(
          () => resolve({ ok: false, detail: `no answer within ${timeoutMs} ms` }),
          timeoutMs,
        );
      });
      try {
        const result = await Promise.race([
          probe().catch(
            (error: unknown): ProbeResult => ({
              ok: false,
              detail: error instanceof Error ? error.message : String(error),
            }),
          ),
          timeout,
        ]);
        return [name, result] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const checks = Object.fromEntries(entries);
  const healthy = entries.every(([, result]) => result.ok || result.required === false);
  return { status: healthy ? 'ok' : 'unhealthy', checks };
}
