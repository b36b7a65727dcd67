#!/usr/bin/env node
// The second part of npm run demo: `pw run` with scripted agents on a fresh
// three-worker repository. The agents (test/fixtures/fake-agent.mjs) follow a
// script: the API worker hits a rate limit once and is retried, the web worker
// starts only once the API is COMPLETE (with its work merged in), and the
// database worker commits a NEEDS on the way, then stops BLOCKED on a question:
// `pw send` answers it, its session resumes with the answer and it completes.
// Then pw integrate merges all three. Everything stays in one temp folder.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'dist', 'cli', 'bin.js');
const agent = join(root, 'test', 'fixtures', 'fake-agent.mjs');
const work = mkdtempSync(join(tmpdir(), 'pw-demo-run-'));
const repo = join(work, 'shop');
const agents = join(work, 'agents');
mkdirSync(agents);
const env = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Demo Agent',
  GIT_AUTHOR_EMAIL: 'agent@shop.example',
  GIT_COMMITTER_NAME: 'Demo Agent',
  GIT_COMMITTER_EMAIL: 'agent@shop.example',
  GIT_CONFIG_NOSYSTEM: '1',
  FAKE_AGENT_DIR: agents,
  PW_RUN_SEED: '1',
};
const run = (command, args, options = {}) => {
  const result = spawnSync(command, args, { cwd: repo, env, encoding: 'utf8', ...options });
  if (options.show !== false)
    process.stdout.write(`${result.stdout ?? ''}${result.stderr ?? ''}`.replace(/^/gm, '    '));
  return result;
};
const files = {
  'README.md': '# shop\n',
  'src/api/routes.js': 'export const routes = [];\n',
  'src/web/page.js': 'export const page = 1;\n',
  'src/db/schema.js': 'export const schema = 1;\n',
  'plan.yaml': `name: shop
run:
  backoff: 500ms
workers:
  - id: api
    owns: ["/src/api/"]
    task: Add the /orders route.
    agent: node ${agent} {brief}
  - id: db
    owns: ["/src/db/"]
    task: Add the orders table.
    agent: node ${agent} {brief}
  - id: web
    owns: ["/src/web/"]
    task: Show the orders page, using the API.
    dependsOn: [api]
    agent: node ${agent}
`,
};
mkdirSync(repo);
spawnSync('git', ['init', '-q', '-b', 'main', repo], { env });
for (const [path, content] of Object.entries(files)) {
  mkdirSync(dirname(join(repo, path)), { recursive: true });
  writeFileSync(join(repo, path), content);
}
run('git', ['add', '-A'], { show: false });
run('git', ['commit', '-q', '-m', 'shop'], { show: false });
const script = (worker, attempts) =>
  writeFileSync(join(agents, `${worker}.json`), JSON.stringify({ attempts }));
script('api', [
  [{ sleep: 400 }, { stderr: 'API Error: 429 rate limit exceeded' }, { exit: 1 }],
  [
    { write: 'src/api/routes.js', content: "export const routes = ['/orders'];\n" },
    { commit: '[CHECKPOINT] the /orders route' },
    { sleep: 400 },
    { commit: '[COMPLETE] GET /orders' },
  ],
]);
script('db', [
  [
    { commit: '[NEEDS:api/orders-shape] the table follows the route' },
    { sleep: 600 },
    { commit: '[BLOCKED:orders-index] which column should index the orders table?' },
  ],
  [
    { stdout: 'Got the answer: index orders by customer_id.' },
    {
      write: 'src/db/schema.js',
      content: "export const schema = { orders: [], index: 'customer_id' };\n",
    },
    { commit: '[COMPLETE] the orders table, indexed by customer_id' },
  ],
]);
script('web', [
  [
    {
      write: 'src/web/page.js',
      content: "import { routes } from '../api/routes.js';\nexport const page = routes;\n",
    },
    { commit: '[COMPLETE] the orders page' },
  ],
]);
console.log(`\n== pw run: three scripted agents in ${repo}\n`);
console.log('  $ pw run plan.yaml --report run.md');
const result = run(process.execPath, [bin, 'run', 'plan.yaml', '--report', 'run.md']);
console.log(`  (exit ${result.status}: db is BLOCKED and waits for an answer)\n`);
console.log('  $ pw send db "Index orders by customer_id." --wait');
const sent = run(process.execPath, [bin, 'send', 'db', 'Index orders by customer_id.', '--wait']);
console.log(`  (exit ${sent.status})\n\n  $ pw logs db`);
run(process.execPath, [bin, 'logs', 'db']);
console.log('\n  $ pw status');
run(process.execPath, [bin, 'status']);
console.log('\n  $ pw integrate');
const integrated = run(process.execPath, [bin, 'integrate']);
console.log('\n  run.md:');
run('cat', ['run.md']);
console.log(`\n  Clean up: rm -rf ${work}`);
process.exitCode = result.status === 1 && sent.status === 0 && integrated.status === 0 ? 0 : 1;
