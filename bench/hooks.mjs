// npm run bench:hooks: what the pw hooks cost on a commit, and how that cost
// grows with the repository.
//
// For each size (1,000 / 10,000 / 50,000 files by default, nested 100 files to
// a folder, a plan of 5 workers, built dist, real `pw setup`), it times
// `git commit` of one changed file in worker worktrees, alternating the order
// every round:
//   bare  no hooks at all (git -c core.hooksPath=<empty folder>)
//   pw    the pw hooks as setup installed them (sh + git plumbing)
//   node  (with --node) hooks written in Node doing the same checks (scope of
//         the staged paths, the protocol of the message, the scope of the
//         branch update), the way a Node-based hook manager would
// and prints the medians, the ratio to bare and the overhead (the median of
// each round's pw - bare, with its quartiles). Goals (issue 11): at the largest
// size pw <= 1.5x bare, and the overhead there at most 1.3x the overhead at
// the smallest: the hooks cost what the change costs, not what the repository
// costs.
//
// Options: BENCH_ROUNDS=<n> (default 30), BENCH_SIZES=1000,10000,50000,
// --node, --json.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { createBenchRepo, fastImportCommit, median } from './lib.mjs';

const project = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(project, 'dist', 'cli', 'bin.js');
const rounds = Number(process.env.BENCH_ROUNDS ?? 30);
const sizes = (process.env.BENCH_SIZES ?? '1000,10000,50000').split(',').map(Number);
const json = process.argv.includes('--json');
const withNode = process.argv.includes('--node');
const WORKERS = 5;
const PER_FOLDER = 100;
const GOAL_RATIO = 1.5;
const GOAL_GROWTH = 1.3;

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  return sorted[low] + (sorted[Math.ceil(at)] - sorted[low]) * (at - low);
};
const round2 = (n) => Number(n.toFixed(2));

/** `files` files over the workers' folders, through git fast-import: no files on disk, one process. */
function generateRepository(repo, git, files) {
  const perWorker = Math.ceil(files / WORKERS);
  const entries = [];
  for (let w = 0; w < WORKERS; w++) {
    for (let f = 0; f < perWorker && entries.length < files; f++) {
      const data = `// module ${w}, file ${f}\nexport const value${f} = ${w * perWorker + f};\n`;
      const folder = `d${Math.floor(f / PER_FOLDER)}`;
      entries.push({ path: `mod${w}/src/${folder}/file${f % PER_FOLDER}.ts`, data });
    }
  }
  git(
    ['fast-import', '--quiet'],
    repo,
    fastImportCommit({
      ref: 'refs/heads/main',
      time: 1700000000,
      message: `initial: ${files} files\n`,
      files: entries,
    }),
  );
  git(['reset', '-q', '--hard', 'main']);
  writeFileSync(
    join(repo, 'plan.yaml'),
    [
      'name: bench',
      'workers:',
      ...Array.from({ length: WORKERS }, (_, w) =>
        [`  - id: w${w}`, `    owns: ["/mod${w}/"]`, `    task: module ${w}`].join('\n'),
      ),
      '',
    ].join('\n'),
  );
}

/** Node hooks doing what the pw hooks do, the way a Node-based hook manager would. */
function writeNodeHooks(dir, worker) {
  mkdirSync(dir, { recursive: true });
  // pw's protocol parser as one module (dist/ holds the bundled CLI only).
  const protocolFile = join(dir, 'protocol.mjs');
  buildSync({
    entryPoints: [join(project, 'src', 'domain', 'protocol', 'protocol.ts')],
    outfile: protocolFile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    logLevel: 'warning',
  });
  const protocol = JSON.stringify(protocolFile);
  const excludes = JSON.stringify([':/', `:(top,glob,exclude)mod${worker}/**`]);
  const workers = JSON.stringify(Array.from({ length: WORKERS }, (_, w) => `w${w}`));
  const head = `#!${process.execPath}\nimport { execFileSync } from 'node:child_process';\n`;
  const hooks = {
    'pre-commit': `${head}
const out = execFileSync('git', ['diff-index', '--cached', '--name-only', '--no-renames', 'HEAD', '--', ...${excludes}], { encoding: 'utf8' });
if (out.trim()) { process.stderr.write('outside the scope: ' + out); process.exit(1); }
`,
    'commit-msg': `${head}
import { readFileSync } from 'node:fs';
const { parseCommitMessage, stripMessage } = await import(${protocol});
const parsed = parseCommitMessage(stripMessage(readFileSync(process.argv[2], 'utf8')), { workers: ${workers}, self: 'w${worker}' });
if (parsed.type === 'invalid') { process.stderr.write(parsed.problem + '\\n'); process.exit(1); }
`,
    'reference-transaction': `${head}
import { readFileSync } from 'node:fs';
if (process.argv[2] !== 'prepared') process.exit(0);
for (const line of readFileSync(0, 'utf8').split('\\n')) {
  const [oldSha, newSha, ref] = line.split(' ');
  if (!ref || !ref.startsWith('refs/heads/pw/bench/') || oldSha === newSha) continue;
  const out = execFileSync('git', ['diff-tree', '--always', '-r', '--no-renames', '--name-only', '--format=%P', newSha, '--', ...${excludes}], { encoding: 'utf8' });
  if (out.trim() !== oldSha) { process.stderr.write('outside the scope\\n'); process.exit(1); }
}
`,
  };
  for (const [name, content] of Object.entries(hooks)) {
    writeFileSync(join(dir, name), content);
    chmodSync(join(dir, name), 0o755);
  }
}

