/** The signing secret both the bot and the bare Bolt app verify, and the load generator signs with. */
export const BENCH_SIGNING_SECRET = 'bench-signing-secret';

/** Slack's window for acknowledging a slash command. */
export const SLACK_ACK_WINDOW_MS = 3_000;

/** Latency the local Cloudflare server adds to every answer, as a remote API would. */
export const CLOUDFLARE_LATENCY_MS = 50;

/** Cloudflare's documented limit: 1,200 requests per 5 minutes per user. */
export const CLOUDFLARE_LIMIT = { requests: 1_200, windowMs: 300_000 } as const;
