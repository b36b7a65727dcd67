import { listHubBranches, NETWORK_ENV } from './hub-remote.js';
import { runGit, type GitResult } from './run-git.js';

/**
 * A branch's commit on a remote (a name, URL or path), or null when the
 * remote has no such branch: one `git ls-remote`, no objects fetched.
 */
export async function readRemoteBranch(
  cwd: string,
  remote: string,
  branch: string,
): Promise<string | null> {
  return (await listHubBranches(cwd, remote, [branch])).get(`refs/heads/${branch}`) ?? null;
}

export type PushOutcome = { ok: true } | { ok: false; message: string };

/**
 * Sets `branch` on `remote` to `commit` only if it is still at `expected`
 * (null: only if it does not exist), with `--force-with-lease=<ref>:<expected>`
 * (git-push(1): an empty expected value means the ref must not exist yet).
 * A refusal (someone moved it) is an answer, not an error.
 */
export async function pushBranchWithLease(
  cwd: string,
  remote: string,
  branch: string,
  commit: string,
  expected: string | null,
): Promise<PushOutcome> {
  const ref = `refs/heads/${branch}`;
  const result = await runGit(
    [
      'push',
      '--porcelain',
      `--force-with-lease=${ref}:${expected ?? ''}`,
      '--end-of-options',
      remote,
      `${commit}:${ref}`,
    ],
    { cwd, env: NETWORK_ENV, okExitCodes: [1] },
  );
  return pushOutcome(result);
}

/**
 * Pushes `commit` to `branch` on `remote`, fast-forward only (no force: a
 * branch someone else moved on the remote is refused, and said so).
 */
export async function pushBranch(
  cwd: string,
  remote: string,
  branch: string,
  commit: string,
): Promise<PushOutcome> {
  const result = await runGit(
    ['push', '--porcelain', '--end-of-options', remote, `${commit}:refs/heads/${branch}`],
    { cwd, env: NETWORK_ENV, okExitCodes: [1, 128] },
  );
  return pushOutcome(result);
}

/** A push's outcome: ok, or git's reasons (`--porcelain` lines without the `To` and `Done` framing). */
function pushOutcome(result: GitResult): PushOutcome {
  if (result.exitCode === 0) return { ok: true };
  const lines = `${result.stdout}\n${result.stderr}`
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && l !== 'Done' && !l.startsWith('To '));
  return { ok: false, message: lines.join('\n') };
}
