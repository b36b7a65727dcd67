import { lstat, readdir, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CommandDeps, CommandResult } from '../cli/deps.js';
import type { CompiledPlan } from '../domain/plan/plan.js';
import { FailedError, UsageError } from '../errors.js';
import {
  archivePrefix,
  archiveRef,
  archiveTip,
  archiveUncommitted,
  wipRef,
} from '../git/archive.js';
import { uninstallPlanHooks } from '../git/hooks/index.js';
import { deleteRef, isAncestor, readTreesSince } from '../git/refs.js';
import { treeOf } from '../git/commit-tree.js';
import {
  listCommitsNotIn,
  listRefs,
  listRefsNotMergedInto,
  listWorktrees,
  readRepoInfo,
  readWorktreeChanges,
  removeStaleScratchIndexes,
  resolveCommit,
  type RepoInfo,
} from '../git/repo.js';
import { pruneWorktrees, removeWorktree } from '../git/worktree.js';
import {
  appendEvent,
  planPaths,
  removeEmptyPwRoot,
  removePath,
  writeFileAtomic,
  readActivePlans,
} from '../store/trusted-store.js';
import { GIT_LANES, mapLimit } from '../limit.js';
import { withRepoLock } from '../store/repo-lock.js';
import { acquireRunLock, setRunRecordAside } from '../store/run/run-record.js';
import { readProcessIdentity } from '../store/process-identity.js';
import { loadActivePlan } from './active-plan.js';
import { restoreRepoSnapshot } from './setup/repo-setup-state.js';
import { deleteTrustRefs } from '../git/trust-refs.js';
import { deleteBranchesAt } from '../git/ref-transaction.js';
import {
  cleanUpHub,
  describeHubCleanup,
  forgetHub,
  readHubSide,
  readJoinedHubTip,
  readJoinedStates,
} from './teardown-hub.js';

export interface TeardownOptions {
  plan?: string;
  force?: boolean;
  purge?: boolean;
  dryRun?: boolean;
  json?: boolean;
  /** Only the workers whose pull request is merged (teardown-merged.ts). */
  merged?: boolean;
  /** Also remove the plan from the hub (true: the recorded one). */
  hub?: string | true;
  /** Go ahead though a pw run, agent or pw attach of the plan seems to run here. */
  ignoreRunning?: boolean;
}

export interface WorkerState {
  id: string;
  branch: string;
  worktree: string;
  tip: string | null;
  worktreeRegistered: boolean;
  uncommitted: string[];
  unmerged: string[];
}

export interface TeardownReport {
  plan: string;
  target: string;
  dryRun: boolean;
  workers: {
    id: string;
    branch: string;
    worktree: string;
    archived: string | null;
    uncommittedArchived: string | null;
    removed: boolean;
    /** Whether there was a worktree to remove (a setup killed early leaves some workers without). */
    worktreeRemoved: boolean;
    /** Whether there was a branch to remove. */
    branchRemoved: boolean;
    /** With --purge: the archive was dropped because the target has every commit of it. */
    inTarget?: boolean;
  }[];
  repoConfigRestored: boolean;
  purged: boolean;
  keptArchives: string[];
  /** With --hub: what was removed from the hub. */
  hub?: string[] | null;
}

async function pathExists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

/** Each worker's tip, worktree, uncommitted changes, and the commits `against` (default: the target) lacks. */
export async function readWorkerStates(
  plan: CompiledPlan,
  cwd: string,
  against?: string,
): Promise<WorkerState[]> {
  const worktrees = await listWorktrees(cwd);
  const target =
    against ?? (await resolveCommit(cwd, `refs/heads/${plan.target}`)) ?? plan.baseCommit;
  // One git each for every tip and for which branches the target lacks commits of; rev-list only for those.
  const refs = plan.workers.map((worker) => `refs/heads/${worker.branch}`);
  const [tips, notMerged] = await Promise.all([
    listRefs(cwd, refs),
    listRefsNotMergedInto(cwd, target, refs),
  ]);
  // Reads only, a few worktrees at a time: a git status each is most of what teardown adds.
  return mapLimit(plan.workers, GIT_LANES, async (worker): Promise<WorkerState> => {
    const ref = `refs/heads/${worker.branch}`;
    const tip = tips.get(ref) ?? null;
    const registered = worktrees.some((w) => w.path === worker.worktree && !w.prunable);
    const uncommitted =
      registered && (await pathExists(worker.worktree))
        ? await readWorktreeChanges(worker.worktree)
        : [];
    const unmerged = tip && notMerged.has(ref) ? await listCommitsNotIn(cwd, target, tip) : [];
    return {
      id: worker.id,
      branch: worker.branch,
      worktree: worker.worktree,
      tip,
      worktreeRegistered: registered,
      uncommitted,
      unmerged,
    };
  });
}

