/**
 * The digest schedule through real BullMQ job schedulers on the test Redis: the time zone, a fast
 * schedule that really fires, two processes sharing the queues, a slot missed while no worker ran,
 * and lateness.
 */
import { TZDate } from '@date-fns/tz';
import { format } from 'date-fns/format';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SCHEDULER_IDS } from '../../../src/queue/names.js';
import { startTestApp, type TestApp } from '../../support/app-harness.js';
import { type FakeCloudflare, startFakeCloudflare } from '../../support/fake-cloudflare.js';
import { type FakeSlack, type StoredMessage, startFakeSlack } from '../../support/fake-slack.js';
import {
  associateOnOneCertificate,
  DAY_MS,
  deletePrefix,
  digestParents,
  enqueueScheduledTick,
  expiresInDays,
  logLines,
  messageText,
  NEVER,
  NOW,
  startTunedTestApp,
  withDigestQueue,
  zoneId,
} from './support.js';

const BERLIN = 'Europe/Berlin';
const CHANNEL = 'C0DIGEST';
const TEAM_CHANNEL = 'C0TEAM';
const EVERY_TWO_SECONDS = '*/2 * * * * *';
const ZONE = { id: zoneId(1), name: 'example.com' };

let slack: FakeSlack;
let cloudflare: FakeCloudflare;
const apps: TestApp[] = [];
const prefixes = new Set<string>();

beforeEach(async () => {
  slack = await startFakeSlack();
  cloudflare = await startFakeCloudflare();
});

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.stop()));
  for (const prefix of prefixes) await deletePrefix(prefix);
  prefixes.clear();
  await slack.close();
  await cloudflare.close();
});

function seedOneCriticalHostname(expiresOn = expiresInDays(3)): void {
  cloudflare.state.addZone(ZONE);
  associateOnOneCertificate(cloudflare, ZONE.id, ['app.example.com'], { expires_on: expiresOn });
}

function remember(app: TestApp): TestApp {
  apps.push(app);
  prefixes.add(app.prefix);
  return app;
}

function slotOf(message: StoredMessage): string {
  return String(message.metadata?.event_payload.slot_time);
}

/** The next 09:00 on a weekday in Berlin after `nowMs`, worked out without cron. */
function nextWorkingDayNineInBerlin(nowMs: number): number {
  const today = new TZDate(nowMs, BERLIN);
  for (let offset = 0; offset <= 7; offset += 1) {
    const candidate = new TZDate(
      today.getFullYear(),
      today.getMonth(),
      today.getDate() + offset,
      9,
      0,
      0,
      BERLIN,
    );
    const weekday = candidate.getDay();
    if (candidate.getTime() > nowMs && weekday >= 1 && weekday <= 5) return candidate.getTime();
  }
  throw new Error('no working day within a week');
}

