import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { parseCertificatePem } from '../../../src/domain/certificate.js';
import { assessCertificateFitness } from '../../../src/domain/fitness.js';
import type { LookupResult, ParsedCertificate } from '../../../src/domain/lookup.js';
import { zoneQuota } from '../../../src/domain/quota.js';
import type { HostnameAssociation } from '../../../src/domain/types.js';
import { AopError } from '../../../src/errors.js';
import { BLOCK_KIT_LIMITS } from '../../../src/render/limits.js';
import {
  renderLookupError,
  renderStatusCard,
  renderUsage,
  type StatusCardOptions,
} from '../../../src/render/status-card.js';
import { ACTION_IDS, BLOCK_IDS, decodeLookupValue } from '../../../src/slack/ids.js';
import { APP_PEM, HOSTILE_PEM } from '../../fixtures/pem/certificates.js';
import { FITNESS_PEMS } from '../../fixtures/pem/fitness.js';
import { allBlockTexts, assertWithinBlockKitLimits, textCharsIn } from '../../support/block-kit-limits.js';
import {
  associationObservation,
  daysFromNow,
  lookupResult,
  NOW,
  parsedCertificate,
  TIME_ZONE,
  ZONE_ID,
  zoneCertificate,
} from '../domain/fixtures.js';

const OPTIONS: StatusCardOptions = { timeZone: TIME_ZONE, now: NOW, shareable: true };

