/**
 * Scenario 4 of issue 5: Cloudflare misbehaving. Bursts of 5xx, requests that hang past the
 * timeout, bodies that are not JSON, connection resets, 429 with retry-after, an expired token and
 * a token without a permission. The process stays up with no unhandled rejection, every lookup
 * answers with a message a person can act on (never a stack trace), a digest names exactly the
 * zones that stayed broken, the requests per call stay bounded, and one 429 pauses every caller.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloudflareRateLimitKeys } from '../../src/cloudflare/rate-limiter.js';
import { SLOW_NOTICE_TEXT } from '../../src/slack/lookup-deadline.js';
import {
  associateOnOneCertificate,
  deletePrefix,
  expiresInDays,
  FAST_QUEUE,
  messageText,
  NOW,
  startTunedTestApp,
  waitForCompleteDigest,
  zoneId,
} from '../integration/digest/support.js';
import { SIGNING_SECRET, type TestApp } from '../support/app-harness.js';
import {
  FAKE_API_TOKEN,
  type FakeCloudflare,
  type FakeOutcome,
  type FakeRequest,
  startFakeCloudflare,
} from '../support/fake-cloudflare.js';
import { type FakeSlack, sendSlashCommand, startFakeSlack } from '../support/fake-slack.js';
import { connectTestRedis } from '../support/redis.js';
import { waitForQueuesIdle } from '../support/runs.js';
import { scenarioFigures } from './figures.js';

const figures = scenarioFigures('4-cloudflare-faults');
const LOOKUP_ZONE = zoneId(0xe0);
/** What must never reach a person: a stack frame, a source location, a raw JS error name or a credential. */
const STACK_TRACE =
  /\bat [\w.<>]+ \(|\.(?:ts|js):\d+|node:internal|\b(?:TypeError|ReferenceError|SyntaxError)\b/;

let unhandledRejections = 0;
const countRejection = () => {
  unhandledRejections += 1;
};

let slack: FakeSlack;
let cloudflare: FakeCloudflare;
const apps: TestApp[] = [];

// ---------------------------------------------------------------------------------------------
// Faults scoped to one hostname or zone (the fake's own `inject` is scoped to a route across zones)

interface AnsweredRequest {
  path: string;
  query: Record<string, string>;
  /** HTTP status, or what happened instead. */
  outcome: number | 'hang' | 'reset';
  atMs: number;
}

interface ScopedFaults {
  add(match: (request: FakeRequest) => boolean, outcome: FakeOutcome, times?: number): void;
  clear(): void;
  /** Every request with what it was answered, oldest first. */
  answered: AnsweredRequest[];
}

function installScopedFaults(fake: FakeCloudflare): ScopedFaults {
  const original = fake.handle.bind(fake);
  const faults: Array<{ match: (request: FakeRequest) => boolean; outcome: FakeOutcome; remaining: number }> =
    [];
  const answered: AnsweredRequest[] = [];
  fake.handle = (request) => {
    const queued = faults.find((fault) => fault.remaining > 0 && fault.match(request));
    let outcome: FakeOutcome;
    if (queued) {
      queued.remaining -= 1;
      // Recorded like any other request, so counts include the faulted ones.
      fake.requests.push({ ...request, route: null, atMs: Date.now() });
      outcome = queued.outcome;
    } else outcome = original(request);
    answered.push({
      path: request.path,
      query: request.query,
      outcome: outcome.kind === 'respond' ? outcome.status : outcome.kind,
      atMs: Date.now(),
    });
    return outcome;
  };
  return {
    answered,
    add(match, outcome, times = Number.POSITIVE_INFINITY) {
      faults.push({ match, outcome, remaining: times });
    },
    clear() {
      faults.length = 0;
    },
  };
}

function jsonFailure(
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): FakeOutcome {
  return {
    kind: 'respond',
    status,
    headers: { 'content-type': 'application/json', ...headers },
    rawBody: JSON.stringify({ success: false, errors: [{ code, message }], messages: [], result: null }),
  };
}

const serverError = (status: number) => jsonFailure(status, 10001, 'Internal server error');
const edgeErrorPage = (status: number): FakeOutcome => ({
  kind: 'respond',
  status,
  headers: { 'content-type': 'text/html' },
  rawBody: `<html><body><h1>${status} Bad Gateway</h1>cloudflare</body></html>`,
});
const notJson = (rawBody: string): FakeOutcome => ({
  kind: 'respond',
  status: 200,
  headers: { 'content-type': 'application/json' },
  rawBody,
});
const rateLimited = (retryAfterSeconds: number) =>
  jsonFailure(429, 971, 'Please wait and consider throttling your request speed', {
    'retry-after': String(retryAfterSeconds),
  });
const forbidden = () => jsonFailure(403, 10000, 'Authentication error');
const HANG: FakeOutcome = { kind: 'hang' };
const RESET: FakeOutcome = { kind: 'reset' };

const forHostname = (hostname: string) => (request: FakeRequest) =>
  request.path.endsWith(`/origin_tls_client_auth/hostnames/${hostname}`);
const forZone = (zone: string, route?: 'hostnames' | 'certificates') => (request: FakeRequest) => {
  if (!request.path.startsWith(`/zones/${zone}/`)) return false;
  if (route === 'hostnames') return request.path.endsWith('/origin_tls_client_auth/hostnames');
  if (route === 'certificates') return request.path.endsWith('/hostnames/certificates');
  return true;
};

// ---------------------------------------------------------------------------------------------

async function boot(file: Record<string, unknown>, clock: (() => Date) | null = () => NOW): Promise<TestApp> {
  const app = await startTunedTestApp({
    slackApiUrl: slack.apiUrl,
    cloudflareBaseUrl: cloudflare.baseUrl,
    ...(clock ? { clock } : {}),
    tuning: { queue: FAST_QUEUE, slackChannelIntervalMs: 20 },
    file: {
      timezone: 'Europe/Berlin',
      digest: { schedule: '0 0 1 1 *', channels: [] },
      ...file,
    },
  });
  apps.push(app);
  return app;
}

/** `/aop-status text`: the ack and the answer posted to its response_url (after the slow notice, if any). */
async function lookup(app: TestApp, text: string) {
  const responseUrl = slack.responseUrl();
  const startedMs = Date.now();
  const ack = await sendSlashCommand(app.url, SIGNING_SECRET, { text, response_url: responseUrl });
  const post = await slack.waitFor(
    () => slack.responsesTo(responseUrl).find((candidate) => candidate.body.text !== SLOW_NOTICE_TEXT),
    { timeoutMs: 20_000, what: `the answer to /aop-status ${text}` },
  );
  const body = post?.body as { text?: string; blocks?: unknown[] };
  return {
    ack,
    text: `${body.text ?? ''}\n${JSON.stringify(body.blocks ?? [])}`,
    answeredAfterMs: (post?.at ?? Date.now()) - startedMs,
  };
}

beforeAll(async () => {
  process.on('unhandledRejection', countRejection);
  slack = await startFakeSlack();
  cloudflare = await startFakeCloudflare();
});

afterAll(async () => {
  process.off('unhandledRejection', countRejection);
  for (const app of apps) {
    await app.stop();
    await deletePrefix(app.prefix);
  }
  await slack?.close();
  await cloudflare?.close();
});

describe('Cloudflare misbehaving', () => {
  let app: TestApp;
  /** The app of the digest test, whose zones the expired-token digest checks again. */
  let digestApp: TestApp;
  let faults: ScopedFaults;

  beforeAll(async () => {
    faults = installScopedFaults(cloudflare);
    cloudflare.state.addZone({ id: LOOKUP_ZONE, name: 'example.com' });
    const hostnames = Array.from({ length: 16 }, (_, index) => `h${index}.example.com`);
    associateOnOneCertificate(cloudflare, LOOKUP_ZONE, hostnames, { expires_on: expiresInDays(200) });
    app = await boot({
      zones: [{ id: LOOKUP_ZONE, name: 'example.com' }],
      cloudflare: { request_timeout_seconds: 0.3, rate_limit: { requests: 10_000, per_seconds: 300 } },
    });
  });

  it('answers every lookup with the card once a fault passes, or with a plain message when it does not', async () => {
    type Case = { fault: string; outcomes: FakeOutcome[]; expect: 'card' | string[]; statusRequests: number };
    const cases: Case[] = [
      {
        fault: '503 burst, then well',
        outcomes: [serverError(503), serverError(503)],
        expect: 'card',
        statusRequests: 3,
      },
      {
        fault: '500, 502, 503 in a row',
        outcomes: [serverError(500), serverError(502), serverError(503)],
        expect: [
          'Cloudflare had a server error (HTTP 503',
          'after 3 attempt(s)',
          'try again in a few minutes',
        ],
        statusRequests: 3,
      },
      {
        fault: "the edge's 502 HTML page, three times",
        outcomes: [edgeErrorPage(502), edgeErrorPage(502), edgeErrorPage(502)],
        expect: ['Cloudflare had a server error (HTTP 502'],
        statusRequests: 3,
      },
      { fault: 'one hang past the timeout', outcomes: [HANG], expect: 'card', statusRequests: 2 },
      {
        fault: 'hangs on every attempt',
        outcomes: [HANG, HANG, HANG],
        expect: ['did not answer', 'within 300 ms (3 attempt(s))', 'try again in a minute'],
        statusRequests: 3,
      },
      { fault: 'one connection reset', outcomes: [RESET], expect: 'card', statusRequests: 2 },
      {
        fault: 'resets on every attempt',
        outcomes: [RESET, RESET, RESET],
        expect: ['Could not reach Cloudflare', 'connection reset', '(3 attempt(s))'],
        statusRequests: 3,
      },
      {
        fault: 'an HTML login page with status 200',
        outcomes: [notJson('<html><body>Please sign in</body></html>')],
        expect: ['but the body is not JSON', 'CLOUDFLARE_API_BASE_URL'],
        statusRequests: 1,
      },
      {
        fault: 'truncated JSON',
        outcomes: [notJson('{"success":true,"result":{"hostname":')],
        expect: ['but the body is not JSON'],
        statusRequests: 1,
      },
      {
        fault: 'JSON that is not an envelope',
        outcomes: [notJson('{"hello":"world"}')],
        expect: ['the body is not a Cloudflare API envelope'],
        statusRequests: 1,
      },
      {
        fault: 'a result of the wrong shape',
        outcomes: [notJson('{"success":true,"errors":[],"messages":[],"result":[1,2,3]}')],
        expect: ['its result is not a hostname status object'],
        statusRequests: 1,
      },
      {
        fault: '429 with retry-after 1, once',
        outcomes: [rateLimited(1)],
        expect: 'card',
        statusRequests: 2,
      },
      {
        fault: '403: the token lacks the permission',
        outcomes: [forbidden()],
        expect: ['Cloudflare refused access (HTTP 403', 'SSL and Certificates Read'],
        statusRequests: 1,
      },
    ];
    // Each case has its own hostname and its own faults, so they can all run at once.
    const results = await Promise.all(
      cases.map(async (testCase, index) => {
        const hostname = `h${index}.example.com`;
        for (const outcome of testCase.outcomes) faults.add(forHostname(hostname), outcome, 1);
        const answer = await lookup(app, hostname);
        const statusRequests = cloudflare.requests.filter((request) => forHostname(hostname)(request)).length;
        return { testCase, hostname, answer, statusRequests };
      }),
    );

    const requestsPerHostname: Record<string, number> = {};
    for (const { testCase, hostname, answer, statusRequests } of results) {
      requestsPerHostname[`${hostname} (${testCase.fault})`] = statusRequests;
      expect(answer.ack, testCase.fault).toMatchObject({ status: 200, body: '' });
      expect(answer.text, testCase.fault).not.toMatch(STACK_TRACE);
      expect(answer.text, testCase.fault).not.toContain(
        FAKE_API_TOKEN.scheme === 'api_token' ? FAKE_API_TOKEN.token : '',
      );
      if (testCase.expect === 'card') {
        expect(answer.text, testCase.fault).toContain(`${hostname}`);
        expect(answer.text, testCase.fault).toContain('aop_lookup_refresh');
      } else {
        expect(answer.text, testCase.fault).toContain(
          `Could not check ${hostname}: the Cloudflare request failed`,
        );
        for (const phrase of testCase.expect) expect(answer.text, testCase.fault).toContain(phrase);
      }
      expect(statusRequests, `${testCase.fault}: requests for ${hostname}`).toBe(testCase.statusRequests);
    }
    const rateLimitedCase = results.find((result) => result.testCase.fault.startsWith('429'));
    expect(rateLimitedCase?.answer.answeredAfterMs).toBeGreaterThanOrEqual(1000);
    figures.record('lookup_max_requests_per_call', Math.max(...Object.values(requestsPerHostname)), {
      note: 'hostname status requests for one lookup; bounded by the 3 attempts of the client',
      details: requestsPerHostname,
    });
    figures.record('lookup_fault_cases_answered_plainly', results.length, { note: `of ${cases.length}` });
  });

  it('names the expired token, not a missing permission, whatever the lookup needs first', async () => {
    const accepted = cloudflare.state.credentials;
    cloudflare.state.credentials = [];
    try {
      const before = cloudflare.requests.length;
      const known = await lookup(app, 'h14.example.com');
      // A hostname outside the configured zones: its zone is looked up by name first.
      const unknown = await lookup(app, 'app.elsewhere.org');
      for (const answer of [known, unknown]) {
        expect(answer.ack).toMatchObject({ status: 200, body: '' });
        expect(answer.text).toContain('Cloudflare did not accept the API credentials (HTTP 401');
        expect(answer.text).toContain('CLOUDFLARE_API_TOKEN');
        expect(answer.text).not.toContain('Zone Read');
        expect(answer.text).not.toMatch(STACK_TRACE);
      }
      // A 401 is final: one request per call, never retried.
      expect(cloudflare.requests.length - before).toBe(5);
      figures.record('expired_token_requests', cloudflare.requests.length - before, {
        note: 'two lookups (status, two zone switches and the zone certificates; one zone search): never retried',
      });
    } finally {
      cloudflare.state.credentials = accepted;
    }
    const recovered = await lookup(app, 'h15.example.com');
    expect(recovered.text).toContain('aop_lookup_refresh');
  });

  it('posts a digest that says "not checked" for exactly the zones that stayed broken', async () => {
    const zones = {
      healthy: zoneId(0xd1),
      burst: zoneId(0xd2),
      down: zoneId(0xd3),
      slow: zoneId(0xd4),
      flaky: zoneId(0xd5),
      locked: zoneId(0xd6),
      limited: zoneId(0xd7),
    };
    for (const [name, id] of Object.entries(zones)) {
      cloudflare.state.addZone({ id, name: `${name}.test` });
      associateOnOneCertificate(cloudflare, id, [`app.${name}.test`], { expires_on: expiresInDays(3) });
    }
    faults.add(forZone(zones.burst, 'hostnames'), serverError(502), 2);
    faults.add(forZone(zones.burst, 'certificates'), serverError(503), 1);
    faults.add(forZone(zones.down), serverError(500));
    faults.add(forZone(zones.slow), HANG);
    faults.add(forZone(zones.flaky, 'hostnames'), RESET, 1);
    faults.add(forZone(zones.flaky, 'certificates'), notJson('<html>maintenance</html>'), 1);
    faults.add(forZone(zones.locked), forbidden());
    faults.add(forZone(zones.limited, 'hostnames'), rateLimited(1), 1);
    digestApp = await boot({
      zones: Object.entries(zones).map(([name, id]) => ({ id, name: `${name}.test` })),
      cloudflare: { request_timeout_seconds: 0.3, rate_limit: { requests: 10_000, per_seconds: 300 } },
    });
    const logsBefore = digestApp.logs.length;

    await digestApp.service.queues.requestDigest('C0DIGEST', 'U0ONCALL');
    const { parent } = await waitForCompleteDigest(slack, 'C0DIGEST', { timeoutMs: 40_000 });
    await waitForQueuesIdle(digestApp, { timeoutMs: 10_000 });
    faults.clear();

    const text = messageText(parent);
    const notChecked = text
      .split('\n')
      .filter((line) => line.includes('the zone could not be listed'))
      .map((line) => /\*([a-z]+\.test)\*/.exec(line)?.[1]);
    expect(notChecked.sort()).toEqual(['down.test', 'locked.test', 'slow.test']);
    const lineOf = (zone: string) => text.split('\n').find((line) => line.includes(`*${zone}*`)) ?? '';
    expect(lineOf('down.test')).toContain('Cloudflare had a server error (HTTP 500');
    expect(lineOf('slow.test')).toContain('did not answer');
    expect(lineOf('locked.test')).toContain('SSL and Certificates Read');
    for (const zone of ['healthy', 'burst', 'flaky', 'limited']) expect(text).toContain(`*app.${zone}.test*`);
    expect(parent.metadata?.event_payload).toMatchObject({
      zones_total: 7,
      zones_checked: 4,
      zones_not_listed: 3,
      critical: 4,
    });
    expect(text).not.toMatch(STACK_TRACE);

    const perZoneRoute: Record<string, number> = {};
    for (const [name, id] of Object.entries(zones)) {
      for (const route of ['hostnames', 'certificates'] as const) {
        perZoneRoute[`${name}.test ${route}`] = cloudflare.requests.filter((request) =>
          forZone(id, route)(request),
        ).length;
      }
    }
    // Three client attempts per call, three job attempts per zone: a zone that stays down costs 9 per list.
    expect(perZoneRoute['down.test hostnames']).toBe(9);
    expect(perZoneRoute['slow.test hostnames']).toBe(9);
    expect(perZoneRoute['locked.test hostnames']).toBe(1);
    expect(Math.max(...Object.values(perZoneRoute))).toBe(9);
    const retryAttempts = digestApp.logs
      .slice(logsBefore)
      .filter((line) => line.msg === 'Cloudflare request failed; retrying')
      .map((line) => Number(line.attempt));
    figures.record('digest_max_requests_per_zone_list', Math.max(...Object.values(perZoneRoute)), {
      note: '3 client attempts x 3 zone-check job attempts',
      details: perZoneRoute,
    });
    figures.record('max_attempts_per_call', Math.max(...retryAttempts) + 1, {
      note: 'client maxAttempts is 3',
    });
    expect(Math.max(...retryAttempts) + 1).toBe(3);
  });

  it('says every zone was not checked, and why, when the token has expired', async () => {
    const accepted = cloudflare.state.credentials;
    cloudflare.state.credentials = [];
    try {
      await digestApp.service.queues.requestDigest('C0EXPIRED', 'U0ONCALL');
      const { parent } = await waitForCompleteDigest(slack, 'C0EXPIRED', { timeoutMs: 20_000 });
      const text = messageText(parent);
      const notChecked = text.split('\n').filter((line) => line.includes('the zone could not be listed'));
      expect(notChecked).toHaveLength(7);
      for (const line of notChecked) {
        expect(line).toContain('Cloudflare did not accept the API credentials (HTTP 401');
        expect(line).toContain('`cloudflare_unauthorized`');
      }
    } finally {
      cloudflare.state.credentials = accepted;
    }
  });

  it('answers /healthz after all of it', async () => {
    const response = await fetch(`${app.url}/healthz`);
    expect(response.status).toBe(200);
  });
});

/**
 * Cloudflare counts every request of the account, the dashboard's too, so a 429 can come while the
 * bot is within its own budget. Once one call hears "wait", the shared pause must hold back every
 * other caller until the wait is over. Run twice: on the wall clock, and with a fixed domain clock
 * as the tests and the demo use (the pause is about real time whatever the domain clock says).
 */
describe.each([
  { clockName: 'the wall clock', clock: null, zoneIndex: 0xc0 },
  { clockName: 'a fixed domain clock', clock: () => NOW, zoneIndex: 0xc1 },
])('one 429 pauses every caller ($clockName)', ({ clockName, clock, zoneIndex }) => {
  it('sends nothing that meets another 429 once Cloudflare has said to wait', async () => {
    const zone = zoneId(zoneIndex);
    const zoneName = `busy${zoneIndex}.test`;
    cloudflare.state.addZone({ id: zone, name: zoneName });
    const hostnames = Array.from({ length: 5 }, (_, index) => `b${index}.${zoneName}`);
    associateOnOneCertificate(cloudflare, zone, hostnames, { expires_on: expiresInDays(200) });
    // Our budget (8 per 2 s) stays below Cloudflare's (10 per 1 s) in every window, request latency
    // included, so only someone else's use can cause a 429.
    const app = await boot(
      { zones: [], cloudflare: { request_timeout_seconds: 2, rate_limit: { requests: 8, per_seconds: 2 } } },
      clock,
    );
    const faults = installScopedFaults(cloudflare);
    cloudflare.options.rateLimit = { requests: 10, windowMs: 1000 };
    try {
      // The bot's own requests: the dashboard's are not the bot's doing.
      const botRequests = () => faults.answered.filter((request) => request.query?.name !== 'dashboard.test');
      // Let the fake's window forget the previous case's requests, so only the dashboard fills it.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      // "The dashboard" spends the whole window just before the bot asks.
      const token = FAKE_API_TOKEN.scheme === 'api_token' ? FAKE_API_TOKEN.token : '';
      await Promise.all(
        Array.from({ length: 10 }, () =>
          fetch(`${cloudflare.baseUrl}/zones?name=dashboard.test`, {
            headers: { authorization: `Bearer ${token}` },
          }).then((response) => response.text()),
        ),
      );
      // The zone is outside the config, so the first lookup's first request is a single zone search.
      const first = lookup(app, hostnames[0] as string);
      await slack.waitFor(() => botRequests().some((request) => request.outcome === 429), {
        what: 'the first 429',
      });
      const firstAt = botRequests().find((request) => request.outcome === 429)?.atMs ?? 0;
      // The pause is shared through Redis: every process sees it, not just this one.
      const redis = connectTestRedis();
      let pausedUntil: number;
      try {
        const pausedUntilKey = cloudflareRateLimitKeys(app.prefix).pausedUntil;
        for (let polls = 0; polls < 40 && (await redis.get(pausedUntilKey)) === null; polls += 1)
          await new Promise((resolve) => setTimeout(resolve, 5));
        pausedUntil = Number(await redis.get(pausedUntilKey));
      } finally {
        redis.disconnect();
      }
      // Everyone else asks during the pause: four more lookups at once.
      const others = hostnames.slice(1).map((hostname) => lookup(app, hostname));
      const answers = await Promise.all([first, ...others]);

      const tooMany = botRequests().filter((request) => request.outcome === 429);
      const after = tooMany.filter((request) => request.atMs > firstAt);
      const sentDuringPause = botRequests().filter(
        (request) => request.atMs > firstAt && request.atMs < firstAt + 900,
      );
      const suffix = clock ? 'fixed_domain_clock' : 'wall_clock';
      figures.record(`cloudflare_429_after_the_first_${suffix}`, after.length, {
        note: `must be 0 (${clockName})`,
      });
      figures.record(`requests_sent_during_the_pause_${suffix}`, sentDuringPause.length, {
        note: 'must be 0',
      });
      figures.record(
        `requests_after_the_first_429_${suffix}`,
        botRequests().filter((request) => request.atMs > firstAt).length,
        { note: '5 lookups through the shared limiter' },
      );
      expect(pausedUntil, 'the shared pause in Redis').toBeGreaterThan(firstAt);
      expect(after).toEqual([]);
      expect(sentDuringPause).toEqual([]);
      expect(tooMany).toHaveLength(1);
      for (const answer of answers) expect(answer.text).toContain('aop_lookup_refresh');
    } finally {
      delete cloudflare.options.rateLimit;
    }
  });
});

describe('the process', () => {
  it('saw no unhandled rejection through every fault', () => {
    figures.record('unhandled_rejections', unhandledRejections, { note: 'must be 0' });
    expect(unhandledRejections).toBe(0);
  });
});
