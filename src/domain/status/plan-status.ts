import { judgeReadiness, type Readiness } from './readiness.js';
import { findNeedResolution } from '../protocol/find-need-resolution.js';
import {
  orderEdgesFromNeeds,
  planIntegrateOrder,
  type OrderEdge,
  type OverriddenNeed,
} from '../integrate/order.js';
import type { CompiledPlan } from '../plan/plan.js';
import {
  summarizeWorkerHistory,
  type CommitKind,
  type StatusCommit,
  type StatusCounts,
  type WorkerHistorySummary,
} from './summarize-worker-history.js';

/** DESIGN.md section 4. */
export type WorkerState = 'pending' | 'working' | 'blocked' | 'complete' | 'stalled';

export const WORKER_STATES: readonly WorkerState[] = [
  'complete',
  'working',
  'blocked',
  'stalled',
  'pending',
];

/** What one worker's worktree on this machine shows. */
export interface WorktreeInfo {
  /** Files with uncommitted changes, untracked ones included. */
  uncommitted: number;
  /** Newest modification time among them (ms), or null when there are none. */
  newestEditAt: number | null;
  /** The worktree does not run the plan's hooks; null when that is unknown. */
  hooksOff: boolean | null;
}

/** An out-of-scope change or a protocol break in a worker's history. */
export interface StatusViolation {
  worker: string;
  kind: 'scope' | 'protocol';
  /** The commit, when the finding is about one. */
  sha: string | null;
  /** Paths outside the worker's scope (scope findings). */
  paths: string[];
  message: string;
  /** Commit time, ms (null when unknown). */
  time: number | null;
}

export interface PlanStatusInput {
  plan: CompiledPlan;
  now: Date | number;
  /** Each worker's own commits, oldest first (readWorkerHistories). */
  histories: ReadonlyMap<string, readonly StatusCommit[]>;
  /** The ref and commit each worker's history was read from. */
  tips?: ReadonlyMap<string, { ref: string; sha: string }>;
  /** Worktrees present on this machine, by worker; absent ones are left out. */
  worktrees?: ReadonlyMap<string, WorktreeInfo>;
  /** Out-of-scope changes and protocol breaks (findViolations); protocol breaks found in the histories are added. */
  violations?: readonly StatusViolation[];
  aheadBehind?: ReadonlyMap<string, { ahead: number; behind: number }>;
  /** When each worker was set up (ms): the stall clock of a worker with no commits yet. */
  setupAt?: ReadonlyMap<string, number>;
  warnings?: readonly string[];
}

/** `computePlanStatus` with the histories already folded (the status cache keeps these). */
export interface PlanStatusSummaryInput extends Omit<PlanStatusInput, 'histories'> {
  summaries: ReadonlyMap<string, WorkerHistorySummary>;
}

export interface OpenNeed {
  worker: string;
  item: string;
  /** When it was first asked for (ISO). */
  since: string;
  ageMs: number;
  sha: string;
}

export interface ResolvedNeed {
  worker: string;
  item: string;
  since: string;
  resolvedAt: string;
  /** A `Provides:` trailer of the provider, or its COMPLETE. */
  by: 'provides' | 'complete';
  /** The commit that asked, and the one that resolved it. */
  sha: string;
  resolvedBy: string;
}

export interface WorkerStatus {
  id: string;
  state: WorkerState;
  branch: string;
  worktree: string;
  /** The ref the history was read from (branch, archive ref, or a hub's remote-tracking ref) and its commit. */
  tip: { ref: string; sha: string } | null;
  dependsOn: string[];
  lastCommit: { sha: string; time: string; ageMs: number; header: string; kind: CommitKind } | null;
  /** Time of the first own commit. */
  startedAt: string | null;
  /** Latest commit or uncommitted edit; the stall clock. */
  lastActivityAt: string | null;
  idleMs: number | null;
  stallAfterMs: number;
  counts: StatusCounts;
  /** Open NEEDS, oldest first. */
  needs: OpenNeed[];
  resolvedNeeds: ResolvedNeed[];
  blocked: { reason: string; since: string; ageMs: number; sha: string } | null;
  /** When the worker reached COMPLETE, while it is complete. */
  completedAt: string | null;
  /** Working again after a COMPLETE: work followed its latest COMPLETE (false once it completes again). */
  reopened: boolean;
  /** How many times work followed a COMPLETE, over its whole history (retro's `reopened` count). */
  reopenedTimes: number;
  violations: (Omit<StatusViolation, 'time'> & { time: string | null })[];
  hooksOff: boolean | null;
  ahead: number | null;
  behind: number | null;
  /** Null when the worktree is not on this machine. */
  uncommitted: { count: number; newestEditAt: string | null } | null;
}

