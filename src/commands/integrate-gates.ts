import type { CompiledPlan } from '../domain/plan.js';
import type { IntegrateWorkerState } from '../domain/plan-integration.js';
import type { HistoryCommit } from '../git/worker-history.js';

/** What integrate needs from the status reader, per worker. */
export interface WorkerGateState {
  state: IntegrateWorkerState;
  openNeeds: { worker: string; item: string }[];
}

interface StatusModule {
  computePlanStatus(input: {
    plan: CompiledPlan;
    now: Date;
    histories: ReadonlyMap<string, readonly HistoryCommit[]>;
  }): {
    workers: {
      id: string;
      state: IntegrateWorkerState;
      needs?: { worker: string; item: string }[];
    }[];
  };
}

interface CheckModule {
  findViolations(
    cwd: string,
    plan: CompiledPlan,
    options?: { worker?: string; range?: string },
  ): Promise<
    {
      worker: string;
      commit: string;
      kind: string;
      path?: string;
      header?: string;
      problem: string;
    }[]
  >;
}

// The status and check colleagues' modules, loaded by a computed name until they land in this build.
const STATUS_MODULE = '../domain/plan-status.js';
const CHECK_MODULE = '../git/find-violations.js';

async function importIfPresent<T>(specifier: string): Promise<T | null> {
  try {
    return (await import(specifier)) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return null;
    throw error;
  }
}

/**
 * Each worker's state, from the status colleague's pure derivation
 * (computePlanStatus, DESIGN.md section 4) over the histories integrate has
 * read already. Whether a worker is complete depends on its commits alone;
 * the worktree reads `pw status` adds (uncommitted edits, hooks) only tell
 * stalled from working, which integrate does not need, and cost a git status
 * per worktree.
 */
export async function readWorkerGateStates(
  plan: CompiledPlan,
  now: Date,
  histories: ReadonlyMap<string, readonly HistoryCommit[]>,
): Promise<Map<string, WorkerGateState>> {
  const status = await importIfPresent<StatusModule>(STATUS_MODULE);
  if (status) {
    const computed = status.computePlanStatus({ plan, now, histories });
    return new Map(
      computed.workers.map((w) => [
        w.id,
        {
          state: w.state,
          openNeeds: (w.needs ?? []).map((n) => ({ worker: n.worker, item: n.item })),
        },
      ]),
    );
  }
  // Stand-in until readPlanStatus lands: complete when the latest commit is a COMPLETE.
  const states = new Map<string, WorkerGateState>();
  for (const worker of plan.workers) {
    const history = histories.get(worker.id) ?? [];
    const latest = history[history.length - 1];
    const state: IntegrateWorkerState = !latest
      ? 'pending'
      : /^\[COMPLETE\]/.test(latest.message)
        ? 'complete'
        : 'working';
    states.set(worker.id, { state, openNeeds: [] });
  }
  return states;
}

/**
 * Every ownership and protocol finding of `pw check` on the worker branches,
 * in one pass; integrate keeps those of the workers it merges.
 */
export async function readScopeFindings(
  cwd: string,
  plan: CompiledPlan,
): Promise<{ worker: string; text: string }[]> {
  const check = await importIfPresent<CheckModule>(CHECK_MODULE);
  if (!check) return [];
  const violations = await check.findViolations(cwd, plan);
  return violations.map((v) => ({
    worker: v.worker,
    text: [v.commit.slice(0, 12), v.path ?? v.header ?? null, v.problem].filter(Boolean).join(': '),
  }));
}
