import { describe, expect, it } from 'vitest';
import type { ParsedCertificate } from '../../../src/domain/lookup.js';
import {
  assessSeverity,
  compareSeverity,
  daysUntil,
  isWithinDays,
  worstSeverity,
} from '../../../src/domain/severity.js';
import type {
  HostnameAssociation,
  HostnameObservation,
  Severity,
  SeverityReason,
} from '../../../src/domain/types.js';
import {
  associationObservation,
  DAY_MS,
  daysFromNow,
  MINUTE_MS,
  NOW,
  parsedCertificate,
  THRESHOLDS,
  TIME_ZONE,
} from './fixtures.js';

function assess(observation: HostnameObservation, certificate: ParsedCertificate | null = null) {
  return assessSeverity(observation, { thresholds: THRESHOLDS, now: NOW, certificate, timeZone: TIME_ZONE });
}

function assessAssociation(
  overrides: Partial<HostnameAssociation>,
  certificate: ParsedCertificate | null = null,
) {
  return assess(associationObservation(overrides), certificate);
}

const minutesAgo = (minutes: number) => new Date(NOW.getTime() - minutes * MINUTE_MS);
const noTimestamps = {
  associationUpdatedAt: null,
  certificateUpdatedAt: null,
  certificateUploadedOn: null,
} as const;

describe('assessSeverity: expiry thresholds (warningDays 30, criticalDays 7, "within N days" = less than N × 24 h left)', () => {
  const cases: Array<{
    name: string;
    expiresOn: Date;
    severity: Severity;
    reasons: SeverityReason[];
    days: number;
  }> = [
    {
      name: 'is ok with one healthy reason 90 days out',
      expiresOn: daysFromNow(90),
      severity: 'ok',
      days: 90,
      reasons: [{ code: 'healthy', severity: 'ok', text: 'Certificate valid for 90 more days' }],
    },
    {
      name: 'is still ok at exactly 30 × 24 h before expiry',
      expiresOn: daysFromNow(30),
      severity: 'ok',
      days: 30,
      reasons: [{ code: 'healthy', severity: 'ok', text: 'Certificate valid for 30 more days' }],
    },
    {
      name: 'warns one millisecond inside the 30-day window',
      expiresOn: daysFromNow(30, -1),
      severity: 'warning',
      days: 29,
      reasons: [
        {
          code: 'expiring_warning',
          severity: 'warning',
          text: 'Certificate expires in 29 days (2026-12-26)',
        },
      ],
    },
    {
      name: 'only warns at exactly 7 × 24 h before expiry',
      expiresOn: daysFromNow(7),
      severity: 'warning',
      days: 7,
      reasons: [
        { code: 'expiring_warning', severity: 'warning', text: 'Certificate expires in 7 days (2026-12-03)' },
      ],
    },
    {
      name: 'is critical one millisecond inside the 7-day window',
      expiresOn: daysFromNow(7, -1),
      severity: 'critical',
      days: 6,
      reasons: [
        {
          code: 'expiring_critical',
          severity: 'critical',
          text: 'Certificate expires in 6 days (2026-12-03)',
        },
      ],
    },
    {
      name: 'says "within a day" when less than 24 h remain',
      expiresOn: new Date(NOW.getTime() + 5 * 60 * MINUTE_MS),
      severity: 'critical',
      days: 0,
      reasons: [
        {
          code: 'expiring_critical',
          severity: 'critical',
          text: 'Certificate expires within a day (2026-11-26)',
        },
      ],
    },
    {
      name: 'treats expiry at exactly now as expired',
      expiresOn: NOW,
      severity: 'critical',
      days: 0,
      reasons: [
        {
          code: 'expired',
          severity: 'critical',
          text: 'Certificate expired on 2026-11-26 (less than a day ago)',
        },
      ],
    },
    {
      name: 'is critical three days after expiry, with a negative day count',
      expiresOn: daysFromNow(-3),
      severity: 'critical',
      days: -3,
      reasons: [
        { code: 'expired', severity: 'critical', text: 'Certificate expired on 2026-11-23 (3 days ago)' },
      ],
    },
  ];

  for (const testCase of cases) {
    it(testCase.name, () => {
      const result = assessAssociation({ expiresOn: testCase.expiresOn });
      expect(result).toEqual({
        severity: testCase.severity,
        reasons: testCase.reasons,
        effectiveExpiry: testCase.expiresOn,
        daysUntilExpiry: testCase.days,
      });
    });
  }

  it('names the expiry date in the configured time zone, not UTC', () => {
    // 23:30 UTC on 2026-11-30 is already 2026-12-01 in Berlin.
    const expiresOn = new Date('2026-11-30T23:30:00.000Z');
    const result = assessAssociation({ expiresOn });
    expect(result.reasons[0]?.text).toBe('Certificate expires in 4 days (2026-12-01)');
  });

  it('says "1 day" in the singular', () => {
    const result = assessAssociation({ expiresOn: daysFromNow(1, 1) });
    expect(result.reasons[0]?.text).toBe('Certificate expires in 1 day (2026-11-27)');
  });
});

