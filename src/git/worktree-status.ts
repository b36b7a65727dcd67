import { lstat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { parseStatusEntries, readWorktreeChanges } from './repo.js';
import { runGit, splitNul } from './run-git.js';

export interface WorktreeEdits {
  /** Entries of `git status` (untracked files included, ignored ones not). */
  count: number;
  /** Newest modification time among the changed files, ms; a deleted file counts by its folder. */
  newestEditAt: number | null;
}

/** Uncommitted changes of one worktree and when they were last touched. */
export async function readWorktreeEdits(worktree: string): Promise<WorktreeEdits> {
  return editsOf(worktree, await readWorktreeChanges(worktree));
}

const STATUS = [
  // Threads for 50 files cost more than they save.
  '-c',
  'core.preloadIndex=false',
  'status',
  '--porcelain=v1',
  '-z',
  '--branch',
  '--untracked-files=all',
];

/**
 * `readWorktreeEdits` for many worktrees with few processes: `git
 * for-each-repo` runs `git -C <path> status` for each path named by a
 * multi-valued config key (git-for-each-repo(1)), given here with `-c`; git
 * starts git faster than Node does. `--branch` opens each worktree's output
 * with a `## <branch>` entry, which no file entry can start with, so the
 * output splits back per worktree. A few such processes run side by side; a
 * group whose output does not split cleanly (a worktree removed meanwhile
 * stops the loop) is read one worktree at a time.
 */
export async function readWorktreesEdits(
  cwd: string,
  worktrees: readonly string[],
): Promise<(WorktreeEdits | null)[]> {
  const groupCount = Math.max(
    1,
    Math.min(availableParallelism(), 4, Math.ceil(worktrees.length / 8)),
  );
  const groups: number[][] = Array.from({ length: groupCount }, () => []);
  worktrees.forEach((_, i) => groups[i % groupCount]!.push(i));
  const out = new Array<WorktreeEdits | null>(worktrees.length).fill(null);
  await Promise.all(
    groups.map(async (group) => {
      const paths = group.map((i) => worktrees[i]!);
      const batch = await runGit(
        [
          ...paths.flatMap((path) => ['-c', `pw.statusworktree=${path}`]),
          'for-each-repo',
          '--config=pw.statusworktree',
          '--',
          ...STATUS,
        ],
        { cwd, okExitCodes: [1, 128] },
      ).catch(() => null);
      const chunks = batch?.exitCode === 0 ? splitStatusOutputs(batch.stdout) : null;
      if (chunks && chunks.length === paths.length) {
        await Promise.all(
          group.map(async (index, k) => {
            out[index] = await editsOf(worktrees[index]!, chunks[k]!);
          }),
        );
        return;
      }
      for (const index of group)
        out[index] = await readWorktreeEdits(worktrees[index]!).catch(() => null);
    }),
  );
  return out;
}

/**
 * Splits concatenated `status --porcelain=v1 -z --branch` outputs at each
 * `## <branch>` header into each worktree's entries. A header only stands
 * where an entry may: the original path of a rename (the field after it) is
 * a path, whatever it looks like. Pure.
 */
export function splitStatusOutputs(output: string): string[][] {
  const chunks: string[][] = [];
  const fields = splitNul(output);
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    if (field.startsWith('## ')) {
      chunks.push([]);
      continue;
    }
    const current = chunks[chunks.length - 1];
    if (!current) continue;
    if (field[0] === 'R' || field[0] === 'C') {
      current.push(field, fields[i + 1] ?? '');
      i++;
    } else current.push(field);
  }
  return chunks.map((chunk) => parseStatusEntries(chunk));
}

async function editsOf(worktree: string, entries: readonly string[]): Promise<WorktreeEdits> {
  const times = await Promise.all(
    entries.map((entry) => modifiedAt(worktree, entry.slice(3).replace(/\/$/, ''))),
  );
  const known = times.filter((t): t is number => t !== null);
  return { count: entries.length, newestEditAt: known.length ? Math.max(...known) : null };
}

/** mtime of a path, or of the nearest folder above it that still exists (a deletion touches its folder). */
async function modifiedAt(worktree: string, path: string): Promise<number | null> {
  let current = join(worktree, path);
  for (;;) {
    try {
      return Math.floor((await lstat(current)).mtimeMs);
    } catch {
      if (current === worktree || !current.startsWith(worktree + sep)) return null;
      current = dirname(current);
    }
  }
}
