import { join, resolve } from 'node:path';
import { dirname as posixDirname } from 'node:path/posix';
import { countAheadBehind, reachableFrom } from '../../domain/history/commit-graph.js';
import type { CompiledPlan, CompiledWorker } from '../../domain/plan/plan.js';
import {
  computePlanStatusFromSummaries,
  markIntegrated,
  type PlanStatus,
  type StatusViolation,
  type WorktreeInfo,
} from '../../domain/status/plan-status.js';
import {
  findMovedBranches,
  firstParentLineTo,
  type HistoryBasis,
} from '../../domain/status/increment.js';
import {
  extendWorkerSummary,
  summarizeWorkerHistory,
  type WorkerHistorySummary,
} from '../../domain/status/summarize-worker-history.js';
import {
  fetchForRead,
  resolveHubRead,
  type FetchRequest,
  type HubRead,
  type WorkerFetch,
} from '../../git/fetch-workers.js';
import { chooseWorkerTips, workerTipPatterns, workerTipRefs } from '../../git/worker-tips.js';
import { listRefs, readCommonDir, type RepoInfo } from '../../git/repo.js';
import type { WatchTarget } from '../../git/ref-watcher.js';
import { exists } from '../../store/fs.js';
import {
  attributeHistories,
  countCommits,
  historiesAreDisjoint,
  readCommitGraph,
  readNewCommits,
  type HistoryCommit,
} from '../../git/worker-history.js';
import { readWorktreesEdits } from '../../git/worktree-status.js';
import { PW_VERSION } from '../../cli/package-files.js';
import {
  readLatestStatusCache,
  statusCacheKey,
  writeStatusCache,
  type StatusCacheEntry,
} from '../../store/status-cache.js';
import { readEvents } from '../../store/trusted-store.js';
import { readHooksOff } from './read-hooks-off.js';
import { prefetchViolations, readJudgedTips, readViolations } from './violations.js';

export interface ReadPlanStatusOptions {
  /** The repository, when the caller has read it already (saves git calls). */
  repo?: Pick<RepoInfo, 'commonDir'>;
  /**
   * `--fetch [remote]` (a remote, URL or path, or true), `--no-fetch` (false),
   * or neither (fetch when pw.hub is set). The hub's copies are read either way.
   */
  fetch?: FetchRequest;
  /** The hub read `fetch` means, when the caller resolved it already (resolveHubRead). */
  hubRead?: HubRead;
  /** Also return every worker's own commits (the event stream needs them). */
  withHistories?: boolean;
  /** Use and refresh the status cache (default true). */
  cache?: boolean;
  /** The environment git runs with (where its config files are); default the process's. */
  env?: NodeJS.ProcessEnv;
  /** The previous snapshot of a live view: its history part is reused while no ref moved. */
  previous?: PlanSnapshot | null;
  /**
   * Judge the commits' scope (default true). False reads states only, for
   * pw run's engine, which decides on states and never on a violation (no
   * worker's state depends on one): the history in one `git log`, no
   * violations (the list is empty), and no status cache written, so a later
   * `pw status` judges what this read skipped.
   */
  judge?: boolean;
  /**
   * The workers whose worktrees are looked at (uncommitted changes, hooks);
   * default every worker. pw run asks only for the agents it runs: their
   * idle time counts file changes, and nothing else it decides on needs a
   * worktree read.
   */
  worktreesOf?: ReadonlySet<string>;
}

export interface PlanSnapshot {
  status: PlanStatus;
  /** Each worker's own commits, oldest first, when asked for. */
  histories: Map<string, HistoryCommit[]> | null;
  /** Changes whenever a ref the status reads changes. */
  refsKey: string;
  /** The hub whose copies of the worker branches were read (pw.hub or --fetch). */
  hub: WorkerFetch | null;
  hubRead: HubRead;
  /** Things to tell the user once (the hub recorded as pw.hub), for stderr. */
  notes: string[];
  commonDir: string;
  history: HistoryPart;
}