describe('assessSeverity: PEM validity', () => {
  it('uses the earlier of expires_on and the PEM notAfter, and reports the mismatch', () => {
    const result = assessAssociation(
      { expiresOn: daysFromNow(90) },
      parsedCertificate({ validTo: daysFromNow(60) }),
    );
    expect(result).toEqual({
      severity: 'warning',
      reasons: [
        {
          code: 'expiry_mismatch',
          severity: 'warning',
          text: 'Cloudflare reports expiry 2027-02-24 but the certificate PEM says 2027-01-25',
        },
      ],
      effectiveExpiry: daysFromNow(60),
      daysUntilExpiry: 60,
    });
  });

  it('raises the PEM expiry to critical when it is the earlier one, worst reason first', () => {
    const result = assessAssociation(
      { expiresOn: daysFromNow(90) },
      parsedCertificate({ validTo: daysFromNow(3) }),
    );
    expect(result.severity).toBe('critical');
    expect(result.reasons.map((reason) => [reason.code, reason.severity])).toEqual([
      ['expiring_critical', 'critical'],
      ['expiry_mismatch', 'warning'],
    ]);
    expect(result.daysUntilExpiry).toBe(3);
  });

  it('tolerates up to one minute of difference between the two readings', () => {
    const exactlyOneMinute = assessAssociation(
      { expiresOn: daysFromNow(90) },
      parsedCertificate({ validTo: daysFromNow(90, MINUTE_MS) }),
    );
    expect(exactlyOneMinute.severity).toBe('ok');
    expect(exactlyOneMinute.reasons.map((reason) => reason.code)).toEqual(['healthy']);
  });

  it('shows times when the two readings disagree by more than a minute on the same day', () => {
    const result = assessAssociation(
      { expiresOn: daysFromNow(90) },
      parsedCertificate({ validTo: daysFromNow(90, MINUTE_MS + 1) }),
    );
    expect(result.reasons).toEqual([
      {
        code: 'expiry_mismatch',
        severity: 'warning',
        text: 'Cloudflare reports expiry 2027-02-24 09:00 GMT+1 but the certificate PEM says 2027-02-24 09:01 GMT+1',
      },
    ]);
  });

  it('uses the PEM expiry alone when Cloudflare reports none', () => {
    const result = assessAssociation({ expiresOn: null }, parsedCertificate({ validTo: daysFromNow(20) }));
    expect(result.severity).toBe('warning');
    expect(result.reasons.map((reason) => reason.code)).toEqual(['expiring_warning']);
    expect(result.effectiveExpiry).toEqual(daysFromNow(20));
  });

  it('is critical when the PEM is not valid yet', () => {
    const result = assessAssociation(
      {},
      parsedCertificate({ validFrom: new Date(NOW.getTime() + 2 * 60 * MINUTE_MS) }),
    );
    expect(result.severity).toBe('critical');
    expect(result.reasons).toEqual([
      {
        code: 'not_yet_valid',
        severity: 'critical',
        text: 'Certificate is not valid until 2026-11-26 11:00 GMT+1',
      },
    ]);
  });
});

