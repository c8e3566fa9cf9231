import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type FakeCloudflare, startFakeCloudflare } from '../support/fake-cloudflare.js';
import { type FakeSlack, type StoredMessage, startFakeSlack } from '../support/fake-slack.js';
import { type BotProcess, startBotProcess, stopBotProcess } from '../support/processes.js';
import { connectTestRedis, deleteKeysWithPrefix, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { scenarioFigures } from './figures.js';

/**
 * Scenarios 1 and 2 of the reliability suite: several real OS processes on one Redis, scheduled
 * digests every few seconds, an alert walking the ladder, and workers killed with SIGKILL mid-job.
 */

const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
const DIGEST_CHANNEL = 'C0DIGEST';
const INCIDENT = 'C0INCIDENT';
const WATCHED = 'app.example.com';
const DAY_MS = 86_400_000;

let slack: FakeSlack;
let cloudflare: FakeCloudflare;
let prefix: string;
let directory: string;
let certificateSerial = 1000;
const severalProcesses = scenarioFigures('1-several-processes');
const workerKilled = scenarioFigures('2-worker-killed');

function installCertificate(daysLeft: number): void {
  certificateSerial += 1;
  const certificate = cloudflare.state.addCertificate(ZONE_ID, {
    expires_on: new Date(Date.now() + daysLeft * DAY_MS).toISOString(),
    serial_number: String(certificateSerial),
    issuer: 'Reliability CA',
  });
  cloudflare.state.associate(ZONE_ID, { hostname: WATCHED, cert_id: certificate.id });
}

/** Moves the current certificate's expiry, as time passing would; same certificate, same episode. */
function setDaysLeft(daysLeft: number): void {
  const zone = cloudflare.state.zone(ZONE_ID);
  const certificateId = zone.associations.get(WATCHED)?.cert_id ?? '';
  const certificate = zone.certificates.get(certificateId);
  if (certificate) certificate.expires_on = new Date(Date.now() + daysLeft * DAY_MS).toISOString();
}

function writeConfig(file: string, overrides: Record<string, unknown>): string {
  const configPath = path.join(directory, file);
  writeFileSync(
    configPath,
    stringify({
      timezone: 'Europe/Berlin',
      zones: [{ id: ZONE_ID, name: 'example.com', hostnames: [WATCHED, 'www.example.com'] }],
      digest: { schedule: '*/3 * * * * *', channels: [DIGEST_CHANNEL] },
      alerts: { channel: INCIDENT, schedule: '*/2 * * * * *', mention_on_critical: '<!subteam^S0ONCALL>' },
      jobs: { lock_seconds: 2, stalled_check_seconds: 1 },
      ...overrides,
    }),
  );
  return configPath;
}

function start(
  role: 'all' | 'worker',
  configPath: string,
  extra: Partial<Parameters<typeof startBotProcess>[0]> = {},
) {
  return startBotProcess({
    role,
    slackApiUrl: slack.apiUrl,
    cloudflareBaseUrl: cloudflare.baseUrl,
    redisUrl: testRedisUrl(),
    prefix,
    configPath,
    ...extra,
  });
}

const digestParents = (channel = DIGEST_CHANNEL): StoredMessage[] =>
  slack.messages.filter(
    (message) =>
      message.channel === channel && !message.threadTs && message.metadata?.event_type === 'aop_digest',
  );

function slotsOf(messages: StoredMessage[]): Map<string, number> {
  const perSlot = new Map<string, number>();
  for (const message of messages) {
    const slot = String(message.metadata?.event_payload.slot_time);
    perSlot.set(slot, (perSlot.get(slot) ?? 0) + 1);
  }
  return perSlot;
}

beforeAll(async () => {
  slack = await startFakeSlack();
  cloudflare = await startFakeCloudflare();
  cloudflare.state.addZone({ id: ZONE_ID, name: 'example.com' });
  installCertificate(40);
  const shared = cloudflare.state.addCertificate(ZONE_ID, {
    expires_on: new Date(Date.now() + 200 * DAY_MS).toISOString(),
  });
  cloudflare.state.associate(ZONE_ID, { hostname: 'www.example.com', cert_id: shared.id });
  directory = await mkdtemp(path.join(tmpdir(), 'aop-reliability-'));
});

afterAll(async () => {
  await slack.close();
  await cloudflare.close();
  await rm(directory, { recursive: true, force: true });
});

describe('several processes on one Redis', () => {
  it('posts exactly one digest per channel per slot and never doubles an alert, with two full processes and a worker', async () => {
    prefix = uniquePrefix('procs');
    const configPath = writeConfig('several.yml', {});
    const bots: BotProcess[] = [];
    try {
      bots.push(
        ...(await Promise.all([
          start('all', configPath),
          start('all', configPath),
          start('worker', configPath),
        ])),
      );

      // Walk the alert ladder while digests keep firing every 3 s.
      // Grouped threads (the default): the parent is followed by the runbook reply.
      const walk: [number, string, number][] = [
        [29, 'parent and runbook', 2],
        [13, 'rung 14', 1],
        [6, 'rung 7', 1],
        [2, 'rung 3', 1],
        [0.5, 'rung 1', 1],
        [-0.1, 'expired', 1],
      ];
      const alertMessages = () => slack.messages.filter((message) => message.channel === INCIDENT);
      for (const [daysLeft, label, messages] of walk) {
        const before = alertMessages().length;
        setDaysLeft(daysLeft);
        await slack.waitFor(() => alertMessages().length >= before + messages, {
          timeoutMs: 20_000,
          what: `alert for ${label}`,
        });
      }
      const beforeRenewal = alertMessages().length;
      installCertificate(300);
      await slack.waitFor(() => alertMessages().length > beforeRenewal, {
        timeoutMs: 20_000,
        what: 'renewal reply',
      });

      // At least 10 digest slots.
      await slack.waitFor(() => slotsOf(digestParents()).size >= 10, {
        timeoutMs: 60_000,
        what: '10 digest slots',
      });
      // Let the last runs settle, then count.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    } finally {
      const codes = await Promise.all(bots.map((bot) => stopBotProcess(bot)));
      expect(codes).toEqual(bots.map(() => 0));
    }

    if (process.env.DEBUG_ALERTS) {
      for (const message of slack.messages.filter((candidate) => candidate.channel === INCIDENT)) {
        process.stdout.write(
          `${message.ts} thread=${message.threadTs ?? '-'} ${String(message.text).slice(0, 140)}\n`,
        );
      }
    }
    const perSlot = slotsOf(digestParents());
    const doubled = [...perSlot.entries()].filter(([, count]) => count !== 1);
    const parents = slack.messages.filter((message) => message.channel === INCIDENT && !message.threadTs);
    const replies = slack.messages.filter((message) => message.channel === INCIDENT && message.threadTs);
    const replyTexts = replies.map((reply) => reply.text ?? '');
    const duplicateReplies = replyTexts.length - new Set(replyTexts).size;
    severalProcesses.record('digest_slots', perSlot.size, {
      note: 'two full processes and one extra worker; at least 10',
    });
    severalProcesses.record('digests_per_channel_per_slot', [...new Set(perSlot.values())].join(','), {
      note: 'must be 1',
    });
    severalProcesses.record('duplicate_alert_parents', parents.length - 1, { note: 'must be 0' });
    severalProcesses.record('duplicate_alert_replies', duplicateReplies, { note: 'must be 0' });
    severalProcesses.record('alert_replies', replies.length, {
      note: 'runbook, 14, 7, 3, 1, expired, renewed',
    });
    expect(perSlot.size).toBeGreaterThanOrEqual(10);
    expect(doubled).toEqual([]);
    expect(parents).toHaveLength(1);
    expect(duplicateReplies).toBe(0);
    // The runbook, the 14, 7, 3, 1 and expired rungs, and the renewal: each said exactly once.
    expect(replies.length).toBe(7);
    const redis = connectTestRedis();
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
  });
});

describe('a worker killed mid-job', () => {
  it('has its digest and its evaluation taken over by another worker and posted exactly once', async () => {
    prefix = uniquePrefix('kill');
    // Slow Cloudflare answers keep each job running long enough to be killed in the middle of it.
    cloudflare.options.latencyMs = 1_500;
    const configPath = writeConfig('kill.yml', {
      digest: { schedule: '0 0 1 1 *', channels: [DIGEST_CHANNEL] },
      alerts: { channel: INCIDENT, schedule: '0 0 1 1 *' },
    });
    const figures: Record<string, unknown> = {};
    const victim = await start('worker', configPath);
    const survivor = await start('worker', configPath);
    const web = await start('all', configPath, { env: {} });
    try {
      for (const run of ['digest', 'alerts'] as const) {
        slack.reset();
        if (run === 'alerts') setDaysLeft(10);
        const redis = connectTestRedis();
        // Ask the web process for the run; then kill whichever worker took the job.
        const requestedAt = Date.now();
        await fetch(`${web.url}/healthz`);
        const queueKey = `{${prefix}}:${run === 'digest' ? 'digest' : 'alerts'}`;
        const { Queue } = await import('bullmq');
        const queue = new Queue(run === 'digest' ? 'digest' : 'alerts', {
          connection: redis,
          prefix: `{${prefix}}`,
        });
        await queue.add(
          run === 'digest' ? 'digest-tick' : 'alerts-tick',
          run === 'digest'
            ? {
                trigger: 'on_demand',
                channel: DIGEST_CHANNEL,
                requestedBy: 'U0TEST',
                slotTimeMs: requestedAt,
              }
            : { trigger: 'on_demand', slotTimeMs: requestedAt },
        );
        // Wait until a zone check is running (the Cloudflare request is in flight), then kill.
        const zoneQueue = new Queue('zone-checks', { connection: redis, prefix: `{${prefix}}` });
        const deadline = Date.now() + 15_000;
        while ((await zoneQueue.getActiveCount()) === 0 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        const active = await zoneQueue.getActive();
        expect(active.length, `a ${run} zone check should be running (${queueKey})`).toBeGreaterThan(0);
        const killedAt = Date.now();
        victim.child.kill('SIGKILL');
        survivor.child.kill('SIGKILL');
        // Whoever held it is gone; a fresh worker must take it over.
        const rescuer = await start('worker', configPath);
        const channel = run === 'digest' ? DIGEST_CHANNEL : INCIDENT;
        await slack.waitFor(
          () => slack.messages.some((message) => message.channel === channel && !message.threadTs),
          { timeoutMs: 30_000, what: `the ${run} output after the kill` },
        );
        const recoveredMs = Date.now() - killedAt;
        await new Promise((resolve) => setTimeout(resolve, 4_000));
        const posted = slack.messages.filter(
          (message) => message.channel === channel && !message.threadTs,
        ).length;
        figures[run] = { recoverySeconds: Math.round(recoveredMs / 100) / 10, parentsPosted: posted };
        expect(posted, `${run} parents posted`).toBe(1);
        await stopBotProcess(rescuer);
        await zoneQueue.close();
        await queue.close();
        redis.disconnect();
        if (run === 'digest') {
          // Bring the two workers back for the evaluation round.
          Object.assign(victim, await start('worker', configPath));
          Object.assign(survivor, await start('worker', configPath));
        }
      }
    } finally {
      cloudflare.options.latencyMs = 0;
      await Promise.all([stopBotProcess(web), stopBotProcess(victim), stopBotProcess(survivor)]);
      const redis = connectTestRedis();
      await deleteKeysWithPrefix(redis, prefix);
      redis.disconnect();
    }
    for (const [run, value] of Object.entries(figures)) {
      const { recoverySeconds, parentsPosted } = value as { recoverySeconds: number; parentsPosted: number };
      workerKilled.record(`${run}_recovery_seconds`, recoverySeconds, {
        note: 'SIGKILL to output; jobs.lock_seconds 2, stalled_check_seconds 1',
      });
      workerKilled.record(`${run}_parents_posted`, parentsPosted, { note: 'must be 1' });
    }
  });
});
