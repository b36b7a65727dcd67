import type { GraphCommit } from '../history/commit-graph.js';

/**
 * What a status snapshot's commit-derived part is a function of (hashed, it
 * is the status cache key): the plan's workers, base and target, and every
 * ref a worker's history may be read from.
 */
export interface HistoryBasis {
  pw: string;
  plan: string;
  baseCommit: string;
  workers: [string, string, readonly string[], readonly string[]][];
  base: [string, string | null];
  target: [string, string | null];
  /** Per worker in plan order: its branch, then its archive and hub refs, each with its commit or null. */
  refs: [string, string | null][][];
}

export interface MovedBranch {
  worker: string;
  ref: string;
  from: string;
  to: string;
}

/**
 * The worker branches that moved between two bases when nothing else did:
 * the same program, plan, base and target, no archive or hub ref changed,
 * and each moved worker read from its branch alone (no archive or hub ref to
 * choose from). Null otherwise, and when a branch appeared or went away.
 */
export function findMovedBranches(before: HistoryBasis, now: HistoryBasis): MovedBranch[] | null {
  const { refs: beforeRefs, ...beforeRest } = before;
  const { refs: nowRefs, ...nowRest } = now;
  if (JSON.stringify(beforeRest) !== JSON.stringify(nowRest)) return null;
  if (beforeRefs.length !== nowRefs.length) return null;
  const moved: MovedBranch[] = [];
  for (const [i, group] of nowRefs.entries()) {
    const old = beforeRefs[i]!;
    if (old.length !== group.length) return null;
    for (const [j, [ref, sha]] of group.entries()) {
      const [oldRef, oldSha] = old[j]!;
      if (ref !== oldRef) return null;
      if (sha === oldSha) continue;
      if (j !== 0 || sha === null || oldSha === null) return null;
      if (group.slice(1).some(([, other]) => other !== null)) return null;
      moved.push({ worker: now.workers[i]![0], ref, from: oldSha, to: sha });
    }
  }
  return moved;
}

/**
 * The first-parent line from `tip` down to `oldTip` through `commits` (what
 * `tip` has and `oldTip` lacks), oldest first: a branch's new commits on its
 * own line when it moved forward. Null when that line leaves `commits` before
 * reaching `oldTip` (the branch was reset, rebased, or merged its way past it).
 */
export function firstParentLineTo<C extends GraphCommit>(
  commits: ReadonlyMap<string, C>,
  tip: string,
  oldTip: string,
): C[] | null {
  const line: C[] = [];
  let current = commits.get(tip);
  while (current) {
    line.push(current);
    const parent = current.parents[0];
    if (parent === oldTip) return line.reverse();
    current = parent === undefined ? undefined : commits.get(parent);
    if (line.length > commits.size) return null;
  }
  return null;
}
