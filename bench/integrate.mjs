// npm run bench:integrate
//
// 20 workers on a generated 5,000-file repository. Times `pw integrate
// --no-verify` (the built binary, a fresh process each run, pw check included)
// against the same merges done the usual way: a checkout, then `git merge
// --no-ff` per branch, in two flavours: a fresh worktree (what leaving the
// user's checkout alone takes) and a worktree reused from the last round (the
// cheapest possible). All three run in the same process, in turn, several
// rounds; prints medians and the ratios, checks that all produce the same
// tree, and that pw left every user worktree (main and the 20 worker
// worktrees: HEAD, status, index file) untouched.
import { execFileSync } from 'node:child_process';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBenchRepo, fastImportCommit, median } from './lib.mjs';

const WORKERS = 20;
const FILES = 5000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'dist', 'cli', 'bin.js');

const { work, repo, env, git, pw } = createBenchRepo('pw-bench-integrate-', bin);

const pad = (n, width) => String(n).padStart(width, '0');
const dirOf = (w) => `w${pad(w, 2)}`;

function generateRepository() {
  // One fast-import stream: 5,000 files spread over the 20 worker folders and a shared one.
  const perDir = Math.floor(FILES / (WORKERS + 1));
  const files = [];
  for (let d = 0; d <= WORKERS; d++) {
    const dir = d === WORKERS ? 'shared' : dirOf(d);
    const n = d === WORKERS ? FILES - files.length : perDir;
    for (let f = 0; f < n; f++) {
      const data = `// ${dir}/file${pad(f, 4)}\n${'export const value = 1;\n'.repeat(8)}`;
      files.push({ path: `${dir}/sub${f % 10}/file${pad(f, 4)}.ts`, data });
    }
  }
  git(
    ['fast-import', '--quiet'],
    repo,
    fastImportCommit({
      ref: 'refs/heads/main',
      time: 1700000000,
      message: 'initial commit\n',
      files,
    }),
  );
  git(['checkout', '-q', '-f', 'main']);
  if (files.length !== FILES) throw new Error(`generated ${files.length} files`);
}

function setUpPlan() {
  const workers = Array.from({ length: WORKERS }, (_, w) => ({
    id: dirOf(w),
    owns: [`/${dirOf(w)}/`],
    task: `change ${dirOf(w)}`,
    ...(w > 0 && w % 5 === 0 ? { dependsOn: [dirOf(w - 5)] } : {}),
  }));
  writeFileSync(
    join(work, 'plan.json'),
    JSON.stringify({ name: 'bench', base: 'main', workers, integrate: { target: 'integrated' } }),
  );
  git(['branch', 'integrated', 'main']);
  pw(['setup', join(work, 'plan.json'), '--json']);
  // Each worker changes 5 of its files, adds one, and completes.
  for (let w = 0; w < WORKERS; w++) {
    const tree = join(work, 'repo.pw', 'bench', dirOf(w));
    for (let f = 0; f < 5; f++) {
      const path = join(tree, dirOf(w), `sub${f}`, `file${pad(f, 4)}.ts`);
      writeFileSync(path, `// changed by ${dirOf(w)}\nexport const value = ${w};\n`);
    }
    writeFileSync(
      join(tree, dirOf(w), `new-${dirOf(w)}.ts`),
      `export const added = '${dirOf(w)}';\n`,
    );
    git(['add', '-A', '--', dirOf(w)], tree);
    git(['commit', '-q', '-m', `[CHECKPOINT] change ${dirOf(w)}`], tree);
    git(['commit', '-q', '--allow-empty', '-m', `[COMPLETE] ${dirOf(w)} done`], tree);
  }
}

/** HEAD, status and index mtime of every user worktree: what "untouched" means. */
function worktreeFingerprint() {
  const lines = git(['worktree', 'list', '--porcelain']).split('\n');
  const paths = lines.filter((l) => l.startsWith('worktree ')).map((l) => l.slice(9));
  return paths
    .filter((p) => !p.includes('_integrate') && !p.includes('usual-way'))
    .map((p) => {
      const gitDir = git(['rev-parse', '--absolute-git-dir'], p);
      const index = statSync(join(gitDir, 'index')).mtimeMs;
      // GIT_OPTIONAL_LOCKS=0: a status that refreshed the index would itself touch what is measured.
      const status = execFileSync('git', ['status', '--porcelain'], {
        cwd: p,
        env: { ...env, GIT_OPTIONAL_LOCKS: '0' },
        encoding: 'utf8',
      });
      return `${p} ${git(['rev-parse', 'HEAD'], p)} index@${index} ${JSON.stringify(status)}`;
    })
    .join('\n');
}

