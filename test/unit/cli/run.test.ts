import { MockAgent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type CliContext, runCli } from '../../../src/cli/run.js';
import {
  certificateFields,
  createFakeCloudflareApi,
  FAKE_API_BASE_PATH,
  FAKE_MOCK_ORIGIN,
  type FakeCloudflareApi,
  generateSelfSignedCertificate,
  routeMockAgentToFake,
} from '../../support/fake-cloudflare.js';

/** Friday 2026-11-20 12:00 UTC: every expiry below is counted from here. */
const NOW = new Date('2026-11-20T12:00:00.000Z');
const DAY_MS = 86_400_000;
const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
const OTHER_ZONE_ID = 'aaaabbbbccccddddeeeeffff00001111';

const agents: MockAgent[] = [];
afterEach(async () => {
  for (const agent of agents.splice(0)) await agent.close();
});

/** The local Cloudflare behind a MockAgent (no sockets), seeded with one healthy and one critical hostname. */
function fakeCloudflare(): { api: FakeCloudflareApi; agent: MockAgent } {
  const agent = new MockAgent();
  agent.disableNetConnect();
  agents.push(agent);
  const api = createFakeCloudflareApi({ nowMs: () => NOW.getTime() });
  api.state.addZone({ id: ZONE_ID, name: 'example.com', tlsClientAuth: 'on', aopEnabled: false });
  const install = (zoneId: string, hostname: string, daysLeft: number) => {
    const notAfter = new Date(NOW.getTime() + daysLeft * DAY_MS);
    const generated = generateSelfSignedCertificate({
      hostname,
      notAfter,
      notBefore: new Date(NOW.getTime() - 30 * DAY_MS),
    });
    const certificate = api.state.addCertificate(zoneId, certificateFields(generated));
    api.state.associate(zoneId, { hostname, cert_id: certificate.id });
  };
  install(ZONE_ID, 'app.example.com', 200);
  install(ZONE_ID, 'pay.example.com', 3);
  api.state.addZone({ id: OTHER_ZONE_ID, name: 'other.org' });
  install(OTHER_ZONE_ID, 'shop.other.org', 100);
  routeMockAgentToFake(agent, api);
  return { api, agent };
}

interface Run {
  exitCode: number;
  stdout: string;
  stderr: string;
}

async function run(
  argv: string[],
  options: {
    agent?: MockAgent;
    env?: Record<string, string | undefined>;
    file?: Record<string, unknown>;
  } = {},
): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const yamlText = options.file === undefined ? null : stringify(options.file);
  const context: CliContext = {
    env: options.env ?? {
      CLOUDFLARE_API_TOKEN: 'fake-cloudflare-token',
      CLOUDFLARE_API_BASE_URL: `${FAKE_MOCK_ORIGIN}${FAKE_API_BASE_PATH}`,
    },
    cwd: '/virtual',
    fileExists: (file) => yamlText !== null && file === '/virtual/aop-status.yml',
    readFile: () => yamlText ?? '',
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    clock: () => NOW,
    ...(options.agent ? { dispatcher: options.agent } : {}),
  };
  const exitCode = await runCli(argv, context);
  return { exitCode, stdout, stderr };
}

const INVENTORY = {
  timezone: 'UTC',
  zones: [{ id: ZONE_ID, name: 'example.com' }],
};

