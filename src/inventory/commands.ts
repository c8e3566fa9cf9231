import type { AppConfig } from '../config/types.js';
import type { HostnameCheck, ZoneFailure } from '../digest/model.js';
import type { Command } from '../domain/command.js';
import type { ZoneRef } from '../domain/types.js';
import type { ZoneResolver } from '../lookup/zone-resolver.js';
import { escapeMrkdwn, literal } from '../render/mrkdwn.js';
import { renderRouteExplanation } from '../render/routing.js';
import { renderWatchEntries, type WatchEntry, watchEntriesOf } from '../render/watch-list.js';
import { renderZoneList } from '../render/zone-list.js';
import type { InventoryCommands, SlackMessage } from '../slack/deps.js';
import { buildZonePlans } from './plan.js';
import { type ConfigRouter, sliceForRoute } from './routing.js';
import type { WatchStore } from './watch-store.js';
import type { ZoneCheckResult, ZonePlan } from './zone-check.js';
import { buildZoneOverview } from './zone-overview.js';
import type { ZoneSummary } from './zone-summary.js';

export interface InventoryCommandOptions {
  config: AppConfig;
  router: ConfigRouter;
  watchStore: WatchStore;
  zoneResolver: ZoneResolver;
  /**
   * The latest stored result (from the digest and the alert evaluations) of each of `zoneIds` that
   * has one, in any order, each with every hostname's check. An async iterable is read one result
   * at a time, and `list` keeps only a short entry per listed hostname of each, so it never holds
   * every stored check at once; an array is taken as it is.
   */
  readSnapshots: (
    zoneIds: readonly string[],
  ) => AsyncIterable<ZoneCheckResult> | Promise<readonly ZoneCheckResult[]>;
  /** The summary of each zone's latest stored result: what `zones` shows. */
  readZoneSummaries: () => Promise<ZoneSummary[]>;
  /** Checks zones that have no stored result yet, live. */
  checkZonesNow: (zoneIds: string[]) => Promise<ZoneCheckResult[]>;
  requestDigest: (channel: string, requestedBy: string) => Promise<{ queued: boolean }>;
  clock: () => Date;
  /** Every watched zone's plan, discovered zones included; default: the config and the watch list. */
  planZones?: () => Promise<ZonePlan[]>;
  /** The account whose token reads a zone, for `zones`; default: the plan's, else the first account. */
  accountOf?: (plan: ZonePlan) => string;
}

/** What `list` keeps of one zone's result. */
interface ZoneListing {
  /** The result answers for every hostname the plan lists (`snapshotCovers`). */
  covers: boolean;
  entries: WatchEntry[];
  failure: ZoneFailure | null;
}

/** True when a stored zone result answers for every listed hostname (a failed zone answers for all). */
export function snapshotCovers(snapshot: ZoneCheckResult | undefined, hostnames: readonly string[]): boolean {
  if (!snapshot) return false;
  if (snapshot.failure) return true;
  const checked = new Set(snapshot.checks.map((check) => check.hostname));
  return hostnames.every((hostname) => checked.has(hostname));
}

