import type { MessageMetadata } from '@slack/types';
import type { Redis } from 'ioredis';
import { SlackPlatformError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { DigestMessage } from '../render/digest.js';
import type { RedisKeys } from '../store/keys.js';
import type { DigestPoster } from './poster.js';

export interface DeliveryOptions {
  redis: Redis;
  keys: RedisKeys;
  poster: DigestPoster;
  logger: Logger;
  metrics: Metrics;
}

export type DeliveryOutcome = 'posted' | 'already_posted' | 'busy' | 'failed_permanently';

/** How long a delivery record is kept: long past any retry of the same slot. */
const DELIVERY_RECORD_TTL_SECONDS = 8 * 24 * 3600;
/** While one worker delivers a slot to a channel, others leave it alone. Renewed per message. */
const DELIVERY_LOCK_MS = 60_000;

/**
 * Posts one digest (a parent and its thread replies) to one channel exactly once per slot.
 *
 * A record per (channel, slot) notes each part once Slack confirmed it; a retried or taken-over
 * job resumes after the last confirmed part instead of starting again. The only window for a
 * duplicate is a crash between Slack's confirmation and the record write (milliseconds); we accept
 * that rather than the opposite risk of a digest that silently never arrives.
 */
export async function deliverDigest(
  channel: string,
  slotId: string,
  messages: DigestMessage[],
  options: DeliveryOptions,
): Promise<DeliveryOutcome> {
  const recordKey = options.keys.digestDelivery(channel, slotId);
  const lockKey = `${recordKey}:lock`;
  const lockToken = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  const log = options.logger.child({ channel, slotId });

  const locked = await options.redis.set(lockKey, lockToken, 'PX', DELIVERY_LOCK_MS, 'NX');
  if (locked !== 'OK') return 'busy';
  try {
    const record = await options.redis.hgetall(recordKey);
    const partsDone = Number(record.parts ?? 0);
    if (record.done === '1' || partsDone >= messages.length) return 'already_posted';
    let parentTs = record.parentTs ?? null;
    for (let index = partsDone; index < messages.length; index += 1) {
      const message = messages[index];
      if (!message) continue;
      if (index > 0 && !parentTs) break;
      await options.redis.pexpire(lockKey, DELIVERY_LOCK_MS);
      const posted = await options.poster.postMessage({
        channel,
        text: message.text,
        blocks: message.blocks,
        ...(index > 0 && parentTs ? { threadTs: parentTs } : {}),
        // The contract's `route: null` (the whole inventory) is valid JSON for Slack; @slack/types
        // lists no null among payload values, hence the cast.
        ...(message.metadata ? { metadata: message.metadata as MessageMetadata } : {}),
      });
      if (index === 0) parentTs = posted.ts;
      await options.redis
        .multi()
        .hset(recordKey, { parts: String(index + 1), ...(index === 0 ? { parentTs: posted.ts } : {}) })
        .expire(recordKey, DELIVERY_RECORD_TTL_SECONDS)
        .exec();
    }
    await options.redis.hset(recordKey, { done: '1' });
    log.info({ parts: messages.length }, 'digest posted');
    return 'posted';
  } catch (error) {
    if (error instanceof SlackPlatformError) {
      // Retrying cannot fix a missing channel or scope: report it loudly, let the other channels go out.
      options.metrics.slackMessagesFailed.inc({ kind: 'digest' });
      log.error(
        { err: error, slackError: error.slackError, hint: error.hint },
        'digest could not be posted to this channel',
      );
      return 'failed_permanently';
    }
    throw error;
  } finally {
    await options.redis.eval(
      "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end",
      1,
      lockKey,
      lockToken,
    );
  }
}
