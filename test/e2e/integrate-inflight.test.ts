import { spawn } from 'node:child_process';
import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPlanFixture, type PlanFixture } from '../helpers/integrate-fixture.js';
import { builtBin } from '../helpers/temp-repo.js';

// The publishing git (`merge --ff-only` in the worktree that has the target
// checked out) runs in its own process group, so a kill of pw's group does
// not cut it short. Right after such a kill it is still running: the files
// and index of the main worktree are (partly) updated, the branch not yet.
// A user's hook that sleeps while the branch update is prepared holds it
// exactly there, so the test does not depend on timing.

let fixture: PlanFixture | null = null;
afterEach(() => {
  fixture?.cleanup();
  fixture = null;
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, test: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function setup(): { f: PlanFixture; marker: string } {
  const f = createPlanFixture({
    workers: [
      { id: 'a', owns: ['/a/'] },
      { id: 'b', owns: ['/b/'] },
    ],
    files: { 'a/file.txt': 'a v1\n', 'b/file.txt': 'b v1\n' },
  });
  fixture = f;
  f.commit('a', '[COMPLETE] a done', { 'a/file.txt': 'a v2\n', 'a/new.txt': 'a new\n' });
  f.commit('b', '[COMPLETE] b done', { 'b/file.txt': 'b v2\n' });
  // The repository's own hook, which pw's main hook chains to.
  const marker = join(f.repo.root, 'publishing');
  const hook = join(f.repo.dir, '.git', 'hooks', 'reference-transaction');
  f.repo.write(
    '.git/hooks/reference-transaction',
    [
      '#!/bin/sh',
      `if [ "$1" = prepared ] && grep -q ' refs/heads/main$'; then`,
      `  : > '${marker}'`,
      '  sleep 2',
      'fi',
      'exit 0',
      '',
    ].join('\n'),
  );
  chmodSync(hook, 0o755);
  return { f, marker };
}

/** Starts pw integrate in its own process group and kills the group once `marker` appears. */
async function killWhilePublishing(f: PlanFixture, marker: string): Promise<void> {
  const child = spawn(process.execPath, [builtBin, 'integrate', '--no-verify'], {
    cwd: f.repo.dir,
    env: f.repo.env,
    stdio: 'ignore',
    detached: true,
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await until('the publishing git to reach the hook', () => existsSync(marker));
  process.kill(-child.pid!, 'SIGKILL');
  await exited;
}

describe('pw integrate after a kill while the publishing git still runs', () => {
  it('waits for that git, says so, and then finds the work published', async () => {
    const { f, marker } = setup();
    const orig = f.repo.git(['rev-parse', 'main']);
    await killWhilePublishing(f, marker);
    // The kill landed mid-publish: the worktree is updated, main not yet.
    expect(f.repo.git(['rev-parse', 'main'])).toBe(orig);

    const rerun = f.pwJson(['integrate', '--no-verify']);
    // The killed run's repository lock names a process that is gone: taken over, and said so.
    expect(rerun.stderr).toMatch(
      /^pw: took over the repository lock from pw integrate \(pid \d+, since \S+\): that process is gone\.\n$/,
    );
    expect(rerun.status).toBe(0);
    expect(rerun.json.outcome).toBe('nothing-to-integrate');
    expect(rerun.json.notes.join('\n')).toMatch(
      /waited [\d.]+ s for git merge --ff-only .* \(pid \d+\), left running by an interrupted pw integrate/,
    );
    expect(f.repo.git(['rev-parse', 'main'])).not.toBe(orig);
    expect(f.repo.git(['status', '--porcelain', '--untracked-files=all'])).toBe('');
    expect(f.repo.git(['show', 'main:a/new.txt'])).toBe('a new');
    expect(f.repo.git(['for-each-ref', '--format=%(refname)', 'refs/pw/archive/'])).toBe(
      'refs/pw/archive/feat/a\nrefs/pw/archive/feat/b',
    );
  });

  it('the human output says what it waited for', async () => {
    const { f, marker } = setup();
    await killWhilePublishing(f, marker);
    const rerun = f.repo.pw(['integrate', '--no-verify']);
    expect(rerun.status).toBe(0);
    expect(rerun.stdout).toMatch(
      /^Waiting for git merge --ff-only .* \(pid \d+\) to finish: an interrupted pw integrate left it running\.$/m,
    );
    expect(rerun.stdout).toMatch(/^ {2}note: waited [\d.]+ s for git merge --ff-only/m);
    expect(rerun.stdout).toContain('Nothing to integrate');
  });
});
