import { describe, expect, it } from 'vitest';
import type { CompiledPlan } from '../../src/domain/plan/plan.js';
import { chooseWorkerTips, workerTipRefs } from '../../src/git/worker-tips.js';
import type { HistoryCommit } from '../../src/git/worker-history.js';

// The one rule every reader (status, wait, check, integrate, retro) uses for
// where a worker's history is: its branch (else its archive) against the hub's copy.

const plan = {
  name: 'p',
  workers: [
    { id: 'api', branch: 'pw/p/api' },
    { id: 'web', branch: 'pw/p/web' },
    { id: 'db', branch: 'pw/p/db' },
  ],
} as unknown as CompiledPlan;
const hub = { remote: 'hub', namespace: 'hub' };

function commit(sha: string, parent: string, commitTime: number): [string, HistoryCommit] {
  return [sha, { sha, parents: [parent], authorTime: 0, commitTime, message: '' }];
}
const graph = new Map([
  commit('a1', 'base', 1),
  commit('a2', 'a1', 2),
  commit('w1', 'base', 1),
  commit('w2', 'base', 5),
  commit('d1', 'base', 1),
]);

describe('chooseWorkerTips', () => {
  it('names the branch, the archive and the hub copy, in that order', () => {
    expect(workerTipRefs(plan, plan.workers[0]!, hub)).toEqual([
      'refs/heads/pw/p/api',
      'refs/pw/archive/p/api',
      'refs/remotes/hub/pw/p/api',
    ]);
    expect(workerTipRefs(plan, plan.workers[0]!, null)).toHaveLength(2);
  });

  it('the hub copy when ahead, the branch when equal or ahead, the newer with a warning when diverged', () => {
    const refs = new Map([
      ['refs/heads/pw/p/api', 'a1'],
      ['refs/remotes/hub/pw/p/api', 'a2'],
      ['refs/heads/pw/p/web', 'w1'],
      ['refs/remotes/hub/pw/p/web', 'w2'],
      ['refs/pw/archive/p/db', 'd1'],
      ['refs/remotes/hub/pw/p/db', 'd1'],
    ]);
    const { tips, warnings } = chooseWorkerTips(plan, refs, graph, hub);
    expect(Object.fromEntries([...tips].map(([id, t]) => [id, t.ref]))).toEqual({
      api: 'refs/remotes/hub/pw/p/api',
      web: 'refs/remotes/hub/pw/p/web',
      db: 'refs/pw/archive/p/db',
    });
    expect(warnings).toEqual([
      'web: hub/pw/p/web and pw/p/web have diverged; showing hub/pw/p/web, the newer',
    ]);
    // Without a hub its copies are not read.
    expect(chooseWorkerTips(plan, refs, graph, null).tips.get('api')!.sha).toBe('a1');
  });
});
