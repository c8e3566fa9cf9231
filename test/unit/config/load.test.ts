import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';

const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
const baseEnv = {
  SLACK_BOT_TOKEN: 'xoxb-test',
  SLACK_SIGNING_SECRET: 'secret',
  CLOUDFLARE_API_TOKEN: 'cf-token',
};

function load(env: Record<string, string | undefined>, yaml?: string) {
  return loadConfig({
    env,
    cwd: '/srv/aop',
    fileExists: (file) => yaml !== undefined && file === '/srv/aop/aop-status.yml',
    readFile: () => yaml ?? '',
  });
}

describe('loadConfig', () => {
  it('fills every documented default when only the required variables are set and no file exists', () => {
    const result = load(baseEnv);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { config } = result;
    expect(config.port).toBe(3000);
    expect(config.slack.apiUrl).toBe('https://slack.com/api/');
    expect(config.cloudflare.baseUrl).toBe('https://api.cloudflare.com/client/v4');
    expect(config.cloudflare.auth).toEqual({ scheme: 'api_token', token: 'cf-token' });
    expect(config.cloudflare.rateLimit).toEqual({ requests: 1200, perSeconds: 300 });
    expect(config.cloudflare.concurrency).toBe(8);
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.role).toBe('all');
    expect(config.logLevel).toBe('info');
    expect(config.configFile).toBeNull();
    expect(config.timezone).toBe('UTC');
    expect(config.thresholds).toEqual({ warningDays: 30, criticalDays: 7, stuckPendingMinutes: 120 });
    expect(config.digest).toEqual({ schedule: '0 9 * * 1-5', channels: [], postWhenAllClear: true });
    expect(config.alerts).toEqual({
      channel: null,
      schedule: '*/15 * * * *',
      ladderDays: [30, 14, 7, 3, 1, 0],
      mentionOnCritical: '',
      cannotCheckAfterEvaluations: 3,
      groupBy: 'certificate',
      replacementStallHours: 24,
    });
    expect(config.access).toEqual({ admins: [], allowedChannels: [] });
    expect(config.jobs).toEqual({ lockDurationMs: 30_000, stalledIntervalMs: 30_000 });
  });

  it('reports every problem at once instead of stopping at the first', () => {
    const result = load(
      { PORT: 'eighty', REDIS_URL: 'http://localhost', LOG_LEVEL: 'loud', AOP_ROLE: 'boss' },
      'timezone: Mars/Olympus\nthresholds: { warning_days: 5, critical_days: 9 }\ndigest: { schedule: "* * * *" }\nzones: [{ id: nope }]\n',
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const text = result.problems.join('\n');
    for (const fragment of [
      'SLACK_BOT_TOKEN is required',
      'SLACK_SIGNING_SECRET is required',
      'Cloudflare credentials are missing',
      'PORT "eighty"',
      'REDIS_URL "http://localhost"',
      'LOG_LEVEL "loud"',
      'AOP_ROLE "boss"',
      'timezone: must be an IANA time zone',
      'thresholds.critical_days: must be smaller than warning_days (5)',
      'digest.schedule: "* * * *" must have 5 fields',
      'zones.0.id: "nope" is not a Cloudflare zone id',
    ]) {
      expect(text).toContain(fragment);
    }
  });

  it('accepts the legacy email and key scheme and names the half that is missing', () => {
    const legacy = load({
      ...baseEnv,
      CLOUDFLARE_API_TOKEN: undefined,
      CLOUDFLARE_API_EMAIL: 'a@b.c',
      CLOUDFLARE_API_KEY: 'k',
    });
    expect(legacy.ok && legacy.config.cloudflare.auth).toEqual({
      scheme: 'api_key',
      email: 'a@b.c',
      key: 'k',
    });
    const half = load({ ...baseEnv, CLOUDFLARE_API_TOKEN: undefined, CLOUDFLARE_API_EMAIL: 'a@b.c' });
    expect(half.ok).toBe(false);
    expect(!half.ok && half.problems.join()).toContain('CLOUDFLARE_API_KEY is missing');
  });

  it('needs no signing secret in Socket Mode, but an xapp- token', () => {
    expect(load({ ...baseEnv, SLACK_SIGNING_SECRET: undefined, SLACK_APP_TOKEN: 'xapp-1' }).ok).toBe(true);
    const wrong = load({ ...baseEnv, SLACK_APP_TOKEN: 'xoxb-wrong' });
    expect(!wrong.ok && wrong.problems.join()).toContain('SLACK_APP_TOKEN must be an app-level token');
  });

  it('reads the YAML inventory, normalising hostnames and sorting the ladder', () => {
    const result = load(
      baseEnv,
      `timezone: Europe/Berlin
zones:
  - id: ${ZONE_ID.toUpperCase()}
    name: Example.COM
    hostnames: [App.Example.com., "*.api.example.com"]
alerts: { channel: C0INCIDENT, ladder_days: [1, 30, 7] }
access: { admins: [U0ADMIN], allowed_channels: [C0ONCALL] }
`,
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.zones).toEqual([
      { id: ZONE_ID, name: 'example.com', hostnames: ['app.example.com', '*.api.example.com'] },
    ]);
    expect(result.config.alerts.ladderDays).toEqual([30, 7, 1]);
    expect(result.config.alerts.channel).toBe('C0INCIDENT');
    expect(result.config.access).toEqual({ admins: ['U0ADMIN'], allowedChannels: ['C0ONCALL'] });
  });

  it('catches typos in keys, hostnames outside their zone and duplicate zones', () => {
    const result = load(
      baseEnv,
      `thresholds: { warnig_days: 10 }
zones:
  - { id: ${ZONE_ID}, name: example.com, hostnames: [app.example.org] }
  - { id: ${ZONE_ID} }
`,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const text = result.problems.join('\n');
    expect(text).toContain('unknown key(s) "warnig_days"');
    expect(text).toContain('app.example.org is not inside zone example.com');
    expect(text).toContain(`zone ${ZONE_ID} is listed twice`);
  });

  it('reports YAML syntax errors and a missing explicit AOP_CONFIG file', () => {
    const broken = load(baseEnv, 'zones: [unclosed');
    expect(!broken.ok && broken.problems.join()).toContain('YAML');
    const missing = loadConfig({
      env: { ...baseEnv, AOP_CONFIG: 'nope.yml' },
      cwd: '/srv',
      fileExists: () => false,
    });
    expect(!missing.ok && missing.problems.join()).toContain('AOP_CONFIG: file /srv/nope.yml does not exist');
  });

  describe('routes', () => {
    const ROUTED = `timezone: Europe/Berlin
zones:
  - { id: ${ZONE_ID}, name: example.com }
thresholds: { warning_days: 30, critical_days: 7 }
digest: { schedule: "0 9 * * 1-5", channels: [C0DIGEST] }
alerts: { channel: C0INCIDENT, mention_on_critical: "<!subteam^S0SRE>" }
`;

    it('fills what a route leaves out from the top level, and keeps the order', () => {
      const result = load(
        baseEnv,
        `${ROUTED}routes:
  - name: payments
    match: { zones: [Example.com], hostnames: ["*.Pay.example.com", checkout.example.com] }
    alerts_channel: C0PAYINC
    mention_on_critical: "<!subteam^S0PAY>"
    digest: { channels: [C0PAYOPS], timezone: America/New_York }
    thresholds: { warning_days: 45, critical_days: 14 }
  - name: platform
    match: { zones: [${ZONE_ID}] }
`,
      );
      expect(result.ok && result.config.routes).toEqual([
        {
          name: 'payments',
          match: { zones: ['example.com'], hostnames: ['*.pay.example.com', 'checkout.example.com'] },
          alertsChannel: 'C0PAYINC',
          mentionOnCritical: '<!subteam^S0PAY>',
          digest: { channels: ['C0PAYOPS'], schedule: '0 9 * * 1-5', timeZone: 'America/New_York' },
          thresholds: { warningDays: 45, criticalDays: 14, stuckPendingMinutes: 120 },
        },
        {
          name: 'platform',
          match: { zones: [ZONE_ID], hostnames: null },
          alertsChannel: 'C0INCIDENT',
          mentionOnCritical: '<!subteam^S0SRE>',
          digest: { channels: [], schedule: '0 9 * * 1-5', timeZone: 'Europe/Berlin' },
          thresholds: { warningDays: 30, criticalDays: 7, stuckPendingMinutes: 120 },
        },
      ]);
    });

    it('applies a route alert channel and mention without a warning', () => {
      const result = load(
        baseEnv,
        `${ROUTED}routes:
  - { name: payments, match: { zones: [example.com] }, alerts_channel: C0PAYINC, mention_on_critical: "<!subteam^S0PAY>" }
  - { name: quiet, match: { zones: [${'b'.repeat(32)}] } }
`,
      );
      expect(result.warnings).toEqual([]);
      expect(
        result.ok && result.config.routes.map((route) => [route.alertsChannel, route.mentionOnCritical]),
      ).toEqual([
        ['C0PAYINC', '<!subteam^S0PAY>'],
        [
          result.ok ? result.config.alerts.channel : null,
          result.ok ? result.config.alerts.mentionOnCritical : '',
        ],
      ]);
    });

    it('has no routes when the file has none', () => {
      const result = load(baseEnv, ROUTED);
      expect(result.ok && result.config.routes).toEqual([]);
    });

    it('reports every route problem at once, each with the route index and name', () => {
      const result = load(
        baseEnv,
        `${ROUTED}routes:
  - name: payments
    match: { hostnames: ["*.pay.example.com"] }
    alert_channel: C0PAYINC
  - name: payments
    match: { hostnames: ["api-*.example.com"] }
    alerts_channel: "#payments"
  - name: Web Team
    match: {}
    digest: { timezone: Mars/Olympus, schedule: "0 9 * *", channels: [payments-ops] }
  - name: web
    match: { zones: [example.com] }
    thresholds: { critical_days: 40 }
  - name: pay-eu
    match: { zones: [${ZONE_ID}], hostnames: ["*.eu.pay.example.com"] }
`,
      );
      expect(result.ok).toBe(false);
      if (result.ok) return;
      const text = result.problems.join('\n');
      for (const fragment of [
        'routes[0] (payments): unknown key(s) "alert_channel"',
        'routes[1] (payments).name: "payments" is already the name of routes[0] (payments)',
        'routes[1] (payments).match.hostnames.0: "api-*.example.com" is not a valid hostname glob: `*` must be a whole label',
        'routes[1] (payments).alerts_channel: must be a Slack channel id',
        'routes[2] (Web Team).name: must be 1-40 lowercase letters',
        'routes[2] (Web Team).match: needs at least one criterion',
        'routes[2] (Web Team).digest.timezone: must be an IANA time zone',
        'routes[2] (Web Team).digest.channels.0: must be a Slack channel id',
        'routes[3] (web).thresholds.critical_days: 40 must be smaller than warning_days (30',
        'routes[4] (pay-eu).match: can never match: routes[3] (web) comes first and takes every hostname it matches',
      ]) {
        expect(text).toContain(fragment);
      }
    });

    it('checks a route schedule in the route time zone', () => {
      const result = load(
        baseEnv,
        `${ROUTED}routes:
  - { name: ny, match: { zones: [example.com] }, digest: { schedule: "0 9 * * * * *" } }
`,
      );
      expect(!result.ok && result.problems.join('\n')).toContain(
        'routes[0] (ny).digest.schedule: "0 9 * * * * *" must have 5 fields',
      );
    });
  });
});

describe('loadConfig: discovery and several Cloudflare accounts', () => {
  const accountsEnv = {
    SLACK_BOT_TOKEN: 'xoxb-test',
    SLACK_SIGNING_SECRET: 'secret',
    CLOUDFLARE_API_TOKEN_PROD: 'cfat_prod-token',
    CLOUDFLARE_API_TOKEN_STAGING: 'cfut_staging-token',
  };

  it('keeps a config with only zones exactly as before: one "default" account, no discovery', () => {
    const result = load(baseEnv, `zones:\n  - { id: ${ZONE_ID}, name: example.com }\n`);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.discover).toBeNull();
    expect(result.config.zones).toEqual([{ id: ZONE_ID, name: 'example.com', hostnames: null }]);
    expect(result.config.cloudflare.accounts).toEqual([
      {
        name: 'default',
        auth: { scheme: 'api_token', token: 'cf-token' },
        rateLimit: { requests: 1200, perSeconds: 300 },
        credentialEnv: 'CLOUDFLARE_API_TOKEN',
        implicit: true,
      },
    ]);
  });

  it('reads discover and one token per account, each with its own budget', () => {
    const result = load(
      accountsEnv,
      `discover:
  every: 15m
  match: ["*.example.com", "example.org"]
  exclude: ["staging-*.example.com"]
  accounts: [01A7362D577A6C3019A474FD6F485823]
cloudflare:
  accounts:
    - { name: prod, token_env: CLOUDFLARE_API_TOKEN_PROD }
    - { name: staging, token_env: CLOUDFLARE_API_TOKEN_STAGING, rate_limit: { requests: 600, per_seconds: 300 } }
zones:
  - { id: ${ZONE_ID}, name: example.com, account: staging }
`,
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.discover).toEqual({
      everyMs: 900_000,
      match: ['*.example.com', 'example.org'],
      exclude: ['staging-*.example.com'],
      accountIds: ['01a7362d577a6c3019a474fd6f485823'],
    });
    expect(
      result.config.cloudflare.accounts.map((account) => [account.name, account.auth, account.rateLimit]),
    ).toEqual([
      ['prod', { scheme: 'api_token', token: 'cfat_prod-token' }, { requests: 1200, perSeconds: 300 }],
      ['staging', { scheme: 'api_token', token: 'cfut_staging-token' }, { requests: 600, perSeconds: 300 }],
    ]);
    expect(result.config.cloudflare.auth).toEqual({ scheme: 'api_token', token: 'cfat_prod-token' });
    expect(result.config.zones[0]?.account).toBe('staging');
    expect(result.warnings.join('\n')).not.toContain('discover');
  });

  it('needs no CLOUDFLARE_API_TOKEN when accounts are listed, and says when one is set but unused', () => {
    const result = load(
      { ...accountsEnv, CLOUDFLARE_API_TOKEN: 'cf-token' },
      'cloudflare:\n  accounts: [{ name: prod, token_env: CLOUDFLARE_API_TOKEN_PROD }]\n',
    );
    expect(result.ok).toBe(true);
    expect(result.warnings.join()).toContain(
      'CLOUDFLARE_API_TOKEN is set but cloudflare.accounts does not name it',
    );
  });

  it('reports unknown keys, duplicate accounts, unset token variables, bad globs and durations all at once', () => {
    const result = load(
      { SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: 'secret', CLOUDFLARE_API_TOKEN_PROD: 'cfat_x' },
      `discover:
  every: soon
  match: ["[a-z.example.com", "example.com/path"]
  exclude: ["{a,b.example.com"]
  acounts: []
cloudflare:
  accounts:
    - { name: prod, token_env: CLOUDFLARE_API_TOKEN_PROD }
    - { name: prod, token_env: CLOUDFLARE_API_TOKEN_PROD2 }
    - { name: Staging!, token_env: CLOUDFLARE_API_TOKEN_STAGING, token: cfat_in_yaml }
zones:
  - { id: ${ZONE_ID}, account: billing }
`,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const text = result.problems.join('\n');
    for (const fragment of [
      'discover: unknown key(s) "acounts"',
      'cloudflare.accounts.2: unknown key(s) "token"',
      'cloudflare.accounts.2.name: must be lower-case letters',
      'account "prod" is listed twice',
      'zones.0.account: names account "billing", which cloudflare.accounts does not list',
      '"[a-z.example.com" is not a usable zone-name glob',
      '"example.com/path" is not a usable zone-name glob',
      '"{a,b.example.com" is not a usable zone-name glob',
    ]) {
      expect(text).toContain(fragment);
    }
    // The schema problems hide neither each other nor the environment's.
    const unset = load(
      { SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: 'secret' },
      `discover: { every: 5s }
cloudflare:
  accounts:
    - { name: prod, token_env: CLOUDFLARE_API_TOKEN_PROD }
    - { name: staging, token_env: CLOUDFLARE_API_TOKEN_STAGING }
`,
    );
    expect(unset.ok).toBe(false);
    if (unset.ok) return;
    const unsetText = unset.problems.join('\n');
    expect(unsetText).toContain('discover.every: "5s" is shorter than 30s');
    expect(unsetText).toContain(
      'cloudflare.accounts.0.token_env: CLOUDFLARE_API_TOKEN_PROD is not set (it should hold the API token of account "prod")',
    );
    expect(unsetText).toContain('cloudflare.accounts.1.token_env: CLOUDFLARE_API_TOKEN_STAGING is not set');
    expect(unsetText).not.toContain('Cloudflare credentials are missing');
  });

  it('names an account on a zone only when accounts are listed', () => {
    const result = load(baseEnv, `zones:\n  - { id: ${ZONE_ID}, account: prod }\n`);
    expect(!result.ok && result.problems.join()).toContain(
      'names account "prod", but cloudflare.accounts lists none',
    );
  });
});
