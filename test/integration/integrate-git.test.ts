import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { publishResult } from '../../src/commands/integrate/publish.js';
import { archiveTips } from '../../src/git/archive-tips.js';
import { commitTree, treeOf } from '../../src/git/commit-tree.js';
import { mergeTree } from '../../src/git/merge-tree.js';
import { updateRefs } from '../../src/git/ref-transaction.js';
import { readWorktreeTree } from '../../src/git/scratch-worktree.js';
import { createTempRepo, type TempRepo } from '../helpers/temp-repo.js';

let repo: TempRepo;
let base: string;

beforeEach(() => {
  repo = createTempRepo({
    files: { 'a.txt': 'one\ntwo\nthree\n', 'b.txt': 'b\n', 'c.txt': 'c\n' },
  });
  base = repo.git(['rev-parse', 'HEAD']);
  // runGit inherits the process environment: make it as hermetic as the repo's own.
  for (const [key, value] of Object.entries(repo.env))
    if (value !== undefined) vi.stubEnv(key, value);
});
afterEach(() => {
  vi.unstubAllEnvs();
  repo.cleanup();
});

/** A branch off `from` with these files changed (null deletes). */
function branch(name: string, from: string, files: Record<string, string | null>): string {
  repo.git(['checkout', '-q', '-b', name, from]);
  for (const [path, content] of Object.entries(files)) {
    if (content === null) repo.git(['rm', '-q', path]);
    else repo.write(path, content);
  }
  const sha = repo.commitAll(`change ${name}`);
  repo.git(['checkout', '-q', '--detach', base]);
  return sha;
}

describe('mergeTree (git merge-tree --write-tree)', () => {
  it('merges disjoint changes cleanly and writes the tree, touching no ref or index', () => {
    const x = branch('x', base, { 'a.txt': 'one\nTWO\nthree\n' });
    const y = branch('y', base, { 'b.txt': 'B\n' });
    const refs = repo.git(['for-each-ref']);
    return mergeTree(repo.dir, x, y).then(async (result) => {
      expect(result).toMatchObject({ clean: true, conflictedPaths: [] });
      expect(repo.git(['show', `${result.tree}:a.txt`])).toBe('one\nTWO\nthree');
      expect(repo.git(['show', `${result.tree}:b.txt`])).toBe('B');
      expect(repo.git(['for-each-ref'])).toBe(refs);
      expect(repo.git(['status', '--porcelain'])).toBe('');
    });
  });

  it('reports a content conflict with the path and git message (exit status 1)', async () => {
    const x = branch('x', base, { 'a.txt': 'one\nX\nthree\n' });
    const y = branch('y', base, { 'a.txt': 'one\nY\nthree\n' });
    const result = await mergeTree(repo.dir, x, y);
    expect(result.clean).toBe(false);
    expect(result.conflictedPaths).toEqual(['a.txt']);
    expect(result.messages.map((m) => m.type)).toContain('CONFLICT (contents)');
    expect(repo.git(['show', `${result.tree}:a.txt`])).toContain('<<<<<<<');
  });

  it('reports a modify/delete conflict', async () => {
    const x = branch('x', base, { 'c.txt': null });
    const y = branch('y', base, { 'c.txt': 'changed\n' });
    const result = await mergeTree(repo.dir, x, y);
    expect(result.clean).toBe(false);
    expect(result.conflictedPaths).toEqual(['c.txt']);
    expect(result.messages[0]!.text).toMatch(
      /CONFLICT \(modify\/delete\): c\.txt deleted in .* and modified in/,
    );
  });

  it('commitTree records a tree with parents and message, and treeOf reads it back', async () => {
    const x = branch('x', base, { 'b.txt': 'B\n' });
    const { tree } = await mergeTree(repo.dir, base, x);
    const commit = await commitTree(repo.dir, tree, [base, x], 'Merge x\n\nPw-Worker: x\n');
    expect(repo.git(['log', '-1', '--format=%P%n%B', commit]).trimEnd()).toBe(
      `${base} ${x}\nMerge x\n\nPw-Worker: x`,
    );
    expect(await treeOf(repo.dir, commit)).toBe(tree);
  });
});

