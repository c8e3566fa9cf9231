import { describe, expect, it } from 'vitest';
import { httpFailureError } from '../../../src/cloudflare/errors.js';
import type {
  CfHostnameAssociationRow,
  CfHostnameCertificate,
  CfHostnameStatus,
  CfZoneCertificate,
  CloudflareClient,
} from '../../../src/cloudflare/types.js';
import { checkZone, isRetryableZoneFailure, type ZonePlan } from '../../../src/inventory/zone-check.js';
import { FITNESS_PEMS } from '../../fixtures/pem/fitness.js';

const NOW = new Date('2026-11-20T12:00:00Z');
const DAY_MS = 86_400_000;
const ZONE = { id: 'zone-1', name: 'example.com' };
const THRESHOLDS = { warningDays: 30, criticalDays: 7, stuckPendingMinutes: 120 };

const inDays = (days: number) => new Date(NOW.getTime() + days * DAY_MS).toISOString();

function failure(status: number, path: string) {
  return httpFailureError({
    status,
    cloudflareErrors: [
      {
        code: status === 403 ? 10000 : 10001,
        message: status === 403 ? 'Authentication error' : 'Internal error',
      },
    ],
    method: 'GET',
    path,
    retryAfterSeconds: null,
    attempts: status === 403 ? 1 : 3,
  });
}

interface FakeZoneData {
  rows?: CfHostnameAssociationRow[];
  certificates?: CfHostnameCertificate[];
  statuses?: Record<string, CfHostnameStatus>;
  listError?: Error;
  zoneCertificates?: CfZoneCertificate[];
  zoneCertificatesError?: Error;
  zoneAop?: boolean | null;
  zoneAopError?: Error;
}

/** A CloudflareClient answering from canned data and recording the calls it got. */
function fakeCloudflare(data: FakeZoneData): CloudflareClient & { calls: string[] } {
  const calls: string[] = [];
  const listPath = `/zones/${ZONE.id}/origin_tls_client_auth/hostnames`;
  return {
    calls,
    async listHostnameAssociations() {
      calls.push('listHostnameAssociations');
      if (data.listError) throw data.listError;
      return data.rows ?? [];
    },
    async listHostnameCertificates() {
      calls.push('listHostnameCertificates');
      return data.certificates ?? [];
    },
    async getHostnameStatus(_zoneId, hostname) {
      calls.push(`getHostnameStatus ${hostname}`);
      const status = data.statuses?.[hostname];
      if (!status) throw failure(404, `${listPath}/${hostname}`);
      return status;
    },
    async listZoneCertificates() {
      calls.push('listZoneCertificates');
      if (data.zoneCertificatesError) throw data.zoneCertificatesError;
      return data.zoneCertificates ?? [];
    },
    async getZoneAopSetting() {
      calls.push('getZoneAopSetting');
      if (data.zoneAopError) throw data.zoneAopError;
      return { enabled: data.zoneAop ?? false };
    },
    async getZoneTlsClientAuth() {
      throw new Error('not used by zone checks');
    },
    async findZonesByName() {
      throw new Error('not used by zone checks');
    },
    async listZones() {
      throw new Error('not used by zone checks');
    },
  };
}

function plan(overrides: Partial<ZonePlan> = {}): ZonePlan {
  return { zone: ZONE, discoverAll: false, hostnames: [], ignored: [], ...overrides };
}

function options(cloudflare: CloudflareClient) {
  return { cloudflare, thresholds: THRESHOLDS, timeZone: 'Europe/Berlin', now: () => NOW, concurrency: 4 };
}

const CERTIFICATES: CfHostnameCertificate[] = [
  { id: 'cert-soon', expires_on: inDays(3), status: 'active' },
  { id: 'cert-later', expires_on: inDays(200), status: 'active' },
];

