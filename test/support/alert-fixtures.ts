/**
 * Alert state written by an earlier release (test/fixtures/alerts/*.json): the three alert hashes
 * as that release left them in Redis, and the messages its channel held. Upgrade tests seed both,
 * then start the current code on them.
 */
import { readFileSync } from 'node:fs';
import { redisKeys } from '../../src/store/keys.js';
import type { FakeSlack, StoredMessage } from './fake-slack.js';
import { connectTestRedis } from './redis.js';

export interface StoredAlertFixture {
  now: string;
  groups?: Record<string, unknown>;
  states: Record<string, unknown>;
  episodes: Record<string, string>;
  messages: {
    channel: string;
    ts: string;
    threadTs: string | null;
    text: string;
    metadata: StoredMessage['metadata'] | null;
  }[];
}

/** Reads test/fixtures/alerts/<name>.json. */
export function readAlertFixture(name: string): StoredAlertFixture {
  return JSON.parse(
    readFileSync(new URL(`../fixtures/alerts/${name}.json`, import.meta.url), 'utf8'),
  ) as StoredAlertFixture;
}

/** Puts the fixture's messages in the fake Slack channel and its alert hashes under `prefix`. */
export async function seedStoredAlerts(
  fixture: StoredAlertFixture,
  options: { prefix: string; slack: FakeSlack },
): Promise<void> {
  for (const seeded of fixture.messages)
    options.slack.seedMessage({
      channel: seeded.channel,
      ts: seeded.ts,
      threadTs: seeded.threadTs ?? undefined,
      text: seeded.text,
      metadata: seeded.metadata ?? undefined,
    });
  const keys = redisKeys(options.prefix);
  const redis = connectTestRedis();
  try {
    for (const [field, state] of Object.entries(fixture.groups ?? {}))
      await redis.hset(keys.alertGroups, field, JSON.stringify(state));
    for (const [field, state] of Object.entries(fixture.states))
      await redis.hset(keys.alertStates, field, JSON.stringify(state));
    for (const [episodeId, field] of Object.entries(fixture.episodes))
      await redis.hset(keys.alertEpisodes, episodeId, field);
  } finally {
    redis.disconnect();
  }
}