describe('publishResult', () => {
  it('moves a target nobody has checked out with a compare-and-swap, with the other refs in the same transaction', async () => {
    const x = branch('x', base, { 'b.txt': 'B\n' });
    repo.git(['branch', 'release', base]);
    const outcome = await publishResult(repo.dir, 'release', base, x, [
      { ref: 'refs/pw/p/archive', to: x },
    ]);
    expect(outcome).toEqual({ ok: true, method: 'update-ref', worktree: null });
    expect(repo.git(['rev-parse', 'release', 'refs/pw/p/archive'])).toBe(`${x}\n${x}`);
  });

  it('refuses, writing nothing, when the target moved', async () => {
    const x = branch('x', base, { 'b.txt': 'B\n' });
    const y = branch('y', base, { 'c.txt': 'C\n' });
    repo.git(['branch', 'release', y]);
    const outcome = await publishResult(repo.dir, 'release', base, x, [
      { ref: 'refs/pw/p/archive', to: x },
    ]);
    expect(outcome).toEqual({ ok: false, reason: 'moved', current: y });
    expect(repo.git(['rev-parse', 'release'])).toBe(y);
    expect(repo.gitResult(['rev-parse', '-q', '--verify', 'refs/pw/p/archive']).status).toBe(1);
  });

  it('creates a target that does not exist (expected: none)', async () => {
    const x = branch('x', base, { 'b.txt': 'B\n' });
    expect(await publishResult(repo.dir, 'new/target', null, x, [])).toMatchObject({ ok: true });
    expect(repo.git(['rev-parse', 'new/target'])).toBe(x);
    // ...and refuses when it appeared meanwhile.
    expect(await publishResult(repo.dir, 'new/target', null, base, [])).toMatchObject({
      ok: false,
      reason: 'moved',
    });
  });

  it('fast-forwards a checked-out target in its worktree, keeping unrelated local changes', async () => {
    const x = branch('x', base, { 'b.txt': 'B\n' });
    repo.git(['checkout', '-q', '-B', 'main', base]);
    repo.write('c.txt', 'my edit\n');
    const outcome = await publishResult(repo.dir, 'main', base, x, []);
    expect(outcome).toEqual({ ok: true, method: 'merge --ff-only', worktree: repo.dir });
    expect(repo.git(['rev-parse', 'HEAD'])).toBe(x);
    expect(repo.git(['status', '--porcelain'])).toBe(' M c.txt');
  });

  it('refuses, naming the paths, when the checked-out target has changes the update would overwrite', async () => {
    const x = branch('x', base, { 'b.txt': 'B\n', 'new.txt': 'new\n' });
    repo.git(['checkout', '-q', '-B', 'main', base]);
    repo.write('b.txt', 'mine\n');
    repo.write('new.txt', 'untracked but in the way\n');
    const outcome = await publishResult(repo.dir, 'main', base, x, []);
    expect(outcome).toEqual({
      ok: false,
      reason: 'dirty',
      worktree: repo.dir,
      paths: ['b.txt', 'new.txt'],
    });
    expect(repo.git(['rev-parse', 'HEAD'])).toBe(base);
  });
});

describe('archives and ref transactions', () => {
  it('archives tips, keeping an older archive the new tip does not contain', async () => {
    const x = branch('x', base, { 'b.txt': 'B\n' });
    const y = branch('y', base, { 'c.txt': 'C\n' });
    const first = await archiveTips(repo.dir, 'p', [{ worker: 'w', tip: x }], 'test');
    expect(first).toEqual([
      { worker: 'w', ref: 'refs/pw/archive/p/w', tip: x, kept: null, changed: true },
    ]);
    const again = await archiveTips(repo.dir, 'p', [{ worker: 'w', tip: x }], 'test');
    expect(again[0]!.changed).toBe(false);
    const moved = await archiveTips(repo.dir, 'p', [{ worker: 'w', tip: y }], 'test');
    expect(moved[0]!.kept).toBe(`refs/pw/archive/p/w@${x.slice(0, 7)}`);
    expect(repo.git(['rev-parse', 'refs/pw/archive/p/w', moved[0]!.kept!])).toBe(`${y}\n${x}`);
  });

  it('applies a ref transaction all or nothing', async () => {
    const x = branch('x', base, { 'b.txt': 'B\n' });
    await expect(
      updateRefs(
        repo.dir,
        [
          { ref: 'refs/pw/a', to: x },
          { ref: 'refs/heads/main', to: x, expected: x },
        ],
        'test',
      ),
    ).rejects.toThrow(/cannot lock ref/);
    expect(repo.gitResult(['rev-parse', '-q', '--verify', 'refs/pw/a']).status).toBe(1);
  });

  it('readWorktreeTree sees uncommitted and untracked files without touching the index', async () => {
    const clean = await readWorktreeTree(repo.dir, join(repo.dir, '.git'));
    expect(clean).toBe(repo.git(['rev-parse', 'HEAD^{tree}']));
    repo.write('untracked.txt', 'u\n');
    const dirty = await readWorktreeTree(repo.dir, join(repo.dir, '.git'));
    expect(dirty).not.toBe(clean);
    expect(repo.git(['show', `${dirty}:untracked.txt`])).toBe('u');
    expect(repo.git(['status', '--porcelain'])).toBe('?? untracked.txt');
  });
});
