/**
 * The retrospective, computed: every figure comes from the workers' own
 * commits (their times and protocol prefixes) and the events log, so it is
 * exact and repeatable, mid-flight as well as after integrate or teardown.
 * Pure: the caller passes the history, the events and `now`.
 *
 * Times are commit times (when a commit landed on the branch), in whole
 * seconds like git's; the plan starts at its first setup event, also cut to
 * the second so that "time to first commit" is not off by a fraction.
 */
import { findNeedResolution, type ProviderDeliveries } from './find-need-resolution.js';
import { compileOwners } from './ownership.js';
import { parseCommitMessage, parseProvides } from './protocol.js';
import {
  classifyRetroEvents,
  type BypassEvent,
  type PlanEvents,
  type RetroEvent,
} from './retro-events.js';
import { planRetroFindings, type Finding } from './retro-findings.js';
import { matchesScopePattern } from './scope-pattern.js';

export type { RetroEvent } from './retro-events.js';
export type { Finding } from './retro-findings.js';

/** A commit on a worker's own line of history (the shape `readWorkerHistories` returns). */
export interface RetroCommit {
  sha: string;
  /** Committer time, ms since the epoch. */
  commitTime: number;
  message: string;
}

export interface RetroFileStat {
  path: string;
  /** Null for a binary file. */
  added: number | null;
  deleted: number | null;
}

export interface RetroWorkerSpec {
  id: string;
  dependsOn: readonly string[];
  owns: readonly string[];
  stallAfterMs: number;
}

export interface RetroPlanSpec {
  name: string;
  base: string;
  target?: string;
  baseCommit: string;
  stallAfterMs: number;
  tornDownAt?: string;
  workers: readonly RetroWorkerSpec[];
}

/** Where a worker's history was read from. */
export type HistorySource = 'branch' | 'archive' | 'none';

export interface RetroInput {
  plan: RetroPlanSpec;
  /** Each worker's own commits, oldest first. */
  histories: ReadonlyMap<string, readonly RetroCommit[]>;
  sources?: ReadonlyMap<string, HistorySource>;
  events: readonly RetroEvent[];
  /** Paths and line counts per commit SHA (merge commits have none). */
  fileStats?: ReadonlyMap<string, readonly RetroFileStat[]>;
  /** ms since the epoch. */
  now: number;
}

export type TimelineKind = 'checkpoint' | 'blocked' | 'needs' | 'complete' | 'exempt' | 'invalid';

export interface TimelineMark {
  sha: string;
  at: string;
  kind: TimelineKind;
  /** The first line of the message. */
  header: string;
  provides: string[];
}

export interface Span {
  from: string;
  to: string;
  ms: number;
}

export interface BlockedSpan extends Span {
  reason: string;
  /** Still blocked at the end of the observed time. */
  open: boolean;
}

export interface NeedRetro {
  /** The worker asked. */
  provider: string;
  item: string;
  sha: string;
  raisedAt: string;
  resolvedAt: string | null;
  /** `provides`: a Provides trailer on the provider's branch; `complete`: the provider's COMPLETE (made at or after the NEEDS, as in `pw status`). */
  resolvedBy: 'provides' | 'complete' | null;
  /** Until resolved; while open, until the end of the observed time (or the needing worker's COMPLETE). */
  waitedMs: number;
  open: boolean;
}

export type WorkerState = 'pending' | 'working' | 'blocked' | 'complete' | 'stalled';

export interface WorkerRetro {
  id: string;
  dependsOn: string[];
  owns: string[];
  source: HistorySource;
  state: WorkerState;
  commits: number;
  checkpoints: number;
  byKind: Record<TimelineKind, number>;
  firstCommitAt: string | null;
  /** From the plan's start to the worker's first commit. */
  timeToFirstCommitMs: number | null;
  completedAt: string | null;
  /** From the plan's start to the COMPLETE that ended the worker's work (null while not complete). */
  timeToCompleteMs: number | null;
  /** From the plan's start to COMPLETE, or to the end of the observed time. */
  durationMs: number;
  /** Intervals between consecutive commits (the plan's start counting as the first) not longer than the stall threshold, outside blocked spans. */
  activeMs: number;
  blockedMs: number;
  blocked: BlockedSpan[];
  needs: NeedRetro[];
  provided: { item: string; at: string; sha: string }[];
  /** The longest gap without a commit while the worker was not complete. */
  longestSilence: Span | null;
  /** Gaps longer than the stall threshold while neither blocked nor complete. */
  stalls: Span[];
  stallAfterMs: number;
  refusals: {
    total: number;
    byKind: Record<string, number>;
    /** Each refusal: when, of what kind, and what the hook said (the paths or the header). */
    list: { at: string; kind: string; detail: string | null }[];
  };
  files: { changed: number; linesAdded: number; linesDeleted: number; binary: number };
  /** Paths the worker's own commits changed outside its scope. */
  outOfScope: { sha: string; path: string }[];
  /** Commits with a header that breaks the protocol. */
  unprefixed: { sha: string; header: string }[];
  /** Times the worker went on after a COMPLETE. */
  reopened: number;
  integrate: { conflicts: number; conflictPaths: string[]; verifyFailures: number };
  timeline: TimelineMark[];
}

