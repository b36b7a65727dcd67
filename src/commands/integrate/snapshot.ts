import { archivePrefix } from '../../git/archive.js';
import type { IntegrationProgram } from '../../domain/integrate/plan-integration.js';
import type { CompiledPlan } from '../../domain/plan/plan.js';
import type { IntegrateReport } from '../../render/integrate/report.js';
import {
  parseIntegrationTrailers,
  type IntegrateSnapshot,
  type IntegrateWorkerSnapshot,
} from '../../domain/integrate/plan-integration.js';
import { treeOf } from '../../git/commit-tree.js';
import { filterExistingCommits } from '../../git/existing-commits.js';
import { listMergedRefs } from '../../git/merged-refs.js';
import { readCommitMessages } from '../../git/read-commit-messages.js';
import { listRefs } from '../../git/repo.js';
import type { WorkerFetch } from '../../git/fetch-workers.js';
import {
  attributeHistories,
  readCommitGraph,
  type HistoryCommit,
} from '../../git/worker-history.js';
import { chooseWorkerTips, workerTipRefs } from '../../git/worker-tips.js';
import { readWorkerGateStates } from './gates.js';

export interface TargetSnapshot {
  name: string;
  /** The target's commit now; null when the branch does not exist yet (it is created from the base). */
  commit: string | null;
  /** What the first step merges onto: the target, else the base branch, else the plan's base commit. */
  start: string;
}

export interface IntegrateReadout {
  target: TargetSnapshot;
  snapshot: IntegrateSnapshot;
  histories: Map<string, HistoryCommit[]>;
  /** Worker tips recorded by earlier pw squash commits on the target: ancestry merge-tree cannot see. */
  squashedTips: string[];
  /** Per worker, the tips pw commits on the target record (newest first). */
  recordedTips: Map<string, string[]>;
  /** The plan's archive refs (refs/pw/archive/<plan>/...) and their commits. */
  archives: Map<string, string>;
  /** The tree of `target.start`. */
  startTree: string;
  /** A worker whose branch and hub copy have diverged (the newer is merged). */
  warnings: string[];
}

/** The target as the branch refs show it (`heads`: every refs/heads/ ref). */
export function readTarget(plan: CompiledPlan, heads: ReadonlyMap<string, string>): TargetSnapshot {
  const commit = heads.get(`refs/heads/${plan.target}`) ?? null;
  const start = commit ?? heads.get(`refs/heads/${plan.base}`) ?? plan.baseCommit;
  return { name: plan.target, commit, start };
}

/**
 * One read of everything integrate decides from: target, worker tips, which
 * tips the target already holds, each worker's own history and state.
 */
export async function readIntegrateSnapshot(
  cwd: string,
  plan: CompiledPlan,
  now: Date,
  hub: WorkerFetch | null = null,
): Promise<IntegrateReadout> {
  const archiveRefs = archivePrefix(plan.name);
  const hubRefs = hub ? plan.workers.map((w) => `refs/remotes/${hub.namespace}/${w.branch}`) : [];
  const refs = await listRefs(cwd, ['refs/heads/', archiveRefs, ...hubRefs]);
  const heads = new Map([...refs].filter(([ref]) => ref.startsWith('refs/heads/')));
  const archives = new Map([...refs].filter(([ref]) => ref.startsWith(archiveRefs)));
  // A worker's branch here, or the hub's copy when it is ahead (integrate merges no archive).
  const candidates = new Map([...refs].filter(([ref]) => !ref.startsWith(archiveRefs)));
  const target = readTarget(plan, heads);
  const baseTip = heads.get(`refs/heads/${plan.base}`) ?? null;
  const candidateShas = plan.workers.flatMap((w) =>
    workerTipRefs(plan, w, hub).flatMap((ref) => candidates.get(ref) ?? []),
  );
  // readWorkerHistories, with the base branch's tip this read has already.
  const graph = await readCommitGraph(
    cwd,
    [...candidateShas, ...(baseTip ? [baseTip] : [])],
    [plan.baseCommit],
  );
  const { tips, warnings } = chooseWorkerTips(plan, candidates, graph, hub);
  const histories = attributeHistories(
    plan,
    graph,
    new Map([...tips].map(([id, tip]) => [id, tip.sha])),
    baseTip,
  );
  // While the target is still at the plan's base commit it holds no worker's work: two reads fewer.
  const moved = target.start !== plan.baseCommit;
  const [merged, targetCommits, startTree] = await Promise.all([
    moved
      ? listMergedRefs(
          cwd,
          target.start,
          [...tips.values()].map((t) => t.ref),
        )
      : new Set<string>(),
    moved ? readCommitMessages(cwd, target.start, plan.baseCommit) : [],
    treeOf(cwd, target.start),
  ]);
  const recordedTips = new Map<string, string[]>();
  const squashed: string[] = [];
  for (const commit of targetCommits) {
    const trailers = parseIntegrationTrailers(commit.message);
    if (!trailers || trailers.plan !== plan.name) continue;
    recordedTips.set(trailers.worker, [...(recordedTips.get(trailers.worker) ?? []), trailers.tip]);
    if (trailers.strategy === 'squash') squashed.push(trailers.tip);
  }
  const squashedTips = await filterExistingCommits(cwd, [...new Set(squashed)]);
  const states = readWorkerGateStates(plan, now, histories);

  const workers = plan.workers.map((worker): IntegrateWorkerSnapshot => {
    const tip = tips.get(worker.id) ?? null;
    const gate = states.get(worker.id) ?? { state: 'pending' as const, openNeeds: [] };
    return {
      id: worker.id,
      branch: worker.branch,
      dependsOn: worker.dependsOn,
      task: worker.task,
      tip: tip?.sha ?? null,
      state: gate.state,
      openNeeds: gate.openNeeds,
      history: (histories.get(worker.id) ?? []).map((c) => ({ sha: c.sha, message: c.message })),
      inTarget:
        tip !== null &&
        (merged.has(tip.ref) || (recordedTips.get(worker.id) ?? []).includes(tip.sha)),
    };
  });
  return {
    target,
    snapshot: { plan: plan.name, target: plan.target, workers },
    histories,
    squashedTips,
    recordedTips,
    archives,
    startTree,
    warnings,
  };
}

/** Writes the decided program (order, edges, skipped workers, warnings) and where it starts into the report. */
export function recordProgram(
  report: IntegrateReport,
  target: TargetSnapshot,
  program: IntegrationProgram,
): void {
  Object.assign(report, {
    from: target.commit,
    start: target.start,
    order: program.steps.map((s) => s.worker),
    edges: program.edges,
    skipped: program.skipped,
    warnings: [...report.warnings, ...program.warnings],
  });
}
