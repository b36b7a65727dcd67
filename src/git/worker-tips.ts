import { archivePrefix, archiveRef } from './archive.js';
import type { CompiledPlan } from '../domain/plan/plan.js';
import { chooseWorkerTip, type TipCandidate } from '../domain/status/choose-worker-tip.js';
import type { WorkerFetch } from './fetch-workers.js';
import { listRefs } from './repo.js';
import { readCommitGraph, type HistoryCommit } from './worker-history.js';

export interface WorkerTip {
  ref: string;
  sha: string;
}

/**
 * The refs a worker's history may be read from, in order of preference: its
 * branch, its archive ref (once teardown or integrate removed the branch),
 * the hub's copy (`refs/remotes/<hub>/<branch>`). The one list every reader
 * (status, wait, check, integrate, retro) chooses from.
 */
export function workerTipRefs(
  plan: CompiledPlan,
  worker: { id: string; branch: string },
  hub: WorkerFetch | null,
): string[] {
  return [
    `refs/heads/${worker.branch}`,
    archiveRef(plan.name, worker.id),
    ...(hub ? [`refs/remotes/${hub.namespace}/${worker.branch}`] : []),
  ];
}

/** The patterns that list every ref workerTipRefs names, for one `for-each-ref`. */
export function workerTipPatterns(plan: CompiledPlan, hub: WorkerFetch | null): string[] {
  return [
    ...plan.workers.map((w) => `refs/heads/${w.branch}`),
    archivePrefix(plan.name),
    ...(hub ? plan.workers.map((w) => `refs/remotes/${hub.namespace}/${w.branch}`) : []),
  ];
}

/**
 * Each worker's tip from the refs present (`refs`) and the commits between
 * them (`graph`): the branch, else the archive, against the hub's copy; the
 * one that contains the other wins, and when they diverged the newer wins
 * with a warning (chooseWorkerTip). Pure.
 */
export function chooseWorkerTips(
  plan: CompiledPlan,
  refs: ReadonlyMap<string, string>,
  graph: ReadonlyMap<string, HistoryCommit>,
  hub: WorkerFetch | null,
): { tips: Map<string, WorkerTip>; warnings: string[] } {
  const tips = new Map<string, WorkerTip>();
  const warnings: string[] = [];
  for (const worker of plan.workers) {
    const [branch, archive, ...remote] = workerTipRefs(plan, worker, hub);
    const local = refs.has(branch!) ? branch! : refs.has(archive!) ? archive! : null;
    const options: TipCandidate[] = [local, ...remote]
      .filter((ref): ref is string => ref !== null && refs.has(ref))
      .map((ref) => {
        const sha = refs.get(ref)!;
        return { ref, sha, commitTime: graph.get(sha)?.commitTime ?? 0 };
      });
    const { tip, diverged } = chooseWorkerTip(graph, options);
    if (tip) tips.set(worker.id, { ref: tip.ref, sha: tip.sha });
    for (const other of diverged) {
      warnings.push(
        `${worker.id}: ${shortRef(tip!.ref)} and ${shortRef(other.ref)} have diverged; showing ${shortRef(tip!.ref)}, the newer`,
      );
    }
  }
  return { tips, warnings };
}

export function shortRef(ref: string): string {
  return ref.replace(/^refs\/(heads|remotes)\//, '');
}

/**
 * Where each worker's history is read from (chooseWorkerTips), with the hub's
 * copies when a hub is read. One `for-each-ref`, and one `git log` only when
 * a worker's branch and its hub copy differ.
 */
export async function readWorkerTipChoice(
  cwd: string,
  plan: CompiledPlan,
  hub: WorkerFetch | null = null,
): Promise<{ tips: Map<string, WorkerTip>; warnings: string[] }> {
  const refs = await listRefs(cwd, workerTipPatterns(plan, hub));
  const differing = plan.workers.flatMap((w) => {
    const [branch, archive, ...remote] = workerTipRefs(plan, w, hub);
    const local = refs.get(branch!) ?? refs.get(archive!);
    const shas = new Set(
      [local, ...remote.map((ref) => refs.get(ref))].filter((s) => s !== undefined),
    );
    return shas.size > 1 ? [...shas] : [];
  });
  const graph = differing.length
    ? await readCommitGraph(cwd, differing, [plan.baseCommit])
    : new Map<string, HistoryCommit>();
  return chooseWorkerTips(plan, refs, graph, hub);
}

/** readWorkerTipChoice without the warnings. */
export async function readWorkerTips(
  cwd: string,
  plan: CompiledPlan,
  hub: WorkerFetch | null = null,
): Promise<Map<string, WorkerTip>> {
  return (await readWorkerTipChoice(cwd, plan, hub)).tips;
}