describe('assessSeverity: switched off or voided', () => {
  it('keeps a disabled association with an expired certificate at info, and still says it expired', () => {
    const result = assessAssociation({ aopSwitch: 'off', expiresOn: daysFromNow(-3) });
    expect(result).toEqual({
      severity: 'info',
      reasons: [
        { code: 'disabled', severity: 'info', text: 'Per-hostname AOP disabled' },
        {
          code: 'expired',
          severity: 'info',
          text: 'Certificate expired on 2026-11-23 (3 days ago) (not in use while per-hostname AOP is disabled)',
        },
      ],
      effectiveExpiry: daysFromNow(-3),
      daysUntilExpiry: -3,
    });
  });

  it('treats a voided association as info, not ok', () => {
    const result = assessAssociation({ aopSwitch: 'voided' });
    expect(result.severity).toBe('info');
    expect(result.reasons).toEqual([
      { code: 'voided', severity: 'info', text: 'Association voided (enabled: null)' },
    ]);
  });

  it('caps expiry warnings, mismatches and not-yet-valid at info for a voided association', () => {
    const result = assessAssociation(
      { aopSwitch: 'voided', expiresOn: daysFromNow(20) },
      parsedCertificate({ validTo: daysFromNow(10), validFrom: daysFromNow(1) }),
    );
    expect(result.severity).toBe('info');
    expect(result.reasons.map((reason) => [reason.code, reason.severity])).toEqual([
      ['voided', 'info'],
      ['not_yet_valid', 'info'],
      ['expiring_warning', 'info'],
      ['expiry_mismatch', 'info'],
    ]);
    expect(result.reasons[2]?.text).toBe(
      'Certificate expires in 10 days (2026-12-06) (not in use while the association is voided)',
    );
  });

  it('does not ask for an expiry when the association is disabled', () => {
    const result = assessAssociation({ aopSwitch: 'off', expiresOn: null });
    expect(result.reasons.map((reason) => reason.code)).toEqual(['disabled']);
    expect(result.daysUntilExpiry).toBeNull();
  });

  it('still lets a deployment timeout make a disabled association critical', () => {
    const result = assessAssociation({ aopSwitch: 'off', associationStatus: 'deployment_timed_out' });
    expect(result.severity).toBe('critical');
    expect(result.reasons.map((reason) => reason.code)).toEqual(['deployment_timed_out', 'disabled']);
  });
});

describe('assessSeverity: missing expiry', () => {
  it('is unknown when an enabled association has no expiry and no certificate', () => {
    const result = assessAssociation({ expiresOn: null });
    expect(result).toEqual({
      severity: 'unknown',
      reasons: [
        {
          code: 'expiry_missing',
          severity: 'unknown',
          text: 'Cloudflare reported no expiry date and there is no readable certificate',
        },
      ],
      effectiveExpiry: null,
      daysUntilExpiry: null,
    });
  });

  it('is unknown when the switch is unreported and there is no expiry', () => {
    expect(assessAssociation({ aopSwitch: 'unreported', expiresOn: null }).severity).toBe('unknown');
  });

  it('is ok when the switch is unreported but the certificate is healthy', () => {
    expect(assessAssociation({ aopSwitch: 'unreported' }).reasons.map((reason) => reason.code)).toEqual([
      'healthy',
    ]);
  });
});

