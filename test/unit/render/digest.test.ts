import { describe, expect, it } from 'vitest';
import { httpFailureError } from '../../../src/cloudflare/errors.js';
import type { HostnameCheck, ZoneFailure } from '../../../src/digest/model.js';
import { FITNESS_CONSEQUENCES, type FitnessFinding } from '../../../src/domain/fitness.js';
import { zoneQuota } from '../../../src/domain/quota.js';
import type { ZoneRef } from '../../../src/domain/types.js';
import { type DigestMessage, renderDigest } from '../../../src/render/digest.js';
import { allBlockTexts, assertWithinBlockKitLimits } from '../../support/block-kit-limits.js';
import {
  associationCheck,
  daysAfterSlot,
  digestInput,
  noAssociationCheck,
  SLOT_TIME,
  unreachableCheck,
  ZONE_A,
  ZONE_B,
  zoneCertificateCheck,
  zoneFailure,
} from '../digest/builders.js';

const HOSTNAME_PATTERN = /\b[a-z]+-\d{4}\.[a-z0-9]+\.example\b/g;

function sectionTexts(message: DigestMessage): string[] {
  return message.blocks.flatMap((block) => (block.type === 'section' && block.text ? [block.text.text] : []));
}

function contextTexts(message: DigestMessage): string[] {
  return message.blocks.flatMap((block) =>
    block.type === 'context'
      ? block.elements.flatMap((element) => ('text' in element ? [element.text] : []))
      : [],
  );
}

function hostnamesIn(messages: DigestMessage[]): string[] {
  return messages.flatMap((message) =>
    allBlockTexts(message).flatMap((text) => text.match(HOSTNAME_PATTERN) ?? []),
  );
}

/** 2,000 hostnames over five zones: a tenth critical, a fifth warning in shared certificates, a tenth unreachable, a tenth disabled, the rest healthy. */
function largeInventory(): {
  checks: HostnameCheck[];
  zoneFailures: ZoneFailure[];
  problemHostnames: Set<string>;
  healthy: Set<string>;
} {
  const zones: ZoneRef[] = Array.from({ length: 5 }, (_, index) => ({
    id: `zone-${index}`,
    name: `z${index}.example`,
  }));
  const checks: HostnameCheck[] = [];
  const problemHostnames = new Set<string>();
  const healthy = new Set<string>();
  for (let index = 0; index < 2000; index += 1) {
    const hostname = `host-${String(index).padStart(4, '0')}.z${index % 5}.example`;
    const zone = zones[index % 5] as ZoneRef;
    const kind = index % 10;
    if (kind === 0) {
      checks.push(
        associationCheck(hostname, 'critical', { zone, expiresOn: daysAfterSlot((index % 9) - 2) }),
      );
    } else if (kind === 1 || kind === 2) {
      const certificate = Math.floor(index / 100);
      checks.push(
        associationCheck(hostname, 'warning', {
          zone,
          certificateId: `warn-cert-${certificate}`,
          expiresOn: daysAfterSlot(8 + certificate),
        }),
      );
    } else if (kind === 3) {
      checks.push(
        unreachableCheck(hostname, {
          zone,
          errorCode: index % 20 === 3 ? 'cloudflare_timeout' : 'cloudflare_network',
        }),
      );
    } else if (kind === 4) {
      checks.push(
        associationCheck(hostname, 'info', {
          zone,
          reason: { code: 'disabled', text: 'AOP is switched off' },
        }),
      );
    } else {
      checks.push(associationCheck(hostname, 'ok', { zone, expiresOn: daysAfterSlot(200) }));
      healthy.add(hostname);
      continue;
    }
    problemHostnames.add(hostname);
  }
  const configured = Array.from(
    { length: 40 },
    (_, index) => `cfg-${String(index).padStart(4, '0')}.zf.example`,
  );
  for (const hostname of configured) problemHostnames.add(hostname);
  const zoneFailures = [
    zoneFailure({ id: 'zone-f', name: 'zf.example' }, configured),
    zoneFailure({ id: 'zone-g', name: 'zg.example' }),
  ];
  return { checks, zoneFailures, problemHostnames, healthy };
}

