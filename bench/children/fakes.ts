/**
 * The local Cloudflare and Slack servers, in a process of their own: in production they are
 * remote, so their CPU must not be taken from the bot's or the load generator's event loop.
 * Driven over IPC by bench/run.ts (see bench/lib/rpc.ts).
 */
import { createHash } from 'node:crypto';
import { SLOW_NOTICE_TEXT } from '../../src/slack/lookup-deadline.js';
import {
  certificateFields,
  type FakeCloudflare,
  type FakeRateLimit,
  generateSelfSignedCertificate,
  startFakeCloudflare,
} from '../../test/support/fake-cloudflare.js';
import { type FakeSlack, startFakeSlack } from '../../test/support/fake-slack.js';
import { serveRpc } from '../lib/rpc.js';

const DAY_MS = 86_400_000;

let cloudflare: FakeCloudflare | null = null;
let slack: FakeSlack | null = null;
let cloudflareCounts = freshCounts();

function freshCounts() {
  return {
    requests: 0,
    rateLimited: 0,
    byRoute: {} as Record<string, number>,
    /** Epoch ms at which the last request arrived (its answer leaves `latencyMs` later). */
    lastAtMs: null as number | null,
  };
}

function requireCloudflare(): FakeCloudflare {
  if (!cloudflare) throw new Error('startCloudflare first');
  return cloudflare;
}

function requireSlack(): FakeSlack {
  if (!slack) throw new Error('startSlack first');
  return slack;
}

/** A zone id shaped like Cloudflare's (32 hex), the same for the same index in every run. */
function zoneIdFor(label: string): string {
  return createHash('md5').update(label).digest('hex');
}

function certificateExpiringIn(hostname: string, days: number) {
  const notAfter = new Date(Math.floor((Date.now() + days * DAY_MS) / 1000) * 1000);
  // Issued a month ago, whatever the expiry: a certificate not yet valid would be critical.
  const notBefore = new Date(Date.now() - 30 * DAY_MS);
  return certificateFields(generateSelfSignedCertificate({ hostname, notAfter, notBefore }));
}

/** A local Cloudflare whose outcomes are counted as they are decided, with the counts at zero. */
async function startCountedCloudflare(params: {
  latencyMs: number;
  rateLimit?: FakeRateLimit;
}): Promise<FakeCloudflare> {
  const api = await startFakeCloudflare({
    latencyMs: params.latencyMs,
    ...(params.rateLimit ? { rateLimit: params.rateLimit } : {}),
  });
  cloudflareCounts = freshCounts();
  // The request log itself would keep every header object: count, then drop it.
  const handle = api.handle.bind(api);
  api.handle = (request) => {
    const outcome = handle(request);
    const route = api.requests.at(-1)?.route ?? 'unknown';
    cloudflareCounts.requests += 1;
    cloudflareCounts.lastAtMs = Date.now();
    cloudflareCounts.byRoute[route] = (cloudflareCounts.byRoute[route] ?? 0) + 1;
    if (outcome.kind === 'respond' && outcome.status === 429) cloudflareCounts.rateLimited += 1;
    api.requests.length = 0;
    return outcome;
  };
  return api;
}

export interface SeededZone {
  id: string;
  name: string;
}

