import { runGit, splitNul } from './run-git.js';

/**
 * Paths that differ between two commits (`git diff --name-only -z`), limited to
 * `paths` when given. `from...to` compares `to` with its merge base with `from`.
 */
export async function listChangedPaths(
  cwd: string,
  range: { from: string; to: string; symmetric?: boolean },
  paths: readonly string[] = [],
): Promise<string[]> {
  const spec = range.symmetric ? [`${range.from}...${range.to}`] : [range.from, range.to];
  const { stdout } = await runGit(
    [
      'diff',
      '--name-only',
      '-z',
      '--no-renames',
      '--no-color',
      '--no-relative',
      ...spec,
      '--',
      ...paths.map((path) => `:(top,literal)${path}`),
    ],
    { cwd },
  );
  return splitNul(stdout);
}
