/**
 * `npm run cli`: the status card or the digest in a terminal, against the real Cloudflare API,
 * with an exit status scripts can act on (see EXIT_CODES). Everything it touches is passed in,
 * so tests run it against the local Cloudflare stand-in and read what it printed.
 */
import { CronExpressionParser } from 'cron-parser';
import type { Dispatcher } from 'undici';
import type { CloudflareClient } from '../cloudflare/types.js';
import type { Environment } from '../config/load.js';
import type { DigestInput, ZoneFailure } from '../digest/model.js';
import { listAccountZones } from '../discovery/service.js';
import { type DiscoveredZone, selectDiscoveredZones } from '../domain/discovery.js';
import type { Severity } from '../domain/types.js';
import { isAopError } from '../errors.js';
import { buildZonePlans } from '../inventory/plan.js';
import { routerFromConfig } from '../inventory/routing.js';
import { checkZone, mapWithConcurrency } from '../inventory/zone-check.js';
import { buildZoneOverview } from '../inventory/zone-overview.js';
import { summarizeZoneCheck } from '../inventory/zone-summary.js';
import { createLookupService } from '../lookup/lookup-service.js';
import { createZoneResolver } from '../lookup/zone-resolver.js';
import { renderDigest } from '../render/digest.js';
import { renderRouteExplanation } from '../render/routing.js';
import { renderStatusCard } from '../render/status-card.js';
import { blocksToTerminalText } from '../render/terminal.js';
import { renderZoneList } from '../render/zone-list.js';
import {
  CLI_SYNOPSIS,
  CLI_USAGE,
  type CliCommand,
  EXIT_CODES,
  type ExitCode,
  parseCliArguments,
} from './args.js';
import {
  type CliSettings,
  createCliCloudflareAccounts,
  createCliCloudflareClient,
  loadCliSettings,
} from './settings.js';

/** Where text goes; `process.stdout` and `process.stderr` qualify. */
export interface TextOutput {
  write(text: string): unknown;
}

export interface CliContext {
  env: Environment;
  cwd: string;
  stdout: TextOutput;
  stderr: TextOutput;
  readFile?: (filePath: string) => string;
  fileExists?: (filePath: string) => boolean;
  /** undici dispatcher for Cloudflare; tests pass a MockAgent routed to the local stand-in. */
  dispatcher?: Dispatcher;
  clock?: () => Date;
}

const PROGRAM = 'aop-status';

/**
 * The exit status for a set of assessed severities: critical wins, then anything that could not
 * be told (unknown, or `couldNotTell` > 0), else ok.
 *
 * @example exitCodeFor(['ok', 'warning'], 0) // 0
 * @example exitCodeFor(['unknown', 'critical'], 0) // 2
 */
export function exitCodeFor(severities: readonly Severity[], couldNotTell: number): ExitCode {
  if (severities.includes('critical')) return EXIT_CODES.critical;
  if (couldNotTell > 0 || severities.includes('unknown')) return EXIT_CODES.error;
  return EXIT_CODES.ok;
}

function codeOf(error: unknown): string | null {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : null;
}

/** The slash command's hints name `/aop-status`; on the command line the same advice reads differently. */
function hintFor(error: unknown, hostname: string): string | null {
  if (isAopError(error, 'zone_not_found')) {
    return isAopError(error.cause, 'cloudflare_forbidden', 'cloudflare_unauthorized')
      ? `Give the API token "Zone Read", list the zone in the config file, or pass its id: check ${hostname} <zone id>.`
      : `Pass the zone: check ${hostname} <zone name or id>, or list the zone in the config file.`;
  }
  return isAopError(error) ? (error.hint ?? null) : null;
}

/** A failure in words a person can act on, for stderr: what happened, what to do, and the code. */
export function describeCliError(error: unknown, context: { hostname?: string } = {}): string {
  const message = error instanceof Error ? error.message : String(error);
  const lines = [`${PROGRAM}: ${message}`];
  const hint = hintFor(error, context.hostname ?? '<hostname>');
  if (hint) lines.push(`What to do: ${hint}`);
  const code = codeOf(error);
  const status =
    typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number'
      ? error.status
      : null;
  if (code !== null) lines.push(`(error code ${code}${status === null ? '' : `, HTTP ${status}`})`);
  return `${lines.join('\n')}\n`;
}

/**
 * A zone that could not be listed, for stderr: the digest shows it too, but a pipeline log wants
 * the code. The zone check's message usually carries the advice already; a 403 always gets it,
 * since a zone check reads only the origin_tls_client_auth endpoints and so needs this permission.
 */
function describeZoneFailure(failure: ZoneFailure): string {
  const permission = 'Give the API token the "SSL and Certificates Read" permission for this zone';
  const advice =
    failure.errorCode === 'cloudflare_forbidden' && !failure.errorMessage.includes(permission)
      ? `What to do: ${permission}.\n`
      : '';
  return (
    `${PROGRAM}: zone ${failure.zone.name ?? failure.zone.id} could not be checked: ${failure.errorMessage}\n` +
    `${advice}(error code ${failure.errorCode})\n`
  );
}