/**
 * The read phase of `pw status`, for every command that needs worker states
 * (integrate checks that all are complete): refs in one `for-each-ref`; the
 * history of all workers in one `git log` (skipped when no ref moved since
 * the last run, see store/status-cache.ts) and its violations (each commit
 * checked once, see status-violations.ts); `git status` of every worktree on
 * this machine through a few `git for-each-repo`; their hooks (inspected again
 * only when a file that decides it changed, see read-hooks-off.ts).
 */
export async function readPlanStatus(
  cwd: string,
  plan: CompiledPlan,
  now: Date | number,
  options: ReadPlanStatusOptions = {},
): Promise<PlanStatus> {
  return (await readPlanSnapshot(cwd, plan, now, options)).status;
}

export interface HistoryPart {
  summaries: WorkerHistorySummary[];
  tips: Map<string, { ref: string; sha: string }>;
  aheadBehind: Map<string, { ahead: number; behind: number }>;
  violations: StatusViolation[];
  warnings: string[];
  histories: Map<string, HistoryCommit[]> | null;
  /** False when part of it could not be read (a failed scope check): not worth keeping. */
  cacheable: boolean;
  /** No commit lay on two workers' chains (see readHistoryIncrement). */
  disjoint: boolean;
  /** Its commits' scope was judged (false for a states-only read: violations is empty then). */
  judged: boolean;
}

export async function readPlanSnapshot(
  cwd: string,
  plan: CompiledPlan,
  now: Date | number,
  options: ReadPlanStatusOptions = {},
): Promise<PlanSnapshot> {
  const commonDir = options.repo?.commonDir ?? (await readCommonDir(cwd));
  const hubRead =
    options.hubRead ?? options.previous?.hubRead ?? (await resolveHubRead(cwd, options.fetch));
  const fetched = await fetchForRead(cwd, plan, hubRead);
  // Recorded once; a live view's later reads do not record it again.
  hubRead.record = null;
  const hub = hubRead.hub;
  // The worktrees are read (file system walks, on this thread) while git lists
  // the refs: what they show does not depend on the refs.
  const worktreesRead = readWorktreeInfos(
    commonDir,
    plan,
    options.env ?? process.env,
    options.worktreesOf,
  );
  worktreesRead.catch(() => undefined);
  const refs = await listRefs(cwd, refPatterns(plan, hub));
  const baseTip = refs.get(`refs/heads/${plan.base}`) ?? null;
  const candidates = new Map(plan.workers.map((w) => [w.id, workerTipRefs(plan, w, hub)]));
  const basis: HistoryBasis = {
    pw: PW_VERSION,
    plan: plan.name,
    baseCommit: plan.baseCommit,
    workers: plan.workers.map((w) => [w.id, w.branch, w.pathspecs, w.dependsOn]),
    base: [plan.base, baseTip],
    target: [plan.target, refs.get(`refs/heads/${plan.target}`) ?? null],
    refs: [...candidates.values()].map((list) => list.map((ref) => [ref, refs.get(ref) ?? null])),
  };
  const refsKey = statusCacheKey(basis);

  const judge = options.judge !== false;
  const useCache = options.cache !== false;
  const [history, worktrees, setupAt] = await Promise.all([
    (async (): Promise<HistoryPart> => {
      const previous = options.previous;
      if (
        previous &&
        previous.refsKey === refsKey &&
        (!options.withHistories || previous.history.histories) &&
        (previous.history.judged || !judge)
      )
        return previous.history;
      const last =
        useCache && !options.withHistories
          ? await readLatestStatusCache(commonDir, plan.name)
          : null;
      if (last?.key === refsKey) {
        return {
          summaries: last.summaries,
          tips: new Map(last.tips),
          aheadBehind: new Map(last.aheadBehind),
          violations: last.violations,
          warnings: last.warnings,
          histories: null,
          cacheable: true,
          disjoint: last.disjoint ?? false,
          judged: true,
        };
      }
      const part =
        (last && judge
          ? await readHistoryIncrement(cwd, commonDir, plan, refs, basis, last)
          : null) ??
        (await readHistoryPart(cwd, commonDir, plan, refs, candidates, baseTip, hub, judge));
      if (useCache && part.cacheable) {
        await writeStatusCache(commonDir, plan.name, {
          key: refsKey,
          summaries: part.summaries,
          tips: [...part.tips],
          aheadBehind: [...part.aheadBehind],
          violations: part.violations,
          warnings: part.warnings,
          basis,
          disjoint: part.disjoint,
        });
      }
      return part;
    })(),
    worktreesRead,
    readSetupTimes(commonDir, plan.name),
  ]);

  const derived = computePlanStatusFromSummaries({
    plan,
    now,
    summaries: new Map(history.summaries.map((s) => [s.worker, s])),
    tips: history.tips,
    worktrees,
    violations: history.violations,
    aheadBehind: history.aheadBehind,
    setupAt,
    warnings: [...fetched.warnings, ...history.warnings],
  });
  const status = (await targetHoldsEveryTip(cwd, derived, refs.get(`refs/heads/${plan.target}`)))
    ? markIntegrated(derived)
    : derived;
  return {
    status,
    histories: history.histories,
    refsKey,
    hub,
    hubRead,
    notes: fetched.notes,
    commonDir,
    history,
  };
}

