import { toHostnameAssociation, toZoneCertificate } from '../cloudflare/mapping.js';
import type { CloudflareClient } from '../cloudflare/types.js';
import { parseCertificatePem } from '../domain/certificate.js';
import { decideCertificateInEffect } from '../domain/certificate-in-effect.js';
import type { ZoneArgument } from '../domain/command.js';
import { assessCertificateFitness } from '../domain/fitness.js';
import type {
  LookupResult,
  ParsedCertificate,
  ZoneQuotaSnapshot,
  ZoneSettingReading,
  ZoneSwitches,
} from '../domain/lookup.js';
import type {
  HostnameAssociation,
  HostnameObservation,
  Thresholds,
  ZoneCertificate,
  ZoneRef,
} from '../domain/types.js';
import { isAopError } from '../errors.js';
import { TtlCache } from './ttl-cache.js';
import type { ZoneResolver } from './zone-resolver.js';

export interface LookupRequest {
  hostname: string;
  zone: ZoneArgument | null;
  /** Refresh asks for the live state, never a cached one. */
  bypassCache?: boolean;
  /** Aborts every Cloudflare call of this lookup, retries included (the person's deadline). */
  signal?: AbortSignal;
}

export interface LookupService {
  lookup(request: LookupRequest): Promise<LookupResult>;
}

