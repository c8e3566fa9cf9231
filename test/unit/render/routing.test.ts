import { describe, expect, it } from 'vitest';
import type { RouteConfig } from '../../../src/config/types.js';
import { createRouter } from '../../../src/domain/routing.js';
import { renderRouteExplanation } from '../../../src/render/routing.js';

const ZONE = { id: '023e105f4ecef8ad9ca31a8372d0c353', name: 'example.com' };

function route(
  name: string,
  match: RouteConfig['match'],
  alertsChannel: string | null,
  mention = '',
): RouteConfig {
  return {
    name,
    match,
    alertsChannel,
    mentionOnCritical: mention,
    digest: { channels: [], schedule: '0 9 * * 1-5', timeZone: 'Europe/Berlin' },
    thresholds: { warningDays: 30, criticalDays: 7, stuckPendingMinutes: 120 },
  };
}

const routes = [
  route(
    'payments',
    { zones: ['example.com'], hostnames: ['*.pay.example.com'] },
    'C0PAYINC',
    '<!subteam^S0PAY>',
  ),
  route('platform', { zones: ['example.com'], hostnames: null }, 'C0PLATINC'),
  route('quiet', { zones: null, hostnames: ['*.quiet.example.org'] }, null),
];
const router = createRouter(routes, [ZONE]);

function explain(hostname: string, zone = ZONE): string {
  const message = renderRouteExplanation({
    hostname,
    zone,
    decision: router.routeOf(hostname, zone),
    zoneOwner: router.zoneOwnerOf(zone)?.name ?? null,
    routeCount: routes.length,
    alertsChannel: 'C0INCIDENT',
    digestChannels: [],
  });
  return JSON.stringify(message.blocks);
}

describe('route <hostname>', () => {
  it("names the route's alerts channel and the mention its critical escalations carry", () => {
    const text = explain('a.pay.example.com');
    expect(text).toContain('Alert threads go to <#C0PAYINC>');
    expect(text).toContain('critical escalations mention `&lt;!subteam^S0PAY&gt;`');
    expect(explain('www.example.com')).toContain('critical escalations mention nobody');
  });

  it('says which route hears about the zone-level certificate', () => {
    expect(explain('a.pay.example.com')).toContain(
      'zone-level certificate of example.com belong to route *platform*',
    );
  });

  it('says when alert threads are off for a route', () => {
    const zone = { id: 'b'.repeat(32), name: 'example.org' };
    const text = explain('x.quiet.example.org', zone);
    expect(text).toContain('Alert threads are off for it');
    expect(text).toContain('belong to the top level (no route takes the whole zone)');
  });
});
