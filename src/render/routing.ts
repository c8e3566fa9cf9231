/**
 * `/aop-status route <hostname>` and `npm run cli -- route <hostname>`: which route owns a
 * hostname, which criteria matched, and where its alerts and digests go.
 */
import type { RouteConfig } from '../config/types.js';
import type { MatchedCriterion, RouteDecision } from '../domain/routing.js';
import type { ZoneRef } from '../domain/types.js';
import { fallbackText, type RenderedMessage, sectionBlock } from './common.js';
import { escapeMrkdwn, literal } from './mrkdwn.js';

export interface RouteExplanationInput {
  hostname: string;
  zone: ZoneRef;
  decision: RouteDecision<RouteConfig>;
  routeCount: number;
  /** The top level, for hostnames no route owns. */
  alertsChannel: string | null;
  /** The route owning the zone's zone-level certificate alerts (`Router.zoneOwnerOf`); null: the top level. */
  zoneOwner?: string | null;
  digestChannels: readonly string[];
}

/** A channel id as a clickable channel mention (ids are validated, so this pings nobody). */
function channel(id: string): string {
  return `<#${id}>`;
}

/**
 * A configured value in a code span: globs and cron need their `*` and time zones their `_` as
 * typed, which `literal` would replace; only a backtick could end the span early.
 */
function code(text: string): string {
  return `\`${escapeMrkdwn(text.replace(/`/g, '\u02CB'))}\``;
}

function channels(ids: readonly string[]): string {
  return ids.map(channel).join(', ');
}

function ordinal(index: number): string {
  const position = index + 1;
  const suffix =
    position % 100 >= 11 && position % 100 <= 13
      ? 'th'
      : (({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[position % 10] ?? 'th');
  return `${position}${suffix}`;
}

function criterionText(criterion: MatchedCriterion): string {
  return criterion.kind === 'zone'
    ? `zone ${code(criterion.value)} is in \`match.zones\``
    : `${code(criterion.glob)} in \`match.hostnames\` matches`;
}

/**
 * Explains the routing decision for one hostname, as mrkdwn.
 *
 * @example
 * renderRouteExplanation({ hostname: 'a.pay.example.com', zone, decision: router.routeOf('a.pay.example.com', zone), routeCount: 2, alertsChannel: 'C0INC', digestChannels: [] }).text
 * // 'a.pay.example.com belongs to route payments'
 */
export function renderRouteExplanation(input: RouteExplanationInput): RenderedMessage {
  const host = code(input.hostname);
  const zoneLabel = `zone ${literal(input.zone.name ?? input.zone.id)}`;
  const { decision } = input;
  if (decision.route === null) {
    const lead =
      input.routeCount === 0
        ? `${host} (${zoneLabel}): no routes are configured, so every hostname uses the top-level \`alerts\` and \`digest\`.`
        : `${host} (${zoneLabel}) belongs to no route: none of the ${input.routeCount} routes matches it, so it uses the top-level \`alerts\` and \`digest\`.`;
    const alerts = input.alertsChannel
      ? `Alert threads go to ${channel(input.alertsChannel)}.`
      : 'Alert threads are off for it (`alerts.channel` is not set).';
    const digest =
      input.digestChannels.length > 0
        ? `It appears in the digest of ${channels(input.digestChannels)} and of every channel subscribed with \`subscribe\`.`
        : 'It appears in the digest of every channel subscribed with `subscribe`.';
    return {
      text: fallbackText(`${input.hostname} belongs to no route`),
      blocks: [sectionBlock(`${lead}\n${alerts} ${digest}${zoneCertificateLine(input)}`)],
    };
  }
  const route = decision.route;
  const why = decision.criteria.map(criterionText).join(', and ');
  const lead = `${host} (${zoneLabel}) belongs to route *${literal(route.name)}*, the ${ordinal(decision.index)} of ${input.routeCount}: ${why}.`;
  const mention =
    route.mentionOnCritical.trim() === ''
      ? 'critical escalations mention nobody'
      : `critical escalations mention ${code(route.mentionOnCritical)}`;
  const alerts = route.alertsChannel
    ? `Alert threads go to ${channel(route.alertsChannel)} (the route's \`alerts_channel\`, else \`alerts.channel\`); ${mention}.`
    : 'Alert threads are off for it (neither the route’s `alerts_channel` nor `alerts.channel` is set).';
  const digestChannels =
    route.digest.channels.length > 0 ? `${channels(route.digest.channels)} and channels` : 'channels';
  const digest = `The route's own digest (${code(route.digest.schedule)}, ${code(route.digest.timeZone)}) goes to ${digestChannels} subscribed with ${code(`subscribe ${route.name}`)}; the whole-inventory digest lists it too.`;
  return {
    text: fallbackText(`${input.hostname} belongs to route ${route.name}`),
    blocks: [sectionBlock(`${lead}\n${alerts} ${digest}${zoneCertificateLine(input)}`)],
  };
}

/** Who hears about the zone's own certificate, which no hostname glob decides. */
function zoneCertificateLine(input: RouteExplanationInput): string {
  if (input.zoneOwner === undefined || input.routeCount === 0) return '';
  const owner =
    input.zoneOwner === null
      ? 'the top level (no route takes the whole zone)'
      : `route *${literal(input.zoneOwner)}*`;
  return `\nAlerts about the zone-level certificate of ${literal(input.zone.name ?? input.zone.id)} belong to ${owner}.`;
}
