import { toHostnameAssociation } from '../cloudflare/mapping.js';
import type { CloudflareClient } from '../cloudflare/types.js';
import { parseCertificatePem } from '../domain/certificate.js';
import type { ZoneArgument } from '../domain/command.js';
import type { LookupResult, ParsedCertificate, ZoneSettingReading, ZoneSwitches } from '../domain/lookup.js';
import { assessSeverity } from '../domain/severity.js';
import type { HostnameObservation, Thresholds } from '../domain/types.js';
import { isAopError } from '../errors.js';
import { TtlCache } from './ttl-cache.js';
import type { ZoneResolver } from './zone-resolver.js';

export interface LookupRequest {
  hostname: string;
  zone: ZoneArgument | null;
  /** Refresh asks for the live state, never a cached one. */
  bypassCache?: boolean;
}

export interface LookupService {
  lookup(request: LookupRequest): Promise<LookupResult>;
}

export interface LookupServiceOptions {
  cloudflare: CloudflareClient;
  zoneResolver: ZoneResolver;
  thresholds: Thresholds;
  timeZone: string;
  clock: () => Date;
  /**
   * How long an answer is reused for the same hostname. Short: on-call engineers retype commands,
   * and the rate limit is shared with the digest, but a stale card must not outlive a fix.
   */
  cacheTtlMs?: number;
}

async function readSetting<T>(read: () => Promise<T>, permission: string): Promise<ZoneSettingReading<T>> {
  try {
    return { state: 'known', value: await read() };
  } catch (error) {
    // Only a missing permission is about this one setting; a token Cloudflare does not accept
    // fails the hostname call too, and that error is the answer.
    if (isAopError(error, 'cloudflare_forbidden')) return { state: 'forbidden', permission };
    return { state: 'failed', message: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * The live per-hostname lookup behind `/aop-status <hostname>`: resolves the zone, reads the
 * hostname status and the two zone-level switches in parallel, and assesses severity.
 * Cloudflare failures on the status call propagate as CloudflareApiError; a 404 is an answer
 * ("no association"), not a failure.
 */
export function createLookupService(options: LookupServiceOptions): LookupService {
  const cache = new TtlCache<LookupResult>(1_000, () => options.clock().getTime());
  const cacheTtlMs = options.cacheTtlMs ?? 15_000;

  return {
    async lookup(request) {
      const resolved = await options.zoneResolver.resolve(request.hostname, request.zone);
      const cacheKey = `${resolved.zone.id}/${request.hostname}`;
      if (!request.bypassCache) {
        const cached = cache.get(cacheKey);
        if (cached) return cached;
      }
      const zoneId = resolved.zone.id;
      const [status, tlsClientAuth, zoneLevelAop] = await Promise.all([
        options.cloudflare.getHostnameStatus(zoneId, request.hostname).then(
          (value) => ({ found: true as const, value }),
          (error: unknown) => {
            if (isAopError(error, 'cloudflare_not_found')) return { found: false as const };
            throw error;
          },
        ),
        readSetting(
          async () => (await options.cloudflare.getZoneTlsClientAuth(zoneId)).value ?? 'unknown',
          'Zone Settings Read',
        ),
        readSetting(
          async () => (await options.cloudflare.getZoneAopSetting(zoneId)).enabled === true,
          'SSL and Certificates Read',
        ),
      ]);
      const checkedAt = options.clock();
      let observation: HostnameObservation;
      let certificate: ParsedCertificate | null = null;
      let certificateParseError: string | null = null;
      if (status.found) {
        const association = toHostnameAssociation(status.value, zoneId, request.hostname);
        observation = { kind: 'association', association };
        if (association.certificatePem) {
          const parsed = parseCertificatePem(association.certificatePem);
          if (parsed.ok) certificate = parsed.certificate;
          else certificateParseError = parsed.reason;
        }
      } else {
        observation = { kind: 'no_association', hostname: request.hostname, zoneId };
      }
      const zoneSwitches: ZoneSwitches = { tlsClientAuth, zoneLevelAop };
      const result: LookupResult = {
        hostname: request.hostname,
        zone: resolved.zone,
        zoneSource: resolved.source,
        checkedAt,
        observation,
        assessment: assessSeverity(observation, {
          thresholds: options.thresholds,
          now: checkedAt,
          certificate,
          timeZone: options.timeZone,
        }),
        certificate,
        certificateParseError,
        zoneSwitches,
      };
      cache.set(cacheKey, result, cacheTtlMs);
      return result;
    },
  };
}