describe('npm run cli -- check', () => {
  it('prints the card of a healthy hostname without buttons and exits 0', async () => {
    const { agent } = fakeCloudflare();
    const result = await run(['check', 'app.example.com'], { agent, file: INVENTORY });
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines.slice(0, 8)).toEqual([
      '🟢 app.example.com',
      '══════════════════',
      '',
      'What Cloudflare presents to the origin',
      "This hostname's own certificate (per-hostname AOP), expires 2027-06-08 (in 200 days).",
      '',
      'OK',
      '• 🟢 Certificate valid for 200 more days',
    ]);
    expect(lines).toContain('Expires: 2027-06-08 (in 200 days)');
    expect(result.stdout).not.toContain('[Refresh]');
    expect(result.stderr).toBe('');
  });

  it('exits 2 for a critical hostname and says why on the card', async () => {
    const { agent } = fakeCloudflare();
    const result = await run(['check', 'pay.example.com'], { agent, file: INVENTORY });
    expect(result.exitCode).toBe(2);
    expect(result.stdout.split('\n').slice(0, 8)).toEqual([
      '🔴 pay.example.com',
      '══════════════════',
      '',
      'What Cloudflare presents to the origin',
      "This hostname's own certificate (per-hostname AOP), expires 2026-11-23 (in 3 days).",
      '',
      'Critical',
      '• 🔴 Certificate expires in 3 days (2026-11-23)',
    ]);
  });

  it('finds the zone with the zone given on the command line when the config lists none', async () => {
    const { agent } = fakeCloudflare();
    const result = await run(['check', 'shop.other.org', OTHER_ZONE_ID], { agent, file: INVENTORY });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`Zone: ${OTHER_ZONE_ID}`);
    expect(result.stdout).toContain('Zone from the zone given in the command.');
  });

  it('exits 1 on a 403 and names the permission the token lacks', async () => {
    const { api, agent } = fakeCloudflare();
    api.state.forbiddenRoutes.add('hostnameStatus');
    const result = await run(['check', 'app.example.com'], { agent, file: INVENTORY });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'aop-status: Cloudflare refused access (HTTP 403 on GET /zones/023e105f4ecef8ad9ca31a8372d0c353/origin_tls_client_auth/hostnames/app.example.com): Authentication error [10000].\n' +
        'What to do: Give the API token the "SSL and Certificates Read" permission for this zone (or check that the zone id is right). If it already has it, Cloudflare may no longer accept the token (revoked or expired): roll it under My Profile → API Tokens.\n' +
        '(error code cloudflare_forbidden, HTTP 403)\n',
    );
  });

  it('asks for Zone Read or the zone id when the token may not look zones up', async () => {
    const { api, agent } = fakeCloudflare();
    api.state.forbiddenRoutes.add('zones');
    const result = await run(['check', 'shop.other.org'], { agent, file: INVENTORY });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      'What to do: Give the API token "Zone Read", list the zone in the config file, or pass its id: check shop.other.org <zone id>.',
    );
    expect(result.stderr).toContain('(error code zone_not_found)');
  });

  it('exits 1 when Cloudflare rejects the token', async () => {
    const { agent } = fakeCloudflare();
    const result = await run(['check', 'app.example.com'], {
      agent,
      file: INVENTORY,
      env: {
        CLOUDFLARE_API_TOKEN: 'revoked-token',
        CLOUDFLARE_API_BASE_URL: `${FAKE_MOCK_ORIGIN}${FAKE_API_BASE_PATH}`,
      },
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('Cloudflare did not accept the API credentials (HTTP 401');
    expect(result.stderr).toContain('(error code cloudflare_unauthorized, HTTP 401)');
  });

  it('exits 78 naming CLOUDFLARE_API_TOKEN when credentials are missing, and never asks for Slack or Redis', async () => {
    const result = await run(['check', 'app.example.com'], { env: {}, file: INVENTORY });
    expect(result.exitCode).toBe(78);
    expect(result.stderr).toBe(
      'aop-status: the configuration is invalid:\n' +
        '  - Cloudflare credentials are missing: set CLOUDFLARE_API_TOKEN (an API token with SSL and Certificates Read, plus Zone Read), or CLOUDFLARE_API_EMAIL and CLOUDFLARE_API_KEY\n',
    );
  });

  it('exits 78 for a config file the bot would refuse too', async () => {
    const { agent } = fakeCloudflare();
    const result = await run(['check', 'app.example.com'], {
      agent,
      file: { zones: [{ id: 'not-a-zone-id' }], thresholds: { warnig_days: 3 } },
    });
    expect(result.exitCode).toBe(78);
    expect(result.stderr).toContain(
      '/virtual/aop-status.yml: zones.0.id: "not-a-zone-id" is not a Cloudflare zone id',
    );
    expect(result.stderr).toContain('/virtual/aop-status.yml: thresholds: unknown key(s) "warnig_days"');
  });

  it('exits 64 with the synopsis for a bad hostname, before reading any configuration', async () => {
    const result = await run(['check', 'app..example.com'], { env: {} });
    expect(result.exitCode).toBe(64);
    expect(result.stderr.split('\n').slice(0, 3)).toEqual([
      'aop-status: "app..example.com" is not a valid hostname: It has an empty label (two dots in a row, or a leading dot).',
      '',
      'Usage:',
    ]);
  });

  it('prints the help with the exit statuses on --help and exits 0', async () => {
    const result = await run(['--help'], { env: {} });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('  2   something is critical');
    expect(result.stdout).toContain('  78  invalid configuration');
  });
});