/** Whether a ready plan is already in its target: one `rev-list --count`, asked only when ready. */
async function targetHoldsEveryTip(
  cwd: string,
  status: PlanStatus,
  targetTip: string | undefined,
): Promise<boolean> {
  if (!status.readyToIntegrate || !targetTip) return false;
  const tips = status.workers.flatMap((w) => (w.tip ? [w.tip.sha] : []));
  if (tips.length !== status.workers.length) return false;
  return (await countCommits(cwd, tips, [targetTip])) === 0;
}

function refPatterns(plan: CompiledPlan, hub: WorkerFetch | null): string[] {
  return [`refs/heads/${plan.base}`, `refs/heads/${plan.target}`, ...workerTipPatterns(plan, hub)];
}

/** Everything that depends on commits only: one `git log`, then pure code. */
async function readHistoryPart(
  cwd: string,
  commonDir: string,
  plan: CompiledPlan,
  refs: ReadonlyMap<string, string>,
  candidates: ReadonlyMap<string, string[]>,
  baseTip: string | null,
  hub: WorkerFetch | null,
  judge = true,
): Promise<HistoryPart> {
  const shas = [...candidates.values()].flat().flatMap((ref) => refs.get(ref) ?? []);
  const targetTip = refs.get(`refs/heads/${plan.target}`) ?? null;
  // Where every worker is read from its branch, the tips are known before the history.
  const present = [...candidates.values()].map((list) => list.filter((ref) => refs.has(ref)));
  const branchesOnly = present.every((list, i) =>
    list.every((ref) => ref === `refs/heads/${plan.workers[i]!.branch}`),
  );
  const prefetch = judge
    ? await prefetchViolations({
        cwd,
        commonDir,
        plan,
        baseTip,
        targetTip,
        branches: branchesOnly ? present.filter((list) => list.length).length : null,
      })
    : null;
  const graph = await readCommitGraph(
    cwd,
    [...shas, ...(baseTip ? [baseTip] : [])],
    [plan.baseCommit],
  );
  const { tips, warnings } = chooseWorkerTips(plan, refs, graph, hub);
  const tipShas = new Map([...tips].map(([id, tip]) => [id, tip.sha]));
  const histories = attributeHistories(plan, graph, tipShas, baseTip);
  const workers = plan.workers.map((w) => w.id);
  const summaries = plan.workers.map((w) =>
    summarizeWorkerHistory(histories.get(w.id) ?? [], { worker: w.id, workers }),
  );
  const baseReach = reachableFrom(graph, [baseTip]);
  const aheadBehind = new Map(
    [...tips].map(([id, tip]) => [id, countAheadBehind(graph, tip.sha, baseReach)]),
  );
  const checked = prefetch
    ? await readViolations({ cwd, commonDir, plan, graph, tips, baseTip, targetTip }, prefetch)
    : null;
  warnings.push(...(checked?.warnings ?? []));
  return {
    summaries,
    tips,
    aheadBehind,
    violations: checked?.violations ?? [],
    warnings,
    histories,
    // Only a judged read goes into the cache every command trusts.
    cacheable: checked !== null && checked.warnings.length === 0,
    disjoint: historiesAreDisjoint(plan, graph, tipShas, baseTip),
    judged: checked !== null,
  };
}