export type PlanStatus = 'in-flight' | 'complete' | 'integrated' | 'torn-down';

export interface CriticalStep {
  worker: string;
  /** How this worker waited for the previous one on the path. */
  via: 'start' | 'dependsOn' | 'needs';
  item: string | null;
  /** When the worker was let go (the gate opened) and when it finished. */
  gateAt: string;
  finishedAt: string;
}

export interface Retro {
  plan: string;
  base: string;
  target: string;
  status: PlanStatus;
  generatedAt: string;
  startedAt: string;
  startSource: 'setup' | 'first-commit' | 'now';
  endedAt: string;
  tornDownAt: string | null;
  wallMs: number;
  workers: WorkerRetro[];
  criticalPath: { steps: CriticalStep[]; lengthMs: number; waitMs: number };
  balance: {
    longest: { worker: string; ms: number } | null;
    shortest: { worker: string; ms: number } | null;
    meanMs: number;
    spreadMs: number;
    /** longest / mean: 1 is perfectly even. */
    ratio: number;
  };
  totals: {
    commits: number;
    activeMs: number;
    blockedMs: number;
    workerMs: number;
    needs: number;
    openNeeds: number;
    needsWaitMs: number;
    stalls: number;
    refusals: number;
  };
  /** Total blocked time over total worker time. */
  blockedRatio: number;
  /** Total active time over wall time. */
  speedUp: number;
  hygiene: {
    unprefixed: number;
    outOfScope: number;
    refusalsByKind: Record<string, number>;
    /** Each violation once (check logs them every time it runs), at its first report. */
    bypassesCaught: {
      worker: string | null;
      caughtBy: string;
      kind: string;
      commit: string | null;
      detail: string | null;
      at: string;
    }[];
    reopened: number;
  };
  integrate: {
    publishes: { at: string; commit: string | null }[];
    conflicts: { at: string; workers: string[]; paths: string[] }[];
    verifyFailures: { at: string; worker: string | null; detail: string | null }[];
  };
  findings: Finding[];
}

const iso = (ms: number): string => new Date(ms).toISOString();
const floorSecond = (ms: number): number => Math.floor(ms / 1000) * 1000;

interface ParsedCommit {
  sha: string;
  at: number;
  kind: TimelineKind;
  header: string;
  provides: string[];
  reason: string | null;
  need: { provider: string; item: string } | null;
}

function parseHistory(
  commits: readonly RetroCommit[],
  workers: readonly string[],
  self: string,
): ParsedCommit[] {
  return commits.map((commit) => {
    const parsed = parseCommitMessage(commit.message, { workers, self });
    const header = commit.message.split('\n', 1)[0]!.trim();
    const base = {
      sha: commit.sha,
      at: commit.commitTime,
      header,
      // Listed from any commit (`provided`, the timeline); only prefixed commits resolve a NEEDS.
      provides: parseProvides(commit.message),
      reason: null,
      need: null,
    };
    if (parsed.type === 'exempt') return { ...base, kind: 'exempt' };
    if (parsed.type === 'invalid') return { ...base, kind: 'invalid' };
    const h = parsed.header;
    switch (h.kind) {
      case 'BLOCKED':
        return { ...base, kind: 'blocked', reason: h.reason };
      case 'NEEDS':
        return { ...base, kind: 'needs', need: { provider: h.worker, item: h.item } };
      case 'COMPLETE':
        return { ...base, kind: 'complete' };
      default:
        return { ...base, kind: 'checkpoint' };
    }
  });
}

