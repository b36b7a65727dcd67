import { runGit } from './run-git.js';

const FIELD = '\x1f';

/** Parses `git log -z --format=%H%x1f%B`. Pure. */
export function parseCommitMessages(output: string): { sha: string; message: string }[] {
  const out: { sha: string; message: string }[] = [];
  for (const record of output.split('\0')) {
    const cut = record.indexOf(FIELD);
    if (cut === -1) continue;
    out.push({ sha: record.slice(0, cut).trim(), message: record.slice(cut + 1) });
  }
  return out;
}

/** Full messages of the commits reachable from `tip` but not from `exclude`, newest first. */
export async function readCommitMessages(
  cwd: string,
  tip: string,
  exclude: string,
): Promise<{ sha: string; message: string }[]> {
  const { stdout } = await runGit(
    ['log', '-z', `--format=%H${FIELD}%B`, tip, '--not', exclude, '--'],
    {
      cwd,
    },
  );
  return parseCommitMessages(stdout);
}
