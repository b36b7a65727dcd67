import { formatDuration } from '../plan/duration.js';
import type { PlanStatus } from './plan-status.js';

export interface AttentionReason {
  worker: string | null;
  kind: 'blocked' | 'stalled' | 'deadlock' | 'violation' | 'order-cycle' | 'run-failed';
  message: string;
}

/** A worker the last `pw run` gave up on or skipped, as its run record says. */
export interface RunFailure {
  worker: string;
  state: 'failed' | 'skipped';
  detail: string | null;
}

export type WaitOutcome =
  | { outcome: 'complete' }
  | { outcome: 'attention'; reasons: AttentionReason[] }
  | { outcome: 'waiting' };

/**
 * What `pw wait` makes of a status: done when every worker is complete and
 * integrate can order them; stop for attention when one is blocked or
 * stalled, the last `pw run` gave up on it or skipped it, NEEDS form a
 * cycle, a history holds a violation (attention wins over complete:
 * violations stop integrate), or all are complete but the
 * integrate order has a cycle (integrate would refuse it). Otherwise keep
 * waiting. Pure.
 */
export function planWaitOutcome(
  status: PlanStatus,
  /** Workers the last `pw run` gave up on (failed) or skipped, not complete since. */
  runFailures: readonly RunFailure[] = [],
): WaitOutcome {
  const reasons: AttentionReason[] = [];
  const complete = new Set(status.workers.filter((w) => w.state === 'complete').map((w) => w.id));
  for (const f of runFailures) {
    if (complete.has(f.worker)) continue;
    reasons.push({
      worker: f.worker,
      kind: 'run-failed',
      message: `${f.worker} ${f.state === 'skipped' ? 'was skipped' : 'failed'} in pw run${f.detail ? `: ${f.detail}` : ''} (pw logs ${f.worker}; pw run starts it again)`,
    });
  }
  const age = (ms: number): string => formatDuration(Math.max(0, ms));
  for (const w of status.workers) {
    if (w.state === 'blocked' && w.blocked) {
      reasons.push({
        worker: w.id,
        kind: 'blocked',
        message: `${w.id} is blocked: ${w.blocked.reason} (for ${age(w.blocked.ageMs)})`,
      });
    }
    if (w.state === 'stalled') {
      reasons.push({
        worker: w.id,
        kind: 'stalled',
        message: `${w.id} has stalled: no activity for ${age(w.idleMs ?? 0)} (limit ${age(w.stallAfterMs)})${w.blocked ? `, blocked: ${w.blocked.reason}` : ''}`,
      });
    }
  }
  for (const cycle of status.deadlocks) {
    reasons.push({
      worker: null,
      kind: 'deadlock',
      message: `deadlock: ${[...cycle, cycle[0]].join(' → ')} (each NEEDS the next)`,
    });
  }
  for (const w of status.workers) {
    if (w.violations.length === 0) continue;
    const first = w.violations[0]!;
    reasons.push({
      worker: w.id,
      kind: 'violation',
      message: `${w.id}: ${w.violations.length} violation${w.violations.length === 1 ? '' : 's'}, first ${first.sha ? `${first.sha.slice(0, 8)} ` : ''}${first.message} (pw check --worker ${w.id})`,
    });
  }
  const allComplete =
    status.workers.length > 0 && status.workers.every((w) => w.state === 'complete');
  if (allComplete && status.integrateOrder.cycleText) {
    reasons.push({
      worker: null,
      kind: 'order-cycle',
      message: `all workers are complete, but the integrate order has a cycle: ${status.integrateOrder.cycleText}; pw integrate refuses it (declare which goes first with dependsOn in the plan, then pw setup)`,
    });
  }
  if (reasons.length) return { outcome: 'attention', reasons };
  if (status.readyToIntegrate) return { outcome: 'complete' };
  return { outcome: 'waiting' };
}