function pem(text: string): ParsedCertificate {
  const parsed = parseCertificatePem(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.certificate;
}

function healthyResult(overrides: Partial<HostnameAssociation> = {}): LookupResult {
  const certificate = parsedCertificate();
  return lookupResult(associationObservation({ certificatePem: APP_PEM, ...overrides }), { certificate });
}

function findBlock<T extends KnownBlock['type']>(
  blocks: KnownBlock[],
  type: T,
  predicate: (block: Extract<KnownBlock, { type: T }>) => boolean = () => true,
): Extract<KnownBlock, { type: T }> {
  const found = blocks.find(
    (block): block is Extract<KnownBlock, { type: T }> =>
      block.type === type && predicate(block as Extract<KnownBlock, { type: T }>),
  );
  if (found === undefined) throw new Error(`no ${type} block matched in ${JSON.stringify(blocks, null, 1)}`);
  return found;
}

function sectionText(blocks: KnownBlock[], startsWith: string): string {
  const section = findBlock(blocks, 'section', (block) => block.text?.text.startsWith(startsWith) ?? false);
  return section.text?.text ?? '';
}

function fieldTexts(blocks: KnownBlock[]): string[] {
  return blocks.flatMap((block) =>
    block.type === 'section' && block.fields ? block.fields.map((f) => f.text) : [],
  );
}

function buttons(blocks: KnownBlock[]) {
  const actions = findBlock(blocks, 'actions');
  return actions.elements.map((element) => {
    if (element.type !== 'button') throw new Error(`unexpected ${element.type}`);
    return { text: element.text.text, actionId: element.action_id, value: element.value };
  });
}

describe('renderStatusCard: an association', () => {
  it('shows severity and hostname in the header, and the fallback text says the same', () => {
    const card = renderStatusCard(healthyResult(), OPTIONS);
    expect(card.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: ':large_green_circle: app.example.com', emoji: true },
    });
    expect(card.text).toBe('OK: app.example.com: Certificate valid for 90 more days');
  });

  it('lists the reasons worst first under the severity', () => {
    const result = lookupResult(
      associationObservation({
        expiresOn: daysFromNow(5),
        associationStatus: 'pending_deployment',
        associationUpdatedAt: NOW,
      }),
    );
    const card = renderStatusCard(result, OPTIONS);
    expect(sectionText(card.blocks, '*Critical*')).toBe(
      '*Critical*\n' +
        '• :red_circle: Certificate expires in 5 days (2026-12-01)\n' +
        '• :large_blue_circle: Pending (association pending_deployment) for 0 min',
    );
  });

  it('shows every field of the association, dates in the configured time zone', () => {
    const card = renderStatusCard(healthyResult(), OPTIONS);
    expect(fieldTexts(card.blocks)).toEqual([
      '*AOP for hostname*\nenabled',
      '*Association status*\nactive',
      '*Certificate status*\nactive',
      '*Expires*\n2027-02-24 (in 90 days)',
      '*Issuer*\nCN=Example Origin CA, O=Example',
      '*Serial number*\n6743787633689793699141714808227354901',
      '*Signature*\nSHA256WithRSA',
      '*Certificate id*\n2458ce5a-0c35-4c7f-82c7-8e9487d3ff60',
      '*Uploaded*\n2026-01-01 10:55 GMT+1',
      '*Updated*\ncertificate 2026-01-01 11:00 GMT+1\nassociation 2026-01-01 11:05 GMT+1',
      `*Zone*\nexample.com (\`${ZONE_ID}\`)`,
      '*Checked at*\n2026-11-26 09:00 GMT+1',
    ]);
  });

  it('shows the expiry that governs, and says when it comes from the PEM', () => {
    const certificate = parsedCertificate({ validTo: daysFromNow(60) });
    const earlierPem = lookupResult(associationObservation({ expiresOn: daysFromNow(90) }), { certificate });
    expect(fieldTexts(renderStatusCard(earlierPem, OPTIONS).blocks)[3]).toBe(
      '*Expires*\n2027-01-25 (in 60 days)\n_from the PEM notAfter_',
    );
    const onlyPem = lookupResult(associationObservation({ expiresOn: null }), { certificate });
    expect(fieldTexts(renderStatusCard(onlyPem, OPTIONS).blocks)[3]).toBe(
      '*Expires*\n2027-01-25 (in 60 days)\n_from the PEM notAfter_',
    );
    const neither = lookupResult(associationObservation({ expiresOn: null }));
    expect(fieldTexts(renderStatusCard(neither, OPTIONS).blocks)[3]).toBe('*Expires*\n_not reported_');
  });

  it.each([
    ['on', 'enabled'],
    ['off', 'disabled'],
    ['voided', 'association voided'],
    ['unreported', 'not reported'],
  ] as const)('describes the per-hostname switch %s as %j', (aopSwitch, words) => {
    const card = renderStatusCard(healthyResult({ aopSwitch }), OPTIONS);
    expect(fieldTexts(card.blocks)[0]).toBe(`*AOP for hostname*\n${words}`);
  });

  it('marks fields Cloudflare left out instead of leaving them blank', () => {
    const card = renderStatusCard(
      healthyResult({
        issuer: null,
        serialNumber: '',
        certificateUploadedOn: null,
        certificateUpdatedAt: null,
        associationUpdatedAt: null,
      }),
      OPTIONS,
    );
    const fields = fieldTexts(card.blocks);
    expect(fields).toContain('*Issuer*\n_not reported_');
    expect(fields).toContain('*Serial number*\n_not reported_');
    expect(fields).toContain('*Uploaded*\n_not reported_');
    expect(fields).toContain('*Updated*\n_not reported_');
  });

  it('shows the PEM: subject, SANs, validity and SHA-256 fingerprint', () => {
    const certificate = pem(APP_PEM);
    const result = lookupResult(
      associationObservation({ certificatePem: APP_PEM, expiresOn: certificate.validTo }),
      { certificate },
    );
    const card = renderStatusCard(result, OPTIONS);
    expect(sectionText(card.blocks, '*Certificate PEM*')).toBe(
      '*Certificate PEM*\n' +
        'Subject: CN=app.example.com, O=Example Origin Pull\n' +
        'SANs: app.example.com, www.example.com, IP Address:192.0.2.10\n' +
        'Valid: 2026-01-01 01:00 GMT+1 → 2026-12-01 13:00 GMT+1\n' +
        'SHA-256: `53:0A:D1:79:FA:83:C8:51:A3:20:07:66:27:FD:11:61:5C:DA:C2:DA:30:7E:D0:A5:94:73:40:A6:B6:33:8A:BB`',
    );
  });

  it('warns under the PEM about everything an origin would reject, each with its consequence', () => {
    const pemText = FITNESS_PEMS.server_auth_only.pem;
    const certificate = pem(pemText);
    const fitness = assessCertificateFitness(pemText, {
      now: NOW,
      reportedExpiry: daysFromNow(90),
      timeZone: TIME_ZONE,
    });
    const result = lookupResult(
      associationObservation({ certificatePem: pemText, expiresOn: daysFromNow(90) }),
      { certificate, fitness },
    );
    const text = sectionText(renderStatusCard(result, OPTIONS).blocks, '*Certificate PEM*');
    expect(text).toContain(
      ':warning: Extended key usage is serverAuth only, without clientAuth. nginx and other OpenSSL-based ' +
        'origins (Apache, HAProxy, Envoy) reject a client certificate without clientAuth.',
    );
    expect(text).toContain(
      ':warning: Cloudflare reports expiry 2027-02-24 but the certificate PEM says 2026-12-01. The earlier of ' +
        'the two dates is the one on which the origin starts rejecting Cloudflare.',
    );
    // A warning on the card, not a change of severity: the origin accepts this certificate today.
    expect(result.assessment.reasons.map((reason) => reason.code)).not.toContain('client_auth_missing');
  });

  it('says a fit certificate passed, and shows nothing about fitness when it was not assessed', () => {
    const certificate = pem(FITNESS_PEMS.client_auth.pem);
    const fit = lookupResult(associationObservation({ certificatePem: FITNESS_PEMS.client_auth.pem }), {
      certificate,
      fitness: [],
    });
    expect(sectionText(renderStatusCard(fit, OPTIONS).blocks, '*Certificate PEM*')).toContain(
      ':white_check_mark: Fit as a client certificate',
    );
    const unassessed = lookupResult(associationObservation({ certificatePem: APP_PEM }), { certificate });
    expect(sectionText(renderStatusCard(unassessed, OPTIONS).blocks, '*Certificate PEM*')).not.toMatch(
      /Fit as|:warning:/,
    );
  });

  it('shows the zone quota from the last zone check, with a warning once a limit is reached', () => {
    const checkedAt = new Date(NOW.getTime() - 3_600_000);
    const room = lookupResult(associationObservation(), {
      quota: { quota: zoneQuota(Array(3).fill({ status: 'active' }), []), checkedAt },
    });
    expect(fieldTexts(renderStatusCard(room, OPTIONS).blocks)).toContain(
      '*Zone quota*\n3 of 10 hostname certificates · 0 of 100 associations on one certificate\n' +
        '_as of the zone check at 2026-11-26 08:00 GMT+1_',
    );
    const full = lookupResult(associationObservation(), {
      quota: { quota: zoneQuota(Array(10).fill({ status: 'active' }), []), checkedAt },
    });
    expect(fieldTexts(renderStatusCard(full, OPTIONS).blocks).join('\n')).toContain(
      ':warning: 10 of 10 hostname certificates (no slot for a replacement)',
    );
    expect(
      fieldTexts(renderStatusCard(lookupResult(associationObservation()), OPTIONS).blocks).join(),
    ).not.toContain('Zone quota');
  });

  it('says when the PEM could not be parsed, and when there was none', () => {
    const unparsed = lookupResult(associationObservation({ certificatePem: 'garbage' }), {
      certificateParseError: 'The certificate is not PEM-encoded (no "-----BEGIN CERTIFICATE-----" line).',
    });
    expect(sectionText(renderStatusCard(unparsed, OPTIONS).blocks, '*Certificate PEM*')).toBe(
      '*Certificate PEM*\n:warning: The PEM could not be parsed: The certificate is not PEM-encoded ' +
        '(no "-----BEGIN CERTIFICATE-----" line).',
    );
    const missing = lookupResult(associationObservation({ certificatePem: null }));
    expect(sectionText(renderStatusCard(missing, OPTIONS).blocks, '*Certificate PEM*')).toBe(
      '*Certificate PEM*\nCloudflare returned no certificate PEM for this hostname.',
    );
  });

  it('shows the zone switches, and warns when tls_client_auth is off under an enabled association', () => {
    const result = lookupResult(associationObservation(), {
      zoneSwitches: {
        tlsClientAuth: { state: 'known', value: 'off' },
        zoneLevelAop: { state: 'known', value: true },
        zoneCertificates: { state: 'known', value: [] },
      },
    });
    expect(sectionText(renderStatusCard(result, OPTIONS).blocks, '*Zone switches*')).toBe(
      '*Zone switches*\n' +
        'Authenticated Origin Pulls (`tls_client_auth`): off\n' +
        'Zone-level AOP: on\n' +
        'Zone-level certificates: 0 uploaded\n' +
        ':warning: `tls_client_auth` is off for this zone, so Cloudflare presents no client certificate to the ' +
        'origin even though per-hostname AOP is enabled.',
    );
  });

  it('says plainly when the token may not read zone settings', () => {
    const result = lookupResult(associationObservation(), {
      zoneSwitches: {
        tlsClientAuth: { state: 'forbidden', permission: 'Zone Settings Read' },
        zoneLevelAop: { state: 'forbidden', permission: 'Zone Settings Read' },
        zoneCertificates: { state: 'forbidden', permission: 'Zone Settings Read' },
      },
    });
    expect(sectionText(renderStatusCard(result, OPTIONS).blocks, '*Zone switches*')).toBe(
      "*Zone switches*\nThe API token may not read zone settings (needs Zone Settings Read), so the zone's " +
        '`tls_client_auth` and zone-level AOP switches and certificates are not shown.',
    );
  });

  it('shows a switch that failed to load next to one that loaded', () => {
    const result = lookupResult(associationObservation(), {
      zoneSwitches: {
        tlsClientAuth: { state: 'failed', message: 'timed out' },
        zoneLevelAop: { state: 'forbidden', permission: 'SSL and Certificates Read' },
        zoneCertificates: { state: 'known', value: [] },
      },
    });
    expect(sectionText(renderStatusCard(result, OPTIONS).blocks, '*Zone switches*')).toBe(
      '*Zone switches*\n' +
        'Authenticated Origin Pulls (`tls_client_auth`): _could not be read: timed out_\n' +
        'Zone-level AOP: _not readable (the token needs SSL and Certificates Read)_\n' +
        'Zone-level certificates: 0 uploaded',
    );
  });
});

