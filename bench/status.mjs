// npm run bench:status
//
// 50 workers with 1,000 commits each (50,000 commits, generated with one
// `git fast-import` stream), set up with the real `pw setup` (50 worktrees,
// hooks installed). Times `pw status --json` (the built binary, a fresh
// process each run) against a loop that runs `git log` once per worker
// branch, in the same run, alternating; prints medians and the ratio.
//
// The 50 worktrees are present, each with its branch checked out: pw status
// reads their uncommitted edits and checks their hooks, which the loop does
// not. Four pw figures: refs unchanged and worktrees untouched since the last
// status (the history part comes from the status cache and each worktree's
// git status from the worktree cache, which runs git status only where the
// worktree's signature changed: the goal (issue 11) is at most 0.5x the
// loop); one worktree edited (one git status); one worker moved (its new
// commits read and checked); cold (no cache at all: the scope check of all
// 50,000 commits and every worktree's git status too).
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBenchRepo, fastImportCommit, median } from './lib.mjs';

const WORKERS = Number(process.env.BENCH_WORKERS ?? 50);
const COMMITS = Number(process.env.BENCH_COMMITS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 11);
const COLD_ROUNDS = Number(process.env.BENCH_COLD_ROUNDS ?? 3);
const GOAL_RATIO = 0.5;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'dist', 'cli', 'bin.js');

const { work, repo, env, git, pw } = createBenchRepo('pw-bench-status-', bin);

const id = (w) => `w${String(w).padStart(2, '0')}`;
const branch = (w) => `pw/bench/${id(w)}`;

function message(w, c) {
  const body = `\n\nStep ${c} of worker ${id(w)}: what changed and why, as agents write it.\nA second line of body text.\n`;
  if (c === COMMITS - 1 && w % 2 === 0) return `[COMPLETE] ${id(w)} done${body}`;
  if (c % 97 === 40) return `[NEEDS:${id((w + 1) % WORKERS)}/api-${c}] need the api${body}`;
  if (c % 97 === 41) return `[CHECKPOINT] got it${body}\nProvides: api-${c - 1}\n`;
  if (c === COMMITS - 1 && w % 5 === 1) return `[BLOCKED:waiting for review] parked${body}`;
  return `[CHECKPOINT] step ${c}${body}`;
}

