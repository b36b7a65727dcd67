import type { CompiledPlan } from '../domain/plan/plan.js';
import { runGit } from './run-git.js';

/** One path a commit changed, with its line counts (null for a binary file). */
export interface FileStat {
  path: string;
  added: number | null;
  deleted: number | null;
}

const RECORD = '\x1e';

/**
 * Parses `git log -z --numstat --format=%x1e%H`: each record is the separator,
 * the SHA and a NUL, then `<added>\t<deleted>\t<path>` entries, each ending in
 * NUL (the first after a newline). Binary files show `-` for both counts. Pure.
 */
export function parseNumstatLog(output: string): Map<string, FileStat[]> {
  const stats = new Map<string, FileStat[]>();
  for (const record of output.split(RECORD)) {
    if (!record) continue;
    const [sha, ...entries] = record.split('\0');
    if (!sha) continue;
    const files: FileStat[] = [];
    for (const raw of entries) {
      const entry = raw.replace(/^\n/, '');
      const match = /^(\d+|-)\t(\d+|-)\t([\s\S]+)$/.exec(entry);
      if (!match) continue;
      files.push({
        path: match[3]!,
        added: match[1] === '-' ? null : Number(match[1]),
        deleted: match[2] === '-' ? null : Number(match[2]),
      });
    }
    stats.set(sha.trim(), files);
  }
  return stats;
}

/**
 * The paths and line counts of every commit on the workers' own lines of
 * history, in ONE `git log`. Merge commits show nothing (`--diff-merges=off`):
 * what a worker merged in (the base, a provider's branch) is not its own
 * change. `--no-renames` so a rename counts as the two paths it touches.
 */
export async function readCommitFileStats(
  cwd: string,
  plan: Pick<CompiledPlan, 'baseCommit'>,
  tips: ReadonlyMap<string, { ref: string; sha: string }>,
): Promise<Map<string, FileStat[]>> {
  if (tips.size === 0) return new Map();
  const { stdout } = await runGit(
    [
      'log',
      '-z',
      '--first-parent',
      '--diff-merges=off',
      '--no-renames',
      '--numstat',
      '--format=%x1e%H',
      ...new Set([...tips.values()].map((tip) => tip.sha)),
      '--not',
      plan.baseCommit,
      '--',
    ],
    { cwd },
  );
  return parseNumstatLog(stdout);
}
