/**
 * Several Cloudflare accounts, one token each: one client (and one rate-limit budget) per token,
 * and a client that sends each zone's calls with the token of the account that reads the zone.
 * With a single credential everything goes to its one client, exactly as before there were accounts.
 */
import type { CloudflareAccount, ZoneConfig } from '../config/types.js';
import type { CfZone, CloudflareClient } from './types.js';

export interface AccountClient {
  account: CloudflareAccount;
  client: CloudflareClient;
}

export interface CloudflareAccounts {
  /** In `cloudflare.accounts` order; never empty. */
  readonly all: readonly AccountClient[];
  /** The client of the account named `name`; the first account's when the name is absent or unknown. */
  forAccount(name: string | null | undefined): CloudflareClient;
  /** The account that reads `zoneId` as far as this process knows; the first account otherwise. */
  accountOfZone(zoneId: string): string;
  /** Notes which account reads `zoneId` (from the config, a zone listing or a lookup by name). */
  remember(zoneId: string, accountName: string): void;
  /** A CloudflareClient that routes every zone's calls to the client of the account that reads it. */
  readonly routing: CloudflareClient;
}

/**
 * @example
 * const accounts = createCloudflareAccounts({ accounts: config.cloudflare.accounts, zones: config.zones,
 *   createClient: (account) => createCloudflareClient({ ...options, auth: account.auth }) });
 * await accounts.routing.listHostnameAssociations(zoneId); // with the token that reads zoneId
 */
export function createCloudflareAccounts(options: {
  accounts: readonly CloudflareAccount[];
  zones: readonly ZoneConfig[];
  createClient: (account: CloudflareAccount) => CloudflareClient;
}): CloudflareAccounts {
  const all = options.accounts.map((account) => ({ account, client: options.createClient(account) }));
  const [first] = all;
  if (!first) throw new Error('createCloudflareAccounts needs at least one account');
  const byName = new Map(all.map((entry) => [entry.account.name, entry]));
  const zoneAccounts = new Map<string, string>();
  for (const zone of options.zones) if (zone.account) zoneAccounts.set(zone.id, zone.account);

  const forAccount = (name: string | null | undefined) =>
    (name ? byName.get(name) : undefined)?.client ?? first.client;
  const forZone = (zoneId: string) => forAccount(zoneAccounts.get(zoneId));
  const remember = (zoneId: string, accountName: string) => {
    if (byName.has(accountName)) zoneAccounts.set(zoneId, accountName);
  };

  const routing: CloudflareClient = {
    getHostnameStatus: (zoneId, hostname, requestOptions) =>
      forZone(zoneId).getHostnameStatus(zoneId, hostname, requestOptions),
    listHostnameAssociations: (zoneId, requestOptions) =>
      forZone(zoneId).listHostnameAssociations(zoneId, requestOptions),
    listHostnameCertificates: (zoneId, requestOptions) =>
      forZone(zoneId).listHostnameCertificates(zoneId, requestOptions),
    listZoneCertificates: (zoneId, requestOptions) =>
      forZone(zoneId).listZoneCertificates(zoneId, requestOptions),
    getZoneAopSetting: (zoneId, requestOptions) => forZone(zoneId).getZoneAopSetting(zoneId, requestOptions),
    getZoneTlsClientAuth: (zoneId, requestOptions) =>
      forZone(zoneId).getZoneTlsClientAuth(zoneId, requestOptions),
    async findZonesByName(name, requestOptions) {
      // Each account in order; the first that has the zone wins and is remembered for its calls.
      let firstError: unknown = null;
      for (const entry of all) {
        try {
          const zones = await entry.client.findZonesByName(name, requestOptions);
          if (zones.length > 0) {
            for (const zone of zones) remember(zone.id, entry.account.name);
            return zones;
          }
        } catch (error) {
          if (all.length === 1) throw error;
          firstError ??= error;
        }
      }
      if (firstError !== null) throw firstError;
      return [];
    },
    async listZones(requestOptions) {
      const seen = new Map<string, CfZone>();
      for (const entry of all) {
        for (const zone of await entry.client.listZones(requestOptions)) {
          if (seen.has(zone.id)) continue;
          seen.set(zone.id, zone);
          if (!zoneAccounts.has(zone.id)) remember(zone.id, entry.account.name);
        }
      }
      return [...seen.values()];
    },
  };

  return {
    all,
    forAccount,
    accountOfZone: (zoneId) => zoneAccounts.get(zoneId) ?? first.account.name,
    remember,
    routing,
  };
}
