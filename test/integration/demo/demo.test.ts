import { describe, expect, it } from 'vitest';
import { ensureDemoRedis, freeLoopbackPort, MISSING_REDIS_SERVER } from '../../../src/demo/redis.js';
import { BUILDER_LINK_MARK, runDemo } from '../../../src/demo/run.js';
import type { DemoStandIns } from '../../../src/demo/stand-ins.js';
import { decodeBlockKitBuilderLink, MAX_BUILDER_LINK_CHARS } from '../../../src/render/block-kit-builder.js';
import {
  certificateFields,
  generateSelfSignedCertificate,
  startFakeCloudflare,
} from '../../support/fake-cloudflare.js';
import {
  appHomeOpenedEvent,
  type FakeSlack,
  sendEvent,
  sendSlashCommand,
  startFakeSlack,
} from '../../support/fake-slack.js';
import { connectTestRedis, testRedisUrl } from '../../support/redis.js';

// The demo loads these at run time (the build compiles src/ alone); this line fails to compile
// the day test/support stops matching what the demo expects of it.
({
  startFakeCloudflare,
  startFakeSlack,
  sendSlashCommand,
  sendEvent,
  appHomeOpenedEvent,
  generateSelfSignedCertificate,
  certificateFields,
}) satisfies DemoStandIns;

/** The text printed under a heading, up to the next heading or section. */
function messageUnder(output: string, heading: string): string {
  const start = output.indexOf(`━━ ${heading} `);
  if (start < 0) throw new Error(`no message headed "${heading}" in:\n${output}`);
  const body = output.slice(output.indexOf('\n', start) + 1);
  const end = body.search(/\n(━━ |▌ |━{20})/);
  const message = (end < 0 ? body : body.slice(0, end)).trim();
  // The Block Kit Builder line closes every message; the text above it is what Slack shows.
  return message.slice(0, message.lastIndexOf(`\n\n${BUILDER_LINK_MARK} `)).trim();
}

/** What the demo printed after each message: a Builder link, or why there is none. */
function builderLines(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith(`${BUILDER_LINK_MARK} `))
    .map((line) => line.slice(BUILDER_LINK_MARK.length + 1));
}

/** Message headings in print order: `/aop-status x → ack (…)`, `chat.postMessage #C… (…)`, … */
function headings(output: string): string[] {
  return [...output.matchAll(/\n━━ (.+?) ━+\n/g)].map((match) => match[1] ?? '');
}

