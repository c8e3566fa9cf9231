/**
 * Every Redis key this deployment writes, in one place. All keys start with the deployment's
 * prefix; the BullMQ prefix is hash-tagged (`{aop}`) so each queue's keys share one Redis Cluster
 * slot, as BullMQ requires on a cluster.
 */
export function redisKeys(prefix: string) {
  return {
    /** BullMQ `prefix` option. */
    queuePrefix: `{${prefix}}`,
    /** Hash: hostname → JSON WatchEntry, added with `/aop-status watch`. */
    watchedHostnames: `${prefix}:inventory:watched`,
    /** Set: discovered hostnames someone unwatched. */
    ignoredHostnames: `${prefix}:inventory:ignored`,
    /** Set: channel ids subscribed with `/aop-status subscribe`. */
    subscribedChannels: `${prefix}:inventory:subscribed-channels`,
    /** Set per route: channel ids subscribed with `/aop-status subscribe <route>`. */
    routeSubscribedChannels: (route: string) => `${prefix}:inventory:subscribed-channels:route:${route}`,
    /** String per (slot, zone, plan): one zone check shared by the digests of that slot, kept briefly. */
    sharedZoneCheck: (shareKey: string) => `${prefix}:digest:zone-check:${shareKey}`,
    /** Hash: zone id → JSON ZoneSnapshot (the last bulk check of that zone). */
    zoneSnapshots: `${prefix}:snapshot:zones`,
    /**
     * Hash: zone id → JSON ZoneSummary of that zone's snapshot, written with it: what App Home,
     * `zones` and the budget planner read. Snapshots stored before it have none (their readers
     * summarise the snapshot and store the summary).
     */
    zoneSummaries: `${prefix}:snapshot:zone-summaries`,
    /** Hash: zone id → JSON ZoneGaugeRows of that zone's snapshot, written with it: what /metrics reads. */
    zoneGaugeRows: `${prefix}:snapshot:zone-gauge-rows`,
    /** String: JSON StoredDiscovery, the last good list of discovered zones and each account's listing. */
    discoveredZones: `${prefix}:discover:zones`,
    /** List: JSON ZoneListNotice, zones that joined or left the list, until a digest has told them. */
    zoneListNotices: `${prefix}:discover:notices`,
    /** Hash: zone id → JSON ZoneRef, zones gone from the list whose alert threads are not resolved yet. */
    goneZones: `${prefix}:discover:gone`,
    /**
     * Hash: per schedule (`alerts`, `digest`, `digest:<route>`), the scheduled run in progress
     * (`<line>:slot`, `<line>:run`) and the latest slot that fired while it was (`<line>:waiting`).
     */
    runLines: `${prefix}:runs:lines`,
    /** String: JSON of the last successful Cloudflare check time. */
    lastCloudflareSuccess: `${prefix}:health:last-cloudflare-success`,
    /** String per (channel, slot): the delivery record that makes a digest post exactly once. */
    digestDelivery: (channel: string, slotId: string) => `${prefix}:digest:delivery:${slotId}:${channel}`,
    /** String per channel: present while the channel's one-message-per-second slot is taken. */
    channelPace: (channel: string) => `${prefix}:slack:pace:${channel}`,
    /** String per request signature seen recently: a second request with it is a replay. */
    slackSeenSignature: (signature: string) => `${prefix}:slack:seen:${signature}`,
    /** String per user: present while the Home tab may not be published for them again (10 s). */
    homePublished: (userId: string) => `${prefix}:home:published:${userId}`,
    /** String per Slack message: its permalink (chat.getPermalink), which never changes. */
    slackPermalink: (channel: string, ts: string) => `${prefix}:slack:permalink:${channel}:${ts}`,
    /** String: Slack asked everyone to wait (Retry-After) until this epoch ms. */
    slackPausedUntil: `${prefix}:slack:paused-until`,
    /** Hash: `${zoneId}/${hostname}` → JSON HostnameAlertState. */
    alertStates: `${prefix}:alerts:states`,
    /** Hash: group id (`kind|zone|certificate|problem|route`) → JSON GroupAlertState (`group_by: certificate`). */
    alertGroups: `${prefix}:alerts:groups`,
    /** Hash: episode id → `${zoneId}/${hostname}`, or `group:${groupId}`, to find a state from a button click. */
    alertEpisodes: `${prefix}:alerts:episodes`,
    /** String per hostname (or `group:${groupId}`): the lock that serialises alert transitions. */
    alertLock: (stateKey: string) => `${prefix}:alerts:lock:${stateKey}`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;