export async function runTeardown(
  options: TeardownOptions,
  deps: CommandDeps,
): Promise<CommandResult> {
  if (options.merged) return runMerged(options, deps);
  const repo = await readRepoInfo(deps.cwd);
  if (options.dryRun) return tearDown(options, deps, repo);
  return withRepoLock(repo.commonDir, 'teardown', deps, () => tearDown(options, deps, repo));
}

async function runMerged(options: TeardownOptions, deps: CommandDeps): Promise<CommandResult> {
  if (options.force || options.purge) {
    throw new UsageError('--merged takes no --force or --purge', [
      'It removes only workers whose pull request is merged; pw teardown alone removes the plan.',
    ]);
  }
  const { runTeardownMerged } = await import('./teardown-merged.js');
  return runTeardownMerged(options, deps);
}

async function tearDown(
  options: TeardownOptions,
  deps: CommandDeps,
  repoInfo: RepoInfo,
): Promise<CommandResult> {
  const { repo, plan } = await loadActivePlan(deps.cwd, options.plan, {
    includeTornDown: Boolean(options.purge),
    repo: repoInfo,
    strict: true,
  });
  const cwd = repo.mainWorktree;
  if (!options.dryRun) await removeStaleScratchIndexes(repo.gitDir);
  // A joined machine has one worker, whose work is safe once the hub has it; pw join's hub record says so.
  const hub = await readHubSide(repo, plan, options.hub);
  // A plan torn down earlier has only its record left: --purge removes that.
  const hubTip = hub.joined ? await readJoinedHubTip(repo, plan, hub.joined) : null;
  const states = plan.tornDownAt
    ? []
    : hub.joined
      ? await readJoinedStates(repo, plan, hub.joined, hubTip)
      : await readWorkerStates(plan, cwd);

  // While teardown works it holds the plan's run lock, taken before it looks for running
  // processes: a pw run or pw attach starting meanwhile finds it and starts nothing.
  let runLock: { release(): Promise<void> } | null = null;
  if (!plan.tornDownAt && !options.dryRun) {
    const lock = await acquireRunLock(repo.commonDir, plan.name, {
      ...(await readProcessIdentity()),
      command: 'teardown',
    });
    if (!('heldBy' in lock)) runLock = lock;
  }
  try {
    if (!plan.tornDownAt) {
      const { refuseWhileRunning } = await import('./run/read-run-state.js');
      await refuseWhileRunning(repo.commonDir, plan.name, options.ignoreRunning);
    }
    return await tearDownUnlocked(options, deps, repo, plan, hub, hubTip, states, cwd);
  } finally {
    await runLock?.release();
  }
}

