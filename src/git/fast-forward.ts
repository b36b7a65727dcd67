import { runGit, type DetachedGitWatch } from './run-git.js';

/**
 * Fast-forwards the branch checked out in `worktree` to `commit`
 * (`git merge --ff-only`): files, index and branch move together, and git
 * refuses rather than overwrite a local change. Git's own ref update compares
 * against the HEAD it read, so a branch that moved meanwhile is not clobbered.
 * Returns git's refusal text, or null on success.
 */
export async function fastForwardWorktree(
  worktree: string,
  commit: string,
  watch: DetachedGitWatch | null = null,
): Promise<string | null> {
  const result = await runGit(['merge', '--ff-only', '--quiet', '--no-stat', commit], {
    cwd: worktree,
    okExitCodes: [1, 128],
    // Its own process group: a Ctrl-C or a group kill of pw cannot stop git half way through the worktree.
    detached: true,
    watch,
  });
  return result.exitCode === 0
    ? null
    : result.stderr.trim() ||
        result.stdout.trim() ||
        `git merge --ff-only exited ${result.exitCode}`;
}