function generate() {
  const t0 = Date.now();
  for (let w = 0; w < WORKERS; w++) {
    mkdirSync(join(repo, id(w)), { recursive: true });
    writeFileSync(join(repo, id(w), 'work.txt'), 'start\n');
  }
  writeFileSync(join(repo, 'README.md'), '# bench\n');
  git(['add', '-A']);
  git(['commit', '-q', '-m', 'initial commit']);
  const base = git(['rev-parse', 'HEAD']);
  const plan = [
    'name: bench',
    'stallAfter: 100000d',
    'workers:',
    ...Array.from({ length: WORKERS }, (_, w) =>
      [`  - id: ${id(w)}`, `    owns: [/${id(w)}/]`, `    task: work in ${id(w)}`].join('\n'),
    ),
  ].join('\n');
  writeFileSync(join(work, 'plan.yaml'), `${plan}\n`);
  pw(['setup', join(work, 'plan.yaml'), '--json']);

  // One fast-import stream: every worker's 1,000 commits on its branch.
  const chunks = [];
  let time = 1_700_000_000;
  for (let w = 0; w < WORKERS; w++) {
    for (let c = 0; c < COMMITS; c++) {
      chunks.push(
        fastImportCommit({
          ref: `refs/heads/${branch(w)}`,
          time: time++,
          message: message(w, c),
          from: c === 0 ? base : null,
          files: [{ path: `${id(w)}/work.txt`, data: `work ${c}\n` }],
        }),
      );
    }
  }
  git(['fast-import', '--quiet'], repo, chunks.join(''));
  // The worktrees have their branch checked out: bring index and files to the new tips.
  const worktrees = JSON.parse(pw(['status', '--json'])).workers.map((w) => w.worktree);
  for (const tree of worktrees) git(['read-tree', '-u', '--reset', 'HEAD'], tree);
  console.log(
    `generated ${WORKERS} workers x ${COMMITS} commits (${WORKERS * COMMITS}) with worktrees in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  return base;
}

function time(fn) {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

try {
  const base = generate();
  const commonDir = git(['rev-parse', '--path-format=absolute', '--git-common-dir']);
  const cache = join(commonDir, 'pw', 'bench', 'cache');

  // Sanity: pw sees every commit.
  const status = JSON.parse(pw(['status', '--json']));
  const total = status.workers.reduce((sum, w) => sum + w.counts.commits, 0);
  if (total !== WORKERS * COMMITS) throw new Error(`pw status counted ${total} commits`);
  console.log(`pw status: ${status.summary}; ${total} commits`);

  const loopOnce = () => {
    for (let w = 0; w < WORKERS; w++) {
      const result = spawnSync(
        'git',
        [
          'log',
          '--first-parent',
          '--format=%H%x1f%P%x1f%at%x1f%ct%x1f%B',
          '-z',
          `${base}..${branch(w)}`,
        ],
        { cwd: repo, env, encoding: 'utf8', maxBuffer: 1 << 28 },
      );
      if (result.status !== 0) throw new Error(result.stderr);
    }
  };
  const statusOnce = () => pw(['status', '--json']);

  // 1. The goal: pw status on an unchanged repository against the git log loop, alternating.
  const loop = [];
  const warm = [];
  statusOnce();
  for (let round = -2; round < ROUNDS; round++) {
    const a = time(loopOnce);
    const b = time(statusOnce);
    if (round >= 0) {
      loop.push(a);
      warm.push(b);
    }
  }

  // 2. One worker moved (a new commit on its branch since the last status): the
  // common case in a live view. Everything commit-derived is read again (one git
  // log over all 50,000 commits); only the new commit's scope is checked.
  const moved = [];
  for (let round = 0; round < Math.max(3, Math.floor(ROUNDS / 2)); round++) {
    const w = round % WORKERS;
    const tip = git(['rev-parse', `refs/heads/${branch(w)}`]);
    const tree = git(['rev-parse', `${tip}^{tree}`]);
    const next = git(['commit-tree', tree, '-p', tip, '-m', `[CHECKPOINT] bench round ${round}`]);
    git(['-c', 'core.hooksPath=/dev/null', 'update-ref', `refs/heads/${branch(w)}`, next, tip]);
    moved.push(time(statusOnce));
  }

  // 2b. One worktree edited since the last status: git status runs there alone.
  const edited = [];
  for (let round = 0; round < Math.max(3, Math.floor(ROUNDS / 2)); round++) {
    const tree = join(work, 'repo.pw', 'bench', id(round % WORKERS));
    writeFileSync(join(tree, id(round % WORKERS), `edit-${round}.txt`), `edit ${round}\n`);
    edited.push(time(statusOnce));
  }

  // 3. Cold: no cache at all (first run on a plan): also the scope check of every commit.
  const cold = [];
  for (let round = 0; round < COLD_ROUNDS; round++) {
    rmSync(cache, { recursive: true, force: true });
    cold.push(time(statusOnce));
  }

  const m = {
    loop: median(loop),
    warm: median(warm),
    edited: median(edited),
    moved: median(moved),
    cold: median(cold),
  };
  const line = (name, value, n) =>
    console.log(
      `  ${name.padEnd(50)} ${value.toFixed(0).padStart(7)} ms   x${(value / m.loop).toFixed(2)} of the loop  (${n} runs)`,
    );
  console.log(`\n${WORKERS} workers x ${COMMITS} commits; medians:`);
  line('git log loop (one per worker branch)', m.loop, loop.length);
  line('pw status --json, refs unchanged (alternating)', m.warm, warm.length);
  line('pw status --json, one worktree edited', m.edited, edited.length);
  line('pw status --json, one worker moved', m.moved, moved.length);
  line('pw status --json, cold (no cache)', m.cold, cold.length);
  const spread = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    return `${sorted[0].toFixed(0)}-${sorted[sorted.length - 1].toFixed(0)} ms`;
  };
  console.log(`  spread: loop ${spread(loop)}, refs unchanged ${spread(warm)}`);
  const met = m.warm <= GOAL_RATIO * m.loop;
  console.log(
    `\ngoal (refs unchanged, worktrees present: <= ${GOAL_RATIO}x the loop): ${met ? 'met' : 'NOT met'} (${m.warm.toFixed(0)} ms vs loop ${m.loop.toFixed(0)} ms, ratio ${(m.warm / m.loop).toFixed(2)})`,
  );
  process.exitCode = met ? 0 : 1;
} finally {
  if (process.env.BENCH_KEEP) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