interface WorkerWalk {
  commits: ParsedCommit[];
  completedAt: number | null;
  reopened: number;
  blocked: { reason: string; from: number; to: number | null }[];
  /** Per commit: the state just after it. */
  after: { blocked: boolean; complete: boolean }[];
  /** What can resolve another worker's NEEDS of this one. */
  deliveries: ProviderDeliveries;
}

/** Walks one worker's commits in order: blocked spans, COMPLETE and reopening. */
function walkWorker(commits: ParsedCommit[]): WorkerWalk {
  let blocked: { reason: string; from: number; to: number | null } | null = null;
  let complete = false;
  let reopened = 0;
  const spans: WorkerWalk['blocked'] = [];
  const after: WorkerWalk['after'] = [];
  for (const commit of commits) {
    // Work right after a COMPLETE reopens it; a second COMPLETE does not (the rule of
    // pw status, WorkerHistorySummary.reopenings, whose count status reports as reopenedTimes).
    if (complete && commit.kind !== 'complete') reopened += 1;
    complete = false;
    if (commit.kind === 'blocked' && !blocked) {
      blocked = { reason: commit.reason ?? '', from: commit.at, to: null };
      spans.push(blocked);
    } else if ((commit.kind === 'checkpoint' || commit.kind === 'complete') && blocked) {
      blocked.to = commit.at;
      blocked = null;
    }
    if (commit.kind === 'complete') complete = true;
    after.push({ blocked: blocked !== null, complete });
  }
  const last = commits[commits.length - 1];
  return {
    commits,
    completedAt: complete && last ? last.at : null,
    reopened,
    blocked: spans,
    after,
    deliveries: deliveriesOf(commits),
  };
}

