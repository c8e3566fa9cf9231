import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deserializeGroupState } from '../../../src/alerts/group.js';
import { redisKeys } from '../../../src/store/keys.js';
import { FITNESS_PEMS } from '../../fixtures/pem/fitness.js';
import { readAlertFixture, seedStoredAlerts } from '../../support/alert-fixtures.js';
import { startTestApp, type TestApp } from '../../support/app-harness.js';
import { type FakeCloudflare, startFakeCloudflare } from '../../support/fake-cloudflare.js';
import { type FakeSlack, type StoredMessage, startFakeSlack } from '../../support/fake-slack.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../support/redis.js';
import { evaluateNow, slackCallsSince } from '../../support/runs.js';

/**
 * Renewal readiness end to end: the real app on the test Redis against the local Slack and
 * Cloudflare servers, one certificate shared by 30 hostnames walked through its renewal: the
 * replacement seen before anyone moves a hostname, a renewal that stalls, an unfit replacement,
 * and a zone with no slot for the upload. Every Slack call of every step is counted.
 */

const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
const INCIDENT = 'C0INCIDENT';
const MENTION = '<!subteam^S0123>';
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** The notAfter of the `client_auth` PEM: Cloudflare's expires_on agrees with it. */
const EXPIRY = new Date('2026-12-01T12:00:00Z');
const OLD_ID = '2458ce5a-0c35-4c7f-82c7-8e9487d3ff60';
const OLD_SERIAL = '4097';
const FIT_ID = '7e0b5c1a-3f51-4c7e-9d0e-55c1b1f0a001';
const UNFIT_ID = '7e0b5c1a-3f51-4c7e-9d0e-55c1b1f0a002';
const HOSTNAMES = Array.from(
  { length: 30 },
  (_, index) => `app-${String(index).padStart(2, '0')}.example.com`,
);

let slack: FakeSlack;
let cloudflare: FakeCloudflare;
let app: TestApp | null;
let now: Date;
let prefix: string;
/** Every step's Slack calls, for the closing tally. */
let walk: { label: string; calls: string[] }[];

function parents(): StoredMessage[] {
  return slack.messages.filter((message) => message.channel === INCIDENT && !message.threadTs);
}

function parentBlocks(): string {
  return JSON.stringify(parents()[0]?.blocks ?? []);
}

function replies(): StoredMessage[] {
  const parent = parents()[0];
  return slack.messages.filter((message) => message.threadTs === parent?.ts);
}

function lastReply(): StoredMessage | undefined {
  return replies().at(-1);
}

/** Everything a reply shows: its fallback text and every section. */
function shown(message: StoredMessage | undefined): string {
  const sections = (message?.blocks ?? []).map((block) =>
    String((block as { text?: { text?: string } }).text?.text ?? ''),
  );
  return [String(message?.text ?? ''), ...sections].join('\n');
}

async function step(label: string, at: Date, expected: string[]): Promise<void> {
  now = at;
  const from = slack.calls.length;
  if (app === null) throw new Error('app not started');
  await evaluateNow(app);
  const calls = slackCallsSince(slack, from);
  walk.push({ label, calls });
  expect(calls, label).toEqual(expected);
}

function uploadReplacement(id: string, pem: string, serial: string, uploadedOn: Date): void {
  cloudflare.state.addCertificate(ZONE_ID, {
    id,
    serial_number: serial,
    issuer: 'CN=Fixture Origin Pull CA',
    expires_on: '2027-12-01T12:00:00Z',
    uploaded_on: uploadedOn.toISOString(),
    certificate: pem,
  });
}

function moveTo(certificateId: string, hostnames: readonly string[]): void {
  for (const hostname of hostnames) cloudflare.state.associate(ZONE_ID, { hostname, cert_id: certificateId });
}

async function start(zone: { hostnames?: string[] } = {}): Promise<void> {
  app = await startTestApp({
    slackApiUrl: slack.apiUrl,
    cloudflareBaseUrl: cloudflare.baseUrl,
    clock: () => now,
    prefix,
    file: {
      timezone: 'Europe/Berlin',
      zones: [{ id: ZONE_ID, name: 'example.com', ...zone }],
      alerts: { channel: INCIDENT, mention_on_critical: MENTION, replacement_stall_hours: 24 },
    },
  });
}

