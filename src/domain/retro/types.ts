/** The retrospective's model: what `computeRetro` returns and what it reads. */
import type { RetroEvent } from './events.js';
import type { Finding } from './findings.js';
import type { WorkerState } from '../status/plan-status.js';

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
  /**
   * Commits still on a worker branch, an archive or the target: a violation
   * caught in a commit since reset away counts no more. Absent: all count.
   */
  reachable?: ReadonlySet<string>;
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

export type { WorkerState } from '../status/plan-status.js';

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
    /** Violations caught in commits that are on no branch, archive or target any more (not counted). */
    bypassesGone: number;
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
    conflicts: { at: string; workers: string[]; paths: string[]; targetPaths: string[] }[];
    verifyFailures: { at: string; worker: string | null; detail: string | null }[];
  };
  findings: Finding[];
}