describe('renderStatusCard: buttons', () => {
  it('offers Refresh and Share in channel when shareable, both carrying hostname and zone id', () => {
    const card = renderStatusCard(healthyResult(), OPTIONS);
    const actions = findBlock(card.blocks, 'actions');
    expect(actions.block_id).toBe(BLOCK_IDS.lookupActions);
    const found = buttons(card.blocks);
    expect(found.map(({ text, actionId }) => [text, actionId])).toEqual([
      ['Refresh', ACTION_IDS.refreshLookup],
      ['Share in channel', ACTION_IDS.shareLookup],
    ]);
    for (const button of found) {
      expect(decodeLookupValue(button.value)).toEqual({ hostname: 'app.example.com', zoneId: ZONE_ID });
    }
  });

  it('offers only Refresh when not shareable', () => {
    const card = renderStatusCard(healthyResult(), { ...OPTIONS, shareable: false });
    expect(buttons(card.blocks).map((button) => button.actionId)).toEqual([ACTION_IDS.refreshLookup]);
  });
});

describe('renderStatusCard: no association, unreachable', () => {
  it("answers with Cloudflare's shared certificate when a hostname has no association and global AOP is on", () => {
    const result = lookupResult({ kind: 'no_association', hostname: 'app.example.com', zoneId: ZONE_ID });
    const card = renderStatusCard(result, OPTIONS);
    expect(card.blocks[0]).toMatchObject({ text: { text: ':large_green_circle: app.example.com' } });
    expect(sectionText(card.blocks, '*What Cloudflare presents')).toBe(
      '*What Cloudflare presents to the origin*\n' +
        "Cloudflare's shared certificate (global AOP, `tls_client_auth` on). It is Cloudflare's to rotate, not " +
        "your team's: there is nothing to renew.",
    );
    expect(card.text).toContain('OK: app.example.com: Cloudflare presents its own shared AOP certificate');
    expect(buttons(card.blocks).map((button) => button.actionId)).toEqual([
      ACTION_IDS.refreshLookup,
      ACTION_IDS.shareLookup,
    ]);
  });

  it('says what went wrong and to try again', () => {
    const result = lookupResult({
      kind: 'unreachable',
      hostname: 'app.example.com',
      zoneId: ZONE_ID,
      errorCode: 'cloudflare_timeout',
      errorMessage: 'Cloudflare did not answer within 10 s.',
    });
    const card = renderStatusCard(result, OPTIONS);
    expect(card.blocks[0]).toMatchObject({ text: { text: ':grey_question: app.example.com' } });
    expect(sectionText(card.blocks, '*Could not check')).toBe(
      '*Could not check app.example.com*\n' +
        'Cloudflare did not answer within 10 s.\n' +
        'Cloudflare did not answer in time; try again in a minute. Use Refresh to try again.',
    );
    expect(allBlockTexts(card)).toContain('Error code: `cloudflare_timeout`');
    expect(card.text).toBe(
      'Unknown: app.example.com: Could not check: Cloudflare did not answer within 10 s.',
    );
  });
});

