import { lstat, rmdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CommandDeps, CommandResult } from '../cli/deps.js';
import type { CompiledPlan } from '../domain/plan.js';
import { FailedError } from '../errors.js';
import { archiveRef, archiveTip, archiveUncommitted, wipRef } from '../git/archive.js';
import { uninstallPlanHooks } from '../git/hooks.js';
import { deleteRef, isAncestor } from '../git/refs.js';
import {
  listCommitsNotIn,
  listRefs,
  listWorktrees,
  readWorktreeChanges,
  resolveCommit,
} from '../git/repo.js';
import { pruneWorktrees, removeWorktree } from '../git/worktree.js';
import {
  appendEvent,
  listPlanNames,
  planPaths,
  readCompiledPlan,
  removePath,
  writeFileAtomic,
} from '../store/trusted-store.js';
import { loadActivePlan } from './active-plan.js';
import { restoreRepoSnapshot } from './repo-setup-state.js';

export interface TeardownOptions {
  plan?: string;
  force?: boolean;
  purge?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

interface WorkerState {
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
  dryRun: boolean;
  workers: {
    id: string;
    branch: string;
    worktree: string;
    archived: string | null;
    uncommittedArchived: string | null;
    removed: boolean;
  }[];
  repoConfigRestored: boolean;
  purged: boolean;
  keptArchives: string[];
}

async function pathExists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

async function readWorkerStates(plan: CompiledPlan, cwd: string): Promise<WorkerState[]> {
  const worktrees = await listWorktrees(cwd);
  const target = (await resolveCommit(cwd, `refs/heads/${plan.target}`)) ?? plan.baseCommit;
  const states: WorkerState[] = [];
  for (const worker of plan.workers) {
    const tip = await resolveCommit(cwd, `refs/heads/${worker.branch}`);
    const registered = worktrees.some((w) => w.path === worker.worktree && !w.prunable);
    const uncommitted =
      registered && (await pathExists(worker.worktree))
        ? await readWorktreeChanges(worker.worktree)
        : [];
    const unmerged = tip ? await listCommitsNotIn(cwd, target, tip) : [];
    states.push({
      id: worker.id,
      branch: worker.branch,
      worktree: worker.worktree,
      tip,
      worktreeRegistered: registered,
      uncommitted,
      unmerged,
    });
  }
  return states;
}

export async function runTeardown(
  options: TeardownOptions,
  deps: CommandDeps,
): Promise<CommandResult> {
  const { repo, plan } = await loadActivePlan(deps.cwd, options.plan);
  const cwd = repo.mainWorktree;
  const states = await readWorkerStates(plan, cwd);

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
        `${s.id}: ${s.unmerged.length} commit${s.unmerged.length === 1 ? '' : 's'} on ${s.branch} that ${plan.target} lacks (newest ${s.unmerged[0]!.slice(0, 12)})`,
      );
    }
    details.push(
      `Commit or integrate that work first (pw integrate), or run pw teardown ${plan.name} --force to archive every tip under refs/pw/archive/${plan.name}/ and remove anyway.`,
    );
    throw new FailedError(
      `refusing to tear down plan "${plan.name}": work would be left behind`,
      details,
    );
  }

  const report: TeardownReport = {
    plan: plan.name,
    dryRun: Boolean(options.dryRun),
    workers: [],
    repoConfigRestored: false,
    purged: Boolean(options.purge),
    keptArchives: [],
  };
  const paths = planPaths(repo.commonDir, plan.name);
  for (const state of states) {
    const entry: TeardownReport['workers'][number] = {
      id: state.id,
      branch: state.branch,
      worktree: state.worktree,
      archived: null,
      uncommittedArchived: null,
      removed: false,
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
    if (state.tip) await deleteRef(cwd, `refs/heads/${state.branch}`, state.tip);
    entry.removed = true;
  }
  if (!options.dryRun) {
    await pruneWorktrees(cwd);
    await removeEmptyParents(states.map((s) => s.worktree));
    await removePath(paths.scopes);
    // Puts every worktree's core.hooksPath back (the main one's once no plan is left) and removes the hooks.
    await uninstallPlanHooks(repo.commonDir, plan);
    await removePath(paths.launchers);
    const time = deps.now().toISOString();
    if (options.purge) {
      // Purge drops only archives whose commits the target already has; anything else stays.
      const target = (await resolveCommit(cwd, `refs/heads/${plan.target}`)) ?? plan.baseCommit;
      for (const prefix of [`refs/pw/archive/${plan.name}/`, `refs/pw/wip/${plan.name}/`]) {
        for (const [ref, sha] of await listRefs(cwd, prefix)) {
          if (prefix.includes('/archive/') && (await isAncestor(cwd, sha, target)))
            await deleteRef(cwd, ref, sha);
          else report.keptArchives.push(ref);
        }
      }
      if (report.keptArchives.length === 0) await removePath(paths.dir);
      else
        await writeFileAtomic(
          paths.plan,
          `${JSON.stringify({ ...plan, tornDownAt: time }, null, 2)}\n`,
        );
    } else {
      await writeFileAtomic(
        paths.plan,
        `${JSON.stringify({ ...plan, tornDownAt: time }, null, 2)}\n`,
      );
      await appendEvent(repo.commonDir, {
        time,
        type: 'teardown',
        plan: plan.name,
        forced: Boolean(options.force),
        archived: report.workers.filter((w) => w.archived).map((w) => w.id),
      });
    }
    const stillActive = [];
    for (const name of await listPlanNames(repo.commonDir)) {
      const other = await readCompiledPlan(repo.commonDir, name);
      if (other && !other.tornDownAt) stillActive.push(name);
    }
    if (stillActive.length === 0)
      report.repoConfigRestored = await restoreRepoSnapshot(repo.commonDir);
  }

  if (options.json) deps.stdout(`${JSON.stringify(report, null, 2)}\n`);
  else deps.stdout(renderTeardown(report));
  return { exitCode: 0 };
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

function renderTeardown(report: TeardownReport): string {
  const lines: string[] = [];
  lines.push(
    report.dryRun
      ? `Dry run: teardown of plan "${report.plan}" would:`
      : `Tore down plan "${report.plan}":`,
  );
  for (const worker of report.workers) {
    const parts = [`remove worktree ${worker.worktree} and branch ${worker.branch}`];
    if (worker.archived) parts.push(`tip kept as ${worker.archived}`);
    if (worker.uncommittedArchived)
      parts.push(`uncommitted changes kept as ${worker.uncommittedArchived}`);
    lines.push(`  - ${worker.id}: ${parts.join('; ')}`);
  }
  if (!report.dryRun) {
    if (report.repoConfigRestored)
      lines.push('Repository config restored as it was before the first setup.');
    if (report.purged) {
      lines.push(
        report.keptArchives.length
          ? `Purged the events log; kept ${report.keptArchives.length} archive ref(s) whose commits ${'the target'} lacks: ${report.keptArchives.join(', ')}`
          : 'Purged the events log and archive refs.',
      );
    } else {
      lines.push(
        `The events log and archive refs stay for pw retro --plan ${report.plan} (pw teardown --purge removes them).`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
