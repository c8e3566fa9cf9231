/**
 * The status card `/aop-status <hostname>` answers with, plus the messages for failures that
 * happen before a lookup result exists. Pure: `(result, { timeZone, now, shareable }) => { text, blocks }`.
 * Every user- or API-derived string is escaped here, at the last moment: data values with
 * `literal()` (no mention, link or formatting survives), sentences that embed data (reasons, hints)
 * with `escapeMrkdwn()` so that status names like pending_deployment stay readable.
 */
import type { KnownBlock } from '@slack/types';
import type { ZoneCertificateNotInUse } from '../domain/certificate-in-effect.js';
import type { LookupResult, ParsedCertificate, ZoneSettingReading, ZoneSwitches } from '../domain/lookup.js';
import { describeZoneQuota, isQuotaExhausted } from '../domain/quota.js';
import { describeRelativeDays, formatDate, formatDateTime } from '../domain/time.js';
import type { HostnameAssociation, SeverityAssessment, ZoneCertificate, ZoneRef } from '../domain/types.js';
import { ACTION_IDS, BLOCK_IDS, encodeLookupValue } from '../slack/ids.js';
import {
  actionsBlock,
  button,
  contextBlock,
  describeAopSwitch,
  fallbackText,
  field,
  fieldSections,
  headerBlock,
  hintForErrorCode,
  NOT_REPORTED,
  type RenderedMessage,
  SEVERITY_EMOJI,
  SEVERITY_LABEL,
  sectionBlock,
  value,
} from './common.js';
import { COMMAND_GRAMMAR, COMMAND_NAME, grammarLineMrkdwn } from './help.js';
import { escapeMrkdwn, literal } from './mrkdwn.js';

export interface StatusCardOptions {
  /** Dates on the card are shown in this IANA zone. */
  timeZone: string;
  /** For "in N days"; the card is a pure function of its inputs and this clock. */
  now: Date;
  /** Show "Share in channel" (false once shared, or where sharing is not allowed). */
  shareable: boolean;
}

/**
 * Section budgets, chosen so that the largest possible card stays under
 * BLOCK_KIT_LIMITS.messageTextBudgetChars: 5 sections + 12 short fields + small blocks.
 */
const REASONS_SECTION_CHARS = 2000;
const PEM_SECTION_CHARS = 2000;
const SWITCHES_SECTION_CHARS = 1200;
const PRESENTED_SECTION_CHARS = 700;
const NOT_IN_USE_SECTION_CHARS = 900;
const MAX_NOT_IN_USE_SHOWN = 5;
const MESSAGE_SECTION_CHARS = 2000;
const FIELD_CHARS = 320;
const MAX_SANS_SHOWN = 20;

const ZONE_SOURCE_TEXT: Record<LookupResult['zoneSource'], string> = {
  argument: 'the zone given in the command',
  inventory: 'the watched inventory',
  cloudflare: 'a Cloudflare zone lookup',
};

