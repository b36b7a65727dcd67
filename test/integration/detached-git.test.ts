import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FailedError } from '../../src/errors.js';
import { runGit, type DetachedGitWatch } from '../../src/git/run-git.js';
import { recordDetachedGit, waitForDetachedGit } from '../../src/store/detached-git.js';
import { integratePaths } from '../../src/store/integrate-state.js';

// The records integrate keeps of its detached gits, and the wait of the next
// run, with real processes: a git that is still running, one that has ended,
// and a pid that is alive but no git of this run.

let dir: string;
const running = (): string => integratePaths(dir, 'p').running;

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function setup(): void {
  dir = mkdtempSync(join(tmpdir(), 'pw-detached-'));
}

/** A git that runs for `seconds` (an alias that sleeps), in `cwd`. */
function slowGit(cwd: string, seconds: number) {
  const child = spawn('git', ['-c', `alias.nap=!sleep ${seconds}`, 'nap'], {
    cwd,
    stdio: 'ignore',
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: dir },
  });
  return { pid: child.pid!, exited: new Promise<void>((r) => child.on('exit', () => r())) };
}

function record(pid: number, cwd: string): void {
  mkdirSync(running(), { recursive: true });
  writeFileSync(
    join(running(), `${pid}.json`),
    JSON.stringify({ pid, args: ['merge', '--ff-only', 'a'.repeat(40)], cwd, since: '' }),
  );
}

describe('detached git records', () => {
  it('runGit records a detached git while it runs and drops the record when it ends', async () => {
    setup();
    const seen: string[][] = [];
    const records = recordDetachedGit(dir, 'p');
    const watch: DetachedGitWatch = {
      started(git) {
        records.started(git);
        seen.push(readdirSync(running()));
      },
      ended: (pid) => records.ended(pid),
    };
    await runGit(['--version'], { cwd: dir, detached: true, watch });
    // The watch is per call: a call without it, or not detached, is not recorded.
    await runGit(['--version'], { cwd: dir, detached: true });
    await runGit(['--version'], { cwd: dir, watch });
    expect(seen).toHaveLength(1);
    expect(seen[0]![0]).toMatch(/^\d+\.json$/);
    expect(readdirSync(running())).toEqual([]);
  });

  it('waits for a recorded git that still runs, and says which', async () => {
    setup();
    const git = slowGit(dir, 1);
    record(git.pid, dir);
    const told: number[] = [];
    const waited = await waitForDetachedGit(dir, 'p', {
      clean: true,
      onWait: (r) => told.push(...r.map((x) => x.pid)),
    });
    expect(told).toEqual([git.pid]);
    expect(waited!.waitedFor.map((r) => r.pid)).toEqual([git.pid]);
    expect(waited!.waitedMs).toBeGreaterThan(0);
    await git.exited;
    // The ended git's record is cleaned by the lock holder's wait.
    expect(readdirSync(running())).toEqual([]);
  });

  it('does not wait for a pid that is gone, not git, or a git working elsewhere', async () => {
    setup();
    const ended = slowGit(dir, 0);
    await ended.exited;
    record(ended.pid, dir);
    // Alive, but node (this test), not git: a reused pid.
    record(process.pid, dir);
    const elsewhere = slowGit(tmpdir(), 2);
    record(elsewhere.pid, dir);
    try {
      expect(await waitForDetachedGit(dir, 'p', { clean: false })).toBeNull();
      // Without clean (a dry run, no lock), the records stay.
      expect(readdirSync(running())).toHaveLength(3);
      expect(await waitForDetachedGit(dir, 'p', { clean: true })).toBeNull();
      expect(existsSync(running()) && readdirSync(running())).toEqual([]);
    } finally {
      process.kill(elsewhere.pid);
    }
  });

  it('gives up after the timeout, naming the git and its pid', async () => {
    setup();
    const git = slowGit(dir, 3);
    record(git.pid, dir);
    try {
      const error = await waitForDetachedGit(dir, 'p', { clean: true, timeoutMs: 200 }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(FailedError);
      expect((error as FailedError).message).toMatch(
        new RegExp(`still running after 0 s: git merge --ff-only a{12} in .* \\(pid ${git.pid}\\)`),
      );
    } finally {
      process.kill(git.pid);
    }
  });
});
