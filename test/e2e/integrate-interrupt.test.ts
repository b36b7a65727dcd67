import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlanFixture, type PlanFixture } from '../helpers/integrate-fixture.js';
import { builtBin } from '../helpers/temp-repo.js';

// Kills `pw integrate` (SIGKILL, no chance to clean up) at random moments of
// its run, many times, and checks after each kill that the target is either
// untouched or fully updated, that no worktree is left broken, and that a
// rerun succeeds. Target main is checked out in the main worktree, so kills
// also land around `merge --ff-only` there; verify runs, so kills land while
// its temporary worktree exists. Every other round kills pw's whole process
// group, the git command running at that moment included (as a Ctrl-C does).
// The publishing git (and scratch worktree checkouts) run in a process group
// of their own, which no kill of pw reaches: they finish after pw is gone, so
// every check first waits until no process the killed run left is running.
//
// The default run replays a fixed list of seeds, so it is the same every time;
// `npm run test:chaos` runs fresh random seeds (PW_INTERRUPT_SEEDS=1,2,3 replays any).
const ROUNDS = Number(process.env.PW_INTERRUPT_ROUNDS ?? 7);
const SEEDS = (process.env.PW_INTERRUPT_SEEDS ?? process.env.PW_INTERRUPT_SEED ?? '20261205,4242')
  .split(',')
  .map((seed) => Number(seed.trim()));
const WORKERS = ['a', 'b', 'c', 'd'];
/** PW_INTERRUPT_GROUP=1: every round kills the process group; 0: never; default: every other round. */
const GROUP = process.env.PW_INTERRUPT_GROUP;

/** A small seeded generator: the kill delays of a failing run can be replayed (PW_INTERRUPT_SEED). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

let f: PlanFixture;
let orig: string;
let expectedTree: string;
let workerHeads: Record<string, string>;
let fullRunMs: number;

function runPw(
  args: string[],
  killAfterMs: number | null,
  killGroup = false,
): Promise<{ code: number | null; signal: string | null; ms: number; output: string }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [builtBin, ...args], {
      cwd: f.repo.dir,
      env: f.repo.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, which a group kill targets (and the test runner's is spared).
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const kill = (): void => {
      if (killGroup) process.kill(-child.pid!, 'SIGKILL');
      else child.kill('SIGKILL');
    };
    const timer = killAfterMs === null ? null : setTimeout(kill, killAfterMs);
    child.on('error', reject);
    // 'exit' after the process is reaped: its pid is free, as a rerun's lock check expects.
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, ms: Date.now() - started, output });
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The process's working directory is inside `root` (Linux /proc); not readable for a zombie. */
function worksInside(pid: string, root: string): boolean {
  try {
    const cwd = readlinkSync(`/proc/${pid}/cwd`);
    return cwd === root || cwd.startsWith(root + sep);
  } catch {
    return false;
  }
}