/** Replaces control characters and escapes &, <, > in text we wrote but that may embed data. */
function sentence(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point
  return escapeMrkdwn(text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\uFFFD'));
}

/** An error code in code style; codes are ours (`cloudflare_timeout`), anything else is escaped. */
function codeValue(code: string): string {
  return /^[a-z0-9_]{1,60}$/.test(code) ? `\`${code}\`` : `\`${value(code, 60)}\``;
}

function isValidDate(date: Date | null): date is Date {
  return date !== null && !Number.isNaN(date.getTime());
}

/** A date-time on the card; a bad Date from upstream shows as such instead of crashing the card. */
function dateTimeValue(date: Date | null, timeZone: string): string {
  if (date === null) return NOT_REPORTED;
  return isValidDate(date) ? escapeMrkdwn(formatDateTime(date, timeZone)) : '_invalid date_';
}

function dateWithRelative(date: Date | null, options: StatusCardOptions): string {
  if (date === null) return NOT_REPORTED;
  if (!isValidDate(date)) return '_invalid date_';
  return `${escapeMrkdwn(formatDate(date, options.timeZone))} (${describeRelativeDays(date, options.now)})`;
}

function zoneValue(zone: ZoneRef): string {
  const id = `\`${value(zone.id, 64)}\``;
  return zone.name === null || zone.name === '' ? id : `${value(zone.name, 200)} (${id})`;
}

function reasonsSection(assessment: SeverityAssessment): KnownBlock {
  // Reason texts are our sentences around data; `sentence` disarms mentions and links but keeps
  // status names such as pending_deployment readable (literal() would swap the underscores).
  const lines = assessment.reasons.map(
    (reason) => `• ${SEVERITY_EMOJI[reason.severity]} ${sentence(reason.text)}`,
  );
  const heading = `*${SEVERITY_LABEL[assessment.severity]}*`;
  return sectionBlock([heading, ...lines].join('\n'), REASONS_SECTION_CHARS);
}

/**
 * The expiry that governs (the assessment's effective expiry), saying so when it is the PEM's
 * notAfter rather than Cloudflare's `expires_on`.
 */
function expiryValue(
  reportedExpiry: Date | null,
  assessment: SeverityAssessment,
  options: StatusCardOptions,
): string {
  const effective = assessment.effectiveExpiry ?? reportedExpiry;
  const shown = dateWithRelative(effective, options);
  const fromPem =
    effective !== null && (reportedExpiry === null || effective.getTime() !== reportedExpiry.getTime());
  return fromPem ? `${shown}\n_from the PEM notAfter_` : shown;
}

function associationFields(
  association: HostnameAssociation,
  assessment: SeverityAssessment,
  options: StatusCardOptions,
): string[] {
  const updated: string[] = [];
  if (association.certificateUpdatedAt !== null) {
    updated.push(`certificate ${dateTimeValue(association.certificateUpdatedAt, options.timeZone)}`);
  }
  if (association.associationUpdatedAt !== null) {
    updated.push(`association ${dateTimeValue(association.associationUpdatedAt, options.timeZone)}`);
  }
  return [
    field('AOP for hostname', describeAopSwitch(association.aopSwitch)),
    field('Association status', value(association.associationStatus, 80)),
    field('Certificate status', value(association.certificateStatus, 80)),
    field('Expires', expiryValue(association.expiresOn, assessment, options)),
    field('Issuer', value(association.issuer)),
    field('Serial number', value(association.serialNumber, 120)),
    field('Signature', value(association.signature, 80)),
    field('Certificate id', value(association.certificateId, 80)),
    field('Uploaded', dateTimeValue(association.certificateUploadedOn, options.timeZone)),
    field('Updated', updated.length === 0 ? NOT_REPORTED : updated.join('\n')),
  ];
}

function zoneCertificateFields(
  certificate: ZoneCertificate,
  assessment: SeverityAssessment,
  options: StatusCardOptions,
): string[] {
  return [
    field('Certificate level', 'zone-level (every hostname without its own)'),
    field('Certificate status', value(certificate.status, 80)),
    field('Expires', expiryValue(certificate.expiresOn, assessment, options)),
    field('Issuer', value(certificate.issuer)),
    field('Signature', value(certificate.signature, 80)),
    field('Certificate id', value(certificate.certificateId, 80)),
    field('Uploaded', dateTimeValue(certificate.uploadedOn, options.timeZone)),
  ];
}

function zoneFields(result: LookupResult, options: StatusCardOptions): string[] {
  const fields = [
    field('Zone', zoneValue(result.zone)),
    field('Checked at', dateTimeValue(result.checkedAt, options.timeZone)),
  ];
  if (result.quota) {
    const { quota, checkedAt } = result.quota;
    const sign = isQuotaExhausted(quota) ? ':warning: ' : '';
    fields.push(
      field(
        'Zone quota',
        `${sign}${escapeMrkdwn(describeZoneQuota(quota))}\n_as of the zone check at ${dateTimeValue(checkedAt, options.timeZone)}_`,
      ),
    );
  }
  return fields;
}

/** The certificate whose PEM the card shows: what Cloudflare reports for it, for the flags. */
interface ShownCertificate {
  expiresOn: Date | null;
  hasPem: boolean;
  /** "this hostname" or "the zone certificate", for "Cloudflare returned no certificate PEM for …". */
  owner: string;
}

function certificateSection(
  result: LookupResult,
  shown: ShownCertificate,
  options: StatusCardOptions,
): KnownBlock {
  const heading = '*Certificate PEM*';
  if (result.certificateParseError !== null) {
    return sectionBlock(
      `${heading}\n:warning: The PEM could not be parsed: ${literal(result.certificateParseError)}`,
      PEM_SECTION_CHARS,
    );
  }
  const certificate = result.certificate;
  if (certificate === null) {
    const why = shown.hasPem
      ? 'The PEM was not parsed.'
      : `Cloudflare returned no certificate PEM for ${shown.owner}.`;
    return sectionBlock(`${heading}\n${why}`, PEM_SECTION_CHARS);
  }
  const lines = [heading, ...describeCertificate(certificate, options), ...fitnessLines(result)];
  return sectionBlock(lines.join('\n'), PEM_SECTION_CHARS);
}

function describeCertificate(certificate: ParsedCertificate, options: StatusCardOptions): string[] {
  const shown = certificate.subjectAltNames.slice(0, MAX_SANS_SHOWN).map((name) => value(name, 100));
  const more = certificate.subjectAltNames.length - shown.length;
  const sans = shown.length === 0 ? 'none' : `${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
  return [
    `Subject: ${value(certificate.subject, 300)}`,
    `SANs: ${sans}`,
    `Valid: ${dateTimeValue(certificate.validFrom, options.timeZone)} → ${dateTimeValue(certificate.validTo, options.timeZone)}`,
    `SHA-256: \`${value(certificate.sha256Fingerprint, 120)}\``,
  ];
}

