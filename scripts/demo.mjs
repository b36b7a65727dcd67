#!/usr/bin/env node
// npm run demo: the main job end to end on a built-in example.
// Builds a throwaway repository from templates/demo-project, sets up three
// workers, plays their commits (with the commit protocol, and a few mistakes
// the hooks refuse), follows them with pw status, integrates, and writes the
// retrospective. Everything it makes stays in one temp folder, printed at the end.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'dist', 'cli', 'bin.js');
const work = mkdtempSync(join(tmpdir(), 'pw-demo-'));
const repo = join(work, 'acme-status');
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const bold = (text) => (color ? `\x1b[1m${text}\x1b[0m` : text);
const dim = (text) => (color ? `\x1b[2m${text}\x1b[0m` : text);

// The demo's clock: commits are dated from two and a half hours ago to now, so
// status ages and the retrospective's figures look like a real afternoon.
const start = Date.now() - 150 * 60_000;
const env = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Demo Agent',
  GIT_AUTHOR_EMAIL: 'agent@acme.example',
  GIT_COMMITTER_NAME: 'Demo Agent',
  GIT_COMMITTER_EMAIL: 'agent@acme.example',
  GIT_CONFIG_NOSYSTEM: '1',
};
// PW_NOW puts pw on the same clock, so status ages, hook events and the
// retrospective agree with the commit dates.
const at = (minutes) => {
  const date = new Date(start + minutes * 60_000).toISOString();
  return { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date, PW_NOW: date };
};

function run(command, args, options = {}) {
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? repo,
    env: { ...env, ...options.env },
    encoding: 'utf8',
  });
  if (options.show !== false) {
    const out = `${result.stdout ?? ''}${result.stderr ?? ''}`.trimEnd();
    if (out) console.log(out.replace(/^/gm, '    '));
  }
  const expected = options.expectFailure ? result.status !== 0 : result.status === 0;
  if (!expected) {
    if (options.show === false) console.error(`${result.stdout}${result.stderr}`);
    throw new Error(
      `demo: ${command} ${args.join(' ')} ${options.expectFailure ? 'succeeded but should have been refused' : `failed (exit ${result.status})`}`,
    );
  }
  return result;
}
const pw = (args, options = {}) => {
  console.log(dim(`  $ pw ${args.join(' ')}`));
  return run(process.execPath, [bin, ...args], options);
};
const git = (cwd, args, options = {}) => run('git', args, { cwd, show: false, ...options });
const say = (text) => console.log(`\n${bold(text)}`);
const note = (text) => console.log(`  ${text}`);

function commit(worker, minutes, message, files = {}) {
  const cwd = worktree(worker);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(cwd, path)), { recursive: true });
    writeFileSync(join(cwd, path), content);
  }
  git(cwd, ['add', '-A']);
  git(cwd, ['commit', '-q', '--allow-empty', '-m', message], { env: at(minutes) });
  note(`${dim(`+${String(minutes).padStart(3)}m`)} ${worker.padEnd(4)} ${message.split('\n')[0]}`);
}
const worktree = (worker) => join(work, 'acme-status.pw', 'health', worker);

// 1. A small real-looking project in a fresh repository.
say('1. A repository: acme-status, a small Node service');
cpSync(join(root, 'templates', 'demo-project'), repo, { recursive: true });
git(work, ['init', '-q', '-b', 'main', repo]);
for (const [key, value] of [
  ['user.name', 'Demo Lead'],
  ['user.email', 'lead@acme.example'],
  ['commit.gpgSign', 'false'],
  ['gc.auto', '0'],
]) {
  git(repo, ['config', key, value]);
}
const plan = readFileSync(join(root, 'templates', 'demo-plan.md'), 'utf8').replace(
  'stallAfter: 3h\n',
  `stallAfter: 3h\nagent:\n  command: ${JSON.stringify(`${JSON.stringify(process.execPath)} ${JSON.stringify(join(root, 'scripts', 'demo-agent.mjs'))}`)}\n`,
);
writeFileSync(join(repo, 'health.plan.md'), plan);
git(repo, ['add', '-A']);
git(repo, ['commit', '-q', '-m', 'Initial import of acme-status'], { env: at(0) });
note(`${repo}`);
note(
  'plan: health.plan.md — three workers: api (owns /src/api/, /test/api/), web (/src/web/, depends on api), docs (/docs/, /README.md)',
);

// 2. Setup: a worktree, branch, brief and launch script per worker.
say('2. pw setup: one worktree, branch, brief and launch script per worker');
pw(['setup', 'health.plan.md'], { env: at(2) });
note(`Each worker's brief is WORKER.md in its worktree; the first lines of web's:`);
console.log(
  readFileSync(join(worktree('web'), 'WORKER.md'), 'utf8')
    .split('\n')
    .slice(0, 12)
    .map((line) => `    │ ${line}`)
    .join('\n'),
);
note('Starting web through its launch script (the agent here is a scripted stand-in):');
run('sh', [join(repo, '.git', 'pw', 'health', 'launch', 'web.sh')]);

