import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readProcessStartTime } from '../../src/store/process-identity.js';
import { builtBin, createTempRepo, type TempRepo } from '../helpers/temp-repo.js';

// Two pw commands that write pw state, started at the same moment on one
// repository: one waits for the other (the repository lock), so every
// outcome is a whole one. Either the plan is fully set up (worktrees, trusted
// plan and scopes, hooks that refuse an out-of-scope commit) or not set up at
// all, and every command either succeeded or refused with a clear message.
// PW_RACE_PAIRS=20 runs 20 pairs of each kind (npm run test:chaos does).

const PAIRS = Number(process.env.PW_RACE_PAIRS ?? 2);
const PLAN = `name: race
workers:
  - id: a
    owns: [/a/]
    task: Work on a.
  - id: b
    owns: [/b/]
    task: Work on b.
`;
const FILES = { 'README.md': '# race\n', 'a/one.txt': 'a\n', 'b/one.txt': 'b\n' };

interface Outcome {
  args: string[];
  code: number;
  stderr: string;
}

function pwAsync(
  repo: TempRepo,
  args: string[],
  env: Record<string, string> = {},
): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [builtBin, ...args], {
      cwd: repo.dir,
      // Racing commands wait for each other however loaded the machine is (the refusal has its own test).
      env: { ...repo.env, PW_LOCK_WAIT: '300', ...env },
    });
    let stderr = '';
    child.stdout.resume();
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ args, code: code ?? 1, stderr }));
  });
}

/** Polls for a file (no deadline: the test's own timeout is the bound). */
async function untilExists(path: string): Promise<void> {
  while (!existsSync(path)) await new Promise((resolve) => setTimeout(resolve, 5));
}

function freshRepo(): TempRepo {
  const repo = createTempRepo({ files: FILES });
  repo.write('plan.yaml', PLAN);
  repo.commitAll('add the plan');
  return repo;
}

function commonDir(repo: TempRepo): string {
  return repo.git(['rev-parse', '--path-format=absolute', '--git-common-dir']);
}

function workerWorktree(repo: TempRepo, id: string): string | null {
  const list = repo.git(['worktree', 'list', '--porcelain']);
  for (const block of list.split('\n\n')) {
    if (block.includes(`branch refs/heads/pw/race/${id}`))
      return /^worktree (.*)$/m.exec(block)![1]!;
  }
  return null;
}

/** 'set-up' or 'not-set-up'; throws (with what is wrong) on anything in between. */
function assertWhole(repo: TempRepo, label: string): 'set-up' | 'not-set-up' {
  const pw = join(commonDir(repo), 'pw');
  const planFile = join(pw, 'race', 'plan.json');
  const plan = existsSync(planFile)
    ? (JSON.parse(readFileSync(planFile, 'utf8')) as { tornDownAt?: string })
    : null;
  const worktrees = ['a', 'b'].map((id) => workerWorktree(repo, id));
  const scopes = ['a', 'b'].map((id) => existsSync(join(pw, 'race', 'scopes', `${id}.pathspecs`)));
  if (plan && !plan.tornDownAt) {
    expect(worktrees.every(Boolean), `${label}: both worktrees exist`).toBe(true);
    expect(scopes, `${label}: both trusted scopes exist`).toEqual([true, true]);
    const hooks = repo.pw(['hooks', 'status']);
    expect(hooks.status, `${label}: hooks active\n${hooks.stdout}${hooks.stderr}`).toBe(0);
    // The hook of worker a refuses a change to b's files.
    const wt = worktrees[0]!;
    writeFileSync(join(wt, 'b', 'one.txt'), 'stray\n');
    repo.git(['add', '-A'], { cwd: wt });
    const commit = repo.gitResult(['commit', '-q', '-m', '[WIP] stray'], { cwd: wt });
    expect(commit.status, `${label}: the out-of-scope commit is refused`).not.toBe(0);
    return 'set-up';
  }
  expect(worktrees, `${label}: no worker worktree`).toEqual([null, null]);
  expect(scopes, `${label}: no trusted scope`).toEqual([false, false]);
  expect(repo.gitResult(['rev-parse', '--verify', '-q', 'pw/race/a']).status, label).not.toBe(0);
  return 'not-set-up';
}

/** A command either succeeded or refused with a message, never a crash or a failed setup. */
function assertClean(outcome: Outcome, label: string): void {
  const where = `${label}: pw ${outcome.args.join(' ')} exited ${outcome.code}\n${outcome.stderr}`;
  expect([0, 1, 2], where).toContain(outcome.code);
  expect(outcome.stderr, where).not.toMatch(/internal error|setup failed at|Rolling back/);
  if (outcome.code === 1) expect(outcome.stderr, where).toMatch(/repository lock/);
}

const KINDS: { name: string; other: string[] }[] = [
  { name: 'setup + setup', other: ['setup', 'plan.yaml'] },
  { name: 'setup + teardown', other: ['teardown', 'race'] },
  { name: 'setup + hooks install', other: ['hooks', 'install'] },
];

