import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isAncestor, readBranchTip } from '../refs.js';
import { runGit } from '../run-git.js';
import { readGitDir } from '../worktree-signature.js';

export type ProviderMerge =
  { kind: 'up-to-date' } | { kind: 'merged'; commit: string } | { kind: 'failed'; message: string };

/**
 * Merges a provider's COMPLETE tip into a worker's branch, inside the
 * worker's worktree, so its agent starts from the code it depends on. Always
 * a merge commit (`--no-ff`): a fast-forward would make the worker's branch
 * the provider's, COMPLETE and all. pw writes this merge and its message
 * itself, so the pre-merge-commit and commit-msg hooks, each a Node process
 * on a merge that brings in another worker's files (about a second apiece on
 * a 2-core machine), are skipped (`--no-verify`); the reference-transaction
 * hook, which --no-verify cannot skip, still judges the branch move as it
 * judges any merge of a provider. Git refuses rather than
 * overwrite an uncommitted change or an untracked file; a conflicted merge is
 * aborted, which restores the worktree as it was.
 */
export async function mergeProviderTip(
  worktree: string,
  provider: { id: string; branch: string; sha: string },
  into: { branch: string; commonDir: string },
  env: NodeJS.ProcessEnv,
): Promise<ProviderMerge> {
  if (await isAncestor(worktree, provider.sha, 'HEAD')) return { kind: 'up-to-date' };
  const result = await runGit(
    [
      // No automatic maintenance run of its own: the agent's next commit starts one if due.
      '-c',
      'maintenance.auto=false',
      'merge',
      '--no-ff',
      '--no-edit',
      '--no-verify',
      '-m',
      `Merge branch '${provider.branch}' into ${into.branch}`,
      '-m',
      `pw run: ${provider.id} is COMPLETE at ${provider.sha}; its work is merged before this worker starts.`,
      provider.sha,
    ],
    // 1: conflicts; 2: git refused before merging (an untracked or changed file in the way).
    // In its own process group: a Ctrl-C in the terminal does not cut the merge short (pw run
    // waits for it, then stops).
    { cwd: worktree, env, okExitCodes: [1, 2, 128], detached: true },
  );
  if (result.exitCode === 0) return { kind: 'merged', commit: await mergedCommit(worktree, into) };
  // Only a conflict (exit 1) leaves this merge half done. Git refuses (128) to start a merge
  // where one is in progress already: that one is someone's, and is left alone.
  if (result.exitCode === 1 && (await readRefCommit(worktree, 'MERGE_HEAD')) !== null)
    await runGit(['merge', '--abort'], { cwd: worktree, env, okExitCodes: [128], detached: true });
  return {
    kind: 'failed',
    message: `${result.stdout}${result.stderr}`.trim().split('\n').slice(-6).join('\n'),
  };
}

/**
 * The commit a merge in `worktree` made: its branch's tip, read from the ref
 * file with no git process, while the worktree is on that branch (as pw
 * leaves it); else (HEAD detached, or on another branch) HEAD, asked of git.
 */
async function mergedCommit(
  worktree: string,
  into: { branch: string; commonDir: string },
): Promise<string> {
  const gitDir = readGitDir(worktree);
  const symbolic =
    gitDir === null ? null : await readFile(join(gitDir, 'HEAD'), 'utf8').catch(() => null);
  if (symbolic?.trim() === `ref: refs/heads/${into.branch}`) {
    const tip = await readBranchTip(into.commonDir, worktree, into.branch);
    if (tip !== null) return tip;
  }
  const head = await readRefCommit(worktree, 'HEAD');
  if (head === null) throw new Error(`git merged in ${worktree}, but its HEAD names no commit`);
  return head;
}

/** The commit a ref points at, or null. */
export async function readRefCommit(cwd: string, ref: string): Promise<string | null> {
  const result = await runGit(['rev-parse', '-q', '--verify', `${ref}^{commit}`], {
    cwd,
    okExitCodes: [1, 128],
  });
  return result.exitCode === 0 ? result.stdout.trim() : null;
}
