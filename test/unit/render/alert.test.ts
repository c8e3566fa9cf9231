import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import type { Episode } from '../../../src/alerts/episode.js';
import {
  ALERT_ACTION_IDS,
  ALERT_ACTIONS_BLOCK_ID,
  type AlertMessage,
  type AlertReply,
  alertButtonValue,
  renderAlertParent,
  renderAlertReply,
} from '../../../src/render/alert.js';
import { BLOCK_KIT_LIMITS } from '../../../src/render/limits.js';

/** Thursday 2026-11-26 09:00 in Berlin. */
const NOW = new Date('2026-11-26T08:00:00.000Z');
const TIME_ZONE = 'Europe/Berlin';
const HOST = { zoneId: '023e105f4ecef8ad9ca31a8372d0c353', hostname: 'app.example.com' };
const MENTION = '<!subteam^S0123>';

function episode(overrides: Partial<Episode> = {}): Episode {
  return {
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
    // 5 days and 4 hours from NOW: 2026-12-01 13:00 in Berlin.
    expiresOn: new Date('2026-12-01T12:00:00.000Z'),
    rungsPosted: [30, 14, 7],
    lastStatusSignature: '',
    parentSignature: '',
    acknowledged: null,
    snoozedUntil: null,
    resolvedAt: null,
    resolution: null,
    pendingRepliesWhileSnoozed: 0,
    switchWentOff: false,
    checkError: null,
    group: null,
    ...overrides,
  };
}

type Block = KnownBlock & Record<string, unknown>;

function blockOfType(message: AlertMessage, type: string): Block {
  const found = message.blocks.find((block) => block.type === type);
  if (found === undefined) throw new Error(`no ${type} block in ${JSON.stringify(message.blocks)}`);
  return found as Block;
}

function sectionTexts(message: AlertMessage): string[] {
  return message.blocks.flatMap((block) =>
    block.type === 'section' && block.text !== undefined ? [block.text.text] : [],
  );
}

function fieldTexts(message: AlertMessage): string[] {
  return message.blocks.flatMap((block) =>
    block.type === 'section' && block.fields !== undefined ? block.fields.map((item) => item.text) : [],
  );
}

function buttons(message: AlertMessage): Array<{ text: string; action_id: string; value: string }> {
  const actions = message.blocks.find((block) => block.type === 'actions');
  if (actions === undefined || actions.type !== 'actions') return [];
  return actions.elements.map((element) => {
    if (element.type !== 'button') throw new Error(`unexpected element ${element.type}`);
    return { text: element.text.text, action_id: element.action_id ?? '', value: element.value ?? '' };
  });
}

function contextText(message: AlertMessage): string {
  const context = blockOfType(message, 'context') as Block & { elements: Array<{ text: string }> };
  return context.elements.map((element) => element.text).join(' | ');
}

/** Every limit the alert messages can run into, checked together. */
function limitViolations(message: AlertMessage): string[] {
  const problems: string[] = [];
  if (message.text.trim() === '') problems.push('empty fallback text');
  if (message.text.length > BLOCK_KIT_LIMITS.fallbackTextChars) problems.push('fallback text too long');
  if (message.blocks.length > BLOCK_KIT_LIMITS.blocksPerMessage) problems.push('too many blocks');
  let total = 0;
  for (const block of message.blocks) {
    if (block.type === 'header') {
      total += block.text.text.length;
      if (block.text.text.length > BLOCK_KIT_LIMITS.headerTextChars) problems.push('header too long');
    }
    if (block.type === 'section') {
      if (block.text !== undefined) {
        total += block.text.text.length;
        if (block.text.text.length > BLOCK_KIT_LIMITS.sectionTextChars)
          problems.push('section text too long');
      }
      const fields = block.fields ?? [];
      if (fields.length > BLOCK_KIT_LIMITS.sectionFieldCount) problems.push('too many fields');
      for (const item of fields) {
        total += item.text.length;
        if (item.text.length > BLOCK_KIT_LIMITS.sectionFieldChars) problems.push('field too long');
      }
    }
    if (block.type === 'context') {
      if (block.elements.length > BLOCK_KIT_LIMITS.contextElements)
        problems.push('too many context elements');
      for (const element of block.elements) if ('text' in element) total += element.text.length;
    }
    if (block.type === 'actions') {
      for (const element of block.elements) {
        if (element.type !== 'button') continue;
        if (element.text.text.length > BLOCK_KIT_LIMITS.buttonTextChars)
          problems.push('button text too long');
        if ((element.value ?? '').length > BLOCK_KIT_LIMITS.buttonValueChars)
          problems.push('button value too long');
      }
    }
  }
  if (total > BLOCK_KIT_LIMITS.messageTextBudgetChars) problems.push(`blocks carry ${total} characters`);
  return problems;
}

