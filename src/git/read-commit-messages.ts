import { logFormat, parseLogRecords } from './log-records.js';
import { runGit } from './run-git.js';

/** Parses `git log -z --format=%H%x1f%B`. Pure. */
export function parseCommitMessages(output: string): { sha: string; message: string }[] {
  return parseLogRecords(output, 2).map(([sha, message]) => ({ sha: sha!, message: message! }));
}

/** Full messages of the commits reachable from `tip` but not from `exclude`, newest first. */
export async function readCommitMessages(
  cwd: string,
  tip: string,
  exclude: string,
): Promise<{ sha: string; message: string }[]> {
  const { stdout } = await runGit(
    ['log', '-z', logFormat(['%H', '%B']), tip, '--not', exclude, '--'],
    {
      cwd,
    },
  );
  return parseCommitMessages(stdout);
}