async function tearDownUnlocked(
  options: TeardownOptions,
  deps: CommandDeps,
  repo: RepoInfo,
  plan: CompiledPlan,
  hub: Awaited<ReturnType<typeof readHubSide>>,
  hubTip: Awaited<ReturnType<typeof readJoinedHubTip>>,
  states: WorkerState[],
  cwd: string,
): Promise<CommandResult> {
  const dirty = states.filter((s) => s.uncommitted.length);
  const unmerged = states.filter((s) => s.unmerged.length);
  if ((dirty.length || unmerged.length) && !options.force) {
    const details: string[] = [];
    for (const s of dirty) {
      details.push(
        `${s.id}: ${s.uncommitted.length} uncommitted change${s.uncommitted.length === 1 ? '' : 's'} in ${s.worktree}: ${s.uncommitted
          .slice(0, 5)
          .map((e) => e.slice(3))
          .join(', ')}${s.uncommitted.length > 5 ? ', ...' : ''}`,
      );
    }
    for (const s of unmerged) {
      details.push(
        `${s.id}: ${s.unmerged.length} commit${s.unmerged.length === 1 ? '' : 's'} on ${s.branch} that ${hub.joined ? `the hub ${hub.joined.hub}` : plan.target} lacks (newest ${s.unmerged[0]!.slice(0, 12)})`,
      );
    }
    details.push(
      hub.joined
        ? `Commit it and send it to the hub first (pw push), or run pw teardown ${plan.name} --force to archive every tip under ${archivePrefix(plan.name)} and remove anyway.`
        : `Commit or integrate that work first (pw integrate), or run pw teardown ${plan.name} --force to archive every tip under ${archivePrefix(plan.name)} and remove anyway.`,
    );
    throw new FailedError(
      `refusing to tear down plan "${plan.name}": work would be left behind`,
      details,
    );
  }

  const report: TeardownReport = {
    plan: plan.name,
    target: plan.target,
    dryRun: Boolean(options.dryRun),
    workers: [],
    repoConfigRestored: false,
    purged: Boolean(options.purge),
    keptArchives: [],
  };
  const paths = planPaths(repo.commonDir, plan.name);
  report.hub = hub.cleanup ? describeHubCleanup(hub.cleanup) : null;
  for (const state of states) {
    const entry: TeardownReport['workers'][number] = {
      id: state.id,
      branch: state.branch,
      worktree: state.worktree,
      archived: null,
      uncommittedArchived: null,
      removed: false,
      worktreeRemoved: state.worktreeRegistered,
      branchRemoved: state.tip !== null,
    };
    report.workers.push(entry);
    if (options.dryRun) {
      entry.archived =
        state.tip && state.tip !== plan.baseCommit ? archiveRef(plan.name, state.id) : null;
      entry.uncommittedArchived = state.uncommitted.length ? wipRef(plan.name, state.id) : null;
      continue;
    }
    // Archive first: once the tips are safe under refs/pw/, removing the branch loses nothing.
    if (state.uncommitted.length) {
      entry.uncommittedArchived = (
        await archiveUncommitted(state.worktree, plan.name, state.id, repo.gitDir)
      ).ref;
    }
    if (state.tip && state.tip !== plan.baseCommit)
      entry.archived = await archiveTip(cwd, plan.name, state.id, state.tip);
    if (state.worktreeRegistered) await removeWorktree(cwd, state.worktree, true);
    entry.removed = true;
  }
  if (!options.dryRun) {
    // Every branch in one ref transaction, each only if it still points at the tip archived above.
    await deleteBranchesAt(
      cwd,
      states.flatMap((s) => (s.tip ? [{ branch: s.branch, commit: s.tip }] : [])),
      'pw teardown',
    );
    await pruneWorktrees(cwd);
    await removeEmptyParents(states.map((s) => s.worktree));
    await removePath(paths.scopes);
    // Puts every worktree's core.hooksPath back (the main one's once no plan is left) and removes the hooks.
    await uninstallPlanHooks(repo.commonDir, plan);
    await removePath(paths.launchers);
    // What join or publish recorded here (upstream, pw.hub, the pushes, the local plan ref), then the hub's copy.
    await forgetHub(repo, plan, hub.record);
    if (hub.cleanup) await cleanUpHub(hub.cleanup);
    const time = deps.now().toISOString();
    if (options.purge) {
      report.keptArchives = await purgePlanRecord(cwd, repo.commonDir, plan, hubTip);
      const kept = new Set(report.keptArchives);
      for (const worker of report.workers) {
        if (worker.archived && !kept.has(worker.archived)) {
          worker.archived = null;
          worker.inTarget = true;
        }
      }
      if (report.keptArchives.length > 0) {
        await writeFileAtomic(
          paths.plan,
          `${JSON.stringify({ ...plan, tornDownAt: plan.tornDownAt ?? time }, null, 2)}\n`,
        );
      }
    } else {
      await writeFileAtomic(
        paths.plan,
        `${JSON.stringify({ ...plan, tornDownAt: time }, null, 2)}\n`,
      );
      // The agents' sessions went with the worktrees: a pw run after a new setup starts afresh.
      await setRunRecordAside(repo.commonDir, plan.name);
      await appendEvent(repo.commonDir, {
        time,
        type: 'teardown',
        plan: plan.name,
        forced: Boolean(options.force),
        archived: report.workers.filter((w) => w.archived).map((w) => w.id),
      });
      // No worker is left to guard against: the record kept for retro is plan.json alone.
      await deleteTrustRefs(cwd, plan.name);
    }
    const stillActive = await readActivePlans(repo.commonDir);
    if (stillActive.length === 0)
      report.repoConfigRestored = await restoreRepoSnapshot(repo.commonDir);
    await removeEmptyPwRoot(repo.commonDir);
  }

  if (options.json) deps.stdout(`${JSON.stringify(report, null, 2)}\n`);
  else deps.stdout(renderTeardown(report));
  return { exitCode: 0 };
}

/**
 * Drops what pw keeps of a plan for the retrospective: the events log, the
 * record, and its refs under refs/pw/ — except refs holding commits the target
 * lacks (uncommitted-work snapshots, unmerged tips, conflict resolutions), which
 * stay and are returned, so purging never loses work.
 */
