import { lstat } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import {
  readWorktreeStatusCache,
  writeWorktreeStatusCache,
  type WorktreeStatusEntry,
} from '../store/worktree-status-cache.js';
import { parseStatusEntries, readWorktreeChanges } from './repo.js';
import { GIT_LANES } from '../limit.js';
import { runGit, splitNul } from './run-git.js';
import {
  readWorktreeSignature,
  type SignatureContext,
  type WorktreeSignature,
} from './worktree-signature.js';

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
  // Folders ignored as a whole as one `!! dir/` entry, not entered: the
  // worktree signature skips them too.
  '--ignored=matching',
];

/** Where the status of each worktree is kept between runs, and what git reads besides the worktree. */
export interface WorktreeStatusCacheOptions extends SignatureContext {
  plan: string;
  /**
   * The read covers some of the plan's worktrees only (pw run reads its
   * agents'): the entries kept for the others stay for the next full read.
   * Without it, entries of worktrees not read are dropped (removed ones).
   */
  keepOthers?: boolean;
}

/**
 * `readWorktreeEdits` for many worktrees with few processes. With `cache`,
 * `git status` runs only in the worktrees whose signature changed since the
 * status kept for them (git/worktree-signature.ts); the rest are read from
 * the cache, which is then brought up to date.
 */
export async function readWorktreesEdits(
  cwd: string,
  worktrees: readonly string[],
  cache?: WorktreeStatusCacheOptions,
): Promise<(WorktreeEdits | null)[]> {
  const kept = cache
    ? await readWorktreeStatusCache(cache.commonDir, cache.plan)
    : new Map<string, WorktreeStatusEntry>();
  const next = new Map<string, WorktreeStatusEntry>();
  if (cache?.keepOthers) {
    const asked = new Set(worktrees);
    for (const [path, entry] of kept) if (!asked.has(path)) next.set(path, entry);
  }
  const entries = new Array<string[] | null>(worktrees.length).fill(null);
  const signatures = new Map<number, { signature: WorktreeSignature | null; dirs: string[] }>();
  const stale: number[] = [];
  worktrees.forEach((path, i) => {
    const entry = kept.get(path);
    if (!cache || !entry) {
      stale.push(i);
      return;
    }
    const signature = readWorktreeSignature(path, entry.ignoredDirs, cache);
    if (signature !== null && entry.signature === signature.key) {
      entries[i] = entry.entries;
      next.set(path, entry);
      return;
    }
    signatures.set(i, { signature, dirs: entry.ignoredDirs });
    stale.push(i);
  });
  const read = await readStatusEntries(
    cwd,
    stale.map((i) => worktrees[i]!),
  );
  stale.forEach((index, k) => {
    const all = read[k];
    if (!all) return;
    const changed = all.filter((entry) => !entry.startsWith('!! '));
    const ignoredDirs = all
      .filter((entry) => entry.startsWith('!! ') && entry.endsWith('/'))
      .map((entry) => entry.slice(3, -1));
    entries[index] = changed;
    // The signature was taken before git status ran, over the same ignored folders: it stands for what status saw.
    const taken = signatures.get(index);
    const reusable =
      taken?.signature != null &&
      !taken.signature.racy &&
      taken.dirs.join('\0') === ignoredDirs.join('\0');
    next.set(worktrees[index]!, {
      signature: reusable ? taken.signature!.key : null,
      ignoredDirs,
      entries: changed,
    });
  });
  if (cache && (stale.length || next.size !== kept.size))
    await writeWorktreeStatusCache(cache.commonDir, cache.plan, next);
  return Promise.all(
    entries.map((list, i) =>
      list === null ? null : editsOf(worktrees[i]!, list).catch(() => null),
    ),
  );
}

/**
 * The `git status` entries of each worktree (ignored folders as `!! dir/`),
 * with few processes: `git for-each-repo` runs `git -C <path> status` for
 * each path named by a multi-valued config key (git-for-each-repo(1)), given
 * here with `-c`; git starts git faster than Node does. `--branch` opens each
 * worktree's output with a `## <branch>` entry, which no file entry can start
 * with, so the output splits back per worktree. A few such processes run side
 * by side; a group whose output does not split cleanly (a worktree removed
 * meanwhile stops the loop) is read one worktree at a time.
 */
async function readStatusEntries(
  cwd: string,
  worktrees: readonly string[],
): Promise<(string[] | null)[]> {
  const out = new Array<string[] | null>(worktrees.length).fill(null);
  if (worktrees.length === 0) return out;
  const groupCount = Math.max(1, Math.min(GIT_LANES, Math.ceil(worktrees.length / 8)));
  const groups: number[][] = Array.from({ length: groupCount }, () => []);
  worktrees.forEach((_, i) => groups[i % groupCount]!.push(i));
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
        group.forEach((index, k) => (out[index] = chunks[k]!));
        return;
      }
      for (const index of group)
        out[index] = await readWorktreeChanges(worktrees[index]!).catch(() => null);
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