describe('racing pw commands on one repository', () => {
  for (const kind of KINDS) {
    it(
      `${kind.name}: ${PAIRS} pairs, each ending whole`,
      async () => {
        const outcomes: string[] = [];
        for (let pair = 0; pair < PAIRS; pair++) {
          const repo = freshRepo();
          try {
            const label = `${kind.name}, pair ${pair}`;
            const setup = ['setup', 'plan.yaml'];
            let results: Outcome[];
            if (pair % 2 === 0 || kind.other[0] === 'setup') {
              // Which one is spawned first alternates, so each gets to win.
              const [first, second] = pair % 2 === 0 ? [setup, kind.other] : [kind.other, setup];
              results = await Promise.all([pwAsync(repo, first), pwAsync(repo, second)]);
            } else {
              // The other command starts once setup has written the trusted plan, mid-setup.
              const running = pwAsync(repo, setup);
              await untilExists(join(commonDir(repo), 'pw', 'race', 'plan.json'));
              results = await Promise.all([pwAsync(repo, kind.other), running]);
              results.reverse();
            }
            for (const result of results) assertClean(result, label);
            const setupResult =
              results[pair % 2 === 0 || kind.other[0] === 'setup' ? pair % 2 : 0]!;
            expect(setupResult.code, `${label}: setup\n${setupResult.stderr}`).toBe(0);
            expect(existsSync(join(commonDir(repo), 'pw', 'lock')), `${label}: lock released`).toBe(
              false,
            );
            const state = assertWhole(repo, label);
            if (kind.other[0] !== 'teardown') expect(state, label).toBe('set-up');
            outcomes.push(`${results.map((r) => r.code).join('/')}:${state}`);
          } finally {
            repo.cleanup();
          }
        }
        console.log(`${kind.name}: ${outcomes.join(' ')}`);
      },
      Math.max(120_000, PAIRS * 60_000),
    );
  }
});

describe('the repository lock', () => {
  it('a lock left by a dead process is taken over, and said so', () => {
    const repo = freshRepo();
    try {
      const lock = join(commonDir(repo), 'pw', 'lock');
      repo.write('.git/pw/lock', '');
      // A pid no process has (above the kernel's pid_max): the holder is gone.
      writeFileSync(
        lock,
        JSON.stringify({
          pid: 2 ** 22 + 1,
          startTime: '1',
          command: 'setup',
          since: '2026-01-02T03:04:05.000Z',
          nonce: 'dead',
        }),
      );
      const result = repo.pw(['setup', 'plan.yaml']);
      expect(result.status, result.stderr).toBe(0);
      expect(result.stderr).toContain(
        'pw: took over the repository lock from pw setup (pid 4194305, since 2026-01-02T03:04:05.000Z): that process is gone.',
      );
      expect(existsSync(lock)).toBe(false);
      expect(assertWhole(repo, 'after the takeover')).toBe('set-up');
    } finally {
      repo.cleanup();
    }
  });

  it('a lock whose pid was reused by another process is stale too', () => {
    const repo = freshRepo();
    try {
      const lock = join(commonDir(repo), 'pw', 'lock');
      repo.write('.git/pw/lock', '');
      // The test runner's pid is alive, but it did not start at this time.
      writeFileSync(
        lock,
        JSON.stringify({ pid: process.pid, startTime: '1', command: 'teardown', since: 'x' }),
      );
      const result = repo.pw(['setup', 'plan.yaml']);
      expect(result.status, result.stderr).toBe(0);
      expect(result.stderr).toContain(`from pw teardown (pid ${process.pid}, since x)`);
    } finally {
      repo.cleanup();
    }
  });

  it('a live holder: waits PW_LOCK_WAIT seconds, then refuses naming it and changes nothing', async () => {
    const repo = freshRepo();
    try {
      const lock = join(commonDir(repo), 'pw', 'lock');
      const startTime = await readProcessStartTime(process.pid);
      repo.write('.git/pw/lock', '');
      writeFileSync(
        lock,
        JSON.stringify({
          pid: process.pid,
          startTime,
          command: 'integrate',
          since: '2026-01-02T03:04:05.000Z',
          nonce: 'live',
        }),
      );
      const result = await pwAsync(repo, ['setup', 'plan.yaml'], { PW_LOCK_WAIT: '0.2' });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        [
          `pw: another pw command holds the repository lock: pw integrate (pid ${process.pid}, since 2026-01-02T03:04:05.000Z)`,
          '  Waited 0.2 s for it (PW_LOCK_WAIT sets how long).',
          `  Let it finish and run this again. If no such process is running, delete ${lock} and run again.`,
          '',
        ].join('\n'),
      );
      expect(existsSync(lock)).toBe(true);
      expect(assertWhole(repo, 'after the refusal')).toBe('not-set-up');
      const install = await pwAsync(repo, ['hooks', 'install'], { PW_LOCK_WAIT: '0' });
      expect(install.code).toBe(1);
      expect(install.stderr).toContain('holds the repository lock: pw integrate');
    } finally {
      repo.cleanup();
    }
  });
});
