import { describe, expect, it } from 'vitest';
import type { Episode } from '../../../src/alerts/episode.js';
import { renderAlertParent } from '../../../src/render/alert.js';
import { renderDigest } from '../../../src/render/digest.js';
import { renderLookupError, renderStatusCard } from '../../../src/render/status-card.js';
import { blocksToTerminalText, displayWidth, mrkdwnToPlainText } from '../../../src/render/terminal.js';
import { APP_PEM } from '../../fixtures/pem/certificates.js';
import {
  associationCheck,
  daysAfterSlot,
  digestInput,
  noAssociationCheck,
  ZONE_B,
  zoneFailure,
} from '../digest/builders.js';
import {
  associationObservation,
  lookupResult,
  NOW,
  parsedCertificate,
  TIME_ZONE,
} from '../domain/fixtures.js';

describe('mrkdwnToPlainText', () => {
  it('unescapes &lt; &gt; &amp; exactly once', () => {
    expect(mrkdwnToPlainText('&lt;!channel&gt; &amp;amp; co')).toBe('<!channel> &amp; co');
  });

  it('drops bold, italic and strike markers at word edges', () => {
    expect(mrkdwnToPlainText('*Critical* and _not reported_ and ~gone~; *_both_*')).toBe(
      'Critical and not reported and gone; both',
    );
  });

  it('keeps underscores and asterisks inside words such as pending_deployment', () => {
    expect(mrkdwnToPlainText('status pending_deployment, 2*3*4, snake_case_name')).toBe(
      'status pending_deployment, 2*3*4, snake_case_name',
    );
  });

  it('keeps code spans verbatim without their backticks', () => {
    expect(mrkdwnToPlainText('Run `/aop-status *.example.com` &amp; `a_b_c`')).toBe(
      'Run /aop-status *.example.com & a_b_c',
    );
  });

  it("turns literal()'s look-alikes back into the characters they stand for", () => {
    expect(mrkdwnToPlainText('*\u2217.example.com* \u02CDx\u02CD \u223C \u02CBcode\u02CB')).toBe(
      '*.example.com _x_ ~ `code`',
    );
  });

  it('writes mentions, broadcasts, channels and links out', () => {
    expect(
      mrkdwnToPlainText(
        '<@U0ONCALL> <!here> <!subteam^S0123> <!subteam^S0123|@oncall> <#C0DIGEST> <#C0DIGEST|digest> ' +
          '<https://example.com|the site> <https://example.com> <mailto:a@example.com|a@example.com>',
      ),
    ).toBe(
      '@U0ONCALL @here @S0123 @oncall #C0DIGEST #digest the site (https://example.com) https://example.com a@example.com',
    );
  });

  it('maps the emoji the renderers use and keeps unknown shortcodes and clock times', () => {
    expect(mrkdwnToPlainText(':red_circle: :warning: :party_parrot: 09:00:00')).toBe(
      '🔴 ⚠️ :party_parrot: 09:00:00',
    );
    expect(mrkdwnToPlainText(':red_circle: *x*', { emoji: 'shortcode' })).toBe(':red_circle: x');
  });
});

describe('displayWidth', () => {
  it('counts an emoji as two columns and a variation selector as none', () => {
    expect(displayWidth('🟢 ab')).toBe(5);
    expect(displayWidth('⚠️ x')).toBe(4);
  });
});