describe('renderAlertParent', () => {
  it('shows severity, hostname, reasons and facts of an open episode', () => {
    const message = renderAlertParent(episode(), HOST, { now: NOW, timeZone: TIME_ZONE });
    expect(blockOfType(message, 'header')).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: ':red_circle: Critical: app.example.com', emoji: true },
    });
    expect(sectionTexts(message)[0]).toBe(
      '• Certificate expires 2026-12-01 13:00 GMT+1 (in 5 days)\n• Deployment timed out',
    );
    expect(fieldTexts(message)).toEqual([
      '*Zone*\n`023e105f4ecef8ad9ca31a8372d0c353`',
      '*Expires*\n2026-12-01 13:00 GMT+1\nin 5 days',
      '*Certificate*\n`6743787633689793699141714808227354901`',
      '*Severity*\nCritical',
      '*Association status*\n`active`',
      '*Certificate status*\n`deployment_timed_out`',
      '*AOP switch*\nenabled',
      '*Opened*\n2026-11-20 09:00 GMT+1',
    ]);
    expect(contextText(message)).toBe(
      'Updated 2026-11-26 09:00 GMT+1 · episode `ep_0123456789abcdef01234567`',
    );
    expect(message.text).toBe(
      ':red_circle: Critical: app.example.com (zone 023e105f4ecef8ad9ca31a8372d0c353) — Certificate expires 2026-12-01 13:00 GMT+1 (in 5 days)',
    );
  });

  it('carries the aop_alert metadata of the contract: hostname(s), zone, episode, kind, certificate key, route', () => {
    const message = renderAlertParent(episode(), HOST, { now: NOW, timeZone: TIME_ZONE });
    expect(message.metadata).toEqual({
      event_type: 'aop_alert',
      event_payload: {
        hostname: 'app.example.com',
        hostnames: ['app.example.com'],
        zone_id: '023e105f4ecef8ad9ca31a8372d0c353',
        episode_id: 'ep_0123456789abcdef01234567',
        kind: 'certificate',
        certificate_key: '6743787633689793699141714808227354901',
        route: null,
        severity: 'critical',
        state: 'open',
      },
    });
  });

  it('offers Acknowledge, Snooze 24 h and Refresh, each naming the episode', () => {
    const message = renderAlertParent(episode(), HOST, { now: NOW, timeZone: TIME_ZONE });
    const value = '{"v":1,"e":"ep_0123456789abcdef01234567"}';
    expect(buttons(message)).toEqual([
      { text: 'Acknowledge', action_id: 'aop_alert_ack', value },
      { text: 'Snooze 24 h', action_id: 'aop_alert_snooze', value },
      { text: 'Refresh', action_id: 'aop_alert_refresh', value },
    ]);
    expect(blockOfType(message, 'actions').block_id).toBe(ALERT_ACTIONS_BLOCK_ID);
    expect(alertButtonValue('ep_1')).toBe('{"v":1,"e":"ep_1"}');
  });

  it('shows who acknowledged and drops the Acknowledge button', () => {
    const acknowledged = episode({
      acknowledged: { userId: 'U0ACKER', at: new Date('2026-11-26T07:30:00.000Z') },
    });
    const message = renderAlertParent(acknowledged, HOST, { now: NOW, timeZone: TIME_ZONE });
    expect(contextText(message)).toContain(':eyes: Acknowledged by <@U0ACKER> at 2026-11-26 08:30 GMT+1');
    expect(buttons(message).map((item) => item.action_id)).toEqual([
      ALERT_ACTION_IDS.alertSnooze,
      ALERT_ACTION_IDS.alertRefresh,
    ]);
    expect(message.metadata?.event_payload.state).toBe('acknowledged');
  });

  it('shows the snooze and drops the Snooze button while it runs', () => {
    const snoozed = episode({ snoozedUntil: new Date('2026-11-27T08:00:00.000Z') });
    const message = renderAlertParent(snoozed, HOST, { now: NOW, timeZone: TIME_ZONE });
    expect(contextText(message)).toContain(':zzz: Thread replies snoozed until 2026-11-27 09:00 GMT+1');
    expect(buttons(message).map((item) => item.action_id)).toEqual([
      ALERT_ACTION_IDS.alertAcknowledge,
      ALERT_ACTION_IDS.alertRefresh,
    ]);
  });

  it('shows a renewal as resolved with the new expiry, keeping only Refresh', () => {
    const resolved = episode({
      resolvedAt: new Date('2026-11-26T07:45:00.000Z'),
      resolution: {
        reason: 'renewed',
        newCertificateKey: '42',
        newExpiresOn: new Date('2027-11-26T08:00:00.000Z'),
      },
    });
    const message = renderAlertParent(resolved, HOST, { now: NOW, timeZone: TIME_ZONE });
    expect(blockOfType(message, 'header')).toMatchObject({
      text: { text: ':white_check_mark: Resolved: app.example.com' },
    });
    expect(sectionTexts(message)[0]).toBe(
      '*Renewed*: the new certificate expires 2027-11-26 09:00 GMT+1 (in 365 days) (was 2026-12-01 13:00 GMT+1).',
    );
    expect(fieldTexts(message)).toContain('*Expires*\n2027-11-26 09:00 GMT+1\nin 365 days');
    expect(fieldTexts(message)).toContain('*Previous expiry*\n2026-12-01 13:00 GMT+1');
    expect(fieldTexts(message)).toContain('*Certificate*\n`42`');
    expect(buttons(message).map((item) => item.action_id)).toEqual([ALERT_ACTION_IDS.alertRefresh]);
    expect(message.metadata?.event_payload.state).toBe('resolved');
  });

  it('explains a cannot_check episode with the error', () => {
    const blind = episode({
      kind: 'cannot_check',
      certificateKey: 'none',
      currentSeverity: 'unknown',
      reasonCodes: ['unreachable'],
      associationStatus: null,
      certificateStatus: null,
      aopSwitch: null,
      expiresOn: null,
      rungsPosted: [],
      checkError: {
        errorCode: 'cloudflare_timeout',
        errorMessage: 'Cloudflare did not answer within 10000 ms',
        noticedAt: new Date('2026-11-26T07:45:00.000Z'),
      },
    });
    const message = renderAlertParent(blind, HOST, { now: NOW, timeZone: TIME_ZONE });
    expect(blockOfType(message, 'header')).toMatchObject({
      text: { text: ':grey_question: Cannot check: app.example.com' },
    });
    expect(sectionTexts(message)[0]).toBe(
      '• Checks of this hostname keep failing, so its certificate is not being watched.\n' +
        '• Cannot check right now: `cloudflare_timeout` Cloudflare did not answer within 10000 ms',
    );
    expect(fieldTexts(message)).toEqual([
      '*Zone*\n`023e105f4ecef8ad9ca31a8372d0c353`',
      '*Last error*\n`cloudflare_timeout`',
      '*Opened*\n2026-11-20 09:00 GMT+1',
    ]);
  });

  it('puts the configured mention first, verbatim', () => {
    const message = renderAlertParent(episode(), HOST, { now: NOW, timeZone: TIME_ZONE, mention: MENTION });
    expect(sectionTexts(message)[0]?.startsWith(`${MENTION}\n• Certificate expires`)).toBe(true);
    expect(message.text.startsWith(`${MENTION} — :red_circle: Critical`)).toBe(true);
  });

  it('escapes every value Cloudflare returned so none can ping or format', () => {
    const hostile = episode({
      associationStatus: '<!channel> *now*',
      certificateKey: 'serial`<@U999>`',
      checkError: { errorCode: 'x', errorMessage: '<!here> _boom_\nforged line', noticedAt: NOW },
    });
    const message = renderAlertParent(
      hostile,
      { ...HOST, hostname: 'app<!everyone>.example.com' },
      {
        now: NOW,
        timeZone: TIME_ZONE,
      },
    );
    // Metadata is data for the bot, never rendered, so it keeps the raw hostname.
    const everything = JSON.stringify({ text: message.text, blocks: message.blocks });
    expect(everything).not.toMatch(/<!channel>|<!here>|<!everyone>|<@U999>/);
    expect(fieldTexts(message)).toContain('*Association status*\n`&lt;!channel&gt; *now*`');
    expect(fieldTexts(message)).toContain('*Certificate*\n`serialˋ&lt;@U999&gt;ˋ`');
    expect(sectionTexts(message)[0]).toContain('&lt;!here&gt; ˍboomˍ\uFFFDforged line');
  });

  it('stays within Block Kit limits however long the values get', () => {
    const long = 'x'.repeat(5000);
    const message = renderAlertParent(
      episode({
        associationStatus: long,
        certificateStatus: long,
        certificateKey: long,
        checkError: { errorCode: long, errorMessage: long, noticedAt: NOW },
        acknowledged: { userId: long, at: NOW },
      }),
      { ...HOST, hostname: `${'a'.repeat(250)}.example.com` },
      { now: NOW, timeZone: TIME_ZONE, mention: MENTION },
    );
    expect(limitViolations(message)).toEqual([]);
  });
});

