import type { ServerResponse } from 'node:http';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { type HealthProbe, runHealthChecks } from './health.js';
import type { OpsRoute } from './ops-server.js';

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/**
 * `GET /healthz` (200, or 503 with the failing probes) and `GET /metrics` (Prometheus text,
 * after `beforeScrape` refreshes the gauges read from Redis). Served on PORT in every role.
 */
export function createOpsRoutes(options: {
  probes: Record<string, HealthProbe>;
  metrics: Metrics;
  logger: Logger;
  beforeScrape: () => Promise<void>;
}): OpsRoute[] {
  const { metrics, logger } = options;
  return [
    {
      path: '/healthz',
      method: 'GET',
      handler: (_request, response) => {
        void runHealthChecks(options.probes).then((report) =>
          json(response, report.status === 'ok' ? 200 : 503, report),
        );
      },
    },
    {
      path: '/metrics',
      method: 'GET',
      handler: (_request, response) => {
        void options
          .beforeScrape()
          .then(() => metrics.registry.metrics())
          .then(
            (text) => {
              response.writeHead(200, { 'content-type': metrics.registry.contentType });
              response.end(text);
            },
            (error: unknown) => {
              logger.error({ err: error }, '/metrics failed');
              response.writeHead(500);
              response.end();
            },
          );
      },
    },
  ];
}

/** `promise`, or a rejection once `ms` have passed without an answer. */
export function withinMs<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref(),
    ),
  ]);
}
