import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OpsRoute {
  path: string;
  method: 'GET';
  handler: (request: IncomingMessage, response: ServerResponse) => void;
}

/**
 * The HTTP server for `/healthz` and `/metrics` of a worker-only process (AOP_ROLE=worker) and of
 * a Socket Mode process; in HTTP mode the same routes sit beside `/slack/events`.
 */
export async function startOpsServer(
  port: number,
  host: string | null,
  routes: OpsRoute[],
): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://ops').pathname;
    const route = routes.find((candidate) => candidate.path === path && candidate.method === request.method);
    if (!route) {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('not found: this process serves /healthz and /metrics\n');
      return;
    }
    route.handler(request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (host) server.listen(port, host, resolve);
    else server.listen(port, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
