/**
 * The discovery job: list every account's zones, keep the ones `discover:` selects, store the list
 * (keeping an account's last good zones when its listing fails), and record what changed for the
 * next digest and for the alert threads of zones that left.
 */

import type { CfZone } from '../cloudflare/types.js';
import type { DiscoverConfig, ZoneConfig } from '../config/types.js';
import {
  type AccountListing,
  type DiscoveredZone,
  diffZoneLists,
  selectDiscoveredZones,
  type ZoneListChanges,
} from '../domain/discovery.js';
import type { Logger } from '../observability/logger.js';
import type { AccountListingStatus, DiscoveryStore, StoredDiscovery } from './store.js';

/** One account's token, able to list the zones it reads. */
export interface ListingAccount {
  name: string;
  /** Where the token comes from, for messages: `CLOUDFLARE_API_TOKEN_PROD`. */
  credentialEnv: string;
  listZones(): Promise<CfZone[]>;
}

export interface ZoneDiscoveryOptions {
  discover: DiscoverConfig;
  configuredZones: readonly ZoneConfig[];
  accounts: readonly ListingAccount[];
  store: DiscoveryStore;
  clock: () => Date;
  logger: Logger;
  /** Told every zone a token listed and the first account (in config order) that listed it. */
  onZonesListed?: (zones: ReadonlyArray<{ id: string; account: string }>) => void;
}

export interface DiscoveryRound {
  state: StoredDiscovery;
  changes: ZoneListChanges;
  listings: AccountListing[];
}

export interface ZoneDiscovery {
  /** One listing round: list, select, store, and note what changed. */
  discover(): Promise<DiscoveryRound>;
  /** The discovered zones to watch, from the last good list (none before the first listing). */
  watchedZones(): Promise<DiscoveredZone[]>;
  /**
   * The start-up check: one listing round, then the problems a person must fix before discovery
   * can work (a token without Zone Read, a configured zone no token can read). Listing failures
   * that another attempt may fix (Cloudflare down) are not problems: the round's list is kept.
   */
  preflight(): Promise<string[]>;
}

const ACCESS_ERRORS: ReadonlySet<string> = new Set(['cloudflare_unauthorized', 'cloudflare_forbidden']);

function errorCodeOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : 'internal_error';
}

/**
 * Each account's zones, listed at once; an account whose listing fails says why instead.
 *
 * @example await listAccountZones([{ name: 'prod', listZones: () => client.listZones() }])
 */
export async function listAccountZones(
  accounts: ReadonlyArray<Pick<ListingAccount, 'name' | 'listZones'>>,
): Promise<AccountListing[]> {
  return Promise.all(
    accounts.map(async (account): Promise<AccountListing> => {
      try {
        const zones = await account.listZones();
        return {
          account: account.name,
          ok: true,
          zones: zones.map((zone) => ({ id: zone.id, name: zone.name, accountId: zone.account?.id ?? null })),
        };
      } catch (error) {
        return {
          account: account.name,
          ok: false,
          errorCode: errorCodeOf(error),
          errorMessage: error instanceof Error ? error.message : String(error),
        };
      }
    }),
  );
}

export function createZoneDiscovery(options: ZoneDiscoveryOptions): ZoneDiscovery {
  const { discover, store, logger } = options;
  const filter = { match: discover.match, exclude: discover.exclude, accountIds: discover.accountIds };

  const discoverOnce = async (): Promise<DiscoveryRound> => {
    const now = options.clock();
    const previous = await store.read();
    const listings = await listAccountZones(options.accounts);
    const selection = selectDiscoveredZones({
      listings,
      filter,
      previous: previous?.zones ?? [],
      configured: options.configuredZones,
    });
    const accounts: Record<string, AccountListingStatus> = {};
    for (const listing of listings) {
      const before = previous?.accounts[listing.account];
      accounts[listing.account] = listing.ok
        ? { lastGoodAt: now, failure: null }
        : {
            lastGoodAt: before?.lastGoodAt ?? null,
            failure: {
              errorCode: listing.errorCode,
              errorMessage: listing.errorMessage,
              since: before?.failure?.since ?? now,
            },
          };
    }
    const state: StoredDiscovery = { listedAt: now, zones: selection.zones, accounts };
    const changes = diffZoneLists(previous?.zones ?? null, selection.zones);
    // Who reads what, configured zones included: the first account (in config order) that lists it.
    const listed = new Map<string, { id: string; account: string }>();
    for (const listing of listings) {
      if (!listing.ok) continue;
      for (const zone of listing.zones)
        if (!listed.has(zone.id)) listed.set(zone.id, { id: zone.id, account: listing.account });
    }
    options.onZonesListed?.([...listed.values()]);
    // The gone zones first: a crash after the list is written must not forget whose threads to end.
    await store.addGone(changes.removed);
    await store.write(state);
    if (changes.added.length > 0 || changes.removed.length > 0) {
      await store.addNotice({
        at: now,
        added: changes.added.map(({ id, name }) => ({ id, name })),
        removed: changes.removed.map(({ id, name }) => ({ id, name })),
      });
    }
    logger.info(
      {
        zones: selection.zones.length,
        added: changes.added.length,
        removed: changes.removed.length,
        failedAccounts: selection.failedAccounts.map((failed) => failed.account),
      },
      'zone list read',
    );
    for (const failed of selection.failedAccounts) {
      logger.warn(
        { account: failed.account, errorCode: failed.errorCode, err: failed.errorMessage },
        "zone listing failed; the account's last good list is kept",
      );
    }
    return { state, changes, listings };
  };

  return {
    discover: discoverOnce,
    async watchedZones() {
      return (await store.read())?.zones ?? [];
    },
    async preflight() {
      const { listings } = await discoverOnce();
      const problems: string[] = [];
      for (const listing of listings) {
        if (listing.ok || !ACCESS_ERRORS.has(listing.errorCode)) continue;
        const account = options.accounts.find((entry) => entry.name === listing.account);
        problems.push(
          `discover: the token of account "${listing.account}" (${account?.credentialEnv ?? 'unknown'}) cannot list zones: it needs the Zone Read permission (Zone → Zone → Read) (${listing.errorMessage})`,
        );
      }
      // Only a complete set of listings can prove that no token reads a zone.
      if (listings.every((listing) => listing.ok)) {
        const readable = new Set(
          listings.flatMap((listing) => (listing.ok ? listing.zones : [])).map((zone) => zone.id),
        );
        options.configuredZones.forEach((zone, index) => {
          if (readable.has(zone.id)) return;
          problems.push(
            `zones[${index}] (${zone.name ?? zone.id}): no token in cloudflare.accounts can read this zone`,
          );
        });
      }
      return problems;
    },
  };
}
