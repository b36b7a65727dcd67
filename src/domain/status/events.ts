import type { CompiledPlan } from '../plan/plan.js';
import type { PlanStatus } from './plan-status.js';
import { classifyCommit, headerOf, type StatusCommit } from './summarize-worker-history.js';

export type StatusEventType =
  | 'started'
  | 'checkpoint'
  | 'blocked'
  | 'needs'
  | 'needs-resolved'
  | 'complete'
  | 'reopened'
  | 'violation'
  | 'stalled'
  | 'deadlock'
  | 'can-resume'
  | 'order-cycle'
  | 'ready'
  | 'message-queued'
  | 'message-delivered';

/** One line of `pw monitor --events` (docs/status-json.md). */
export interface StatusEvent {
  /** Stable identity: the same happening has the same id in every run. */
  id: string;
  type: StatusEventType;
  /** When it happened (ISO): a commit's time, or when a condition began. */
  time: string;
  plan: string;
  worker?: string;
  sha?: string;
  header?: string;
  [field: string]: unknown;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Everything that has happened in a plan, as events, oldest first: one per
 * protocol commit (and the first commit, and work after a COMPLETE) from the
 * histories, and the conditions the status shows now (resolved needs,
 * violations, stalls, deadlocks, workers that can resume, ready). Pure.
 *
 * A follower prints the events whose id it has not printed before; a replay
 * prints those since a time. Stalls are known only while they last: a past
 * stall that ended is not in the history (an edit may have ended it).
 */
export function listStatusEvents(
  plan: CompiledPlan,
  histories: ReadonlyMap<string, readonly StatusCommit[]>,
  status: PlanStatus,
): StatusEvent[] {
  const events: StatusEvent[] = [];
  const base = { plan: plan.name };
  const workers = plan.workers.map((w) => w.id);
  for (const worker of plan.workers) {
    let completed = false;
    (histories.get(worker.id) ?? []).forEach((commit, index) => {
      const parsed = classifyCommit(commit, { worker: worker.id, workers });
      const common = {
        ...base,
        worker: worker.id,
        time: iso(commit.commitTime),
        sha: commit.sha,
        header: headerOf(commit.message),
      };
      if (index === 0) events.push({ id: `started:${commit.sha}`, type: 'started', ...common });
      const isComplete = parsed.type === 'protocol' && parsed.header.kind === 'COMPLETE';
      if (completed && !isComplete)
        events.push({ id: `reopened:${commit.sha}`, type: 'reopened', ...common });
      completed = isComplete;
      if (parsed.type !== 'protocol') return;
      const provides = parsed.provides.length ? { provides: parsed.provides } : {};
      const h = parsed.header;
      switch (h.kind) {
        case 'CHECKPOINT':
          events.push({
            id: `checkpoint:${commit.sha}`,
            type: 'checkpoint',
            ...common,
            ...provides,
          });
          break;
        case 'BLOCKED':
          events.push({
            id: `blocked:${commit.sha}`,
            type: 'blocked',
            ...common,
            reason: h.reason,
            ...provides,
          });
          break;
        case 'NEEDS':
          events.push({
            id: `needs:${commit.sha}`,
            type: 'needs',
            ...common,
            needs: { worker: h.worker, item: h.item },
            ...provides,
          });
          break;
        case 'COMPLETE':
          events.push({ id: `complete:${commit.sha}`, type: 'complete', ...common, ...provides });
          break;
      }
    });
  }

  const byId = new Map(status.workers.map((w) => [w.id, w]));
  for (const w of status.workers) {
    for (const r of w.resolvedNeeds) {
      events.push({
        id: `needs-resolved:${r.sha}:${r.worker}/${r.item}`,
        type: 'needs-resolved',
        ...base,
        worker: w.id,
        time: r.resolvedAt,
        sha: r.resolvedBy,
        needs: { worker: r.worker, item: r.item },
        by: r.by,
        since: r.since,
      });
    }
    for (const v of w.violations) {
      events.push({
        id: `violation:${w.id}:${v.kind}:${v.sha ?? ''}:${v.paths.join(',')}:${v.sha ? '' : v.message}`,
        type: 'violation',
        ...base,
        worker: w.id,
        time: v.time ?? status.generatedAt,
        ...(v.sha ? { sha: v.sha } : {}),
        kind: v.kind,
        paths: v.paths,
        message: v.message,
      });
    }
    if (w.state === 'stalled' && w.lastActivityAt !== null) {
      const since = Date.parse(w.lastActivityAt);
      events.push({
        id: `stalled:${w.id}:${w.lastActivityAt}`,
        type: 'stalled',
        ...base,
        worker: w.id,
        time: iso(since + w.stallAfterMs),
        lastActivityAt: w.lastActivityAt,
        stallAfterMs: w.stallAfterMs,
      });
    }
  }
  for (const cycle of status.deadlocks) {
    const since = Math.max(
      ...cycle.flatMap((id, i) => {
        const next = cycle[(i + 1) % cycle.length];
        return (byId.get(id)?.needs ?? [])
          .filter((n) => n.worker === next)
          .map((n) => Date.parse(n.since));
      }),
    );
    events.push({
      id: `deadlock:${cycle.join('>')}:${iso(since)}`,
      type: 'deadlock',
      ...base,
      time: iso(since),
      cycle,
    });
  }
  for (const c of status.canResume) {
    const w = byId.get(c.worker)!;
    const need =
      c.item === null ? null : w.needs.find((n) => n.worker === c.waitingOn && n.item === c.item);
    // A need already met has its own event (needs-resolved).
    if (c.item !== null && !need) continue;
    const asked = Date.parse(need?.since ?? w.blocked?.since ?? status.generatedAt);
    const done = byId.get(c.waitingOn)?.completedAt;
    const time = c.because === 'complete' && done ? Math.max(asked, Date.parse(done)) : asked;
    events.push({
      id: `can-resume:${c.worker}:${c.waitingOn}:${c.item ?? ''}:${need?.sha ?? w.blocked?.sha ?? ''}`,
      type: 'can-resume',
      ...base,
      worker: c.worker,
      time: iso(time),
      waitingOn: c.waitingOn,
      item: c.item,
      because: c.because,
    });
  }
  const allComplete = status.workers.length > 0 && status.workers.every((w) => w.completedAt);
  if (allComplete && status.integrateOrder.cycleText) {
    const times = status.workers.map((w) => Date.parse(w.completedAt!));
    events.push({
      id: `order-cycle:${status.workers.map((w) => w.tip?.sha ?? '').join(',')}`,
      type: 'order-cycle',
      ...base,
      time: iso(Math.max(...times)),
      cycle: status.integrateOrder.cycle,
      text: status.integrateOrder.cycleText,
    });
  }
  if (status.readyToIntegrate) {
    const times = status.workers.map((w) => Date.parse(w.completedAt ?? status.generatedAt));
    events.push({
      id: `ready:${status.workers.map((w) => w.tip?.sha ?? '').join(',')}`,
      type: 'ready',
      ...base,
      time: iso(Math.max(...times)),
    });
  }
  return events
    .map((event, index) => ({ event, index }))
    .sort(
      (a, b) =>
        // Ties (same second) keep the order they were listed in: history order, then conditions.
        Date.parse(a.event.time) - Date.parse(b.event.time) || a.index - b.index,
    )
    .map(({ event }) => event);
}

/** The events a follower has not printed yet, marking them printed. */
export function takeNewEvents(events: readonly StatusEvent[], seen: Set<string>): StatusEvent[] {
  const fresh: StatusEvent[] = [];
  for (const event of events) {
    if (seen.has(event.id)) continue;
    seen.add(event.id);
    fresh.push(event);
  }
  return fresh;
}

/**
 * The messages to workers (pw send, pw broadcast, run.autoNotify) as status
 * events, from the plan's events log, oldest first; merged with the git
 * events by time.
 */
export function listMessageEvents(
  logged: readonly { time: string; type: string; plan: string; [key: string]: unknown }[],
): StatusEvent[] {
  return logged
    .filter((e) => e.type === 'message-queued' || e.type === 'message-delivered')
    .map((e) => ({
      ...e,
      id: `${e.type}:${String(e.message)}`,
      type: e.type as 'message-queued' | 'message-delivered',
    }));
}

/** Git events and message events in one list, by time (stable: git events first on a tie). */
export function mergeEventsByTime(
  a: readonly StatusEvent[],
  b: readonly StatusEvent[],
): StatusEvent[] {
  return [...a, ...b]
    .map((event, index) => ({ event, index }))
    .sort((x, y) => Date.parse(x.event.time) - Date.parse(y.event.time) || x.index - y.index)
    .map((x) => x.event);
}
