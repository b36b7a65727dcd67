import { GitError } from '../errors.js';
import { lstat, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { listWorktrees } from './repo.js';
import { runGit, splitNul, type DetachedGitWatch } from './run-git.js';

/**
 * A worktree pw makes for itself (verify, conflict resolution): detached at
 * `commit`, so it holds no branch. `--quiet`, because a pw killed mid-way must
 * not leave git writing into a closed pipe.
 */
export async function addScratchWorktree(
  cwd: string,
  path: string,
  commit: string,
  watch: DetachedGitWatch | null = null,
): Promise<void> {
  const args = ['worktree', 'add', '--quiet', '--detach', '--end-of-options', path, commit];
  // Its own process group, so a Ctrl-C or a group kill of pw does not leave a half checkout.
  const options = { cwd, detached: true, watch };
  try {
    await runGit(args, options);
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    // A killed earlier `worktree add` can leave the path registered, locked and
    // missing; clear whatever is there and try once more.
    await removeScratchWorktree(cwd, path, true);
    await runGit(args, options);
  }
}

/**
 * Removes a scratch worktree whatever state it is in: registered or not, half
 * created by a killed `worktree add` (locked "initializing"), or already gone.
 * When the folder is not there, nothing is asked of git unless `thorough`:
 * a registration without its folder only matters to the next `worktree add`,
 * which calls this again with `thorough` when it fails.
 */
export async function removeScratchWorktree(
  cwd: string,
  path: string,
  thorough = false,
): Promise<void> {
  const target = resolve(path);
  const present = await lstat(target).then(
    () => true,
    () => false,
  );
  if (!present && !thorough) return;
  const registered = (await listWorktrees(cwd)).some((w) => resolve(w.path) === target);
  if (registered) {
    // Two --force flags also remove a locked worktree (git-worktree(1), "remove").
    await runGit(['worktree', 'remove', '--force', '--force', '--end-of-options', target], {
      cwd,
      okExitCodes: [128],
    });
  }
  await rm(target, { recursive: true, force: true });
  await runGit(['worktree', 'prune'], { cwd });
}

/**
 * Starts, in a scratch worktree, the merge of `tip` that merge-tree found in
 * conflict, so the user resolves it with their usual tools: `merge --no-commit`
 * (or `--squash`) leaves the conflict markers and the index stages. Exit 1 is
 * the expected "conflicts" answer.
 */
export async function startConflictMerge(
  worktree: string,
  tip: string,
  squash: boolean,
  message: string,
): Promise<void> {
  const args = squash
    ? ['merge', '--squash', '--quiet', '--no-verify', tip]
    : ['merge', '--no-ff', '--no-commit', '--quiet', '--no-verify', '-m', message, tip];
  await runGit(args, { cwd: worktree, okExitCodes: [1] });
}

/** Paths with unmerged index entries (`ls-files -u`). */
export async function listUnmergedPaths(worktree: string): Promise<string[]> {
  const { stdout } = await runGit(['ls-files', '-u', '-z', '--full-name'], { cwd: worktree });
  return [...new Set(splitNul(stdout).map((entry) => entry.slice(entry.indexOf('\t') + 1)))];
}

/**
 * The tree a worktree's files would make, untracked files included, computed
 * in a throwaway index: its own index and files are not touched. Two equal
 * trees mean nobody changed a file in between.
 */
export async function readWorktreeTree(worktree: string, scratchDir: string): Promise<string> {
  const env = { GIT_INDEX_FILE: join(scratchDir, `pw-tree-index-${process.pid}`) };
  try {
    await runGit(['read-tree', 'HEAD'], { cwd: worktree, env });
    await runGit(['add', '-A', '--', ':/'], { cwd: worktree, env });
    return (await runGit(['write-tree'], { cwd: worktree, env })).stdout.trim();
  } finally {
    await rm(env.GIT_INDEX_FILE, { force: true });
  }
}