describe('npm run demo', () => {
  it('runs the real app against the stand-ins and prints the card, the digest and the alert parents', async () => {
    let output = '';
    // The stand-ins the demo would load, watched: every ack body and every message Slack received.
    const ackBodies: string[] = [];
    let slack: FakeSlack | undefined;
    // The demo seeds app.demo.example to expire 200.5 days after it starts (src/demo/seed.ts), on
    // the real clock, so its date on the card depends on when the test runs.
    const seededExpiry = new Date(Date.now() + 200.5 * 86_400_000).toISOString().slice(0, 10);
    const summary = await runDemo({
      output: { write: (text: string) => (output += text) },
      env: { REDIS_URL: testRedisUrl() },
      standIns: {
        startFakeCloudflare,
        startFakeSlack: async () => {
          slack = await startFakeSlack();
          return slack;
        },
        sendSlashCommand: async (...args) => {
          const answer = await sendSlashCommand(...args);
          if (answer.body.trim() !== '') ackBodies.push(answer.body);
          return answer;
        },
        sendEvent,
        appHomeOpenedEvent,
        generateSelfSignedCertificate,
        certificateFields,
      },
    });

    // The status card, answered through the response_url.
    const card = messageUnder(output, '/aop-status app.demo.example → response_url (ephemeral)');
    expect(card.split('\n').slice(0, 8)).toEqual([
      '🟢 app.demo.example',
      '═══════════════════',
      '',
      'What Cloudflare presents to the origin',
      `This hostname's own certificate (per-hostname AOP), expires ${seededExpiry} (in 200 days).`,
      '',
      'OK',
      '• 🟢 Certificate valid for 200 more days',
    ]);
    expect(card).toContain('Zone: demo.example (de700000000000000000000000000001)');
    expect(card.split('\n').at(-1)).toBe('[Refresh] [Share in channel]');
    expect(
      messageUnder(output, '/aop-status pay.demo.example demo.example → response_url (ephemeral)'),
    ).toContain('• 🔴 Certificate expires in 3 days');

    // help and a bad input are answered in the ack itself.
    expect(messageUnder(output, '/aop-status help → ack (ephemeral)').split('\n')[0]).toBe(
      '/aop-status help',
    );
    expect(messageUnder(output, '/aop-status app..demo.example → ack (ephemeral)').split('\n')[0]).toBe(
      '⚠️ “app..demo.example” is not a valid hostname: It has an empty label (two dots in a row, or a leading dot).',
    );
    expect(messageUnder(output, '/aop-status list → response_url (ephemeral)').split('\n')[0]).toBe(
      'Watched hostnames: 13 in 3 zones, worst first',
    );

    // The digest, with every section, the shared certificate grouped, and the unreadable zone.
    const digest = messageUnder(output, 'chat.postMessage #C0DIGEST (digest)');
    const digestLines = digest.split('\n');
    expect(digestLines[0]).toMatch(/^AOP digest · \d{4}-\d{2}-\d{2} \(on request\)$/);
    expect(digestLines).toContain(
      '🔴 3 critical   🟠 4 warning   ❔ 1 unknown   🔵 3 disabled   🟢 2 healthy',
    );
    expect(digestLines).toContain('🔴 Critical — 3 hostnames');
    expect(digestLines).toContain('🟠 Warnings — 4 hostnames');
    expect(digestLines).toContain('❔ Unknown or could not be checked — 1 hostname');
    expect(digestLines).toContain('🔵 Disabled, voided or not associated — 3 hostnames');
    expect(digestLines).toContain('\u2003\u21B3 static.demo.example, www.demo.example');
    expect(digest).toContain('Give the API token the "SSL and Certificates Read" permission for this zone');

    // One alert parent per thing to fix (the shared certificate is one), the critical ones with the
    // configured mention; certificate threads get the runbook as their first reply.
    const parents = output.split('━━ chat.postMessage #C0ALERTS (alert parent) ').length - 1;
    expect(parents).toBe(6);
    expect(output).toContain('🟠 Warning: certificate for 2 hostnames expires in 12 days');
    const critical = output.slice(
      output.indexOf('🔴 Critical: certificate for 1 hostname expires in 3 days'),
    );
    expect(critical.split('\n').slice(0, 4)).toEqual([
      '🔴 Critical: certificate for 1 hostname expires in 3 days',
      '═════════════════════════════════════════════════════════',
      '',
      '@aop-oncall',
    ]);
    expect(output).toContain('[Acknowledge] [Snooze 24 h] [Refresh] [Hostnames]');

    // Under every message, a Block Kit Builder link that decodes back to exactly the blocks Slack
    // was given, in print order: acks, then response_url posts, then Web API calls (the Home tab's
    // views.publish last), each in turn.
    if (!slack) throw new Error('the demo did not start the Slack stand-in');
    const posted: Record<'ack' | 'response_url' | 'web_api', Record<string, unknown>[]> = {
      ack: ackBodies.map((body) => ({ blocks: (JSON.parse(body) as { blocks?: unknown[] }).blocks ?? [] })),
      response_url: slack.responses.map((post) => ({ blocks: post.body.blocks ?? [] })),
      web_api: slack.calls.flatMap((call) => {
        if (call.method === 'chat.postMessage' || call.method === 'chat.update') {
          return [{ blocks: call.args.blocks ?? [] }];
        }
        if (call.method === 'views.publish') {
          return [{ type: 'home', blocks: (call.args.view as { blocks?: unknown[] }).blocks ?? [] }];
        }
        return [];
      }),
    };
    const expected = headings(output).map((title) => {
      const source = title.includes('→ ack')
        ? 'ack'
        : title.includes('→ response_url')
          ? 'response_url'
          : 'web_api';
      return posted[source].shift();
    });
    expect(Object.values(posted).flat()).toEqual([]);
    const lines = builderLines(output);
    expect(lines).toHaveLength(expected.length);
    let linked = 0;
    lines.forEach((line, index) => {
      const surface = expected[index];
      if (line.startsWith('Open in Block Kit Builder: ')) {
        const url = line.slice('Open in Block Kit Builder: '.length);
        expect(url.length).toBeLessThanOrEqual(MAX_BUILDER_LINK_CHARS);
        expect(decodeBlockKitBuilderLink(url), `link ${index + 1}`).toEqual(surface);
        linked += 1;
      } else {
        // The only other outcome: the link would be too long, and the line says so.
        expect(line, `line ${index + 1}`).toMatch(
          /^Too long to link to Block Kit Builder \([\d,]+ characters; links stop at 8,000\)\.$/,
        );
        expect(encodeURIComponent(JSON.stringify(surface)).length).toBeGreaterThan(7_000);
      }
    });
    expect(linked).toBeGreaterThanOrEqual(10);

    // Every printed message has its heading; the run is bounded and leaves nothing behind.
    expect(summary.messagesPrinted).toBe(output.split('\n━━ ').length - 1);
    // Card, list and digest messages, six alert parents, the runbooks of the four certificate
    // threads, and the Home tab.
    expect(summary.messagesPrinted).toBe(18);
    // The Home tab closes the demo: the overview built from what the digest and alerts stored.
    const home = messageUnder(output, `views.publish for U0DEMO (Home tab)`);
    expect(home.split('\n')[0]).toBe('AOP overview');
    expect(home).toContain('Open alert threads (6)');
    expect(summary.durationMs).toBeLessThan(60_000);
    const redis = connectTestRedis();
    try {
      // SCAN may answer a page with no match and a cursor to go on: follow it to 0.
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, page] = await redis.scan(cursor, 'MATCH', `*${summary.redisPrefix}*`, 'COUNT', 1_000);
        keys.push(...page);
        cursor = next;
      } while (cursor !== '0');
      expect(keys).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });

  it('says in one line how to get Redis when none answers and redis-server is missing', async () => {
    const closedPort = await freeLoopbackPort();
    await expect(
      ensureDemoRedis(
        {},
        {
          localRedisUrl: `redis://127.0.0.1:${closedPort}`,
          redisServerCommand: 'redis-server-that-is-not-installed',
        },
      ),
    ).rejects.toThrow(MISSING_REDIS_SERVER);
    expect(MISSING_REDIS_SERVER).not.toContain('\n');
    expect(MISSING_REDIS_SERVER).toContain('docker compose up -d redis');
  });
});