// 3. The workers commit with the protocol.
say('3. The workers work, reporting only through commit messages');
commit('api', 12, '[CHECKPOINT] route skeleton for GET /health', {
  'src/api/routes.js':
    readFileSync(join(repo, 'src/api/routes.js'), 'utf8').replace(
      '  return { status: 404',
      "  if (method === 'GET' && url === '/health') return { status: 200, body: health() };\n  return { status: 404",
    ) + "\nexport function health() {\n  return { status: 'ok' };\n}\n",
});
commit('web', 20, '[NEEDS:api/health-endpoint] the page needs the /health response shape');
commit('docs', 25, '[CHECKPOINT] outline for the health docs', {
  'docs/health.md': '# GET /health\n\nReports whether the service is up.\n',
});
commit('docs', 40, '[BLOCKED:response format not decided] cannot document fields yet');

// 4. The hooks refuse what a worker must not do.
say('4. The hooks keep each worker inside its files and its protocol');
note('web edits a file api owns and tries to commit it:');
writeFileSync(join(worktree('web'), 'src/api/routes.js'), '// web was here\n');
git(worktree('web'), ['add', '-A']);
run('git', ['commit', '-q', '-m', '[CHECKPOINT] quick fix in the api'], {
  cwd: worktree('web'),
  env: at(45),
  expectFailure: true,
});
git(worktree('web'), ['reset', '-q', '--hard', 'HEAD']);
note('web writes a message without a status prefix:');
writeFileSync(
  join(worktree('web'), 'src/web/page.js'),
  readFileSync(join(repo, 'src/web/page.js'), 'utf8'),
);
run('git', ['commit', '-q', '--allow-empty', '-m', 'wip'], {
  cwd: worktree('web'),
  env: at(46),
  expectFailure: true,
});

note('web tries to skip the hooks with --no-verify; the reference-transaction hook still runs:');
writeFileSync(join(worktree('web'), 'src/api/routes.js'), '// web was here\n');
git(worktree('web'), ['add', '-A']);
run('git', ['commit', '-q', '--no-verify', '-m', '[CHECKPOINT] quick fix in the api'], {
  cwd: worktree('web'),
  env: at(47),
  expectFailure: true,
});
git(worktree('web'), ['reset', '-q', '--hard', 'HEAD']);
note('Nothing got in: pw check, the gate no client setting can skip, agrees.');
pw(['hooks', 'status'], { env: at(48) });
pw(['check'], { env: at(48) });

// 5. Status mid-flight: one blocked, one waiting.
say('5. pw status: who is working, blocked or waiting');
commit(
  'api',
  55,
  '[CHECKPOINT] GET /health returns status, version and uptime\n\nProvides: health-endpoint',
  {
    'src/api/routes.js': readFileSync(join(worktree('api'), 'src/api/routes.js'), 'utf8').replace(
      "return { status: 'ok' };",
      "return { status: 'ok', version: '1.4.0', uptime: Math.round(process.uptime()) };",
    ),
  },
);
pw(['status'], { env: at(58) });
note('docs is blocked; web asked api for health-endpoint, which api has now provided.');
note('pw wait answers the same question with an exit code (1: someone needs attention):');
pw(['wait', '--timeout', '0s'], { env: at(58), expectFailure: true });

// 6. The blocked worker recovers and everyone finishes.
say('6. docs gets its answer and recovers; everyone finishes');
commit('docs', 70, '[CHECKPOINT] document status, version and uptime', {
  'docs/health.md':
    '# GET /health\n\nReturns `{"status":"ok","version":"1.4.0","uptime":<seconds>}`.\n',
});
commit('api', 80, '[COMPLETE] GET /health with a test', {
  'test/api/health.test.js':
    "import assert from 'node:assert/strict';\nimport { test } from 'node:test';\nimport { route } from '../../src/api/routes.js';\n\ntest('GET /health is ok', () => {\n  assert.equal(route('GET', '/health').body.status, 'ok');\n});\n",
});
commit('web', 95, '[CHECKPOINT] status page shows the health result', {
  'src/web/page.js':
    readFileSync(join(worktree('web'), 'src/web/page.js'), 'utf8') +
    "\n/** One line for the API's /health answer. */\nexport function renderHealth(health) {\n  return `<p>API ${health.status}, version ${health.version}, up ${health.uptime}s</p>`;\n}\n",
});
commit('docs', 105, '[COMPLETE] health endpoint and status page documented', {
  'README.md':
    readFileSync(join(worktree('docs'), 'README.md'), 'utf8') +
    '\n`GET /health` reports status, version and uptime; see docs/health.md.\n',
});
commit('web', 120, '[COMPLETE] status page shows API health');
pw(['status'], { env: at(122) });

// 7. Integrate in dependency order, verify, publish atomically.
say('7. pw integrate: merge in dependency order, verify, move main atomically');
pw(['integrate'], { env: at(130) });
note('main now:');
run('git', ['log', '--graph', '--format=%h %s', '-n', '12', 'main']);

// 8. The retrospective.
say('8. pw retro: what went well and what did not');
const report = join(work, 'retro.md');
const svg = join(work, 'retro.svg');
const html = join(work, 'retro.html');
pw(['retro', '--out', report, '--svg', svg, '--html', html], { env: at(135) });
console.log(
  readFileSync(report, 'utf8')
    .split('\n')
    .slice(0, 30)
    .map((line) => `    │ ${line}`)
    .join('\n'),
);

say('Where everything is');
note(`repository:      ${repo}`);
note(
  `worker worktrees: ${join(work, 'acme-status.pw', 'health')} (removed by pw integrate --teardown or pw teardown)`,
);
note(`retrospective:   ${report}`);
note(`timeline:        ${svg}`);
note(`report + picture: ${html}`);
note(`Try: cd ${repo} && node ${bin} status --json`);
note(`Clean up: rm -rf ${work}`);