/**
 * The history part built on the last one cached, when only worker branches
 * moved forward since (findMovedBranches) and no commit lay on two workers'
 * chains: per moved branch, its new commits (ONE `git log old..new`) must be
 * on its own line alone (one `rev-list --count` against every other tip and
 * the base), and then its summary is the old one extended by them, its lead
 * over the base grows by their number, and every other worker's part stays
 * as it was, as a full read would find it. Null whenever any of that does
 * not hold (or a read fails): the caller reads the whole history.
 */
async function readHistoryIncrement(
  cwd: string,
  commonDir: string,
  plan: CompiledPlan,
  refs: ReadonlyMap<string, string>,
  basis: HistoryBasis,
  last: StatusCacheEntry,
): Promise<HistoryPart | null> {
  if (!last.basis || !last.disjoint) return null;
  const moved = findMovedBranches(last.basis, basis);
  if (!moved?.length) return null;
  const baseTip = basis.base[1];
  // Every worker's judgement must be cached for its last tip: then only the new commits are checked.
  const judged = await readJudgedTips(commonDir, plan, baseTip, basis.target[1]);
  for (const [id, tip] of last.tips) if (judged.get(id) !== tip.sha) return null;
  const summaries = new Map(last.summaries.map((s) => [s.worker, s]));
  const tips = new Map(last.tips);
  const aheadBehind = new Map(last.aheadBehind);
  const graph = new Map<string, HistoryCommit>();
  const workers = plan.workers.map((w) => w.id);
  try {
    for (const move of moved) {
      const others = basis.refs
        .filter((_, i) => workers[i] !== move.worker)
        .flatMap((group) => group.flatMap(([, sha]) => (sha ? [sha] : [])));
      const [fresh, alone] = await Promise.all([
        readNewCommits(cwd, move.to, [move.from, plan.baseCommit]),
        countCommits(
          cwd,
          [move.to],
          [move.from, plan.baseCommit, ...(baseTip ? [baseTip] : []), ...others],
        ),
      ]);
      if (alone !== fresh.commits.length) return null;
      const line = firstParentLineTo(
        new Map(fresh.commits.map((c) => [c.sha, c])),
        move.to,
        move.from,
      );
      const summary = summaries.get(move.worker);
      const lead = aheadBehind.get(move.worker);
      if (!line || !summary || !lead || tips.get(move.worker)?.sha !== move.from) return null;
      summaries.set(
        move.worker,
        extendWorkerSummary(summary, line, { worker: move.worker, workers }),
      );
      aheadBehind.set(move.worker, {
        ahead: lead.ahead + fresh.commits.length,
        behind: lead.behind,
      });
      tips.set(move.worker, { ref: move.ref, sha: move.to });
      for (const commit of [...fresh.commits, ...fresh.boundary]) graph.set(commit.sha, commit);
    }
  } catch {
    return null;
  }
  // The moved tips' old values are in the graph (the boundary): their new commits are checked alone.
  const checked = await readViolations({
    cwd,
    commonDir,
    plan,
    graph,
    tips,
    baseTip,
    targetTip: basis.target[1],
  });
  return {
    summaries: plan.workers.map((w) => summaries.get(w.id)!),
    tips,
    aheadBehind,
    violations: checked.violations,
    warnings: [...last.warnings, ...checked.warnings],
    histories: null,
    cacheable: checked.warnings.length === 0,
    disjoint: true,
    judged: true,
  };
}

