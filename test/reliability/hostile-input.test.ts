/**
 * Scenario 6 of issue 5: hostile input. A thousand generated slash-command texts (seeded, so a
 * failure can be replayed) and a few hundred tampered button clicks, sent signed, twenty at a
 * time. Every one is answered with HTTP 200 within Slack's 3 seconds; no ack, response_url post or
 * Slack message carries a live mention or broadcast; and no Cloudflare request path carries
 * anything but a valid hostname and zone id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Command, parseCommandText } from '../../src/domain/command.js';
import { parseHostname, parseZoneId } from '../../src/domain/hostname.js';
import { ACTION_IDS, encodeLookupValue } from '../../src/slack/ids.js';
import { SIGNING_SECRET, startTestApp, type TestApp } from '../support/app-harness.js';
import { FAKE_API_TOKEN, type FakeCloudflare, startFakeCloudflare } from '../support/fake-cloudflare.js';
import {
  blockActionPayload,
  type FakeSlack,
  sendSlashCommand,
  slackSignatureHeaders,
  startFakeSlack,
} from '../support/fake-slack.js';
import { connectTestRedis, deleteKeysWithPrefix } from '../support/redis.js';
import { waitForQueuesIdle } from '../support/runs.js';
import { scenarioFigures } from './figures.js';

const figures = scenarioFigures('6-hostile-input');
const SEED = 0x5eed_2026;
const COMMANDS = 1000;
const IN_FLIGHT = 20;
const ACK_BUDGET_MS = 3000;
const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';

/**
 * Mentions and broadcasts that would ping people if they reached Slack with a literal `<`.
 * Escaped output reads `&lt;!channel&gt;`, which this does not match.
 */
