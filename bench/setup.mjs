// npm run bench:setup
//
// `pw setup` and `pw teardown` of plans of 50 and 200 workers (BENCH_SIZES,
// comma-separated; BENCH_ROUNDS rounds) on a repository of 2,000 files (BENCH_FILES) in 200
// folders, each worker owning every folder whose number is its own modulo
// the plan size. Baseline, measured in the same run and alternating with pw:
// bare `git worktree add -b <branch> <path> main` once per worker (setup),
// and `git worktree remove --force` once per worktree plus one
// `git branch -D` of all the branches (teardown). Prints medians and ratios.
//
// Then, untimed, the git processes pw starts per worker: a `git` wrapper
// first on PATH logs every git that pw (and pw's own hooks, which run
// while it moves refs) starts; git's own children run through git's exec
// path, not PATH, and are not counted, as in the baseline.
//
// The repository's objects are packed, as a clone's are (BENCH_LOOSE=1 leaves
// them loose, as `git add` wrote them).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBenchRepo, median, timeIt } from './lib.mjs';

const SIZES = (process.env.BENCH_SIZES ?? '50,200').split(',').map(Number);
const FILES = Number(process.env.BENCH_FILES ?? 2000);
const FOLDERS = Number(process.env.BENCH_FOLDERS ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
// BENCH_COUNT=0: timings only, no untimed run that counts git processes.
const COUNT = process.env.BENCH_COUNT !== '0';
const LOOSE = process.env.BENCH_LOOSE === '1';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'dist', 'cli', 'bin.js');

const { work, repo, env, git, pw } = createBenchRepo('pw-bench-setup-', bin);
const folder = (f) => `d${String(f).padStart(3, '0')}`;
const id = (w) => `w${String(w).padStart(3, '0')}`;

function generate() {
  for (let f = 0; f < FOLDERS; f++) mkdirSync(join(repo, folder(f)), { recursive: true });
  for (let i = 0; i < FILES; i++) {
    writeFileSync(
      join(repo, folder(i % FOLDERS), `file-${i}.txt`),
      `file ${i}\n`.repeat(1 + (i % 40)),
    );
  }
  git(['add', '-A']);
  git(['commit', '-q', '-m', 'initial commit']);
  // A cloned repository keeps its objects in a pack; `git add` left 2,000
  // loose ones, and checking out from loose objects costs an open and an mmap
  // per file (twice the time of a worktree add here). BENCH_LOOSE=1 keeps them.
  if (!LOOSE) git(['repack', '-a', '-d', '-q']);
  if (!LOOSE) git(['prune-packed', '-q']);
}

function writePlan(workers) {
  const lines = ['name: bench', `worktreeRoot: ${join(work, 'trees')}`, 'workers:'];
  for (let w = 0; w < workers; w++) {
    const owns = [];
    for (let f = w; f < FOLDERS; f += workers) owns.push(`/${folder(f)}/`);
    if (owns.length === 0) owns.push(`/${id(w)}/`);
    lines.push(`  - id: ${id(w)}`, `    owns: [${owns.join(', ')}]`, `    task: work in ${id(w)}`);
  }
  const path = join(work, `plan-${workers}.yaml`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

function bareSetup(workers) {
  for (let w = 0; w < workers; w++) {
    git(['worktree', 'add', '--quiet', '-b', `bare/${id(w)}`, join(work, 'bare', id(w)), 'main']);
  }
}

function bareTeardown(workers) {
  for (let w = 0; w < workers; w++)
    git(['worktree', 'remove', '--force', join(work, 'bare', id(w))]);
  git(['branch', '-q', '-D', ...Array.from({ length: workers }, (_, w) => `bare/${id(w)}`)]);
  rmSync(join(work, 'bare'), { recursive: true, force: true });
}

/** The git subcommands pw starts for one setup and one teardown of `workers`, through a logging wrapper. */
function countGitCalls(plan, workers) {
  const wrapperDir = join(work, 'git-wrapper');
  const log = join(work, 'git-calls.log');
  mkdirSync(wrapperDir, { recursive: true });
  const realGit = execFileSync('sh', ['-c', 'command -v git'], { env, encoding: 'utf8' }).trim();
  writeFileSync(
    join(wrapperDir, 'git'),
    `#!/bin/sh\nprintf '%s\\n' "$1" >> "$PW_BENCH_GIT_LOG"\nexec ${realGit} "$@"\n`,
  );
  chmodSync(join(wrapperDir, 'git'), 0o755);
  const counted = { ...env, PATH: `${wrapperDir}:${env.PATH}`, PW_BENCH_GIT_LOG: log };
  const count = (args) => {
    writeFileSync(log, '');
    pw(args, repo, counted);
    const calls = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    const by = new Map();
    for (const call of calls) by.set(call, (by.get(call) ?? 0) + 1);
    return { total: calls.length, by };
  };
  const setup = count(['setup', plan, '--json']);
  const teardown = count(['teardown', 'bench', '--purge', '--json']);
  const line = (name, { total, by }) =>
    `  ${name.padEnd(9)} ${String(total).padStart(5)} git processes, ${(total / workers).toFixed(2)} per worker  (${[
      ...by,
    ]
      .sort((a, b) => b[1] - a[1])
      .map(([sub, n]) => `${sub} ${n}`)
      .join(', ')})`;
  console.log(`\nGit processes started by pw for ${workers} workers (one run, untimed):`);
  console.log(line('setup', setup));
  console.log(line('teardown', teardown));
}

generate();
console.log(
  `Repository: ${git(['ls-files']).split('\n').length} files in ${FOLDERS} folders (objects ${LOOSE ? 'loose' : 'packed'}); ${ROUNDS} rounds per size, pw and the baseline alternating.`,
);
for (const workers of SIZES) {
  const plan = writePlan(workers);
  const samples = { bareSetup: [], bareTeardown: [], setup: [], teardown: [] };
  for (let round = 0; round < ROUNDS; round++) {
    samples.bareSetup.push(await timeIt(() => bareSetup(workers)));
    samples.bareTeardown.push(await timeIt(() => bareTeardown(workers)));
    samples.setup.push(await timeIt(() => pw(['setup', plan, '--json'])));
    samples.teardown.push(await timeIt(() => pw(['teardown', 'bench', '--purge', '--json'])));
  }
  if (ROUNDS > 0) report(workers, samples);
  if (COUNT) countGitCalls(plan, workers);
}

function report(workers, samples) {
  const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  const row = (name, ms, base) =>
    `  ${name.padEnd(44)} median ${(ms / 1000).toFixed(2).padStart(7)} s   ${(ms / base).toFixed(2)}x${ms === base ? ' (baseline)' : ''}`;
  console.log(`\n${workers} workers:`);
  console.log(row(`git worktree add -b, ${workers} times`, m.bareSetup, m.bareSetup));
  console.log(row(`pw setup (${workers} workers)`, m.setup, m.bareSetup));
  console.log(row(`git worktree remove + branch -D`, m.bareTeardown, m.bareTeardown));
  console.log(row(`pw teardown --purge`, m.teardown, m.bareTeardown));
}
console.log(
  `\nLoad average at the end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
);
rmSync(work, { recursive: true, force: true });