const branches = Array.from({ length: WORKERS }, (_, w) => `pw/bench/${dirOf(w)}`);

function runPw(start) {
  git(['update-ref', 'refs/heads/integrated', start]);
  const t0 = process.hrtime.bigint();
  pw(['integrate', '--no-verify', '--json']);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, tree: git(['rev-parse', 'integrated^{tree}']) };
}

// The usual way runs plain git: pw's own hooks (installed by setup) are switched off for it, so
// it pays nothing pw adds. The branches are merged in pw's order (each dependsOn provider,
// w00, w05, ..., comes before its dependent in plan order anyway).
const plainGit = (args, cwd) => git(['-c', 'core.hooksPath=/dev/null', ...args], cwd);

function mergeAll(cwd) {
  for (const branch of branches) plainGit(['merge', '--no-ff', '--no-edit', '-q', branch], cwd);
  return git(['rev-parse', 'HEAD^{tree}'], cwd);
}

/** A checkout of the target in a worktree of its own (the user's stays untouched, as with pw), then the merges. */
let freshCount = 0;
function runUsualFresh(start) {
  const dir = join(work, `usual-fresh-${freshCount++}`);
  const t0 = process.hrtime.bigint();
  plainGit(['worktree', 'add', '-q', '--detach', dir, start]);
  const tree = mergeAll(dir);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  plainGit(['worktree', 'remove', '--force', dir]);
  return { ms, tree };
}

/** The cheapest usual way: a worktree kept from the last round, switched back to the target, then the merges. */
function runUsualReused(start, scratch) {
  const t0 = process.hrtime.bigint();
  plainGit(['checkout', '-q', '--detach', start], scratch);
  const tree = mergeAll(scratch);
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, tree };
}

try {
  const t0 = Date.now();
  generateRepository();
  setUpPlan();
  const start = git(['rev-parse', 'main']);
  const scratch = join(work, 'usual-way');
  git(['worktree', 'add', '-q', '--detach', scratch, start]);
  console.log(
    `Repository: ${FILES} files, ${WORKERS} workers (${git(['ls-files']).split('\n').length} tracked), ready in ${((Date.now() - t0) / 1000).toFixed(1)}s; ${ROUNDS} rounds, the three ways in turn.`,
  );
  const before = worktreeFingerprint();
  const runs = { pw: [], fresh: [], reused: [] };
  const trees = {};
  const ways = ['pw', 'fresh', 'reused'];
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < ways.length; k++) {
      const which = ways[(round + k) % ways.length];
      const result =
        which === 'pw'
          ? runPw(start)
          : which === 'fresh'
            ? runUsualFresh(start)
            : runUsualReused(start, scratch);
      runs[which].push(result.ms);
      trees[which] ??= result.tree;
      if (trees[which] !== result.tree) throw new Error(`${which} produced another tree`);
    }
  }
  if (trees.pw !== trees.fresh || trees.pw !== trees.reused)
    throw new Error(`different results: ${JSON.stringify(trees)}`);
  const after = worktreeFingerprint();
  if (before !== after)
    throw new Error(`pw integrate touched a user worktree:\nbefore:\n${before}\nafter:\n${after}`);
  const fmt = (values) => values.map((v) => v.toFixed(0)).join(' ');
  const m = Object.fromEntries(ways.map((w) => [w, median(runs[w])]));
  console.log(
    `pw integrate --no-verify (a new process each run):     median ${m.pw.toFixed(0)} ms  [${fmt(runs.pw)}]`,
  );
  console.log(
    `fresh worktree checkout + git merge --no-ff x ${WORKERS}:    median ${m.fresh.toFixed(0)} ms  [${fmt(runs.fresh)}]`,
  );
  console.log(
    `reused worktree checkout + git merge --no-ff x ${WORKERS}:   median ${m.reused.toFixed(0)} ms  [${fmt(runs.reused)}]`,
  );
  console.log(
    `ratio: pw is ${(m.fresh / m.pw).toFixed(2)}x faster than a fresh checkout + merges, ${(m.reused / m.pw).toFixed(2)}x faster than the reused-worktree way (goal: 3x); same tree: yes; user worktrees untouched: yes (${WORKERS + 1} checked)`,
  );
} finally {
  if (!process.env.BENCH_KEEP) rmSync(work, { recursive: true, force: true });
  else console.log(`kept ${work}`);
}
