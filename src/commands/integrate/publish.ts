import { GitError } from '../../errors.js';
import { listChangedPaths } from '../../git/changed-paths.js';
import { fastForwardWorktree } from '../../git/fast-forward.js';
import type { DetachedGitWatch } from '../../git/detached-git-watch.js';
import { updateRefs, type RefUpdate } from '../../git/ref-transaction.js';
import { listWorktrees, readWorktreeChanges, resolveCommit } from '../../git/repo.js';

export type PublishOutcome =
  | { ok: true; method: 'update-ref' | 'merge --ff-only'; worktree: string | null }
  | { ok: false; reason: 'moved'; current: string | null }
  | { ok: false; reason: 'dirty'; worktree: string; paths: string[] }
  | { ok: false; reason: 'refused'; worktree: string; message: string };

/** The path of a `git status --porcelain=v1` entry (`XY path`). */
function entryPath(entry: string): string {
  return entry.slice(3);
}

/** Uncommitted paths of a worktree that moving it from `from` to `to` would overwrite. */
export async function findOverwrittenPaths(
  cwd: string,
  worktree: string,
  from: string,
  to: string,
): Promise<string[]> {
  const dirty = (await readWorktreeChanges(worktree)).map(entryPath);
  if (dirty.length === 0) return [];
  const changed = await listChangedPaths(cwd, { from, to });
  const set = new Set(changed);
  return dirty.filter(
    (path) => set.has(path) || (path.endsWith('/') && changed.some((c) => c.startsWith(path))),
  );
}

/**
 * Moves `target` from `expected` to `result` in one atomic step, with the
 * `alongside` ref updates (archives, the private ref's removal).
 *
 * Where a worktree has the target checked out, `merge --ff-only` there moves
 * files, index and branch together (a bare ref update would leave that
 * worktree with a stale index); it is refused first, naming the paths, when the
 * worktree has uncommitted changes the update would overwrite. Git's own ref
 * update in that merge compares against the HEAD it read. The `alongside`
 * updates follow it.
 *
 * Elsewhere one ref transaction: a compare-and-swap of the target (an
 * all-zero old value creates the branch) and the `alongside` updates, all or none.
 */
export async function publishResult(
  cwd: string,
  target: string,
  expected: string | null,
  result: string,
  alongside: readonly RefUpdate[],
  watch: DetachedGitWatch | null = null,
): Promise<PublishOutcome> {
  const ref = `refs/heads/${target}`;
  const holder = (await listWorktrees(cwd)).find((w) => w.branch === ref && !w.bare);
  const message = `pw integrate: publish ${result.slice(0, 12)}`;
  if (holder) {
    if (holder.head !== expected) {
      if (!expected) {
        return {
          ok: false,
          reason: 'refused',
          worktree: holder.path,
          message: `${target} is checked out there but has no commit yet; creating it under that worktree would leave its index stale`,
        };
      }
      return { ok: false, reason: 'moved', current: holder.head };
    }
    const overwritten = await findOverwrittenPaths(cwd, holder.path, expected!, result);
    if (overwritten.length) {
      return { ok: false, reason: 'dirty', worktree: holder.path, paths: overwritten };
    }
    const refusal = await fastForwardWorktree(holder.path, result, watch);
    if (refusal !== null) {
      const now = await resolveCommit(cwd, ref);
      if (now !== expected && now !== result) return { ok: false, reason: 'moved', current: now };
      return { ok: false, reason: 'refused', worktree: holder.path, message: refusal };
    }
    await updateRefs(cwd, alongside, message, watch);
    return { ok: true, method: 'merge --ff-only', worktree: holder.path };
  }
  try {
    await updateRefs(cwd, [{ ref, to: result, expected }, ...alongside], message, watch);
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    const now = await resolveCommit(cwd, ref);
    if (now !== expected) return { ok: false, reason: 'moved', current: now };
    throw error;
  }
  return { ok: true, method: 'update-ref', worktree: null };
}