const LIVE_MENTION = /<(?:!channel|!here|!everyone|!subteam|@|#)/i;
/** A link or mailto that would render clickable: the bot writes none from user input. */
const LIVE_LINK = /<(?:https?:|mailto:|tel:)/i;

let slack: FakeSlack;
let cloudflare: FakeCloudflare;
let app: TestApp;

beforeAll(async () => {
  slack = await startFakeSlack();
  cloudflare = await startFakeCloudflare();
  const zone = cloudflare.state.addZone({ id: ZONE_ID, name: 'example.com' });
  const certificate = cloudflare.state.addCertificate(zone.id, { expires_on: '2027-06-01T00:00:00Z' });
  for (const hostname of ['app.example.com', 'api.example.com', 'xn--bcher-kva.example.com'])
    cloudflare.state.associate(zone.id, { hostname, cert_id: certificate.id });
  const other = cloudflare.state.addZone({ name: 'other.org' });
  cloudflare.state.associate(other.id, {
    hostname: 'shop.other.org',
    cert_id: cloudflare.state.addCertificate(other.id, { expires_on: '2026-12-24T00:00:00Z' }).id,
  });
  app = await startTestApp({
    slackApiUrl: slack.apiUrl,
    cloudflareBaseUrl: cloudflare.baseUrl,
    file: {
      zones: [{ id: ZONE_ID, name: 'example.com' }],
      digest: { schedule: '0 0 1 1 *', channels: [] },
      cloudflare: { rate_limit: { requests: 100_000, per_seconds: 300 } },
    },
  });
});

afterAll(async () => {
  await app?.stop();
  await slack?.close();
  await cloudflare?.close();
  const redis = connectTestRedis();
  await deleteKeysWithPrefix(redis, app.prefix);
  redis.disconnect();
});

// ---------------------------------------------------------------------------------------------
// A seeded generator of hostile text

/** mulberry32: small, fast and good enough to make reproducible noise. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MENTIONS = [
  '<!channel>',
  '<!here>',
  '<!everyone>',
  '<@U123>',
  '<@U0ONCALL|oncall>',
  '<#C123>',
  '<#C123|general>',
  '<!subteam^S1>',
  '<!subteam^S1|@oncall>',
  '<!date^1700000000^{date}|x>',
  '&lt;!channel&gt;',
  '&lt;@U123&gt;',
  '<https://evil.example|click me>',
  '<mailto:a@b.c|mail>',
  '<http://app.example.com|<!here>>',
];
const MARKUP = [
  '*bold*',
  '_it_',
  '~gone~',
  '`code`',
  '```block```',
  '> quote',
  '•',
  '&amp;',
  '&',
  '<',
  '>',
  '|',
];
const PATHS = [
  '../',
  '../../etc/passwd',
  '..%2f..%2f',
  '%2e%2e%2f',
  '%00',
  '%0d%0a',
  'a%2Fb',
  '/zones',
  '?x=1',
  '#frag',
];
const VALID = [
  'app.example.com',
  'API.Example.COM.',
  'api.example.com example.com',
  `app.example.com ${ZONE_ID}`,
  'shop.other.org',
  '<http://app.example.com|app.example.com>',
  'https://app.example.com/path?q=1',
  'bücher.example.com',
  '*.example.com',
  'missing.example.com',
  'deep.sub.app.example.com',
];
const KEYWORDS = [
  'help',
  'list',
  'watch',
  'unwatch',
  'digest',
  'HELP',
  'Watch',
  'subscribe',
  'unsubscribe',
  'route',
  'zones',
];
/** Code point ranges: ASCII, C0/C1 controls, Hebrew, Arabic, combining marks, zero-width, bidi, astral. */
const RANGES: Array<[number, number]> = [
  [0x20, 0x7e],
  [0x00, 0x1f],
  [0x7f, 0x9f],
  [0x0590, 0x05ff],
  [0x0600, 0x06ff],
  [0x0300, 0x036f],
  [0x200b, 0x200f],
  [0x2028, 0x202e],
  [0x2066, 0x2069],
  [0xfeff, 0xfeff],
  [0xff01, 0xff5e],
  [0x1f300, 0x1faff],
  [0x1d400, 0x1d7ff],
  [0x20000, 0x2a6df],
];
const SEPARATORS = [' ', ' ', ' ', '\t', '\n', '', '\u00a0', '\u3000', '\u200b'];

/** The generator's branches: a run that never took one of them did not test what it claims. */
const GENERATOR_BRANCHES = [
  'mention',
  'markup',
  'path',
  'valid',
  'keyword',
  'keyword_argument',
  'url_encoded',
  'unicode_label',
  'mention_label',
  'unicode',
  'well_formed',
  'ten_kilobytes',
  'fragments',
] as const;
type GeneratorBranch = (typeof GENERATOR_BRANCHES)[number];

/** Every kind of command the parser can return; the generated texts must reach each one. */
const COMMAND_KINDS: ReadonlyArray<Command['kind']> = [
  'lookup',
  'help',
  'list',
  'route',
  'digest',
  'watch',
  'unwatch',
  'subscribe',
  'unsubscribe',
  'zones',
  'invalid',
];

function hostileTexts(
  count: number,
  random: () => number,
  branchesTaken: Map<GeneratorBranch, number> = new Map(),
): string[] {
  const took = <T>(branch: GeneratorBranch, value?: T): T => {
    branchesTaken.set(branch, (branchesTaken.get(branch) ?? 0) + 1);
    return value as T;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const unicode = (length: number) => {
    let text = '';
    for (let index = 0; index < length; index += 1) {
      const [low, high] = pick(RANGES);
      text += String.fromCodePoint(low + Math.floor(random() * (high - low + 1)));
    }
    return text;
  };
  const fragment = (): string => {
    const kind = random();
    if (kind < 0.2) return took('mention', pick(MENTIONS));
    if (kind < 0.3) return took('markup', pick(MARKUP));
    if (kind < 0.4) return took('path', pick(PATHS));
    if (kind < 0.55) return took('valid', pick(VALID));
    if (kind < 0.62) return took('keyword', pick(KEYWORDS));
    if (kind < 0.7) return took('keyword_argument', `${pick(KEYWORDS)} ${pick([...VALID, ...MENTIONS])}`);
    if (kind < 0.75) return took('url_encoded', encodeURIComponent(pick([...VALID, ...MENTIONS])));
    if (kind < 0.8) return took('unicode_label', `${unicode(3)}.example.com`);
    if (kind < 0.85) return took('mention_label', `${pick(MENTIONS)}.example.com`);
    took('unicode');
    return unicode(1 + Math.floor(random() * 40));
  };
  const texts: string[] = [
    // The cases a reviewer would write by hand come first.
    ...MENTIONS,
    ...MENTIONS.map((mention) => `watch ${mention}`),
    ...MENTIONS.map((mention) => `app.example.com ${mention}`),
    'A'.repeat(10_240),
    `${'<!channel> '.repeat(1000)}`,
    `app.example.com ${'x'.repeat(10_000)}`,
    'é'.repeat(13_000),
    '\u0000\u0001\u0007\u001b[31mred\u001b[0m',
    '\u202eexample.com.app\u202c',
    'app\u200b.example.com',
    // Each keyword alone once: joined with noise most become usage errors, and a run that never
    // reached a command kind would not test it.
    ...KEYWORDS,
    '```<!channel>```',
    '`<!here>`',
    '*<!everyone>*',
    '',
    '   ',
  ];
  while (texts.length < count) {
    const roll = random();
    if (roll < 0.2) {
      // Well-formed commands, so that lookups, zone searches and inventory changes run for real.
      took('well_formed');
      texts.push(
        random() < 0.7 ? pick(VALID) : `${pick(['watch', 'unwatch', 'list', 'digest'])} ${pick(VALID)}`,
      );
      continue;
    }
    if (roll < 0.23) {
      // 10 KB of one fragment, repeated.
      took('ten_kilobytes');
      const unit = `${fragment()} `;
      texts.push(unit.repeat(Math.ceil(10_240 / Math.max(1, unit.length))).slice(0, 10_240));
      continue;
    }
    took('fragments');
    const parts = 1 + Math.floor(random() * 5);
    let text = '';
    for (let index = 0; index < parts; index += 1)
      text += `${index > 0 ? pick(SEPARATORS) : ''}${fragment()}`;
    texts.push(text);
  }
  return texts.slice(0, count);
}

// ---------------------------------------------------------------------------------------------

/** Runs `task` for every item with at most `limit` in flight. */
async function inPool<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
) {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await task(items[index] as T, index);
      }
    }),
  );
  return results;
}

