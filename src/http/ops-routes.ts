import type { ServerResponse } from 'node:http';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { type HealthProbe, runHealthChecks } from './health.js';
import type { OpsRoute } from './ops-server.js';

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** Resolves once `response` may take more, or is closed. */
function drained(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
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
  /**
   * Series written after the registry's, piece by piece as they are made (the per-certificate
   * gauges: one series per hostname, too many to hold in the registry).
   */
  streamedSeries?: () => Iterable<string>;
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
        const scrape = async () => {
          await options.beforeScrape();
          const registered = await metrics.registry.metrics();
          response.writeHead(200, { 'content-type': metrics.registry.contentType });
          response.write(registered);
          for (const piece of options.streamedSeries?.() ?? []) {
            if (response.destroyed) return;
            if (!response.write(piece)) await drained(response);
          }
          response.end();
        };
        scrape().catch((error: unknown) => {
          logger.error({ err: error }, '/metrics failed');
          if (response.headersSent) {
            // Half an answer must not pass for a whole one: Prometheus sees the scrape fail.
            response.destroy();
            return;
          }
          response.writeHead(500);
          response.end();
        });
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
