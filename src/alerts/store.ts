import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.js';
import type { RedisKeys } from '../store/keys.js';
import {
  alertStateKey,
  deserializeAlertState,
  type HostnameAlertState,
  serializeAlertState,
} from './episode.js';
import { deserializeGroupState, type GroupAlertState, serializeGroupState } from './group.js';

export { alertStateKey };

/** The episode index's value for a group, beside the `${zoneId}/${hostname}` of per-hostname states. */
const GROUP_INDEX_PREFIX = 'group:';

/** Whose episode a button names: a hostname's or a group's. */
export type EpisodeOwner =
  | { kind: 'hostname'; state: HostnameAlertState }
  | { kind: 'group'; state: GroupAlertState };

export interface AlertStore {
  /**
   * The stored states that `keep` accepts, read a slice of the hash at a time: an evaluation of a
   * large inventory needs only a few of them at once (open per-hostname episodes, the zones that
   * could not be checked), not 100,000 parsed states.
   */
  loadWhere(keep: (state: HostnameAlertState) => boolean): Promise<Map<string, HostnameAlertState>>;
  /** The states of these hostnames (keyed by `alertStateKey`); a hostname without one is left out. */
  loadMany(
    hostnames: readonly { zoneId: string; hostname: string }[],
  ): Promise<Map<string, HostnameAlertState>>;
  load(zoneId: string, hostname: string): Promise<HostnameAlertState | null>;
  /** Persists one state and indexes its episode so a button click can find it. */
  save(state: HostnameAlertState): Promise<void>;
  /**
   * Persists bookkeeping that needs no Slack call (failure counters, the last switch seen) in one
   * round trip, each only if the stored state is still the one the decision was made from. An
   * evaluator working from an older read must never overwrite what another one just posted.
   */
  saveManyIfUnchanged(
    updates: { previous: HostnameAlertState | null; next: HostnameAlertState }[],
  ): Promise<number>;
  findByEpisode(episodeId: string): Promise<HostnameAlertState | null>;
  /** The hostname or group state an episode id belongs to (the index is shared). */
  findEpisodeOwner(episodeId: string): Promise<EpisodeOwner | null>;
  /** Every grouped thread (`alerts.group_by: certificate`). */
  loadGroups(): Promise<Map<string, GroupAlertState>>;
  loadGroup(groupId: string): Promise<GroupAlertState | null>;
  /** Persists one group and indexes its episode. */
  saveGroup(state: GroupAlertState): Promise<void>;
  /** As `saveManyIfUnchanged`, for groups. */
  saveGroupsIfUnchanged(
    updates: { previous: GroupAlertState | null; next: GroupAlertState }[],
  ): Promise<number>;
  /** As `withLock`, for any lock name (a group's is `group:${groupId}`). */
  withNamedLock<T>(name: string, fn: () => Promise<T>, options?: { waitMs?: number }): Promise<T | null>;
  /**
   * Runs `fn` while holding the hostname's lock, so two evaluators (or an evaluator and a button)
   * never decide and post for the same hostname at once. Resolves to null when the lock stays
   * taken for `waitMs`: someone else is handling the hostname right now.
   */
  withLock<T>(
    zoneId: string,
    hostname: string,
    fn: () => Promise<T>,
    options?: { waitMs?: number },
  ): Promise<T | null>;
}

const LOCK_TTL_MS = 60_000;

/**
 * KEYS[1] states hash, KEYS[2] episode index; ARGV[1] the prefix of index values ('' for hostnames,
 * 'group:' for groups), then ARGV in fours: field, expected JSON ('' = absent), new JSON, episode id
 * ('' = none). Writes each field only when it still holds the expected JSON.
 */
const COMPARE_AND_SET_SCRIPT = `
local written = 0
for i = 2, #ARGV, 4 do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  if (current == false and ARGV[i + 1] == '') or current == ARGV[i + 1] then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2])
    if ARGV[i + 3] ~= '' then redis.call('HSET', KEYS[2], ARGV[i + 3], ARGV[1] .. ARGV[i]) end
    written = written + 1
  end
end
return written
`;

/** States read per HSCAN or HMGET call. */
const STATE_SCAN_COUNT = 1_000;

/** States written per script call (four arguments each). */
const COMPARE_AND_SET_CHUNK = 500;

