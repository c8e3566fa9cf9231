import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Every metric the bot exports, on a registry of its own (no prom-client globals), so that tests
 * and several app instances in one process never share counters.
 */
export function createMetrics(options: { collectProcessMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.collectProcessMetrics ?? true) collectDefaultMetrics({ register: registry });

  const metrics = {
    registry,
    cloudflareRequests: new Counter({
      name: 'aop_cloudflare_requests_total',
      help: 'Cloudflare API requests by route template, HTTP status ("error" when no response arrived) and account',
      labelNames: ['route', 'status', 'account'] as const,
      registers: [registry],
    }),
    cloudflareRequestDuration: new Histogram({
      name: 'aop_cloudflare_request_duration_seconds',
      help: 'Cloudflare API request duration by route template and account',
      labelNames: ['route', 'account'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    slackCalls: new Counter({
      name: 'aop_slack_calls_total',
      help: 'Slack Web API calls and response_url posts by method and outcome (ok, rate_limited, error code)',
      labelNames: ['method', 'outcome'] as const,
      registers: [registry],
    }),
    slackMessagesFailed: new Counter({
      name: 'aop_slack_messages_failed_total',
      help: 'Messages given up on after every retry; each also has an error log line',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    slackSocketReconnects: new Counter({
      name: 'aop_slack_socket_reconnects_total',
      help: 'Socket Mode connections re-established after being lost (refresh, disconnect, dropped socket)',
      registers: [registry],
    }),
    slackSocketConnected: new Gauge({
      name: 'aop_slack_socket_connected',
      help: '1 while the Socket Mode connection is up, 0 while it is being re-established (Socket Mode only)',
      registers: [registry],
    }),
    lookups: new Counter({
      name: 'aop_lookups_total',
      help: 'Slash-command lookups by outcome (a severity, or an error code)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: 'aop_run_duration_seconds',
      help: 'Digest and evaluation duration, by run (digest or alerts)',
      // Not `job`: Prometheus sets that label itself and would rename ours to exported_job.
      // `route`: a route's own digest; "" for the whole inventory's digest and for evaluations.
      labelNames: ['run', 'route'] as const,
      buckets: [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300],
      registers: [registry],
    }),
    jobLastSuccess: new Gauge({
      name: 'aop_run_last_success_timestamp_seconds',
      help: 'When each run (digest or alerts) last completed successfully, as a Unix time',
      labelNames: ['run', 'route'] as const,
      registers: [registry],
    }),
    runSlotsHeld: new Counter({
      name: 'aop_run_slots_held_total',
      help: "Scheduled slots that fired while the schedule's previous run was still going: held, and started late when it ended",
      labelNames: ['run', 'route'] as const,
      registers: [registry],
    }),
    runLateness: new Gauge({
      name: 'aop_run_late_seconds',
      help: 'How late the latest scheduled run of each schedule started after its slot (0 within 5 minutes)',
      labelNames: ['run', 'route'] as const,
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'aop_queue_depth',
      help: 'Jobs waiting, delayed or active per queue',
      labelNames: ['queue', 'state'] as const,
      registers: [registry],
    }),
    budgetNeededRatio: new Gauge({
      name: 'aop_cloudflare_budget_needed_ratio',
      help: "Share of each token's Cloudflare rate limit the schedules need at their busiest (1 = all of it)",
      labelNames: ['account'] as const,
      registers: [registry],
    }),
    budgetBackgroundRatio: new Gauge({
      name: 'aop_cloudflare_budget_background_ratio',
      help: 'Share of the limit background runs may use; the rest is kept for lookups and Refresh',
      labelNames: ['account'] as const,
      registers: [registry],
    }),
    budgetFits: new Gauge({
      name: 'aop_cloudflare_budget_fits',
      help: "1 when the schedules fit within the background share of the token's limit, 0 when runs are stretched",
      labelNames: ['account'] as const,
      registers: [registry],
    }),
    budgetZonesThatFit: new Gauge({
      name: 'aop_cloudflare_budget_zones_that_fit',
      help: 'Zones of the current size the schedules could sweep within the background share',
      labelNames: ['account'] as const,
      registers: [registry],
    }),
    budgetRunRequests: new Gauge({
      name: 'aop_cloudflare_budget_run_requests',
      help: 'Cloudflare requests one run of each schedule makes (digest, alerts, digest:<route>, discovery)',
      labelNames: ['account', 'schedule'] as const,
      registers: [registry],
    }),
    budgetRunSeconds: new Gauge({
      name: 'aop_cloudflare_budget_run_seconds',
      help: 'How long one run takes at the budget it gets: its requests at the background pace, longer when the schedules do not fit',
      labelNames: ['account', 'schedule'] as const,
      registers: [registry],
    }),
    budgetIntervalSeconds: new Gauge({
      name: 'aop_cloudflare_budget_interval_seconds',
      help: 'The shortest time between two runs of each schedule',
      labelNames: ['account', 'schedule'] as const,
      registers: [registry],
    }),
  };
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;
