import { findNeedResolution } from '../protocol/find-need-resolution.js';
import { compileOwners } from '../scope/ownership.js';
import { type BypassEvent, type PlanEvents } from './events.js';
import { matchesScopePattern } from '../scope/scope-match.js';
import {
  type RetroWorkerSpec,
  type RetroInput,
  type TimelineKind,
  type Span,
  type BlockedSpan,
  type NeedRetro,
  type WorkerState,
  type WorkerRetro,
  type PlanStatus,
} from './types.js';
import { iso, WorkerWalk } from './classify.js';

export const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/** Each caught violation once, at its first report, in the order first reported. */
export function firstReports(bypasses: readonly BypassEvent[]): BypassEvent[] {
  const first = new Map<string, BypassEvent>();
  for (const b of [...bypasses].sort((x, y) => x.at - y.at)) {
    const key = [b.worker, b.kind, b.commit, b.detail].join('\0');
    if (!first.has(key)) first.set(key, b);
  }
  return [...first.values()];
}

export function computeWorker(
  spec: RetroWorkerSpec,
  walks: ReadonlyMap<string, WorkerWalk>,
  events: PlanEvents,
  input: RetroInput,
  window: { start: number; end: number; status: PlanStatus },
  /** The worker's state, derived as pw status derives it. */
  state: WorkerState,
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
