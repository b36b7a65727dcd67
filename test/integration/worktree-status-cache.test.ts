import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWorktreesEdits } from '../../src/git/worktree-status.js';
import { createPlanRepo, type PlanRepo } from '../helpers/plan-repo.js';

// pw status keeps each worktree's git status with a signature of the worktree
// taken from the file system (git/worktree-signature.ts), and runs git status
// only where the signature changed. The cache must never make status wrong:
// every kind of edit shows at once.

let repo: PlanRepo;
let api: string;
let web: string;
let log: string;
let savedPath: string | undefined;

/**
 * Stamps newer than two seconds make a signature "racy" (not reused, as git
 * treats racily clean index entries): waiting that long lets the next reads
 * use the cache, which is what these cases are about.
 */
const settle = async (): Promise<void> => {
  await new Promise((done) => setTimeout(done, 2_200));
  await read();
  await read();
};

/** git status runs since the last call (a wrapper on PATH logs every git call). */
function statusRuns(): number {
  const lines = readFileSync(log, 'utf8').split('\n');
  writeFileSync(log, '');
  return lines.filter((line) => / status /.test(` ${line} `)).length;
}

async function read(): Promise<number[]> {
  const edits = await readWorktreesEdits(repo.dir, [api, web], {
    commonDir: repo.commonDir,
    plan: 'demo',
    env: process.env,
  });
  return edits.map((e) => e!.count);
}

beforeAll(async () => {
  repo = createPlanRepo();
  api = repo.wt('api');
  web = repo.wt('web');
  const bin = join(repo.root, 'git-wrapper');
  mkdirSync(bin);
  log = join(repo.root, 'git-calls.log');
  writeFileSync(log, '');
  const git = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  writeFileSync(
    join(bin, 'git'),
    `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec '${git}' "$@"\n`,
  );
  chmodSync(join(bin, 'git'), 0o755);
  savedPath = process.env.PATH;
  process.env.PATH = `${bin}:${savedPath ?? ''}`;
  await settle();
}, 60_000);
afterAll(() => {
  process.env.PATH = savedPath;
  repo.cleanup();
});

describe('the worktree status cache', () => {
  it('runs git status only in worktrees that changed', async () => {
    statusRuns();
    expect(await read()).toEqual([0, 0]);
    expect(statusRuns()).toBe(0);
    repo.write('src/api/new.ts', 'new\n', api);
    expect(await read()).toEqual([1, 0]);
    expect(statusRuns()).toBeGreaterThan(0);
  });

  it('never hides an edit that keeps the size and the modification time (to the second)', async () => {
    await settle();
    const file = join(web, 'src', 'web', 'app.ts');
    const before = statSync(file);
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('1', '2'));
    utimesSync(file, before.atimeMs / 1000, before.mtimeMs / 1000);
    expect(statSync(file).size).toBe(before.size);
    expect(Math.floor(statSync(file).mtimeMs / 1000)).toBe(Math.floor(before.mtimeMs / 1000));
    expect(await read()).toEqual([1, 1]);
  });

  it('never hides a rename, an untracked file in a new folder, or a commit', async () => {
    await settle();
    renameSync(join(api, 'src', 'api', 'routes.ts'), join(api, 'src', 'api', 'moved.ts'));
    expect(await read()).toEqual([3, 1]);
    await settle();
    mkdirSync(join(web, 'notes', 'deep'), { recursive: true });
    writeFileSync(join(web, 'notes', 'deep', 'todo.md'), 'x\n');
    expect(await read()).toEqual([3, 2]);
    await settle();
    repo.git(['add', '-A'], { cwd: web });
    repo.git(['-c', 'core.hooksPath=/dev/null', 'commit', '-q', '-m', '[CHECKPOINT] x'], {
      cwd: web,
    });
    expect(await read()).toEqual([3, 0]);
  });

  it('sees an untracked file in a folder that held only ignored files, and skips ignored folders', async () => {
    writeFileSync(join(web, '.gitignore'), '*.log\nbuild/\n');
    mkdirSync(join(web, 'logs'));
    mkdirSync(join(web, 'build'));
    writeFileSync(join(web, 'logs', 'a.log'), 'x\n');
    writeFileSync(join(web, 'build', 'out.js'), 'x\n');
    await settle();
    expect(await read()).toEqual([3, 1]);
    statusRuns();
    // What happens in an ignored folder cannot show in status: no git status for it.
    writeFileSync(join(web, 'build', 'more.js'), 'x\n');
    expect(await read()).toEqual([3, 1]);
    expect(statusRuns()).toBe(0);
    writeFileSync(join(web, 'logs', 'new.txt'), 'x\n');
    expect(await read()).toEqual([3, 2]);
    // An ignore rule that changes changes what shows.
    writeFileSync(join(web, '.gitignore'), '*.log\n');
    expect(await read()).toEqual([3, 4]);
  });

  it('sees a folder renamed, and a file replaced by a folder of the same name (folders count by name, not stamps)', async () => {
    const gitCount = (cwd: string): number =>
      repo
        .git(['status', '--porcelain', '--untracked-files=all'], { cwd })
        .split('\n')
        .filter(Boolean).length;
    await settle();
    const before = await read();
    renameSync(join(api, 'src', 'api'), join(api, 'src', 'service'));
    const renamed = await read();
    expect(renamed[0]).toBe(gitCount(api));
    expect(renamed[0]).toBeGreaterThan(before[0]!);
    await settle();
    const file = join(web, 'src', 'web', 'app.ts');
    const text = readFileSync(file, 'utf8');
    rmSync(file);
    mkdirSync(file);
    writeFileSync(join(file, 'index.ts'), text);
    const replaced = await read();
    expect(replaced[1]).toBe(gitCount(web));
    expect(replaced[1]).toBeGreaterThan(before[1]!);
  });
});
