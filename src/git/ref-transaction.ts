import { ZERO_SHA } from './refs.js';
import { runGit, type DetachedGitWatch } from './run-git.js';

export interface RefUpdate {
  ref: string;
  /** The new value; null deletes the ref. */
  to: string | null;
  /** Compare-and-swap: the value the ref must hold (null: must not exist); undefined: any. */
  expected?: string | null;
}

/** The `update-ref --stdin` lines for these updates (git-update-ref(1), "--stdin"). Pure. */
export function formatRefUpdates(updates: readonly RefUpdate[]): string {
  return updates
    .map((u) => {
      const old = u.expected === undefined ? '' : ` ${u.expected ?? ZERO_SHA}`;
      return u.to === null ? `delete ${u.ref}${old}` : `update ${u.ref} ${u.to}${old}`;
    })
    .map((line) => `${line}\n`)
    .join('');
}

/**
 * Applies every update in one ref transaction: all of them or none. A ref
 * whose value is not the expected one fails the whole transaction (GitError).
 */
export async function updateRefs(
  cwd: string,
  updates: readonly RefUpdate[],
  message: string,
  watch: DetachedGitWatch | null = null,
): Promise<void> {
  if (updates.length === 0) return;
  // Its own process group: a Ctrl-C or a group kill of pw cannot leave a ref lock behind.
  await runGit(['update-ref', '-m', message, '--stdin'], {
    cwd,
    input: formatRefUpdates(updates),
    detached: true,
    watch,
  });
}

/** Creates every branch (`refs/heads/<branch>` at its commit) in one transaction; none if any exists. */
export async function createBranches(
  cwd: string,
  branches: readonly { branch: string; commit: string }[],
  message: string,
): Promise<void> {
  await updateRefs(
    cwd,
    branches.map((b) => ({ ref: `refs/heads/${b.branch}`, to: b.commit, expected: null })),
    message,
  );
}

/**
 * Deletes every branch that still points at its commit, in one transaction.
 * A branch that moved since (someone committed) is left alone: should the
 * transaction fail on one, the others are deleted one by one and the ones
 * that could not be are named in the error.
 */
export async function deleteBranchesAt(
  cwd: string,
  branches: readonly { branch: string; commit: string }[],
  message: string,
): Promise<void> {
  const updates = branches.map((b) => ({
    ref: `refs/heads/${b.branch}`,
    to: null,
    expected: b.commit,
  }));
  try {
    await updateRefs(cwd, updates, message);
  } catch {
    const kept: string[] = [];
    for (const update of updates) {
      await updateRefs(cwd, [update], message).catch(() => kept.push(update.ref));
    }
    if (kept.length)
      throw new Error(`left ${kept.join(', ')} in place: moved or gone since it was created`);
  }
}
