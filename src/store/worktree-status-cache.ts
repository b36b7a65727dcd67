import { join } from 'node:path';
import { planDir, readTextIfExists, writeFileAtomic } from './trusted-store.js';

/**
 * The last `git status` of each worker worktree, kept with the signature of
 * the worktree taken just before it ran (git/worktree-signature.ts): while
 * the signature is the same, so is the status. Not state: deleting the file
 * only costs the next `pw status` one `git status` per worktree.
 */
export interface WorktreeStatusEntry {
  /** The signature taken before `entries` were read; null when it is not to be reused (racy). */
  signature: string | null;
  /** Folders git reported as ignored as a whole, which the next signature does not enter. */
  ignoredDirs: string[];
  /** `git status --porcelain=v1` entries (`XY path`), ignored ones not included. */
  entries: string[];
}

const VERSION = 1;

export function worktreeStatusCachePath(commonDir: string, plan: string): string {
  return join(planDir(commonDir, plan), 'cache', 'worktrees.json');
}

/** The entries by worktree path (empty when none, or unreadable). */
export async function readWorktreeStatusCache(
  commonDir: string,
  plan: string,
): Promise<Map<string, WorktreeStatusEntry>> {
  const text = await readTextIfExists(worktreeStatusCachePath(commonDir, plan)).catch(() => null);
  if (text === null) return new Map();
  try {
    const data = JSON.parse(text) as {
      version: number;
      worktrees: [string, WorktreeStatusEntry][];
    };
    return data.version === VERSION ? new Map(data.worktrees) : new Map();
  } catch {
    return new Map();
  }
}

/** Best effort: a read-only repository, or a concurrent writer, only costs the next run its git status. */
export async function writeWorktreeStatusCache(
  commonDir: string,
  plan: string,
  entries: ReadonlyMap<string, WorktreeStatusEntry>,
): Promise<void> {
  await writeFileAtomic(
    worktreeStatusCachePath(commonDir, plan),
    JSON.stringify({ version: VERSION, worktrees: [...entries] }),
  ).catch(() => undefined);
}