/**
 * What would make an origin reject the certificate shown, each with its consequence; one line
 * saying it passed when nothing would. A warning on the card, never an alert: the origin
 * evidently accepts the certificate in effect today.
 */
function fitnessLines(result: LookupResult): string[] {
  if (result.fitness === undefined) return [];
  if (result.fitness.length === 0) {
    return [
      ':white_check_mark: Fit as a client certificate: clientAuth, key usage, key size, signature and dates pass.',
    ];
  }
  return result.fitness.map(
    (finding) => `:warning: ${sentence(finding.text)}. ${sentence(finding.consequence)}`,
  );
}

function readingText<T>(reading: ZoneSettingReading<T>, show: (known: T) => string): string {
  switch (reading.state) {
    case 'known':
      return show(reading.value);
    case 'forbidden':
      return `_not readable (the token needs ${sentence(reading.permission)})_`;
    case 'failed':
      return `_could not be read: ${literal(reading.message)}_`;
  }
}

function zoneSwitchesSection(switches: ZoneSwitches, association: HostnameAssociation | null): KnownBlock {
  const heading = '*Zone switches*';
  const { tlsClientAuth, zoneLevelAop, zoneCertificates } = switches;
  const readings = [tlsClientAuth, zoneLevelAop, zoneCertificates];
  if (readings.every((reading) => reading.state === 'forbidden')) {
    const permissions = [
      ...new Set(readings.map((reading) => (reading.state === 'forbidden' ? reading.permission : ''))),
    ]
      .map(sentence)
      .join(' or ');
    return sectionBlock(
      `${heading}\nThe API token may not read zone settings (needs ${permissions}), so the zone's ` +
        '`tls_client_auth` and zone-level AOP switches and certificates are not shown.',
      SWITCHES_SECTION_CHARS,
    );
  }
  const lines = [
    heading,
    `Authenticated Origin Pulls (\`tls_client_auth\`): ${readingText(tlsClientAuth, (known) => value(String(known), 40))}`,
    `Zone-level AOP: ${readingText(zoneLevelAop, (known) => (known ? 'on' : 'off'))}`,
    `Zone-level certificates: ${readingText(switches.zoneCertificates, (known) => `${known.length} uploaded`)}`,
  ];
  if (tlsClientAuth.state === 'known' && tlsClientAuth.value === 'off' && association?.aopSwitch === 'on') {
    lines.push(
      ':warning: `tls_client_auth` is off for this zone, so Cloudflare presents no client certificate to the ' +
        'origin even though per-hostname AOP is enabled.',
    );
  }
  return sectionBlock(lines.join('\n'), SWITCHES_SECTION_CHARS);
}

