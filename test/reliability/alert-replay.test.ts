import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlertEvaluator } from '../../src/alerts/evaluator.js';
import { createAlertStore } from '../../src/alerts/store.js';
import { createCloudflareClient } from '../../src/cloudflare/client.js';
import { createUnlimitedRateLimiter } from '../../src/cloudflare/rate-limiter.js';
import { loadConfig } from '../../src/config/load.js';
import type { AppConfig } from '../../src/config/types.js';
import { routerFromConfig } from '../../src/inventory/routing.js';
import type { AssembledRun } from '../../src/inventory/run.js';
import { checkZone, type ZonePlan } from '../../src/inventory/zone-check.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { createSlackPoster } from '../../src/slack/poster.js';
import { redisKeys } from '../../src/store/keys.js';
import { FAKE_API_TOKEN, type FakeCloudflare, startFakeCloudflare } from '../support/fake-cloudflare.js';
import { type FakeSlack, type RecordedCall, startFakeSlack } from '../support/fake-slack.js';
import { connectTestRedis, deleteKeysWithPrefix, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { scenarioFigures } from './figures.js';

/**
 * The message budget over about 90 simulated days: 1,000 hostnames on 40 certificates shared by 1
 * to 100 hostnames in 8 zones, expiries spread over the window, most renewed in time (half the
 * hostnames first, the rest a day later), some never renewed, some associations stuck or switched
 * off for a while. Time moves by shifting the clock the bot reads and the Cloudflare state; the
 * evaluation runs every 12 simulated hours on the real Redis, the local Cloudflare server (every
 * zone read through the bulk lists) and the local Slack server, through the real Slack poster.
 *
 * Every message is checked against the budget: per thread, 1 parent (+ the runbook for
 * certificates), at most 1 reply and 1 update per evaluation, rung replies strictly descending
 * and never repeated, 0 Slack calls in an evaluation in which nothing changed, and every rung a
 * never-renewed certificate crossed after its thread opened told exactly once.
 */

const figures = scenarioFigures('9-alert-replay');
const DAY_MS = 86_400_000;
const STEP_MS = DAY_MS / 2;
const DAYS = 90;
const INCIDENT = 'C0INCIDENT';
const START = new Date('2027-03-01T06:00:00Z');
const LADDER = [30, 14, 7, 3, 1, 0];

/** 40 certificate sizes from 1 to 100 summing to 1,000. */
const SIZES = [
  100, 100, 95, 80, 66, 45, 40, 38, 35, 32, 30, 28, 26, 25, 24, 22, 20, 20, 18, 16, 15, 14, 13, 12, 11, 10, 9,
  8, 8, 7, 6, 5, 5, 4, 4, 3, 2, 2, 1, 1,
];

/** A tiny deterministic generator, so every run replays the same 90 days. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

interface PlannedCertificate {
  zoneId: string;
  serial: string;
  hostnames: string[];
  expiresOn: Date;
  /** When half the hostnames move to the replacement, and when the rest do; null: never renewed. */
  renewal: { halfAt: Date; restAt: Date } | null;
}

interface HostnameIncident {
  zoneId: string;
  hostname: string;
  kind: 'stuck' | 'off';
  from: Date;
  until: Date;
}