describe('renderStatusCard: untrusted text', () => {
  const hostile = '<!channel> *bold* _it_ ~s~ `c` & <@U123> <https://evil.example|click>\n<!here>';

  function hostileResult(): LookupResult {
    const certificate = pem(HOSTILE_PEM);
    return lookupResult(
      associationObservation({
        hostname: '<!channel>.example.com',
        issuer: hostile,
        serialNumber: hostile,
        signature: hostile,
        certificateId: hostile,
        associationStatus: hostile,
        certificateStatus: hostile,
        certificatePem: HOSTILE_PEM,
      }),
      {
        certificate,
        zone: { id: hostile, name: hostile },
        zoneSwitches: {
          tlsClientAuth: { state: 'known', value: hostile },
          zoneLevelAop: { state: 'failed', message: hostile },
          zoneCertificates: { state: 'known', value: [] },
        },
      },
    );
  }

  it('escapes every API- and user-derived string, so nothing can mention, link or format', () => {
    const card = renderStatusCard(hostileResult(), OPTIONS);
    const texts = [card.text, ...allBlockTexts(card)];
    for (const text of texts) {
      expect(text).not.toMatch(/<[!@#]|<https?:/);
      expect(text).not.toContain('\n<');
    }
    expect(fieldTexts(card.blocks)).toContain(
      '*Issuer*\n&lt;!channel&gt; ∗bold∗ ˍitˍ ∼s∼ ˋcˋ &amp; &lt;@U123&gt; &lt;https://evil.example|click&gt;\uFFFD&lt;!here&gt;',
    );
    expect(card.blocks[0]).toMatchObject({ text: { text: ':red_circle: &lt;!channel&gt;.example.com' } });
    const pemText = sectionText(card.blocks, '*Certificate PEM*');
    expect(pemText).toContain(
      'Subject: CN=\\&lt;!channel\\&gt; ∗bold∗ ˋcodeˋ, O=Evil &amp; Co \\&lt;@U123\\&gt;',
    );
    expect(pemText).toContain('SANs: &lt;!here&gt;.example.com, evil.example.com');
  });

  it('escapes an unreachable error message', () => {
    const result = lookupResult({
      kind: 'unreachable',
      hostname: 'app.example.com',
      zoneId: null,
      errorCode: '<!channel>',
      errorMessage: '<!here> broke',
    });
    const card = renderStatusCard(result, OPTIONS);
    for (const text of [card.text, ...allBlockTexts(card)]) expect(text).not.toMatch(/<[!@#]/);
    expect(allBlockTexts(card)).toContain('Error code: `&lt;!channel&gt;`');
  });

  it('stays within every Block Kit limit however long the data gets', () => {
    const huge = `<!channel>${'x&'.repeat(30_000)}`;
    const certificate = parsedCertificate({
      subject: huge,
      subjectAltNames: Array.from({ length: 500 }, (_, index) => `${'s'.repeat(200)}${index}.example.com`),
      sha256Fingerprint: huge,
    });
    const result = lookupResult(
      associationObservation({
        hostname: `${'h'.repeat(60)}.${'h'.repeat(60)}.${'h'.repeat(60)}.${'h'.repeat(60)}.com`,
        issuer: huge,
        serialNumber: huge,
        signature: huge,
        certificateId: huge,
        associationStatus: huge,
        certificateStatus: huge,
        certificatePem: huge,
      }),
      {
        certificate,
        zone: { id: huge, name: huge },
        zoneSwitches: {
          tlsClientAuth: { state: 'failed', message: huge },
          zoneLevelAop: { state: 'forbidden', permission: huge },
          zoneCertificates: {
            state: 'known',
            value: Array.from({ length: 8 }, (_, index) =>
              zoneCertificate({
                certificateId: `${huge.slice(0, 4000)}${index}`,
                status: huge.slice(0, 4000),
              }),
            ),
          },
        },
      },
    );
    expect(result.inEffect.notInUse).toHaveLength(8);
    expect(result.inEffect.missingPermissions).toEqual([huge]);
    const longReasons = {
      ...result,
      assessment: {
        ...result.assessment,
        reasons: Array.from({ length: 40 }, () => ({
          code: 'expired' as const,
          severity: 'critical' as const,
          text: huge,
        })),
      },
    };
    for (const shareable of [true, false]) {
      const card = renderStatusCard(longReasons, { ...OPTIONS, shareable });
      assertWithinBlockKitLimits(card, 'hostile status card');
      expect(textCharsIn(card.blocks)).toBeLessThanOrEqual(BLOCK_KIT_LIMITS.messageTextBudgetChars);
      // A cut never leaves half an entity behind.
      for (const text of allBlockTexts(card)) expect(text).not.toMatch(/&[a-z]*…/);
    }
  });
});

describe('renderStatusCard: what Cloudflare presents to the origin', () => {
  const zoneOn = (certificates: ReturnType<typeof zoneCertificate>[]) => ({
    tlsClientAuth: { state: 'known' as const, value: 'on' },
    zoneLevelAop: { state: 'known' as const, value: true },
    zoneCertificates: { state: 'known' as const, value: certificates },
  });
  const soon = zoneCertificate({
    certificateId: 'zone-soon',
    expiresOn: daysFromNow(3),
    uploadedOn: new Date('2026-06-01T00:00:00Z'),
  });
  const leftBehind = zoneCertificate({
    certificateId: 'zone-expired',
    expiresOn: daysFromNow(-10),
    uploadedOn: new Date('2025-01-01T00:00:00Z'),
  });

  it('leads with the own certificate, its expiry and severity, and lists zone certificates as not in use', () => {
    const result = lookupResult(associationObservation({ expiresOn: daysFromNow(20) }), {
      zoneSwitches: zoneOn([soon]),
    });
    const card = renderStatusCard(result, OPTIONS);
    expect(card.blocks[0]).toMatchObject({ text: { text: ':large_orange_circle: app.example.com' } });
    expect(sectionText(card.blocks, '*What Cloudflare presents')).toBe(
      "*What Cloudflare presents to the origin*\nThis hostname's own certificate (per-hostname AOP), " +
        'expires 2026-12-16 (in 20 days).',
    );
    expect(sectionText(card.blocks, '*Zone certificates uploaded')).toBe(
      '*Zone certificates uploaded, not in use for this hostname*\n' +
        '• `zone-soon`, active, expires 2026-11-29 (in 3 days): this hostname has its own certificate, which takes precedence',
    );
  });

  it('makes a hostname without its own certificate critical when the zone certificate expires in 3 days', () => {
    const result = lookupResult(
      { kind: 'no_association', hostname: 'app.example.com', zoneId: ZONE_ID },
      { zoneSwitches: zoneOn([leftBehind, soon]) },
    );
    const card = renderStatusCard(result, OPTIONS);
    expect(card.blocks[0]).toMatchObject({ text: { text: ':red_circle: app.example.com' } });
    expect(card.text).toBe('Critical: app.example.com: Certificate expires in 3 days (2026-11-29)');
    expect(sectionText(card.blocks, '*What Cloudflare presents')).toBe(
      '*What Cloudflare presents to the origin*\nThe zone certificate of example.com (zone-level AOP), ' +
        'expires 2026-11-29 (in 3 days). This hostname has no certificate of its own, so it shares the zone ' +
        'certificate with every hostname without one.',
    );
    expect(fieldTexts(card.blocks)).toEqual(
      expect.arrayContaining([
        '*Certificate level*\nzone-level (every hostname without its own)',
        '*Certificate id*\nzone-soon',
        '*Expires*\n2026-11-29 (in 3 days)',
      ]),
    );
    expect(sectionText(card.blocks, '*Zone certificates uploaded')).toContain(
      '• `zone-expired`, active, expires 2026-11-16 (10 days ago): a more recently deployed zone certificate is in use',
    );
  });

  it("says Cloudflare's shared certificate is Cloudflare's to rotate, and that nothing means no client certificate", () => {
    const shared = renderStatusCard(
      lookupResult({ kind: 'no_association', hostname: 'app.example.com', zoneId: ZONE_ID }),
      OPTIONS,
    );
    expect(sectionText(shared.blocks, '*What Cloudflare presents')).toContain("It is Cloudflare's to rotate");
    const none = renderStatusCard(
      lookupResult(
        { kind: 'no_association', hostname: 'app.example.com', zoneId: ZONE_ID },
        {
          zoneSwitches: {
            tlsClientAuth: { state: 'known', value: 'off' },
            zoneLevelAop: { state: 'known', value: false },
            zoneCertificates: { state: 'known', value: [] },
          },
        },
      ),
      OPTIONS,
    );
    expect(none.blocks[0]).toMatchObject({ text: { text: ':large_blue_circle: app.example.com' } });
    expect(sectionText(none.blocks, '*What Cloudflare presents')).toContain(
      'The origin must not require a client certificate for this hostname.',
    );
  });

  it('names the permission that would show the rest when the token may not read the zone certificates', () => {
    const result = lookupResult(
      { kind: 'no_association', hostname: 'app.example.com', zoneId: ZONE_ID },
      {
        zoneSwitches: {
          tlsClientAuth: { state: 'known', value: 'on' },
          zoneLevelAop: { state: 'known', value: true },
          zoneCertificates: { state: 'forbidden', permission: 'SSL and Certificates Read' },
        },
      },
    );
    const card = renderStatusCard(result, OPTIONS);
    expect(card.blocks[0]).toMatchObject({ text: { text: ':grey_question: app.example.com' } });
    expect(sectionText(card.blocks, '*What Cloudflare presents')).toContain(
      ':lock: The API token lacks SSL and Certificates Read; with it this card would show the rest',
    );
  });
});

describe('renderLookupError', () => {
  it('shows a Cloudflare failure with its hint, HTTP status and Cloudflare error codes', () => {
    const message = renderLookupError(
      {
        code: 'cloudflare_forbidden',
        message: 'Cloudflare refused the request.',
        hint: 'Give the token SSL and Certificates Read on example.com.',
        status: 403,
        cloudflareErrors: [{ code: 10000, message: 'Authentication error' }],
      },
      { hostname: 'app.example.com' },
    );
    assertWithinBlockKitLimits(message);
    expect(message.text).toBe(
      'Could not check app.example.com: the Cloudflare request failed: Cloudflare refused the request.',
    );
    expect(allBlockTexts(message)).toEqual([
      ':warning: *Could not check app.example.com: the Cloudflare request failed*\n' +
        'Cloudflare refused the request.\n' +
        'Give the token SSL and Certificates Read on example.com.',
      'Error code: `cloudflare_forbidden`',
      'HTTP 403',
      'Cloudflare 10000: Authentication error',
    ]);
  });

  it('falls back to the default hint for the code', () => {
    const message = renderLookupError(new AopError('zone_not_found', 'No zone matches app.example.com.'), {
      hostname: 'app.example.com',
    });
    expect(allBlockTexts(message)[0]).toBe(
      ':warning: *No Cloudflare zone found for app.example.com*\n' +
        'No zone matches app.example.com.\n' +
        'Add the zone as a second argument (e.g. /aop-status app.example.com example.com), or ask an admin to add it to the config.',
    );
  });

  it('adds the usage for invalid input', () => {
    const message = renderLookupError(new AopError('invalid_hostname', '“x” is not a valid hostname.'));
    expect(allBlockTexts(message)[1]).toMatch(
      /^\*Usage\*\n• `\/aop-status &lt;hostname&gt; \[zone name or id\]`/,
    );
  });

  it('does not show the internals of an unexpected error', () => {
    const message = renderLookupError(new Error('ECONNREFUSED 10.1.2.3:6379 at Socket.<anonymous>'), {
      hostname: 'app.example.com',
    });
    const texts = allBlockTexts(message).join('\n');
    expect(texts).not.toContain('ECONNREFUSED');
    expect(texts).toContain('Something unexpected went wrong while checking.');
    expect(texts).toContain('Error code: `unexpected`');
  });

  it('escapes hostile messages, hints and Cloudflare error text', () => {
    const message = renderLookupError(
      {
        code: '<!channel>',
        message: '<!here> hi',
        hint: '<@U1> do it',
        cloudflareErrors: [{ code: 1, message: '<#C1>' }],
      },
      { hostname: '<!everyone>' },
    );
    for (const text of [message.text, ...allBlockTexts(message)]) expect(text).not.toMatch(/<[!@#]/);
  });
});

describe('renderUsage', () => {
  it('shows the problem escaped, then the grammar', () => {
    const message = renderUsage(
      '“<!channel>” is not a valid hostname: That is a Slack mention or channel, not a hostname.',
    );
    assertWithinBlockKitLimits(message);
    expect(message.text).toBe(
      '“&lt;!channel&gt;” is not a valid hostname: That is a Slack mention or channel, not a hostname.',
    );
    const texts = allBlockTexts(message);
    expect(texts[0]).toBe(
      ':warning: “&lt;!channel&gt;” is not a valid hostname: That is a Slack mention or channel, not a hostname.',
    );
    expect(texts[1]).toContain(
      '• `/aop-status unwatch &lt;hostname&gt;`: Remove a hostname from the watched inventory.',
    );
  });

  it('shows only the grammar without a message', () => {
    const message = renderUsage();
    expect(message.text).toBe('Usage: /aop-status &lt;hostname&gt; [zone]');
    expect(allBlockTexts(message)[0]).toMatch(/^\*Usage\*/);
  });
});
