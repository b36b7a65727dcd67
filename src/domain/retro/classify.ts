import { type ProviderDeliveries } from '../protocol/find-need-resolution.js';
import { parseCommitMessage, parseProvides } from '../protocol/protocol.js';
import { type RetroCommit, type TimelineKind } from './types.js';

export const iso = (ms: number): string => new Date(ms).toISOString();
export const floorSecond = (ms: number): number => Math.floor(ms / 1000) * 1000;

export interface ParsedCommit {
  sha: string;
  at: number;
  kind: TimelineKind;
  header: string;
  provides: string[];
  reason: string | null;
  need: { provider: string; item: string } | null;
}

export function parseHistory(
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

export interface WorkerWalk {
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
export function walkWorker(commits: ParsedCommit[]): WorkerWalk {
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

/**
 * What can resolve a NEEDS on the provider's branch, read as `pw status` reads
 * it: Provides trailers and COMPLETEs of commits with a valid status prefix.
 */
export function deliveriesOf(history: readonly ParsedCommit[]): ProviderDeliveries {
  const commits = history.filter((c) => c.kind !== 'exempt' && c.kind !== 'invalid');
  return {
    provides: commits.flatMap((c) => c.provides.map((item) => ({ item, time: c.at, sha: c.sha }))),
    completions: commits
      .filter((c) => c.kind === 'complete')
      .map((c) => ({ time: c.at, sha: c.sha })),
  };
}
