import type { CompiledPlan } from '../../domain/plan/plan.js';
import type { RunRecord } from '../../domain/run/run-record.js';
import { neutralize } from './run-view.js';

export interface WorkerRunState {
  worker: string;
  state: string;
  attempt: number;
  detail: string | null;
  /** Messages to its agent: how many wait, and when the last one was delivered (ISO). */
  messages?: { queued: number; held?: number; delivered: number; lastDeliveredAt: string | null };
}

function describeMessages(m: WorkerRunState['messages']): string {
  if (!m || (m.queued === 0 && !m.held && m.lastDeliveredAt === null)) return '';
  const parts: string[] = [];
  if (m.queued) parts.push(`${m.queued} message${m.queued === 1 ? '' : 's'} queued`);
  if (m.held)
    parts.push(
      `${m.held} message${m.held === 1 ? '' : 's'} not delivered: complete (pw send --reopen reopens it)`,
    );
  if (m.lastDeliveredAt)
    parts.push(`last message delivered ${m.lastDeliveredAt.slice(0, 16).replace('T', ' ')}`);
  return `; ${parts.join(', ')}`;
}

/**
 * What `pw status` says of each worker's run: running (attempt k), waiting
 * for a dependency, retry at HH:MM, failed, skipped, attached (pw attach). `live` tells whether a
 * recorded pid still runs; complete-ness still comes from git.
 */
export function describeRunState(
  plan: CompiledPlan,
  record: RunRecord,
  complete: ReadonlySet<string>,
  live: (pid: number) => boolean,
  /** Workers a live `pw attach` holds: worker -> the pid of that pw attach. */
  attached: ReadonlyMap<string, number> = new Map(),
  /** A `pw run` of this plan runs now: without one, nothing waits or retries by itself. */
  runLive = true,
): WorkerRunState[] {
  return plan.workers.flatMap((worker): WorkerRunState[] => {
    const w = record.workers[worker.id];
    if (!w) return [];
    const attempt = w.attempts.length;
    if (complete.has(worker.id))
      return [{ worker: worker.id, state: 'complete', attempt, detail: null }];
    const attachedBy = attached.get(worker.id);
    if (attachedBy !== undefined)
      return [
        {
          worker: worker.id,
          state: 'attached',
          attempt,
          detail: `pw attach pid ${attachedBy}; pw run does not start it meanwhile`,
        },
      ];
    if (w.pid && live(w.pid))
      return [{ worker: worker.id, state: 'running', attempt, detail: `pid ${w.pid}` }];
    if (w.pid)
      return [
        {
          worker: worker.id,
          state: 'stopped',
          attempt,
          detail: 'pw run is not running; pw run continues it',
        },
      ];
    if (!runLive && (w.phase === 'waiting' || w.phase === 'retry'))
      return [
        {
          worker: worker.id,
          state: 'stopped',
          attempt,
          detail: `pw run is not running; pw run ${attempt ? 'continues' : 'starts'} it`,
        },
      ];
    if (w.phase === 'retry' && w.retryAt)
      return [
        { worker: worker.id, state: 'retry', attempt, detail: `at ${w.retryAt.slice(11, 16)}` },
      ];
    if (w.phase === 'waiting') {
      const waiting = worker.dependsOn.filter((d) => !complete.has(d));
      return [
        {
          worker: worker.id,
          state: 'waiting',
          attempt,
          detail: waiting.length ? `for ${waiting.join(', ')}` : null,
        },
      ];
    }
    return [{ worker: worker.id, state: w.phase, attempt, detail: w.reason }];
  });
}

/** The most of a run detail shown on one line; the whole reason is in --json and the run report. */
const DETAIL_MAX = 160;

/** `text` cut to `max` characters (code points, never half of one), with "…" where it was cut. */
function shorten(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

export function renderRunState(runId: string, states: readonly WorkerRunState[]): string {
  if (!states.length) return '';
  const width = Math.max(...states.map((s) => s.worker.length));
  const lines = states.map(
    (s) =>
      `  ${s.worker.padEnd(width)}  ${s.state}${s.attempt ? `, attempt ${s.attempt}` : ''}${s.detail ? ` (${shorten(neutralize(s.detail), DETAIL_MAX)})` : ''}${describeMessages(s.messages)}`,
  );
  return `\npw run ${runId.slice(0, 8)}:\n${lines.join('\n')}\n`;
}