function zoneName(zone: ZoneRef): string {
  return zone.name === null || zone.name === '' ? `\`${value(zone.id, 64)}\`` : value(zone.name, 200);
}

/** The card's first answer: which certificate Cloudflare presents to the origin for this hostname. */
function presentedSection(result: LookupResult, options: StatusCardOptions): KnownBlock {
  const { inEffect, assessment } = result;
  const heading = '*What Cloudflare presents to the origin*';
  const expiry = (reported: Date | null) => {
    const effective = assessment.effectiveExpiry ?? reported;
    return effective === null ? 'expiry not reported' : `expires ${dateWithRelative(effective, options)}`;
  };
  const presented = inEffect.presented;
  let answer: string;
  switch (presented.kind) {
    case 'hostname_certificate':
      answer = `This hostname's own certificate (per-hostname AOP), ${expiry(presented.association.expiresOn)}.`;
      break;
    case 'zone_certificate':
      answer =
        `The zone certificate of ${zoneName(result.zone)} (zone-level AOP), ${expiry(presented.certificate.expiresOn)}. ` +
        'This hostname has no certificate of its own, so it shares the zone certificate with every hostname without one.';
      break;
    case 'cloudflare_certificate':
      answer =
        "Cloudflare's shared certificate (global AOP, `tls_client_auth` on). It is Cloudflare's to rotate, not your team's: " +
        'there is nothing to renew.';
      break;
    case 'none':
      answer =
        presented.because === 'hostname_aop_disabled'
          ? 'No client certificate: per-hostname AOP is disabled for this hostname, which overrides zone-level AOP. ' +
            'The origin must not require a client certificate for this hostname.'
          : 'No client certificate: no per-hostname, zone-level or global AOP applies. ' +
            'The origin must not require a client certificate for this hostname.';
      break;
    case 'undetermined':
      answer = `${sentence(presented.text)}.`;
      break;
  }
  const lines = [heading, answer];
  if (inEffect.missingPermissions.length > 0) {
    lines.push(
      `:lock: The API token lacks ${inEffect.missingPermissions.map(sentence).join(' and ')}; ` +
        'with it this card would show the rest of what decides the answer.',
    );
  }
  return sectionBlock(lines.join('\n'), PRESENTED_SECTION_CHARS);
}

/** Zone certificates uploaded but not presented for this hostname; expired ones stay until someone deletes them. */
function notInUseSection(
  notInUse: readonly ZoneCertificateNotInUse[],
  options: StatusCardOptions,
): KnownBlock {
  const shown = notInUse.slice(0, MAX_NOT_IN_USE_SHOWN).map(({ certificate, because }) => {
    const id =
      certificate.certificateId === null ? 'without an id' : `\`${value(certificate.certificateId, 40)}\``;
    const expires =
      certificate.expiresOn === null
        ? 'expiry not reported'
        : dateWithRelative(certificate.expiresOn, options);
    return `• ${id}, ${value(certificate.status, 40)}, expires ${expires}: ${sentence(because)}`;
  });
  const more = notInUse.length - shown.length;
  if (more > 0) shown.push(`and ${more} more`);
  return sectionBlock(
    ['*Zone certificates uploaded, not in use for this hostname*', ...shown].join('\n'),
    NOT_IN_USE_SECTION_CHARS,
  );
}

function cardActions(result: LookupResult, options: StatusCardOptions): KnownBlock {
  const buttonValue = encodeLookupValue({ hostname: result.hostname, zoneId: result.zone.id });
  const buttons = [button({ text: 'Refresh', actionId: ACTION_IDS.refreshLookup, value: buttonValue })];
  if (options.shareable) {
    buttons.push(button({ text: 'Share in channel', actionId: ACTION_IDS.shareLookup, value: buttonValue }));
  }
  return actionsBlock(BLOCK_IDS.lookupActions, buttons);
}

function zoneSourceContext(result: LookupResult): KnownBlock {
  return contextBlock([`Zone from ${ZONE_SOURCE_TEXT[result.zoneSource]}.`]);
}

/**
 * Renders a lookup result as the status card: header with severity and hostname, the reasons,
 * the association's fields, the PEM, the zone switches, and Refresh / Share buttons.
 *
 * @example
 * const card = renderStatusCard(result, { timeZone: config.timezone, now: clock.now(), shareable: true });
 * await respond({ response_type: 'ephemeral', ...card });
 */