export function createAlertStore(redis: Redis, keys: RedisKeys, logger: Logger): AlertStore {
  const parse = (field: string, json: string): HostnameAlertState | null =>
    readable(field, json, deserializeAlertState);
  const parseGroup = (field: string, json: string): GroupAlertState | null =>
    readable(field, json, deserializeGroupState);
  function readable<T>(field: string, json: string, read: (json: string) => T): T | null {
    try {
      return read(json);
    } catch (error) {
      // A state that cannot be read is reported, not guessed at: treating it as new would re-post a parent.
      logger.error(
        { err: error, field },
        'unreadable alert state; the hostname is skipped until it is fixed or deleted',
      );
      return null;
    }
  }
  /**
   * Runs COMPARE_AND_SET_SCRIPT over `updates` a chunk at a time, each turned into its write (field,
   * expected, next, episode id) only when its chunk is sent: each field is compared and set on its
   * own anyway, one call with the arguments of 100,000 hostnames overflows the call stack (and holds
   * Redis for as long), and the serialized states of a whole first evaluation are tens of megabytes.
   */
  const compareAndSetInChunks = async <U>(
    hash: string,
    indexPrefix: string,
    updates: readonly U[],
    writeOf: (update: U) => [string, string, string, string],
  ): Promise<number> => {
    let written = 0;
    for (let start = 0; start < updates.length; start += COMPARE_AND_SET_CHUNK) {
      const argv = updates.slice(start, start + COMPARE_AND_SET_CHUNK).flatMap(writeOf);
      written += Number(
        await redis.eval(COMPARE_AND_SET_SCRIPT, 2, hash, keys.alertEpisodes, indexPrefix, ...argv),
      );
    }
    return written;
  };
  const episodeIndexWrite = (pipeline: ReturnType<Redis['multi']>, state: HostnameAlertState) => {
    if (state.episode)
      pipeline.hset(keys.alertEpisodes, state.episode.id, alertStateKey(state.zoneId, state.hostname));
  };

  return {
    async loadWhere(keep) {
      const kept = new Map<string, HostnameAlertState>();
      let cursor = '0';
      do {
        const [next, flat] = await redis.hscan(keys.alertStates, cursor, 'COUNT', STATE_SCAN_COUNT);
        cursor = next;
        for (let index = 0; index + 1 < flat.length; index += 2) {
          const field = flat[index] as string;
          const state = parse(field, flat[index + 1] as string);
          if (state && keep(state)) kept.set(field, state);
        }
      } while (cursor !== '0');
      return kept;
    },
    async loadMany(hostnames) {
      const states = new Map<string, HostnameAlertState>();
      for (let start = 0; start < hostnames.length; start += STATE_SCAN_COUNT) {
        const fields = hostnames
          .slice(start, start + STATE_SCAN_COUNT)
          .map(({ zoneId, hostname }) => alertStateKey(zoneId, hostname));
        const values = await redis.hmget(keys.alertStates, ...fields);
        values.forEach((json, index) => {
          const field = fields[index] as string;
          const state = json === null ? null : parse(field, json);
          if (state) states.set(field, state);
        });
      }
      return states;
    },
    async load(zoneId, hostname) {
      const field = alertStateKey(zoneId, hostname);
      const json = await redis.hget(keys.alertStates, field);
      return json === null ? null : parse(field, json);
    },
    async save(state) {
      const pipeline = redis
        .multi()
        .hset(keys.alertStates, alertStateKey(state.zoneId, state.hostname), serializeAlertState(state));
      episodeIndexWrite(pipeline, state);
      await pipeline.exec();
    },
    async saveManyIfUnchanged(updates) {
      return compareAndSetInChunks(keys.alertStates, '', updates, ({ previous, next }) => [
        alertStateKey(next.zoneId, next.hostname),
        previous ? serializeAlertState(previous) : '',
        serializeAlertState(next),
        next.episode?.id ?? '',
      ]);
    },
    async findByEpisode(episodeId) {
      const field = await redis.hget(keys.alertEpisodes, episodeId);
      if (!field) return null;
      const json = await redis.hget(keys.alertStates, field);
      return json === null ? null : parse(field, json);
    },
    async findEpisodeOwner(episodeId) {
      const field = await redis.hget(keys.alertEpisodes, episodeId);
      if (!field) return null;
      if (field.startsWith(GROUP_INDEX_PREFIX)) {
        const groupId = field.slice(GROUP_INDEX_PREFIX.length);
        const json = await redis.hget(keys.alertGroups, groupId);
        const state = json === null ? null : parseGroup(groupId, json);
        return state === null ? null : { kind: 'group', state };
      }
      const json = await redis.hget(keys.alertStates, field);
      const state = json === null ? null : parse(field, json);
      return state === null ? null : { kind: 'hostname', state };
    },
    async loadGroups() {
      const all = await redis.hgetall(keys.alertGroups);
      const groups = new Map<string, GroupAlertState>();
      for (const [field, json] of Object.entries(all)) {
        const state = parseGroup(field, json);
        if (state) groups.set(field, state);
      }
      return groups;
    },
    async loadGroup(groupId) {
      const json = await redis.hget(keys.alertGroups, groupId);
      return json === null ? null : parseGroup(groupId, json);
    },
    async saveGroup(state) {
      const pipeline = redis.multi().hset(keys.alertGroups, state.id, serializeGroupState(state));
      if (state.episode)
        pipeline.hset(keys.alertEpisodes, state.episode.id, `${GROUP_INDEX_PREFIX}${state.id}`);
      await pipeline.exec();
    },
    async saveGroupsIfUnchanged(updates) {
      return compareAndSetInChunks(keys.alertGroups, GROUP_INDEX_PREFIX, updates, ({ previous, next }) => [
        next.id,
        previous ? serializeGroupState(previous) : '',
        serializeGroupState(next),
        next.episode?.id ?? '',
      ]);
    },
    withNamedLock: (name, fn, options = {}) => withLockNamed(name, fn, options),
    async withLock(zoneId, hostname, fn, options = {}) {
      return withLockNamed(alertStateKey(zoneId, hostname), fn, options);
    },
  };

  async function withLockNamed<T>(
    name: string,
    fn: () => Promise<T>,
    options: { waitMs?: number },
  ): Promise<T | null> {
    {
      const lockKey = keys.alertLock(name);
      const token = randomUUID();
      const deadline = Date.now() + (options.waitMs ?? 0);
      for (;;) {
        if ((await redis.set(lockKey, token, 'PX', LOCK_TTL_MS, 'NX')) === 'OK') break;
        if (Date.now() >= deadline) return null;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      try {
        return await fn();
      } finally {
        await redis.eval(
          "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end",
          1,
          lockKey,
          token,
        );
      }
    }
  }
}