function clockOf(context: CliContext): () => Date {
  return context.clock ?? (() => new Date());
}

async function runCheck(
  command: Extract<CliCommand, { kind: 'check' }>,
  settings: CliSettings,
  cloudflare: CloudflareClient,
  context: CliContext,
): Promise<ExitCode> {
  const clock = clockOf(context);
  const lookup = createLookupService({
    cloudflare,
    zoneResolver: createZoneResolver({
      cloudflare,
      zones: settings.zones,
      nowMs: () => clock().getTime(),
    }),
    thresholds: settings.thresholds,
    timeZone: settings.timezone,
    clock,
  });
  try {
    const result = await lookup.lookup({ hostname: command.hostname, zone: command.zone });
    const card = renderStatusCard(result, { timeZone: settings.timezone, now: clock(), shareable: false });
    context.stdout.write(`${blocksToTerminalText(card, { showActions: false })}\n`);
    return exitCodeFor([result.assessment.severity], 0);
  } catch (error) {
    context.stderr.write(describeCliError(error, { hostname: command.hostname }));
    return EXIT_CODES.error;
  }
}

/** `route <hostname> [zone]`: the routing decision, from the config and (for the zone) Cloudflare. */
async function runRoute(
  command: Extract<CliCommand, { kind: 'route' }>,
  settings: CliSettings,
  cloudflare: CloudflareClient,
  context: CliContext,
): Promise<ExitCode> {
  const clock = clockOf(context);
  const resolver = createZoneResolver({ cloudflare, zones: settings.zones, nowMs: () => clock().getTime() });
  try {
    const { zone } = await resolver.resolve(command.hostname, command.zone);
    const router = routerFromConfig(settings);
    const message = renderRouteExplanation({
      hostname: command.hostname,
      zone,
      decision: router.routeOf(command.hostname, zone),
      zoneOwner: router.zoneOwnerOf(zone)?.name ?? null,
      routeCount: settings.routes.length,
      alertsChannel: settings.alertsChannel,
      digestChannels: settings.digestChannels,
    });
    context.stdout.write(`${blocksToTerminalText(message, { showActions: false })}\n`);
    return EXIT_CODES.ok;
  } catch (error) {
    context.stderr.write(describeCliError(error, { hostname: command.hostname }));
    return EXIT_CODES.error;
  }
}

function nextDigestAt(settings: CliSettings, after: Date): Date | null {
  try {
    return CronExpressionParser.parse(settings.digestSchedule, { tz: settings.timezone, currentDate: after })
      .next()
      .toDate();
  } catch {
    return null;
  }
}

async function runDigestDryRun(
  settings: CliSettings,
  cloudflare: CloudflareClient,
  context: CliContext,
): Promise<ExitCode> {
  const clock = clockOf(context);
  if (settings.zones.length === 0) {
    context.stderr.write(
      `${PROGRAM}: no zones are configured${settings.configFile ? ` in ${settings.configFile}` : ' (no config file found; set AOP_CONFIG)'}, so there is nothing to check.\n`,
    );
    return EXIT_CODES.error;
  }
  const plans = buildZonePlans(settings.zones, [], []);
  context.stderr.write(`Checking ${plans.length} zone(s) against ${settings.cloudflare.baseUrl} …\n`);
  const startedAt = clock();
  const results = await mapWithConcurrency(plans, settings.cloudflare.concurrency, (plan) =>
    checkZone(plan, {
      cloudflare,
      thresholds: settings.thresholds,
      timeZone: settings.timezone,
      now: clock,
      concurrency: settings.cloudflare.concurrency,
    }),
  );
  const generatedAt = clock();
  const input: DigestInput = {
    slotTime: startedAt,
    generatedAt,
    lateByMs: 0,
    nextDigestAt: nextDigestAt(settings, generatedAt),
    timeZone: settings.timezone,
    checks: results.flatMap((result) => result.checks),
    zoneFailures: results.flatMap((result) => (result.failure ? [result.failure] : [])),
    zonesTotal: plans.length,
    trigger: 'on_demand',
  };
  const { messages } = renderDigest(input);
  messages.forEach((message, index) => {
    if (messages.length > 1) {
      const role = message.isThreadReply ? 'thread reply' : 'parent message';
      context.stdout.write(
        `${index === 0 ? '' : '\n'}── Digest part ${index + 1} of ${messages.length} (${role}) ──\n\n`,
      );
    }
    context.stdout.write(`${blocksToTerminalText(message)}\n`);
  });
  for (const failure of input.zoneFailures) context.stderr.write(describeZoneFailure(failure));
  context.stderr.write('Dry run: nothing was posted to Slack.\n');
  const unreachable = input.checks.filter((check) => check.observation.kind === 'unreachable').length;
  return exitCodeFor(
    input.checks.map((check) => check.assessment.severity),
    unreachable + input.zoneFailures.length,
  );
}

