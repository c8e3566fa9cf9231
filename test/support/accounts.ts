/**
 * Three Cloudflare accounts with 260 zones between them, for the discovery and multi-account tests:
 * `prod` has 251 zones (six pages of 50), `brands` 5 and `edge` 4. The `edge` token is also granted
 * the `brands` account, so the brands zones are visible to two tokens.
 */
import type { FakeAccount, FakeCloudflareState, FakeZone } from './fake-cloudflare.js';

export const ACCOUNT_TOKENS = {
  prod: 'cfat_prod0000000000000000000000000000000000',
  brands: 'cfat_brands00000000000000000000000000000000',
  edge: 'cfut_edge000000000000000000000000000000000',
} as const;

export type SeededAccountName = keyof typeof ACCOUNT_TOKENS;

export interface SeededAccounts {
  accounts: Record<SeededAccountName, FakeAccount>;
  zones: Record<SeededAccountName, FakeZone[]>;
}

export const ZONE_COUNTS: Record<SeededAccountName, number> = { prod: 251, brands: 5, edge: 4 };

/** The environment a config with these three accounts reads its tokens from. */
export const ACCOUNT_TOKEN_ENV = {
  CLOUDFLARE_API_TOKEN_PROD: ACCOUNT_TOKENS.prod,
  CLOUDFLARE_API_TOKEN_BRANDS: ACCOUNT_TOKENS.brands,
  CLOUDFLARE_API_TOKEN_EDGE: ACCOUNT_TOKENS.edge,
};

/** `cloudflare.accounts` for these three, in this order (brands before edge: brands reads the shared zones). */
export const THREE_ACCOUNTS_YAML = [
  { name: 'prod', token_env: 'CLOUDFLARE_API_TOKEN_PROD' },
  { name: 'brands', token_env: 'CLOUDFLARE_API_TOKEN_BRANDS' },
  { name: 'edge', token_env: 'CLOUDFLARE_API_TOKEN_EDGE' },
];

export function seedThreeAccounts(state: FakeCloudflareState): SeededAccounts {
  const accounts = {
    prod: state.addAccount({ name: 'Prod' }),
    brands: state.addAccount({ name: 'Brands' }),
    edge: state.addAccount({ name: 'Edge' }),
  };
  const zones: Record<SeededAccountName, FakeZone[]> = { prod: [], brands: [], edge: [] };
  for (let index = 0; index < ZONE_COUNTS.prod; index += 1) {
    zones.prod.push(
      state.addZone({
        name: `site-${String(index).padStart(3, '0')}.example.com`,
        accountId: accounts.prod.id,
      }),
    );
  }
  for (let index = 0; index < ZONE_COUNTS.brands; index += 1) {
    zones.brands.push(state.addZone({ name: `brand-${index}.example.net`, accountId: accounts.brands.id }));
  }
  for (let index = 0; index < ZONE_COUNTS.edge; index += 1) {
    zones.edge.push(state.addZone({ name: `edge-${index}.example.org`, accountId: accounts.edge.id }));
  }
  state.addToken(ACCOUNT_TOKENS.prod, [accounts.prod.id]);
  state.addToken(ACCOUNT_TOKENS.brands, [accounts.brands.id]);
  state.addToken(ACCOUNT_TOKENS.edge, [accounts.edge.id, accounts.brands.id]);
  return { accounts, zones };
}
