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

const mainWorktrees = new Map<string, Promise<string | null>>();

/**
 * The main worktree, or null when the repository's main "worktree" is bare.
 * Asked once per repository and process: where a repository's main worktree
 * is does not change while a command runs (setup, `pw hooks` ask for each
 * worker they install).
 */
export function readMainWorktree(commonDir: string): Promise<string | null> {
  let found = mainWorktrees.get(commonDir);
  if (!found) {
    found = listWorktrees(commonDir).then((list) => {
      const first = list[0];
      return first === undefined || first.bare ? null : first.path;
    });
    // A failed read is not kept: the next caller asks git again.
    found.catch(() => mainWorktrees.delete(commonDir));
    mainWorktrees.set(commonDir, found);
  }
  return found;
}