describe('renderDigest', () => {
  it('shows 37 hostnames behind one certificate as one line with the certificate, count and expiry', () => {
    const hostnames = Array.from(
      { length: 37 },
      (_, index) => `web-${String(index).padStart(4, '0')}.shop.example`,
    );
    const checks = hostnames.map((hostname) =>
      associationCheck(hostname, 'critical', {
        certificateId: 'c0ffee0123456789',
        expiresOn: daysAfterSlot(7),
      }),
    );

    const { kind, messages } = renderDigest(digestInput({ checks }));

    expect(kind).toBe('attention');
    expect(messages).toHaveLength(1);
    const [critical] = sectionTexts(messages[0] as DigestMessage).slice(1);
    const lines = critical?.split('\n') ?? [];
    expect(lines[0]).toBe('*:red_circle: Critical* — 37 hostnames');
    expect(lines[1]).toBe(
      ':red_circle: 1 certificate, 37 hostnames, expires 2026-12-03 · zone a.example · Certificate expires soon · certificate `c0ffee01…`',
    );
    expect(lines.slice(2).join('\n').match(HOSTNAME_PATTERN)).toEqual(hostnames);
  });

  it('lists critical before warnings before unknown before disabled, earliest expiry first', () => {
    const checks = [
      noAssociationCheck('bare-0001.a.example'),
      associationCheck('warn-0002.a.example', 'warning', { expiresOn: daysAfterSlot(25) }),
      associationCheck('crit-0002.a.example', 'critical', { expiresOn: daysAfterSlot(5) }),
      unreachableCheck('lost-0001.a.example'),
      associationCheck('warn-0001.a.example', 'warning', { expiresOn: daysAfterSlot(12) }),
      associationCheck('crit-0001.a.example', 'critical', { expiresOn: daysAfterSlot(-1) }),
    ];

    const { messages } = renderDigest(digestInput({ checks }));

    expect(hostnamesIn(messages)).toEqual([
      'crit-0001.a.example',
      'crit-0002.a.example',
      'warn-0001.a.example',
      'warn-0002.a.example',
      'lost-0001.a.example',
      'bare-0001.a.example',
    ]);
    expect(sectionTexts(messages[0] as DigestMessage).slice(1)).toEqual([
      '*:red_circle: Critical* — 2 hostnames\n' +
        ':red_circle: *crit-0001.a.example* · zone a.example · Certificate expires soon · expired 2026-11-25\n' +
        ':red_circle: *crit-0002.a.example* · zone a.example · Certificate expires soon · expires 2026-12-01',
      '*:large_orange_circle: Warnings* — 2 hostnames\n' +
        ':large_orange_circle: *warn-0001.a.example* · zone a.example · Certificate expires within the warning window · expires 2026-12-08\n' +
        ':large_orange_circle: *warn-0002.a.example* · zone a.example · Certificate expires within the warning window · expires 2026-12-21',
      '*:grey_question: Unknown or could not be checked* — 1 hostname\n' +
        ':grey_question: *lost-0001.a.example* · zone a.example · Cloudflare did not answer within 10 s',
      '*:large_blue_circle: Disabled, voided or not associated* — 1 hostname\n' +
        ':large_blue_circle: *bare-0001.a.example* · zone a.example · No per-hostname AOP association',
    ]);
  });

  it('opens with the date and the counts per severity and closes with what was checked and when the next digest is due', () => {
    const checks = [
      associationCheck('crit-0001.a.example', 'critical', { expiresOn: daysAfterSlot(2) }),
      unreachableCheck('lost-0001.a.example'),
      associationCheck('fine-0001.a.example', 'ok'),
      associationCheck('fine-0002.a.example', 'ok'),
    ];
    const zoneFailures = [zoneFailure({ id: 'zone-c', name: 'c.example' }, ['cfg-0001.c.example'])];

    const [parent] = renderDigest(digestInput({ checks, zoneFailures, zonesTotal: 3 })).messages;

    expect(parent?.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'AOP digest · 2026-11-26' },
    });
    expect(sectionTexts(parent as DigestMessage)[0]).toBe(
      ':red_circle: *1 critical*   :large_orange_circle: *0 warning*   :grey_question: *2 unknown*   :large_blue_circle: *0 disabled*   :large_green_circle: *2 healthy*',
    );
    expect(contextTexts(parent as DigestMessage).at(-1)).toBe(
      'Checked 3 hostnames in 2 zones at Thu 2026-11-26 09:00 CET; 2 could not be checked. Next digest: Fri 2026-11-27 09:00 CET.',
    );
    expect(parent?.text).toBe(
      'AOP digest for 2026-11-26: 1 critical, 0 warning, 2 unknown, 0 disabled, 2 healthy',
    );
    expect(parent?.metadata).toEqual({
      event_type: 'aop_digest',
      event_payload: {
        kind: 'attention',
        route: null,
        slot_time: '2026-11-26T08:00:00.000Z',
        generated_at: '2026-11-26T08:00:42.000Z',
        trigger: 'schedule',
        late: false,
        late_by_ms: 0,
        critical: 1,
        warning: 0,
        unknown: 1,
        info: 0,
        ok: 2,
        hostnames_checked: 3,
        hostnames_not_checked: 2,
        zones_not_listed: 0,
        zones_checked: 2,
        zones_total: 3,
        zone_certificates_critical: 0,
        zone_certificates_warning: 0,
        zone_certificates_unknown: 0,
        zone_certificates_not_in_use: 0,
        zone_certificates_ok: 0,
        part: 1,
        part_count: 1,
      },
    });
    expect(parent?.isThreadReply).toBe(false);
  });

  it('lists zone-level certificates as their own lines and counts them in the header', () => {
    const input = digestInput({
      checks: [associationCheck('ok.a.example', 'ok')],
      zoneCertificates: [
        zoneCertificateCheck('critical', {
          certificateId: '7e0b1c9a-3d2f-4b8e-a6c5-1f9d8e7a6b5c',
          expiresOn: daysAfterSlot(3),
          reason: { code: 'expiring_critical', text: 'Certificate expires in 3 days (2026-11-29)' },
        }),
        zoneCertificateCheck('info', {
          certificateId: 'old',
          inUse: false,
          expiresOn: daysAfterSlot(-10),
          reason: {
            code: 'not_in_use',
            text: 'Uploaded, not in use: a more recently deployed zone certificate is in use',
          },
        }),
      ],
      zoneLevelFailures: [
        {
          state: 'not_checked',
          zone: { id: 'zone-b-id', name: 'b.example' },
          errorCode: 'cloudflare_forbidden',
          errorMessage:
            'Cloudflare refused access (HTTP 403 on GET /zones/zone-b-id/origin_tls_client_auth).',
          permission: 'SSL and Certificates Read',
        },
      ],
    });
    const { kind, messages } = renderDigest(input);
    expect(kind).toBe('attention');
    const [parent] = messages;
    if (!parent) throw new Error('no parent');
    const text = sectionTexts(parent).join('\n');
    expect(text.split('\n')).toEqual(
      expect.arrayContaining([
        ':red_circle: *zone certificate of a.example*, used by every hostname without its own · Certificate expires in 3 days (2026-11-29) · expires 2026-11-29 · certificate `7e0b1c9a…`',
        ':large_blue_circle: *zone certificate of a.example* · Uploaded, not in use: a more recently deployed zone certificate is in use · expired 2026-11-16 · certificate `old`',
        ':grey_question: *zone certificates of b.example* could not be read · Cloudflare refused access (HTTP 403 on GET /zones/zone-b-id/originˍtlsˍclientˍauth). Give the API token "SSL and Certificates Read" to see them. (`cloudflare_forbidden`)',
        '*:red_circle: Critical* — 1 zone certificate',
      ]),
    );
    expect(text).toContain(
      'Zone certificates: :red_circle: 1 critical · :large_blue_circle: 1 not in use · 1 zone not readable',
    );
    expect(contextTexts(parent).join('\n')).toContain(
      'Checked 1 hostname and 2 zone certificates in 2 zones',
    );
    expect(parent.metadata?.event_payload).toMatchObject({
      critical: 0,
      zone_certificates_critical: 1,
      zone_certificates_not_in_use: 1,
      zone_certificates_unknown: 1,
    });
    expect(parent.text).toContain('1 zone certificate critical or warning');
  });

  it('counts a healthy zone certificate in the all-clear message', () => {
    const { kind, messages } = renderDigest(
      digestInput({
        checks: [associationCheck('ok.a.example', 'ok')],
        zoneCertificates: [zoneCertificateCheck('ok', { zone: ZONE_A, expiresOn: daysAfterSlot(200) })],
      }),
    );
    expect(kind).toBe('all_clear');
    expect(messages[0]?.text).toContain('the zone certificate in use is healthy too');
  });

  it('splits a 2,000-hostname digest into messages that each stay within every Block Kit limit and together name every problem hostname once', () => {
    const { checks, zoneFailures, problemHostnames, healthy } = largeInventory();

    const { kind, messages } = renderDigest(digestInput({ checks, zoneFailures, zonesTotal: 7 }));

    expect(kind).toBe('attention');
    expect(messages.length).toBeGreaterThan(2);
    messages.forEach((message, index) => {
      assertWithinBlockKitLimits(message, `message ${index + 1} of ${messages.length}`);
    });
    const named = hostnamesIn(messages);
    expect(new Set(named)).toEqual(problemHostnames);
    expect(named).toHaveLength(problemHostnames.size);
    expect(named.filter((hostname) => healthy.has(hostname))).toEqual([]);
    expect(allBlockTexts({ blocks: messages.flatMap((message) => message.blocks) }).join('\n')).toContain(
      '*zg.example*: the zone could not be listed',
    );
  });

  it('keeps the parent short, says how much the thread holds, and labels every reply with its part', () => {
    const { checks, zoneFailures } = largeInventory();

    const { messages } = renderDigest(digestInput({ checks, zoneFailures, zonesTotal: 7 }));

    const [parent, ...replies] = messages;
    const total = 1040 + 1;
    const shownInParent = hostnamesIn([parent as DigestMessage]).length;
    expect(shownInParent).toBe(15);
    expect(contextTexts(parent as DigestMessage)).toContain(
      `:thread: Showing the 15 most urgent of 1,041 entries; the other ${(total - 15).toLocaleString('en-US')} are listed in this thread (${replies.length} replies).`,
    );
    expect(parent?.metadata?.event_payload.part_count).toBe(messages.length);
    replies.forEach((reply, index) => {
      expect(reply.isThreadReply).toBe(true);
      expect(reply.text).toMatch(
        new RegExp(`^AOP digest for 2026-11-26, part ${index + 2} of ${messages.length} — `),
      );
      expect(reply.metadata?.event_payload).toEqual({
        route: null,
        slot_time: SLOT_TIME.toISOString(),
        trigger: 'schedule',
        part: index + 2,
        part_count: messages.length,
      });
    });
    expect(replies[0]?.text).toBe(
      `AOP digest for 2026-11-26, part 2 of ${messages.length} — critical continued`,
    );
  });

  it('never cuts a line: every line of every section is a heading, an item or a hostname list', () => {
    const { checks, zoneFailures } = largeInventory();

    const { messages } = renderDigest(digestInput({ checks, zoneFailures, zonesTotal: 7 }), {
      maxTextCharsPerMessage: 3000,
    });

    for (const message of messages) {
      assertWithinBlockKitLimits(message);
      const body = message.isThreadReply ? sectionTexts(message) : sectionTexts(message).slice(1);
      for (const line of body.flatMap((text) => text.split('\n'))) {
        expect(line).toMatch(
          /^(\*:[a-z_]+: [A-Z][^*]+\*( — .+)?|:[a-z_]+: .+\S|\u2003\u21B3 ([a-z]+-\d{4}\.[a-z0-9]+\.example(, |$))+)$/,
        );
      }
    }
  });

  it('repeats the certificate line when one certificate’s hostname list continues in the next reply', () => {
    const hostnames = Array.from(
      { length: 1500 },
      (_, index) => `edge-${String(index).padStart(4, '0')}.cdn.example`,
    );
    const checks = hostnames.map((hostname) =>
      associationCheck(hostname, 'warning', { certificateId: 'bulk', expiresOn: daysAfterSlot(20) }),
    );

    const { messages } = renderDigest(digestInput({ checks }));

    expect(messages.length).toBeGreaterThanOrEqual(3);
    for (const message of messages) assertWithinBlockKitLimits(message);
    expect(hostnamesIn(messages)).toEqual(hostnames);
    const head =
      ':large_orange_circle: 1 certificate, 1,500 hostnames, expires 2026-12-16 · zone a.example · Certificate expires within the warning window · certificate `bulk`';
    for (const reply of messages.slice(1)) {
      expect(sectionTexts(reply)[0]?.split('\n').slice(0, 2)).toEqual([
        '*:large_orange_circle: Warnings (continued)*',
        `${head} _(continued)_`,
      ]);
    }
  });

  it('says so in one short message when every hostname is healthy', () => {
    const checks = [associationCheck('a-0001.a.example', 'ok'), associationCheck('b-0001.b.example', 'ok')];

    const { kind, messages } = renderDigest(digestInput({ checks }));

    expect(kind).toBe('all_clear');
    expect(messages).toHaveLength(1);
    const [message] = messages;
    expect(message?.text).toBe(
      'AOP digest for 2026-11-26: all 2 hostnames in 2 zones are healthy; next digest Fri 2026-11-27 09:00 CET.',
    );
    expect(message?.blocks).toEqual([
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: ':large_green_circle: *AOP digest for 2026-11-26*: all 2 hostnames in 2 zones are healthy; next digest Fri 2026-11-27 09:00 CET.',
        },
      },
    ]);
    expect(message?.metadata?.event_type).toBe('aop_digest');
    expect(message?.metadata?.event_payload).toMatchObject({
      kind: 'all_clear',
      ok: 2,
      part_count: 1,
      late: false,
    });
    assertWithinBlockKitLimits(message as DigestMessage);
  });

  it('explains how to watch hostnames when the inventory is empty', () => {
    const { kind, messages } = renderDigest(digestInput({ checks: [], zonesTotal: 0 }));

    expect(kind).toBe('all_clear');
    expect(messages[0]?.text).toBe(
      'AOP digest for 2026-11-26: no hostnames to check in 0 zones; next digest Fri 2026-11-27 09:00 CET. Watch one with `/aop-status watch &lt;hostname&gt; [zone]`.',
    );
  });

  it('says a late run is late, with the scheduled and the posting time', () => {
    const generatedAt = new Date('2026-11-26T13:12:00.000Z');
    const input = digestInput({
      checks: [associationCheck('crit-0001.a.example', 'critical', { expiresOn: daysAfterSlot(1) })],
      generatedAt,
      lateByMs: generatedAt.getTime() - SLOT_TIME.getTime(),
    });

    const { messages } = renderDigest(input);

    expect(messages[0]?.blocks[1]).toEqual({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: ':hourglass_flowing_sand: This digest is late: scheduled for 09:00 CET, posted 14:12 CET (the bot was down).',
        },
      ],
    });
    expect(messages[0]?.metadata?.event_payload).toMatchObject({ late: true, late_by_ms: 18_720_000 });
  });

  it('names both days when a late run is posted the day after, also when all is clear', () => {
    const generatedAt = new Date('2026-11-27T07:30:00.000Z');
    const input = digestInput({
      checks: [associationCheck('fine-0001.a.example', 'ok')],
      generatedAt,
      lateByMs: generatedAt.getTime() - SLOT_TIME.getTime(),
    });

    const { kind, messages } = renderDigest(input);

    expect(kind).toBe('all_clear');
    expect(contextTexts(messages[0] as DigestMessage)).toEqual([
      ':hourglass_flowing_sand: This digest is late: scheduled for Thu 2026-11-26 09:00 CET, posted Fri 2026-11-27 08:30 CET (the bot was down).',
    ]);
  });

  it("names the route in a route's digest: header, fallback text and metadata", () => {
    const input = digestInput({
      checks: [associationCheck('crit-0001.a.example', 'critical')],
      route: 'payments',
    });

    const [parent] = renderDigest(input).messages;

    expect(parent?.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'AOP digest (payments) · 2026-11-26' },
    });
    expect(parent?.text).toMatch(/^AOP digest \(payments\) for 2026-11-26: /);
    expect(parent?.metadata).toMatchObject({
      event_type: 'aop_digest',
      event_payload: { route: 'payments' },
    });
    const clear = renderDigest(
      digestInput({ checks: [associationCheck('ok-0001.a.example', 'ok')], route: 'payments' }),
    );
    expect(clear.messages[0]?.metadata?.event_payload.route).toBe('payments');
  });

  it('does not call an on-demand digest late and marks it as on request', () => {
    const input = digestInput({
      checks: [associationCheck('crit-0001.a.example', 'critical')],
      trigger: 'on_demand',
      lateByMs: 3_600_000,
    });

    const [parent] = renderDigest(input).messages;

    expect(parent?.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'AOP digest · 2026-11-26 (on request)' },
    });
    expect(contextTexts(parent as DigestMessage).some((text) => text.includes('late'))).toBe(false);
    expect(parent?.metadata?.event_payload).toMatchObject({ trigger: 'on_demand', late: false });
  });

  it('reports a zone that could not be listed as not checked: its configured hostnames, or the zone itself', () => {
    const zoneFailures = [
      zoneFailure({ id: 'zone-c', name: 'c.example' }, ['cfg-0002.c.example', 'cfg-0001.c.example']),
      zoneFailure({ id: 'zone-d', name: null }),
    ];

    const { kind, messages } = renderDigest(digestInput({ zoneFailures, zonesTotal: 2 }));

    expect(kind).toBe('attention');
    expect(sectionTexts(messages[0] as DigestMessage).slice(1)).toEqual([
      '*:grey_question: Unknown or could not be checked* — 2 hostnames, 1 zone\n' +
        ':grey_question: *c.example*: the zone could not be listed, so 2 configured hostnames were not checked · The API token may not read this zone (`cloudflare_forbidden`)\n' +
        '\u2003\u21B3 cfg-0001.c.example, cfg-0002.c.example\n' +
        ':grey_question: *zone-d*: the zone could not be listed, so none of its hostnames were checked · The API token may not read this zone (`cloudflare_forbidden`)',
    ]);
    expect(contextTexts(messages[0] as DigestMessage).at(-1)).toBe(
      'Checked 0 hostnames in 0 zones at Thu 2026-11-26 09:00 CET; 2 could not be checked; 1 zone could not be listed. Next digest: Fri 2026-11-27 09:00 CET.',
    );
  });

  it('escapes hostnames, zone names and reasons so <!channel> cannot ping anyone', () => {
    const zone = { id: 'zone-x', name: '<!here> zone' };
    const checks = [
      associationCheck('<!channel>.evil.example', 'critical', {
        zone,
        reason: { code: 'expired', text: 'Expired <@U123> *now*' },
      }),
      ...['<!channel>-a.evil.example', '<!channel>-b.evil.example'].map((hostname) =>
        associationCheck(hostname, 'warning', { zone, certificateId: '<!everyone>' }),
      ),
    ];

    const { messages } = renderDigest(digestInput({ checks }));

    const everything = [messages[0]?.text ?? '', ...allBlockTexts(messages[0] as DigestMessage)].join('\n');
    expect(everything).not.toMatch(/<[!@]/);
    expect(everything).toContain(
      ':red_circle: *&lt;!channel&gt;.evil.example* · zone &lt;!here&gt; zone · Expired &lt;@U123&gt; ∗now∗',
    );
    expect(everything).toContain(
      '\u2003\u21B3 &lt;!channel&gt;-a.evil.example, &lt;!channel&gt;-b.evil.example',
    );
    expect(everything).toContain('certificate `&lt;!everyone&gt;`');
  });
});