function plan(): { zones: string[]; certificates: PlannedCertificate[]; incidents: HostnameIncident[] } {
  const random = seeded(20_261_205);
  const zones = Array.from({ length: 8 }, (_, index) => `${String(index).padStart(2, '0')}${'a'.repeat(30)}`);
  const certificates = SIZES.map((size, index): PlannedCertificate => {
    const zoneId = zones[index % zones.length] as string;
    const expiresInDays = 12 + Math.floor(random() * 100);
    const expiresOn = new Date(
      START.getTime() + expiresInDays * DAY_MS + Math.floor(random() * 12) * 3_600_000,
    );
    // One certificate in eight is never renewed; the others 2 to 20 days before they expire.
    const neverRenewed = index % 8 === 3;
    const leadDays = 2 + Math.floor(random() * 19);
    const halfAt = new Date(expiresOn.getTime() - leadDays * DAY_MS);
    return {
      zoneId,
      serial: String(10_000 + index),
      hostnames: Array.from(
        { length: size },
        (_, member) => `h${String(member).padStart(3, '0')}.c${String(index).padStart(2, '0')}.example.com`,
      ),
      expiresOn,
      renewal: neverRenewed ? null : { halfAt, restAt: new Date(halfAt.getTime() + DAY_MS) },
    };
  });
  const incidents: HostnameIncident[] = [];
  for (const [index, certificate] of certificates.entries()) {
    if (index % 5 !== 1) continue;
    const hostname = certificate.hostnames[0] as string;
    const from = new Date(START.getTime() + (10 + index) * DAY_MS);
    incidents.push({
      zoneId: certificate.zoneId,
      hostname,
      kind: index % 2 === 0 ? 'stuck' : 'off',
      from,
      until: new Date(from.getTime() + 6 * DAY_MS),
    });
  }
  return { zones, certificates, incidents };
}

const PLAN = plan();

/** Puts the Cloudflare fake in the state of `now`: which certificate each hostname is on, stuck or off. */
function applyWorld(cloudflare: FakeCloudflare, now: Date): void {
  for (const certificate of PLAN.certificates) {
    const zone = cloudflare.state.zone(certificate.zoneId);
    const oldId = `old-${certificate.serial}`;
    const newId = `new-${certificate.serial}`;
    if (!zone.certificates.has(oldId)) {
      cloudflare.state.addCertificate(certificate.zoneId, {
        id: oldId,
        serial_number: certificate.serial,
        issuer: 'CN=Replay CA',
        expires_on: certificate.expiresOn.toISOString(),
      });
      cloudflare.state.addCertificate(certificate.zoneId, {
        id: newId,
        serial_number: `${certificate.serial}9`,
        issuer: 'CN=Replay CA',
        expires_on: new Date(certificate.expiresOn.getTime() + 365 * DAY_MS).toISOString(),
      });
    }
    const half = Math.ceil(certificate.hostnames.length / 2);
    for (const [member, hostname] of certificate.hostnames.entries()) {
      const renewal = certificate.renewal;
      const moved =
        renewal !== null && now.getTime() >= (member < half ? renewal.halfAt : renewal.restAt).getTime();
      const incident = PLAN.incidents.find(
        (candidate) => candidate.hostname === hostname && now >= candidate.from && now < candidate.until,
      );
      cloudflare.state.associate(certificate.zoneId, {
        hostname,
        cert_id: moved ? newId : oldId,
        enabled: incident?.kind !== 'off',
        status: incident?.kind === 'stuck' ? 'pending_deployment' : 'active',
        updated_at: incident?.kind === 'stuck' ? incident.from.toISOString() : '2027-01-01T00:00:00Z',
      });
    }
  }
}

function configFor(
  groupBy: 'certificate' | 'hostname',
  prefix: string,
  slackApiUrl: string,
  cloudflareBaseUrl: string,
): AppConfig {
  const token = FAKE_API_TOKEN.scheme === 'api_token' ? FAKE_API_TOKEN.token : '';
  const text = JSON.stringify({
    timezone: 'UTC',
    zones: PLAN.zones.map((id) => ({ id, name: `${id.slice(0, 2)}.example.com` })),
    alerts: { channel: INCIDENT, mention_on_critical: '<!subteam^S0ONCALL>', group_by: groupBy },
  });
  const result = loadConfig({
    env: {
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: 'secret',
      SLACK_API_URL: slackApiUrl,
      CLOUDFLARE_API_TOKEN: token,
      CLOUDFLARE_API_BASE_URL: cloudflareBaseUrl,
      REDIS_URL: testRedisUrl(),
      AOP_REDIS_PREFIX: prefix,
    },
    cwd: '/virtual',
    fileExists: (file) => file === '/virtual/aop-status.yml',
    readFile: () => text,
  });
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.config;
}

