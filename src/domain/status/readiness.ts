import type { WorkerState } from './plan-status.js';

/** What readiness reads of each worker: its derived state and its findings. */
export interface ReadinessWorker {
  id: string;
  state: WorkerState;
  /** Ownership and protocol findings of `pw check` on the worker's own commits. */
  violations: readonly unknown[];
}

export type ReadinessBlocker =
  | { kind: 'not-complete'; worker: string; state: WorkerState }
  | { kind: 'violations'; worker: string; count: number }
  | { kind: 'order-cycle'; worker: null };

export interface Readiness {
  ready: boolean;
  blockers: ReadinessBlocker[];
}

/**
 * The one rule for "ready to integrate", shared by `pw status`
 * (`readyToIntegrate`), `pw wait` (done) and `pw integrate` (its refusals):
 * every worker complete, no worker with a finding of `pw check` (integrate
 * refuses to merge those), and an integrate order without a cycle. An empty
 * plan is not ready. Pure.
 */
export function judgeReadiness(workers: readonly ReadinessWorker[], orderOk: boolean): Readiness {
  const blockers: ReadinessBlocker[] = [];
  for (const w of workers) {
    if (w.state !== 'complete')
      blockers.push({ kind: 'not-complete', worker: w.id, state: w.state });
    if (w.violations.length > 0)
      blockers.push({ kind: 'violations', worker: w.id, count: w.violations.length });
  }
  if (!orderOk) blockers.push({ kind: 'order-cycle', worker: null });
  return { ready: workers.length > 0 && blockers.length === 0, blockers };
}
