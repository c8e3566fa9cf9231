/**
 * Builders for digest inputs with overridable defaults. Assessments are written by hand, so these
 * tests pin the digest's behaviour without depending on how severity.ts decides.
 */
import type {
  DigestInput,
  HostnameCheck,
  ZoneCertificateCheck,
  ZoneFailure,
} from '../../../src/digest/model.js';
import type {
  HostnameAssociation,
  ReasonCode,
  Severity,
  SeverityAssessment,
  ZoneRef,
} from '../../../src/domain/types.js';

/** 09:00 in Europe/Berlin (CET) on Thursday 2026-11-26. */
export const SLOT_TIME = new Date('2026-11-26T08:00:00.000Z');
export const NEXT_DIGEST = new Date('2026-11-27T08:00:00.000Z');
export const TIME_ZONE = 'Europe/Berlin';
const DAY_MS = 86_400_000;

export const ZONE_A: ZoneRef = { id: 'zone-a-id', name: 'a.example' };
export const ZONE_B: ZoneRef = { id: 'zone-b-id', name: 'b.example' };

const DEFAULT_REASON: Record<Severity, { code: ReasonCode; text: string }> = {
  critical: { code: 'expiring_critical', text: 'Certificate expires soon' },
  warning: { code: 'expiring_warning', text: 'Certificate expires within the warning window' },
  unknown: { code: 'unreachable', text: 'Could not reach Cloudflare' },
  info: { code: 'disabled', text: 'AOP is switched off for this hostname' },
  ok: { code: 'healthy', text: 'Healthy' },
};

export function assessment(
  severity: Severity,
  options: { expiresOn?: Date | null; reason?: { code: ReasonCode; text: string } } = {},
): SeverityAssessment {
  const expiresOn = options.expiresOn ?? null;
  const reason = options.reason ?? DEFAULT_REASON[severity];
  return {
    severity,
    reasons: [{ ...reason, severity }],
    effectiveExpiry: expiresOn,
    daysUntilExpiry:
      expiresOn === null ? null : Math.floor((expiresOn.getTime() - SLOT_TIME.getTime()) / DAY_MS),
  };
}

export function association(
  overrides: Partial<HostnameAssociation> & { hostname: string },
): HostnameAssociation {
  return {
    zoneId: ZONE_A.id,
    aopSwitch: 'on',
    associationStatus: 'active',
    certificateStatus: 'active',
    certificateId: null,
    expiresOn: null,
    issuer: 'Example CA',
    serialNumber: '01',
    signature: 'SHA256WithRSA',
    certificatePem: null,
    associationCreatedAt: null,
    associationUpdatedAt: null,
    certificateUploadedOn: null,
    certificateUpdatedAt: null,
    ...overrides,
  };
}

export interface CheckOptions {
  zone?: ZoneRef;
  certificateId?: string | null;
  expiresOn?: Date | null;
  reason?: { code: ReasonCode; text: string };
}

/** A hostname with an association; `certificateId` defaults to one certificate per hostname. */
export function associationCheck(
  hostname: string,
  severity: Severity,
  options: CheckOptions = {},
): HostnameCheck {
  const zone = options.zone ?? ZONE_A;
  const expiresOn = options.expiresOn ?? null;
  const certificateId = options.certificateId === undefined ? `cert-${hostname}` : options.certificateId;
  return {
    hostname,
    zone,
    observation: {
      kind: 'association',
      association: association({ hostname, zoneId: zone.id, certificateId, expiresOn }),
    },
    assessment: assessment(severity, { expiresOn, ...(options.reason ? { reason: options.reason } : {}) }),
  };
}

export function unreachableCheck(
  hostname: string,
  options: { zone?: ZoneRef; errorCode?: string; errorMessage?: string } = {},
): HostnameCheck {
  const zone = options.zone ?? ZONE_A;
  const errorMessage = options.errorMessage ?? 'Cloudflare did not answer within 10 s';
  return {
    hostname,
    zone,
    observation: {
      kind: 'unreachable',
      hostname,
      zoneId: zone.id,
      errorCode: options.errorCode ?? 'cloudflare_timeout',
      errorMessage,
    },
    assessment: assessment('unknown', { reason: { code: 'unreachable', text: errorMessage } }),
  };
}

export function noAssociationCheck(hostname: string, zone: ZoneRef = ZONE_A): HostnameCheck {
  return {
    hostname,
    zone,
    observation: { kind: 'no_association', hostname, zoneId: zone.id },
    assessment: assessment('info', {
      reason: { code: 'no_association', text: 'No per-hostname AOP association' },
    }),
  };
}

export function zoneFailure(zone: ZoneRef, hostnames: string[] = []): ZoneFailure {
  return {
    zone,
    errorCode: 'cloudflare_forbidden',
    errorMessage: 'The API token may not read this zone',
    hostnames,
  };
}

export function zoneCertificateCheck(
  severity: Severity,
  options: {
    zone?: ZoneRef;
    certificateId?: string;
    inUse?: boolean;
    expiresOn?: Date | null;
    reason?: { code: ReasonCode; text: string };
  } = {},
): ZoneCertificateCheck {
  const zone = options.zone ?? ZONE_A;
  return {
    zone,
    certificate: {
      zoneId: zone.id,
      certificateId: options.certificateId ?? 'zone-certificate-1',
      status: 'active',
      zoneAopEnabled: true,
      expiresOn: options.expiresOn ?? null,
      issuer: null,
      signature: null,
      certificatePem: null,
      uploadedOn: null,
    },
    inUse: options.inUse ?? true,
    assessment: assessment(severity, {
      expiresOn: options.expiresOn ?? null,
      ...(options.reason ? { reason: options.reason } : {}),
    }),
  };
}

export function daysAfterSlot(days: number): Date {
  return new Date(SLOT_TIME.getTime() + days * DAY_MS);
}

export function digestInput(overrides: Partial<DigestInput> = {}): DigestInput {
  return {
    slotTime: SLOT_TIME,
    generatedAt: new Date(SLOT_TIME.getTime() + 42_000),
    lateByMs: 0,
    nextDigestAt: NEXT_DIGEST,
    timeZone: TIME_ZONE,
    checks: [],
    zoneFailures: [],
    zonesTotal: 2,
    trigger: 'schedule',
    ...overrides,
  };
}
