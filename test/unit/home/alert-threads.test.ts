import { describe, expect, it } from 'vitest';
import {
  decideGroupTransition,
  type GroupAlertState,
  initialGroupState,
  observeGroups,
} from '../../../src/alerts/group.js';
import { confirmAlertAction } from '../../../src/alerts/transition.js';
import { createStoredAlertThreads } from '../../../src/home/alert-threads.js';
import { alertContext } from '../alerts/builders.js';

describe('open alert threads on the Home tab', () => {
  it("names a refused token's thread after its account, with the zones it cannot check", async () => {
    const { observations } = observeGroups({
      evaluations: [],
      hostnameStates: new Map(),
      groups: new Map(),
      cannotCheckAfterEvaluations: 3,
      accountAccess: [
        {
          account: 'edge',
          refusedZones: [{ id: 'z1', name: 'edge-1.example.org' }],
          error: { errorCode: 'cloudflare_forbidden', errorMessage: 'Invalid access token' },
        },
      ],
    });
    const groups = new Map<string, GroupAlertState>();
    for (const [id, observation] of observations) {
      const transition = decideGroupTransition(
        initialGroupState(observation.key),
        observation,
        alertContext(new Date('2026-11-20T10:00:00Z')),
      );
      let state = transition.next;
      for (const action of transition.actions)
        if (action.type === 'post_parent')
          state = confirmAlertAction(action, { channel: action.channel, ts: '1700000000.000001' });
      groups.set(id, state);
    }
    const source = createStoredAlertThreads(
      { loadWhere: async () => new Map(), loadGroups: async () => groups },
      async () => [],
    );
    const [thread] = await source.listOpenThreads();
    expect(thread?.kind).toBe('cannot_check');
    expect(thread?.zone).toEqual({ id: 'account:edge', name: 'account edge' });
    expect(thread?.hostnames).toEqual(['edge-1.example.org']);
  });
});
