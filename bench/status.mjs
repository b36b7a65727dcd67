// npm run bench:status
//
// 50 workers with 1,000 commits each (50,000 commits, generated with one
// `git fast-import` stream), set up with the real `pw setup` (50 worktrees,
// hooks installed). Times `pw status --json` (the built binary, a fresh
// process each run) against a loop that runs `git log` once per worker
// branch, in the same run, alternating; prints medians and the ratio.
//
// Two pw variants: "warm" is every run after the first on an unchanged
// repository (the refs have not moved, so the history part comes from the
// status cache), "cold" deletes the cache first (the full `git log` over all
// 50,000 commits, parsing, attribution, ahead/behind). Both also run
// `git status` in all 50 worktrees and inspect their hooks, which the loop
// does not. Goal: warm under 300 ms and faster than the loop.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WORKERS = Number(process.env.BENCH_WORKERS ?? 50);
const COMMITS = Number(process.env.BENCH_COMMITS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 11);
const GOAL_MS = 300;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'dist', 'cli', 'bin.js');

const work = mkdtempSync(join(tmpdir(), 'pw-bench-status-'));
const home = join(work, 'home');
const repo = join(work, 'repo');
mkdirSync(home, { recursive: true });
const env = {
  PATH: process.env.PATH,
  HOME: home,
  XDG_CONFIG_HOME: join(home, '.config'),
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.com',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.com',
  NO_COLOR: '1',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
  TZ: 'UTC',
};

function git(args, cwd = repo, input) {
  return execFileSync('git', args, {
    cwd,
    env,
    input,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  }).trim();
}

function pw(args) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd: repo,
    env,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (result.status !== 0)
    throw new Error(
      `pw ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`,
    );
  return result.stdout;
}

const id = (w) => `w${String(w).padStart(2, '0')}`;
const branch = (w) => `pw/bench/${id(w)}`;

function message(w, c) {
  const body = `\n\nStep ${c} of worker ${id(w)}: what changed and why, as agents write it.\nA second line of body text.\n`;
  if (c === COMMITS - 1 && w % 2 === 0) return `[COMPLETE] ${id(w)} done${body}`;
  if (c % 97 === 40) return `[NEEDS:${id((w + 1) % WORKERS)}/api-${c}] need the api${body}`;
  if (c % 97 === 41) return `[CHECKPOINT] got it${body}Provides: api-${c - 1}\n`;
  if (c === COMMITS - 1 && w % 5 === 1) return `[BLOCKED:waiting for review] parked${body}`;
  return `[CHECKPOINT] step ${c}${body}`;
}

function generate() {
  const t0 = Date.now();
  execFileSync('git', ['init', '-q', '-b', 'main', repo], { env });
  for (const [key, value] of [
    ['user.name', 'Bench'],
    ['user.email', 'bench@example.com'],
    ['gc.auto', '0'],
    ['commit.gpgSign', 'false'],
  ])
    git(['config', key, value]);
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
      const msg = message(w, c);
      const data = `work ${c}\n`;
      chunks.push(
        `commit refs/heads/${branch(w)}\ncommitter Bench <bench@example.com> ${time++} +0000\n`,
        `data ${Buffer.byteLength(msg)}\n${msg}\n`,
        c === 0 ? `from ${base}\n` : '',
        `M 100644 inline ${id(w)}/work.txt\ndata ${Buffer.byteLength(data)}\n${data}\n`,
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

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
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

  const variants = {
    'git log loop (one per worker branch)': () => {
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
    },
    'pw status --json (warm: refs unchanged)': () => pw(['status', '--json']),
    'pw status --json (cold: cache removed)': () => {
      rmSync(cache, { recursive: true, force: true });
      pw(['status', '--json']);
    },
  };
  const samples = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
  for (let round = -2; round < ROUNDS; round++) {
    for (const [name, fn] of Object.entries(variants)) {
      // The warm variant must not follow the cold one directly without a warm-up read.
      if (name.startsWith('pw status --json (warm')) pw(['status', '--json']);
      const ms = time(fn);
      if (round >= 0) samples[name].push(ms);
    }
  }
  const loop = median(samples['git log loop (one per worker branch)']);
  console.log(`\n${WORKERS} workers x ${COMMITS} commits, ${ROUNDS} rounds, alternating; medians:`);
  for (const [name, values] of Object.entries(samples)) {
    const m = median(values);
    console.log(
      `  ${name.padEnd(42)} ${m.toFixed(0).padStart(6)} ms   x${(m / loop).toFixed(2)} of the loop`,
    );
  }
  const warm = median(samples['pw status --json (warm: refs unchanged)']);
  const met = warm < GOAL_MS && warm < loop;
  console.log(
    `\ngoal (warm < ${GOAL_MS} ms and faster than the loop): ${met ? 'met' : 'NOT met'} (${warm.toFixed(0)} ms vs loop ${loop.toFixed(0)} ms, ratio ${(warm / loop).toFixed(2)})`,
  );
  process.exitCode = met ? 0 : 1;
} finally {
  if (process.env.BENCH_KEEP) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