describe('renderAlertReply', () => {
  const render = (reply: AlertReply, mention: string | null = null, current: Episode = episode()) =>
    renderAlertReply(current, HOST, reply, { now: NOW, timeZone: TIME_ZONE, mention });

  it('names the rung crossed, with the mention first when given', () => {
    const message = render(
      { kind: 'rung', rungDays: 7, changes: [{ kind: 'severity', from: 'warning', to: 'critical' }] },
      MENTION,
    );
    expect(message.text).toBe(
      `${MENTION} :alarm_clock: *Less than 7 days left*: the certificate for *app.example.com* expires 2026-12-01 13:00 GMT+1 (in 5 days).\n• Severity: Warning → *Critical*`,
    );
    expect(message.blocks).toEqual([{ type: 'section', text: { type: 'mrkdwn', text: message.text } }]);
    expect(message.metadata).toBeUndefined();
  });

  it('says "expired" for rung 0', () => {
    const expired = episode({ expiresOn: new Date('2026-11-25T08:00:00.000Z') });
    expect(render({ kind: 'rung', rungDays: 0, changes: [] }, null, expired).text).toBe(
      ':rotating_light: *Expired*: the certificate for *app.example.com* expired 2026-11-25 09:00 GMT+1 (expired 1 day ago).',
    );
  });

  it('lists status changes', () => {
    const message = render({
      kind: 'status_change',
      changes: [
        { kind: 'association_status', from: 'active', to: null },
        { kind: 'aop_switch', from: 'on', to: 'voided' },
        { kind: 'reason_added', code: 'stuck_pending' },
        { kind: 'reason_removed', code: 'pending' },
        { kind: 'checks_recovered' },
      ],
    });
    expect(message.text).toBe(
      ':arrows_counterclockwise: *Status changed* for *app.example.com*:\n' +
        '• Association status: `active` → _not reported_\n' +
        '• AOP switch: enabled → *voided*\n' +
        '• New: Stuck pending\n' +
        '• Cleared: Change pending\n' +
        '• Checks work again',
    );
  });

  it('words acknowledgements and snoozes with the user and the time', () => {
    expect(render({ kind: 'acknowledged', userId: 'U0ACKER', at: NOW }).text).toBe(
      ':eyes: Acknowledged by <@U0ACKER> at 2026-11-26 09:00 GMT+1. No more mentions for this episode.',
    );
    expect(
      render({ kind: 'snoozed', userId: 'W0SNOOZER', until: new Date('2026-11-27T08:00:00.000Z') }).text,
    ).toBe(
      ':zzz: Snoozed by <@W0SNOOZER> until 2026-11-27 09:00 GMT+1: replies in this thread are held until then; the message above stays current.',
    );
  });

  it('shows a user id that is not a Slack id as text, not as a mention', () => {
    expect(render({ kind: 'acknowledged', userId: '<!channel>', at: NOW }).text).toContain(
      'Acknowledged by &lt;!channel&gt; at',
    );
  });

  it('summarises held replies when a snooze ends', () => {
    expect(render({ kind: 'snooze_summary', heldReplies: 2 }).text).toBe(
      ':alarm_clock: *Snooze ended*: 2 updates came in while snoozed; the message above shows the current state: *Critical* — Certificate expires 2026-12-01 13:00 GMT+1 (in 5 days).',
    );
  });

  it('words each resolution', () => {
    const resolved = (reason: 'healthy' | 'checks_recovered') =>
      episode({ resolvedAt: NOW, resolution: { reason, newCertificateKey: null, newExpiresOn: null } });
    expect(render({ kind: 'resolved' }, null, resolved('healthy')).text).toBe(
      ':white_check_mark: *Back to healthy.*',
    );
    expect(render({ kind: 'resolved' }, null, resolved('checks_recovered')).text).toBe(
      ':white_check_mark: *Checks work again.*',
    );
  });

  it('stays within Block Kit limits with a long change list', () => {
    const changes = Array.from({ length: 200 }, () => ({
      kind: 'checks_failing' as const,
      errorCode: 'x'.repeat(100),
      errorMessage: 'y'.repeat(100),
    }));
    expect(limitViolations(render({ kind: 'status_change', changes }, MENTION))).toEqual([]);
  });
});
