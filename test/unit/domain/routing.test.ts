import { describe, expect, it } from 'vitest';
import {
  createRouter,
  findShadowedRoutes,
  globCovers,
  globMatches,
  globReachesZone,
  parseHostnameGlob,
  parseZoneCriterion,
  type RouteRule,
} from '../../../src/domain/routing.js';

const EXAMPLE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
const OTHER_ID = 'b'.repeat(32);
const EXAMPLE = { id: EXAMPLE_ID, name: 'example.com' };
const EXAMPLE_BY_ID_ONLY = { id: EXAMPLE_ID, name: null };
const OTHER = { id: OTHER_ID, name: 'other.org' };

function rule(name: string, zones: string[] | null, hostnames: string[] | null): RouteRule {
  return { name, match: { zones, hostnames } };
}

describe('hostname globs', () => {
  it('lets * stand for one or more labels, never for none', () => {
    expect(globMatches('*.pay.example.com', 'a.pay.example.com')).toBe(true);
    expect(globMatches('*.pay.example.com', 'a.b.pay.example.com')).toBe(true);
    expect(globMatches('*.pay.example.com', 'pay.example.com')).toBe(false);
    expect(globMatches('*.pay.example.com', 'a.pay.example.org')).toBe(false);
    expect(globMatches('*.pay.example.com', 'apay.example.com')).toBe(false);
  });

  it('matches a * in the middle and literal hostnames exactly', () => {
    expect(globMatches('api.*.example.com', 'api.eu.example.com')).toBe(true);
    expect(globMatches('api.*.example.com', 'api.eu.west.example.com')).toBe(true);
    expect(globMatches('api.*.example.com', 'api.example.com')).toBe(false);
    expect(globMatches('checkout.example.com', 'checkout.example.com')).toBe(true);
    expect(globMatches('checkout.example.com', 'www.checkout.example.com')).toBe(false);
  });

  it('matches a wildcard hostname (a literal *. label) with a * of the glob only', () => {
    expect(globMatches('*.example.com', '*.api.example.com')).toBe(true);
    expect(globMatches('api.example.com', '*.example.com')).toBe(false);
  });

  it('normalises globs and refuses partial-label wildcards, bare * and bad labels', () => {
    expect(parseHostnameGlob(' *.Pay.Example.COM. ')).toEqual({ ok: true, glob: '*.pay.example.com' });
    expect(parseHostnameGlob('api.*.example.com')).toEqual({ ok: true, glob: 'api.*.example.com' });
    for (const bad of ['api-*.example.com', '*', '*.*', 'a..example.com', 'exa mple.com', '*.10.0.0.1']) {
      expect(parseHostnameGlob(bad).ok, bad).toBe(false);
    }
  });

  it('knows whether a glob can match a name in a zone', () => {
    expect(globReachesZone('*.pay.example.com', 'example.com')).toBe(true);
    expect(globReachesZone('checkout.example.com', 'example.com')).toBe(true);
    expect(globReachesZone('example.com', 'example.com')).toBe(true);
    expect(globReachesZone('*.com', 'example.com')).toBe(true);
    expect(globReachesZone('api.*', 'example.com')).toBe(true);
    expect(globReachesZone('api.*.com', 'example.com')).toBe(true);
    expect(globReachesZone('*.example.com', 'pay.example.com')).toBe(true);
    expect(globReachesZone('*.example.org', 'example.com')).toBe(false);
    expect(globReachesZone('checkout.example.com', 'pay.example.com')).toBe(false);
    expect(globReachesZone('*.pay.example.com', 'shop.example.com')).toBe(false);
    expect(globReachesZone('api.*.org', 'example.com')).toBe(false);
  });

  it('knows when one glob takes every hostname of another', () => {
    expect(globCovers('*.example.com', '*.pay.example.com')).toBe(true);
    expect(globCovers('*.example.com', 'checkout.example.com')).toBe(true);
    expect(globCovers('*.pay.example.com', '*.example.com')).toBe(false);
    expect(globCovers('*.example.com', 'example.com')).toBe(false);
    expect(globCovers('checkout.example.com', '*.example.com')).toBe(false);
    expect(globCovers('api.*.example.com', 'api.*.*.example.com')).toBe(true);
    expect(globCovers('api.*.*.example.com', 'api.*.example.com')).toBe(false);
  });

  it('reads zone criteria as ids or names', () => {
    expect(parseZoneCriterion(EXAMPLE_ID.toUpperCase())).toEqual({ ok: true, value: EXAMPLE_ID });
    expect(parseZoneCriterion('Example.COM')).toEqual({ ok: true, value: 'example.com' });
    expect(parseZoneCriterion('*.example.com').ok).toBe(false);
  });
});

