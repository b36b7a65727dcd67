import { gitOutput } from './run-git.js';

/**
 * Records `tree` as a commit with these parents and message (`git commit-tree`),
 * without touching any ref, index or worktree. Identity and signing come from
 * the repository's config, as for any commit the user makes.
 */
export async function commitTree(
  cwd: string,
  tree: string,
  parents: readonly string[],
  message: string,
): Promise<string> {
  return gitOutput(['commit-tree', ...parents.flatMap((p) => ['-p', p]), '-F', '-', tree], {
    cwd,
    input: message,
  });
}

/** The tree a commit records. */
export async function treeOf(cwd: string, commit: string): Promise<string> {
  return gitOutput(['rev-parse', '--verify', '--end-of-options', `${commit}^{tree}`], { cwd });
}