describe('the digest schedule', () => {
  it('upserts the job scheduler with digest.schedule in the config time zone: next run 09:00 Berlin on the next working day', async () => {
    seedOneCriticalHostname();
    const before = Date.now();
    const app = remember(
      await startTestApp({
        slackApiUrl: slack.apiUrl,
        cloudflareBaseUrl: cloudflare.baseUrl,
        clock: () => NOW,
        file: { timezone: BERLIN, zones: [ZONE], digest: { channels: [CHANNEL] } },
      }),
    );

    const { scheduler, pending, pendingState } = await withDigestQueue(app, async (queue) => {
      const found = await queue.getJobScheduler(SCHEDULER_IDS.digest);
      const job =
        found?.next === undefined
          ? undefined
          : await queue.getJob(`repeat:${SCHEDULER_IDS.digest}:${found.next}`);
      return { scheduler: found, pending: job, pendingState: await job?.getState() };
    });

    const expected = nextWorkingDayNineInBerlin(before);
    expect(scheduler).toMatchObject({ pattern: '0 9 * * 1-5', tz: BERLIN, next: expected });
    expect(format(new TZDate(expected, BERLIN), 'HH:mm')).toBe('09:00');
    // The delayed job BullMQ holds is due exactly then.
    expect(pending?.timestamp === undefined ? null : pending.timestamp + (pending.opts.delay ?? 0)).toBe(
      expected,
    );
    expect(pendingState).toBe('delayed');
    // The footer's "next digest" agrees with BullMQ.
    expect(app.service.queues.nextRunAt('digest', new Date(before))?.getTime()).toBe(expected);
  });

  it('fires a 6-field schedule and posts the digest to the configured channel with aop_digest metadata', async () => {
    seedOneCriticalHostname();
    remember(
      await startTestApp({
        slackApiUrl: slack.apiUrl,
        cloudflareBaseUrl: cloudflare.baseUrl,
        clock: () => NOW,
        file: {
          timezone: BERLIN,
          zones: [ZONE],
          digest: { schedule: EVERY_TWO_SECONDS, channels: [CHANNEL] },
        },
      }),
    );

    const [digest] = await slack.waitFor(
      () => digestParents(slack, CHANNEL).slice(0, 1).at(0) && digestParents(slack, CHANNEL),
      {
        timeoutMs: 10_000,
        what: 'a scheduled digest',
      },
    );

    expect(digest?.metadata?.event_type).toBe('aop_digest');
    expect(digest?.metadata?.event_payload).toMatchObject({ trigger: 'schedule', late: false, critical: 1 });
    const slotTime = new Date(slotOf(digest as StoredMessage));
    expect(slotTime.getUTCMilliseconds()).toBe(0);
    expect(slotTime.getUTCSeconds() % 2).toBe(0);
    expect(messageText(digest as StoredMessage)).toContain('*app.example.com*');
  });

  it('posts exactly one digest per channel per slot when two processes share the queues', async () => {
    seedOneCriticalHostname();
    const file = {
      timezone: BERLIN,
      zones: [ZONE],
      digest: { schedule: EVERY_TWO_SECONDS, channels: [CHANNEL, TEAM_CHANNEL] },
    };
    const first = remember(
      await startTestApp({
        slackApiUrl: slack.apiUrl,
        cloudflareBaseUrl: cloudflare.baseUrl,
        clock: () => NOW,
        file,
      }),
    );
    const second = remember(
      await startTestApp({
        slackApiUrl: slack.apiUrl,
        cloudflareBaseUrl: cloudflare.baseUrl,
        clock: () => NOW,
        file,
        prefix: first.prefix,
      }),
    );

    await slack.waitFor(
      () => new Set(digestParents(slack, TEAM_CHANNEL).map(slotOf)).size >= 3 || undefined,
      { timeoutMs: 15_000, what: 'digests for three slots' },
    );
    await Promise.all(apps.splice(0).map((app) => app.stop()));

    for (const channel of [CHANNEL, TEAM_CHANNEL]) {
      const perSlot = new Map<string, number>();
      for (const message of digestParents(slack, channel))
        perSlot.set(slotOf(message), (perSlot.get(slotOf(message)) ?? 0) + 1);
      expect(
        [...perSlot.values()].every((count) => count === 1),
        `${channel}: ${JSON.stringify([...perSlot])}`,
      ).toBe(true);
    }
    // Each slot was fanned out once, by one of the two processes.
    const fannedOut = [...first.logs, ...second.logs]
      .filter((line) => line.msg === 'run fanned out' && line.purpose === 'digest')
      .map((line) => String(line.slotId));
    expect(fannedOut.length).toBe(new Set(fannedOut).size);
    expect(fannedOut.length).toBeGreaterThanOrEqual(3);
    // Both processes found one scheduler; the second left it alone.
    expect(logLines(second, 'job scheduler unchanged')).toHaveLength(1);
  });

  it('runs a slot that fell due while no worker ran once a worker is back, and says it is late', async () => {
    seedOneCriticalHostname();
    const file = {
      timezone: BERLIN,
      zones: [ZONE],
      digest: { schedule: EVERY_TWO_SECONDS, channels: [CHANNEL] },
    };
    const tuning = { queue: { lateAfterMs: 1_000 } };
    // A process without workers creates the scheduler, then everything stops.
    const web = remember(
      await startTunedTestApp({
        slackApiUrl: slack.apiUrl,
        cloudflareBaseUrl: cloudflare.baseUrl,
        env: { AOP_ROLE: 'web' },
        file,
        tuning,
      }),
    );
    const missedSlotMs = await withDigestQueue(
      web,
      async (queue) => (await queue.getJobScheduler(SCHEDULER_IDS.digest))?.next,
    );
    expect(missedSlotMs).toBeTypeOf('number');
    await web.stop();
    apps.splice(apps.indexOf(web), 1);
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, (missedSlotMs ?? 0) + 1_500 - Date.now())),
    );

    const worker = remember(
      await startTunedTestApp({
        slackApiUrl: slack.apiUrl,
        cloudflareBaseUrl: cloudflare.baseUrl,
        file,
        tuning,
        prefix: web.prefix,
      }),
    );

    const [digest] = await slack.waitFor(
      () => digestParents(slack, CHANNEL).length > 0 && digestParents(slack, CHANNEL),
      {
        timeoutMs: 10_000,
        what: 'the missed digest',
      },
    );
    expect(logLines(worker, 'job scheduler unchanged')).toHaveLength(1);
    expect(slotOf(digest as StoredMessage)).toBe(new Date(missedSlotMs ?? 0).toISOString());
    expect(digest?.metadata?.event_payload.late).toBe(true);
    expect(Number(digest?.metadata?.event_payload.late_by_ms)).toBeGreaterThan(1_000);
    expect(messageText(digest as StoredMessage)).toContain(
      ':hourglass_flowing_sand: This digest is late: scheduled for',
    );
  });

  it('still runs the missed slot, late, when the schedule changed while no worker ran', async () => {
    seedOneCriticalHostname();
    const file = {
      timezone: BERLIN,
      zones: [ZONE],
      digest: { schedule: EVERY_TWO_SECONDS, channels: [CHANNEL] },
    };
    const tuning = { queue: { lateAfterMs: 1_000 } };
    const web = remember(
      await startTunedTestApp({
        slackApiUrl: slack.apiUrl,
        cloudflareBaseUrl: cloudflare.baseUrl,
        env: { AOP_ROLE: 'web' },
        file,
        tuning,
      }),
    );
    const missedSlotMs = await withDigestQueue(
      web,
      async (queue) => (await queue.getJobScheduler(SCHEDULER_IDS.digest))?.next,
    );
    await web.stop();
    apps.splice(apps.indexOf(web), 1);
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, (missedSlotMs ?? 0) + 1_500 - Date.now())),
    );

    const worker = remember(
      await startTunedTestApp({
        slackApiUrl: slack.apiUrl,
        cloudflareBaseUrl: cloudflare.baseUrl,
        file: { ...file, digest: { schedule: NEVER, channels: [CHANNEL] } },
        tuning,
        prefix: web.prefix,
      }),
    );

    const [digest] = await slack.waitFor(
      () => digestParents(slack, CHANNEL).length > 0 && digestParents(slack, CHANNEL),
      {
        timeoutMs: 10_000,
        what: 'the missed digest',
      },
    );
    expect(logLines(worker, 'running it now, late')).toHaveLength(1);
    expect(slotOf(digest as StoredMessage)).toBe(new Date(missedSlotMs ?? 0).toISOString());
    expect(digest?.metadata?.event_payload.late).toBe(true);
    const scheduler = await withDigestQueue(worker, (queue) => queue.getJobScheduler(SCHEDULER_IDS.digest));
    expect(scheduler).toMatchObject({ pattern: NEVER, tz: BERLIN });
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect(digestParents(slack, CHANNEL)).toHaveLength(1);
  });

  it('says a scheduled run that starts more than 5 minutes after its slot is late, and one 4 minutes after is not', async () => {
    cloudflare.state.addZone(ZONE);
    const realNow = Date.now();
    associateOnOneCertificate(cloudflare, ZONE.id, ['app.example.com'], {
      expires_on: new Date(realNow + 300 * DAY_MS).toISOString(),
    });
    const app = remember(
      await startTestApp({
        slackApiUrl: slack.apiUrl,
        cloudflareBaseUrl: cloudflare.baseUrl,
        file: { timezone: BERLIN, zones: [ZONE], digest: { schedule: NEVER, channels: [CHANNEL] } },
      }),
    );
    const lateSlotMs = Math.floor(realNow / 60_000) * 60_000 - 10 * 60_000;
    const onTimeSlotMs = Math.floor(realNow / 60_000) * 60_000 - 4 * 60_000;

    await enqueueScheduledTick(app, lateSlotMs);
    await enqueueScheduledTick(app, onTimeSlotMs);
    const digests = await slack.waitFor(
      () => (digestParents(slack, CHANNEL).length >= 2 ? digestParents(slack, CHANNEL) : undefined),
      { timeoutMs: 10_000, what: 'two digests' },
    );

    const late = digests.find((message) => slotOf(message) === new Date(lateSlotMs).toISOString());
    const onTime = digests.find((message) => slotOf(message) === new Date(onTimeSlotMs).toISOString());
    expect(late?.metadata?.event_payload).toMatchObject({ kind: 'all_clear', late: true });
    expect(Number(late?.metadata?.event_payload.late_by_ms)).toBeGreaterThanOrEqual(10 * 60_000 - 1_000);
    const scheduledAt = format(new TZDate(lateSlotMs, BERLIN), 'HH:mm');
    expect(messageText(late as StoredMessage)).toMatch(
      new RegExp(
        `This digest is late: scheduled for ${scheduledAt} CES?T, posted \\d\\d:\\d\\d CES?T \\(the bot was down\\)`,
      ),
    );
    expect(onTime?.metadata?.event_payload).toMatchObject({ late: false, late_by_ms: 0 });
    expect(messageText(onTime as StoredMessage)).not.toContain('late');
  });
});
