import { listWorktrees } from './repo.js';
import { runGit } from './run-git.js';

/** Adds a worktree for an existing branch. */
export async function addWorktree(cwd: string, path: string, branch: string): Promise<void> {
  await runGit(['worktree', 'add', '--quiet', '--end-of-options', path, branch], { cwd });
}

/** Removes a worktree; `force` drops untracked and ignored files in it (callers check for changes first). */
export async function removeWorktree(cwd: string, path: string, force: boolean): Promise<void> {
  // Two --force flags also remove a locked worktree (git-worktree(1), "remove").
  await runGit(
    ['worktree', 'remove', ...(force ? ['--force', '--force'] : []), '--end-of-options', path],
    { cwd },
  );
}

export async function pruneWorktrees(cwd: string): Promise<void> {
  await runGit(['worktree', 'prune'], { cwd });
}

/** The main worktree, or null when the repository's main "worktree" is bare. */
export async function readMainWorktree(commonDir: string): Promise<string | null> {
  const first = (await listWorktrees(commonDir))[0];
  return first === undefined || first.bare ? null : first.path;
}
