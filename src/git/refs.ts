import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveCommit } from './repo.js';
import { gitOutput, runGit } from './run-git.js';

export const ZERO_SHA = '0000000000000000000000000000000000000000';

/** Deletes a branch only if it still points at `expected`. */
export async function deleteRef(cwd: string, ref: string, expected: string): Promise<void> {
  await runGit(['update-ref', '-d', ref, expected], { cwd });
}

/** Points `ref` at `commit`; with `expected`, only if it still holds that value (compare-and-swap). */
export async function updateRef(
  cwd: string,
  ref: string,
  commit: string,
  options: { expected?: string; message?: string } = {},
): Promise<void> {
  const args = ['update-ref', '-m', options.message ?? 'pw', ref, commit];
  if (options.expected !== undefined) args.push(options.expected);
  await runGit(args, { cwd });
}

const FULL_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * The commit a branch points at: from its loose ref file when git keeps one
 * (git reads that first; packed-refs only holds the others), with no process
 * started; else asked of git (a packed ref, a reftable repository). Null
 * when there is no such branch.
 */
export async function readBranchTip(
  commonDir: string,
  cwd: string,
  branch: string,
): Promise<string | null> {
  const loose = await readFile(join(commonDir, 'refs', 'heads', ...branch.split('/')), 'utf8').then(
    (text) => text.trim(),
    () => null,
  );
  if (loose !== null && FULL_ID.test(loose)) return loose;
  return resolveCommit(cwd, `refs/heads/${branch}`);
}

/** True when `ancestor` is reachable from `descendant`. */
export async function isAncestor(
  cwd: string,
  ancestor: string,
  descendant: string,
): Promise<boolean> {
  const result = await runGit(['merge-base', '--is-ancestor', ancestor, descendant], {
    cwd,
    okExitCodes: [1],
  });
  return result.exitCode === 0;
}

/** The trees of the commits on `tip` that `base` lacks (every parent line, merges included). */
export async function readTreesSince(cwd: string, base: string, tip: string): Promise<Set<string>> {
  const range = (await isAncestor(cwd, base, tip)) ? [`${base}..${tip}`] : [tip];
  const out = await gitOutput(['log', '--format=%T', ...range, '--'], { cwd });
  return new Set(out.split('\n').filter(Boolean));
}