export interface LookupServiceOptions {
  cloudflare: CloudflareClient;
  zoneResolver: ZoneResolver;
  thresholds: Thresholds;
  /** A hostname's own thresholds (its route's), when they may differ from `thresholds`. */
  thresholdsFor?: (hostname: string, zone: ZoneRef) => Thresholds;
  timeZone: string;
  clock: () => Date;
  /**
   * How long an answer is reused for the same hostname. Short: on-call engineers retype commands,
   * and the rate limit is shared with the digest, but a stale card must not outlive a fix.
   */
  cacheTtlMs?: number;
  /**
   * The zone's quota from its last stored zone check. Optional: without it (or when it fails)
   * the card shows no quota line. Reading the stored check costs no Cloudflare request.
   */
  readZoneQuota?: (zoneId: string) => Promise<ZoneQuotaSnapshot | null>;
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

/** A PEM parsed for the card: the certificate, or why it could not be read. */
function parsePem(pem: string | null): { certificate: ParsedCertificate | null; error: string | null } {
  if (!pem) return { certificate: null, error: null };
  const parsed = parseCertificatePem(pem);
  return parsed.ok
    ? { certificate: parsed.certificate, error: null }
    : { certificate: null, error: parsed.reason };
}

/**
 * The live per-hostname lookup behind `/aop-status <hostname>`: resolves the zone, then reads in
 * parallel the four things that decide what Cloudflare presents to the origin (the hostname status,
 * the zone's `tls_client_auth`, zone-level AOP and the zone-level certificates), so a cache miss
 * costs at most four requests after the zone is known. Cloudflare failures on the status call
 * propagate as CloudflareApiError; a 404 is an answer ("no association"), not a failure. A zone
 * read the token may not make leaves the rest of the card intact and names the permission.
 */
export function createLookupService(options: LookupServiceOptions): LookupService {
  const cache = new TtlCache<LookupResult>(1_000, () => options.clock().getTime());
  const cacheTtlMs = options.cacheTtlMs ?? 15_000;

  const readQuota = async (zoneId: string): Promise<ZoneQuotaSnapshot | null> => {
    if (options.readZoneQuota === undefined) return null;
    try {
      return await options.readZoneQuota(zoneId);
    } catch {
      // The quota is context; a Redis hiccup must not cost the on-call engineer the card.
      return null;
    }
  };

  return {
    async lookup(request) {
      // Someone is waiting: these calls go ahead of background ones for an in-flight slot.
      const calls = request.signal ? { signal: request.signal, urgent: true } : { urgent: true };
      const resolved = await options.zoneResolver.resolve(request.hostname, request.zone, calls);
      const cacheKey = `${resolved.zone.id}/${request.hostname}`;
      if (!request.bypassCache) {
        const cached = cache.get(cacheKey);
        if (cached) return cached;
      }
      const zoneId = resolved.zone.id;
      // Started first and awaited last: it runs alongside the Cloudflare reads.
      const quota = readQuota(zoneId);
      const [status, tlsClientAuth, zoneLevelAop, zoneCertificates] = await Promise.all([
        options.cloudflare.getHostnameStatus(zoneId, request.hostname, calls).then(
          (value) => ({ found: true as const, value }),
          (error: unknown) => {
            if (isAopError(error, 'cloudflare_not_found')) return { found: false as const };
            throw error;
          },
        ),
        readSetting(
          async () => (await options.cloudflare.getZoneTlsClientAuth(zoneId, calls)).value ?? 'unknown',
          'Zone Settings Read',
        ),
        readSetting(
          async () => (await options.cloudflare.getZoneAopSetting(zoneId, calls)).enabled === true,
          'SSL and Certificates Read',
        ),
        readSetting<readonly ZoneCertificate[]>(
          async () =>
            (await options.cloudflare.listZoneCertificates(zoneId, calls)).map((row) =>
              toZoneCertificate(row, zoneId),
            ),
          'SSL and Certificates Read',
        ),
      ]);
      const checkedAt = options.clock();
      let observation: HostnameObservation;
      let association: HostnameAssociation | null = null;
      if (status.found) {
        association = toHostnameAssociation(status.value, zoneId, request.hostname);
        observation = { kind: 'association', association };
      } else {
        observation = { kind: 'no_association', hostname: request.hostname, zoneId };
      }
      const own = parsePem(association?.certificatePem ?? null);
      const zonePems = new Map<ZoneCertificate, ReturnType<typeof parsePem>>();
      const parseZonePem = (certificate: ZoneCertificate) => {
        if (!zonePems.has(certificate)) zonePems.set(certificate, parsePem(certificate.certificatePem));
        return zonePems.get(certificate) as ReturnType<typeof parsePem>;
      };
      const inEffect = decideCertificateInEffect(
        {
          association,
          associationCertificate: own.certificate,
          zoneLevelAop,
          zoneCertificates,
          tlsClientAuth,
        },
        {
          thresholds: options.thresholdsFor?.(request.hostname, resolved.zone) ?? options.thresholds,
          now: checkedAt,
          timeZone: options.timeZone,
          parseZoneCertificate: (certificate) => parseZonePem(certificate).certificate,
        },
      );
      // The card shows the PEM of the hostname's own association when it has one (even disabled),
      // else that of the zone certificate in effect.
      const shown =
        association === null && inEffect.presented.kind === 'zone_certificate'
          ? parseZonePem(inEffect.presented.certificate)
          : own;
      const zoneSwitches: ZoneSwitches = { tlsClientAuth, zoneLevelAop, zoneCertificates };
      const shownPem =
        association === null && inEffect.presented.kind === 'zone_certificate'
          ? inEffect.presented.certificate
          : association;
      const fitness =
        shown.certificate !== null && shownPem?.certificatePem
          ? assessCertificateFitness(shownPem.certificatePem, {
              now: checkedAt,
              reportedExpiry: shownPem.expiresOn,
              timeZone: options.timeZone,
            })
          : undefined;
      const result: LookupResult = {
        hostname: request.hostname,
        zone: resolved.zone,
        zoneSource: resolved.source,
        checkedAt,
        observation,
        inEffect,
        assessment: inEffect.assessment,
        certificate: shown.certificate,
        certificateParseError: shown.error,
        zoneSwitches,
        quota: await quota,
      };
      if (fitness !== undefined) result.fitness = fitness;
      cache.set(cacheKey, result, cacheTtlMs);
      return result;
    },
  };
}