export function renderStatusCard(result: LookupResult, options: StatusCardOptions): RenderedMessage {
  const { assessment, observation } = result;
  const severity = assessment.severity;
  const hostname = literal(result.hostname);
  const firstReason = assessment.reasons[0]?.text ?? SEVERITY_LABEL[severity];
  const text = fallbackText(`${SEVERITY_LABEL[severity]}: ${hostname}: ${sentence(firstReason)}`);
  const blocks: KnownBlock[] = [headerBlock(`${SEVERITY_EMOJI[severity]} ${result.hostname}`)];

  if (observation.kind === 'unreachable') {
    blocks.push(
      sectionBlock(
        [
          `*Could not check ${hostname}*`,
          literal(observation.errorMessage),
          `${sentence(hintForErrorCode(observation.errorCode))} Use Refresh to try again.`,
        ].join('\n'),
        MESSAGE_SECTION_CHARS,
      ),
      ...fieldSections(zoneFields(result, options), FIELD_CHARS),
      contextBlock([
        `Error code: ${codeValue(observation.errorCode)}`,
        `Zone from ${ZONE_SOURCE_TEXT[result.zoneSource]}.`,
      ]),
      cardActions(result, options),
    );
    return { text, blocks };
  }

  blocks.push(presentedSection(result, options), reasonsSection(assessment));
  const presented = result.inEffect.presented;
  if (observation.kind === 'association') {
    const { association } = observation;
    blocks.push(
      ...fieldSections(
        [...associationFields(association, assessment, options), ...zoneFields(result, options)],
        FIELD_CHARS,
      ),
      certificateSection(
        result,
        {
          expiresOn: association.expiresOn,
          hasPem: association.certificatePem !== null,
          owner: 'this hostname',
        },
        options,
      ),
    );
  } else if (presented.kind === 'zone_certificate') {
    const certificate = presented.certificate;
    blocks.push(
      ...fieldSections(
        [...zoneCertificateFields(certificate, assessment, options), ...zoneFields(result, options)],
        FIELD_CHARS,
      ),
      certificateSection(
        result,
        {
          expiresOn: certificate.expiresOn,
          hasPem: certificate.certificatePem !== null,
          owner: 'the zone certificate',
        },
        options,
      ),
    );
  } else {
    blocks.push(...fieldSections(zoneFields(result, options), FIELD_CHARS));
  }
  if (result.inEffect.notInUse.length > 0) blocks.push(notInUseSection(result.inEffect.notInUse, options));
  if (result.zoneSwitches !== null) {
    blocks.push(
      zoneSwitchesSection(
        result.zoneSwitches,
        observation.kind === 'association' ? observation.association : null,
      ),
    );
  }
  blocks.push(zoneSourceContext(result), cardActions(result, options));
  return { text, blocks };
}

/** An error raised before a lookup result exists: the parts of an AopError the message needs. */
export interface LookupErrorInput {
  code: string;
  message: string;
  hint?: string | null | undefined;
  /** HTTP status, when the failure was an HTTP answer (CloudflareApiError). */
  status?: number | null | undefined;
  /** Cloudflare's own error entries (CloudflareApiError `cloudflareErrors`). */
  cloudflareErrors?: ReadonlyArray<{ code: number; message: string }> | undefined;
}

export interface LookupErrorContext {
  /** The hostname being looked up, when known (already validated or not). */
  hostname?: string | null;
}

const MAX_CLOUDFLARE_ERRORS_SHOWN = 3;

/**
 * Reads what the message needs from whatever was thrown. An AopError (or anything shaped like
 * one) keeps its code, message and hint; anything else becomes a generic `unexpected` error,
 * because its message was written for logs, not for the person who ran the command.
 */
