import type { CompiledPlan } from '../domain/plan.js';
import type { IntegrateWorkerState } from '../domain/plan-integration.js';
import type { HistoryCommit } from '../git/worker-history.js';

/** What integrate needs from the status reader, per worker. */
export interface WorkerGateState {
  state: IntegrateWorkerState;
  openNeeds: { worker: string; item: string }[];
}

interface StatusModule {
  readPlanStatus(
    cwd: string,
    plan: CompiledPlan,
    now: Date,
    options?: { cache?: boolean },
  ): Promise<{
    workers: {
      id: string;
      state: IntegrateWorkerState;
      needs?: { worker: string; item: string }[];
    }[];
  }>;
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
const STATUS_MODULE = './read-plan-status.js';
const CHECK_MODULE = '../git/find-violations.js';

async function importIfPresent<T>(specifier: string): Promise<T | null> {
  try {
    return (await import(specifier)) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return null;
    throw error;
  }
}

/** Each worker's state, from the one status reader (DESIGN.md section 4). */
export async function readWorkerGateStates(
  cwd: string,
  plan: CompiledPlan,
  now: Date,
  histories: ReadonlyMap<string, readonly HistoryCommit[]>,
): Promise<Map<string, WorkerGateState>> {
  const status = await importIfPresent<StatusModule>(STATUS_MODULE);
  if (status) {
    const read = await status.readPlanStatus(cwd, plan, now);
    return new Map(
      read.workers.map((w) => [
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
 * The ownership and protocol findings of `pw check` on the workers about to
 * be merged: one pass over every worker branch, kept for these workers.
 */
export async function readScopeFindings(
  cwd: string,
  plan: CompiledPlan,
  workers: readonly string[],
): Promise<{ worker: string; text: string }[]> {
  const check = await importIfPresent<CheckModule>(CHECK_MODULE);
  if (!check || workers.length === 0) return [];
  const violations = await check.findViolations(cwd, plan);
  return violations
    .filter((v) => workers.includes(v.worker))
    .map((v) => ({
      worker: v.worker,
      text: [v.commit.slice(0, 12), v.path ?? v.header ?? null, v.problem]
        .filter(Boolean)
        .join(': '),
    }));
}