describe('assessSeverity: deployment status', () => {
  it('is critical when the association deployment timed out', () => {
    const result = assessAssociation({ associationStatus: 'deployment_timed_out' });
    expect(result.severity).toBe('critical');
    expect(result.reasons).toEqual([
      { code: 'deployment_timed_out', severity: 'critical', text: 'Association deployment timed out' },
    ]);
  });

  it('warns when the certificate deletion timed out', () => {
    const result = assessAssociation({ certificateStatus: 'deletion_timed_out' });
    expect(result.reasons).toEqual([
      { code: 'deletion_timed_out', severity: 'warning', text: 'Certificate deletion timed out' },
    ]);
  });

  it('warns when pending for longer than stuckPendingMinutes since the latest change', () => {
    const result = assessAssociation({
      associationStatus: 'pending_deployment',
      associationUpdatedAt: minutesAgo(121),
      certificateUpdatedAt: minutesAgo(500),
      certificateUploadedOn: minutesAgo(600),
    });
    expect(result.severity).toBe('warning');
    expect(result.reasons).toEqual([
      {
        code: 'stuck_pending',
        severity: 'warning',
        text: 'Stuck pending (association pending_deployment) for 2 h 1 min, over the 120-minute limit',
      },
    ]);
  });

  it('is info while pending for exactly stuckPendingMinutes', () => {
    const result = assessAssociation({
      associationStatus: 'pending_deployment',
      ...noTimestamps,
      associationUpdatedAt: minutesAgo(120),
    });
    expect(result.severity).toBe('info');
    expect(result.reasons).toEqual([
      { code: 'pending', severity: 'info', text: 'Pending (association pending_deployment) for 2 h' },
    ]);
  });

  it('measures from the latest of the three timestamps, here the upload', () => {
    const result = assessAssociation({
      associationStatus: 'initializing',
      certificateStatus: 'pending_deployment',
      associationUpdatedAt: minutesAgo(600),
      certificateUpdatedAt: null,
      certificateUploadedOn: minutesAgo(15),
    });
    expect(result.reasons).toEqual([
      {
        code: 'pending',
        severity: 'info',
        text: 'Pending (association initializing, certificate pending_deployment) for 15 min',
      },
    ]);
  });

  it('says the pending duration is unknown when Cloudflare gave no timestamps', () => {
    const result = assessAssociation({ certificateStatus: 'pending_deletion', ...noTimestamps });
    expect(result.severity).toBe('info');
    expect(result.reasons).toEqual([
      {
        code: 'pending',
        severity: 'info',
        text: 'Pending (certificate pending_deletion) for an unknown time: Cloudflare reported no timestamps',
      },
    ]);
  });

  it('combines every rule that applies, worst first', () => {
    const result = assessAssociation({
      expiresOn: daysFromNow(20),
      certificateStatus: 'deployment_timed_out',
      associationStatus: 'pending_deployment',
      associationUpdatedAt: minutesAgo(10),
    });
    expect(result.severity).toBe('critical');
    expect(result.reasons.map((reason) => [reason.code, reason.severity])).toEqual([
      ['deployment_timed_out', 'critical'],
      ['expiring_warning', 'warning'],
      ['pending', 'info'],
    ]);
  });

  it('ignores a status it does not know, so a new Cloudflare value cannot raise a false alarm', () => {
    expect(assessAssociation({ associationStatus: 'some_future_status' }).severity).toBe('ok');
  });
});

describe('assessSeverity: no association, unreachable', () => {
  it('reports a missing association as info', () => {
    const result = assess({ kind: 'no_association', hostname: 'app.example.com', zoneId: 'z' });
    expect(result).toEqual({
      severity: 'info',
      reasons: [{ code: 'no_association', severity: 'info', text: 'No per-hostname AOP association' }],
      effectiveExpiry: null,
      daysUntilExpiry: null,
    });
  });

  it('reports an unreachable hostname as unknown with the error message', () => {
    const result = assess({
      kind: 'unreachable',
      hostname: 'app.example.com',
      zoneId: null,
      errorCode: 'cloudflare_timeout',
      errorMessage: 'Cloudflare did not answer within 10 s',
    });
    expect(result).toEqual({
      severity: 'unknown',
      reasons: [
        {
          code: 'unreachable',
          severity: 'unknown',
          text: 'Could not check: Cloudflare did not answer within 10 s',
        },
      ],
      effectiveExpiry: null,
      daysUntilExpiry: null,
    });
  });
});

describe('severity ordering', () => {
  it('sorts worst first with compareSeverity', () => {
    const severities: Severity[] = ['ok', 'info', 'critical', 'unknown', 'warning'];
    expect([...severities].sort(compareSeverity)).toEqual(['critical', 'warning', 'unknown', 'info', 'ok']);
  });

  it('picks the worst severity, and ok for an empty list', () => {
    expect(worstSeverity(['info', 'warning', 'ok'])).toBe('warning');
    expect(worstSeverity(['unknown', 'info'])).toBe('unknown');
    expect(worstSeverity([])).toBe('ok');
  });

  it('defines "within N days" as strictly less than N × 24 h remaining', () => {
    expect(isWithinDays(daysFromNow(30), NOW, 30)).toBe(false);
    expect(isWithinDays(daysFromNow(30, -1), NOW, 30)).toBe(true);
  });

  it('rounds days until expiry down', () => {
    expect(daysUntil(new Date(NOW.getTime() + 29.9 * DAY_MS), NOW)).toBe(29);
    expect(daysUntil(new Date(NOW.getTime() - 60 * MINUTE_MS), NOW)).toBe(-1);
  });
});
