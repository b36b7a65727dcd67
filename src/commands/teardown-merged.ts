/**
 * `pw teardown --merged`: on a hosted remote, where pull requests are merged
 * there, removes the worktree and branch of each worker whose pull request
 * is merged, and keeps every other worker as it is. A branch is deleted only
 * when the merged pull request holds its tip (and after archiving it), and a
 * worktree only when it has no uncommitted change.
 */
import type { CommandDeps, CommandResult } from '../cli/deps.js';
import { assertGhAvailable, findPullRequest } from '../agents/github.js';
import { escapeTerminal } from '../domain/text/terminal-text.js';
import { archiveTip } from '../git/archive.js';
import { deleteBranchesAt } from '../git/ref-transaction.js';
import { isAncestor } from '../git/refs.js';
import { listRefs, listWorktrees, readWorktreeChanges, resolveCommit } from '../git/repo.js';
import { pruneWorktrees, removeWorktree } from '../git/worktree.js';
import { withRepoLock } from '../store/repo-lock.js';
import { appendEvent } from '../store/trusted-store.js';
import { exists } from '../store/fs.js';
import { loadActivePlan } from './active-plan.js';

export interface TeardownMergedOptions {
  plan?: string;
  dryRun?: boolean;
  json?: boolean;
  /** Go ahead though a pw run, agent or pw attach of the plan seems to run here. */
  ignoreRunning?: boolean;
}

interface MergedEntry {
  worker: string;
  branch: string;
  /** The pull request, when there is one. */
  pullRequest: { number: number; url: string; state: string } | null;
  removed: boolean;
  archived: string | null;
  /** Why the worker was kept. */
  kept: string | null;
}

export async function runTeardownMerged(
  options: TeardownMergedOptions,
  deps: CommandDeps,
): Promise<CommandResult> {
  const { repo, plan } = await loadActivePlan(deps.cwd, options.plan, { strict: true });
  const cwd = repo.mainWorktree;
  const gh = { cwd, env: deps.env };
  await assertGhAvailable(gh);
  const entries = await withRepoLock(repo.commonDir, 'teardown', deps, async () => {
    const { refuseWhileRunning } = await import('./run/read-run-state.js');
    await refuseWhileRunning(repo.commonDir, plan.name, options.ignoreRunning);
    const worktrees = await listWorktrees(cwd);
    const tips = await listRefs(
      cwd,
      plan.workers.map((w) => `refs/heads/${w.branch}`),
    );
    const out: MergedEntry[] = [];
    const deletions: { branch: string; commit: string }[] = [];
    for (const worker of plan.workers) {
      const tip = tips.get(`refs/heads/${worker.branch}`) ?? null;
      const pr = await findPullRequest(gh, worker.branch);
      const entry: MergedEntry = {
        worker: worker.id,
        branch: worker.branch,
        pullRequest: pr ? { number: pr.number, url: pr.url, state: pr.state } : null,
        removed: false,
        archived: null,
        kept: null,
      };
      out.push(entry);
      if (!pr || pr.state !== 'MERGED') {
        entry.kept = pr
          ? `pull request #${pr.number} is ${pr.state.toLowerCase()}`
          : 'no pull request';
        continue;
      }
      // The merged pull request must hold the branch's tip: commits after it are not merged.
      const held =
        tip === null ||
        tip === pr.headRefOid ||
        ((await resolveCommit(cwd, pr.headRefOid)) !== null &&
          (await isAncestor(cwd, tip, pr.headRefOid)));
      if (!held) {
        entry.kept = `${worker.branch} has commits after what pull request #${pr.number} merged`;
        continue;
      }
      const registered = worktrees.some((w) => w.path === worker.worktree && !w.prunable);
      const present = registered && (await exists(worker.worktree));
      const dirty = present ? await readWorktreeChanges(worker.worktree) : [];
      if (dirty.length) {
        entry.kept = `${dirty.length} uncommitted change${dirty.length === 1 ? '' : 's'} in ${worker.worktree}`;
        continue;
      }
      entry.removed = true;
      if (options.dryRun) continue;
      if (tip && tip !== plan.baseCommit)
        entry.archived = await archiveTip(cwd, plan.name, worker.id, tip);
      if (registered) await removeWorktree(cwd, worker.worktree, true);
      if (tip) deletions.push({ branch: worker.branch, commit: tip });
    }
    if (!options.dryRun && out.some((e) => e.removed)) {
      // Each branch only if it still points at the tip archived above.
      await deleteBranchesAt(cwd, deletions, 'pw teardown --merged');
      await pruneWorktrees(cwd);
      await appendEvent(repo.commonDir, {
        time: deps.now().toISOString(),
        type: 'teardown-merged',
        plan: plan.name,
        removed: out.filter((e) => e.removed).map((e) => e.worker),
        pullRequests: Object.fromEntries(
          out.filter((e) => e.removed).map((e) => [e.worker, e.pullRequest!.number]),
        ),
      });
    }
    return out;
  });
  if (options.json) {
    deps.stdout(
      `${JSON.stringify({ plan: plan.name, dryRun: Boolean(options.dryRun), workers: entries }, null, 2)}\n`,
    );
  } else deps.stdout(renderTeardownMerged(plan.name, entries, Boolean(options.dryRun)));
  return { exitCode: 0 };
}

function renderTeardownMerged(
  plan: string,
  entries: readonly MergedEntry[],
  dryRun: boolean,
): string {
  const removed = entries.filter((e) => e.removed);
  const lines = [
    `${dryRun ? 'Dry run: would remove' : 'Removed'} ${removed.length} of ${entries.length} workers of plan "${plan}" whose pull request is merged:`,
  ];
  for (const e of entries) {
    lines.push(
      e.removed
        ? `  - ${e.worker}: #${e.pullRequest!.number} merged; worktree and branch ${e.branch} ${dryRun ? 'would be ' : ''}removed${e.archived ? ` (tip kept as ${e.archived})` : ''}`
        : `  - ${e.worker}: kept (${escapeTerminal(e.kept ?? '')})`,
    );
  }
  if (!dryRun && removed.length === entries.length)
    lines.push(`Every worker is done: pw teardown ${plan} removes the rest of the plan.`);
  return `${lines.join('\n')}\n`;
}
