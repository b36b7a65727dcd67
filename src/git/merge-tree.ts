import { GitError } from '../errors.js';
import { runGit, splitNul } from './run-git.js';

/** One informational message of `git merge-tree --messages` (a conflict, or "Auto-merging"). */
export interface MergeMessage {
  paths: string[];
  /** git's machine-readable type, e.g. `CONFLICT (contents)`, `Auto-merging`. */
  type: string;
  /** The sentence git prints for it. */
  text: string;
}

export interface MergeTreeResult {
  /** True only when merge-tree exited 0. */
  clean: boolean;
  /** The merged tree; with conflicts it holds the conflict markers. */
  tree: string;
  /** Paths with conflicts, from git's list and, when that is empty, from its conflict messages. */
  conflictedPaths: string[];
  messages: MergeMessage[];
}

/**
 * Parses `git merge-tree --write-tree -z --name-only --messages` output
 * (git-merge-tree(1), "OUTPUT"): the tree, NUL; the conflicted paths, each
 * NUL-terminated; an empty field; then per message `<n>NUL<path>NUL...<type>NUL<text>NUL`.
 * Cleanliness comes from the exit status (0 clean, 1 conflicts), not from an
 * empty path list: some conflicts (e.g. a rename/rename) need not list a path.
 */
export function parseMergeTree(stdout: string, exitCode: number): MergeTreeResult {
  const fields = stdout.split('\0');
  const tree = fields[0]!.trim();
  let i = 1;
  const paths: string[] = [];
  while (i < fields.length && fields[i] !== '') paths.push(fields[i++]!);
  i++;
  const messages: MergeMessage[] = [];
  while (i < fields.length && fields[i] !== '') {
    const count = Number(fields[i++]);
    if (!Number.isInteger(count) || count < 0) break;
    const messagePaths = fields.slice(i, i + count);
    i += count;
    const type = fields[i++] ?? '';
    const text = (fields[i++] ?? '').replace(/\n$/, '');
    messages.push({ paths: messagePaths, type, text });
  }
  const clean = exitCode === 0;
  let conflictedPaths = [...new Set(paths)];
  if (!clean && conflictedPaths.length === 0) {
    conflictedPaths = [
      ...new Set(messages.filter((m) => m.type.startsWith('CONFLICT')).flatMap((m) => m.paths)),
    ];
  }
  return { clean, tree, conflictedPaths, messages };
}

/**
 * Merges two commits in memory (`git merge-tree --write-tree`, git 2.38+):
 * writes the result tree to the object database and touches no worktree,
 * index or ref. The merge base is the one git computes from the two commits.
 */
export async function mergeTree(
  cwd: string,
  ours: string,
  theirs: string,
): Promise<MergeTreeResult> {
  const { stdout, exitCode } = await runGit(
    ['merge-tree', '--write-tree', '-z', '--name-only', '--messages', ours, theirs],
    // Exit 1 means "conflicts", an answer; anything else is an error (git-merge-tree(1), "EXIT STATUS").
    { cwd, okExitCodes: [1] },
  );
  const result = parseMergeTree(stdout, exitCode);
  if (!/^[0-9a-f]{40,64}$/.test(result.tree)) {
    throw new GitError(
      ['merge-tree', '--write-tree', ours, theirs],
      exitCode,
      `unexpected output: ${splitNul(stdout)[0] ?? ''}`,
    );
  }
  return result;
}