interface ReplayFigures {
  messages: number;
  parents: number;
  replies: number;
  updates: number;
  runbooks: number;
  rungReplies: number;
  evaluations: number;
  quietEvaluationsWithCalls: number;
  budgetViolations: string[];
  duplicateParents: number;
  duplicateReplies: number;
  missedRungs: number;
  postingMs: number;
}

async function replay(groupBy: 'certificate' | 'hostname'): Promise<ReplayFigures> {
  const slack: FakeSlack = await startFakeSlack();
  const cloudflare = await startFakeCloudflare();
  for (const zoneId of PLAN.zones)
    cloudflare.state.addZone({ id: zoneId, name: `${zoneId.slice(0, 2)}.example.com` });
  const prefix = uniquePrefix(`replay-${groupBy}`);
  const redis = connectTestRedis();
  const config = configFor(groupBy, prefix, slack.apiUrl, cloudflare.baseUrl);
  const logger = createLogger({
    level: 'warn',
    destination: new Writable({ write: (_chunk, _encoding, done) => done() }),
  });
  const metrics = createMetrics({ collectProcessMetrics: false });
  const keys = redisKeys(prefix);
  let now = START;
  const cloudflareClient = createCloudflareClient({
    baseUrl: config.cloudflare.baseUrl,
    auth: config.cloudflare.auth,
    rateLimiter: createUnlimitedRateLimiter(),
    requestTimeoutMs: 10_000,
  });
  const evaluator = createAlertEvaluator({
    config,
    router: routerFromConfig(config),
    store: createAlertStore(redis, keys, logger),
    // Slack's one message per second per channel is left out: the budget counts messages, not seconds.
    poster: createSlackPoster({
      token: 'xoxb-test-token',
      apiUrl: slack.apiUrl,
      redis,
      keys,
      logger,
      metrics,
      channelIntervalMs: 1,
    }),
    cloudflare: cloudflareClient,
    logger,
    metrics,
    clock: () => now,
  });
  const plans: ZonePlan[] = PLAN.zones.map((id) => ({
    zone: { id, name: null },
    discoverAll: true,
    hostnames: [],
    ignored: [],
  }));
  const violations: string[] = [];
  let quietWithCalls = 0;
  let evaluations = 0;
  let postingMs = 0;
  let previousWorld = '';
  try {
    for (let at = START.getTime(); at <= START.getTime() + DAYS * DAY_MS; at += STEP_MS) {
      now = new Date(at);
      applyWorld(cloudflare, now);
      const results = await Promise.all(
        plans.map((zonePlan) =>
          checkZone(zonePlan, {
            cloudflare: cloudflareClient,
            thresholds: config.thresholds,
            timeZone: config.timezone,
            now: () => now,
            concurrency: 4,
          }),
        ),
      );
      const run: AssembledRun = {
        payload: {
          purpose: 'alerts',
          slotId: `replay-${at}`,
          slotTimeMs: at,
          startedAtMs: at,
          trigger: 'schedule',
          channel: null,
          zonesTotal: plans.length,
          plans,
        },
        // As the queue hands it: zone-level readings throughout, hostname checks a page at a time.
        results: results.map((result) => ({ ...result, checks: [] })),
        attempt: { jobId: null, attemptsMade: 0, attemptsAllowed: 1 },
        async *readResultPages() {
          for (const result of results) yield [result];
        },
      };
      const from = slack.calls.length;
      const messagesBefore = slack.messages.length;
      const started = performance.now();
      await evaluator.evaluateRun(run);
      postingMs += performance.now() - started;
      evaluations += 1;
      const calls = slack.calls.slice(from).filter((call) => call.method.startsWith('chat.'));
      // Nothing changed in Cloudflare and no rung crossed since the last step: not one call.
      const rungsAt = (expiry: Date | null) =>
        expiry === null
          ? []
          : LADDER.filter((rung) =>
              rung > 0 ? expiry.getTime() - at < rung * DAY_MS : expiry.getTime() <= at,
            );
      const world = JSON.stringify(
        results.map((result) =>
          result.checks.map((check) => [
            check.hostname,
            check.assessment.reasons.map((reason) => reason.code),
            check.observation.kind === 'association' ? check.observation.association.serialNumber : null,
            rungsAt(check.assessment.effectiveExpiry),
          ]),
        ),
      );
      if (world === previousWorld && calls.length > 0 && groupBy === 'certificate') quietWithCalls += 1;
      previousWorld = world;
      // Per thread and evaluation: at most one parent, one update, and one reply (two right after its parent: the runbook).
      const perThread = new Map<string, { parents: number; replies: number; updates: number }>();
      for (const call of calls) {
        const thread = String(call.args.thread_ts ?? call.args.ts ?? `new:${perThread.size}`);
        const entry = perThread.get(thread) ?? { parents: 0, replies: 0, updates: 0 };
        if (call.method === 'chat.update') entry.updates += 1;
        else if (call.args.thread_ts) entry.replies += 1;
        else entry.parents += 1;
        perThread.set(thread, entry);
      }
      const parentsPosted = new Set(
        slack.messages
          .slice(messagesBefore)
          .filter((message) => !message.threadTs)
          .map((message) => message.ts),
      );
      for (const [thread, entry] of perThread) {
        const newThread = parentsPosted.has(thread);
        if (entry.updates > 1 || entry.parents > 1 || entry.replies > (newThread ? 2 : 1)) {
          violations.push(`${now.toISOString()} thread ${thread}: ${JSON.stringify(entry)}`);
        }
      }
    }
  } finally {
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
    await slack.close();
    await cloudflare.close();
  }

  const messages = slack.messages.filter((message) => message.channel === INCIDENT);
  const parents = messages.filter((message) => !message.threadTs);
  const replies = messages.filter((message) => message.threadTs);
  const updates = slack.calls.filter((call: RecordedCall) => call.method === 'chat.update').length;
  const rungsOf = (text: string): number[] => {
    const days = /Less than (\d+) days? left/.exec(text)?.[1];
    if (days !== undefined) return [Number(days)];
    return /\*Expired\*/.test(text) ? [0] : [];
  };
  // Rung replies per thread: strictly descending, never repeated.
  let duplicateReplies = 0;
  let rungReplies = 0;
  for (const parent of parents) {
    const thread = replies.filter((reply) => reply.threadTs === parent.ts);
    const texts = thread.map((reply) => String(reply.text));
    duplicateReplies += texts.length - new Set(texts).size;
    const rungs = texts.flatMap(rungsOf);
    rungReplies += rungs.length;
    for (let index = 1; index < rungs.length; index += 1) {
      if ((rungs[index] ?? 0) >= (rungs[index - 1] ?? 0)) duplicateReplies += 1;
    }
  }
  // Every never-renewed certificate: its thread told each rung it crossed after opening, once, in order.
  let missedRungs = 0;
  const windowEnd = START.getTime() + DAYS * DAY_MS;
  const reachedAt = (expiry: Date, at: number) =>
    LADDER.filter((rung) => (rung > 0 ? expiry.getTime() - at < rung * DAY_MS : expiry.getTime() <= at));
  for (const certificate of PLAN.certificates) {
    if (certificate.renewal !== null) continue;
    let openedAt = START.getTime();
    while (openedAt <= windowEnd && reachedAt(certificate.expiresOn, openedAt).length === 0)
      openedAt += STEP_MS;
    if (openedAt > windowEnd) continue;
    const atOpening = reachedAt(certificate.expiresOn, openedAt);
    const expected = reachedAt(certificate.expiresOn, windowEnd).filter((rung) => !atOpening.includes(rung));
    const owning = parents.filter((parent) => {
      const payload = parent.metadata?.event_payload ?? {};
      return payload.kind === 'certificate' && payload.certificate_key === certificate.serial;
    });
    if (owning.length !== 1) {
      missedRungs += expected.length + 1;
      continue;
    }
    const told = replies
      .filter((reply) => reply.threadTs === owning[0]?.ts)
      .flatMap((reply) => rungsOf(String(reply.text)));
    missedRungs += expected.filter((rung) => !told.includes(rung)).length;
    missedRungs += told.filter((rung) => !expected.includes(rung)).length;
  }
  const parentKeys = parents.map((parent) => {
    const payload = parent.metadata?.event_payload ?? {};
    return `${payload.episode_id}`;
  });
  return {
    messages: parents.length + replies.length + updates,
    parents: parents.length,
    replies: replies.length,
    updates,
    runbooks: replies.filter((reply) => String(reply.text).includes('How to fix')).length,
    rungReplies,
    evaluations,
    quietEvaluationsWithCalls: quietWithCalls,
    budgetViolations: violations,
    duplicateParents: parentKeys.length - new Set(parentKeys).size,
    duplicateReplies,
    missedRungs,
    postingMs: Math.round(postingMs),
  };
}

