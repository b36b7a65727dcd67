/**
 * Walks over a slice of the commit graph held in memory: the commits since a
 * plan's base commit, as one `git log` listed them. Commits outside the slice
 * (the base commit and its ancestors) are the boundary of every walk.
 */

/** The part of a commit a walk needs. */
export interface GraphCommit {
  sha: string;
  parents: readonly string[];
}

/** The first-parent chain from `tip`, newest first, until it leaves the graph. */
export function firstParentChain<C extends GraphCommit>(
  graph: ReadonlyMap<string, C>,
  tip: string | null,
): C[] {
  const chain: C[] = [];
  const seen = new Set<string>();
  let current = tip === null ? undefined : graph.get(tip);
  while (current && !seen.has(current.sha)) {
    seen.add(current.sha);
    chain.push(current);
    const parent = current.parents[0];
    current = parent === undefined ? undefined : graph.get(parent);
  }
  return chain;
}

/** Every commit of the graph reachable from `tips` (all parents). */
export function reachableFrom(
  graph: ReadonlyMap<string, GraphCommit>,
  tips: readonly (string | null)[],
): Set<string> {
  const seen = new Set<string>();
  const stack = tips.filter((tip): tip is string => tip !== null && graph.has(tip));
  while (stack.length) {
    const sha = stack.pop()!;
    if (seen.has(sha)) continue;
    seen.add(sha);
    for (const parent of graph.get(sha)?.parents ?? []) {
      if (!seen.has(parent) && graph.has(parent)) stack.push(parent);
    }
  }
  return seen;
}

/**
 * `git rev-list --left-right --count base...tip`, from the graph: commits the
 * tip has that the base lacks (ahead) and the other way round (behind).
 * Commits outside the graph are ancestors of both, so they count for neither.
 */
export function countAheadBehind(
  graph: ReadonlyMap<string, GraphCommit>,
  tip: string | null,
  baseReach: ReadonlySet<string>,
): { ahead: number; behind: number } {
  const tipReach = reachableFrom(graph, [tip]);
  let shared = 0;
  const [small, large] =
    tipReach.size <= baseReach.size ? [tipReach, baseReach] : [baseReach, tipReach];
  for (const sha of small) if (large.has(sha)) shared++;
  return { ahead: tipReach.size - shared, behind: baseReach.size - shared };
}

/**
 * Whether `ancestor` is reachable from `descendant`. A commit outside the
 * graph is an ancestor of the plan's base commit, so of every commit in it.
 */
export function isAncestorInGraph(
  graph: ReadonlyMap<string, GraphCommit>,
  ancestor: string,
  descendant: string,
): boolean {
  if (ancestor === descendant) return true;
  if (!graph.has(ancestor)) return true;
  return reachableFrom(graph, [descendant]).has(ancestor);
}