/** One size: a fresh repository, set up, then the alternating rounds. */
function measure(files) {
  const started = Date.now();
  const { work: root, repo, env, git } = createBenchRepo('pw-bench-hooks-', bin);
  try {
    generateRepository(repo, git, files);
    const setup = spawnSync(process.execPath, [bin, 'setup', 'plan.yaml', '--json'], {
      cwd: repo,
      env,
      encoding: 'utf8',
    });
    if (setup.status !== 0) throw new Error(`pw setup failed: ${setup.stderr}`);
    const worktree = (w) => join(root, 'repo.pw', 'bench', `w${w}`);
    const empty = join(root, 'no-hooks');
    mkdirSync(empty);
    const nodeHooks = join(root, 'node-hooks');
    writeNodeHooks(nodeHooks, 2);

    const variants = [
      { name: 'bare', worker: 0, pre: ['-c', `core.hooksPath=${empty}`] },
      { name: 'pw', worker: 1, pre: [] },
      ...(withNode
        ? [{ name: 'node', worker: 2, pre: ['-c', `core.hooksPath=${nodeHooks}`] }]
        : []),
    ];
    const times = Object.fromEntries(variants.map((v) => [v.name, []]));
    const commit = (variant, n) => {
      const cwd = worktree(variant.worker);
      const file = `mod${variant.worker}/src/d0/file0.ts`;
      writeFileSync(join(cwd, file), `export const round = ${n};\n`);
      git(['add', file], cwd);
      const t0 = process.hrtime.bigint();
      const result = spawnSync(
        'git',
        [...variant.pre, 'commit', '-q', '-m', `[CHECKPOINT] bench round ${n}`],
        { cwd, env, encoding: 'utf8' },
      );
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (result.status !== 0) throw new Error(`${variant.name} commit failed: ${result.stderr}`);
      return ms;
    };
    // Warm-up: two commits each, not counted (page cache, first Node start).
    for (let n = -2; n < 0; n++) for (const variant of variants) commit(variant, n);
    for (let n = 0; n < rounds; n++) {
      // Alternate the order so no variant always runs first.
      const order = variants.map((_, i) => variants[(i + n) % variants.length]);
      for (const variant of order) times[variant.name].push(commit(variant, n));
    }
    // The pw hooks really ran: an out-of-scope commit in the pw worktree is refused.
    const pwTree = worktree(1);
    writeFileSync(join(pwTree, 'mod4/src/d0/file0.ts'), 'export const stray = 1;\n');
    git(['add', 'mod4/src/d0/file0.ts'], pwTree);
    const refused = spawnSync('git', ['commit', '-q', '-m', '[CHECKPOINT] stray'], {
      cwd: pwTree,
      env,
      encoding: 'utf8',
    });
    if (refused.status === 0) throw new Error('the pw hooks did not refuse an out-of-scope commit');

    const overheads = times.pw.map((ms, i) => ms - times.bare[i]);
    const medianMs = Object.fromEntries(
      Object.entries(times).map(([k, v]) => [k, round2(median(v))]),
    );
    return {
      files,
      rounds,
      medianMs,
      ratio: Object.fromEntries(
        Object.keys(times)
          .filter((k) => k !== 'bare')
          .map((k) => [k, round2(medianMs[k] / medianMs.bare)]),
      ),
      overheadMs: {
        median: round2(median(overheads)),
        q1: round2(quantile(overheads, 0.25)),
        q3: round2(quantile(overheads, 0.75)),
      },
      spreadMs: Object.fromEntries(
        Object.entries(times).map(([k, v]) => [
          k,
          [round2(quantile(v, 0.25)), round2(quantile(v, 0.75))],
        ]),
      ),
      seconds: round2((Date.now() - started) / 1000),
    };
  } finally {
    if (!process.env.BENCH_KEEP) rmSync(root, { recursive: true, force: true });
    else console.log(`kept ${root}`);
  }
}

const results = [];
for (const files of sizes) {
  const result = measure(files);
  results.push(result);
  if (!json) {
    const { medianMs: m, spreadMs: s, overheadMs: o } = result;
    console.log(
      `${String(files).padStart(6)} files: bare ${m.bare.toFixed(1)} ms [${s.bare.join('-')}]   pw ${m.pw.toFixed(1)} ms [${s.pw.join('-')}]   ${result.ratio.pw.toFixed(2)}x bare   overhead ${o.median.toFixed(1)} ms [${o.q1}-${o.q3}]` +
        (withNode ? `   node ${m.node.toFixed(1)} ms ${result.ratio.node.toFixed(2)}x` : '') +
        `   (${rounds} rounds, ${result.seconds}s)`,
    );
  }
}
const first = results[0];
const last = results[results.length - 1];
const summary = {
  workers: WORKERS,
  sizes: results,
  growth: round2(last.overheadMs.median / first.overheadMs.median),
  goal: { ratioAtMost: GOAL_RATIO, growthAtMost: GOAL_GROWTH },
};
summary.goal.met = last.ratio.pw <= GOAL_RATIO && summary.growth <= GOAL_GROWTH;
if (json) console.log(JSON.stringify(summary, null, 2));
else {
  console.log(
    `goal at ${last.files} files: pw ${last.ratio.pw.toFixed(2)}x bare (<= ${GOAL_RATIO}x), overhead ${summary.growth.toFixed(2)}x the overhead at ${first.files} files (<= ${GOAL_GROWTH}x): ${summary.goal.met ? 'met' : 'MISSED'}`,
  );
}
process.exitCode = summary.goal.met ? 0 : 1;