describe('checkZone', () => {
  it('checks a whole zone with the two list requests, joined by certificate id', async () => {
    const cloudflare = fakeCloudflare({
      rows: [
        { hostname: 'a.example.com', cert_id: 'cert-soon', enabled: true, status: 'active' },
        { hostname: 'b.example.com', cert_id: 'cert-soon', enabled: true, status: 'active' },
        { hostname: 'c.example.com', cert_id: 'cert-later', enabled: false, status: 'active' },
        { hostname: 'gone.example.com', cert_id: 'cert-later', enabled: true, status: 'deleted' },
        { hostname: 'skipped.example.com', cert_id: 'cert-later', enabled: true, status: 'active' },
      ],
      certificates: CERTIFICATES,
    });

    const result = await checkZone(
      plan({ discoverAll: true, ignored: ['skipped.example.com'] }),
      options(cloudflare),
    );

    expect(cloudflare.calls.sort()).toEqual([
      'getZoneAopSetting',
      'listHostnameAssociations',
      'listHostnameCertificates',
      'listZoneCertificates',
    ]);
    expect(result.failure).toBeNull();
    expect(result.requests).toBe(4);
    expect(result.checks.map((check) => [check.hostname, check.assessment.severity])).toEqual([
      ['a.example.com', 'critical'],
      ['b.example.com', 'critical'],
      ['c.example.com', 'info'],
    ]);
    // The PEM is dropped once assessed, to keep job results and snapshots small.
    for (const check of result.checks)
      if (check.observation.kind === 'association')
        expect(check.observation.association.certificatePem).toBeNull();
  });

  it('counts the zone quota and assesses fitness from the same two lists, with no extra request', async () => {
    const pem = FITNESS_PEMS.server_auth_only.pem;
    const cloudflare = fakeCloudflare({
      rows: [
        { hostname: 'a.example.com', cert_id: 'cert-unfit', enabled: true, status: 'active' },
        { hostname: 'b.example.com', cert_id: 'cert-unfit', enabled: true, status: 'active' },
        { hostname: 'c.example.com', cert_id: 'cert-later', enabled: true, status: 'active' },
        { hostname: 'gone.example.com', cert_id: 'cert-later', enabled: true, status: 'deleted' },
      ],
      certificates: [
        ...CERTIFICATES,
        { id: 'cert-unfit', certificate: pem, expires_on: '2026-12-01T12:00:00Z', status: 'active' },
        { id: 'cert-deleted', status: 'deleted' },
      ],
    });
    const result = await checkZone(plan({ discoverAll: true }), options(cloudflare));
    // The two hostname lists and the two zone-level reads: the quota and fitness add none.
    expect(result.requests).toBe(4);
    expect(result.quota).toEqual({
      certificatesUsed: 3,
      certificatesLimit: 10,
      largestAssociationCount: 2,
      largestAssociationCertificateId: 'cert-unfit',
      associationsLimit: 100,
    });
    const byHostname = new Map(result.checks.map((check) => [check.hostname, check.fitness]));
    expect(byHostname.get('a.example.com')?.map((finding) => finding.code)).toEqual(['client_auth_missing']);
    // No PEM, nothing to assess: absent rather than claimed fit.
    expect(byHostname.get('c.example.com')).toBeUndefined();
    // The certificate list travels with the result for the alert threads (replacements), without PEMs.
    expect(
      result.hostnameCertificates?.map((item) => [
        item.certificateId,
        item.associations,
        item.findings?.length ?? null,
      ]),
    ).toEqual([
      ['cert-soon', 0, null],
      ['cert-later', 1, null],
      ['cert-unfit', 2, 1],
      ['cert-deleted', 0, null],
    ]);
    expect(JSON.stringify(result.hostnameCertificates)).not.toContain('BEGIN CERTIFICATE');
  });

  it('asks for a listed hostname the association list does not have, and reports it as not associated', async () => {
    const cloudflare = fakeCloudflare({
      rows: [{ hostname: 'a.example.com', cert_id: 'cert-later', enabled: true, status: 'active' }],
      certificates: CERTIFICATES,
    });

    const result = await checkZone(
      plan({ hostnames: ['a.example.com', 'missing.example.com'] }),
      options(cloudflare),
    );

    expect(cloudflare.calls.filter((call) => call.startsWith('getHostnameStatus'))).toEqual([
      'getHostnameStatus missing.example.com',
    ]);
    expect(result.checks.map((check) => [check.hostname, check.observation.kind])).toEqual([
      ['a.example.com', 'association'],
      ['missing.example.com', 'no_association'],
    ]);
  });

  it('falls back to one status call per listed hostname when the list endpoint fails', async () => {
    const cloudflare = fakeCloudflare({
      listError: failure(500, `/zones/${ZONE.id}/origin_tls_client_auth/hostnames`),
      statuses: {
        'a.example.com': {
          hostname: 'a.example.com',
          enabled: true,
          status: 'active',
          expires_on: inDays(20),
        },
      },
    });

    const result = await checkZone(plan({ hostnames: ['a.example.com'] }), options(cloudflare));

    expect(result.failure).toBeNull();
    expect(result.checks.map((check) => [check.hostname, check.assessment.severity])).toEqual([
      ['a.example.com', 'warning'],
    ]);
    expect(cloudflare.calls).toContain('getHostnameStatus a.example.com');
  });

  it('reports a zone it cannot list and has to discover as not checked, with the reason and what to do', async () => {
    const cloudflare = fakeCloudflare({
      listError: failure(500, `/zones/${ZONE.id}/origin_tls_client_auth/hostnames`),
    });

    const result = await checkZone(
      plan({ discoverAll: true, hostnames: ['a.example.com'] }),
      options(cloudflare),
    );

    expect(result.checks).toEqual([]);
    expect(result.failure).toMatchObject({
      zone: ZONE,
      errorCode: 'cloudflare_server_error',
      hostnames: ['a.example.com'],
    });
    expect(result.failure?.errorMessage).toContain('Cloudflare had a server error (HTTP 500');
  });

  it('says once for the zone that the token lacks the permission, naming it, without per-hostname calls', async () => {
    const cloudflare = fakeCloudflare({
      listError: failure(403, `/zones/${ZONE.id}/origin_tls_client_auth/hostnames`),
    });

    const result = await checkZone(
      plan({ hostnames: ['a.example.com', 'b.example.com'] }),
      options(cloudflare),
    );

    expect(cloudflare.calls.filter((call) => call.startsWith('getHostnameStatus'))).toEqual([]);
    expect(result.failure?.errorCode).toBe('cloudflare_forbidden');
    expect(result.failure?.errorMessage).toMatch(
      /^Cloudflare refused access \(HTTP 403 .*\. Give the API token the "SSL and Certificates Read" permission/,
    );
  });

  it('reports the live association when an old one sits next to its replacement', async () => {
    const cloudflare = fakeCloudflare({
      rows: [
        {
          hostname: 'a.example.com',
          cert_id: 'cert-soon',
          enabled: true,
          status: 'deleted',
          updated_at: inDays(-1),
        },
        {
          hostname: 'a.example.com',
          cert_id: 'cert-later',
          enabled: true,
          status: 'active',
          updated_at: inDays(-2),
        },
      ],
      certificates: CERTIFICATES,
    });

    const result = await checkZone(plan({ hostnames: ['a.example.com'] }), options(cloudflare));

    expect(result.checks.map((check) => [check.hostname, check.assessment.severity])).toEqual([
      ['a.example.com', 'ok'],
    ]);
  });

  it('does not report a hostname twice when Cloudflare spells it with capitals', async () => {
    const cloudflare = fakeCloudflare({
      rows: [{ hostname: 'App.Example.com', cert_id: 'cert-later', enabled: true, status: 'active' }],
      certificates: CERTIFICATES,
    });

    const result = await checkZone(
      plan({ discoverAll: true, hostnames: ['app.example.com'] }),
      options(cloudflare),
    );

    expect(result.checks.map((check) => check.hostname)).toEqual(['app.example.com']);
    expect(cloudflare.calls.filter((call) => call.startsWith('getHostnameStatus'))).toEqual([]);
  });
});

describe('checkZone: zone-level certificates', () => {
  const ZONE_CERTIFICATES: CfZoneCertificate[] = [
    { id: 'zone-old', status: 'active', expires_on: inDays(-10), uploaded_on: '2025-01-01T00:00:00Z' },
    { id: 'zone-new', status: 'active', expires_on: inDays(3), uploaded_on: '2026-06-01T00:00:00Z' },
  ];

  it('rates the zone certificate in use at full severity and the others as uploaded, not in use', async () => {
    const cloudflare = fakeCloudflare({ zoneCertificates: ZONE_CERTIFICATES, zoneAop: true });
    const result = await checkZone(plan({ discoverAll: true }), options(cloudflare));
    expect(result.requests).toBe(4);
    expect(result.zoneLevel?.state).toBe('checked');
    const certificates = result.zoneLevel?.state === 'checked' ? result.zoneLevel.certificates : [];
    expect(
      certificates.map((check) => [check.certificate.certificateId, check.inUse, check.assessment.severity]),
    ).toEqual([
      ['zone-new', true, 'critical'],
      ['zone-old', false, 'info'],
    ]);
    expect(certificates[1]?.assessment.reasons[0]?.text).toBe(
      'Uploaded, not in use: a more recently deployed zone certificate is in use',
    );
    expect(
      certificates.every((check) => check.zone === ZONE && check.certificate.certificatePem === null),
    ).toBe(true);
  });

  it('rates the zone certificates with the thresholds of the route taking the whole zone', async () => {
    const cloudflare = fakeCloudflare({ zoneCertificates: ZONE_CERTIFICATES, zoneAop: true });
    const result = await checkZone(plan({ discoverAll: true }), {
      ...options(cloudflare),
      zoneThresholdsFor: (zone) => (zone.id === ZONE.id ? { ...THRESHOLDS, criticalDays: 2 } : THRESHOLDS),
    });
    const certificates = result.zoneLevel?.state === 'checked' ? result.zoneLevel.certificates : [];
    // 3 days left: critical at the top level's 7, a warning under the owner's 2.
    expect(certificates.find((check) => check.inUse)?.assessment.severity).toBe('warning');
  });

  it('assesses the fitness of each zone certificate from its PEM, then drops the PEM', async () => {
    const cloudflare = fakeCloudflare({
      zoneCertificates: [
        { ...ZONE_CERTIFICATES[1], certificate: FITNESS_PEMS.server_auth_only.pem } as CfZoneCertificate,
        { ...ZONE_CERTIFICATES[0], certificate: FITNESS_PEMS.client_auth.pem } as CfZoneCertificate,
      ],
      zoneAop: true,
    });
    const result = await checkZone(plan({ discoverAll: true }), options(cloudflare));
    expect(result.requests).toBe(4);
    const certificates = result.zoneLevel?.state === 'checked' ? result.zoneLevel.certificates : [];
    const codes = (check: (typeof certificates)[number] | undefined) =>
      check?.fitness?.map((finding) => finding.code).filter((code) => code === 'client_auth_missing');
    expect(certificates.map((check) => [check.certificate.certificateId, check.inUse])).toEqual([
      ['zone-new', true],
      ['zone-old', false],
    ]);
    expect(codes(certificates[0])).toEqual(['client_auth_missing']);
    expect(codes(certificates[1])).toEqual([]);
    expect(certificates.every((check) => check.certificate.certificatePem === null)).toBe(true);
  });

  it('rates every zone certificate as not in use while zone-level AOP is off', async () => {
    const cloudflare = fakeCloudflare({ zoneCertificates: ZONE_CERTIFICATES, zoneAop: false });
    const result = await checkZone(plan({ discoverAll: true }), options(cloudflare));
    const certificates = result.zoneLevel?.state === 'checked' ? result.zoneLevel.certificates : [];
    expect(certificates.map((check) => [check.inUse, check.assessment.severity])).toEqual([
      [false, 'info'],
      [false, 'info'],
    ]);
  });

  it('rates the newest certificate as in use when the switch cannot be read, rather than miss it', async () => {
    const cloudflare = fakeCloudflare({
      zoneCertificates: ZONE_CERTIFICATES,
      zoneAopError: failure(500, `/zones/${ZONE.id}/origin_tls_client_auth/settings`),
    });
    const result = await checkZone(plan({ discoverAll: true }), options(cloudflare));
    expect(result.zoneLevel).toMatchObject({ state: 'checked', zoneLevelAop: null });
    const certificates = result.zoneLevel?.state === 'checked' ? result.zoneLevel.certificates : [];
    expect(certificates.map((check) => [check.certificate.certificateId, check.assessment.severity])).toEqual(
      [
        ['zone-new', 'critical'],
        ['zone-old', 'info'],
      ],
    );
  });

  it('still checks the hostnames when the token may not read the zone certificates, and names the permission', async () => {
    const cloudflare = fakeCloudflare({
      rows: [{ hostname: 'a.example.com', cert_id: 'cert-later', enabled: true, status: 'active' }],
      certificates: CERTIFICATES,
      zoneCertificatesError: failure(403, `/zones/${ZONE.id}/origin_tls_client_auth`),
    });
    const result = await checkZone(plan({ discoverAll: true }), options(cloudflare));
    expect(result.failure).toBeNull();
    expect(result.checks.map((check) => [check.hostname, check.assessment.severity])).toEqual([
      ['a.example.com', 'ok'],
    ]);
    expect(result.zoneLevel).toMatchObject({
      state: 'not_checked',
      errorCode: 'cloudflare_forbidden',
      permission: 'SSL and Certificates Read',
    });
  });
});

describe('isRetryableZoneFailure', () => {
  it('retries what time can fix and nothing else', () => {
    expect(
      [
        'cloudflare_server_error',
        'cloudflare_timeout',
        'cloudflare_network',
        'cloudflare_rate_limited',
        'internal_error',
      ].map(isRetryableZoneFailure),
    ).toEqual([true, true, true, true, true]);
    expect(
      [
        'cloudflare_forbidden',
        'cloudflare_unauthorized',
        'cloudflare_bad_request',
        'cloudflare_not_found',
      ].map(isRetryableZoneFailure),
    ).toEqual([false, false, false, false]);
  });
});