export interface CanResume {
  worker: string;
  /** The worker it waits for, which is complete or has delivered the item. */
  waitingOn: string;
  item: string | null;
  because: 'complete' | 'provided';
}

/**
 * The merge order `pw integrate` would use for all the plan's workers
 * (integrate-order.ts, the rule integrate itself uses).
 */
export interface StatusIntegrateOrder {
  /** False when the order has a cycle: integrate would refuse. */
  ok: boolean;
  /** The order, providers first; empty when there is a cycle. */
  order: string[];
  /** The cycle's edges, when there is one. */
  cycle: OrderEdge[];
  /** `a -(NEEDS:b/token)-> b -(NEEDS:a/client)-> a`, or null. */
  cycleText: string | null;
  /** NEEDS edges the declared `dependsOn` order overrides. */
  overridden: OverriddenNeed[];
}

export interface PlanStatus {
  plan: string;
  base: string;
  baseCommit: string;
  target: string;
  generatedAt: string;
  /** `2/4 complete · 1 working · 1 blocked` */
  summary: string;
  counts: Record<WorkerState, number>;
  workers: WorkerStatus[];
  /** NEEDS cycles, each as the workers in order (a needs b, b needs c, c needs a). */
  deadlocks: string[][];
  canResume: CanResume[];
  integrateOrder: StatusIntegrateOrder;
  /** Every worker is complete and the integrate order has no cycle. */
  readyToIntegrate: boolean;
  /** Ready, and the target branch already holds every worker's tip: integrate has nothing left to do. */
  integrated: boolean;
  warnings: string[];
}

