import type { Dispatcher } from 'undici';
import { createAlertEvaluator } from './alerts/evaluator.js';
import { createAlertStore } from './alerts/store.js';
import { createCloudflareAccounts } from './cloudflare/accounts.js';
import { createCloudflareClient } from './cloudflare/client.js';
import { createInFlightLimit } from './cloudflare/in-flight.js';
import {
  cloudflareRateLimitKeys,
  createRedisRateLimiter,
  requestsInWindow,
  tokenBudgetId,
} from './cloudflare/rate-limiter.js';
import { createResilientRateLimiter } from './cloudflare/resilient-rate-limiter.js';
import type { CloudflareClient } from './cloudflare/types.js';
import { ConfigError } from './config/load.js';
import type { AppConfig, CloudflareAccount } from './config/types.js';
import { createDigestRunner } from './digest/run.js';
import { createZoneDiscovery, type ZoneDiscovery } from './discovery/service.js';
import { createDiscoveryStore } from './discovery/store.js';
import { createStoredAlertThreads } from './home/alert-threads.js';
import { createHomeService, type HomeService } from './home/service.js';
import type { HealthProbe } from './http/health.js';
import { createOpsRoutes, withinMs } from './http/ops-routes.js';
import { startOpsServer } from './http/ops-server.js';
import {
  type AccountBudget,
  budgetWarning,
  createBudgetService,
  describeBudgets,
} from './inventory/budget-inputs.js';
import { backgroundRequestLimit, describeBudgetPlan } from './inventory/budget-plan.js';
import { createInventoryCommands } from './inventory/commands.js';
import { buildZonePlans } from './inventory/plan.js';
import { routeNameOf, routerFromConfig, thresholdsFor, zoneThresholdsFor } from './inventory/routing.js';
import { createWatchStore } from './inventory/watch-store.js';
import { checkZone, mapWithConcurrency, type ZonePlan } from './inventory/zone-check.js';
import type { ZoneGaugeRows } from './inventory/zone-summary.js';
import { createLookupService } from './lookup/lookup-service.js';
import { createZoneResolver } from './lookup/zone-resolver.js';
import { exportBudgetGauges } from './observability/budget-gauges.js';
import { type CertificateGaugeLabels, certificateGaugeExposition } from './observability/hostname-gauges.js';
import type { Logger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { createQueueRuntime, type QueueRuntime, type QueueTuning } from './queue/runtime.js';
import { readStoredSnapshots } from './queue/stored-snapshots.js';
import { createZoneSummaryReader } from './queue/zone-summaries.js';
import { createAnswerQueue, DEFAULT_ANSWER_QUEUE } from './slack/answer-queue.js';
import type { SlackApp } from './slack/app.js';
import type { InventoryCommands, SlackDeps } from './slack/deps.js';
import { createSlackPoster } from './slack/poster.js';
import { createReplayCache } from './slack/replay-cache.js';
import { redisKeys } from './store/keys.js';
import { connectRedisForCommands } from './store/redis.js';

export interface AopStatusOptions {
  config: AppConfig;
  logger: Logger;
  /** undici dispatcher for Cloudflare calls; tests and benchmarks may pass their own. */
  cloudflareDispatcher?: Dispatcher;
  clock?: () => Date;
  metrics?: Metrics;
  /** Job retries and backoff, Slack pacing: tests and benchmarks shorten them; production leaves them out. */
  tuning?: { queue?: QueueTuning; slackChannelIntervalMs?: number };
}

export interface AopStatus {
  /** Resolves to the HTTP port bound (useful with PORT=0). */
  start(): Promise<{ port: number }>;
  /** Stops taking work, waits up to `jobTimeoutMs` for running jobs, closes Redis. */
  stop(options?: { jobTimeoutMs?: number }): Promise<void>;
  readonly metrics: Metrics;
  readonly cloudflare: CloudflareClient;
  readonly queues: QueueRuntime;
  /** The App Home overview as it would be shown now, from stored state (the demo and the benchmarks). */
  readonly home: Pick<HomeService, 'overview'>;
  /** `list`, `zones`, `watch` and the rest as the slash command runs them (the benchmarks). */
  readonly inventory: InventoryCommands;
}

function credentialSecret(account: CloudflareAccount): string {
  return account.auth.scheme === 'api_token'
    ? account.auth.token
    : `${account.auth.email}:${account.auth.key}`;
}

/**
 * The composition root: builds every part from the validated config and wires them together.
 * Nothing is connected or started until `start()`.
 */
export function createAopStatus(options: AopStatusOptions): AopStatus {
  const { config, logger } = options;
  const clock = options.clock ?? (() => new Date());
  const metrics = options.metrics ?? createMetrics();

  /** Seen by this process; /healthz also reads the time any process stored in Redis. */
  let lastCloudflareSuccessAt: Date | null = null;
  const commandsRedis = connectRedisForCommands(config.redisUrl, { lazyConnect: true });
  // One line when Redis goes away and one when it is back, not one per reconnection attempt.
  let redisDown = false;
  commandsRedis.on('error', (error) => {
    if (redisDown) return;
    redisDown = true;
    logger.error({ err: error }, 'Redis connection lost; retrying in the background');
  });
  commandsRedis.on('ready', () => {
    if (!redisDown) return;
    redisDown = false;
    logger.info('Redis connection is back');
  });

  // One `cloudflare.concurrency` for the whole process, whatever the account or the caller.
  const cloudflareInFlight = createInFlightLimit(config.cloudflare.concurrency);
  /** One client per account, each with its own token's budget shared through Redis. */
  const createAccountClient = (account: CloudflareAccount) => {
    const rateLimiter = createResilientRateLimiter({
      shared: createRedisRateLimiter({
        redis: commandsRedis,
        keyPrefix: config.redisKeyPrefix,
        // The single credential keeps the keys it always had, so an upgrade shares one budget.
        ...(account.implicit ? {} : { budgetId: tokenBudgetId(credentialSecret(account)) }),
        requests: account.rateLimit.requests,
        perSeconds: account.rateLimit.perSeconds,
        backgroundRequests: backgroundRequestLimit(account.rateLimit.requests),
      }),
      requests: account.rateLimit.requests,
      perSeconds: account.rateLimit.perSeconds,
      backgroundRequests: backgroundRequestLimit(account.rateLimit.requests),
      onFallback: (error) =>
        logger.warn(
          { err: error, account: account.name },
          'shared rate limiter unavailable; limiting in-process',
        ),
    });
    return createCloudflareClient({
      baseUrl: config.cloudflare.baseUrl,
      auth: account.auth,
      ...(options.cloudflareDispatcher ? { dispatcher: options.cloudflareDispatcher } : {}),
      rateLimiter,
      inFlight: cloudflareInFlight,
      requestTimeoutMs: config.cloudflare.requestTimeoutMs,
      // An account's own variable is named when Cloudflare refuses its token; the single credential keeps the general hint.
      ...(account.implicit ? {} : { credentialEnv: account.credentialEnv }),
      // No domain clock here: retry-after pauses and durations are wall-clock facts, and the shared
      // limiter measures them against real time (a frozen test clock would drop the pause).
      logger: logger.child({ component: 'cloudflare', account: account.name }),
      onRequest: ({ route, status, durationMs }) => {
        if (typeof status === 'number' && status < 400) lastCloudflareSuccessAt = clock();
        metrics.cloudflareRequests.inc({ route, status: String(status), account: account.name });
        metrics.cloudflareRequestDuration.observe({ route, account: account.name }, durationMs / 1000);
      },
    });
  };
  const cloudflareAccounts = createCloudflareAccounts({
    accounts: config.cloudflare.accounts,
    zones: config.zones,
    createClient: createAccountClient,
  });
  const cloudflare = cloudflareAccounts.routing;
  /** A zone's calls go with the token of the account its plan names (a discovered zone's lister). */
  const cloudflareFor = (plan: ZonePlan) =>
    plan.account ? cloudflareAccounts.forAccount(plan.account) : cloudflare;

  const zoneResolver = createZoneResolver({
    cloudflare,
    zones: config.zones,
    nowMs: () => clock().getTime(),
  });
  const keys = redisKeys(config.redisKeyPrefix);
  const router = routerFromConfig(config);
  const hostnameThresholds = thresholdsFor(router, config.thresholds);
  const zoneThresholds = zoneThresholdsFor(router, config.thresholds);
  const zoneSummaries = createZoneSummaryReader({
    redis: commandsRedis,
    keys,
    logger: logger.child({ component: 'zone-summaries' }),
  });
  const lookup = createLookupService({
    cloudflare,
    zoneResolver,
    thresholds: config.thresholds,
    thresholdsFor: hostnameThresholds,
    timeZone: config.timezone,
    clock,
    // From the zone's summary: its last check's quota, without parsing its every hostname.
    readZoneQuota: (zoneId) => zoneSummaries.readZoneQuota(zoneId),
  });

  const watchStore = createWatchStore(commandsRedis, keys);
  const discoveryStore = createDiscoveryStore(commandsRedis, keys);
  const discovery: ZoneDiscovery | null = config.discover
    ? createZoneDiscovery({
        discover: config.discover,
        configuredZones: config.zones,
        accounts: cloudflareAccounts.all.map(({ account, client }) => ({
          name: account.name,
          credentialEnv: account.credentialEnv,
          listZones: () => client.listZones(),
        })),
        store: discoveryStore,
        clock,
        logger: logger.child({ component: 'discovery' }),
        // A configured zone that names its account keeps it; any other is read by its first lister.
        onZonesListed: (zones) => {
          const named = new Set(config.zones.flatMap((zone) => (zone.account ? [zone.id] : [])));
          for (const zone of zones)
            if (!named.has(zone.id)) cloudflareAccounts.remember(zone.id, zone.account);
        },
      })
    : null;
  /** The discovered zones to watch; each one's account is remembered for lookups and Refresh. */
  const discoveredZones = async () => {
    const zones = (await discovery?.watchedZones()) ?? [];
    for (const zone of zones) cloudflareAccounts.remember(zone.id, zone.account);
    return zones;
  };
  /** The open threads of zones that left the list end with that reason; a failed post is tried next time. */
  const endThreadsOfGoneZones = async () => {
    const gone = await discoveryStore.listGone();
    if (gone.length === 0) return;
    const done = await alerts.endThreadsOfGoneZones(gone.map((zone) => zone.id));
    await discoveryStore.dropGone(done);
    if (done.length > 0)
      await commandsRedis
        .multi()
        .hdel(keys.zoneSnapshots, ...done)
        .hdel(keys.zoneSummaries, ...done)
        .hdel(keys.zoneGaugeRows, ...done)
        .exec();
  };
  const poster = createSlackPoster({
    token: config.slack.botToken,
    apiUrl: config.slack.apiUrl,
    redis: commandsRedis,
    keys,
    logger,
    metrics,
    ...(options.tuning?.slackChannelIntervalMs === undefined
      ? {}
      : { channelIntervalMs: options.tuning.slackChannelIntervalMs }),
  });
  const runWorkers = config.role !== 'web';
  const alertStore = createAlertStore(commandsRedis, keys, logger);
  const alerts = createAlertEvaluator({
    config,
    router,
    store: alertStore,
    poster,
    cloudflare,
    logger,
    metrics,
    clock,
    accountOfZone: (zoneId) => cloudflareAccounts.accountOfZone(zoneId),
  });
  let queues: QueueRuntime;
  const runDigest = createDigestRunner({
    config,
    redis: commandsRedis,
    keys,
    poster,
    watchStore,
    logger,
    metrics,
    clock,
    router,
    nextDigestAt: (route, after) => queues.nextDigestAt(route, after),
    budgetNote: async () => budgetWarning(await budgets.current()),
    ...(discovery
      ? {
          zoneList: {
            async read() {
              const [{ notices, count }, stored] = await Promise.all([
                discoveryStore.readNotices(),
                discoveryStore.read(),
              ]);
              const added = new Map<string, { id: string; name: string | null }>();
              const removed = new Map<string, { id: string; name: string | null }>();
              for (const notice of notices) {
                // A zone that came and went between two digests is told as it is now.
                for (const zone of notice.added) {
                  removed.delete(zone.id);
                  added.set(zone.id, zone);
                }
                for (const zone of notice.removed) {
                  if (added.delete(zone.id)) continue;
                  removed.set(zone.id, zone);
                }
              }
              const byName = (
                a: { id: string; name: string | null },
                b: { id: string; name: string | null },
              ) => (a.name ?? a.id).localeCompare(b.name ?? b.id);
              return {
                token: count,
                changes: {
                  added: [...added.values()].sort(byName),
                  removed: [...removed.values()].sort(byName),
                  listingFailures: Object.entries(stored?.accounts ?? {}).flatMap(([account, status]) =>
                    status.failure === null
                      ? []
                      : [
                          {
                            account,
                            errorMessage: status.failure.errorMessage,
                            lastGoodAt: status.lastGoodAt,
                          },
                        ],
                  ),
                },
              };
            },
            told: (count: number) => discoveryStore.dropNotices(count),
          },
        }
      : {}),
  });
  queues = createQueueRuntime({
    config,
    router,
    keys,
    redis: commandsRedis,
    cloudflare,
    cloudflareFor,
    ...(discovery
      ? {
          discovery: {
            watchedZones: discoveredZones,
            async discover({ skipIfListedWithinMs }) {
              const listedAt = skipIfListedWithinMs > 0 ? (await discoveryStore.read())?.listedAt : undefined;
              if (listedAt && clock().getTime() - listedAt.getTime() < skipIfListedWithinMs) {
                logger.debug({ listedAt }, 'zone list is fresh; this scheduled listing is skipped');
              } else {
                await discovery.discover();
              }
              await endThreadsOfGoneZones();
            },
          },
        }
      : {}),
    watchStore,
    logger,
    metrics,
    clock,
    runWorkers,
    onDigestAssembled: runDigest,
    onAlertsAssembled: async (run) => {
      await alerts.evaluateRun(run);
    },
    ...(options.tuning?.queue ? { tuning: options.tuning.queue } : {}),
  });
  /** Every zone watched now: configured, discovered, and those of hostnames added with `watch`. */
  const planAllZones = async () => {
    const [watched, ignored, discovered] = await Promise.all([
      watchStore.listWatched(),
      watchStore.listIgnored(),
      discoveredZones(),
    ]);
    return buildZonePlans(config.zones, watched, ignored, discovered);
  };
  const checkZonesNow = async (zoneIds: string[]) => {
    const plans = (await planAllZones()).filter((plan) => zoneIds.includes(plan.zone.id));
    return mapWithConcurrency(plans, config.cloudflare.concurrency, (plan) =>
      checkZone(plan, {
        cloudflare: cloudflareFor(plan),
        thresholds: config.thresholds,
        thresholdsFor: hostnameThresholds,
        zoneThresholdsFor: zoneThresholds,
        timeZone: config.timezone,
        now: clock,
        concurrency: config.cloudflare.concurrency,
      }),
    );
  };
  const inventory = createInventoryCommands({
    config,
    router,
    watchStore,
    zoneResolver,
    readSnapshots: (zoneIds) => readStoredSnapshots(commandsRedis, keys, zoneIds),
    readZoneSummaries: () => zoneSummaries.readSummaries(),
    checkZonesNow,
    requestDigest: (channel, requestedBy) => queues.requestDigest(channel, requestedBy),
    clock,
    planZones: planAllZones,
    accountOf: (plan) => plan.account ?? cloudflareAccounts.accountOfZone(plan.zone.id),
  });

  const listZones = async () => (await planAllZones()).map((plan) => plan.zone);
  const budgets = createBudgetService({
    config,
    planZones: planAllZones,
    // From the zones' summaries: a few numbers per zone, never a zone's every hostname.
    readZoneUse: async () =>
      new Map((await zoneSummaries.readSummaries()).map((summary) => [summary.zone.id, summary.use])),
    accountOf: (plan) => plan.account ?? cloudflareAccounts.accountOfZone(plan.zone.id),
    mayOwnInZone: (route, zone) => router.mayOwnInZone(route, zone),
    clock,
  });
  const home = createHomeService({
    redis: commandsRedis,
    keys,
    timeZone: config.timezone,
    listZones,
    readZoneSummaries: () => zoneSummaries.readSummaries(),
    threads: createStoredAlertThreads(alertStore, listZones),
    // Each token's window as it stands, beside what the schedules need of it.
    cloudflareBudget: async () => {
      const planned = await budgets.current().catch((): AccountBudget[] => []);
      return Promise.all(
        config.cloudflare.accounts.map(async (account) => {
          const keysOfBudget = cloudflareRateLimitKeys(
            config.redisKeyPrefix,
            account.implicit ? undefined : tokenBudgetId(credentialSecret(account)),
          );
          const plan = planned.find((budget) => budget.account === account.name)?.plan;
          return {
            account: account.implicit ? null : account.name,
            used: await requestsInWindow(commandsRedis, keysOfBudget, account.rateLimit.perSeconds * 1000),
            limit: account.rateLimit.requests,
            perSeconds: account.rateLimit.perSeconds,
            ...(plan
              ? {
                  schedules: {
                    neededShare: plan.neededShare,
                    fits: plan.fits,
                    note: plan.fits ? null : describeBudgetPlan(plan),
                  },
                }
              : {}),
          };
        }),
      );
    },
    // The whole inventory's digest, then each route's own, each to its configured and subscribed channels.
    digestSchedules: (now) =>
      Promise.all(
        [null, ...config.routes.map((route) => route.name)].map(async (route) => ({
          route,
          channels: [
            ...new Set([
              ...(route === null
                ? config.digest.channels
                : (config.routes.find((candidate) => candidate.name === route)?.digest.channels ?? [])),
              ...(await watchStore.listSubscribedChannels(route)),
            ]),
          ],
          nextAt: queues.nextDigestAt(route, now),
        })),
      ),
    clock,
    logger: logger.child({ component: 'home' }),
  });

  const probes: Record<string, HealthProbe> = {
    redis: async () => {
      if (commandsRedis.status !== 'ready') {
        return { ok: false, detail: `unreachable (connection ${commandsRedis.status}); retrying` };
      }
      const answer = await commandsRedis.ping();
      return {
        ok: answer === 'PONG',
        detail: answer === 'PONG' ? 'reachable' : `unexpected answer ${answer}`,
      };
    },
    ...(runWorkers
      ? {
          workers: async () => {
            const running = queues.workersRunning();
            return {
              ok: running,
              detail: running ? 'running' : 'not running (starting, stopping or lost Redis)',
            };
          },
        }
      : {}),
    ...(config.slack.appToken && config.role !== 'worker'
      ? {
          slackSocket: async () =>
            slack?.socketConnection?.() ?? { ok: false, detail: 'connecting (the Slack side is starting)' },
        }
      : {}),
    // Informational: a stale time is worth a look, but it does not make this process unhealthy.
    lastCloudflareCheck: async () => {
      let stored: string | null = null;
      try {
        stored = await commandsRedis.get(keys.lastCloudflareSuccess);
      } catch {
        // Redis is reported by its own probe.
      }
      const candidates = [stored ? new Date(stored) : null, lastCloudflareSuccessAt].filter(
        (date): date is Date => date !== null && !Number.isNaN(date.getTime()),
      );
      const latest = candidates.sort((a, b) => b.getTime() - a.getTime())[0];
      return {
        ok: latest !== undefined,
        required: false,
        detail: latest ? latest.toISOString() : 'no successful check yet',
      };
    },
    // Informational: schedules that do not fit run late and stretched, but the process works.
    cloudflareBudget: async () => {
      const current = await budgets.current();
      return {
        ok: current.every((budget) => budget.plan.fits),
        required: false,
        detail: budgetWarning(current) ?? describeBudgets(current),
      };
    },
  };

  /**
   * The per-certificate gauges as last read: a scrape that cannot read them (Redis away or slow)
   * exports these, as the registry kept its gauges' last values.
   */
  let certificateGauges: { zones: ZoneGaugeRows[]; labels: CertificateGaugeLabels } = {
    zones: [],
    labels: {},
  };

  /**
   * Gauges read from Redis at scrape time, each bounded: with Redis away, /metrics still answers
   * promptly with what this process knows (Prometheus loses nothing exactly when it matters).
   */
  const refreshScrapedGauges = async () => {
    const [depths, gaugeRows, plans, budgetPlans] = await Promise.allSettled([
      withinMs(queues.queueDepths(), 1_000),
      withinMs(zoneSummaries.readGaugeRows(), 1_000),
      withinMs(planAllZones(), 1_000),
      withinMs(budgets.current(), 1_000),
    ]);
    const planned = new Map(
      plans.status === 'fulfilled'
        ? plans.value.flatMap((plan) => (plan.account ? [[plan.zone.id, plan.account]] : []))
        : [],
    );
    const accountOf = (zoneId: string) => planned.get(zoneId) ?? cloudflareAccounts.accountOfZone(zoneId);
    if (depths.status === 'fulfilled') {
      for (const [queue, counts] of Object.entries(depths.value)) {
        for (const [state, count] of Object.entries(counts)) metrics.queueDepth.set({ queue, state }, count);
      }
    }
    if (budgetPlans.status === 'fulfilled') exportBudgetGauges(metrics, budgetPlans.value);
    if (gaugeRows.status === 'fulfilled')
      certificateGauges = {
        zones: gaugeRows.value,
        labels: { routeOf: (hostname, zone) => routeNameOf(router, hostname, zone), accountOf },
      };
  };

  /** Says at start what the schedules cost each token, loudly when they do not fit. */
  const logBudgets = async () => {
    try {
      const current = await withinMs(budgets.current(), 5_000);
      for (const { account, plan } of current) {
        const figures = {
          account,
          neededShare: Number(plan.neededShare.toFixed(3)),
          backgroundRequests: plan.backgroundRequests,
          runs: plan.runs.map((run) => ({
            schedule: run.name,
            requests: run.requestsPerRun,
            intervalS: Math.round(run.shortestIntervalMs / 1000),
            stretchedS: run.stretchedRunMs === null ? null : Math.round(run.stretchedRunMs / 1000),
          })),
          zonesThatFit: Number.isFinite(plan.zonesThatFit) ? plan.zonesThatFit : null,
        };
        if (plan.fits) logger.info(figures, 'Cloudflare budget planned');
        else
          logger.warn(figures, `the schedules do not fit the Cloudflare budget: ${describeBudgetPlan(plan)}`);
      }
    } catch (error) {
      logger.warn({ err: error }, 'could not plan the Cloudflare budget at start');
    }
  };

  const opsRoutes = createOpsRoutes({
    probes,
    metrics,
    logger,
    beforeScrape: refreshScrapedGauges,
    streamedSeries: () => certificateGaugeExposition(certificateGauges.zones, certificateGauges.labels),
  });

  const answers = createAnswerQueue(DEFAULT_ANSWER_QUEUE);
  const slackDeps: SlackDeps = {
    config,
    lookup,
    logger,
    metrics,
    clock,
    inventory,
    alertButtons: alerts.buttons,
    home,
    answers,
  };
  let slack: SlackApp | null = null;
  let opsServer: { port: number; close(): Promise<void> } | null = null;
  const runSlack = config.role !== 'worker';

  /**
   * Schedulers and workers need Redis; the Slack side must not wait for it. If Redis is away at
   * start, the queue side keeps connecting in the background (BullMQ retries forever).
   */
  const startQueues = async () => {
    const started = queues.start().then(
      () => true,
      (error: unknown) => {
        logger.error({ err: error }, 'queue side failed to start');
        return false;
      },
    );
    const ready = await Promise.race([
      started,
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 10_000).unref()),
    ]);
    if (ready === null) logger.warn('Redis is not answering; schedulers and workers start once it is back');
  };

  /**
   * With `discover:`, the first listing runs before anything starts: a token without Zone Read or
   * a configured zone no token reads stops the start with the configuration problems. A listing
   * that fails otherwise (Cloudflare away) is logged, and the scheduled listing tries again.
   */
  const preflightDiscovery = async (service: ZoneDiscovery) => {
    let problems: string[];
    try {
      problems = await service.preflight();
    } catch (error) {
      logger.warn({ err: error }, 'first zone listing failed; the discovery job tries again');
      return;
    }
    if (problems.length > 0) {
      // Nothing was started yet; leave no connection behind.
      await queues.stop({ timeoutMs: 1_000 });
      commandsRedis.disconnect();
      throw new ConfigError(problems);
    }
    await endThreadsOfGoneZones().catch((error: unknown) =>
      logger.warn({ err: error }, 'could not end the threads of zones no longer watched'),
    );
  };

  return {
    metrics,
    cloudflare,
    home,
    inventory,
    get queues() {
      return queues;
    },
    async start() {
      await commandsRedis.connect().catch((error: unknown) => {
        // Lookups keep working without Redis; /healthz reports it until it is back.
        logger.error({ err: error }, 'Redis is unreachable at start; lookups continue, /healthz reports it');
      });
      if (discovery && runWorkers) await preflightDiscovery(discovery);
      await startQueues();
      if (runWorkers) await logBudgets();
      let port: number;
      try {
        if (runSlack) {
          // Loaded only by a process that serves Slack: a worker never carries Bolt and its receivers.
          const { createSlackApp } = await import('./slack/app.js');
          const starting = createSlackApp({
            deps: slackDeps,
            customRoutes: opsRoutes,
            replayCache: createReplayCache(commandsRedis, keys),
          });
          port = await starting.start();
          slack = starting;
        } else {
          opsServer = await startOpsServer(config.port, config.host, opsRoutes);
          port = opsServer.port;
        }
      } catch (error) {
        // Leave nothing running behind a failed start (workers would otherwise keep taking jobs).
        await queues.stop({ timeoutMs: 5_000 });
        commandsRedis.disconnect();
        throw error;
      }
      logger.info({ port, mode: slack?.mode ?? 'none', role: config.role }, 'aop-status started');
      return { port };
    },
    async stop(stopOptions = {}) {
      // Stop taking new work first, then let running jobs finish within the bound, then close Redis.
      await slack?.stop();
      // Lookups already acked still get their answer; each ends at its own deadline anyway.
      await withinMs(answers.settle(), 5_000).catch(() => {});
      await queues.stop({ timeoutMs: stopOptions.jobTimeoutMs ?? 20_000 });
      await opsServer?.close();
      commandsRedis.disconnect();
    },
  };
}