const handlers = {
  async startCloudflare(params: { latencyMs: number; rateLimit?: FakeRateLimit }) {
    await cloudflare?.close();
    cloudflare = await startCountedCloudflare(params);
    return { baseUrl: cloudflare.baseUrl };
  },

  /**
   * A new local Cloudflare serving the zones already seeded: a new server with no request counted
   * and an empty rate-limit window, so that several runs over one large inventory each start
   * fresh without seeding it again. The bot only reads the inventory, so each run sees the same.
   */
  async restartCloudflare(params: { latencyMs: number; rateLimit?: FakeRateLimit }) {
    const previous = requireCloudflare();
    await previous.close();
    const fresh = await startCountedCloudflare(params);
    for (const [id, zone] of previous.state.zones) fresh.state.zones.set(id, zone);
    for (const [id, account] of previous.state.accounts) fresh.state.accounts.set(id, account);
    cloudflare = fresh;
    return { baseUrl: fresh.baseUrl };
  },

  /** One zone of `count` hostnames (`app-00000.<name>` …) on one certificate, for lookups. */
  async seedLookupZone(params: { label: string; name: string; count: number }): Promise<SeededZone> {
    const fake = requireCloudflare();
    const zone = fake.state.addZone({ id: zoneIdFor(params.label), name: params.name, tlsClientAuth: 'on' });
    fake.state.addManyAssociations(zone.id, params.count, certificateExpiringIn(`*.${params.name}`, 200));
    return { id: zone.id, name: zone.name };
  },

  /**
   * `zones` zones of `hostnamesPerZone` hostnames each, on five certificates per zone with mixed
   * expiries: by default 1% of all hostnames critical (4 days left), 3% warning (20 days), the rest
   * fine (120, 250 and 400 days). The shares are taken over the whole inventory, so every size has
   * the same mix.
   */
  async seedDigestInventory(params: {
    zones: number;
    hostnamesPerZone: number;
    /** Hostnames per 1,000 on the certificate that expires in 4 days. Default 10. */
    criticalPerMille?: number;
    /** Hostnames per 1,000 on the certificate that expires in 20 days. Default 30. */
    warningPerMille?: number;
  }) {
    const criticalPerMille = params.criticalPerMille ?? 10;
    const warningPerMille = params.warningPerMille ?? 30;
    const fake = requireCloudflare();
    const zones: SeededZone[] = [];
    for (let zoneIndex = 0; zoneIndex < params.zones; zoneIndex += 1) {
      const name = `z${String(zoneIndex).padStart(3, '0')}.bench.example`;
      const zone = fake.state.addZone({
        id: zoneIdFor(`digest-${zoneIndex}`),
        name,
        tlsClientAuth: 'on',
        aopEnabled: true,
      });
      const wildcard = `*.${name}`;
      // Zone-level AOP on, with its certificate: the zone check reads it beside the two lists.
      fake.state.addZoneCertificate(zone.id, certificateExpiringIn(name, 300));
      const certificates = {
        critical: fake.state.addCertificate(zone.id, certificateExpiringIn(wildcard, 4)),
        warning: fake.state.addCertificate(zone.id, certificateExpiringIn(wildcard, 20)),
        fine: [120, 250, 400].map((days) =>
          fake.state.addCertificate(zone.id, certificateExpiringIn(wildcard, days)),
        ),
      };
      for (let index = 0; index < params.hostnamesPerZone; index += 1) {
        const global = zoneIndex * params.hostnamesPerZone + index;
        const share = global % 1000;
        const certificate =
          share < criticalPerMille
            ? certificates.critical
            : share < criticalPerMille + warningPerMille
              ? certificates.warning
              : (certificates.fine[global % 3] as (typeof certificates.fine)[number]);
        fake.state.associate(zone.id, {
          hostname: `h${String(index).padStart(5, '0')}.${name}`,
          cert_id: certificate.id,
        });
      }
      zones.push({ id: zone.id, name });
    }
    return { zones, hostnames: params.zones * params.hostnamesPerZone };
  },

  /**
   * `zones` zones in the default account for discovery, of which the first `usingAop` have one
   * hostname on a certificate (a healthy one, 200 days left); the others have no association, no
   * certificate and AOP off, as most zones of a large account.
   */
  async seedDiscoveryInventory(params: { zones: number; usingAop: number }) {
    const fake = requireCloudflare();
    const pem = certificateExpiringIn('*.discovery.bench.example', 200);
    for (let index = 0; index < params.zones; index += 1) {
      const name = `d${String(index).padStart(4, '0')}.discovery.bench.example`;
      const zone = fake.state.addZone({ id: zoneIdFor(`discovery-${index}`), name, aopEnabled: false });
      if (index >= params.usingAop) continue;
      const certificate = fake.state.addCertificate(zone.id, pem);
      fake.state.associate(zone.id, { hostname: `app.${name}`, cert_id: certificate.id });
    }
    return { zones: params.zones, usingAop: params.usingAop };
  },

  async cloudflareStats(_params: Record<string, never>) {
    return { ...cloudflareCounts, byRoute: { ...cloudflareCounts.byRoute } };
  },

  async startSlack(_params: Record<string, never>) {
    await slack?.close();
    slack = await startFakeSlack();
    return { apiUrl: slack.apiUrl };
  },

  async responseUrls(params: { count: number }) {
    const fake = requireSlack();
    return Array.from({ length: params.count }, () => fake.responseUrl());
  },

  /** Waits until `count` response_url posts have arrived in total. */
  async waitForResponses(params: { count: number; timeoutMs: number }) {
    const fake = requireSlack();
    await fake.waitFor(() => fake.responses.length >= params.count, {
      timeoutMs: params.timeoutMs,
      what: `${params.count} response_url posts (have ${fake.responses.length})`,
    });
    return { count: fake.responses.length };
  },

  /**
   * Waits until `count` answers (posts other than the slow notice) have arrived in total: a lookup
   * that waited past the notice posts twice, and only its second post ends it.
   */
  async waitForAnswers(params: { count: number; timeoutMs: number }) {
    const fake = requireSlack();
    const counts = () => {
      const notices = fake.responses.filter((post) => post.body.text === SLOW_NOTICE_TEXT).length;
      return { answers: fake.responses.length - notices, notices };
    };
    await fake.waitFor(() => counts().answers >= params.count, {
      timeoutMs: params.timeoutMs,
      what: `${params.count} answers at response_urls (have ${counts().answers})`,
    });
    return counts();
  },

  /** When (epoch ms) the first post to `url` arrived, waiting for it if need be. */
  /**
   * The first post to `url` whose text does not equal `skipText` (the slow notice, so that the
   * card itself is timed), and how many posts came before it.
   */
  async responseArrival(params: { url: string; timeoutMs: number; skipText?: string }) {
    const fake = requireSlack();
    const textOf = (post: { body: Record<string, unknown> }) =>
      typeof post.body.text === 'string' ? post.body.text : '';
    const post = await fake.waitFor(
      () => fake.responsesTo(params.url).find((candidate) => textOf(candidate) !== params.skipText),
      { timeoutMs: params.timeoutMs, what: `a post to ${params.url}` },
    );
    const before = fake.responsesTo(params.url).indexOf(post);
    return { atMs: post.at, text: textOf(post), postsBefore: before };
  },

  async slackStats(params: { channel: string }) {
    const fake = requireSlack();
    const posts = fake.callsTo('chat.postMessage').filter((call) => call.args.channel === params.channel);
    return {
      calls: fake.calls.length,
      postMessages: posts.length,
      firstPostAtMs: posts[0]?.at ?? null,
      lastPostAtMs: posts.at(-1)?.at ?? null,
      responses: fake.responses.length,
    };
  },

  /** Forgets messages and responses (a long run keeps no history it does not need). */
  async resetSlack(_params: Record<string, never>) {
    requireSlack().reset();
    return null;
  },

  async closeAll(_params: Record<string, never>) {
    await Promise.all([cloudflare?.close(), slack?.close()]);
    cloudflare = null;
    slack = null;
    return null;
  },
};

export type FakesHandlers = typeof handlers;

serveRpc(handlers, async () => {
  await handlers.closeAll({});
});
