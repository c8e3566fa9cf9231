/**
 * The open alert threads for the Home tab, read from the alert store: every episode whose parent
 * Slack confirmed and which is not resolved yet, per hostname and grouped.
 */
import { accountOfScope } from '../alerts/group.js';
import type { AlertStore } from '../alerts/store.js';
import type { ZoneRef } from '../domain/types.js';
import type { OpenAlertThread, OpenAlertThreadSource } from './model.js';

/** A refused token's thread stands for a whole account: "account prod" names it. */
function accountLabel(zoneId: string): string | null {
  const account = accountOfScope(zoneId);
  return account === null ? null : `account ${account}`;
}

/** An episode whose parent Slack confirmed and which is not resolved yet. */
function isOpenThread<E extends { parent: unknown; resolvedAt: unknown }>(
  episode: E | null,
): episode is E & { parent: NonNullable<E['parent']> } {
  return episode !== null && Boolean(episode.parent) && episode.resolvedAt === null;
}

export function createStoredAlertThreads(
  store: Pick<AlertStore, 'loadWhere' | 'loadGroups'>,
  zones: () => Promise<ZoneRef[]>,
): OpenAlertThreadSource {
  return {
    async listOpenThreads() {
      // Only the open per-hostname threads are kept: a large inventory stores a state per hostname.
      const [states, groups, knownZones] = await Promise.all([
        store.loadWhere((state) => isOpenThread(state.episode)),
        store.loadGroups(),
        zones(),
      ]);
      const zoneNames = new Map(knownZones.map((zone) => [zone.id, zone.name]));
      const threads: OpenAlertThread[] = [];
      for (const state of states.values()) {
        const episode = state.episode;
        if (!isOpenThread(episode)) continue;
        threads.push({
          episodeId: episode.id,
          kind: episode.kind,
          severity: episode.currentSeverity,
          zone: { id: state.zoneId, name: zoneNames.get(state.zoneId) ?? null },
          certificateKey: episode.certificateKey === 'none' ? null : episode.certificateKey,
          hostnames: [state.hostname],
          expiresOn: episode.expiresOn,
          acknowledged: episode.acknowledged !== null,
          parent: episode.parent,
          route: null,
        });
      }
      // Grouped threads (`alerts.group_by: certificate`): one per thing to fix, with all its hostnames.
      for (const group of groups.values()) {
        const episode = group.episode;
        if (!isOpenThread(episode)) continue;
        threads.push({
          episodeId: episode.id,
          kind: episode.kind,
          severity: episode.currentSeverity,
          zone: { id: group.zoneId, name: zoneNames.get(group.zoneId) ?? accountLabel(group.zoneId) },
          certificateKey: group.key.certificateKey === 'none' ? null : group.key.certificateKey,
          hostnames: episode.group?.hostnames ?? [],
          expiresOn: episode.expiresOn,
          acknowledged: episode.acknowledged !== null,
          parent: episode.parent,
          route: group.key.route,
        });
      }
      return threads;
    },
  };
}
