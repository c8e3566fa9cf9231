/**
 * Cloudflare wire shapes for the endpoints the bot reads, as the official OpenAPI declares them:
 * no property is required, so every field is optional, and `enabled` is true, false or null.
 * Timestamps stay strings here; mapping.ts turns them into Dates.
 */

export interface CfHostnameStatus {
  hostname?: string;
  cert_id?: string;
  enabled?: boolean | null;
  status?: string;
  cert_status?: string;
  created_at?: string;
  updated_at?: string;
  cert_uploaded_on?: string;
  cert_updated_at?: string;
  certificate?: string;
  expires_on?: string;
  issuer?: string;
  serial_number?: string;
  signature?: string;
}

/** One row of GET /zones/{zone_id}/origin_tls_client_auth/hostnames (the association list). */
export interface CfHostnameAssociationRow {
  hostname?: string;
  cert_id?: string;
  enabled?: boolean | null;
  status?: string;
  created_at?: string;
  updated_at?: string;
}

/** One row of GET /zones/{zone_id}/origin_tls_client_auth/hostnames/certificates. */
export interface CfHostnameCertificate {
  id?: string;
  certificate?: string;
  expires_on?: string;
  issuer?: string;
  serial_number?: string;
  signature?: string;
  status?: string;
  uploaded_on?: string;
}

/**
 * One row of GET /zones/{zone_id}/origin_tls_client_auth (zone-level certificates), also the
 * result of GET /zones/{zone_id}/origin_tls_client_auth/{certificate_id}.
 */
export interface CfZoneCertificate {
  id?: string;
  certificate?: string;
  /** "Indicates whether zone-level authenticated origin pulls is enabled." */
  enabled?: boolean;
  expires_on?: string;
  issuer?: string;
  signature?: string;
  status?: string;
  uploaded_on?: string;
}

export interface CfZone {
  id: string;
  name: string;
  status?: string;
  /** The account the zone belongs to (GET /zones always says; kept optional for odd rows). */
  account?: { id: string; name?: string };
}

export interface ListZonesOptions extends CloudflareRequestOptions {
  /** Only this account's zones (`account.id`); default every account the token reads. */
  accountId?: string;
}

export interface CloudflareRequestOptions {
  signal?: AbortSignal;
  /** A person is waiting for the answer (a lookup): it goes ahead of background calls for a slot. */
  urgent?: boolean;
}

/**
 * The Cloudflare endpoints the bot uses. Every method throws `CloudflareApiError`
 * (src/cloudflare/errors.ts) on failure, after the client's own retries.
 */
export interface CloudflareClient {
  /** GET /zones/{zone_id}/origin_tls_client_auth/hostnames/{hostname}. 404 → code `cloudflare_not_found`. */
  getHostnameStatus(
    zoneId: string,
    hostname: string,
    options?: CloudflareRequestOptions,
  ): Promise<CfHostnameStatus>;
  /** Every association in the zone: status=all, per_page=1000, all pages. */
  listHostnameAssociations(
    zoneId: string,
    options?: CloudflareRequestOptions,
  ): Promise<CfHostnameAssociationRow[]>;
  /** GET /zones/{zone_id}/origin_tls_client_auth/hostnames/certificates (not paged). */
  listHostnameCertificates(
    zoneId: string,
    options?: CloudflareRequestOptions,
  ): Promise<CfHostnameCertificate[]>;
  /** GET /zones/{zone_id}/origin_tls_client_auth: the zone-level certificates (not paged). */
  listZoneCertificates(zoneId: string, options?: CloudflareRequestOptions): Promise<CfZoneCertificate[]>;
  /** GET /zones/{zone_id}/origin_tls_client_auth/settings → zone-level AOP `enabled`. */
  getZoneAopSetting(zoneId: string, options?: CloudflareRequestOptions): Promise<{ enabled: boolean | null }>;
  /** GET /zones/{zone_id}/settings/tls_client_auth → `on` | `off`. */
  getZoneTlsClientAuth(zoneId: string, options?: CloudflareRequestOptions): Promise<{ value: string | null }>;
  /** GET /zones?name=<name> (exact match). */
  findZonesByName(name: string, options?: CloudflareRequestOptions): Promise<CfZone[]>;
  /** Every zone the credential reads: GET /zones, 50 per page, all pages, optionally one account's. */
  listZones(options?: ListZonesOptions): Promise<CfZone[]>;
}