/** Derives every worker's state and the plan's findings. Pure: `now` is a parameter. */
export function computePlanStatus(input: PlanStatusInput): PlanStatus {
  const workers = input.plan.workers.map((w) => w.id);
  const summaries = new Map(
    input.plan.workers.map((w) => [
      w.id,
      summarizeWorkerHistory(input.histories.get(w.id) ?? [], { worker: w.id, workers }),
    ]),
  );
  const { histories: _histories, ...rest } = input;
  return computePlanStatusFromSummaries({ ...rest, summaries });
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function computePlanStatusFromSummaries(input: PlanStatusSummaryInput): PlanStatus {
  const now = typeof input.now === 'number' ? input.now : input.now.getTime();
  const { plan } = input;
  const summaryOf = (id: string): WorkerHistorySummary =>
    input.summaries.get(id) ?? summarizeWorkerHistory([], { worker: id, workers: [] });

  const derived = deriveWorkerStates({
    workers: plan.workers,
    summaryOf,
    setupAt: input.setupAt,
    newestEditAt: (id) => input.worktrees?.get(id)?.newestEditAt ?? null,
    now,
  });
  const baseState = new Map(plan.workers.map((w) => [w.id, derived.get(w.id)!.base]));

  const needsOf = new Map<string, { open: OpenNeed[]; resolved: ResolvedNeed[] }>();
  for (const w of plan.workers) {
    needsOf.set(
      w.id,
      resolveNeeds(summaryOf(w.id), summaryOf, baseState.get(w.id) === 'complete', now),
    );
  }

  const statuses = plan.workers.map((worker): WorkerStatus => {
    const s = summaryOf(worker.id);
    const tree = input.worktrees?.get(worker.id) ?? null;
    const { state, lastActivity: activity, idleMs, completedAt } = derived.get(worker.id)!;
    const violations = mergeViolations(worker.id, s, input.violations ?? []);
    const ab = input.aheadBehind?.get(worker.id) ?? null;
    const needs = needsOf.get(worker.id)!;
    return {
      id: worker.id,
      state,
      branch: worker.branch,
      worktree: worker.worktree,
      tip: input.tips?.get(worker.id) ?? null,
      dependsOn: [...worker.dependsOn],
      lastCommit: s.lastCommit && {
        sha: s.lastCommit.sha,
        time: iso(s.lastCommit.time),
        ageMs: now - s.lastCommit.time,
        header: s.lastCommit.header,
        kind: s.lastCommit.kind,
      },
      startedAt: s.firstCommitAt === null ? null : iso(s.firstCommitAt),
      lastActivityAt: activity === null ? null : iso(activity),
      idleMs,
      stallAfterMs: worker.stallAfterMs,
      counts: { ...s.counts },
      needs: needs.open,
      resolvedNeeds: needs.resolved,
      blocked: s.blocked && {
        reason: s.blocked.reason,
        since: iso(s.blocked.since),
        ageMs: now - s.blocked.since,
        sha: s.blocked.sha,
      },
      completedAt: completedAt === null ? null : iso(completedAt),
      reopened: s.reopenings.length > 0 && s.commitsAfterComplete > 0,
      reopenedTimes: s.reopenings.length,
      violations: violations.map((v) => ({ ...v, time: v.time === null ? null : iso(v.time) })),
      hooksOff: tree?.hooksOff ?? null,
      ahead: ab?.ahead ?? null,
      behind: ab?.behind ?? null,
      uncommitted: tree && {
        count: tree.uncommitted,
        newestEditAt: tree.newestEditAt === null ? null : iso(tree.newestEditAt),
      },
    };
  });

  const counts = Object.fromEntries(WORKER_STATES.map((s) => [s, 0])) as Record<
    WorkerState,
    number
  >;
  for (const w of statuses) counts[w.state]++;
  const order = planIntegrateOrder(
    plan.workers.map((w) => w.id),
    orderEdgesFromNeeds(
      plan.workers,
      new Map(plan.workers.map((w) => [w.id, summaryOf(w.id).needs])),
    ),
  );
  const integrateOrder: StatusIntegrateOrder = order.ok
    ? { ok: true, order: order.order, cycle: [], cycleText: null, overridden: order.overridden }
    : {
        ok: false,
        order: [],
        cycle: order.cycle,
        cycleText: order.text,
        overridden: order.overridden,
      };
  const readiness = judgeReadiness(statuses, integrateOrder.ok);
  return {
    plan: plan.name,
    base: plan.base,
    baseCommit: plan.baseCommit,
    target: plan.target,
    generatedAt: iso(now),
    summary: formatSummary(counts, statuses.length, readiness),
    counts,
    workers: statuses,
    deadlocks: findNeedsCycles(statuses),
    canResume: findCanResume(statuses, summaryOf),
    integrateOrder,
    readyToIntegrate: readiness.ready,
    integrated: false,
    warnings: [...(input.warnings ?? [])],
  };
}

/**
 * The status once the reader found every worker's tip in the target branch
 * (a merge integrate published them): said instead of "ready to integrate".
 */
export function markIntegrated(status: PlanStatus): PlanStatus {
  if (!status.readyToIntegrate) return status;
  const readiness = judgeReadiness(status.workers, status.integrateOrder.ok);
  return {
    ...status,
    integrated: true,
    summary: formatSummary(status.counts, status.workers.length, readiness, status.target),
  };
}

/** The state the commits alone give (stalled needs the clock). */
export function stateFromHistory(s: WorkerHistorySummary): Exclude<WorkerState, 'stalled'> {
  // Merges alone (pw run merging a provider before the agent starts) are no work of its own.
  if (s.counts.commits === s.counts.merges) return 'pending';
  if (s.latest === 'COMPLETE' && s.commitsAfterComplete === 0) return 'complete';
  if (s.latest === 'BLOCKED') return 'blocked';
  return 'working';
}

/**
 * The stall clock: the latest commit or uncommitted edit. A worker with no
 * commits of its own (merges only, or none) counts from its setup, or from
 * the moment its last dependency completed; while a dependency is not
 * complete it is waiting, not stalled.
 */
function lastActivity(
  worker: StateWorker,
  s: WorkerHistorySummary,
  newestEditAt: number | null,
  setupAt: number | undefined,
  baseState: ReadonlyMap<string, WorkerState>,
  completedAt: ReadonlyMap<string, number | null>,
): number | null {
  const times: number[] = [];
  if (s.lastCommit) times.push(s.lastCommit.time);
  if (newestEditAt != null) times.push(newestEditAt);
  if (s.counts.commits === s.counts.merges) {
    const deps = worker.dependsOn.filter((d) => baseState.has(d));
    if (deps.some((d) => baseState.get(d) !== 'complete')) return null;
    if (setupAt !== undefined) times.push(setupAt);
    for (const d of deps) times.push(completedAt.get(d)!);
  }
  return times.length ? Math.max(...times) : null;
}

/** What the state derivation needs of a worker. */
export interface StateWorker {
  id: string;
  dependsOn: readonly string[];
  stallAfterMs: number;
}

export interface DerivedWorkerState {
  /** The state from the history alone (never stalled). */
  base: Exclude<WorkerState, 'stalled'>;
  /** The state: `base`, or stalled when idle for longer than the worker's stallAfter. */
  state: WorkerState;
  /** The stall clock (ms since the epoch), or null when it does not run. */
  lastActivity: number | null;
  idleMs: number | null;
  /** When the worker reached its current COMPLETE, or null. */
  completedAt: number | null;
}

/**
 * The one derivation of every worker's state (DESIGN.md section 4): status,
 * wait, integrate and retro all take it from here.
 */
export function deriveWorkerStates(input: {
  workers: readonly StateWorker[];
  summaryOf: (id: string) => WorkerHistorySummary;
  setupAt?: ReadonlyMap<string, number> | undefined;
  newestEditAt?: (id: string) => number | null;
  now: number;
}): Map<string, DerivedWorkerState> {
  const baseState = new Map(
    input.workers.map((w) => [w.id, stateFromHistory(input.summaryOf(w.id))]),
  );
  const completedAt = new Map<string, number | null>();
  for (const w of input.workers) {
    const s = input.summaryOf(w.id);
    completedAt.set(
      w.id,
      baseState.get(w.id) === 'complete' ? s.completions[s.completions.length - 1]!.time : null,
    );
  }
  const derived = new Map<string, DerivedWorkerState>();
  for (const worker of input.workers) {
    const base = baseState.get(worker.id)!;
    const activity = lastActivity(
      worker,
      input.summaryOf(worker.id),
      input.newestEditAt?.(worker.id) ?? null,
      input.setupAt?.get(worker.id),
      baseState,
      completedAt,
    );
    const idleMs = activity === null ? null : input.now - activity;
    const state: WorkerState =
      base !== 'complete' && idleMs !== null && idleMs > worker.stallAfterMs ? 'stalled' : base;
    derived.set(worker.id, {
      base,
      state,
      lastActivity: activity,
      idleMs,
      completedAt: completedAt.get(worker.id) ?? null,
    });
  }
  return derived;
}

/**
 * A NEEDS stays open until the provider delivers the item (`Provides:`) or
 * reaches COMPLETE, at or after the time it was asked for. A delivery from
 * before the ask leaves it open, and reported as "can resume". A complete
 * worker needs nothing.
 */
function resolveNeeds(
  s: WorkerHistorySummary,
  summaryOf: (id: string) => WorkerHistorySummary,
  complete: boolean,
  now: number,
): { open: OpenNeed[]; resolved: ResolvedNeed[] } {
  const open = new Map<string, OpenNeed>();
  const resolved: ResolvedNeed[] = [];
  for (const need of s.needs) {
    const resolution = findNeedResolution(need, summaryOf(need.worker));
    const key = `${need.worker}/${need.item}`;
    if (resolution) {
      resolved.push({
        worker: need.worker,
        item: need.item,
        since: iso(need.time),
        resolvedAt: iso(resolution.time),
        by: resolution.by,
        sha: need.sha,
        resolvedBy: resolution.sha,
      });
      open.delete(key);
    } else if (!open.has(key) && !complete) {
      open.set(key, {
        worker: need.worker,
        item: need.item,
        since: iso(need.time),
        ageMs: now - need.time,
        sha: need.sha,
      });
    }
  }
  return { open: [...open.values()], resolved };
}

function mergeViolations(
  worker: string,
  s: WorkerHistorySummary,
  found: readonly StatusViolation[],
): StatusViolation[] {
  const mine = found.filter((v) => v.worker === worker);
  const known = new Set(mine.filter((v) => v.kind === 'protocol').map((v) => v.sha));
  for (const p of s.protocolViolations) {
    if (known.has(p.sha)) continue;
    mine.push({
      worker,
      kind: 'protocol',
      sha: p.sha,
      paths: [],
      message: `${p.problem}: "${p.header}"`,
      time: p.time,
    });
  }
  return mine.sort((a, b) => (a.time ?? 0) - (b.time ?? 0));
}

/**
 * `2/4 complete · 1 working · 1 blocked`; when all are complete, whether
 * integrate would take them (judgeReadiness): ready, or what stops it.
 */
export function formatSummary(
  counts: Record<WorkerState, number>,
  total: number,
  readiness: Readiness = { ready: true, blockers: [] },
  integratedInto: string | null = null,
): string {
  const parts = [`${counts.complete}/${total} complete`];
  for (const state of WORKER_STATES) {
    if (state !== 'complete' && counts[state] > 0) parts.push(`${counts[state]} ${state}`);
  }
  if (total > 0 && counts.complete === total) {
    const violations = readiness.blockers.filter((b) => b.kind === 'violations').length;
    if (readiness.ready)
      parts.push(integratedInto ? `integrated into ${integratedInto}` : 'ready to integrate');
    else if (violations > 0) parts.push(`${violations} with violations, which integrate refuses`);
    else parts.push('integrate order has a cycle');
  }
  return parts.join(' · ');
}

/**
 * Cycles in the graph of open NEEDS (a needs b): deadlocks. One cycle per
 * strongly connected component, starting at its first worker in plan order.
 */
export function findNeedsCycles(
  workers: readonly { id: string; needs: readonly { worker: string }[] }[],
): string[][] {
  const edges = new Map(
    workers.map((w) => [
      w.id,
      [...new Set(w.needs.map((n) => n.worker))].filter((x) => x !== w.id),
    ]),
  );
  const order = workers.map((w) => w.id);
  const components = stronglyConnected(order, edges);
  const cycles: string[][] = [];
  for (const component of components) {
    if (component.size < 2) continue;
    const start = order.find((id) => component.has(id))!;
    cycles.push(cycleThrough(start, component, edges, order));
  }
  return cycles;
}

function stronglyConnected(
  order: readonly string[],
  edges: ReadonlyMap<string, readonly string[]>,
): Set<string>[] {
  // Tarjan's algorithm; plans are small, so recursion depth is not a concern.
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: Set<string>[] = [];
  const visit = (v: string): void => {
    indices.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!));
    }
    if (low.get(v) === indices.get(v)) {
      const component = new Set<string>();
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.add(w);
      } while (w !== v);
      out.push(component);
    }
  };
  for (const v of order) if (!indices.has(v)) visit(v);
  return out;
}