/** Every string inside a JSON value (texts, fields, button values, alt texts …). */
function stringsIn(value: unknown, found: string[] = []): string[] {
  if (typeof value === 'string') found.push(value);
  else if (Array.isArray(value)) for (const item of value) stringsIn(item, found);
  else if (value !== null && typeof value === 'object')
    for (const item of Object.values(value)) stringsIn(item, found);
  return found;
}

function liveMarkup(value: unknown): string[] {
  return stringsIn(value).filter((text) => LIVE_MENTION.test(text) || LIVE_LINK.test(text));
}

/** Cloudflare requests whose path or zone query names anything but a valid, normalised hostname or zone id. */
function invalidCloudflareRequests(): string[] {
  const invalid: string[] = [];
  for (const request of cloudflare.requests) {
    const segments = request.path.split('/').slice(1);
    const [root, zoneId, area, sub, leaf] = segments;
    let ok = root === 'zones' && request.route !== null;
    if (ok && zoneId !== undefined) {
      const parsedZone = parseZoneId(decodeURIComponent(zoneId));
      ok = parsedZone.ok && parsedZone.zoneId === zoneId;
    }
    if (
      ok &&
      area === 'origin_tls_client_auth' &&
      sub === 'hostnames' &&
      leaf !== undefined &&
      leaf !== 'certificates'
    ) {
      const hostname = decodeURIComponent(leaf);
      const parsed = parseHostname(hostname);
      ok = parsed.ok && parsed.hostname === hostname;
    }
    if (ok && request.query.name !== undefined) {
      const parsed = parseHostname(request.query.name);
      ok = parsed.ok && parsed.hostname === request.query.name;
    }
    if (!ok) invalid.push(`${request.path}?${new URLSearchParams(request.query).toString()}`);
  }
  return invalid;
}