describe('alert message budget over 90 simulated days', () => {
  const results: Partial<Record<'certificate' | 'hostname', ReplayFigures>> = {};
  beforeAll(() => {
    expect(SIZES.reduce((sum, size) => sum + size, 0)).toBe(1000);
    expect(SIZES).toHaveLength(40);
  });
  afterAll(() => {
    for (const [groupBy, result] of Object.entries(results)) {
      if (!result) continue;
      for (const name of [
        'messages',
        'parents',
        'replies',
        'updates',
        'runbooks',
        'rungReplies',
        'evaluations',
      ] as const) {
        figures.record(`${groupBy}_${name}`, result[name], { note: `group_by: ${groupBy}` });
      }
    }
  });

  it('keeps grouped threads within the budget: one parent per thing to fix, no missed or repeated rung, no call when nothing changed', async () => {
    const result = await replay('certificate');
    results.certificate = result;
    figures.record('certificate_budget_violations', result.budgetViolations.length, {
      note: 'must be 0',
      details: { first: result.budgetViolations.slice(0, 5) },
    });
    figures.record('certificate_quiet_evaluations_with_calls', result.quietEvaluationsWithCalls, {
      note: 'must be 0',
    });
    figures.record('certificate_duplicate_parents', result.duplicateParents, { note: 'must be 0' });
    figures.record('certificate_duplicate_replies', result.duplicateReplies, { note: 'must be 0' });
    figures.record('certificate_missed_rungs', result.missedRungs, { note: 'must be 0' });
    expect(result.budgetViolations).toEqual([]);
    expect(result.quietEvaluationsWithCalls).toBe(0);
    expect(result.duplicateParents).toBe(0);
    expect(result.duplicateReplies).toBe(0);
    expect(result.missedRungs).toBe(0);
    // At most one thread per certificate plus the association problems: never one per hostname.
    expect(result.parents).toBeLessThanOrEqual(PLAN.certificates.length + PLAN.incidents.length);
  }, 600_000);

  it('for comparison, one thread per hostname with group_by: hostname', async () => {
    const result = await replay('hostname');
    results.hostname = result;
    figures.record('hostname_duplicate_parents', result.duplicateParents, { note: 'must be 0' });
    figures.record('hostname_duplicate_replies', result.duplicateReplies, { note: 'must be 0' });
    expect(result.duplicateParents).toBe(0);
    expect(result.duplicateReplies).toBe(0);
    expect(result.parents).toBeGreaterThan(results.certificate?.parents ?? 0);
  }, 600_000);
});
