// Why pw spawns git through one execa wrapper instead of using simple-git or
// isomorphic-git for its hot paths: measured here, in one run, alternating.
import { writeFileSync } from 'node:fs';
import fs from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { execa } from 'execa';
import git from 'isomorphic-git';
import { simpleGit } from 'simple-git';
import { alternate, gitEnv, median, report, sh, tempDir } from './lib.mjs';

const rounds = Number(process.env.BENCH_ROUNDS ?? 15);
const dir = join(tempDir('pw-bench-deps-'), 'repo');
sh('git', ['init', '-q', '-b', 'main', dir]);
// 1,000 commits, generated with fast-import.
let stream = '';
for (let i = 1; i <= 1000; i++) {
  const content = `line ${i}\n`;
  stream += `commit refs/heads/main\nmark :${i}\ncommitter Bench <b@example.com> ${1_700_000_000 + i * 60} +0000\ndata ${`[CHECKPOINT] step ${i}`.length}\n[CHECKPOINT] step ${i}\n`;
  if (i > 1) stream += `from :${i - 1}\n`;
  stream += `M 100644 inline file.txt\ndata ${Buffer.byteLength(content)}\n${content}\n`;
}
sh('git', ['fast-import', '--quiet'], { cwd: dir, input: stream });
sh('git', ['reset', '-q', '--hard', 'main'], { cwd: dir });
sh('git', ['worktree', 'add', '-q', '-b', 'linked', join(dir, '..', 'linked')], { cwd: dir });
const linked = join(dir, '..', 'linked');

const sg = simpleGit({ baseDir: dir });
const run = promisify(execFile);
const samples = await alternate(
  {
    'execa: git log (1,000 commits)': () =>
      execa('git', ['log', '--format=%H%x1f%ct%x1f%B%x00', 'main'], { cwd: dir, env: gitEnv }),
    'child_process: git log (1,000 commits)': () =>
      run('git', ['log', '--format=%H%x1f%ct%x1f%B%x00', 'main'], {
        cwd: dir,
        env: gitEnv,
        maxBuffer: 1 << 30,
      }),
    'simple-git: raw git log (1,000 commits)': () =>
      sg.raw(['log', '--format=%H%x1f%ct%x1f%B%x00', 'main']),
    'simple-git: log() parsed (1,000 commits)': () => sg.log(['main']),
    'isomorphic-git: log (1,000 commits)': () => git.log({ fs, dir, ref: 'main' }),
  },
  rounds,
);
report('Reading a 1,000-commit history', samples, 'execa: git log (1,000 commits)');

const small = await alternate(
  {
    'execa: git rev-parse HEAD': () =>
      execa('git', ['rev-parse', 'HEAD'], { cwd: dir, env: gitEnv }),
    'child_process: git rev-parse HEAD': () =>
      run('git', ['rev-parse', 'HEAD'], { cwd: dir, env: gitEnv }),
    'simple-git: revparse HEAD': () => sg.revparse(['HEAD']),
    'isomorphic-git: resolveRef HEAD': () => git.resolveRef({ fs, dir, ref: 'HEAD' }),
  },
  rounds * 2,
);
report('One small call', small, 'execa: git rev-parse HEAD');

// Start-up: what loading execa adds to a fresh `pw` process (hooks call pw to
// explain a refusal; every command is a fresh process).
const load = (module) => () =>
  sh(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(module)})`], {
    cwd: process.cwd(),
  });
const startup = await alternate(
  {
    'node + import node:child_process': load('node:child_process'),
    'node + import execa': load('execa'),
    'node + import simple-git': load('simple-git'),
  },
  rounds,
);
report('Process start-up with the module loaded', startup, 'node + import node:child_process');

// Linked worktrees: `.git` is a file pointing at the worktree's own git dir,
// whose `commondir` file points at the shared refs and objects.
const linkedChecks = {};
for (const [name, call, expected] of [
  ['currentBranch', () => git.currentBranch({ fs, dir: linked }), 'linked'],
  [
    'resolveRef HEAD',
    () => git.resolveRef({ fs, dir: linked, ref: 'HEAD' }),
    sh('git', ['rev-parse', 'HEAD'], { cwd: linked }).stdout.trim(),
  ],
  [
    'log HEAD (depth 1)',
    async () => (await git.log({ fs, dir: linked, ref: 'HEAD', depth: 1 }))[0]?.oid,
    sh('git', ['rev-parse', 'HEAD'], { cwd: linked }).stdout.trim(),
  ],
  [
    'statusMatrix (index of the worktree)',
    async () => (await git.statusMatrix({ fs, dir: linked })).length,
    1,
  ],
]) {
  try {
    const answer = await call();
    linkedChecks[name] =
      answer === expected
        ? 'ok'
        : `wrong answer ${JSON.stringify(answer)} (git says ${JSON.stringify(expected)})`;
  } catch (error) {
    linkedChecks[name] = `failed: ${error.code ?? ''} ${String(error.message).split('\n')[0]}`;
  }
}
console.log('\nisomorphic-git in a linked worktree:');
for (const [name, outcome] of Object.entries(linkedChecks))
  console.log(`  ${name.padEnd(40)} ${outcome}`);
const linkedResult = linkedChecks;
writeFileSync(
  join(dir, '..', 'result.json'),
  JSON.stringify(
    {
      samples,
      small,
      linkedResult,
      median: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)])),
    },
    null,
    2,
  ),
);
