import { isAncestorInGraph, type GraphCommit } from '../history/commit-graph.js';

export interface TipCandidate {
  ref: string;
  sha: string;
  /** ms; to break a tie between diverged candidates */
  commitTime: number;
}

/**
 * Which ref holds a worker's latest work when there are several: its branch,
 * a hub's copy of it (`--fetch`), its archive ref. Candidates come in order of
 * preference; one that contains another wins over it. When two have diverged,
 * the one with the newer commit wins and the choice is reported. Pure.
 */
export function chooseWorkerTip(
  graph: ReadonlyMap<string, GraphCommit>,
  candidates: readonly TipCandidate[],
): { tip: TipCandidate | null; diverged: TipCandidate[] } {
  let best: TipCandidate | null = null;
  const diverged: TipCandidate[] = [];
  for (const candidate of candidates) {
    if (!best) {
      best = candidate;
      continue;
    }
    if (isAncestorInGraph(graph, candidate.sha, best.sha)) continue;
    if (isAncestorInGraph(graph, best.sha, candidate.sha)) {
      best = candidate;
      continue;
    }
    diverged.push(candidate);
    if (candidate.commitTime > best.commitTime) {
      diverged[diverged.length - 1] = best;
      best = candidate;
    }
  }
  return { tip: best, diverged };
}
