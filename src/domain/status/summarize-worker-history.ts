import {
  checkNeedsTarget,
  parseCommitMessage,
  type ParsedMessage,
  type ProtocolKind,
} from '../protocol/protocol.js';

/** What the status code reads of a commit (a `HistoryCommit` is one). */
export interface StatusCommit {
  sha: string;
  parents: readonly string[];
  /** ms since the epoch */
  authorTime: number;
  /** ms since the epoch */
  commitTime: number;
  message: string;
  /** The context-free parse, when the reader has it already. */
  parsed?: ParsedMessage;
}

/** How a commit reads under the protocol: a keyword, exempt (merge, fixup, revert...) or invalid. */
export type CommitKind = ProtocolKind | 'exempt' | 'invalid';

export interface StatusCounts {
  commits: number;
  checkpoint: number;
  blocked: number;
  needs: number;
  complete: number;
  /** Merge, fixup!, squash!, amend! and revert commits, accepted without a prefix. */
  exempt: number;
  /**
   * Merge commits (two parents or more): work brought in from elsewhere (a provider's
   * COMPLETE tip merged before the worker starts, the base), not the worker's own.
   */
  merges: number;
  /** Headers that break the protocol (hooks bypassed). */
  invalid: number;
}

/**
 * One worker's history folded into what status needs: no times relative to
 * now, nothing about other workers. JSON-serialisable (times in ms), so it can
 * be cached by the worker's tip.
 */
export interface WorkerHistorySummary {
  worker: string;
  counts: StatusCounts;
  firstCommitAt: number | null;
  lastCommit: { sha: string; time: number; header: string; kind: CommitKind } | null;
  /** The latest protocol keyword: it decides the state. */
  latest: ProtocolKind | null;
  /** Commits after the latest COMPLETE (0 when the tip is a COMPLETE, or there is none). */
  commitsAfterComplete: number;
  /** The current BLOCKED: reason of the latest, time of the first of the run. */
  blocked: { reason: string; since: number; sha: string } | null;
  completions: { sha: string; time: number }[];
  /** The first commit after each COMPLETE that is not itself a COMPLETE. */
  reopenings: { sha: string; time: number; header: string }[];
  /** Every NEEDS header naming a worker of the plan. */
  needs: { worker: string; item: string; time: number; sha: string; subject: string }[];
  /** Every `Provides:` item, with the commit that delivered it. */
  provides: { item: string; time: number; sha: string }[];
  protocolViolations: { sha: string; time: number; header: string; problem: string }[];
}

export interface WorkerContext {
  worker: string;
  /** Every worker of the plan, for the NEEDS rules. */
  workers: readonly string[];
}

export function emptySummary(worker: string): WorkerHistorySummary {
  return {
    worker,
    counts: {
      commits: 0,
      checkpoint: 0,
      blocked: 0,
      needs: 0,
      complete: 0,
      exempt: 0,
      merges: 0,
      invalid: 0,
    },
    firstCommitAt: null,
    lastCommit: null,
    latest: null,
    commitsAfterComplete: 0,
    blocked: null,
    completions: [],
    reopenings: [],
    needs: [],
    provides: [],
    protocolViolations: [],
  };
}

/** A commit's parse under the plan's rules: a NEEDS naming an unknown worker, or the worker itself, is invalid. */
export function classifyCommit(commit: StatusCommit, context: WorkerContext): ParsedMessage {
  const parsed = commit.parsed ?? parseCommitMessage(commit.message);
  if (parsed.type === 'protocol' && parsed.header.kind === 'NEEDS') {
    const problem = checkNeedsTarget(parsed.header.worker, {
      workers: context.workers,
      self: context.worker,
    });
    if (problem) {
      return { type: 'invalid', header: headerOf(commit.message), problem, suggestion: null };
    }
  }
  return parsed;
}

export function headerOf(message: string): string {
  return message.split('\n', 1)[0]!.trim();
}

/** Folds one worker's own commits (oldest first) into its summary. Pure. */
export function summarizeWorkerHistory(
  commits: readonly StatusCommit[],
  context: WorkerContext,
): WorkerHistorySummary {
  const summary = emptySummary(context.worker);
  for (const commit of commits) foldCommit(summary, commit, context);
  return summary;
}

function foldCommit(s: WorkerHistorySummary, commit: StatusCommit, context: WorkerContext): void {
  const parsed = classifyCommit(commit, context);
  const time = commit.commitTime;
  const header = headerOf(commit.message);
  const kind: CommitKind = parsed.type === 'protocol' ? parsed.header.kind : parsed.type;
  const afterComplete = s.completions.length > 0 && s.commitsAfterComplete === 0;
  if (afterComplete && kind !== 'COMPLETE' && s.latest === 'COMPLETE')
    s.reopenings.push({ sha: commit.sha, time, header });

  s.counts.commits++;
  if (commit.parents.length > 1) s.counts.merges++;
  s.firstCommitAt ??= time;
  s.lastCommit = { sha: commit.sha, time, header, kind };
  if (kind === 'COMPLETE') s.commitsAfterComplete = 0;
  else if (s.completions.length) s.commitsAfterComplete++;

  if (parsed.type === 'exempt') {
    s.counts.exempt++;
    return;
  }
  if (parsed.type === 'invalid') {
    s.counts.invalid++;
    s.protocolViolations.push({ sha: commit.sha, time, header, problem: parsed.problem });
    return;
  }
  const h = parsed.header;
  s.latest = h.kind;
  for (const item of parsed.provides) s.provides.push({ item, time, sha: commit.sha });
  switch (h.kind) {
    case 'CHECKPOINT':
      s.counts.checkpoint++;
      s.blocked = null;
      break;
    case 'BLOCKED':
      s.counts.blocked++;
      s.blocked = { reason: h.reason, since: s.blocked?.since ?? time, sha: commit.sha };
      break;
    case 'NEEDS':
      s.counts.needs++;
      s.blocked = null;
      s.needs.push({ worker: h.worker, item: h.item, time, sha: commit.sha, subject: h.subject });
      break;
    case 'COMPLETE':
      s.counts.complete++;
      s.blocked = null;
      s.completions.push({ sha: commit.sha, time });
      break;
  }
}

/**
 * The summary of a history extended by `commits` (oldest first, all after
 * the summarised ones): the same as summarising the whole history again, as
 * the summary holds everything the fold carries. Pure; `summary` is not changed.
 */
export function extendWorkerSummary(
  summary: WorkerHistorySummary,
  commits: readonly StatusCommit[],
  context: WorkerContext,
): WorkerHistorySummary {
  const next = structuredClone(summary);
  for (const commit of commits) foldCommit(next, commit, context);
  return next;
}