describe('createRouter', () => {
  const routes = [
    rule('payments', ['example.com'], ['*.pay.example.com', 'checkout.example.com']),
    rule('by-id', [OTHER_ID], null),
    rule('web', null, ['*.example.com']),
  ];
  const router = createRouter(routes, [EXAMPLE]);

  it('gives a hostname to the first route whose every criterion holds, and says which held', () => {
    expect(router.routeOf('a.pay.example.com', EXAMPLE)).toMatchObject({
      route: { name: 'payments' },
      index: 0,
      criteria: [
        { kind: 'zone', value: 'example.com' },
        { kind: 'hostname', glob: '*.pay.example.com' },
      ],
    });
    expect(router.routeOf('checkout.example.com', EXAMPLE).route?.name).toBe('payments');
    // Matches payments' glob but not its zone: the next route that holds wins.
    expect(router.routeOf('a.pay.example.com', OTHER).route?.name).toBe('by-id');
    expect(router.routeOf('www.example.com', EXAMPLE)).toMatchObject({
      route: { name: 'web' },
      index: 2,
      criteria: [{ kind: 'hostname', glob: '*.example.com' }],
    });
  });

  it('matches a zone named by name when only its id is known, and by id when only its name is', () => {
    expect(router.routeOf('checkout.example.com', EXAMPLE_BY_ID_ONLY).route?.name).toBe('payments');
    expect(router.routeOf('x.other.org', { id: 'c'.repeat(32), name: 'other.org' }).route).toBeNull();
    expect(router.routeOf('x.other.org', OTHER).route?.name).toBe('by-id');
    const byIdRouter = createRouter([rule('ids', [EXAMPLE_ID], null)], [EXAMPLE]);
    expect(byIdRouter.routeOf('x.example.com', { id: 'd'.repeat(32), name: 'example.com' }).route?.name).toBe(
      'ids',
    );
  });

  it('leaves a hostname no route matches to the top level', () => {
    expect(router.routeOf('example.com', EXAMPLE)).toEqual({ route: null, index: null, criteria: [] });
    expect(createRouter([], []).routeOf('a.example.com', EXAMPLE).route).toBeNull();
  });

  it('matches hostnames case-insensitively', () => {
    expect(router.routeOf('A.PAY.Example.com', EXAMPLE).route?.name).toBe('payments');
  });

  it('tells which zones a route can reach', () => {
    expect(router.mayOwnInZone('payments', EXAMPLE)).toBe(true);
    expect(router.mayOwnInZone('payments', OTHER)).toBe(false);
    // web's glob *.example.com cannot match a name in other.org; by-id takes the whole zone.
    expect(router.mayOwnInZone('web', OTHER)).toBe(false);
    expect(router.mayOwnInZone('web', EXAMPLE)).toBe(true);
    expect(router.mayOwnInZone('web', EXAMPLE_BY_ID_ONLY)).toBe(true);
    expect(router.mayOwnInZone('by-id', OTHER)).toBe(true);
    // A zone whose name is not known: nobody can tell, so the route may own something there.
    expect(router.mayOwnInZone('web', { id: 'e'.repeat(32), name: null })).toBe(true);
    expect(router.mayOwnInZone('missing', EXAMPLE)).toBe(false);
  });

  it('gives what a zone holds as a whole to the first route taking the whole zone, never to a glob-only route', () => {
    // payments names hostnames and web has globs only: neither owns example.com's zone certificate.
    expect(router.zoneOwnerOf(EXAMPLE)).toBeNull();
    expect(router.zoneOwnerOf(OTHER)?.name).toBe('by-id');
    const whole = createRouter(
      [
        rule('web', null, ['*.example.com']),
        rule('pay', ['example.com'], ['*.pay.example.com']),
        rule('platform', [EXAMPLE_ID], null),
      ],
      [EXAMPLE],
    );
    expect(whole.zoneOwnerOf(EXAMPLE_BY_ID_ONLY)?.name).toBe('platform');
    expect(whole.zoneOwnerOf({ id: 'd'.repeat(32), name: 'example.com' })?.name).toBe('platform');
  });
});

describe('findShadowedRoutes', () => {
  it('reports a route whose globs an earlier broader route takes', () => {
    expect(
      findShadowedRoutes(
        [rule('web', null, ['*.example.com']), rule('pay', null, ['*.pay.example.com'])],
        [],
      ),
    ).toEqual([{ index: 1, byIndexes: [0] }]);
  });

  it('does not report the narrower route first (that is the intended order)', () => {
    expect(
      findShadowedRoutes(
        [rule('pay', null, ['*.pay.example.com']), rule('web', null, ['*.example.com'])],
        [],
      ),
    ).toEqual([]);
  });

  it('needs the earlier route to take every zone and every glob', () => {
    // web takes only example.com's hostnames; pay also matches other.org.
    expect(
      findShadowedRoutes(
        [
          rule('web', ['example.com'], ['*.example.com']),
          rule('pay', ['example.com', OTHER_ID], ['*.pay.example.com']),
        ],
        [],
      ),
    ).toEqual([]);
    // A route with no zone criterion is not taken by one limited to a zone.
    expect(
      findShadowedRoutes(
        [rule('zone', ['example.com'], null), rule('all-pay', null, ['*.pay.example.com'])],
        [],
      ),
    ).toEqual([]);
  });

  it('combines earlier routes: two zone routes take a route over both zones', () => {
    expect(
      findShadowedRoutes(
        [
          rule('a', ['example.com'], null),
          rule('b', [OTHER_ID], null),
          rule('both', ['example.com', OTHER_ID], null),
        ],
        [],
      ),
    ).toEqual([{ index: 2, byIndexes: [0, 1] }]);
  });

  it('compares a zone named by id with the same zone named by name when the config lists both', () => {
    const routes = [
      rule('by-name', ['example.com'], null),
      rule('by-id', [EXAMPLE_ID], ['*.pay.example.com']),
    ];
    expect(findShadowedRoutes(routes, [EXAMPLE])).toEqual([{ index: 1, byIndexes: [0] }]);
    // Undecidable without the config saying that example.com is that id: not reported.
    expect(findShadowedRoutes(routes, [])).toEqual([]);
  });

  it('reports an exact duplicate match', () => {
    expect(
      findShadowedRoutes(
        [rule('a', null, ['checkout.example.com']), rule('b', null, ['checkout.example.com'])],
        [],
      ),
    ).toEqual([{ index: 1, byIndexes: [0] }]);
  });
});