describe('npm run cli -- digest --dry-run', () => {
  it('checks every configured zone, prints the digest, posts nothing and exits 2 on critical', async () => {
    const { api, agent } = fakeCloudflare();
    const result = await run(['digest', '--dry-run'], {
      agent,
      file: {
        timezone: 'UTC',
        zones: [
          { id: ZONE_ID, name: 'example.com' },
          { id: OTHER_ZONE_ID, name: 'other.org', hostnames: ['shop.other.org', 'cart.other.org'] },
        ],
      },
    });
    expect(result.exitCode).toBe(2);
    const lines = result.stdout.split('\n');
    expect(lines.slice(0, 5)).toEqual([
      'AOP digest · 2026-11-20 (on request)',
      '════════════════════════════════════',
      '',
      '🔴 1 critical   🟠 0 warning   ❔ 0 unknown   🔵 1 disabled   🟢 2 healthy',
      '',
    ]);
    expect(lines).toContain(
      '🔴 pay.example.com · zone example.com · Certificate expires in 3 days (2026-11-23) · expires 2026-11-23',
    );
    expect(lines).toContain('🔵 cart.other.org · zone other.org · No per-hostname AOP association');
    expect(lines.at(-2)).toBe(
      'Checked 4 hostnames in 2 zones at Fri 2026-11-20 12:00 UTC. Next digest: Mon 2026-11-23 09:00 UTC.',
    );
    expect(result.stderr).toBe(
      'Checking 2 zone(s) against http://cloudflare.fake/client/v4 …\nDry run: nothing was posted to Slack.\n',
    );
    // The bulk endpoints, not one call per hostname, except for the hostname with no association.
    expect(api.requests.map((request) => request.route).sort()).toEqual([
      'hostnameAssociations',
      'hostnameAssociations',
      'hostnameCertificates',
      'hostnameCertificates',
      'hostnameStatus',
      'zoneAopSetting',
      'zoneAopSetting',
      'zoneCertificates',
      'zoneCertificates',
    ]);
  });

  it('exits 0 when nothing is critical', async () => {
    const { agent } = fakeCloudflare();
    const result = await run(['digest', '--dry-run'], {
      agent,
      file: { zones: [{ id: OTHER_ZONE_ID, name: 'other.org' }] },
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(
      '🟢 AOP digest for 2026-11-20: the 1 watched hostname in 1 zone is healthy; next digest Mon 2026-11-23 09:00 UTC.\n',
    );
  });

  it('exits 1 and names the permission when a zone cannot be listed', async () => {
    const { api, agent } = fakeCloudflare();
    api.state.forbiddenRoutes.add('hostnameAssociations');
    const result = await run(['digest', '--dry-run'], {
      agent,
      file: { zones: [{ id: OTHER_ZONE_ID, name: 'other.org' }] },
    });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      '❔ other.org: the zone could not be listed, so none of its hostnames were checked',
    );
    const stderr = result.stderr.split('\n');
    expect(stderr[1]).toMatch(
      /^aop-status: zone other\.org could not be checked: Cloudflare refused access \(HTTP 403 on GET \/zones\/aaaabbbbccccddddeeeeffff00001111\/origin_tls_client_auth\/hostnames\)/,
    );
    expect(result.stderr).toContain(
      'Give the API token the "SSL and Certificates Read" permission for this zone',
    );
    expect(result.stderr).toContain('(error code cloudflare_forbidden)\n');
  });

  it('exits 1 when no zones are configured', async () => {
    const result = await run(['digest', '--dry-run'], { file: {} });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(
      'aop-status: no zones are configured in /virtual/aop-status.yml, so there is nothing to check.\n',
    );
  });
});

describe('npm run cli -- route', () => {
  const ROUTED = {
    ...INVENTORY,
    alerts: { channel: 'C0INCIDENT' },
    routes: [
      {
        name: 'payments',
        match: { zones: ['example.com'], hostnames: ['*.pay.example.com'] },
        alerts_channel: 'C0PAYINC',
      },
    ],
  };

  it('says which route owns a hostname of a configured zone without asking Cloudflare', async () => {
    const { api, agent } = fakeCloudflare();
    const result = await run(['route', 'a.b.pay.example.com'], { agent, file: ROUTED });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(
      'a.b.pay.example.com (zone example.com) belongs to route payments, the 1st of 1: zone example.com is in match.zones, and *.pay.example.com in match.hostnames matches.',
    );
    expect(result.stdout).toContain(
      "Alert threads go to #C0PAYINC (the route's alerts_channel, else alerts.channel)",
    );
    expect(result.stdout).toContain('zone-level certificate of example.com belong to the top level');
    expect(api.requests).toEqual([]);
  });

  it('finds the zone through Cloudflare and says when no route owns the hostname', async () => {
    const { agent } = fakeCloudflare();
    const result = await run(['route', 'shop.other.org'], { agent, file: ROUTED });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('shop.other.org (zone other.org) belongs to no route');
    expect(result.stdout).toContain('Alert threads go to #C0INCIDENT');
  });

  it('exits 64 without a hostname', async () => {
    const result = await run(['route'], { env: {} });
    expect(result.exitCode).toBe(64);
    expect(result.stderr).toContain('route needs a hostname: route <hostname> [zone].');
  });
});

describe('npm run cli -- zones', () => {
  it('lists the configured zones and every zone the token lists with discover:, each checked now', async () => {
    const { agent, api } = fakeCloudflare();
    api.state.addZone({ name: 'idle.example.net' });
    api.state.addZone({ name: 'staging.example.net' });
    const result = await run(['zones'], {
      agent,
      file: { ...INVENTORY, discover: { exclude: ['staging.example.net'] } },
    });
    expect(result.stderr).toContain('Checking 3 zone(s)');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Watched zones: 3 in 1 account (1 configured, 2 discovered): default 3.');
    expect(result.stdout).toContain(
      '• example.com · default · configured · 2 hostnames · 2 of 10 hostname certificates',
    );
    expect(result.stdout).toContain(
      '• other.org · default · discovered · 1 hostname · 1 of 10 hostname certificates',
    );
    expect(result.stdout).toContain('idle.example.net (default)');
    expect(result.stdout).not.toContain('staging.example.net');
  });

  it('says which account could not list its zones and that its token needs Zone Read', async () => {
    const { agent, api } = fakeCloudflare();
    api.state.forbiddenRoutes.add('zones');
    const result = await run(['zones'], { agent, file: { ...INVENTORY, discover: {} } });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('the zones of account "default" could not be listed');
    expect(result.stderr).toContain('the token needs Zone Read');
    expect(result.stdout).toContain('example.com · default · configured');
  });
});