beforeEach(async () => {
  slack = await startFakeSlack();
  cloudflare = await startFakeCloudflare();
  cloudflare.state.addZone({ id: ZONE_ID, name: 'example.com' });
  cloudflare.state.addCertificate(ZONE_ID, {
    id: OLD_ID,
    serial_number: OLD_SERIAL,
    issuer: 'CN=Fixture Origin Pull CA',
    expires_on: EXPIRY.toISOString(),
    uploaded_on: '2026-01-02T09:00:00Z',
    certificate: FITNESS_PEMS.client_auth.pem,
  });
  moveTo(OLD_ID, HOSTNAMES);
  prefix = uniquePrefix('renewal');
  now = new Date(EXPIRY.getTime() - 10 * DAY_MS);
  app = null;
  walk = [];
});

afterEach(async () => {
  await app?.stop();
  await slack.close();
  await cloudflare.close();
  const redis = connectTestRedis();
  await deleteKeysWithPrefix(redis, prefix);
  redis.disconnect();
});

describe('renewal readiness', () => {
  it('sees a fit replacement before anyone moves a hostname, says once when the renewal stalls, and follows the move to its end', async () => {
    await start();
    const tenDays = new Date(EXPIRY.getTime() - 10 * DAY_MS);
    await step('warning at 10 days: the parent, then the runbook', tenDays, ['parent', 'reply']);
    expect(shown(replies()[0])).toContain(
      `POST /zones/${ZONE_ID}/origin_tls_client_auth/hostnames/certificates`,
    );
    const critical = new Date(EXPIRY.getTime() - 6.5 * DAY_MS);
    await step('crossing 7 days: critical, with the mention', critical, ['reply', 'update']);
    expect(String(lastReply()?.text).startsWith(MENTION)).toBe(true);

    // The replacement is uploaded and nobody associates it.
    const uploadedAt = new Date(critical.getTime() + 10 * 60_000);
    uploadReplacement(FIT_ID, FITNESS_PEMS.renewal_fit.pem, '4109', uploadedAt);
    await step(
      'replacement uploaded: one reply, the parent updated',
      new Date(uploadedAt.getTime() + HOUR_MS),
      ['reply', 'update'],
    );
    const told = shown(lastReply());
    expect(told).toContain('Replacement uploaded');
    expect(told).toContain('0 of 30 hostnames moved');
    expect(told).not.toContain(MENTION);
    // The runbook as re-shown: no upload step, the association body with the replacement's id.
    expect(told).not.toContain('/hostnames/certificates` with `{"certificate"');
    expect(told).toContain(`PUT /zones/${ZONE_ID}/origin_tls_client_auth/hostnames`);
    // Exact JSON bodies (split where one would not fit a message block), every hostname on the new id.
    const bodies = [...told.matchAll(/```(\{"config":.*?\})```/g)].map((match) =>
      JSON.parse(match[1] ?? '{}'),
    );
    expect(bodies.flatMap((body: { config: unknown[] }) => body.config)).toEqual(
      HOSTNAMES.map((hostname) => ({ hostname, cert_id: FIT_ID, enabled: true })),
    );
    expect(told).toContain(
      `DELETE /zones/${ZONE_ID}/origin_tls_client_auth/hostnames/certificates/${OLD_ID}`,
    );
    expect(parentBlocks()).toContain('Replacement uploaded');
    expect(parentBlocks()).toContain('0 of 30 hostnames moved');
    expect(parentBlocks()).toContain(FIT_ID);

    await step('nothing new an hour later', new Date(uploadedAt.getTime() + 2 * HOUR_MS), []);
    await step(
      '23 hours after the upload: not stalled yet',
      new Date(uploadedAt.getTime() + 23 * HOUR_MS),
      [],
    );
    await step(
      '25 hours after the upload, nothing moved: one stall reply',
      new Date(uploadedAt.getTime() + 25 * HOUR_MS),
      ['reply', 'update'],
    );
    const stalled = shown(lastReply());
    expect(String(lastReply()?.text).startsWith(MENTION)).toBe(true);
    expect(stalled).toContain('The renewal has stalled');
    expect(stalled).toContain('none of the 30 hostnames has moved');
    expect(parentBlocks()).toContain('Renewal stalled');
    await step('still stalled an hour later: said once', new Date(uploadedAt.getTime() + 26 * HOUR_MS), []);

    // Hostnames move in two batches: the renewal progress replies, then the resolution.
    moveTo(FIT_ID, HOSTNAMES.slice(0, 15));
    await step('15 hostnames moved', new Date(uploadedAt.getTime() + 27 * HOUR_MS), ['reply', 'update']);
    expect(shown(lastReply())).toContain('15 of 30 hostnames moved');
    expect(parentBlocks()).toContain('15 of 30 hostnames moved');
    expect(parentBlocks()).not.toContain('Renewal stalled');
    moveTo(FIT_ID, HOSTNAMES.slice(15));
    await step('the other 15 moved: resolved', new Date(uploadedAt.getTime() + 28 * HOUR_MS), [
      'reply',
      'update',
    ]);
    expect(shown(lastReply())).toMatch(/Renewed/);
    expect(parentBlocks()).toMatch(/Resolved/);
    await step('healthy afterwards', new Date(uploadedAt.getTime() + 29 * HOUR_MS), []);

    expect(parents()).toHaveLength(1);
    // 1 parent, 6 replies (runbook, 7-day rung, replacement, stall, progress, renewed), 5 updates.
    const all = walk.flatMap((entry) => entry.calls);
    expect(all.filter((call) => call === 'parent')).toHaveLength(1);
    expect(all.filter((call) => call === 'reply')).toHaveLength(6);
    expect(all.filter((call) => call === 'update')).toHaveLength(5);
  });

  it('raises an unfit (serverAuth-only) replacement before any hostname moves, and never calls it a stall', async () => {
    await start();
    await step('warning at 10 days: the parent, then the runbook', new Date(EXPIRY.getTime() - 10 * DAY_MS), [
      'parent',
      'reply',
    ]);
    const uploadedAt = new Date(EXPIRY.getTime() - 9.5 * DAY_MS);
    uploadReplacement(UNFIT_ID, FITNESS_PEMS.renewal_server_auth_only.pem, '4110', uploadedAt);
    await step(
      'unfit replacement uploaded: its own reply and a parent line',
      new Date(uploadedAt.getTime() + HOUR_MS),
      ['reply', 'update'],
    );
    const told = shown(lastReply());
    expect(told).toContain('Unfit replacement');
    expect(told).toContain('serverAuth only, without clientAuth');
    expect(told).toContain('nginx and other OpenSSL-based origins');
    expect(told).toContain('Do not move hostnames to it');
    // The runbook is not re-shown for an unfit certificate: nobody is told to associate it.
    expect(told).not.toContain(`"cert_id":"${UNFIT_ID}"`);
    expect(parentBlocks()).toContain('Unfit replacement uploaded');
    expect(parentBlocks()).toContain('0 of 30 hostnames moved');
    // Raised before any hostname moved.
    const associations = [...cloudflare.state.zone(ZONE_ID).associations.values()];
    expect(associations.every((association) => association.cert_id === OLD_ID)).toBe(true);

    await step('nothing new an hour later', new Date(uploadedAt.getTime() + 2 * HOUR_MS), []);
    await step(
      'crossing 7 days: the rung with the mention, no stall reply',
      new Date(EXPIRY.getTime() - 6 * DAY_MS),
      ['reply', 'update'],
    );
    expect(shown(lastReply())).toContain('Less than 7 days left');
    expect(shown(lastReply())).not.toContain('stalled');
    await step(
      'a day later: still no stall reply for an unfit replacement',
      new Date(EXPIRY.getTime() - 5 * DAY_MS),
      [],
    );

    // A fit one follows: it is the one the runbook moves hostnames to.
    const fitAt = new Date(EXPIRY.getTime() - 5 * DAY_MS + HOUR_MS);
    uploadReplacement(FIT_ID, FITNESS_PEMS.renewal_fit.pem, '4109', fitAt);
    await step('fit replacement uploaded: one reply with its runbook', new Date(fitAt.getTime() + HOUR_MS), [
      'reply',
      'update',
    ]);
    expect(shown(lastReply())).toContain(`"cert_id":"${FIT_ID}"`);
    expect(shown(lastReply())).not.toContain(`"cert_id":"${UNFIT_ID}"`);
    expect(parents()).toHaveLength(1);
  });

  it('names the expired certificates that can be deleted when the zone has no free certificate slot', async () => {
    // Nine more certificates: three long expired (one still associated with an unwatched hostname).
    const expired: string[] = [];
    for (let index = 0; index < 9; index += 1) {
      const id = `0000000${index}-aaaa-4bbb-8ccc-dddddddddddd`;
      const isExpired = index < 3;
      cloudflare.state.addCertificate(ZONE_ID, {
        id,
        serial_number: String(5000 + index),
        expires_on: isExpired ? `202${3 + index}-06-01T00:00:00Z` : '2028-01-01T00:00:00Z',
        uploaded_on: '2022-01-01T00:00:00Z',
      });
      if (isExpired) expired.push(id);
    }
    cloudflare.state.associate(ZONE_ID, { hostname: 'legacy.example.com', cert_id: expired[0] ?? '' });
    await start({ hostnames: HOSTNAMES });
    await step('warning at 10 days: the parent, then the runbook', new Date(EXPIRY.getTime() - 10 * DAY_MS), [
      'parent',
      'reply',
    ]);
    const runbook = shown(replies()[0]);
    expect(runbook).toContain('No free certificate slot');
    expect(runbook).toContain('10 of 10 hostname certificates');
    for (const id of expired) expect(runbook).toContain(id);
    expect(runbook).not.toContain('00000003-aaaa');
    expect(runbook).toContain('1 association');
    expect(runbook).toContain('"enabled":null');
    expect(runbook).toContain(
      `DELETE /zones/${ZONE_ID}/origin_tls_client_auth/hostnames/certificates/EXPIRED_CERTIFICATE_ID`,
    );
    // The upload step is still there, after the room is made.
    expect(runbook).toContain(`POST /zones/${ZONE_ID}/origin_tls_client_auth/hostnames/certificates`);
  });

  it('continues an expiry thread stored by the release before renewal readiness: the replacement is told in the same thread', async () => {
    // The Redis state and channel that release left (test/fixtures/alerts/grouped-release.json):
    // the same 30 hostnames, told the 7-day rung at 6 days, no replacement known.
    const fixture = readAlertFixture('grouped-release');
    await seedStoredAlerts(fixture, { prefix, slack });
    const keys = redisKeys(prefix);
    const redis = connectTestRedis();
    const parentTs = '1700000000.000001';

    // Uploaded a day and a half before the upgrade; the old certificate is critical: it has stalled.
    const storedAt = new Date(fixture.now);
    uploadReplacement(
      FIT_ID,
      FITNESS_PEMS.renewal_fit.pem,
      '4109',
      new Date(storedAt.getTime() - 36 * HOUR_MS),
    );
    await start();
    const from = slack.calls.length;
    now = new Date(storedAt.getTime() + HOUR_MS);
    await evaluateNow(app as TestApp);
    expect(
      slackCallsSince(slack, from, { withTs: true }),
      'one reply in the stored thread, its parent updated',
    ).toEqual([`reply:${parentTs}`, `update:${parentTs}`]);
    const reply = slack.messages.filter((message) => message.threadTs === parentTs).at(-1);
    expect(String(reply?.text).startsWith(MENTION)).toBe(true);
    expect(shown(reply)).toContain('Replacement uploaded');
    expect(shown(reply)).toContain('The renewal has stalled');
    expect(shown(reply)).toContain(`"cert_id":"${FIT_ID}"`);
    expect(parents()).toHaveLength(1);

    const group = deserializeGroupState(
      (await redis.hget(keys.alertGroups, `certificate|${ZONE_ID}|${OLD_SERIAL}||`)) ?? '',
    );
    redis.disconnect();
    expect(group.episode?.parent?.ts).toBe(parentTs);
    expect(group.episode?.group?.replacementsTold).toEqual([FIT_ID]);
    expect(group.episode?.group?.stallTold).toBe(true);
    expect(group.episode?.rungsPosted).toEqual([30, 14, 7]);

    const quiet = slack.calls.length;
    now = new Date(now.getTime() + HOUR_MS);
    await evaluateNow(app as TestApp);
    expect(slackCallsSince(slack, quiet), 'nothing new').toEqual([]);
  });

  it('keeps an unfit certificate in effect out of the alert threads while it is not expiring', async () => {
    cloudflare.state.zone(ZONE_ID).certificates.clear();
    cloudflare.state.addCertificate(ZONE_ID, {
      id: OLD_ID,
      serial_number: OLD_SERIAL,
      expires_on: EXPIRY.toISOString(),
      uploaded_on: '2026-01-02T09:00:00Z',
      certificate: FITNESS_PEMS.server_auth_only.pem,
    });
    await start();
    // The origin evidently accepts it today: the card and the digest warn, no thread is opened.
    await step(
      'serverAuth-only certificate in effect, 100 days left',
      new Date(EXPIRY.getTime() - 100 * DAY_MS),
      [],
    );
    expect(parents()).toHaveLength(0);
  });
});