/**
 * Uncommitted changes and their newest edit, for every worker worktree present
 * on this machine, and whether its hooks are switched off (as `pw hooks
 * status` judges it: core.hooksPath pointing elsewhere, scripts missing, or
 * hooks removed; null when there is no worktree here).
 */
async function readWorktreeInfos(
  commonDir: string,
  plan: CompiledPlan,
  env: NodeJS.ProcessEnv,
  only?: ReadonlySet<string>,
): Promise<Map<string, WorktreeInfo>> {
  const present = await presentWorktrees(plan, only);
  const [edits, hooksOff] = await Promise.all([
    readWorktreesEdits(
      plan.repoRoot,
      present.map((w) => w.worktree),
      { commonDir, plan: plan.name, env, keepOthers: only !== undefined },
    ),
    readHooksOff(commonDir, plan, present, env, only !== undefined).catch(
      () => new Map<string, boolean | null>(),
    ),
  ]);
  const out = new Map<string, WorktreeInfo>();
  present.forEach((w, i) => {
    const edit = edits[i];
    if (!edit) return;
    out.set(w.id, {
      uncommitted: edit.count,
      newestEditAt: edit.newestEditAt,
      hooksOff: hooksOff.get(w.id) ?? null,
    });
  });
  return out;
}

/** The workers (of `only`, when given) whose worktree is on this machine. */
async function presentWorktrees(
  plan: CompiledPlan,
  only?: ReadonlySet<string>,
): Promise<CompiledWorker[]> {
  const present = await Promise.all(
    plan.workers
      .filter((w) => !only || only.has(w.id))
      .map(async (w) => ((await exists(resolve(w.worktree, '.git'))) ? w : null)),
  );
  return present.filter((w) => w !== null);
}

/**
 * How many uncommitted changes the worktrees of the workers `ids` hold (a
 * worker with no worktree here is not in the map): the worktree read of
 * `pw status` alone, without history or hooks, for pw run's look at what a
 * COMPLETE agent left behind.
 */
export async function readUncommittedCounts(
  commonDir: string,
  plan: CompiledPlan,
  ids: ReadonlySet<string>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Map<string, number>> {
  const present = await presentWorktrees(plan, ids);
  const edits = await readWorktreesEdits(
    plan.repoRoot,
    present.map((w) => w.worktree),
    { commonDir, plan: plan.name, env, keepOthers: true },
  );
  const out = new Map<string, number>();
  present.forEach((w, i) => {
    const edit = edits[i];
    if (edit) out.set(w.id, edit.count);
  });
  return out;
}

/** When setup created each worker's worktree (the events log), ms. */
async function readSetupTimes(commonDir: string, plan: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const event of await readEvents(commonDir, plan).catch(() => [])) {
    if (event.type !== 'setup') continue;
    const time = Date.parse(event.time);
    if (Number.isNaN(time)) continue;
    const created = Array.isArray(event.created) ? (event.created as string[]) : [];
    const workers = Array.isArray(event.workers) ? (event.workers as string[]) : [];
    for (const id of created) out.set(id, time);
    for (const id of workers) if (!out.has(id)) out.set(id, time);
  }
  return out;
}

/** What a live view watches to wake when a worker's ref moves (see git/ref-watcher.ts). */
export function statusWatchTargets(
  commonDir: string,
  plan: CompiledPlan,
  hub: WorkerFetch | null,
): WatchTarget[] {
  const folders = new Set<string>();
  for (const ref of refPatterns(plan, hub)) {
    const folder = ref.endsWith('/') ? ref.slice(0, -1) : posixDirname(ref);
    folders.add(join(commonDir, folder));
    folders.add(join(commonDir, 'logs', folder));
  }
  return [
    ...[...folders].map((folder) => ({ folder })),
    { folder: commonDir, only: 'packed-refs' },
  ];
}
