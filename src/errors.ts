/**
 * Every failure the bot reports carries a stable string code. Logs, metrics, tests and the
 * messages people read all key off the code, never off the wording, so wording can improve freely.
 */
export type ErrorCode =
  // configuration
  | 'config_invalid'
  // user input
  | 'invalid_hostname'
  | 'invalid_zone'
  | 'zone_not_found'
  | 'channel_not_allowed'
  | 'not_an_admin'
  // Cloudflare
  | 'cloudflare_unauthorized'
  | 'cloudflare_forbidden'
  | 'cloudflare_not_found'
  /** A zone id Cloudflare does not know (7003/7000), as opposed to a hostname without an association. */
  | 'cloudflare_zone_not_found'
  | 'cloudflare_bad_request'
  | 'cloudflare_rate_limited'
  | 'cloudflare_server_error'
  | 'cloudflare_timeout'
  | 'cloudflare_network'
  | 'cloudflare_malformed_response'
  // Slack
  | 'slack_rate_limited'
  | 'slack_platform_error'
  | 'slack_request_failed'
  | 'slack_response_url_expired'
  // infrastructure
  | 'redis_unavailable'
  /** Stored alert state that does not parse (corrupt, or written by an incompatible version). */
  | 'alert_state_invalid';

/** How the caller should react to a failure. */
export type FailureOutcome = 'retry_with_backoff' | 'retry_after' | 'fail';

export interface AopErrorOptions {
  /** What a person can do about it, in one sentence. */
  hint?: string;
  cause?: unknown;
}

export class AopError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: AopErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AopError';
    this.code = code;
    this.hint = options.hint;
  }
}

/** True when `error` is an AopError, optionally with one of the given codes. */
export function isAopError(error: unknown, ...codes: ErrorCode[]): error is AopError {
  return error instanceof AopError && (codes.length === 0 || codes.includes(error.code));
}

/** A Slack answer that retrying will not change, e.g. `channel_not_found`, `message_not_found`. */
export class SlackPlatformError extends AopError {
  constructor(
    readonly method: string,
    readonly slackError: string,
  ) {
    super('slack_platform_error', `Slack refused ${method}: ${slackError}`, {
      hint: slackPlatformErrorHint(slackError),
    });
    this.name = 'SlackPlatformError';
  }
}

function slackPlatformErrorHint(slackError: string): string {
  switch (slackError) {
    case 'channel_not_found':
    case 'not_in_channel':
      return 'Invite the bot to the channel (/invite @aop-status) and check the channel id in the config.';
    case 'missing_scope':
      return 'Reinstall the app with the scopes in manifest.yml (chat:write, commands).';
    case 'invalid_auth':
    case 'token_revoked':
    case 'account_inactive':
      return 'SLACK_BOT_TOKEN is invalid or revoked; install the app again and update the token.';
    default:
      return 'See the Slack API error reference for this code.';
  }
}