/** `discover.every` as a person wrote it, roughly: 3600000 → "1h". */
function formatEvery(everyMs: number): string {
  const seconds = Math.round(everyMs / 1000);
  if (seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

function reply(text: string): SlackMessage {
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/**
 * `list`, `watch`, `unwatch`, `subscribe`, `unsubscribe` and `digest`. Access control happened
 * before this point (src/slack/commands); these only act and say what they did.
 */
export function createInventoryCommands(options: InventoryCommandOptions): InventoryCommands {
  const configuredHostnames = new Map<string, string>();
  for (const zone of options.config.zones) {
    for (const hostname of zone.hostnames ?? []) configuredHostnames.set(hostname, zone.name ?? zone.id);
  }

  const routeNames = () => options.config.routes.map((route) => `\`${literal(route.name)}\``).join(', ');
  const unknownRoute = (name: string): SlackMessage =>
    reply(
      options.config.routes.length === 0
        ? `There is no route named \`${literal(name)}\`: no routes are configured (\`routes:\` in the config file).`
        : `There is no route named \`${literal(name)}\`. Routes: ${routeNames()}.`,
    );

  const planZones =
    options.planZones ??
    (async () => {
      const [watched, ignored] = await Promise.all([
        options.watchStore.listWatched(),
        options.watchStore.listIgnored(),
      ]);
      return buildZonePlans(options.config.zones, watched, ignored);
    });

  /** Every watched zone from the stored last checks: nothing is checked live for this view. */
  const zones = async (): Promise<SlackMessage[]> => {
    const [plans, summaries] = await Promise.all([planZones(), options.readZoneSummaries()]);
    const firstAccount = options.config.cloudflare.accounts[0]?.name ?? 'default';
    const rows = buildZoneOverview(plans, new Map(summaries.map((summary) => [summary.zone.id, summary])), {
      configuredIds: new Set(options.config.zones.map((zone) => zone.id)),
      accountOf: options.accountOf ?? ((plan) => plan.account ?? firstAccount),
    });
    const every = options.config.discover ? formatEvery(options.config.discover.everyMs) : null;
    return renderZoneList(rows, { timeZone: options.config.timezone, idleEvery: every });
  };

  /**
   * What `list` shows of one zone from its stored or live result: the entries of the hostnames the
   * plan lists (and of the route asked for), or the zone's failure. The result itself is not kept.
   */
  const listingOf = (plan: ZonePlan, result: ZoneCheckResult, routeName: string | null): ZoneListing => {
    if (result.failure)
      return { covers: true, entries: [], failure: { ...result.failure, hostnames: plan.hostnames } };
    const wanted = new Set(plan.hostnames);
    const ignoredSet = new Set(plan.ignored);
    const listed = result.checks.filter(
      (check) => wanted.has(check.hostname) || (plan.discoverAll && !ignoredSet.has(check.hostname)),
    );
    const shown =
      routeName === null
        ? listed
        : sliceForRoute(options.router, routeName, { checks: listed, zoneFailures: [] }).checks;
    // Entries share the result's zone where a check names the same one, not a copy per check.
    const zoneOf = (check: HostnameCheck): ZoneRef =>
      check.zone.id === result.zone.id && (check.zone.name ?? null) === (result.zone.name ?? null)
        ? result.zone
        : check.zone;
    return {
      covers: snapshotCovers(result, plan.hostnames),
      entries: watchEntriesOf(shown, zoneOf),
      failure: null,
    };
  };

  const list = async (routeName: string | null): Promise<SlackMessage[]> => {
    if (routeName !== null && !options.router.named(routeName)) return [unknownRoute(routeName)];
    const plans = await planZones();
    const plansOfZone = new Map<string, number[]>();
    plans.forEach((plan, index) => {
      plansOfZone.set(plan.zone.id, [...(plansOfZone.get(plan.zone.id) ?? []), index]);
    });
    const listings: (ZoneListing | undefined)[] = plans.map(() => undefined);
    const take = (result: ZoneCheckResult) => {
      for (const index of plansOfZone.get(result.zone.id) ?? []) {
        const plan = plans[index];
        if (plan) listings[index] = listingOf(plan, result, routeName);
      }
    };
    const stored = options.readSnapshots([...plansOfZone.keys()]);
    for await (const result of Symbol.asyncIterator in stored ? stored : await stored) take(result);
    // A zone is checked live when no run has stored it yet, or when its stored result predates a
    // hostname added since (`watch`): the list promises every watched hostname. A discovered zone
    // promises none until a run has read it (a new account's hundreds of zones are not read live).
    const missing = plans
      .filter(
        (plan, index) =>
          !(plan.discovered === true && plan.hostnames.length === 0) && !listings[index]?.covers,
      )
      .map((plan) => plan.zone.id);
    if (missing.length > 0) for (const result of await options.checkZonesNow(missing)) take(result);

    const entries = listings.flatMap((listing) => listing?.entries ?? []);
    const failures = listings.flatMap((listing) => (listing?.failure ? [listing.failure] : []));
    if (routeName === null) {
      return renderWatchEntries(entries, {
        timeZone: options.config.timezone,
        now: options.clock(),
        zoneFailures: failures,
      });
    }
    const { zoneFailures } = sliceForRoute(options.router, routeName, { checks: [], zoneFailures: failures });
    if (entries.length === 0 && zoneFailures.length === 0) {
      return [
        reply(
          `Route \`${literal(routeName)}\` owns none of the watched hostnames. \`/aop-status route <hostname>\` tells which route owns a hostname and why.`,
        ),
      ];
    }
    return renderWatchEntries(entries, {
      timeZone: options.config.timezone,
      now: options.clock(),
      zoneFailures,
      routeName,
    });
  };

  const explainRoute = async (command: Extract<Command, { kind: 'route' }>): Promise<SlackMessage[]> => {
    // Someone is waiting for the answer: the zone search may use the budget kept for people.
    const resolved = await options.zoneResolver.resolve(command.hostname, command.zone, { urgent: true });
    return [
      renderRouteExplanation({
        hostname: command.hostname,
        zone: resolved.zone,
        decision: options.router.routeOf(command.hostname, resolved.zone),
        zoneOwner: options.router.zoneOwnerOf(resolved.zone)?.name ?? null,
        routeCount: options.config.routes.length,
        alertsChannel: options.config.alerts.channel,
        digestChannels: options.config.digest.channels,
      }),
    ];
  };

  return {
    async handle(command: Command, context) {
      switch (command.kind) {
        case 'list':
          return list(command.route);
        case 'route':
          return explainRoute(command);
        case 'zones':
          return zones();
        case 'watch': {
          const configuredIn = configuredHostnames.get(command.hostname);
          if (configuredIn) {
            return [
              reply(
                `\`${literal(command.hostname)}\` is already watched: the config file lists it in ${literal(configuredIn)}.`,
              ),
            ];
          }
          const resolved = await options.zoneResolver.resolve(command.hostname, command.zone, {
            urgent: true,
          });
          const outcome = await options.watchStore.watch({
            hostname: command.hostname,
            zoneId: resolved.zone.id,
            zoneName: resolved.zone.name,
            addedBy: context.userId,
            addedAt: options.clock().toISOString(),
          });
          const zoneLabel = literal(resolved.zone.name ?? resolved.zone.id);
          return [
            reply(
              outcome === 'added'
                ? `:eyes: Now watching \`${literal(command.hostname)}\` in ${zoneLabel}. It appears in the next digest and alert evaluation.`
                : `\`${literal(command.hostname)}\` was already on the watch list.`,
            ),
          ];
        }
        case 'unwatch': {
          if (await options.watchStore.unwatch(command.hostname)) {
            return [reply(`Stopped watching \`${literal(command.hostname)}\`.`)];
          }
          const configuredIn = configuredHostnames.get(command.hostname);
          if (configuredIn) {
            return [
              reply(
                `\`${literal(command.hostname)}\` is listed in the config file (zone ${literal(configuredIn)}); remove it there and restart to stop watching it.`,
              ),
            ];
          }
          const zone = options.zoneResolver.fromInventory(command.hostname);
          const watchedWhole =
            zone &&
            options.config.zones.some(
              (candidate) => candidate.id === zone.id && candidate.hostnames === null,
            );
          if (watchedWhole) {
            await options.watchStore.ignore(command.hostname);
            return [
              reply(
                `Stopped watching \`${literal(command.hostname)}\`: zone ${literal(zone.name ?? zone.id)} is watched whole, so it is now skipped there. \`/aop-status watch ${escapeMrkdwn(command.hostname)}\` undoes this.`,
              ),
            ];
          }
          return [reply(`\`${literal(command.hostname)}\` is not on the watch list.`)];
        }
        case 'subscribe': {
          if (command.route !== null && !options.router.named(command.route))
            return [unknownRoute(command.route)];
          const added = await options.watchStore.subscribe(context.channelId, command.route);
          const what =
            command.route === null
              ? 'the scheduled digest'
              : `the digest of route \`${literal(command.route)}\` (its hostnames only, on its schedule)`;
          return [
            reply(
              added
                ? `:white_check_mark: This channel now gets ${what}.`
                : `This channel already gets ${what}.`,
            ),
          ];
        }
        case 'unsubscribe': {
          if (command.route !== null && !options.router.named(command.route))
            return [unknownRoute(command.route)];
          const removed = await options.watchStore.unsubscribe(context.channelId, command.route);
          const route = command.route === null ? null : options.router.named(command.route);
          const configured = (route ? route.digest.channels : options.config.digest.channels).includes(
            context.channelId,
          );
          if (configured) {
            const setting = route
              ? `\`routes\` → \`${literal(route.name)}\` → \`digest.channels\``
              : '`digest.channels`';
            return [
              reply(
                `This channel is listed in ${setting} in the config file, so it keeps getting the digest; remove it there to stop.`,
              ),
            ];
          }
          const what = route ? `the digest of route \`${literal(route.name)}\`` : 'the scheduled digest';
          return [
            reply(
              removed
                ? `This channel no longer gets ${what}.`
                : `This channel was not subscribed to ${what}.`,
            ),
          ];
        }
        case 'digest': {
          const { queued } = await options.requestDigest(context.channelId, context.userId);
          return [
            reply(
              queued
                ? ':hourglass_flowing_sand: Checking every watched hostname; the digest will be posted in this channel shortly.'
                : 'A digest for this channel was requested less than a minute ago; it will be posted shortly.',
            ),
          ];
        }
        default:
          return [reply('That command is not handled here.')];
      }
    },
  };
}