describe('renderDigest: fitness and quota', () => {
  const unfit: FitnessFinding[] = [
    {
      code: 'client_auth_missing',
      text: 'Extended key usage is serverAuth only, without clientAuth',
      consequence: FITNESS_CONSEQUENCES.client_auth_missing,
    },
    // Weighed by the severity already: not repeated in the fitness list.
    { code: 'expiry_mismatch', text: 'dates differ', consequence: FITNESS_CONSEQUENCES.expiry_mismatch },
  ];
  const withFitness = (check: HostnameCheck, fitness: FitnessFinding[]): HostnameCheck => ({
    ...check,
    fitness,
  });

  it('lists an unfit certificate in effect as a warning under the summary, even when all is otherwise clear', () => {
    const checks = ['a.a.example', 'b.a.example'].map((hostname) =>
      withFitness(associationCheck(hostname, 'ok', { certificateId: 'cert-shared' }), unfit),
    );
    checks.push(withFitness(associationCheck('fit.a.example', 'ok'), []));
    const rendered = renderDigest(digestInput({ checks }));
    expect(rendered.kind).toBe('all_clear');
    const [message] = rendered.messages;
    if (message === undefined) throw new Error('no message');
    const fitness = sectionTexts(message).find((text) => text.includes('Unfit certificates in effect'));
    expect(fitness).toContain(
      '• 2 hostnames (a.a.example, …) · zone a.example · certificate `cert-shared` · Extended key usage is ' +
        'serverAuth only, without clientAuth: nginx and other OpenSSL-based origins (Apache, HAProxy, Envoy) ' +
        'reject a client certificate without clientAuth.',
    );
    expect(fitness).not.toContain('dates differ');
    expect(fitness).not.toContain('fit.a.example');
  });

  it('lists the zone certificate in use when it is unfit, and not an unfit one that is only uploaded', () => {
    const checks = [
      withFitness(associationCheck('own.a.example', 'ok', { certificateId: 'cert-own' }), unfit),
    ];
    const zoneCertificates = [
      { ...zoneCertificateCheck('ok', { certificateId: 'zone-in-use' }), fitness: unfit },
      { ...zoneCertificateCheck('info', { certificateId: 'zone-spare', inUse: false }), fitness: unfit },
    ];
    const rendered = renderDigest(digestInput({ checks, zoneCertificates }));
    const [message] = rendered.messages;
    if (message === undefined) throw new Error('no message');
    const fitness = sectionTexts(message).find((text) => text.includes('Unfit certificates in effect'));
    const lines = fitness?.split('\n').slice(1) ?? [];
    expect(lines).toEqual([
      expect.stringMatching(
        /^• \*Zone certificate in use\* \(for every hostname without its own\) · zone a\.example · certificate `zone-in-use` · Extended key usage is serverAuth only/,
      ),
      expect.stringMatching(/^• \*own\.a\.example\* · zone a\.example · certificate `cert-own` · /),
    ]);
    expect(fitness).not.toContain('zone-spare');
  });

  it('leaves out certificates Cloudflare does not send, and says nothing when every certificate is fit', () => {
    const disabled = withFitness(associationCheck('off.a.example', 'info'), unfit);
    if (disabled.observation.kind === 'association') disabled.observation.association.aopSwitch = 'off';
    const rendered = renderDigest(
      digestInput({ checks: [disabled, associationCheck('x.a.example', 'critical')] }),
    );
    expect(JSON.stringify(rendered.messages[0]?.blocks ?? [])).not.toContain('Unfit');
  });

  it('closes with the quota of each zone, fullest first, warning at the limit', () => {
    const zoneQuotas = [
      { zone: ZONE_A, quota: zoneQuota(Array(3).fill({ status: 'active' }), []) },
      {
        zone: ZONE_B,
        quota: zoneQuota(
          Array(10).fill({ status: 'active' }),
          Array(30).fill({ certificateId: 'c1', associationStatus: 'active' }),
        ),
      },
    ];
    const rendered = renderDigest(
      digestInput({ checks: [associationCheck('x.a.example', 'critical')], zoneQuotas }),
    );
    const [message] = rendered.messages;
    if (message === undefined) throw new Error('no message');
    expect(contextTexts(message).at(-1)).toBe(
      'Quota per zone: :warning: b.example: 10 of 10 hostname certificates (no slot for a replacement) · ' +
        '30 of 100 associations on one certificate; a.example: 3 of 10 hostname certificates · 0 of 100 ' +
        'associations on one certificate.',
    );
    assertWithinBlockKitLimits(message);
  });
});

