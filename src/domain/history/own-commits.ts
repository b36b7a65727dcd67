/**
 * Which commits are a worker's own. Two notions, both right, each for its
 * own question; every caller takes its answer from here.
 *
 * - First-parent (`attributeWorkerCommits`, in attribute-commits.ts): the
 *   worker's line of work, oldest first, without base commits it rebased onto
 *   and without a provider's commits it fast-forwarded to. It answers "what
 *   did this worker do, and when": the protocol state, NEEDS and Provides,
 *   activity and the timeline. Used by status, wait, integrate and retro.
 * - Reachability (`attributeCommits`, below): every commit reachable from the
 *   worker's tips and not from the base, narrowed to the first-parent line
 *   only when several workers reach it. It answers "whose change is this, so
 *   whose scope judges it": a commit hidden on the second-parent side of a
 *   worker's own merge is still judged. Used by check, the hooks' slow path
 *   and integrate's gate (domain/scope/violations.ts).
 */
import { firstParentChain, reachableFrom, type GraphCommit } from './commit-graph.js';

export { attributeWorkerCommits, workerChains, chainsAreDisjoint } from './attribute-commits.js';
export type { AttributionInput } from './attribute-commits.js';

/**
 * Who owns each commit of the graph by reachability: worker ids in plan
 * order, one for almost every commit, several for a shared one (on several
 * first-parent lines). Commits no worker tip reaches are left out.
 */
export function attributeCommits(
  graph: ReadonlyMap<string, GraphCommit>,
  /** Each worker's tips in plan order (a branch, plus e.g. the new value of a ref update). */
  tips: ReadonlyMap<string, readonly string[]>,
): Map<string, string[]> {
  // Each worker's reach once, into per-commit lists: linear in the commits, not commits x workers.
  const candidates = new Map<string, string[]>();
  for (const [worker, list] of tips) {
    for (const sha of reachableFrom(graph, list)) {
      const found = candidates.get(sha);
      if (found) found.push(worker);
      else candidates.set(sha, [worker]);
    }
  }
  const chains = new Map<string, Set<string>>();
  const chainOf = (worker: string): Set<string> => {
    let chain = chains.get(worker);
    if (!chain) {
      chain = new Set(
        tips.get(worker)!.flatMap((tip) => firstParentChain(graph, tip).map((c) => c.sha)),
      );
      chains.set(worker, chain);
    }
    return chain;
  };
  const owners = new Map<string, string[]>();
  for (const sha of graph.keys()) {
    let list = candidates.get(sha);
    if (!list) continue;
    if (list.length > 1) {
      const onLine = list.filter((w) => chainOf(w).has(sha));
      if (onLine.length) list = onLine;
    }
    owners.set(sha, list);
  }
  return owners;
}
