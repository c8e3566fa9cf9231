import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createCloudflareAccounts } from '../../../src/cloudflare/accounts.js';
import { createCloudflareClient } from '../../../src/cloudflare/client.js';
import { CloudflareApiError } from '../../../src/cloudflare/errors.js';
import {
  cloudflareRateLimitKeys,
  createRedisRateLimiter,
  tokenBudgetId,
} from '../../../src/cloudflare/rate-limiter.js';
import type { CloudflareAccount } from '../../../src/config/types.js';
import { ACCOUNT_TOKENS, type SeededAccountName, seedThreeAccounts } from '../../support/accounts.js';
import { type FakeCloudflare, startFakeCloudflare } from '../../support/fake-cloudflare.js';
import { uniquePrefix, withRedis } from '../../support/redis.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fakeWithThreeAccounts(): Promise<
  { fake: FakeCloudflare } & ReturnType<typeof seedThreeAccounts>
> {
  const fake = await startFakeCloudflare();
  cleanups.push(() => fake.close());
  return { fake, ...seedThreeAccounts(fake.state) };
}

function account(name: SeededAccountName): CloudflareAccount {
  return {
    name,
    auth: { scheme: 'api_token', token: ACCOUNT_TOKENS[name] },
    rateLimit: { requests: 1200, perSeconds: 300 },
    credentialEnv: `CLOUDFLARE_API_TOKEN_${name.toUpperCase()}`,
    implicit: false,
  };
}

describe('several Cloudflare accounts, one token each', () => {
  it('lists 260 zones of 3 accounts, each token its own, 50 per page (6 pages for the largest)', async () => {
    const { fake, accounts } = await fakeWithThreeAccounts();
    const dispatcher = new Agent({ connections: 4 });
    cleanups.push(() => dispatcher.close());
    const prefix = uniquePrefix('accounts');
    await withRedis(prefix, async (redis) => {
      const clientOf = (name: SeededAccountName) =>
        createCloudflareClient({
          baseUrl: fake.baseUrl,
          auth: account(name).auth,
          dispatcher,
          rateLimiter: createRedisRateLimiter({
            redis,
            keyPrefix: prefix,
            budgetId: tokenBudgetId(ACCOUNT_TOKENS[name]),
            requests: 100,
            perSeconds: 300,
          }),
          requestTimeoutMs: 2_000,
        });
      const prod = await clientOf('prod').listZones();
      expect(prod).toHaveLength(251);
      expect(new Set(prod.map((zone) => zone.id)).size).toBe(251);
      expect(prod.every((zone) => zone.account?.id === accounts.prod.id)).toBe(true);
      expect(fake.requestsTo('zones').map((request) => [request.query.page, request.query.per_page])).toEqual(
        [
          ['1', '50'],
          ['2', '50'],
          ['3', '50'],
          ['4', '50'],
          ['5', '50'],
          ['6', '50'],
        ],
      );
      expect(await clientOf('brands').listZones()).toHaveLength(5);
      // The edge token reads two accounts; the account filter narrows the listing to one.
      expect(await clientOf('edge').listZones()).toHaveLength(9);
      const edgeOnly = await clientOf('edge').listZones({ accountId: accounts.edge.id });
      expect(edgeOnly.map((zone) => zone.name)).toEqual([
        'edge-0.example.org',
        'edge-1.example.org',
        'edge-2.example.org',
        'edge-3.example.org',
      ]);
      expect(fake.requests.at(-1)?.query['account.id']).toBe(accounts.edge.id);

      // Each token has its own budget in Redis; none of the keys holds a token.
      const budgets = await Promise.all(
        (['prod', 'brands', 'edge'] as const).map((name) =>
          redis.zcard(cloudflareRateLimitKeys(prefix, tokenBudgetId(ACCOUNT_TOKENS[name])).window),
        ),
      );
      expect(budgets).toEqual([6, 1, 2]);
      const keys = await redis.keys(`${prefix}*`);
      for (const token of Object.values(ACCOUNT_TOKENS)) expect(keys.join()).not.toContain(token);
      expect(await redis.exists(cloudflareRateLimitKeys(prefix).window)).toBe(0);
    });
  });

  it('sends each zone call with the token of the account that reads the zone', async () => {
    const { fake, zones } = await fakeWithThreeAccounts();
    const dispatcher = new Agent({ connections: 4 });
    cleanups.push(() => dispatcher.close());
    const cloudflare = createCloudflareAccounts({
      accounts: [account('prod'), account('brands'), account('edge')],
      zones: [{ id: zones.edge[0]?.id ?? '', name: null, hostnames: null, account: 'edge' }],
      createClient: (entry) =>
        createCloudflareClient({
          baseUrl: fake.baseUrl,
          auth: entry.auth,
          dispatcher,
          rateLimiter: { acquire: async () => {}, pauseUntil: async () => {} },
          requestTimeoutMs: 2_000,
        }),
    });
    const edgeZone = zones.edge[0];
    const brandZone = zones.brands[2];
    if (!edgeZone || !brandZone) throw new Error('seed missing');
    // Named on a configured zone.
    await cloudflare.routing.listHostnameCertificates(edgeZone.id);
    expect(fake.requests.at(-1)?.headers.authorization).toBe(`Bearer ${ACCOUNT_TOKENS.edge}`);
    // Unknown zone: the first account's token, whose 403 names the missing access.
    const refused = await cloudflare.routing.listHostnameCertificates(brandZone.id).catch((error) => error);
    expect(refused).toBeInstanceOf(CloudflareApiError);
    expect((refused as CloudflareApiError).status).toBe(403);
    // Found by name: the first account (in config order) that lists it is remembered for its calls.
    expect(await cloudflare.routing.findZonesByName(brandZone.name)).toHaveLength(1);
    expect(cloudflare.accountOfZone(brandZone.id)).toBe('brands');
    await cloudflare.routing.listHostnameCertificates(brandZone.id);
    expect(fake.requests.at(-1)?.headers.authorization).toBe(`Bearer ${ACCOUNT_TOKENS.brands}`);
  });
});