describe('the Cloudflare budget line', () => {
  const NOTE =
    'The schedules need 112% of 1,200 Cloudflare requests per 300 s, more than the 80% background runs may use (20% is kept for lookups): alerts (4,000 requests every 15 min) takes 21 min a run.';

  it('goes into the footer of a digest with something to fix, before the next digest', () => {
    const { messages } = renderDigest(
      digestInput({ checks: [associationCheck('bad.a.example', 'critical')], budgetNote: NOTE }),
    );
    const footer = contextTexts(messages[0] as DigestMessage).at(-1) ?? '';
    expect(footer).toContain(`:hourglass: ${NOTE}`);
    expect(footer.indexOf(':hourglass:')).toBeLessThan(footer.indexOf('Next digest'));
    assertWithinBlockKitLimits(messages[0] as DigestMessage);
  });

  it('is its own line under an all-clear digest', () => {
    const { kind, messages } = renderDigest(
      digestInput({ checks: [associationCheck('ok.a.example', 'ok')], budgetNote: NOTE }),
    );
    expect(kind).toBe('all_clear');
    expect(contextTexts(messages[0] as DigestMessage)).toContain(`:hourglass: ${NOTE}`);
  });

  it('is absent when the schedules fit', () => {
    const { messages } = renderDigest(
      digestInput({ checks: [associationCheck('bad.a.example', 'critical')] }),
    );
    expect(allBlockTexts(messages[0] as DigestMessage).join('\n')).not.toContain(':hourglass:');
  });
});