describe('hostile input', () => {
  it(`answers ${COMMANDS} generated slash texts in time, escaped, and asks Cloudflare only about valid hostnames`, async () => {
    const branchesTaken = new Map<GeneratorBranch, number>();
    const texts = hostileTexts(COMMANDS, seededRandom(SEED), branchesTaken);
    // The texts cover what this test claims: every branch of the generator, every command kind.
    expect(GENERATOR_BRANCHES.filter((branch) => !branchesTaken.has(branch))).toEqual([]);
    const kindsReached = new Set(texts.map((text) => parseCommandText(text).kind));
    expect(COMMAND_KINDS.filter((kind) => !kindsReached.has(kind))).toEqual([]);
    const responseUrls = texts.map(() => slack.responseUrl());
    const answers = await inPool(texts, IN_FLIGHT, (text, index) =>
      sendSlashCommand(app.url, SIGNING_SECRET, { text, response_url: responseUrls[index] as string }),
    );
    const deferred = answers.flatMap((answer, index) => (answer.body === '' ? [index] : []));
    await slack.waitFor(
      () => deferred.every((index) => slack.responsesTo(responseUrls[index] as string).length > 0),
      { timeoutMs: 30_000, what: 'an answer to every deferred command' },
    );
    await waitForQueuesIdle(app, { timeoutMs: 30_000 });

    const latencies = answers.map((answer) => answer.elapsedMs);
    const notOk = answers.flatMap((answer, index) =>
      answer.status === 200 && answer.elapsedMs < ACK_BUDGET_MS
        ? []
        : [{ index, text: texts[index]?.slice(0, 80), status: answer.status }],
    );
    const liveInAcks = answers.flatMap((answer, index) =>
      answer.body === ''
        ? []
        : liveMarkup(JSON.parse(answer.body)).map((text) => ({ index, text: text.slice(0, 120) })),
    );
    const liveInPosts = slack.responses.flatMap((post) =>
      liveMarkup(post.body).map((text) => text.slice(0, 120)),
    );
    const liveInMessages = slack.calls.flatMap((call) =>
      liveMarkup(call.args).map((text) => text.slice(0, 120)),
    );
    const invalidRequests = invalidCloudflareRequests();
    const token = FAKE_API_TOKEN.scheme === 'api_token' ? FAKE_API_TOKEN.token : '';
    const leaks = [
      ...answers.map((answer) => answer.body),
      ...slack.responses.map((post) => JSON.stringify(post.body)),
    ].filter((body) => body.includes(token));
    const mentionTexts = texts.filter((text) => /<[!@#]|&lt;[!@#]/.test(text)).length;

    figures.record('slash_texts_sent', texts.length, {
      details: {
        seed: SEED,
        inFlight: IN_FLIGHT,
        withMentionTokens: mentionTexts,
        over10kChars: texts.filter((text) => text.length >= 10_000).length,
      },
    });
    figures.record('slash_answered_200_within_3s', texts.length - notOk.length, {
      note: `of ${texts.length}`,
    });
    figures.record('slash_max_ack_latency_ms', Math.round(Math.max(...latencies)));
    figures.record('slash_deferred_then_answered', deferred.length, {
      note: 'acked empty, answered via response_url',
    });
    figures.record(
      'unescaped_mentions_or_links',
      liveInAcks.length + liveInPosts.length + liveInMessages.length,
      {
        note: 'must be 0 (acks, response_url posts, Slack API messages)',
      },
    );
    figures.record('cloudflare_requests', cloudflare.requests.length);
    figures.record('cloudflare_requests_with_invalid_hostname', invalidRequests.length, {
      note: 'must be 0',
      details: { sample: invalidRequests.slice(0, 5) },
    });

    expect(notOk).toEqual([]);
    expect(liveInAcks).toEqual([]);
    expect(liveInPosts).toEqual([]);
    expect(liveInMessages).toEqual([]);
    expect(invalidRequests).toEqual([]);
    expect(leaks).toEqual([]);
    // The run exercised what it claims: mentions, long texts and real lookups all went through.
    expect(mentionTexts).toBeGreaterThan(150);
    expect(cloudflare.requests.length).toBeGreaterThan(20);
    expect(deferred.length).toBeGreaterThan(100);
  });

  it('answers tampered and unknown button clicks in time, escaped, with no Cloudflare request for a bad value', async () => {
    const random = seededRandom(SEED + 1);
    const known = Object.values(ACTION_IDS);
    const goodValue = encodeLookupValue({ hostname: 'app.example.com', zoneId: ZONE_ID });
    const tamperedValues: Array<unknown> = [
      'not json',
      '{"v":1,"h":"app.example.com"',
      '[]',
      '{}',
      'null',
      '42',
      '{"v":2,"h":"app.example.com","z":"023e105f4ecef8ad9ca31a8372d0c353"}',
      '{"v":1,"h":123,"z":null}',
      '{"v":1,"h":["app.example.com"],"z":"023e105f4ecef8ad9ca31a8372d0c353"}',
      JSON.stringify({ v: 1, h: '<!channel>.example.com', z: ZONE_ID }),
      JSON.stringify({ v: 1, h: '../../etc/passwd', z: ZONE_ID }),
      JSON.stringify({ v: 1, h: 'app.example.com/../../zones', z: ZONE_ID }),
      JSON.stringify({ v: 1, h: 'App.Example.com', z: ZONE_ID }),
      JSON.stringify({ v: 1, h: 'app.example.com', z: '../settings' }),
      JSON.stringify({ v: 1, h: 'app.example.com', z: `${ZONE_ID}/settings` }),
      JSON.stringify({ v: 1, h: 'app.example.com', z: 'ZZZZ' }),
      JSON.stringify({ v: 1, e: '<!here>' }),
      JSON.stringify({ v: 1, e: '../x' }),
      JSON.stringify({ v: 1, e: 'x'.repeat(300) }),
      JSON.stringify({ v: 1, h: 'a'.repeat(5000), z: ZONE_ID }),
      'x'.repeat(10_000),
      '<!channel>',
      123,
      null,
      true,
      { nested: '<!channel>' },
      ['<!here>'],
    ];
    const payloads: Array<Record<string, unknown>> = [];
    const urls: string[] = [];
    const add = (payload: Record<string, unknown>, responseUrl: string) => {
      payloads.push(payload);
      urls.push(responseUrl);
    };
    for (const actionId of known) {
      for (const value of tamperedValues) {
        const responseUrl = slack.responseUrl();
        const payload = blockActionPayload({ actionId, value: 'placeholder', responseUrl });
        (payload.actions as Array<Record<string, unknown>>)[0] = {
          action_id: actionId,
          block_id: 'actions',
          type: 'button',
          action_ts: '1700000000.000001',
          ...(value === undefined ? {} : { value }),
        };
        add(payload, responseUrl);
      }
    }
    const unknownIds = [
      'aop_lookup_refresh ',
      'AOP_LOOKUP_REFRESH',
      'aop_lookup_refresh|aop_lookup_share',
      '.*',
      '(a+)+$',
      '<!channel>',
      'x'.repeat(10_000),
      '',
      '\u0000',
      'aop_alert_ack\n',
    ];
    for (let index = 0; index < 60; index += 1) {
      const actionId =
        index < unknownIds.length
          ? (unknownIds[index] as string)
          : Array.from({ length: 1 + Math.floor(random() * 30) }, () =>
              String.fromCodePoint(0x21 + Math.floor(random() * 0x2ff)),
            ).join('');
      const responseUrl = slack.responseUrl();
      add(blockActionPayload({ actionId, value: goodValue, responseUrl }), responseUrl);
    }
    // Wrong types where Slack always sends objects and strings.
    const shapes: Array<(payload: Record<string, unknown>) => void> = [
      (payload) => {
        payload.actions = [];
      },
      (payload) => {
        payload.actions = [{ action_id: ACTION_IDS.refreshLookup }];
      },
      (payload) => {
        payload.actions = [{ action_id: ACTION_IDS.shareLookup, value: goodValue, type: 'static_select' }];
      },
      (payload) => {
        payload.actions = [{ action_id: 42, value: goodValue, type: 'button' }];
      },
      (payload) => {
        payload.channel = { id: 42 };
        payload.container = { channel_id: ['C0ONCALL'] };
      },
      (payload) => {
        payload.message = 'not an object';
      },
      (payload) => {
        payload.user = { id: '<!channel>' };
      },
      (payload) => {
        payload.trigger_id = { nested: true };
      },
    ];
    for (const shape of shapes) {
      const responseUrl = slack.responseUrl();
      const payload = blockActionPayload({ actionId: ACTION_IDS.shareLookup, value: goodValue, responseUrl });
      shape(payload);
      add(payload, responseUrl);
    }
    // An oversized click: a 200 KB value, under the 256 KB the guard buffers.
    const bigUrl = slack.responseUrl();
    add(
      blockActionPayload({
        actionId: ACTION_IDS.refreshLookup,
        value: 'v'.repeat(200_000),
        responseUrl: bigUrl,
      }),
      bigUrl,
    );

    const cloudflareBefore = cloudflare.requests.length;
    // Bodies that are not a Slack payload at all are refused by Bolt with 400, quickly.
    const malformed = await Promise.all(
      ['payload=not-json', 'payload=%7B%22type%22', 'payload='].map(async (body) => {
        const response = await fetch(`${app.url}/slack/events`, {
          method: 'POST',
          headers: slackSignatureHeaders(SIGNING_SECRET, body),
          body,
        });
        await response.text();
        return response.status;
      }),
    );
    const answers = await inPool(payloads, IN_FLIGHT, async (payload, index) => {
      // Every body differs (its own response_url), so none is taken for a replay.
      const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
      const started = performance.now();
      const response = await fetch(`${app.url}/slack/events`, {
        method: 'POST',
        headers: slackSignatureHeaders(SIGNING_SECRET, body),
        body,
      });
      const text = await response.text();
      return { index, status: response.status, body: text, elapsedMs: performance.now() - started };
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await waitForQueuesIdle(app);

    const notOk = answers.filter((answer) => answer.status !== 200 || answer.elapsedMs >= ACK_BUDGET_MS);
    const posts = urls.flatMap((url) => slack.responsesTo(url));
    const live = [
      ...answers.flatMap((answer) => (answer.body ? liveMarkup(answer.body) : [])),
      ...posts.flatMap((post) => liveMarkup(post.body)),
    ];
    const newRequests = cloudflare.requests.slice(cloudflareBefore);
    const invalidRequests = invalidCloudflareRequests();
    figures.record('interactions_sent', payloads.length);
    figures.record('interactions_answered_200_within_3s', payloads.length - notOk.length, {
      note: `of ${payloads.length}`,
    });
    figures.record(
      'interactions_max_ack_latency_ms',
      Math.round(Math.max(...answers.map((answer) => answer.elapsedMs))),
    );
    figures.record('interaction_unescaped_mentions', live.length, { note: 'must be 0' });
    figures.record('interaction_cloudflare_requests', newRequests.length, {
      note: 'only the untampered values may look up (refresh/share with a valid value)',
    });

    figures.record('malformed_bodies_status', malformed.join(','), { note: 'not a Slack payload: 400' });
    expect(malformed).toEqual([400, 400, 400]);
    expect(notOk.map((answer) => ({ index: answer.index, status: answer.status }))).toEqual([]);
    expect(live).toEqual([]);
    expect(invalidRequests).toEqual([]);
    // Only clicks that carried the genuine value for app.example.com reached Cloudflare.
    for (const request of newRequests) expect(request.path).toMatch(new RegExp(`^/zones/${ZONE_ID}/`));
  });
});
