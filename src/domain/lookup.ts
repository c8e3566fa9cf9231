import type { HostnameObservation, SeverityAssessment, ZoneRef } from './types.js';

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
}

/** Everything the status card shows; built by src/lookup, rendered by src/render. */
export interface LookupResult {
  hostname: string;
  zone: ZoneRef;
  /** How the zone was found, e.g. "inventory", "argument", "Cloudflare zone lookup". */
  zoneSource: 'argument' | 'inventory' | 'cloudflare';
  checkedAt: Date;
  observation: HostnameObservation;
  assessment: SeverityAssessment;
  /** Parsed from the association's PEM when present and parseable. */
  certificate: ParsedCertificate | null;
  /** Set when a PEM was returned but could not be parsed. */
  certificateParseError: string | null;
  zoneSwitches: ZoneSwitches | null;
}
