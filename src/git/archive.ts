import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isAncestor, updateRef } from './refs.js';
import { resolveCommit } from './repo.js';
import { gitOutput, runGit } from './run-git.js';

const ARCHIVE_ROOT = 'refs/pw/archive/';

/** Where every archived worker tip lives: `refs/pw/archive/` (DESIGN.md section 2). */
export function isArchiveRef(ref: string): boolean {
  return ref.startsWith(ARCHIVE_ROOT);
}

/** The prefix of a plan's archive refs: `refs/pw/archive/<plan>/`. */
export function archivePrefix(plan: string): string {
  return `${ARCHIVE_ROOT}${plan}/`;
}

export function archiveRef(plan: string, worker: string): string {
  return `${archivePrefix(plan)}${worker}`;
}

export function wipRef(plan: string, worker: string): string {
  return `refs/pw/wip/${plan}/${worker}`;
}

/**
 * Points `ref` at `commit` without ever dropping what it held: when the old
 * value is not contained in the new one, it is kept as `<ref>@<sha7>` first.
 */
export async function keepRef(
  cwd: string,
  ref: string,
  commit: string,
  message: string,
): Promise<string | null> {
  const old = await resolveCommit(cwd, ref);
  let kept: string | null = null;
  if (old && old !== commit && !(await isAncestor(cwd, old, commit))) {
    kept = `${ref}@${old.slice(0, 7)}`;
    await updateRef(cwd, kept, old, { message });
  }
  await updateRef(cwd, ref, commit, {
    message,
    ...(old ? { expected: old } : { expected: '0'.repeat(40) }),
  });
  return kept;
}

/** Archives a worker tip under refs/pw/archive/<plan>/<worker>, unless the archive already holds it. */
export async function archiveTip(
  cwd: string,
  plan: string,
  worker: string,
  commit: string,
): Promise<string> {
  const ref = archiveRef(plan, worker);
  // An archive never moves back: a local branch behind the hub's copy that
  // integrate archived is already in it (teardown after integrating the hub's tips).
  const old = await resolveCommit(cwd, ref);
  if (old && old !== commit && (await isAncestor(cwd, commit, old))) return ref;
  await keepRef(cwd, ref, commit, `pw archive ${plan}/${worker}`);
  return ref;
}

/**
 * Records a worktree's uncommitted state (tracked changes and untracked files)
 * as a commit on top of HEAD, without touching its index or files, and keeps
 * it under refs/pw/wip/<plan>/<worker>.
 */
export async function archiveUncommitted(
  worktree: string,
  plan: string,
  worker: string,
  scratchDir: string,
  keeper = 'teardown',
): Promise<{ ref: string; commit: string }> {
  const index = join(scratchDir, `pw-wip-index-${process.pid}-${worker}`);
  const env = { GIT_INDEX_FILE: index };
  try {
    await runGit(['read-tree', 'HEAD'], { cwd: worktree, env });
    await runGit(['add', '-A', '--', ':/'], { cwd: worktree, env });
    const tree = await gitOutput(['write-tree'], { cwd: worktree, env });
    const commit = await gitOutput(
      [
        'commit-tree',
        tree,
        '-p',
        'HEAD',
        '-m',
        `pw: uncommitted changes of ${worker} (${plan}), kept by ${keeper}`,
      ],
      { cwd: worktree },
    );
    const ref = wipRef(plan, worker);
    await keepRef(worktree, ref, commit, `pw wip ${plan}/${worker}`);
    return { ref, commit };
  } finally {
    await rm(index, { force: true });
  }
}
