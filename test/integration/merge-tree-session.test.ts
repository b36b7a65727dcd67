import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { commitTree } from '../../src/git/commit-tree.js';
import {
  mergeTree,
  openMergeTreeSession,
  type MergeTreeResult,
  type SessionMerge,
} from '../../src/git/merge-tree.js';
import { createTempRepo, type TempRepo } from '../helpers/temp-repo.js';

// openMergeTreeSession merges a chain through one `git merge-tree --stdin`; each
// merge must give exactly what one `git merge-tree` per merge gives, also when
// the session gives up waiting (waitMs 0) or cannot run at all.

let repo: TempRepo;
let base: string;

beforeEach(() => {
  repo = createTempRepo({
    files: { 'a.txt': '1\n2\n3\n4\n5\n6\n7\n', 'b.txt': 'b\n', 'c.txt': 'c\n', 'd/e.txt': 'e\n' },
  });
  base = repo.git(['rev-parse', 'HEAD']);
  for (const [key, value] of Object.entries(repo.env))
    if (value !== undefined) vi.stubEnv(key, value);
  // The chain's merge commits are recorded twice and compared: a conflict's markers name
  // the merge commit, whose id would differ if the two chains were written a second apart.
  vi.stubEnv('GIT_AUTHOR_DATE', '2030-01-01T00:00:00Z');
  vi.stubEnv('GIT_COMMITTER_DATE', '2030-01-01T00:00:00Z');
});
afterEach(() => {
  vi.unstubAllEnvs();
  repo.cleanup();
});

function branch(name: string, files: Record<string, string | null>): string {
  repo.git(['checkout', '-q', '-b', name, base]);
  for (const [path, content] of Object.entries(files)) {
    if (content === null) repo.git(['rm', '-q', path]);
    else repo.write(path, content);
  }
  const sha = repo.commitAll(`change ${name}`);
  repo.git(['checkout', '-q', '--detach', base]);
  return sha;
}

const asSession = (result: MergeTreeResult): SessionMerge =>
  result.clean ? { clean: true, tree: result.tree } : { clean: false, result };

/**
 * Merges `tips` one after another onto `base` as integrate does (each result
 * recorded as a merge commit), through `merge`; stops at the first conflict.
 */
async function chain(
  tips: string[],
  merge: (ours: string, theirs: string) => Promise<SessionMerge>,
): Promise<SessionMerge[]> {
  const answers: SessionMerge[] = [];
  let onto = base;
  for (const tip of tips) {
    const answer = await merge(onto, tip);
    answers.push(answer);
    if (!answer.clean) break;
    onto = await commitTree(repo.dir, answer.tree, [onto, tip], `merge ${tip}\n`);
  }
  return answers;
}

describe('openMergeTreeSession', () => {
  it('gives what one merge-tree per merge gives: a clean chain, auto-merges, then a conflict', async () => {
    const tips = [
      branch('one', { 'a.txt': 'ONE\n2\n3\n4\n5\n6\n7\n' }),
      branch('two', { 'a.txt': '1\n2\n3\n4\n5\n6\nSEVEN\n', 'b.txt': 'B\n' }),
      branch('three', { 'c.txt': null, 'd/new.txt': 'new\n' }),
      branch('four', { 'a.txt': '1\n2\n3\nFOUR\n5\n6\n7\n' }),
      branch('five', { 'b.txt': 'conflicting\n' }),
      branch('six', { 'c.txt': 'never merged\n' }),
    ];
    const expected = await chain(tips, async (ours, theirs) =>
      asSession(await mergeTree(repo.dir, ours, theirs)),
    );
    expect(expected.map((a) => a.clean)).toEqual([true, true, true, true, false]);
    const conflict = expected.at(-1) as { clean: false; result: MergeTreeResult };
    expect(conflict.result.conflictedPaths).toEqual(['b.txt']);
    expect(conflict.result.messages.length).toBeGreaterThan(0);

    for (const waitMs of [undefined, 0]) {
      const trace = join(repo.root, `trace-${waitMs ?? 'default'}.json`);
      vi.stubEnv('GIT_TRACE2_EVENT', trace);
      const session = openMergeTreeSession(repo.dir, waitMs === undefined ? {} : { waitMs });
      try {
        expect(await chain(tips, (ours, theirs) => session.merge(ours, theirs))).toEqual(expected);
      } finally {
        await session.close();
        vi.stubEnv('GIT_TRACE2_EVENT', '');
      }
      // git's own trace of the processes it started: one merge-tree for the five merges,
      // unless the session gave up waiting and merged the rest one by one.
      const starts = readFileSync(trace, 'utf8')
        .split('\n')
        .filter((line) => line.includes('"event":"start"') && line.includes('"merge-tree"'));
      expect(starts.length).toBe(waitMs === undefined ? 1 : 5);
    }
  });

  it('a merge the session cannot make fails as merge-tree alone fails', async () => {
    const tip = branch('one', { 'a.txt': 'ONE\n2\n3\n4\n5\n6\n7\n' });
    const session = openMergeTreeSession(repo.dir);
    try {
      expect(await session.merge(base, tip)).toEqual(
        asSession(await mergeTree(repo.dir, base, tip)),
      );
      const missing = 'f'.repeat(40);
      const alone = await mergeTree(repo.dir, base, missing).then(
        () => null,
        (error: Error) => error,
      );
      expect(alone).toBeInstanceOf(Error);
      await expect(session.merge(base, missing)).rejects.toThrow(alone!.message);
      // The merges after it still work.
      expect(await session.merge(base, tip)).toEqual(
        asSession(await mergeTree(repo.dir, base, tip)),
      );
    } finally {
      await session.close();
    }
  });

  it('closes without a merge, and twice', async () => {
    const session = openMergeTreeSession(repo.dir);
    await session.close();
    await session.close();
  });
});