async function purgePlanRecord(
  cwd: string,
  commonDir: string,
  plan: CompiledPlan,
  /** On a joined machine, the hub's copy of the worker's branch: what it has is safe too. */
  hubTip: string | null = null,
): Promise<string[]> {
  const target = (await resolveCommit(cwd, `refs/heads/${plan.target}`)) ?? plan.baseCommit;
  // The trust record holds no work: it goes with the rest of the plan's record.
  await deleteTrustRefs(cwd, plan.name);
  const kept: string[] = [];
  const refs = new Map([
    ...(await listRefs(cwd, archivePrefix(plan.name))),
    ...(await listRefs(cwd, `refs/pw/wip/${plan.name}/`)),
    ...(await listRefs(cwd, `refs/pw/${plan.name}/`)),
  ]);
  // A conflict resolution is kept as the commit whose tree integrate used: once the
  // target holds that tree, the resolution is in it even though the commit is not.
  const targetTrees = await readTreesSince(cwd, plan.baseCommit, target);
  for (const [ref, sha] of refs) {
    const inTarget =
      !ref.startsWith('refs/pw/wip/') &&
      ((await isAncestor(cwd, sha, target)) ||
        (hubTip !== null && (await isAncestor(cwd, sha, hubTip))) ||
        (ref.startsWith(`refs/pw/${plan.name}/resolved/`) &&
          targetTrees.has(await treeOf(cwd, sha))));
    if (inTarget) await deleteRef(cwd, ref, sha);
    else kept.push(ref);
  }
  const paths = planPaths(commonDir, plan.name);
  if (kept.length === 0) await removePath(paths.dir);
  else {
    // The plan record names the kept refs' plan for a later purge; everything else goes
    // (events, caches, integrate state and verify logs, agent logs).
    for (const entry of await readdir(paths.dir)) {
      if (join(paths.dir, entry) !== paths.plan) await removePath(join(paths.dir, entry));
    }
  }
  return kept.sort();
}

/** Removes the folders setup created around the worktrees (`<root>/<plan>`, `<root>`), when nothing else is in them. */
async function removeEmptyParents(worktrees: readonly string[]): Promise<void> {
  const parents = new Set(worktrees.map((w) => dirname(w)));
  for (const parent of parents) {
    for (const dir of [parent, dirname(parent)]) {
      await rmdir(dir).catch(() => undefined);
    }
  }
}

function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`;
}

function renderTeardown(report: TeardownReport): string {
  const lines: string[] = [];
  if (report.workers.length === 0) {
    lines.push(`Plan "${report.plan}" was already torn down; only its record was left.`);
  } else {
    lines.push(
      report.dryRun
        ? `Dry run: teardown of plan "${report.plan}" would:`
        : `Tore down plan "${report.plan}":`,
    );
  }
  const worktrees = report.workers.filter((w) => w.worktreeRemoved).length;
  const branches = report.workers.filter((w) => w.branchRemoved).length;
  if (report.workers.length > 0)
    lines.push(
      `  ${report.dryRun ? 'would remove' : 'removed'} ${plural(worktrees, 'worktree')} and ${plural(branches, 'branch', 'branches')} of ${plural(report.workers.length, 'worker')}`,
    );
  for (const worker of report.workers) {
    const removes = [
      worker.worktreeRemoved ? `worktree ${worker.worktree}` : null,
      worker.branchRemoved ? `branch ${worker.branch}` : null,
    ].filter((part): part is string => part !== null);
    const parts = [
      removes.length
        ? `remove ${removes.join(' and ')}`
        : 'no worktree or branch to remove (setup stopped before making them)',
    ];
    if (worker.archived) parts.push(`tip kept as ${worker.archived}`);
    if (worker.inTarget) parts.push(`its commits are all in ${report.target}`);
    if (worker.uncommittedArchived)
      parts.push(`uncommitted changes kept as ${worker.uncommittedArchived}`);
    lines.push(`  - ${worker.id}: ${parts.join('; ')}`);
  }
  for (const line of report.hub ?? [])
    lines.push(
      `  ${report.dryRun ? 'would remove from the hub' : 'removed from the hub'}: ${line}`,
    );
  if (!report.dryRun) {
    if (report.repoConfigRestored)
      lines.push('Repository config restored as it was before the first setup.');
    if (report.purged) {
      lines.push(
        report.keptArchives.length
          ? `Purged the events log. Kept ${report.keptArchives.length} ref${report.keptArchives.length === 1 ? '' : 's'} holding work ${report.target} lacks (delete them with git update-ref -d once you are sure): ${report.keptArchives.join(', ')}`
          : 'Purged the events log, the plan record and its refs under refs/pw/.',
      );
    } else {
      lines.push(
        `The events log and archive refs stay for pw retro --plan ${report.plan} (pw teardown ${report.plan} --purge removes them).`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
