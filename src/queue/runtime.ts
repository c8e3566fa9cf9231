import type { Job, JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { CloudflareClient } from '../cloudflare/types.js';
import type { AppConfig } from '../config/types.js';
import { type DiscoveredZone, zoneCheckDue } from '../domain/discovery.js';
import { handOffToAlerts } from '../inventory/alert-handoff.js';
import { handOffToDigest } from '../inventory/digest-handoff.js';
import { buildZonePlans } from '../inventory/plan.js';
import { type ConfigRouter, routeNameOf, thresholdsFor, zoneThresholdsFor } from '../inventory/routing.js';
import { type AssembledRun, isFinalAttempt } from '../inventory/run.js';
import type { WatchStore } from '../inventory/watch-store.js';
import {
  checkZone,
  isRetryableZoneFailure,
  type ZoneCheckResult,
  type ZonePlan,
  zoneUseOf,
} from '../inventory/zone-check.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { RedisKeys } from '../store/keys.js';
import { connectRedisForQueues } from '../store/redis.js';
import { FlowProducer, Queue, QueueEvents, Worker } from './bullmq.js';
import {
  type AssemblePayload,
  type DiscoverPayload,
  JOB_NAMES,
  QUEUE_NAMES,
  ROUTE_DIGEST_SCHEDULER_PREFIX,
  type RunPurpose,
  routeDigestSchedulerId,
  SCHEDULER_IDS,
  safeJobId,
  type TickPayload,
  type ZoneCheckPayload,
} from './names.js';
import { createRunLines, runLineOf } from './run-lines.js';
import {
  type ExistingScheduler,
  LATE_AFTER_MS,
  lateByMs,
  nextScheduledRun,
  planSchedulerStart,
  slotTimeOfTick,
} from './schedule.js';
import { deserializeZoneCheck, reviveZoneCheck, serializeZoneCheck } from './serialization.js';
import { createSharedZoneChecks, type ZoneCheckOutcome, zoneCheckShareKey } from './shared-zone-checks.js';
import { writeZoneSummary } from './zone-summaries.js';

/** Zone-check results read per Redis call when a run is assembled. */
const COLLECT_PAGE_ZONES = 50;

export { LATE_AFTER_MS } from './schedule.js';

/**
 * Retry and timing knobs of the jobs. Production uses the defaults; tests and benchmarks shorten
 * them so that a run that has to exhaust its retries still finishes in seconds.
 */
export interface QueueTuning {
  /** Attempts of a tick (scheduled, catch-up or on demand). Default 3. */
  tickAttempts?: number;
  /** First retry delay of a tick, doubling. Default 1,000 ms. */
  tickBackoffMs?: number;
  /** Attempts of one zone's check before the run reports the zone as not checked. Default 3. */
  zoneCheckAttempts?: number;
  /** First retry delay of a zone check, doubling. Default 2,000 ms. */
  zoneCheckBackoffMs?: number;
  /** Attempts of the assemble step (rendering and posting). Default 8. */
  assembleAttempts?: number;
  /** First retry delay of the assemble step, doubling. Default 2,000 ms. */
  assembleBackoffMs?: number;
  /** A scheduled run that starts more than this after its slot says it is late. Default 5 minutes. */
  lateAfterMs?: number;
}

const DEFAULT_TUNING: Required<QueueTuning> = {
  tickAttempts: 3,
  tickBackoffMs: 1_000,
  zoneCheckAttempts: 3,
  zoneCheckBackoffMs: 2_000,
  assembleAttempts: 8,
  assembleBackoffMs: 2_000,
  lateAfterMs: LATE_AFTER_MS,
};

export interface QueueRuntimeOptions {
  config: AppConfig;
  /** The config's routes: route digests, and each hostname's thresholds. */
  router: ConfigRouter;
  keys: RedisKeys;
  /** Fast-failing connection for small reads and writes (snapshots, records). */
  redis: Redis;
  cloudflare: CloudflareClient;
  /** The client that reads a zone: its plan's account's, when the plan names one. Default `cloudflare`. */
  cloudflareFor?: (plan: ZonePlan) => CloudflareClient;
  /** With `discover:`: the discovered zones to plan, and the listing job run every `discover.every`. */
  discovery?: {
    watchedZones(): Promise<DiscoveredZone[]>;
    /**
     * One listing round (the discovery job); zones that left have their threads ended after it.
     * A scheduled round skips the listing when the list is younger than `skipIfListedWithinMs`:
     * BullMQ runs an `every` scheduler at once when it is created, right after the start-up listing.
     */
    discover(options: { skipIfListedWithinMs: number }): Promise<void>;
  };
  watchStore: WatchStore;
  logger: Logger;
  metrics: Metrics;
  clock: () => Date;
  /** Called once all zones of a digest run are in. */
  onDigestAssembled: (run: AssembledRun) => Promise<void>;
  /** Called once all zones of an alert evaluation are in. */
  onAlertsAssembled: (run: AssembledRun) => Promise<void>;
  /** Start workers in this process (AOP_ROLE all/worker). Producers always exist. */
  runWorkers: boolean;
  /** Zone checks in flight per worker process. */
  zoneCheckConcurrency?: number;
  /** Retries, backoff and lateness; defaults suit production. */
  tuning?: QueueTuning;
}

export interface QueueRuntime {
  start(): Promise<void>;
  stop(options?: { timeoutMs?: number }): Promise<void>;
  /** `/aop-status digest`: one digest into `channel` now (deduplicated within a minute). */
  requestDigest(channel: string, requestedBy: string): Promise<{ queued: boolean }>;
  /** Runs an alert evaluation now (tests, the demo, Refresh of everything). */
  requestEvaluation(): Promise<void>;
  queueDepths(): Promise<Record<string, Record<string, number>>>;
  workersRunning(): boolean;
  nextRunAt(purpose: RunPurpose, after: Date): Date | null;
  /** The next digest of `route` (null: the whole inventory's) after `after`. */
  nextDigestAt(route: string | null, after: Date): Date | null;
  /** Lists the zones now (the discovery job, on demand); resolves once the list is stored. */
  requestDiscovery(): Promise<void>;
}

const KEEP_JOBS = { removeOnComplete: { age: 24 * 3600, count: 1000 }, removeOnFail: { age: 7 * 24 * 3600 } };

/**
 * The BullMQ side: one job scheduler per schedule (upserted at start, so every process agrees on
 * one), a tick that fans out one zone-check job per zone as a flow, and an assemble step that runs
 * once every zone has answered or failed after its retries.
 */
export function createQueueRuntime(options: QueueRuntimeOptions): QueueRuntime {
  const { config, keys, logger, metrics, clock } = options;
  const tuning: Required<QueueTuning> = { ...DEFAULT_TUNING, ...options.tuning };
  const tickJobOptions: JobsOptions = {
    attempts: tuning.tickAttempts,
    backoff: { type: 'exponential', delay: tuning.tickBackoffMs },
    ...KEEP_JOBS,
  };
  const connection = connectRedisForQueues(config.redisUrl);
  connection.on('error', (error) => logger.warn({ err: error }, 'queue Redis connection error'));
  const prefix = keys.queuePrefix;
  const queues = {
    digest: new Queue<TickPayload | AssemblePayload>(QUEUE_NAMES.digest, { connection, prefix }),
    alerts: new Queue<TickPayload | AssemblePayload>(QUEUE_NAMES.alerts, { connection, prefix }),
    zoneChecks: new Queue<ZoneCheckPayload>(QUEUE_NAMES.zoneChecks, { connection, prefix }),
    discover: new Queue<DiscoverPayload>(QUEUE_NAMES.discover, { connection, prefix }),
  };
  for (const queue of Object.values(queues)) {
    queue.on('error', (error) => logger.warn({ err: error, queue: queue.name }, 'queue error'));
  }
  const flows = new FlowProducer({ connection, prefix });
  flows.on('error', (error) => logger.warn({ err: error }, 'flow producer error'));
  const workers: Worker[] = [];
  let started = false;
  /** Opened on the first on-demand discovery, to wait for its job. */
  let events: QueueEvents | null = null;

  const scheduleOf = (purpose: RunPurpose) =>
    purpose === 'digest' ? config.digest.schedule : config.alerts.schedule;
  const nextRunAt = (purpose: RunPurpose, after: Date): Date | null =>
    nextScheduledRun(scheduleOf(purpose), config.timezone, after);
  const nextDigestAt = (routeName: string | null, after: Date): Date | null => {
    const route = routeName === null ? null : options.router.named(routeName);
    return route
      ? nextScheduledRun(route.digest.schedule, route.digest.timeZone, after)
      : nextRunAt('digest', after);
  };
  const hostnameThresholds = thresholdsFor(options.router, config.thresholds);
  const zoneThresholds = zoneThresholdsFor(options.router, config.thresholds);
  const sharedChecks = createSharedZoneChecks({ redis: options.redis, keys });
  const runLines = createRunLines({
    redis: options.redis,
    key: keys.runLines,
    isRunning: async (line, slotId) => {
      const queue = line.startsWith('alerts') ? queues.alerts : queues.digest;
      const state = await queue.getJobState(safeJobId('assemble', slotId));
      return state !== 'completed' && state !== 'failed' && state !== 'unknown';
    },
  });

  const planZones = async (): Promise<ZonePlan[]> => {
    const [watched, ignored, discovered] = await Promise.all([
      options.watchStore.listWatched(),
      options.watchStore.listIgnored(),
      options.discovery?.watchedZones() ?? [],
    ]);
    return buildZonePlans(config.zones, watched, ignored, discovered);
  };

  /**
   * Cost follows use: a discovered zone whose last check found nothing AOP-related is left out of
   * the run until `discover.every` has passed since that check. Configured zones, zones with
   * hostnames watched and zones never checked are always in.
   */
  const dueForCheck = async (plans: ZonePlan[]): Promise<{ due: ZonePlan[]; idle: number }> => {
    const everyMs = config.discover?.everyMs;
    const candidates = plans.filter((plan) => plan.discovered === true && plan.hostnames.length === 0);
    if (everyMs === undefined || candidates.length === 0) return { due: plans, idle: 0 };
    const stored = await options.redis.hmget(keys.zoneSnapshots, ...candidates.map((plan) => plan.zone.id));
    const now = clock();
    const skipped = new Set<string>();
    candidates.forEach((plan, index) => {
      const text = stored[index];
      const reading = text ? zoneUseOf(deserializeZoneCheck(text)) : null;
      if (!zoneCheckDue(reading, now, everyMs)) skipped.add(plan.zone.id);
    });
    return { due: plans.filter((plan) => !skipped.has(plan.zone.id)), idle: skipped.size };
  };

  /** Tick: work out the slot, then add the whole fan-out atomically as one flow. */
  const processTick = async (purpose: RunPurpose, job: Job<TickPayload>) => {
    const trigger = job.data.trigger;
    const slotTimeMs = slotTimeOfTick(job);
    // The slot is on BullMQ's clock (the wall clock), so lateness is measured on it too, never on
    // the injected domain clock.
    const startedAtMs = job.processedOn ?? Date.now();
    const routeName = purpose === 'digest' ? (job.data.route ?? null) : null;
    const route = routeName === null ? null : options.router.named(routeName);
    if (routeName !== null && !route) {
      // A scheduler left over from a route since removed (start-up removes those); nothing to post.
      logger.warn({ route: routeName }, 'digest tick for a route the config no longer has; skipped');
      return;
    }
    if (route && trigger === 'schedule') {
      const channels = [
        ...route.digest.channels,
        ...(await options.watchStore.listSubscribedChannels(route.name)),
      ];
      if (channels.length === 0) {
        // No channel wants this route's digest: not one Cloudflare request for it.
        logger.debug({ route: route.name }, 'route digest has no channel; nothing checked');
        return;
      }
    }
    const slotId =
      trigger === 'on_demand'
        ? safeJobId(purpose, 'now', job.data.channel ?? 'all', ...(routeName ? [routeName] : []), slotTimeMs)
        : routeName
          ? safeJobId(purpose, 'route', routeName, 'slot', slotTimeMs)
          : safeJobId(purpose, 'slot', slotTimeMs);
    if (
      trigger === 'schedule' &&
      (await holdBehindRunningRun(purpose, routeName, { slotId, slotTimeMs, startedAtMs }))
    ) {
      return;
    }
    // A route's digest reads only the zones the route can own hostnames in, each in full, so that
    // one zone check can serve every digest of the slot.
    const { due: plans, idle: idleZones } = await dueForCheck(
      (await planZones()).filter((plan) => !route || options.router.mayOwnInZone(route.name, plan.zone)),
    );
    const share = purpose === 'digest' && trigger === 'schedule';
    const payload: AssemblePayload = {
      purpose,
      slotId,
      slotTimeMs,
      startedAtMs,
      lateByMs: lateByMs({ trigger, slotTimeMs, startedAtMs, lateAfterMs: tuning.lateAfterMs }),
      trigger,
      channel: job.data.channel ?? null,
      zonesTotal: plans.length,
      plans,
      route: routeName,
      ...(idleZones > 0 ? { idleZones } : {}),
    };
    await flows.add({
      name: purpose === 'digest' ? JOB_NAMES.digestAssemble : JOB_NAMES.alertsAssemble,
      queueName: purpose === 'digest' ? QUEUE_NAMES.digest : QUEUE_NAMES.alerts,
      data: payload,
      opts: {
        jobId: safeJobId('assemble', slotId),
        attempts: tuning.assembleAttempts,
        backoff: { type: 'exponential', delay: tuning.assembleBackoffMs },
        ...KEEP_JOBS,
      },
      children: plans.map((plan) => ({
        name: JOB_NAMES.zoneCheck,
        queueName: QUEUE_NAMES.zoneChecks,
        data: {
          purpose,
          slotId,
          plan,
          ...(share ? { shareKey: zoneCheckShareKey(slotTimeMs, plan) } : {}),
        } satisfies ZoneCheckPayload,
        opts: {
          jobId: safeJobId('zone', slotId, plan.zone.id),
          attempts: tuning.zoneCheckAttempts,
          backoff: { type: 'exponential', delay: tuning.zoneCheckBackoffMs },
          // A zone that keeps failing must not hold back the others: the assemble step reports it.
          ignoreDependencyOnFailure: true,
          ...KEEP_JOBS,
        },
      })),
    });
    logger.info(
      {
        purpose,
        slotId,
        route: routeName,
        zones: plans.length,
        idleZones,
        trigger,
        lateByMs: payload.lateByMs,
      },
      'run fanned out',
    );
    if (trigger === 'schedule') {
      metrics.runLateness.set({ run: purpose, route: routeName ?? '' }, (payload.lateByMs ?? 0) / 1000);
    }
  };

  const processZoneCheck = async (job: Job<ZoneCheckPayload>) => {
    const check = async (): Promise<ZoneCheckOutcome> => {
      const result = await checkZone(job.data.plan, {
        cloudflare: options.cloudflareFor?.(job.data.plan) ?? options.cloudflare,
        thresholds: config.thresholds,
        thresholdsFor: hostnameThresholds,
        zoneThresholdsFor: zoneThresholds,
        timeZone: config.timezone,
        now: clock,
        concurrency: config.cloudflare.concurrency,
      });
      // A zone whose lists failed is retried by BullMQ before the run reports it as not checked,
      // unless retrying cannot help.
      const retry =
        result.failure !== null &&
        isRetryableZoneFailure(result.failure.errorCode) &&
        job.attemptsMade + 1 < (job.opts.attempts ?? 1);
      return { result, final: !retry };
    };
    const { shareKey } = job.data;
    const outcome = shareKey
      ? await sharedChecks.once(shareKey, check)
      : { ...(await check()), shared: false };
    if (!outcome.final) {
      throw new Error(
        `zone ${job.data.plan.zone.id}: ${outcome.result.failure?.errorMessage ?? 'check failed'}`,
      );
    }
    // A shared result was stored by the worker that checked the zone.
    if (!outcome.shared) await recordSnapshot(outcome.result);
    // The snapshot keeps every hostname; a digest is handed its problems and the healthy ones'
    // counts, so the assemble step of a large inventory holds its problems, not its every record.
    // An alert evaluation still needs each hostname (recoveries, certificate moves), in a lean form.
    const handed =
      job.data.purpose === 'digest'
        ? handOffToDigest(outcome.result, (hostname, zone) => routeNameOf(options.router, hostname, zone))
        : handOffToAlerts(outcome.result);
    return JSON.parse(serializeZoneCheck(handed)) as unknown;
  };

  const recordSnapshot = async (result: ZoneCheckResult) => {
    try {
      const writes = options.redis
        .multi()
        .hset(keys.zoneSnapshots, result.zone.id, serializeZoneCheck(result));
      // Its summary in the same transaction: what /metrics, App Home and `zones` read instead.
      writeZoneSummary(writes, keys, result);
      if (!result.failure) writes.set(keys.lastCloudflareSuccess, result.checkedAt.toISOString());
      await writes.exec();
    } catch (error) {
      logger.warn({ err: error }, 'could not store the zone snapshot');
    }
    // The per-hostname gauges are exported from these snapshots' summaries when /metrics is scraped,
    // so every process reports the same, current values (src/observability/hostname-gauges.ts).
  };

  /** The zone checks' results, a page of zones at a time, each zone once and only the run's planned zones. */
  async function* readResults(job: Job<AssemblePayload>): AsyncIterable<ZoneCheckResult[]> {
    const planned = new Set(job.data.plans.map((plan) => plan.zone.id));
    const read = new Set<string>();
    // A page of zones at a time: the results of 1,000 zones of 100 hostnames are one 150 MB reply
    // when read at once, held as a buffer, as strings and parsed, all at the same time.
    let cursor = 0;
    do {
      const page = await job.getDependencies({ processed: { cursor, count: COLLECT_PAGE_ZONES } });
      const results: ZoneCheckResult[] = [];
      for (const value of Object.values(page.processed ?? {})) {
        const result = reviveZoneCheck(value);
        if (!planned.has(result.zone.id) || read.has(result.zone.id)) continue;
        read.add(result.zone.id);
        results.push(result);
      }
      yield results;
      cursor = page.nextProcessedCursor ?? 0;
    } while (cursor !== 0);
  }

  /**
   * Every planned zone's result, a zone whose check gave up reported as not checked. `withChecks`
   * false leaves each zone's hostname checks out (an alert run reads them again page by page).
   */
  const collect = async (
    job: Job<AssemblePayload>,
    { withChecks }: { withChecks: boolean },
  ): Promise<ZoneCheckResult[]> => {
    const failures = await job.getIgnoredChildrenFailures();
    const byZone = new Map<string, ZoneCheckResult>();
    for await (const page of readResults(job)) {
      for (const result of page) byZone.set(result.zone.id, withChecks ? result : { ...result, checks: [] });
    }
    const failureFor = (zoneId: string) =>
      Object.entries(failures).find(([key]) => key.endsWith(safeJobId('zone', job.data.slotId, zoneId)))?.[1];
    return job.data.plans.map((plan) => {
      const found = byZone.get(plan.zone.id);
      if (found) return found;
      const reason = failureFor(plan.zone.id) ?? 'the zone check did not finish';
      return {
        zone: plan.zone,
        checkedAt: clock(),
        checks: [],
        failure: {
          zone: plan.zone,
          errorCode: 'zone_check_failed',
          errorMessage: reason,
          hostnames: plan.hostnames,
        },
        requests: 0,
      };
    });
  };

  /** The collected results again, with their checks, a page at a time (the zones that gave up last). */
  const rereadResultPages = (job: Job<AssemblePayload>, collected: readonly ZoneCheckResult[]) =>
    async function* (): AsyncIterable<ZoneCheckResult[]> {
      const read = new Set<string>();
      for await (const page of readResults(job)) {
        for (const result of page) read.add(result.zone.id);
        yield page;
      }
      const rest = collected.filter((result) => !read.has(result.zone.id));
      if (rest.length > 0) yield rest;
    };

  /**
   * A slot that fires while the schedule's previous run is still going is not started beside it
   * (see run-lines.ts): it waits, and the wait is reported. True when this slot was held.
   */
  const holdBehindRunningRun = async (
    purpose: RunPurpose,
    route: string | null,
    run: { slotId: string; slotTimeMs: number; startedAtMs: number },
  ): Promise<boolean> => {
    const running = await runLines.begin(runLineOf(purpose, route), run);
    if (running === null) return false;
    metrics.runSlotsHeld.inc({ run: purpose, route: route ?? '' });
    logger.warn(
      {
        purpose,
        route,
        slotTime: new Date(run.slotTimeMs).toISOString(),
        runningSlotTime: new Date(running.slotTimeMs).toISOString(),
        runningForMs: run.startedAtMs - running.startedAtMs,
      },
      'the previous run of this schedule is still going; this slot starts, late, when it ends',
    );
    return true;
  };

  /** A scheduled run has ended, done or given up: the slot that waited for it starts now. */
  const endScheduledRun = async (payload: AssemblePayload) => {
    if (payload.trigger !== 'schedule') return;
    const route = payload.route ?? null;
    const waiting = await runLines.end(runLineOf(payload.purpose, route), payload.slotId);
    if (waiting === null) return;
    await queues[payload.purpose].add(
      payload.purpose === 'digest' ? JOB_NAMES.digestTick : JOB_NAMES.alertsTick,
      { trigger: 'schedule', slotTimeMs: waiting, ...(route === null ? {} : { route }) },
      {
        ...tickJobOptions,
        jobId: safeJobId('held', payload.purpose, ...(route === null ? [] : [route]), waiting),
      },
    );
  };

  const processAssemble = async (job: Job<AssemblePayload>) => {
    try {
      await assemble(job);
    } catch (error) {
      if (
        isFinalAttempt({
          jobId: null,
          attemptsMade: job.attemptsMade,
          attemptsAllowed: job.opts.attempts ?? 1,
        })
      )
        await endScheduledRun(job.data);
      throw error;
    }
    await endScheduledRun(job.data);
  };

  const assemble = async (job: Job<AssemblePayload>) => {
    const startedMs = Date.now();
    // An alert evaluation looks at every hostname: it reads them a page at a time rather than
    // holding 100,000 checks at once. A digest is handed only problems and counts (digest-handoff).
    const paged = job.data.purpose === 'alerts';
    const results = await collect(job, { withChecks: !paged });
    const run: AssembledRun = {
      payload: job.data,
      results,
      attempt: {
        jobId: job.id ?? null,
        attemptsMade: job.attemptsMade,
        attemptsAllowed: job.opts.attempts ?? 1,
      },
      ...(paged ? { readResultPages: rereadResultPages(job, results) } : {}),
    };
    if (job.data.purpose === 'digest') await options.onDigestAssembled(run);
    else await options.onAlertsAssembled(run);
    const labels = { run: job.data.purpose, route: job.data.route ?? '' };
    metrics.jobDuration.observe(labels, (Date.now() - startedMs) / 1000);
    metrics.jobLastSuccess.set(labels, Math.floor(clock().getTime() / 1000));
  };

  const processDiscover = async (job: Job<DiscoverPayload>) => {
    await options.discovery?.discover({
      skipIfListedWithinMs: job.data.trigger === 'schedule' ? (config.discover?.everyMs ?? 0) / 2 : 0,
    });
  };

  const runQueue = (purpose: RunPurpose) => async (job: Job<TickPayload | AssemblePayload>) => {
    const child = logger.child({ jobId: job.id, job: job.name });
    child.debug('job started');
    if (job.name === JOB_NAMES.digestTick || job.name === JOB_NAMES.alertsTick) {
      await processTick(purpose, job as Job<TickPayload>);
    } else {
      await processAssemble(job as Job<AssemblePayload>);
    }
  };

  /**
   * Makes the job scheduler match the config without losing a slot (see planSchedulerStart): an
   * unchanged scheduler is left alone, so a slot that fell due while every process was down is
   * still run, late, by the first worker back; a changed one is upserted after its overdue slot,
   * if any, was queued as a catch-up tick.
   */
  const ensureScheduler = async (
    purpose: RunPurpose,
    schedulerId: string,
    tickName: string,
    schedule: { pattern: string; timeZone: string; route?: string } = {
      pattern: scheduleOf(purpose),
      timeZone: config.timezone,
    },
  ) => {
    const queue = queues[purpose];
    const { pattern, timeZone, route } = schedule;
    // The whole inventory's template is the one written before routes existed, so an existing
    // scheduler is recognised as unchanged and keeps its pending slot.
    const data: TickPayload = route === undefined ? { trigger: 'schedule' } : { trigger: 'schedule', route };
    const template = { name: tickName, data, opts: tickJobOptions };
    const found = await queue.getJobScheduler(schedulerId);
    let existing: ExistingScheduler | null = null;
    if (found) {
      const nextMs = typeof found.next === 'number' ? found.next : null;
      const pending = nextMs === null ? undefined : await queue.getJob(`repeat:${schedulerId}:${nextMs}`);
      existing = {
        pattern: found.pattern ?? null,
        timeZone: found.tz ?? null,
        template: { name: found.name, data: found.template?.data, opts: found.template?.opts },
        nextMs,
        pendingJobState: pending ? await pending.getState() : null,
      };
    }
    // BullMQ schedules on the wall clock, so "already due" is judged on it too.
    const plan = planSchedulerStart({ pattern, timeZone, template }, existing, Date.now());
    if (plan.catchUpSlotMs !== null) {
      await queue.add(
        tickName,
        { ...data, slotTimeMs: plan.catchUpSlotMs },
        {
          ...tickJobOptions,
          jobId: safeJobId('catch-up', purpose, ...(route === undefined ? [] : [route]), plan.catchUpSlotMs),
        },
      );
      logger.warn(
        { purpose, route, slotTime: new Date(plan.catchUpSlotMs).toISOString() },
        'a scheduled run was due while no worker ran; running it now, late',
      );
    }
    if (plan.upsert) {
      await queue.upsertJobScheduler(schedulerId, { pattern, tz: timeZone }, template);
      logger.info({ purpose, route, pattern, timeZone }, 'job scheduler upserted');
    } else {
      logger.info(
        { purpose, route, pattern, timeZone, next: existing?.nextMs },
        'job scheduler unchanged; its pending run is kept',
      );
    }
  };

  /** One scheduler per configured route; those of routes no longer configured are removed. */
  const ensureRouteSchedulers = async () => {
    for (const route of config.routes) {
      await ensureScheduler('digest', routeDigestSchedulerId(route.name), JOB_NAMES.digestTick, {
        pattern: route.digest.schedule,
        timeZone: route.digest.timeZone,
        route: route.name,
      });
    }
    const wanted = new Set(config.routes.map((route) => routeDigestSchedulerId(route.name)));
    for (const scheduler of await queues.digest.getJobSchedulers()) {
      const id = scheduler.key;
      if (id.startsWith(ROUTE_DIGEST_SCHEDULER_PREFIX) && !wanted.has(id)) {
        await queues.digest.removeJobScheduler(id);
        logger.info({ schedulerId: id }, 'job scheduler of a route no longer configured removed');
      }
    }
  };

  return {
    nextRunAt,
    nextDigestAt,
    async start() {
      if (started) return;
      started = true;
      await ensureScheduler('digest', SCHEDULER_IDS.digest, JOB_NAMES.digestTick);
      await ensureRouteSchedulers();
      // Alert threads run when any owner (the top level or a route) has a channel for them.
      if (config.alerts.channel || config.routes.some((route) => route.alertsChannel)) {
        await ensureScheduler('alerts', SCHEDULER_IDS.alerts, JOB_NAMES.alertsTick);
      } else {
        await queues.alerts.removeJobScheduler(SCHEDULER_IDS.alerts);
      }
      if (config.discover && options.discovery) {
        // `every`, not a cron: the list is read again discover.every after the last time.
        await queues.discover.upsertJobScheduler(
          SCHEDULER_IDS.discover,
          { every: config.discover.everyMs },
          { name: JOB_NAMES.discover, data: { trigger: 'schedule' }, opts: tickJobOptions },
        );
      } else {
        await queues.discover.removeJobScheduler(SCHEDULER_IDS.discover);
      }
      if (!options.runWorkers) return;
      const workerOptions = {
        connection,
        prefix,
        concurrency: 1,
        lockDuration: config.jobs.lockDurationMs,
        stalledInterval: config.jobs.stalledIntervalMs,
      };
      workers.push(
        new Worker(QUEUE_NAMES.digest, runQueue('digest'), workerOptions),
        new Worker(QUEUE_NAMES.alerts, runQueue('alerts'), workerOptions),
        new Worker(QUEUE_NAMES.zoneChecks, processZoneCheck, {
          ...workerOptions,
          concurrency: options.zoneCheckConcurrency ?? 4,
        }),
        new Worker(QUEUE_NAMES.discover, processDiscover, workerOptions),
      );
      for (const worker of workers) {
        worker.on('error', (error) => logger.warn({ err: error, queue: worker.name }, 'worker error'));
        worker.on('failed', (job, error) => {
          const details = { err: error, jobId: job?.id, queue: worker.name, attempts: job?.attemptsMade };
          // The last failure is the one a person must hear about: nothing retries it after this.
          if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
            logger.error(details, 'job failed after every retry');
          } else {
            logger.warn(details, 'job failed; it will be retried');
          }
        });
      }
    },
    async stop(stopOptions = {}) {
      const timeoutMs = stopOptions.timeoutMs ?? 20_000;
      // Let running jobs finish within the bound; after it, close forcibly (BullMQ re-runs stalled jobs).
      const graceful = Promise.all(workers.map((worker) => worker.close()));
      const timedOut = await Promise.race([
        graceful.then(() => false),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(true), timeoutMs).unref()),
      ]);
      if (timedOut) await Promise.all(workers.map((worker) => worker.close(true)));
      await Promise.all([
        ...Object.values(queues).map((queue) => queue.close()),
        flows.close(),
        ...(events ? [events.close()] : []),
      ]);
      connection.disconnect();
    },
    async requestDigest(channel, requestedBy) {
      const minuteMs = Math.floor(clock().getTime() / 60_000) * 60_000;
      const jobId = safeJobId('digest-now', channel, minuteMs);
      const existing = await queues.digest.getJob(jobId);
      if (existing) return { queued: false };
      await queues.digest.add(
        JOB_NAMES.digestTick,
        { trigger: 'on_demand', channel, requestedBy, slotTimeMs: clock().getTime() },
        { ...tickJobOptions, jobId },
      );
      return { queued: true };
    },
    async requestEvaluation() {
      await queues.alerts.add(
        JOB_NAMES.alertsTick,
        { trigger: 'on_demand', slotTimeMs: clock().getTime() },
        tickJobOptions,
      );
    },
    async requestDiscovery() {
      const job = await queues.discover.add(
        JOB_NAMES.discover,
        { trigger: 'on_demand' },
        { ...tickJobOptions, jobId: safeJobId('discover-now', clock().getTime()) },
      );
      if (!events) {
        events = new QueueEvents(QUEUE_NAMES.discover, {
          connection: connectRedisForQueues(config.redisUrl),
          prefix,
        });
        await events.waitUntilReady();
      }
      await job.waitUntilFinished(events);
    },
    async queueDepths() {
      const depths: Record<string, Record<string, number>> = {};
      for (const queue of Object.values(queues)) {
        depths[queue.name] = await queue.getJobCounts(
          'waiting',
          'delayed',
          'active',
          'failed',
          'waiting-children',
        );
      }
      return depths;
    },
    workersRunning: () => workers.length > 0 && workers.every((worker) => worker.isRunning()),
  };
}
