import { runGit } from './run-git.js';

/**
 * Which of `refs` point at commits reachable from `into`, in one git call
 * (`for-each-ref --merged`): the refs whose work `into` already holds.
 */
export async function listMergedRefs(
  cwd: string,
  into: string,
  refs: readonly string[],
): Promise<Set<string>> {
  if (refs.length === 0) return new Set();
  const { stdout } = await runGit(
    ['for-each-ref', `--merged=${into}`, '--format=%(refname)', '--', ...refs],
    { cwd },
  );
  return new Set(stdout.split('\n').filter((name) => refs.includes(name)));
}
