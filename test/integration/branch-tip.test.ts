import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readBranchTip } from '../../src/git/refs.js';
import { createTempRepo, type TempRepo } from '../helpers/temp-repo.js';

// readBranchTip reads a loose ref file without starting git, and asks git for
// everything else: each case agrees with `git rev-parse`.

let repo: TempRepo;
afterEach(() => repo.cleanup());

const gitDir = (): string => join(repo.dir, '.git');
const revParse = (ref: string): string => repo.git(['rev-parse', '--verify', ref]).trim();

describe('readBranchTip', () => {
  it('reads a loose branch, one with a slash in its name, and a packed one, as git does', async () => {
    repo = createTempRepo();
    repo.git(['branch', 'pw/demo/api']);
    repo.write('b.txt', 'b\n');
    repo.commitAll('second');
    expect(await readBranchTip(gitDir(), repo.dir, 'main')).toBe(revParse('main'));
    expect(await readBranchTip(gitDir(), repo.dir, 'pw/demo/api')).toBe(revParse('pw/demo/api'));
    repo.git(['pack-refs', '--all']);
    expect(await readBranchTip(gitDir(), repo.dir, 'pw/demo/api')).toBe(revParse('pw/demo/api'));
    expect(await readBranchTip(gitDir(), repo.dir, 'main')).toBe(revParse('main'));
  });

  it('is null for a branch that does not exist, and asks git when the loose file is not an object id', async () => {
    repo = createTempRepo();
    expect(await readBranchTip(gitDir(), repo.dir, 'nothing-here')).toBeNull();
    repo.git(['branch', 'side']);
    repo.git(['pack-refs', '--all']);
    // A symbolic ref where a loose branch would be: git follows it, and so does the fallback.
    writeFileSync(join(gitDir(), 'refs', 'heads', 'side'), 'ref: refs/heads/main\n');
    expect(await readBranchTip(gitDir(), repo.dir, 'side')).toBe(revParse('main'));
  });
});
