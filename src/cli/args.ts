/**
 * The command line's grammar: `check <hostname> [zone]`, `digest --dry-run`, `--help`. Pure; the
 * hostname and zone rules are the slash command's (src/domain/hostname.ts).
 */
import type { ZoneArgument } from '../domain/command.js';
import { parseHostname, parseZoneId, parseZoneName } from '../domain/hostname.js';

export type CliCommand =
  | { kind: 'help' }
  | { kind: 'check'; hostname: string; zone: ZoneArgument | null }
  | { kind: 'route'; hostname: string; zone: ZoneArgument | null }
  | { kind: 'digest_dry_run' }
  | { kind: 'zones' }
  | { kind: 'usage_error'; message: string };

/** Exit statuses, so scripts and deploy pipelines can act on the outcome. */
export const EXIT_CODES = {
  /** Nothing critical: healthy, warning, info. */
  ok: 0,
  /** Could not tell: a Cloudflare error, an unreachable or unknown hostname, a zone not listed, no zones. */
  error: 1,
  /** Something is critical. */
  critical: 2,
  /** Bad arguments (EX_USAGE). */
  usage: 64,
  /** Invalid configuration, e.g. missing credentials (EX_CONFIG, as `npm start` uses). */
  config: 78,
} as const;
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** The ways to call it; shown under a usage error. */
export const CLI_SYNOPSIS = `Usage:
  npm run cli -- check <hostname> [zone]   Print the status card of one hostname.
  npm run cli -- route <hostname> [zone]   Say which route owns a hostname, and why.
  npm run cli -- digest --dry-run          Check every configured zone and print the digest; nothing is posted.
  npm run cli -- zones                     List every zone the config watches (with discover:, the tokens' zones
                                           too), checked now: account, hostnames, certificates used (n of 10).
  npm run cli -- --help                    Show the configuration it reads and the exit statuses.
`;

export const CLI_USAGE = `${CLI_SYNOPSIS}
[zone] is a zone name (example.com) or a 32-character zone id. Without it the zone comes from the
config file, then from Cloudflare (the token then needs Zone Read).

Configuration: the bot's own, without Slack or Redis.
  CLOUDFLARE_API_TOKEN       an API token with "SSL and Certificates Read" on the zones
                             (plus "Zone Read" to find zones by name, "Zone Settings Read" for tls_client_auth)
  CLOUDFLARE_API_EMAIL and CLOUDFLARE_API_KEY
                             the legacy global key, instead of a token
  CLOUDFLARE_API_BASE_URL    default https://api.cloudflare.com/client/v4
  AOP_CONFIG                 the YAML file (default ./aop-status.yml): zones, thresholds, timezone
Hostnames added at run time with "/aop-status watch" live in the bot's Redis and are not included.

Exit status:
  0   nothing critical (healthy, warning, disabled, no association)
  1   could not tell: a Cloudflare error, a hostname that could not be checked or whose state is
      unknown, a zone that could not be listed, or no zones configured
  2   something is critical (expired, expiring within thresholds.critical_days, deployment timed out, …)
  64  bad arguments
  78  invalid configuration, e.g. missing Cloudflare credentials
`;

/** A hostname argument: a bare name, or a pasted http(s) URL whose host is taken. */
function hostnameFrom(token: string): { ok: true; hostname: string } | { ok: false; message: string } {
  let candidate = token;
  if (/^https?:\/\//i.test(token)) {
    try {
      candidate = new URL(token).hostname;
    } catch {
      return { ok: false, message: `"${token}" looks like a URL but could not be read as one.` };
    }
  }
  const parsed = parseHostname(candidate);
  return parsed.ok
    ? { ok: true, hostname: parsed.hostname }
    : { ok: false, message: `"${token}" is not a valid hostname: ${parsed.reason}` };
}

function zoneFrom(token: string): { ok: true; zone: ZoneArgument } | { ok: false; message: string } {
  const asId = parseZoneId(token);
  if (asId.ok) return { ok: true, zone: { kind: 'id', id: asId.zoneId } };
  const asName = parseZoneName(token);
  if (asName.ok) return { ok: true, zone: { kind: 'name', name: asName.zoneName } };
  return {
    ok: false,
    message: `"${token}" is neither a zone id (32 hexadecimal characters) nor a zone name: ${asName.reason}`,
  };
}

/**
 * Parses the arguments after `npm run cli --`.
 *
 * @example parseCliArguments(['check', 'app.example.com', 'example.com'])
 * // { kind: 'check', hostname: 'app.example.com', zone: { kind: 'name', name: 'example.com' } }
 * @example parseCliArguments(['digest']) // { kind: 'usage_error', message: '…add --dry-run…' }
 */
export function parseCliArguments(argv: readonly string[]): CliCommand {
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h') || argv[0] === 'help') {
    return { kind: 'help' };
  }
  const [command, ...rest] = argv;
  const options = rest.filter((argument) => argument.startsWith('-'));
  const positional = rest.filter((argument) => !argument.startsWith('-'));

  if (command === 'check' || command === 'route') {
    if (options.length > 0)
      return { kind: 'usage_error', message: `${command} takes no option ${options[0]}.` };
    const [hostToken, zoneToken, ...extra] = positional;
    if (hostToken === undefined) {
      return { kind: 'usage_error', message: `${command} needs a hostname: ${command} <hostname> [zone].` };
    }
    if (extra.length > 0) {
      return {
        kind: 'usage_error',
        message: `${command} takes a hostname and an optional zone, got ${positional.length} arguments.`,
      };
    }
    const host = hostnameFrom(hostToken);
    if (!host.ok) return { kind: 'usage_error', message: host.message };
    if (zoneToken === undefined) return { kind: command, hostname: host.hostname, zone: null };
    const zone = zoneFrom(zoneToken);
    if (!zone.ok) return { kind: 'usage_error', message: zone.message };
    return { kind: command, hostname: host.hostname, zone: zone.zone };
  }

  if (command === 'digest') {
    const unknown = options.find((option) => option !== '--dry-run');
    if (unknown !== undefined) return { kind: 'usage_error', message: `digest takes no option ${unknown}.` };
    if (positional.length > 0) {
      return { kind: 'usage_error', message: `digest takes no arguments, got "${positional[0]}".` };
    }
    if (!options.includes('--dry-run')) {
      return {
        kind: 'usage_error',
        message:
          'digest posts nothing from the command line (the bot posts digests on its schedule); add --dry-run to print it here.',
      };
    }
    return { kind: 'digest_dry_run' };
  }

  if (command === 'zones') {
    if (rest.length > 0)
      return { kind: 'usage_error', message: `zones takes no arguments, got "${rest[0]}".` };
    return { kind: 'zones' };
  }

  return { kind: 'usage_error', message: `Unknown command "${command}".` };
}