describe('a refused token in the digest', () => {
  /** The failure a zone check records for a revoked token: the error's message and its hint. */
  const refused = (index: number): ZoneFailure => {
    const id = index.toString(16).padStart(32, '0');
    const error = httpFailureError({
      status: 403,
      cloudflareErrors: [{ code: 10000, message: 'Authentication error' }],
      method: 'GET',
      path: `/zones/${id}/origin_tls_client_auth/hostnames`,
      retryAfterSeconds: null,
      attempts: 1,
    });
    return {
      zone: { id, name: `site-${String(index).padStart(3, '0')}.example.com` },
      errorCode: error.code,
      errorMessage: `${error.message} ${error.hint}`,
      hostnames: [],
      account: 'prod',
    };
  };

  it('shows the 340 zones of a refused account as one line: how many, the first names and what to do', () => {
    const zoneFailures = Array.from({ length: 340 }, (_, index) => refused(index)).reverse();
    const { messages } = renderDigest(digestInput({ zoneFailures, zonesTotal: 400 }));
    const texts = messages.flatMap((message) => sectionTexts(message));
    const lines = texts.flatMap((text) => text.split('\n')).filter((line) => line.includes('not checked'));

    expect(messages).toHaveLength(1);
    expect(lines).toEqual([
      ':grey_question: *account prod*: token refused (`cloudflare_forbidden`), 340 zones not checked: site-000.example.com, site-001.example.com, site-002.example.com and 337 more · Cloudflare refused access (HTTP 403 on GET /zones/…/originˍtlsˍclientˍauth/hostnames): Authentication error [10000]. Give the API token the "SSL and Certificates Read" permission for this zone (or check that the zone id is right). If it already has it, Cloudflare may no longer accept the token (revoked or expired): roll it under My Profile → API Tokens.',
    ]);
    expect(texts.join('\n')).toContain('340 zones');
    for (const message of messages) assertWithinBlockKitLimits(message);
  });

  it('shows a single refused zone as before', () => {
    const { messages } = renderDigest(digestInput({ zoneFailures: [refused(7)], zonesTotal: 3 }));
    expect(sectionTexts(messages[0] as DigestMessage).join('\n')).toContain(
      ':grey_question: *site-007.example.com*: the zone could not be listed, so none of its hostnames were checked · Cloudflare refused access (HTTP 403 on GET /zones/00000000000000000000000000000007/',
    );
  });
});
