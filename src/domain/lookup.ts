import type { CertificateInEffect } from './certificate-in-effect.js';
import type { FitnessFinding } from './fitness.js';
import type { ZoneQuota } from './quota.js';
import type { HostnameObservation, SeverityAssessment, ZoneCertificate, ZoneRef } from './types.js';

/** The parts of a PEM certificate a person needs on the card. */
export interface ParsedCertificate {
  subject: string;
  issuer: string;
  subjectAltNames: string[];
  serialNumberHex: string;
  validFrom: Date;
  validTo: Date;
  sha256Fingerprint: string;
}

/** A zone-level switch as the token could (or could not) read it. */
export type ZoneSettingReading<T> =
  | { state: 'known'; value: T }
  | { state: 'forbidden'; permission: string }
  | { state: 'failed'; message: string };

export interface ZoneSwitches {
  /** Zone setting `tls_client_auth`: the global "Authenticated Origin Pulls" switch. */
  tlsClientAuth: ZoneSettingReading<'on' | 'off' | string>;
  /** `/origin_tls_client_auth/settings` `enabled`: zone-level AOP. */
  zoneLevelAop: ZoneSettingReading<boolean>;
  /** `/origin_tls_client_auth`: the zone-level certificates, expired ones included. */
  zoneCertificates: ZoneSettingReading<readonly ZoneCertificate[]>;
}

/** Everything the status card shows; built by src/lookup, rendered by src/render. */
export interface LookupResult {
  hostname: string;
  zone: ZoneRef;
  /** How the zone was found, e.g. "inventory", "argument", "Cloudflare zone lookup". */
  zoneSource: 'argument' | 'inventory' | 'cloudflare';
  checkedAt: Date;
  observation: HostnameObservation;
  /** What Cloudflare presents to the origin for this hostname, and why. */
  inEffect: CertificateInEffect;
  /** The severity of the certificate in effect (`inEffect.assessment`): what the card leads with. */
  assessment: SeverityAssessment;
  /** Parsed from the PEM of the certificate shown (the hostname's own, else the zone's in effect). */
  certificate: ParsedCertificate | null;
  /** Set when a PEM was returned but could not be parsed. */
  certificateParseError: string | null;
  /** Fitness of the certificate shown (`certificate`), when it could be parsed; empty when fit. */
  fitness?: FitnessFinding[];
  /** The zone's use of Cloudflare's limits as of its last scheduled check, when one is stored. */
  quota?: ZoneQuotaSnapshot | null;
  zoneSwitches: ZoneSwitches | null;
}

/** A zone's quota as its last zone check counted it (no extra Cloudflare request for the card). */
export interface ZoneQuotaSnapshot {
  quota: ZoneQuota;
  checkedAt: Date;
}