/** A shortest path back to `start` inside the component (breadth first, plan order on ties). */
function cycleThrough(
  start: string,
  component: ReadonlySet<string>,
  edges: ReadonlyMap<string, readonly string[]>,
  order: readonly string[],
): string[] {
  const rank = (id: string): number => order.indexOf(id);
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    const next = [...(edges.get(v) ?? [])]
      .filter((w) => component.has(w))
      .sort((a, b) => rank(a) - rank(b));
    for (const w of next) {
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(previous.get(path[0]!)!);
        return path;
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}

/**
 * BLOCKED or NEEDS workers whose dependency is done: an open need whose
 * provider is complete or delivered the item before it was asked for, and a
 * blocked worker whose reason names a complete worker, or whose every
 * dependsOn is complete.
 */
function findCanResume(
  statuses: readonly WorkerStatus[],
  summaryOf: (id: string) => WorkerHistorySummary,
): CanResume[] {
  const byId = new Map(statuses.map((w) => [w.id, w]));
  const isComplete = (id: string): boolean => byId.get(id)?.state === 'complete';
  const out: CanResume[] = [];
  for (const w of statuses) {
    if (w.state === 'complete') continue;
    for (const need of w.needs) {
      if (isComplete(need.worker)) {
        out.push({ worker: w.id, waitingOn: need.worker, item: need.item, because: 'complete' });
      } else if (summaryOf(need.worker).provides.some((p) => p.item === need.item)) {
        out.push({ worker: w.id, waitingOn: need.worker, item: need.item, because: 'provided' });
      }
    }
    // A need met since the worker's last word: it may not know yet, so it can resume.
    for (const r of w.resolvedNeeds) {
      const last = w.lastCommit;
      const unseen =
        last !== null && (last.sha === r.sha || Date.parse(last.time) < Date.parse(r.resolvedAt));
      const listed = out.some(
        (c) => c.worker === w.id && c.waitingOn === r.worker && c.item === r.item,
      );
      if (unseen && !listed)
        out.push({
          worker: w.id,
          waitingOn: r.worker,
          item: r.item,
          because: r.by === 'provides' ? 'provided' : 'complete',
        });
    }
    if (w.blocked) {
      const named = statuses.filter(
        (other) =>
          other.id !== w.id &&
          isComplete(other.id) &&
          new RegExp(`(^|[^a-z0-9_-])${escapeRegExp(other.id)}($|[^a-z0-9_-])`, 'i').test(
            w.blocked!.reason,
          ),
      );
      const listed = (id: string): boolean =>
        out.some((c) => c.worker === w.id && c.waitingOn === id);
      const on = named.length
        ? named.map((other) => other.id)
        : w.dependsOn.length && w.dependsOn.every(isComplete)
          ? w.dependsOn
          : [];
      for (const id of on.filter((id) => !listed(id)))
        out.push({ worker: w.id, waitingOn: id, item: null, because: 'complete' });
    }
  }
  return out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
