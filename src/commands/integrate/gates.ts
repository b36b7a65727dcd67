import type { CompiledPlan } from '../../domain/plan/plan.js';
import { FailedError } from '../../errors.js';
import type { IntegrateWorkerState } from '../../domain/integrate/plan-integration.js';
import { computePlanStatus } from '../../domain/status/plan-status.js';
import { judgeReadiness } from '../../domain/status/readiness.js';
import type { WorkerFetch } from '../../git/fetch-workers.js';
import { findViolations } from '../../git/find-violations.js';
import type { HistoryCommit } from '../../git/worker-history.js';
import type { IntegrateState } from '../../store/integrate-state.js';

/** What integrate needs from the status derivation, per worker. */
export interface WorkerGateState {
  state: IntegrateWorkerState;
  openNeeds: { worker: string; item: string }[];
}

/**
 * Each worker's state, from the one status derivation (computePlanStatus,
 * DESIGN.md section 4) over the histories integrate has read already.
 * Whether a worker is complete depends on its commits alone; the worktree
 * reads `pw status` adds (uncommitted edits, hooks) only tell stalled from
 * working, which integrate does not need, and cost a git status per worktree.
 */
export function readWorkerGateStates(
  plan: CompiledPlan,
  now: Date,
  histories: ReadonlyMap<string, readonly HistoryCommit[]>,
): Map<string, WorkerGateState> {
  const status = computePlanStatus({ plan, now, histories });
  return new Map(
    status.workers.map((w) => [
      w.id,
      { state: w.state, openNeeds: w.needs.map((n) => ({ worker: n.worker, item: n.item })) },
    ]),
  );
}

/**
 * Every ownership and protocol finding of `pw check` (findViolations) on the
 * worker branches, in one pass; integrate keeps those of the workers it merges.
 */
export async function readScopeFindings(
  cwd: string,
  plan: CompiledPlan,
  hub: WorkerFetch | null,
): Promise<{ worker: string; text: string }[]> {
  const violations = await findViolations(cwd, plan, hub ? { hub: hub.namespace } : {});
  return violations.map((v) => ({
    worker: v.worker,
    text: [v.commit.slice(0, 12), v.path ?? v.header ?? null, v.problem].filter(Boolean).join(': '),
  }));
}

/** The `pw check` gate: refuses when a worker being merged has findings. */
export function assertNoScopeFindings(
  all: readonly { worker: string; text: string }[],
  merging: readonly string[],
): void {
  // The readiness rule of pw status and pw wait, over the workers being merged
  // (whether they are complete is planIntegration's, with --allow-incomplete).
  const verdict = judgeReadiness(
    merging.map((id) => ({
      id,
      state: 'complete' as const,
      violations: all.filter((f) => f.worker === id),
    })),
    true,
  );
  if (!verdict.blockers.some((b) => b.kind === 'violations')) return;
  const findings = all.filter((f) => merging.includes(f.worker));
  throw new FailedError(
    `pw check finds ${findings.length} problem${findings.length === 1 ? '' : 's'} in what would be merged`,
    [
      ...findings.map((f) => `${f.worker}: ${f.text}`),
      'Fix them on the worker branches (pw check --worker <id> shows each), then run pw integrate again.',
    ],
  );
}

/** Refuses to start while another attempt waits for the user. */
export function assertNothingInProgress(state: IntegrateState | null): void {
  if (!state || state.phase === 'ready') return;
  if (state.phase === 'conflict' && state.conflict) {
    const step = state.steps[state.conflict.step]!;
    throw new FailedError(
      `an integration of plan "${state.plan}" is waiting for a conflict in ${step.worker} to be resolved`,
      [
        `Resolve it in ${state.conflict.worktree} and commit there, then run pw integrate --continue.`,
        'Or drop the attempt with pw integrate --abort.',
      ],
    );
  }
  throw new FailedError(
    `an integration of plan "${state.plan}" is half done (a conflict was resolved)`,
    ['Finish it with pw integrate --continue, or drop it with pw integrate --abort.'],
  );
}
