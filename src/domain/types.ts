/**
 * The domain model shared by the lookup, the digest and the alerts. Cloudflare's wire shapes are
 * parsed in src/cloudflare and mapped onto these types; nothing in src/domain performs I/O.
 */

/** The seven states Cloudflare reports for a certificate or an association (OpenAPI `status-9`). */
export const CERTIFICATE_STATUSES = [
  'initializing',
  'pending_deployment',
  'pending_deletion',
  'active',
  'deleted',
  'deployment_timed_out',
  'deletion_timed_out',
] as const;
export type KnownCertificateStatus = (typeof CERTIFICATE_STATUSES)[number];

/**
 * Per-hostname `enabled` is tri-state on the wire: true, false, or null (the association was voided).
 * `unreported` means the field was absent, which the API allows since no property is required.
 */
export type HostnameAopSwitch = 'on' | 'off' | 'voided' | 'unreported';

/** One hostname's per-hostname AOP association and the certificate behind it, as Cloudflare reports it. */
export interface HostnameAssociation {
  hostname: string;
  zoneId: string;
  aopSwitch: HostnameAopSwitch;
  /** Association status. A string, not the enum: an unknown future value must still be shown. */
  associationStatus: string | null;
  certificateStatus: string | null;
  certificateId: string | null;
  expiresOn: Date | null;
  issuer: string | null;
  serialNumber: string | null;
  signature: string | null;
  certificatePem: string | null;
  associationCreatedAt: Date | null;
  associationUpdatedAt: Date | null;
  certificateUploadedOn: Date | null;
  certificateUpdatedAt: Date | null;
}

/**
 * One certificate of the zone's per-hostname certificate list, whether or not a hostname uses it:
 * a replacement uploaded and not yet associated shows up here first.
 */
export interface HostnameCertificate {
  zoneId: string;
  certificateId: string | null;
  /** A string, not the enum: an unknown future value must still be shown. */
  status: string | null;
  expiresOn: Date | null;
  issuer: string | null;
  serialNumber: string | null;
  signature: string | null;
  certificatePem: string | null;
  uploadedOn: Date | null;
}

/**
 * One zone-level AOP certificate: uploaded for the whole zone and presented to the origin for
 * every hostname without a per-hostname association of its own, while zone-level AOP is on.
 */
export interface ZoneCertificate {
  zoneId: string;
  certificateId: string | null;
  /** A string, not the enum: an unknown future value must still be shown. */
  status: string | null;
  /** The row's own `enabled`: whether zone-level AOP is on, as Cloudflare repeats it per certificate. */
  zoneAopEnabled: boolean | null;
  expiresOn: Date | null;
  issuer: string | null;
  signature: string | null;
  certificatePem: string | null;
  uploadedOn: Date | null;
}

/** What one check of one hostname found. */
export type HostnameObservation =
  | { kind: 'association'; association: HostnameAssociation }
  | { kind: 'no_association'; hostname: string; zoneId: string }
  | { kind: 'unreachable'; hostname: string; zoneId: string | null; errorCode: string; errorMessage: string };

export interface Thresholds {
  warningDays: number;
  criticalDays: number;
  stuckPendingMinutes: number;
}

/** Ordered worst first: the order of `list`, of the digest, and of escalation. */
export const SEVERITIES = ['critical', 'warning', 'unknown', 'info', 'ok'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type ReasonCode =
  | 'expired'
  | 'expiring_critical'
  | 'expiring_warning'
  | 'not_yet_valid'
  | 'expiry_mismatch'
  | 'expiry_missing'
  | 'deployment_timed_out'
  | 'deletion_timed_out'
  | 'stuck_pending'
  | 'pending'
  | 'disabled'
  | 'voided'
  | 'no_association'
  | 'unreachable'
  | 'shared_certificate'
  | 'no_client_certificate'
  | 'not_in_use'
  | 'in_effect_unknown'
  | 'healthy';

export interface SeverityReason {
  code: ReasonCode;
  severity: Severity;
  /** A sentence a person reads, e.g. "Certificate expires in 5 days (2026-12-02)". Plain text, not escaped. */
  text: string;
}

export interface SeverityAssessment {
  severity: Severity;
  /** Worst first. Never empty: a healthy record has one `healthy` reason. */
  reasons: SeverityReason[];
  /** The expiry that governs (the earlier of `expires_on` and the PEM's notAfter), when known. */
  effectiveExpiry: Date | null;
  /** Whole days until effectiveExpiry, rounded down; negative once expired. */
  daysUntilExpiry: number | null;
}

/** A configured zone. `hostnames` absent means every association in the zone is watched. */
export interface ZoneRef {
  id: string;
  name: string | null;
}