/** Every figure of the retrospective. Pure. */
export function computeRetro(input: RetroInput): Retro {
  const { plan, now } = input;
  const ids = plan.workers.map((w) => w.id);
  const events = classifyRetroEvents(input.events, plan.name);
  const walks = new Map<string, WorkerWalk>();
  for (const worker of plan.workers) {
    walks.set(
      worker.id,
      walkWorker(parseHistory(input.histories.get(worker.id) ?? [], ids, worker.id)),
    );
  }
  const allCommits = [...walks.values()].flatMap((w) => w.commits);
  // reduce, not Math.min(...): a long history would overflow the argument list.
  const firstCommit = allCommits.reduce((min, c) => Math.min(min, c.at), Infinity);
  const lastCommit = allCommits.reduce((max, c) => Math.max(max, c.at), -Infinity);

  let startSource: Retro['startSource'] = 'setup';
  let start: number;
  if (events.setupAt !== null) start = floorSecond(events.setupAt);
  else if (allCommits.length) {
    start = firstCommit;
    startSource = 'first-commit';
  } else {
    start = floorSecond(now);
    startSource = 'now';
  }
  // A commit stamped before the setup (another machine's clock) must not make figures negative.
  if (allCommits.length && firstCommit < start) {
    start = firstCommit;
    startSource = 'first-commit';
  }

  const tornDownAt =
    events.tornDownAt ?? (plan.tornDownAt ? Date.parse(plan.tornDownAt) : null) ?? null;
  const allComplete =
    plan.workers.length > 0 && [...walks.values()].every((w) => w.completedAt !== null);
  const lastComplete = Math.max(...[...walks.values()].map((w) => w.completedAt ?? -Infinity));
  const lastPublish = events.publishes.length
    ? events.publishes[events.publishes.length - 1]!.at
    : null;
  let status: PlanStatus;
  let end: number;
  if (allComplete && lastPublish !== null && lastPublish >= lastComplete) {
    status = 'integrated';
    end = lastPublish;
  } else if (allComplete) {
    status = 'complete';
    end = lastComplete;
  } else if (tornDownAt !== null && !Number.isNaN(tornDownAt)) {
    status = 'torn-down';
    end = tornDownAt;
  } else {
    status = 'in-flight';
    end = now;
  }
  if (allCommits.length) end = Math.max(end, lastCommit);
  end = Math.max(end, start);

  const workers = plan.workers.map((spec) =>
    computeWorker(spec, walks, events, input, { start, end, status }),
  );

  const totals = {
    commits: sum(workers.map((w) => w.commits)),
    activeMs: sum(workers.map((w) => w.activeMs)),
    blockedMs: sum(workers.map((w) => w.blockedMs)),
    workerMs: sum(workers.map((w) => w.durationMs)),
    needs: sum(workers.map((w) => w.needs.length)),
    openNeeds: sum(workers.map((w) => w.needs.filter((n) => n.open).length)),
    needsWaitMs: sum(workers.flatMap((w) => w.needs.map((n) => n.waitedMs))),
    stalls: sum(workers.map((w) => w.stalls.length)),
    refusals:
      sum(workers.map((w) => w.refusals.total)) +
      events.refusals.filter((r) => !r.worker || !ids.includes(r.worker)).length,
  };
  const wallMs = end - start;
  const refusalsByKind: Record<string, number> = {};
  for (const refusal of events.refusals)
    refusalsByKind[refusal.kind] = (refusalsByKind[refusal.kind] ?? 0) + 1;

  const retro: Retro = {
    plan: plan.name,
    base: plan.base,
    target: plan.target ?? plan.base,
    status,
    generatedAt: iso(now),
    startedAt: iso(start),
    startSource,
    endedAt: iso(end),
    tornDownAt: tornDownAt !== null && !Number.isNaN(tornDownAt) ? iso(tornDownAt) : null,
    wallMs,
    workers,
    criticalPath: planCriticalPath(workers, start, end),
    balance: planBalance(workers),
    totals,
    blockedRatio: totals.workerMs > 0 ? totals.blockedMs / totals.workerMs : 0,
    speedUp: wallMs > 0 ? totals.activeMs / wallMs : 0,
    hygiene: {
      unprefixed: sum(workers.map((w) => w.unprefixed.length)),
      outOfScope: sum(workers.map((w) => w.outOfScope.length)),
      refusalsByKind,
      bypassesCaught: firstReports(events.bypasses).map((b) => ({ ...b, at: iso(b.at) })),
      reopened: sum(workers.map((w) => w.reopened)),
    },
    integrate: {
      publishes: events.publishes.map((p) => ({ at: iso(p.at), commit: p.commit })),
      conflicts: events.conflicts.map((c) => ({ ...c, at: iso(c.at) })),
      verifyFailures: events.verifyFailures.map((v) => ({ ...v, at: iso(v.at) })),
    },
    findings: [],
  };
  retro.findings = planRetroFindings(retro);
  return retro;
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/** Each caught violation once, at its first report, in the order first reported. */
function firstReports(bypasses: readonly BypassEvent[]): BypassEvent[] {
  const first = new Map<string, BypassEvent>();
  for (const b of [...bypasses].sort((x, y) => x.at - y.at)) {
    const key = [b.worker, b.kind, b.commit, b.detail].join('\0');
    if (!first.has(key)) first.set(key, b);
  }
  return [...first.values()];
}

function computeWorker(
  spec: RetroWorkerSpec,
  walks: ReadonlyMap<string, WorkerWalk>,
  events: PlanEvents,
  input: RetroInput,
  window: { start: number; end: number; status: PlanStatus },
): WorkerRetro {
  const { start, end } = window;
  const walk = walks.get(spec.id)!;
  const { commits, after } = walk;
  const finish = walk.completedAt ?? end;
  const stallAfter = spec.stallAfterMs;

  // Gaps between marks: the plan's start, each commit, and (while not complete) the end.
  let activeMs = 0;
  let longestSilence: Span | null = null;
  const stalls: Span[] = [];
  const marks = [start, ...commits.map((c) => c.at)];
  const states = [{ blocked: false, complete: false }, ...after];
  if (walk.completedAt === null) {
    marks.push(end);
    states.push(states[states.length - 1]!);
  }
  for (let i = 0; i + 1 < marks.length; i++) {
    const from = marks[i]!;
    const to = marks[i + 1]!;
    const gap = Math.max(0, to - from);
    const state = states[i]!;
    if (state.complete) continue;
    const isFinalOpenGap = walk.completedAt === null && i + 1 === marks.length - 1;
    if (!state.blocked && gap <= stallAfter && !isFinalOpenGap) activeMs += gap;
    if (!longestSilence || gap > longestSilence.ms)
      longestSilence = { from: iso(from), to: iso(to), ms: gap };
    if (!state.blocked && gap > stallAfter) stalls.push({ from: iso(from), to: iso(to), ms: gap });
  }

  const blocked: BlockedSpan[] = walk.blocked.map((span) => {
    const to = span.to ?? Math.max(end, span.from);
    return {
      reason: span.reason,
      from: iso(span.from),
      to: iso(to),
      ms: to - span.from,
      open: span.to === null,
    };
  });

  const needs: NeedRetro[] = [];
  // A NEEDS repeated before the first one was resolved is the same need, not a new one.
  const pending = new Map<string, number | null>();
  for (const commit of commits) {
    if (!commit.need) continue;
    const key = `${commit.need.provider}\0${commit.need.item}`;
    if (pending.has(key)) {
      const resolved = pending.get(key)!;
      if (resolved === null || resolved > commit.at) continue;
    }
    const resolution = findNeedResolution(
      { item: commit.need.item, time: commit.at },
      walks.get(commit.need.provider)?.deliveries ?? { provides: [], completions: [] },
    );
    const resolvedAt = resolution?.time ?? null;
    const waitEnd = Math.min(resolvedAt ?? end, finish);
    pending.set(key, resolvedAt);
    needs.push({
      provider: commit.need.provider,
      item: commit.need.item,
      sha: commit.sha,
      raisedAt: iso(commit.at),
      resolvedAt: resolvedAt === null ? null : iso(resolvedAt),
      resolvedBy: resolution?.by ?? null,
      waitedMs: Math.max(0, waitEnd - commit.at),
      open: resolvedAt === null,
    });
  }

  const refusals = events.refusals.filter((r) => r.worker === spec.id);
  const byKindRefusals: Record<string, number> = {};
  for (const refusal of refusals)
    byKindRefusals[refusal.kind] = (byKindRefusals[refusal.kind] ?? 0) + 1;

  const files = new Set<string>();
  let linesAdded = 0;
  let linesDeleted = 0;
  const binary = new Set<string>();
  const outOfScope: { sha: string; path: string }[] = [];
  const patterns = compileOwners([{ id: spec.id, owns: spec.owns }])[0]!.patterns;
  for (const commit of commits) {
    for (const stat of input.fileStats?.get(commit.sha) ?? []) {
      files.add(stat.path);
      if (stat.added === null || stat.deleted === null) binary.add(stat.path);
      linesAdded += stat.added ?? 0;
      linesDeleted += stat.deleted ?? 0;
      if (!patterns.some((p) => matchesScopePattern(p, stat.path)))
        outOfScope.push({ sha: commit.sha, path: stat.path });
    }
  }

  const conflicts = events.conflicts.filter((c) => c.workers.includes(spec.id));
  const byKind: Record<TimelineKind, number> = {
    checkpoint: 0,
    blocked: 0,
    needs: 0,
    complete: 0,
    exempt: 0,
    invalid: 0,
  };
  for (const commit of commits) byKind[commit.kind] += 1;

  const first = commits[0];
  const last = commits[commits.length - 1];
  const lastState = after[after.length - 1];
  let state: WorkerState;
  if (!first) state = 'pending';
  else if (lastState?.complete) state = 'complete';
  else if (end - last!.at > stallAfter) state = 'stalled';
  else if (lastProtocolKind(commits) === 'blocked') state = 'blocked';
  else state = 'working';

  return {
    id: spec.id,
    dependsOn: [...spec.dependsOn],
    owns: [...spec.owns],
    source: input.sources?.get(spec.id) ?? (commits.length ? 'branch' : 'none'),
    state,
    commits: commits.length,
    checkpoints: byKind.checkpoint,
    byKind,
    firstCommitAt: first ? iso(first.at) : null,
    timeToFirstCommitMs: first ? first.at - start : null,
    completedAt: walk.completedAt === null ? null : iso(walk.completedAt),
    timeToCompleteMs: walk.completedAt === null ? null : walk.completedAt - start,
    durationMs: finish - start,
    activeMs,
    blockedMs: sum(blocked.map((b) => b.ms)),
    blocked,
    needs,
    provided: commits.flatMap((c) =>
      c.provides.map((item) => ({ item, at: iso(c.at), sha: c.sha })),
    ),
    longestSilence,
    stalls,
    stallAfterMs: stallAfter,
    refusals: {
      total: refusals.length,
      byKind: byKindRefusals,
      list: refusals.map((r) => ({ at: iso(r.at), kind: r.kind, detail: r.detail })),
    },
    files: { changed: files.size, linesAdded, linesDeleted, binary: binary.size },
    outOfScope,
    unprefixed: commits
      .filter((c) => c.kind === 'invalid')
      .map((c) => ({ sha: c.sha, header: c.header })),
    reopened: walk.reopened,
    integrate: {
      conflicts: conflicts.length,
      conflictPaths: [...new Set(conflicts.flatMap((c) => c.paths))],
      verifyFailures: events.verifyFailures.filter((v) => v.worker === spec.id).length,
    },
    timeline: commits.map((c) => ({
      sha: c.sha,
      at: iso(c.at),
      kind: c.kind,
      header: c.header,
      provides: c.provides,
    })),
  };
}

function lastProtocolKind(commits: readonly ParsedCommit[]): TimelineKind | null {
  for (let i = commits.length - 1; i >= 0; i--) {
    const kind = commits[i]!.kind;
    if (kind !== 'exempt' && kind !== 'invalid') return kind;
  }
  return null;
}

/**
 * What can resolve a NEEDS on the provider's branch, read as `pw status` reads
 * it: Provides trailers and COMPLETEs of commits with a valid status prefix.
 */
function deliveriesOf(history: readonly ParsedCommit[]): ProviderDeliveries {
  const commits = history.filter((c) => c.kind !== 'exempt' && c.kind !== 'invalid');
  return {
    provides: commits.flatMap((c) => c.provides.map((item) => ({ item, time: c.at, sha: c.sha }))),
    completions: commits
      .filter((c) => c.kind === 'complete')
      .map((c) => ({ time: c.at, sha: c.sha })),
  };
}

/**
 * The chain that decided when the plan finished, in hindsight: start from the
 * worker that finished last and step back, each time, to the dependency
 * (dependsOn, or a NEEDS provider) whose delivery came last before the worker
 * finished, until a worker waited for nobody.
 */
function planCriticalPath(
  workers: readonly WorkerRetro[],
  start: number,
  end: number,
): Retro['criticalPath'] {
  const finishOf = (w: WorkerRetro): number => (w.completedAt ? Date.parse(w.completedAt) : end);
  const byId = new Map(workers.map((w) => [w.id, w]));
  const active = workers.filter((w) => w.commits > 0);
  if (active.length === 0) return { steps: [], lengthMs: 0, waitMs: 0 };
  let current = [...active].sort((a, b) => finishOf(b) - finishOf(a))[0]!;
  const reversed: CriticalStep[] = [];
  const seen = new Set<string>();
  let waitMs = 0;
  for (;;) {
    seen.add(current.id);
    const finished = finishOf(current);
    const gates: {
      worker: WorkerRetro;
      at: number;
      via: 'dependsOn' | 'needs';
      item: string | null;
      wait: number;
    }[] = [];
    for (const dep of current.dependsOn) {
      const provider = byId.get(dep);
      if (provider && !seen.has(dep) && provider.commits > 0)
        gates.push({
          worker: provider,
          at: finishOf(provider),
          via: 'dependsOn',
          item: null,
          wait: 0,
        });
    }
    for (const need of current.needs) {
      const provider = byId.get(need.provider);
      if (!provider || seen.has(need.provider)) continue;
      const at = need.resolvedAt ? Date.parse(need.resolvedAt) : end;
      gates.push({ worker: provider, at, via: 'needs', item: need.item, wait: need.waitedMs });
    }
    const gate = gates
      .filter((g) => g.at <= finished && g.at > start)
      .sort((a, b) => b.at - a.at || (a.via === 'needs' ? -1 : 1))[0];
    if (!gate) {
      reversed.push({
        worker: current.id,
        via: 'start',
        item: null,
        gateAt: iso(start),
        finishedAt: iso(finished),
      });
      break;
    }
    reversed.push({
      worker: current.id,
      via: gate.via,
      item: gate.item,
      gateAt: iso(gate.at),
      finishedAt: iso(finished),
    });
    waitMs += gate.wait;
    current = gate.worker;
  }
  const steps = reversed.reverse();
  const last = steps[steps.length - 1]!;
  return { steps, lengthMs: Date.parse(last.finishedAt) - start, waitMs };
}

function planBalance(workers: readonly WorkerRetro[]): Retro['balance'] {
  const started = workers.filter((w) => w.commits > 0);
  if (started.length === 0)
    return { longest: null, shortest: null, meanMs: 0, spreadMs: 0, ratio: 0 };
  const sorted = [...started].sort((a, b) => b.durationMs - a.durationMs);
  const longest = sorted[0]!;
  const shortest = sorted[sorted.length - 1]!;
  const meanMs = sum(started.map((w) => w.durationMs)) / started.length;
  return {
    longest: { worker: longest.id, ms: longest.durationMs },
    shortest: { worker: shortest.id, ms: shortest.durationMs },
    meanMs,
    spreadMs: longest.durationMs - shortest.durationMs,
    ratio: meanMs > 0 ? longest.durationMs / meanMs : 0,
  };
}