/** Processes at work inside the test's folder (Linux /proc; none elsewhere). */
function processesInside(root: string): string[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  return pids
    .filter((pid) => worksInside(pid, root))
    .map((pid) => {
      try {
        return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()}`;
      } catch {
        return pid;
      }
    });
}

/**
 * The detached gits pw recorded that still run: the part of the wait that
 * works without /proc. With /proc, a recorded pid counts only while it works
 * inside the test's folder (not a zombie, not a reused pid).
 */
function recordedGits(): string[] {
  const dir = join(f.repo.dir, '.git/pw/feat/integrate/running');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((name) => name.replace(/\.json$/, ''))
    .filter((pid) => {
      try {
        process.kill(Number(pid), 0);
      } catch {
        return false;
      }
      return !existsSync('/proc') || worksInside(pid, f.repo.root);
    });
}

/**
 * Waits (up to 30 s) until nothing a killed run left behind is still at work:
 * no recorded detached git alive, no process inside the test's folder, no
 * index or branch lock. Only then is the repository in its final state.
 */
async function untilSettled(label: string): Promise<void> {
  const locks = [
    join(f.repo.dir, '.git', 'index.lock'),
    join(f.repo.dir, '.git', 'refs', 'heads', 'main.lock'),
  ];
  const end = Date.now() + 30_000;
  for (;;) {
    const busy = [
      ...recordedGits().map((r) => `recorded ${r}`),
      ...processesInside(f.repo.root),
      ...locks.filter((l) => existsSync(l)),
    ];
    if (busy.length === 0) return;
    if (Date.now() > end) throw new Error(`${label}: still busy after 30 s: ${busy.join('; ')}`);
    await sleep(25);
  }
}

function git(args: string[], cwd = f.repo.dir): string {
  return f.repo.git(args, { cwd });
}

/** Puts the repository back to before integrate, without touching what a killed run left for the rerun to clean. */
function reset(): void {
  git(['reset', '-q', '--hard', orig]);
  for (const ref of git(['for-each-ref', '--format=%(refname)', 'refs/pw/'])
    .split('\n')
    .filter(Boolean)) {
    git(['update-ref', '-d', ref]);
  }
}

function assertSane(label: string): 'untouched' | 'updated' {
  const main = git(['rev-parse', 'main']);
  const state: 'untouched' | 'updated' = main === orig ? 'untouched' : 'updated';
  if (state === 'updated') {
    expect(git(['rev-parse', 'main^{tree}']), `${label}: main fully updated`).toBe(expectedTree);
    expect(git(['merge-base', '--is-ancestor', orig, 'main']) === '', label).toBe(true);
  }
  // The checked-out main: HEAD on the branch, files and index matching it, no lock left.
  expect(git(['symbolic-ref', 'HEAD']), label).toBe('refs/heads/main');
  expect(
    git(['status', '--porcelain', '--untracked-files=all']),
    `${label}: main worktree clean`,
  ).toBe('');
  expect(existsSync(join(f.repo.dir, '.git', 'index.lock')), `${label}: no index.lock`).toBe(false);
  // Worker worktrees: untouched.
  for (const w of WORKERS) {
    expect(git(['rev-parse', 'HEAD'], f.worktree(w)), label).toBe(workerHeads[w]);
    expect(git(['status', '--porcelain'], f.worktree(w)), label).toBe('');
  }
  // Every worktree git lists is usable (a leftover scratch worktree may be listed; it must not be broken).
  const listed = git(['worktree', 'list', '--porcelain'])
    .split('\n')
    .filter((l) => l.startsWith('worktree '))
    .map((l) => l.slice('worktree '.length));
  for (const path of listed) {
    if (!existsSync(path)) continue;
    expect(
      f.repo.gitResult(['status', '--porcelain'], { cwd: path }).status,
      `${label}: ${path}`,
    ).toBe(0);
  }
  expect(
    f.repo.gitResult(['fsck', '--connectivity-only', '--no-dangling']).status,
    `${label}: fsck`,
  ).toBe(0);
  return state;
}

beforeAll(async () => {
  f = createPlanFixture({
    workers: WORKERS.map((id) => ({ id, owns: [`/${id}/`] })),
    files: Object.fromEntries(WORKERS.map((w) => [`${w}/file.txt`, `${w} v1\n`])),
    integrate: { verify: 'test -f a/new.txt && test -f d/new.txt' },
  });
  workerHeads = {};
  for (const w of WORKERS) {
    f.commit(w, `[CHECKPOINT] ${w} starts`, { [`${w}/file.txt`]: `${w} v2\n` });
    workerHeads[w] = f.commit(w, `[COMPLETE] ${w} done`, { [`${w}/new.txt`]: `${w} new\n` });
  }
  orig = git(['rev-parse', 'main']);
  const full = await runPw(['integrate'], null);
  expect(full.code).toBe(0);
  fullRunMs = full.ms;
  expectedTree = git(['rev-parse', 'main^{tree}']);
  reset();
});

afterAll(() => f?.cleanup());

describe('pw integrate killed at random points', () => {
  it.each(SEEDS)(
    `seed %i: leaves the target untouched or fully updated, no worktree broken, and a rerun succeeds (${ROUNDS} kills)`,
    async (seed) => {
      expect(Number.isInteger(seed), `PW_INTERRUPT_SEEDS: ${seed} is not an integer`).toBe(true);
      const next = random(seed);
      const outcomes: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const args = [
          'integrate',
          ...(round % 3 === 2 ? ['--strategy', 'squash'] : []),
          ...(round % 4 === 3 ? ['--no-verify'] : []),
        ];
        // Half the kills anywhere in the run, half in its second part (after Node has started),
        // where merging, verifying and publishing happen.
        const from = round % 2 === 0 ? 0 : 0.5;
        const delay = Math.floor((from + next() * (1.1 - from)) * fullRunMs);
        const label = `seed ${seed}, round ${round}, kill after ${delay} ms (${args.join(' ')})`;
        const killGroup = GROUP === '1' || (GROUP !== '0' && round % 2 === 1);
        const killed = await runPw(args, delay, killGroup);
        await untilSettled(label);
        const state = assertSane(label);
        const rerun = await runPw(args, null);
        expect(rerun.code, `${label}: rerun exit code; output:\n${rerun.output}`).toBe(0);
        expect(git(['rev-parse', 'main^{tree}']), `${label}: rerun result`).toBe(expectedTree);
        assertSane(`${label}, after the rerun`);
        expect(git(['worktree', 'list']), label).not.toContain('_integrate');
        expect(existsSync(join(f.repo.dir, '.git/pw/feat/integrate/state.json')), label).toBe(
          false,
        );
        expect(existsSync(join(f.repo.dir, '.git/pw/lock')), label).toBe(false);
        outcomes.push(
          `${delay}ms${killGroup ? '(group)' : ''}:${killed.signal ? 'killed' : 'finished'}/${state}`,
        );
        reset();
      }
      console.log(
        `interrupt harness (seed ${seed}, full run ${fullRunMs} ms): ${outcomes.join(' ')}`,
      );
    },
  );
});