/**
 * `zones`: every zone the config watches, discovered ones included (each token's zones listed
 * now), each checked now. No Redis: hostnames added with `watch` and the bot's stored checks are
 * in `/aop-status zones`.
 */
async function runZones(settings: CliSettings, context: CliContext): Promise<ExitCode> {
  const clock = clockOf(context);
  const accounts = createCliCloudflareAccounts(settings, {
    ...(context.dispatcher ? { dispatcher: context.dispatcher } : {}),
    ...(context.clock ? { clock: context.clock } : {}),
  });
  let discovered: DiscoveredZone[] = [];
  let listingFailed = false;
  if (settings.discover) {
    const listings = await listAccountZones(
      accounts.all.map(({ account, client }) => ({
        name: account.name,
        listZones: () => client.listZones(),
      })),
    );
    const selection = selectDiscoveredZones({
      listings,
      filter: settings.discover,
      previous: [],
      configured: settings.zones,
    });
    for (const failed of selection.failedAccounts) {
      listingFailed = true;
      context.stderr.write(
        `${PROGRAM}: the zones of account "${failed.account}" could not be listed (${failed.errorMessage})${['cloudflare_forbidden', 'cloudflare_unauthorized'].includes(failed.errorCode) ? '; the token needs Zone Read' : ''}.\n`,
      );
    }
    discovered = selection.zones;
  }
  const plans = buildZonePlans(settings.zones, [], [], discovered);
  if (plans.length === 0) {
    context.stderr.write(`${PROGRAM}: no zones are configured or discovered, so there is nothing to list.\n`);
    return EXIT_CODES.error;
  }
  context.stderr.write(`Checking ${plans.length} zone(s) against ${settings.cloudflare.baseUrl} …\n`);
  const results = await mapWithConcurrency(plans, settings.cloudflare.concurrency, (plan) =>
    checkZone(plan, {
      cloudflare: plan.account ? accounts.forAccount(plan.account) : accounts.routing,
      thresholds: settings.thresholds,
      timeZone: settings.timezone,
      now: clock,
      concurrency: settings.cloudflare.concurrency,
    }),
  );
  const rows = buildZoneOverview(
    plans,
    new Map(results.map((result) => [result.zone.id, summarizeZoneCheck(result)])),
    {
      configuredIds: new Set(settings.zones.map((zone) => zone.id)),
      accountOf: (plan) => plan.account ?? accounts.accountOfZone(plan.zone.id),
    },
  );
  const messages = renderZoneList(rows, {
    timeZone: settings.timezone,
    idleEvery: null,
    maxMessages: Number.MAX_SAFE_INTEGER,
  });
  messages.forEach((message, index) => {
    context.stdout.write(`${index === 0 ? '' : '\n'}${blocksToTerminalText(message)}\n`);
  });
  const failed = results.filter((result) => result.failure !== null);
  for (const result of failed) if (result.failure) context.stderr.write(describeZoneFailure(result.failure));
  return failed.length > 0 || listingFailed ? EXIT_CODES.error : EXIT_CODES.ok;
}

/**
 * Runs one command line and resolves to its exit status; never throws for a failure a person
 * can fix (those are written to `stderr`).
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2), { env: process.env, cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr });
 */
export async function runCli(argv: readonly string[], context: CliContext): Promise<ExitCode> {
  const command = parseCliArguments(argv);
  if (command.kind === 'help') {
    context.stdout.write(CLI_USAGE);
    return EXIT_CODES.ok;
  }
  if (command.kind === 'usage_error') {
    context.stderr.write(`${PROGRAM}: ${command.message}\n\n${CLI_SYNOPSIS}`);
    return EXIT_CODES.usage;
  }
  const loaded = loadCliSettings({
    env: context.env,
    cwd: context.cwd,
    ...(context.readFile ? { readFile: context.readFile } : {}),
    ...(context.fileExists ? { fileExists: context.fileExists } : {}),
  });
  for (const warning of loaded.warnings) context.stderr.write(`${PROGRAM}: warning: ${warning}\n`);
  if (!loaded.ok) {
    context.stderr.write(
      `${PROGRAM}: the configuration is invalid:\n${loaded.problems.map((problem) => `  - ${problem}`).join('\n')}\n`,
    );
    return EXIT_CODES.config;
  }
  const cloudflare = createCliCloudflareClient(loaded.settings, {
    ...(context.dispatcher ? { dispatcher: context.dispatcher } : {}),
    ...(context.clock ? { clock: context.clock } : {}),
  });
  if (command.kind === 'check') return runCheck(command, loaded.settings, cloudflare, context);
  if (command.kind === 'route') return runRoute(command, loaded.settings, cloudflare, context);
  if (command.kind === 'zones') return runZones(loaded.settings, context);
  return runDigestDryRun(loaded.settings, cloudflare, context);
}
