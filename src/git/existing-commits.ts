import { runGit } from './run-git.js';

/** The subset of `shas` that name commits in the object database (one `cat-file --batch-check`). */
export async function filterExistingCommits(
  cwd: string,
  shas: readonly string[],
): Promise<string[]> {
  if (shas.length === 0) return [];
  const { stdout } = await runGit(['cat-file', '--batch-check=%(objectname) %(objecttype)'], {
    cwd,
    input: `${shas.join('\n')}\n`,
  });
  const found = new Set(
    stdout
      .split('\n')
      .filter((line) => line.endsWith(' commit'))
      .map((line) => line.split(' ', 1)[0]!),
  );
  return shas.filter((sha) => found.has(sha));
}
