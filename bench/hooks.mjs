// npm run bench:hooks: what the pw hooks cost on a commit.
//
// On a generated repository of 5,000 files with a plan of 10 workers (built
// dist, real `pw setup`), it times `git commit` in three worker worktrees, in
// one run, alternating the order every round:
//   bare  no hooks at all (git -c core.hooksPath=<empty folder>)
//   pw    the pw hooks as setup installed them (sh + git plumbing)
//   node  hooks written in Node doing the same checks (scope of the staged
//         paths, the protocol of the message, the scope of the branch update)
// and prints the medians and the ratios. Goal (issue 3): pw <= 2.0 x bare.
//
// Options: BENCH_ROUNDS=<n> (default 30), --json.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBenchRepo, fastImportCommit, median } from './lib.mjs';

const project = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(project, 'dist', 'cli', 'bin.js');
const rounds = Number(process.env.BENCH_ROUNDS ?? 30);
const json = process.argv.includes('--json');
const WORKERS = 10;
const FILES_PER_WORKER = 500;

const { work: root, repo, env, git } = createBenchRepo('pw-bench-hooks-', bin);

/** One commit of 5,000 files through git fast-import: no files on disk, one process. */
function generateRepository() {
  const files = [];
  for (let w = 0; w < WORKERS; w++) {
    for (let f = 0; f < FILES_PER_WORKER; f++) {
      const data = `// module ${w}, file ${f}\nexport const value${f} = ${w * FILES_PER_WORKER + f};\n`;
      files.push({ path: `mod${w}/src/file${f}.ts`, data });
    }
  }
  git(
    ['fast-import', '--quiet'],
    repo,
    fastImportCommit({
      ref: 'refs/heads/main',
      time: 1700000000,
      message: 'initial: 5,000 files\n',
      files,
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
  const protocol = JSON.stringify(join(project, 'dist', 'domain', 'protocol', 'protocol.js'));
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

try {
  const started = Date.now();
  generateRepository();
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
    { name: 'node', worker: 2, pre: ['-c', `core.hooksPath=${nodeHooks}`] },
  ];
  const times = Object.fromEntries(variants.map((v) => [v.name, []]));
  const commit = (variant, n) => {
    const cwd = worktree(variant.worker);
    writeFileSync(join(cwd, `mod${variant.worker}/src/file0.ts`), `export const round = ${n};\n`);
    git(['add', `mod${variant.worker}/src/file0.ts`], cwd);
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
  // Warm-up: one commit each, not counted (page cache, first Node start).
  for (const variant of variants) commit(variant, -1);
  for (let n = 0; n < rounds; n++) {
    // Alternate the order so no variant always runs first.
    const order = variants.map((_, i) => variants[(i + n) % variants.length]);
    for (const variant of order) times[variant.name].push(commit(variant, n));
  }
  // The pw hooks really ran: an out-of-scope commit in the pw worktree is refused.
  const pwTree = worktree(1);
  writeFileSync(join(pwTree, 'mod5/src/file0.ts'), 'export const stray = 1;\n');
  git(['add', 'mod5/src/file0.ts'], pwTree);
  const refused = spawnSync('git', ['commit', '-q', '-m', '[CHECKPOINT] stray'], {
    cwd: pwTree,
    env,
    encoding: 'utf8',
  });
  if (refused.status === 0) throw new Error('the pw hooks did not refuse an out-of-scope commit');

  const result = {
    files: WORKERS * FILES_PER_WORKER,
    workers: WORKERS,
    rounds,
    medianMs: Object.fromEntries(
      Object.entries(times).map(([k, v]) => [k, Number(median(v).toFixed(2))]),
    ),
  };
  result.ratio = {
    pw: Number((result.medianMs.pw / result.medianMs.bare).toFixed(2)),
    node: Number((result.medianMs.node / result.medianMs.bare).toFixed(2)),
  };
  result.goal = { pwAtMost: 2.0, met: result.ratio.pw <= 2.0 };
  result.seconds = Number(((Date.now() - started) / 1000).toFixed(1));
  if (json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(
      `pw hooks benchmark: ${result.files} files, ${WORKERS} workers, ${rounds} alternating rounds (git commit, median)`,
    );
    console.log(`  bare (no hooks)   ${result.medianMs.bare.toFixed(2)} ms`);
    console.log(
      `  pw hooks          ${result.medianMs.pw.toFixed(2)} ms   ${result.ratio.pw.toFixed(2)}x bare`,
    );
    console.log(
      `  Node-based hooks  ${result.medianMs.node.toFixed(2)} ms   ${result.ratio.node.toFixed(2)}x bare`,
    );
    console.log(
      `  goal pw <= 2.0x bare: ${result.goal.met ? 'met' : 'MISSED'}   (${result.seconds}s in all)`,
    );
  }
} finally {
  if (!process.env.BENCH_KEEP) rmSync(root, { recursive: true, force: true });
  else console.log(`kept ${root}`);
}
