import { describe, expect, it } from 'vitest';
import type { CompiledPlan, CompiledWorker } from '../../src/domain/plan/plan.js';
import {
  actionWorkers,
  describeAction,
  planSetup,
  type SetupAction,
  type SetupSnapshot,
  type WorkerSnapshot,
} from '../../src/domain/setup/plan-setup.js';

const BASE = 'a'.repeat(40);

function worker(id: string): CompiledWorker {
  return {
    id,
    branch: `pw/feat/${id}`,
    worktree: `/trees/feat/${id}`,
    owns: [`/${id}/`],
    pathspecs: [`:(top,glob)${id}/**`],
    task: 't',
    dependsOn: [],
    agentCommand: 'claude',
    stallAfterMs: 1,
  };
}

function plan(ids: string[]): CompiledPlan {
  return {
    version: 1,
    name: 'feat',
    base: 'main',
    baseCommit: BASE,
    target: 'main',
    repoRoot: '/repo',
    source: 'plan.yaml',
    context: '',
    workers: ids.map(worker),
  } as unknown as CompiledPlan;
}

const fresh: WorkerSnapshot = {
  branchCommit: null,
  branchCheckedOutAt: null,
  pathExists: false,
  worktreeAtPath: null,
  configuredWorker: null,
  hooksInstalled: false,
  briefContent: null,
  launchContent: null,
  missingIncludes: [],
};

function snapshot(
  desired: CompiledPlan,
  previous: CompiledPlan | null,
  states: Record<string, WorkerSnapshot>,
): SetupSnapshot {
  const briefs = new Map(
    desired.workers.map((w) => [
      w.id,
      { path: `${w.worktree}/WORKER.md`, content: `brief ${w.id}` },
    ]),
  );
  const launchers = new Map(
    desired.workers.map((w) => [w.id, { path: `/launch/${w.id}.sh`, content: `launch ${w.id}` }]),
  );
  return {
    desired,
    previous,
    workers: new Map(Object.entries(states)),
    worktreeConfigEnabled: true,
    trustedFiles: new Map(),
    desiredTrustedFiles: new Map(),
    briefExcluded: true,
    briefs,
    launchers,
  };
}

describe('planSetup', () => {
  it('creates every branch in one action, then every worktree, then the rest per worker', () => {
    const desired = plan(['api', 'web', 'db']);
    const decision = planSetup(snapshot(desired, null, { api: fresh, web: fresh, db: fresh }));
    expect(decision.conflicts).toEqual([]);
    expect(decision.actions.map((a) => `${a.kind}:${actionWorkers(a).join(',')}`)).toEqual([
      'create-branches:api,web,db',
      'add-worktree:api',
      'add-worktree:web',
      'add-worktree:db',
      'configure-worktree:api',
      'install-hooks:api',
      'write-brief:api',
      'write-launch:api',
      'configure-worktree:web',
      'install-hooks:web',
      'write-brief:web',
      'write-launch:web',
      'configure-worktree:db',
      'install-hooks:db',
      'write-brief:db',
      'write-launch:db',
    ]);
    expect(describeAction(decision.actions[0]!)).toBe(
      `create 3 branches pw/feat/api, pw/feat/web, pw/feat/db at ${BASE.slice(0, 12)} (one ref transaction)`,
    );
  });

  it('creates only the missing branches, and counts a worker set up earlier as unchanged', () => {
    const previous = plan(['api']);
    const desired = plan(['api', 'web']);
    const done: WorkerSnapshot = {
      ...fresh,
      branchCommit: BASE,
      branchCheckedOutAt: '/trees/feat/api',
      pathExists: true,
      worktreeAtPath: 'refs/heads/pw/feat/api',
      configuredWorker: 'api',
      hooksInstalled: true,
      briefContent: 'brief api',
      launchContent: 'launch api',
    };
    const decision = planSetup(snapshot(desired, previous, { api: done, web: fresh }));
    expect(decision.unchanged).toEqual(['api']);
    const branches = decision.actions.find((a) => a.kind === 'create-branches');
    expect(branches && actionWorkers(branches)).toEqual(['web']);
    expect(decision.actions.some((a) => actionWorkers(a).includes('api'))).toBe(false);
  });

  it('a worker whose branch was left by a killed run gets its worktree, not a new branch', () => {
    const desired = plan(['api']);
    const decision = planSetup(
      snapshot(desired, desired, { api: { ...fresh, branchCommit: BASE } }),
    );
    expect(decision.actions.map((a) => a.kind)).toEqual([
      'add-worktree',
      'configure-worktree',
      'install-hooks',
      'write-brief',
      'write-launch',
    ]);
  });
  it('pw join: sets up only the joined worker, its branch from the start commit given', () => {
    const desired = plan(['api', 'web']);
    const hubTip = 'b'.repeat(40);
    // Only the joined worker is in the snapshot: the others run on other machines.
    const decision = planSetup({
      ...snapshot(desired, null, { web: fresh }),
      only: new Set(['web']),
      startCommits: new Map([['web', hubTip]]),
    });
    expect(decision.conflicts).toEqual([]);
    expect(decision.actions.map((a) => `${a.kind}:${actionWorkers(a).join(',')}`)).toEqual([
      'create-branches:web',
      'add-worktree:web',
      'configure-worktree:web',
      'install-hooks:web',
      'write-brief:web',
      'write-launch:web',
    ]);
    const branches = decision.actions[0] as Extract<SetupAction, { kind: 'create-branches' }>;
    expect(branches.branches).toEqual([{ worker: 'web', branch: 'pw/feat/web', commit: hubTip }]);
    expect(
      describeAction({ kind: 'track-hub', worker: 'web', branch: 'pw/feat/web', hub: 'origin' }),
    ).toBe(
      'web: track pw/feat/web on the hub origin (upstream, pw.hub) and push every commit there',
    );
  });
});
