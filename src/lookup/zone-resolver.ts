import type { CfZone, CloudflareClient, CloudflareRequestOptions } from '../cloudflare/types.js';
import type { ZoneConfig } from '../config/types.js';
import type { ZoneArgument } from '../domain/command.js';
import { parentSuffixes } from '../domain/hostname.js';
import type { ZoneRef } from '../domain/types.js';
import { AopError, isAopError } from '../errors.js';
import { TtlCache } from './ttl-cache.js';

export type ZoneSource = 'argument' | 'inventory' | 'cloudflare';

export interface ResolvedZone {
  zone: ZoneRef;
  source: ZoneSource;
}

export interface ZoneResolverOptions {
  cloudflare: Pick<CloudflareClient, 'findZonesByName'>;
  zones: ZoneConfig[];
  nowMs: () => number;
  /** How long a zone found by name is remembered. Zones rarely move. */
  positiveTtlMs?: number;
  /** How long "no zone by that name" is remembered, so typos do not cost a request each. */
  negativeTtlMs?: number;
}

export interface ZoneResolver {
  resolve(
    hostname: string,
    argument: ZoneArgument | null,
    requestOptions?: CloudflareRequestOptions,
  ): Promise<ResolvedZone>;
  /** The inventory zone that owns `hostname` without asking Cloudflare, if any. */
  fromInventory(hostname: string): ZoneRef | null;
}

function pickZone(zones: CfZone[], name: string): ZoneRef | null {
  const exact = zones.filter((zone) => zone.name.toLowerCase() === name);
  const best = exact.find((zone) => zone.status === 'active') ?? exact[0];
  return best ? { id: best.id, name: best.name.toLowerCase() } : null;
}

/**
 * Finds the zone a hostname lives in: the zone the user named, then the configured inventory,
 * then Cloudflare (`GET /zones?name=`) for the hostname and each parent suffix, cached.
 */
export function createZoneResolver(options: ZoneResolverOptions): ZoneResolver {
  const cache = new TtlCache<ZoneRef | null>(5_000, options.nowMs);
  const positiveTtlMs = options.positiveTtlMs ?? 60 * 60_000;
  const negativeTtlMs = options.negativeTtlMs ?? 5 * 60_000;

  const fromInventory = (hostname: string): ZoneRef | null => {
    const listed = options.zones.find((zone) => zone.hostnames?.includes(hostname));
    if (listed) return { id: listed.id, name: listed.name };
    const bare = hostname.startsWith('*.') ? hostname.slice(2) : hostname;
    let best: ZoneConfig | null = null;
    for (const zone of options.zones) {
      if (!zone.name) continue;
      const contains = bare === zone.name || bare.endsWith(`.${zone.name}`);
      if (contains && (!best?.name || zone.name.length > best.name.length)) best = zone;
    }
    return best ? { id: best.id, name: best.name } : null;
  };

  const zoneNamed = async (
    name: string,
    requestOptions: CloudflareRequestOptions | undefined,
  ): Promise<ZoneRef | null> => {
    const cached = cache.get(name);
    if (cached !== undefined) return cached;
    let found: ZoneRef | null;
    try {
      found = pickZone(await options.cloudflare.findZonesByName(name, requestOptions), name);
    } catch (error) {
      // Only a refusal means "this token may not list zones". A 401 means the credentials
      // themselves were rejected (expired, revoked): that error already says so, and which setting to fix.
      if (isAopError(error, 'cloudflare_forbidden')) {
        throw new AopError(
          'zone_not_found',
          `The Cloudflare token may not list zones, so the zone of ${name} is unknown.`,
          {
            hint: 'Give the token "Zone Read", add the zone to the config file, or name the zone: `/aop-status <hostname> <zone name or id>`.',
            cause: error,
          },
        );
      }
      throw error;
    }
    cache.set(name, found, found ? positiveTtlMs : negativeTtlMs);
    return found;
  };

  return {
    fromInventory,
    async resolve(hostname, argument, requestOptions) {
      if (argument?.kind === 'id') {
        const configured = options.zones.find((zone) => zone.id === argument.id);
        return { zone: { id: argument.id, name: configured?.name ?? null }, source: 'argument' };
      }
      if (argument?.kind === 'name') {
        const configured = options.zones.find((zone) => zone.name === argument.name);
        if (configured) return { zone: { id: configured.id, name: configured.name }, source: 'argument' };
        const found = await zoneNamed(argument.name, requestOptions);
        if (!found) {
          throw new AopError(
            'zone_not_found',
            `No zone named ${argument.name} is visible to the Cloudflare token.`,
            {
              hint: 'Check the spelling, or pass the 32-character zone id from the zone Overview page.',
            },
          );
        }
        return { zone: found, source: 'argument' };
      }
      const inventory = fromInventory(hostname);
      if (inventory) return { zone: inventory, source: 'inventory' };
      for (const candidate of parentSuffixes(hostname)) {
        const found = await zoneNamed(candidate, requestOptions);
        if (found) return { zone: found, source: 'cloudflare' };
      }
      throw new AopError('zone_not_found', `No Cloudflare zone visible to the token contains ${hostname}.`, {
        hint: `Name the zone: \`/aop-status ${hostname} <zone name or id>\`, or add it to the config file.`,
      });
    },
  };
}