describe('blocksToTerminalText', () => {
  it('renders the status card: underlined header, reasons, Label: value fields, PEM, switches, buttons', () => {
    const result = lookupResult(associationObservation({ certificatePem: APP_PEM }), {
      certificate: parsedCertificate(),
    });
    const text = blocksToTerminalText(
      renderStatusCard(result, { timeZone: TIME_ZONE, now: NOW, shareable: true }),
    );
    const lines = text.split('\n');
    expect(lines.slice(0, 9)).toEqual([
      '🟢 app.example.com',
      '══════════════════',
      '',
      'What Cloudflare presents to the origin',
      "This hostname's own certificate (per-hostname AOP), expires 2027-02-24 (in 90 days).",
      '',
      'OK',
      '• 🟢 Certificate valid for 90 more days',
      '',
    ]);
    expect(lines).toContain('AOP for hostname: enabled');
    expect(lines).toContain('Expires: 2027-02-24 (in 90 days)');
    expect(lines).toContain('Zone: example.com (023e105f4ecef8ad9ca31a8372d0c353)');
    expect(lines).toContain('Authenticated Origin Pulls (tls_client_auth): on');
    // A multi-line field value is indented under its first line.
    const updated = lines.indexOf('Updated: certificate 2026-01-01 11:00 GMT+1');
    expect(lines[updated + 1]).toBe('         association 2026-01-01 11:05 GMT+1');
    expect(lines.at(-1)).toBe('[Refresh] [Share in channel]');
    expect(text).not.toMatch(/[*`]|&amp;|&lt;|:large_green_circle:/);
  });

  it('prints a wildcard hostname as typed, and leaves buttons out when asked', () => {
    const result = lookupResult(associationObservation({ hostname: '*.example.com' }));
    const text = blocksToTerminalText(
      renderStatusCard(result, { timeZone: TIME_ZONE, now: NOW, shareable: false }),
      { showActions: false },
    );
    expect(text.split('\n')[0]).toBe('🟢 *.example.com');
    expect(text).not.toContain('[Refresh]');
  });

  it('renders a lookup error with its hint and the code line joined by " · "', () => {
    const error = Object.assign(new Error('Cloudflare refused access (HTTP 403 on GET /zones/z/settings).'), {
      code: 'cloudflare_forbidden',
      status: 403,
      hint: 'Give the API token the "Zone Settings Read" permission for this zone.',
    });
    expect(blocksToTerminalText(renderLookupError(error, { hostname: 'app.example.com' }))).toBe(
      [
        '⚠️ Could not check app.example.com: the Cloudflare request failed',
        'Cloudflare refused access (HTTP 403 on GET /zones/z/settings).',
        'Give the API token the "Zone Settings Read" permission for this zone.',
        '',
        'Error code: cloudflare_forbidden · HTTP 403',
      ].join('\n'),
    );
  });

  it('renders a digest with its summary, every section, grouped hostnames, divider and footer', () => {
    const digest = renderDigest(
      digestInput({
        checks: [
          associationCheck('pay.a.example', 'critical', { expiresOn: daysAfterSlot(3) }),
          associationCheck('www.a.example', 'warning', { certificateId: 'c1', expiresOn: daysAfterSlot(12) }),
          associationCheck('static.a.example', 'warning', {
            certificateId: 'c1',
            expiresOn: daysAfterSlot(12),
          }),
          noAssociationCheck('cart.a.example'),
          associationCheck('ok.a.example', 'ok'),
        ],
        zoneFailures: [zoneFailure(ZONE_B, ['portal.b.example'])],
      }),
    );
    expect(digest.messages).toHaveLength(1);
    const [parent] = digest.messages;
    expect(blocksToTerminalText(parent ?? { text: '' })).toBe(
      [
        'AOP digest · 2026-11-26',
        '═══════════════════════',
        '',
        '🔴 1 critical   🟠 2 warning   ❔ 1 unknown   🔵 1 disabled   🟢 1 healthy',
        '',
        '🔴 Critical — 1 hostname',
        '🔴 pay.a.example · zone a.example · Certificate expires soon · expires 2026-11-29',
        '',
        '🟠 Warnings — 2 hostnames',
        '🟠 1 certificate, 2 hostnames, expires 2026-12-08 · zone a.example · Certificate expires within the warning window · certificate c1',
        '\u2003\u21B3 static.a.example, www.a.example',
        '',
        '❔ Unknown or could not be checked — 1 hostname',
        '❔ b.example: the zone could not be listed, so 1 configured hostname was not checked · The API token may not read this zone (cloudflare_forbidden)',
        '\u2003\u21B3 portal.b.example',
        '',
        '🔵 Disabled, voided or not associated — 1 hostname',
        '🔵 cart.a.example · zone a.example · No per-hostname AOP association',
        '',
        '─'.repeat(40),
        '',
        'Checked 5 hostnames in 1 zone at Thu 2026-11-26 09:00 CET; 1 could not be checked. Next digest: Fri 2026-11-27 09:00 CET.',
      ].join('\n'),
    );
  });

  it('renders an alert parent: title, mention, reasons, facts, context and buttons', () => {
    const episode: Episode = {
      id: 'ep_0123456789abcdef01234567',
      kind: 'certificate',
      certificateKey: '6743787633689793699141714808227354901',
      openedAt: new Date('2026-11-20T08:00:00.000Z'),
      parent: { channel: 'C0INCIDENT', ts: '1763625600.000100' },
      currentSeverity: 'critical',
      reasonCodes: ['expiring_critical', 'deployment_timed_out'],
      associationStatus: 'active',
      certificateStatus: 'deployment_timed_out',
      aopSwitch: 'on',
      expiresOn: new Date('2026-12-01T12:00:00.000Z'),
      rungsPosted: [30, 14, 7],
      lastStatusSignature: '',
      parentSignature: '',
      acknowledged: { userId: 'U0RESPONDER', at: new Date('2026-11-25T08:00:00.000Z') },
      snoozedUntil: null,
      resolvedAt: null,
      resolution: null,
      pendingRepliesWhileSnoozed: 0,
      switchWentOff: false,
      checkError: null,
      group: null,
    };
    const message = renderAlertParent(
      episode,
      { zoneId: '023e105f4ecef8ad9ca31a8372d0c353', hostname: 'app.example.com' },
      { now: NOW, timeZone: TIME_ZONE, mention: '<!subteam^S0123|@oncall>' },
    );
    expect(blocksToTerminalText(message)).toBe(
      [
        '🔴 Critical: app.example.com',
        '════════════════════════════',
        '',
        '@oncall',
        '• Certificate expires 2026-12-01 13:00 GMT+1 (in 5 days)',
        '• Deployment timed out',
        '',
        'Zone: 023e105f4ecef8ad9ca31a8372d0c353',
        'Expires: 2026-12-01 13:00 GMT+1',
        '         in 5 days',
        'Certificate: 6743787633689793699141714808227354901',
        'Severity: Critical',
        'Association status: active',
        'Certificate status: deployment_timed_out',
        'AOP switch: enabled',
        'Opened: 2026-11-20 09:00 GMT+1',
        '',
        '👀 Acknowledged by @U0RESPONDER at 2026-11-25 09:00 GMT+1 · Updated 2026-11-26 09:00 GMT+1 · episode ep_0123456789abcdef01234567',
        '',
        '[Snooze 24 h] [Refresh]',
      ].join('\n'),
    );
  });

  it('falls back to the message text when there are no blocks, and reads unknown blocks for their text', () => {
    expect(blocksToTerminalText({ text: '*Queued* &amp; :hourglass_flowing_sand:' })).toBe('Queued & ⏳');
    expect(
      blocksToTerminalText({
        text: 'ignored',
        blocks: [
          {
            type: 'rich_text',
            elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: 'hi' }] }],
          },
          { type: 'divider' },
        ],
      }),
    ).toBe(`hi\n\n${'─'.repeat(40)}`);
  });
});