export function toLookupErrorInput(error: unknown): LookupErrorInput {
  if (error !== null && typeof error === 'object') {
    const record = error as Record<string, unknown>;
    if (typeof record.code === 'string' && typeof record.message === 'string') {
      const input: LookupErrorInput = { code: record.code, message: record.message };
      if (typeof record.hint === 'string') input.hint = record.hint;
      if (typeof record.status === 'number') input.status = record.status;
      if (Array.isArray(record.cloudflareErrors)) {
        input.cloudflareErrors = record.cloudflareErrors.filter(
          (entry): entry is { code: number; message: string } =>
            entry !== null &&
            typeof entry === 'object' &&
            typeof (entry as Record<string, unknown>).code === 'number' &&
            typeof (entry as Record<string, unknown>).message === 'string',
        );
      }
      return input;
    }
  }
  return { code: 'unexpected', message: 'Something unexpected went wrong while checking.' };
}

function errorTitle(code: string, hostname: string | null): string {
  const subject = hostname === null ? '' : ` ${literal(hostname)}`;
  if (code === 'invalid_hostname') return 'That is not a hostname the bot can check';
  if (code === 'invalid_zone') return 'That is not a zone name or zone id';
  if (code === 'zone_not_found')
    return `No Cloudflare zone found${hostname === null ? '' : ` for${subject}`}`;
  if (code === 'channel_not_allowed' || code === 'not_an_admin') return 'Not allowed';
  if (code.startsWith('cloudflare_')) return `Could not check${subject}: the Cloudflare request failed`;
  return `Could not check${subject}`;
}

function errorDetails(error: LookupErrorInput): string[] {
  const details = [`Error code: ${codeValue(error.code)}`];
  if (typeof error.status === 'number') details.push(`HTTP ${error.status}`);
  const entries = error.cloudflareErrors ?? [];
  for (const entry of entries.slice(0, MAX_CLOUDFLARE_ERRORS_SHOWN)) {
    details.push(`Cloudflare ${entry.code}: ${value(entry.message, 200)}`);
  }
  if (entries.length > MAX_CLOUDFLARE_ERRORS_SHOWN) {
    details.push(`and ${entries.length - MAX_CLOUDFLARE_ERRORS_SHOWN} more Cloudflare errors`);
  }
  return details;
}

/**
 * The ephemeral reply for a failure before any lookup result exists: invalid input, a zone that
 * cannot be found, a Cloudflare error. Shows the message, what to do (the error's hint, or the
 * default for its code), and the code, HTTP status and Cloudflare error codes for whoever digs
 * further. Accepts whatever was thrown (see `toLookupErrorInput`).
 *
 * @example
 * catch (error) { await respond(renderLookupError(error, { hostname: 'app.example.com' })); }
 */
export function renderLookupError(error: unknown, context: LookupErrorContext = {}): RenderedMessage {
  const input = toLookupErrorInput(error);
  const hostname = context.hostname ?? null;
  const title = errorTitle(input.code, hostname);
  const hint =
    input.hint === undefined || input.hint === null || input.hint.trim() === ''
      ? hintForErrorCode(input.code)
      : input.hint;
  const blocks: KnownBlock[] = [
    sectionBlock(`:warning: *${title}*\n${literal(input.message)}\n${sentence(hint)}`, MESSAGE_SECTION_CHARS),
  ];
  if (input.code === 'invalid_hostname' || input.code === 'invalid_zone') {
    blocks.push(sectionBlock(usageLines()));
  }
  blocks.push(contextBlock(errorDetails(input)));
  return { text: fallbackText(`${title}: ${literal(input.message)}`), blocks };
}

function usageLines(): string {
  return ['*Usage*', ...COMMAND_GRAMMAR.map((line) => `• ${grammarLineMrkdwn(line)}`)].join('\n');
}

/**
 * The reply to a command that did not parse: the problem (quoted input is escaped here) and the
 * grammar.
 *
 * @example renderUsage('“foo” is neither a command nor a hostname.')
 */
export function renderUsage(message?: string): RenderedMessage {
  const blocks: KnownBlock[] = [];
  if (message !== undefined && message !== '') {
    blocks.push(sectionBlock(`:warning: ${literal(message)}`, MESSAGE_SECTION_CHARS));
  }
  blocks.push(sectionBlock(usageLines()), contextBlock([`\`${COMMAND_NAME} help\` explains every command.`]));
  const text =
    message === undefined || message === ''
      ? `Usage: ${COMMAND_NAME} ${escapeMrkdwn('<hostname> [zone]')}`
      : literal(message);
  return { text: fallbackText(text), blocks };
}
