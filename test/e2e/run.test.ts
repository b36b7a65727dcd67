import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentArg, agentStdin, createRunRepo, type RunRepo } from '../helpers/run-fixture.js';
import { builtBin } from '../helpers/temp-repo.js';
import { shQuote } from '../../src/domain/setup/shell-quote.js';
import { readProcessStartTime } from '../../src/store/process-identity.js';

const FILES = {
  'src/api/a.ts': 'a\n',
  'src/web/w.ts': 'w\n',
  'src/db/d.ts': 'd\n',
};

function plan(extra = '', workers?: string): string {
  return `name: demo
run:
  backoff: 10ms
  killGrace: 2s
${extra}workers:
${
  workers ??
  `  - id: api
    owns: ["/src/api/"]
    task: Build the API.
    agent: ${agentArg}
  - id: web
    owns: ["/src/web/"]
    task: Build the web app.
    dependsOn: [api]
    agent: ${agentStdin}
  - id: db
    owns: ["/src/db/"]
    task: Build the database.
    agent: ${agentArg}
`
}`;
}

let repo: RunRepo | null = null;
afterEach(() => {
  repo?.cleanup();
  repo = null;
});

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** A plan's entry for a worker of src/<id>/ whose agent is the scripted fake one. */
const fakeWorker = (id: string, task: string, extra = ''): string =>
  `  - id: ${id}\n    owns: ["/src/${id}/"]\n    task: ${task}\n${extra}    agent: ${agentArg}\n`;

/** A plan of one worker, api, whose agent is the scripted fake one. */
function createApiOnlyRepo(): RunRepo {
  return createRunRepo(plan('', fakeWorker('api', 'Build the API.')), FILES);
}

/**
 * api, then db, then web (which depends on api), each the scripted fake agent:
 * with --max-workers 1, web is ready once api is COMPLETE but waits behind db.
 */
function createDbBeforeWebRepo(): RunRepo {
  const workers = [
    fakeWorker('api', 'Build the API.'),
    fakeWorker('db', 'Build the database.'),
    fakeWorker('web', 'Build the web app.', '    dependsOn: [api]\n'),
  ];
  return createRunRepo(plan('', workers.join('')), FILES);
}

/** The default plan, set up, whose three agents each commit COMPLETE at once. */
function createCompletingSetUpRepo(): RunRepo {
  const r = createRunRepo(plan(), FILES);
  r.script('api', [[{ commit: '[COMPLETE] the API' }]]);
  r.script('db', [[{ commit: '[COMPLETE] the database' }]]);
  r.script('web', [[{ commit: '[COMPLETE] the web app' }]]);
  expect(r.pw(['setup', 'plan.yaml']).status).toBe(0);
  return r;
}

/** pw run with an idle timeout and no retries, NDJSON events on stdout. */
function runWithIdleTimeout(r: RunRepo, idle: string): ReturnType<RunRepo['run']> {
  return r.run(['run', 'plan.yaml', '--json', '--idle-timeout', idle, '--retries', '0']);
}

const types = (events: Record<string, unknown>[], worker?: string): string[] =>
  events.filter((e) => !worker || e.worker === worker).map((e) => String(e.type));

/**
 * pw run (plan.yaml, --json) in the background with api's agent started and
 * waiting for the file `go` before it commits COMPLETE.
 */
async function startApiUntilReady(
  r: RunRepo,
): Promise<{ env: NodeJS.ProcessEnv; run: ReturnType<typeof spawn> }> {
  r.script('api', [[{ stdout: 'ready' }, { waitFile: 'go' }, { commit: '[COMPLETE] the API' }]]);
  const env = { ...r.env, FAKE_AGENT_DIR: r.agents, PW_RUN_SEED: '7' };
  const run = spawn(process.execPath, [builtBin, 'run', 'plan.yaml', '--json'], {
    cwd: r.dir,
    env,
  });
  const log = join(r.commonDir, 'pw', 'demo', 'logs', 'api', 'attempt-1.log');
  for (let i = 0; i < 600 && !/^ready$/m.test(readFileSafe(log)); i++)
    await new Promise((ok) => setTimeout(ok, 100));
  return { env, run };
}

describe('pw run', () => {
  it('runs every agent, merges a provider before its dependent starts, resumes an agent that stopped early', () => {
    repo = createRunRepo(plan(), FILES);
    repo.script('api', [
      [
        { write: 'src/api/a.ts', content: 'a1\n' },
        { commit: '[CHECKPOINT] half the API' },
        { exit: 0 },
      ],
      [{ write: 'src/api/b.ts' }, { commit: '[COMPLETE] the API' }],
    ]);
    repo.script('web', [
      [{ write: 'src/web/w.ts', content: 'w1\n' }, { commit: '[COMPLETE] the web app' }],
    ]);
    repo.script('db', [
      [{ write: 'src/db/d.ts', content: 'd1\n' }, { commit: '[COMPLETE] the database' }],
    ]);
    const result = repo.run(['run', 'plan.yaml', '--json']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const events = repo.events(result.stdout);
    expect(types(events, 'api')).toEqual([
      'worker-started',
      'worker-exited',
      'worker-retry',
      'worker-started',
      'worker-exited',
      'worker-complete',
    ]);
    expect(events.find((e) => e.type === 'worker-retry')).toMatchObject({
      category: 'incomplete',
      delayMs: 0,
    });
    expect(types(events, 'web').slice(0, 2)).toEqual(['worker-merged', 'worker-started']);
    expect(events.at(-1)).toMatchObject({
      type: 'run-finished',
      outcome: 'complete',
      complete: 3,
      total: 3,
    });
    // The brief as one argument; the resume with a continuation prompt naming the last commit.
    const api = repo.calls('api');
    expect(api[0]!.argv[0]).toContain('# ');
    expect(api[1]!.argv[0]).toContain('[CHECKPOINT] half the API');
    expect(api[1]!.argv[0]).toContain('[COMPLETE]');
    // The dependent got its brief on stdin and started from the provider's COMPLETE work.
    const web = repo.calls('web');
    expect(web[0]!.argv).toEqual([]);
    expect(web[0]!.stdin).toContain('web');
    const webLog = repo.git(['log', '--format=%s', 'pw/demo/web']);
    expect(webLog).toContain('[COMPLETE] the API');
    expect(webLog).toContain("Merge branch 'pw/demo/api' into pw/demo/web");
    const status = JSON.parse(repo.pw(['status', '--json']).stdout) as {
      workers: { id: string; state: string }[];
    };
    expect(status.workers.map((w) => w.state)).toEqual(['complete', 'complete', 'complete']);
    // The retrospective counts the attempts.
    const retro = repo.pw(['retro']).stdout;
    expect(retro).toContain('## Agent runs');
    // A command agent reports no tokens or cost: unknown, not 0.
    expect(retro).toContain('| api | complete | 2 | 1 | incomplete | - | - |');
    // --dry-run leaves COMPLETE workers out of the stages; a second run starts nothing.
    const dry = JSON.parse(repo.run(['run', '--dry-run', '--json']).stdout) as {
      complete: string[];
      stages: string[][];
    };
    expect(dry).toMatchObject({ complete: ['api', 'web', 'db'], stages: [] });
    const again = repo.run(['run', '--json']);
    expect(again.status).toBe(0);
    expect(types(repo.events(again.stdout)).filter((t) => t === 'worker-started')).toEqual([]);
  });

  it('does not restart a BLOCKED worker, skips its dependents, still runs the others, and exits 1', () => {
    repo = createRunRepo(plan(), FILES);
    repo.script('api', [[{ commit: '[BLOCKED:no-schema] waiting for the schema decision' }]]);
    repo.script('web', [[{ commit: '[COMPLETE] never' }]]);
    repo.script('db', [
      [{ write: 'src/db/d.ts', content: 'd1\n' }, { commit: '[COMPLETE] the database' }],
    ]);
    const result = repo.run(['run', 'plan.yaml', '--json']);
    expect(result.status).toBe(1);
    const events = repo.events(result.stdout);
    expect(types(events, 'api').filter((t) => t === 'worker-started')).toHaveLength(1);
    expect(events.find((e) => e.type === 'worker-blocked')).toMatchObject({
      worker: 'api',
      reason: 'no-schema',
    });
    expect(events.find((e) => e.type === 'worker-skipped')).toMatchObject({
      worker: 'web',
      reason: 'dependency api is blocked',
    });
    expect(repo.calls('web')).toEqual([]);
    expect(events.find((e) => e.type === 'worker-complete')).toMatchObject({ worker: 'db' });
    // pw status shows what the run knows beside the table.
    const status = repo.pw(['status']).stdout;
    expect(status).toMatch(/api\s+blocked, attempt 1 \(no-schema\)/);
    expect(status).toMatch(/web\s+skipped \(dependency api is blocked\)/);
  });

  it('classifies failures: permanent is not retried, rate limits back off longer, retries run out', () => {
    repo = createRunRepo(plan(), FILES);
    repo.script('api', [
      [{ stderr: 'API Error: 401 {"type":"authentication_error"}' }, { exit: 1 }],
    ]);
    repo.script('db', [[{ stderr: 'Error: 429 rate limit exceeded' }, { exit: 1 }]]);
    const result = repo.run(['run', 'plan.yaml', '--json', '--retries', '1']);
    expect(result.status).toBe(1);
    const events = repo.events(result.stdout);
    expect(events.filter((e) => e.type === 'worker-failed' && e.worker === 'api')).toMatchObject([
      { category: 'permanent' },
    ]);
    expect(repo.calls('api')).toHaveLength(1);
    const retry = events.find((e) => e.type === 'worker-retry' && e.worker === 'db')!;
    expect(retry.category).toBe('rate-limited');
    // backoff 10ms x 6 for a rate limit, plus at most 50% jitter from the fixed seed.
    expect(Number(retry.delayMs)).toBeGreaterThanOrEqual(60);
    expect(Number(retry.delayMs)).toBeLessThanOrEqual(90);
    expect(repo.calls('db')).toHaveLength(2);
    expect(events.find((e) => e.type === 'worker-failed' && e.worker === 'db')).toMatchObject({
      category: 'rate-limited',
    });
    expect(events.find((e) => e.type === 'worker-skipped')).toMatchObject({ worker: 'web' });
  });

  it('says when an agent left changes uncommitted after its COMPLETE: its branch does not have them', () => {
    repo = createApiOnlyRepo();
    repo.script('api', [
      [{ commit: '[COMPLETE] the API' }, { write: 'src/api/left.ts', content: 'not committed\n' }],
    ]);
    const result = repo.run(['run', 'plan.yaml']);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe(
      `pw: warning: api is COMPLETE, but its worktree ${repo.wt('api')} holds 1 uncommitted change, which its branch (and so integrate) does not have; commit them there, or remove them\n`,
    );
    expect(readFileSync(join(repo.wt('api'), 'src/api/left.ts'), 'utf8')).toBe('not committed\n');
    const again = repo.run(['run', '--json']);
    expect(repo.events(again.stdout).find((e) => e.type === 'worker-uncommitted')).toMatchObject({
      worker: 'api',
      worktree: repo.wt('api'),
      count: 1,
    });
  });

  it("says so too when a person changes a COMPLETE worker's worktree while the run goes on", async () => {
    // api is COMPLETE and read clean while db still works; then a person edits api's worktree.
    repo = createRunRepo(
      plan('', fakeWorker('api', 'Build the API.') + fakeWorker('db', 'Build the database.')),
      FILES,
    );
    const r = repo;
    r.script('api', [[{ commit: '[COMPLETE] the API' }]]);
    r.script('db', [[{ waitFile: 'release' }, { commit: '[COMPLETE] the database' }]]);
    const child = spawn(process.execPath, [builtBin, 'run', 'plan.yaml', '--json'], {
      cwd: r.dir,
      env: { ...r.env, FAKE_AGENT_DIR: r.agents, PW_RUN_SEED: '7' },
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
    const code = new Promise<number | null>((resolve) => child.on('close', resolve));
    // The run's read of api's worktree once its agent is gone leaves it in the status cache.
    const cache = join(r.commonDir, 'pw', 'demo', 'cache', 'worktrees.json');
    for (let i = 0; !readFileSafe(cache).includes(JSON.stringify(r.wt('api'))); i++) {
      if (i > 1200) throw new Error("the run never read api's worktree");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    writeFileSync(join(r.wt('api'), 'src/api/by-hand.ts'), 'a person was here\n');
    writeFileSync(join(r.agents, 'release'), '');
    expect(await code).toBe(0);
    expect(r.events(stdout).filter((e) => e.type === 'worker-uncommitted')).toMatchObject([
      { worker: 'api', worktree: r.wt('api'), count: 1 },
    ]);
  });

  it('a failed run ends by saying, per worker, what went wrong, where to look, and how to go on', () => {
    repo = createApiOnlyRepo();
    repo.script('api', [[{ stderr: 'something broke' }, { exit: 1 }]]);
    const result = repo.run(['run', 'plan.yaml', '--retries', '0']);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      [
        'pw: api: failed: transient: gave up after 1 failed attempt (--retries 0) (last output: something broke)',
        'pw: not every worker is complete; fix what is said above (what an agent did: pw logs api), then: pw run demo',
        '',
      ].join('\n'),
    );
    // The retrospective says it too.
    expect(repo.pw(['retro']).stdout).toContain(
      '- api (failed): transient: gave up after 1 failed attempt (--retries 0) (last output: something broke); `pw logs api` shows its last attempt.\n',
    );
    // And pw wait stops at once (a script's `pw run; pw wait` does not sit until the stall limit).
    const wait = repo.pw(['wait']);
    expect(wait.status).toBe(1);
    expect(wait.stdout).toContain(
      '  api failed in pw run: transient: gave up after 1 failed attempt (--retries 0) (last output: something broke) (pw logs api; pw run starts it again)\n',
    );
    const json = JSON.parse(repo.pw(['wait', '--json']).stdout) as {
      reasons: { worker: string; kind: string }[];
    };
    expect(json.reasons).toEqual([expect.objectContaining({ worker: 'api', kind: 'run-failed' })]);
  });

  it('a rerun gives a worker the last run gave up on the whole --retries again', () => {
    repo = createApiOnlyRepo();
    repo.script('api', [[{ stderr: 'something broke' }, { exit: 1 }]]);
    const args = ['run', 'plan.yaml', '--json', '--retries', '1'];
    const reasons: string[] = [];
    for (const expected of [2, 4]) {
      const result = repo.run(args);
      expect(result.status).toBe(1);
      expect(repo.calls('api')).toHaveLength(expected);
      const failed = repo.events(result.stdout).find((e) => e.type === 'worker-failed');
      reasons.push(String(failed!.reason));
    }
    for (const reason of reasons)
      expect(reason).toMatch(/^transient: gave up after 2 failed attempts \(--retries 1\)/);
  });

  it('stops an idle agent, resumes it once for free, and counts the second idle stop', () => {
    repo = createApiOnlyRepo();
    repo.script('api', [
      [{ write: 'src/api/a.ts', content: 'edited, not committed\n' }, { hang: true }],
    ]);
    const result = runWithIdleTimeout(repo, '1s');
    expect(result.status).toBe(1);
    const events = repo.events(result.stdout);
    expect(types(events, 'api')).toEqual([
      'worker-started',
      'worker-stopping',
      'worker-exited',
      'worker-retry',
      'worker-started',
      'worker-stopping',
      'worker-exited',
      'worker-failed',
    ]);
    expect(events.find((e) => e.type === 'worker-retry')).toMatchObject({ category: 'idle' });
    // Nothing is lost: the uncommitted change is still in the worktree.
    expect(readFileSync(join(repo.wt('api'), 'src/api/a.ts'), 'utf8')).toBe(
      'edited, not committed\n',
    );
  });

  it('does not stop an agent that prints nothing but keeps editing files: file changes are activity', () => {
    repo = createApiOnlyRepo();
    // Silent for 4 s against a 3 s idle timeout, one file edit every 400 ms.
    const edits = Array.from({ length: 10 }, (_, i) => [
      { write: `src/api/step-${i}.ts`, content: `export const step = ${i};\n` },
      { sleep: 400 },
    ]).flat();
    repo.script('api', [[...edits, { commit: '[COMPLETE] api done' }]]);
    const result = runWithIdleTimeout(repo, '3s');
    expect(result.status).toBe(0);
    expect(types(repo.events(result.stdout), 'api')).toEqual([
      'worker-started',
      'worker-exited',
      'worker-complete',
    ]);
    expect(repo.calls('api')).toHaveLength(1);
  });

  it('refuses to start when an agent program is missing (exit 3), before anything starts', () => {
    repo = createRunRepo(
      plan().replace(`agent: ${agentStdin}\n`, 'agent: no-such-agent-program --flag\n'),
      FILES,
    );
    repo.script('api', [[{ commit: '[COMPLETE] x' }]]);
    const result = repo.run(['run', 'plan.yaml']);
    expect(result.status).toBe(3);
    expect(result.stderr).toContain('agent program not found; nothing was set up or started');
    expect(result.stderr).toContain(
      'worker web: "no-such-agent-program" (command profile) is not on PATH',
    );
    expect(repo.calls('api')).toEqual([]);
    // With --json, the events say it too: one line, the error and the exit code.
    const json = repo.run(['run', 'plan.yaml', '--json']);
    expect(json.status).toBe(3);
    expect(repo.events(json.stdout)).toMatchObject([
      {
        type: 'run-error',
        plan: 'plan.yaml',
        message: 'agent program not found; nothing was set up or started',
        exitCode: 3,
        details: expect.arrayContaining([
          'worker web: "no-such-agent-program" (command profile) is not on PATH',
        ]),
      },
    ]);
    // Before setup: no worktree, no plan recorded.
    expect(existsSync(join(repo.commonDir, 'pw'))).toBe(false);
    expect(repo.git(['worktree', 'list', '--porcelain']).match(/^worktree /gm)).toHaveLength(1);
    // A path says whether it is missing or cannot be run.
    const script = join(repo.root, 'agent.sh');
    writeFileSync(script, '#!/bin/sh\n', { mode: 0o644 });
    for (const [program, why] of [
      [join(repo.root, 'nope.sh'), 'does not exist'],
      [script, 'is not executable'],
    ]) {
      repo.write('plan.yaml', plan().replace(`agent: ${agentStdin}\n`, `agent: ${program}\n`));
      const refused = repo.run(['run', 'plan.yaml']);
      expect(refused.status).toBe(3);
      expect(refused.stderr).toContain(`worker web: "${program}" (command profile) ${why}`);
    }
    // A shell command line as the agent: said to be one, with what to do instead.
    repo.write(
      'plan.yaml',
      plan().replace(`agent: ${agentStdin}\n`, `agent: "MODEL=x ${script} && echo done"\n`),
    );
    const shell = repo.run(['run', 'plan.yaml']);
    expect(shell.status).toBe(3);
    expect(shell.stderr).toContain(
      'worker web: "MODEL=x" (command profile) is not on PATH; pw run starts an agent without a shell (variables, && and pipes are not read): put the command line in a script and name the script as the agent',
    );
  });

  it('--only skips a worker whose dependency is outside the run and not complete; --dry-run starts nothing', () => {
    repo = createRunRepo(plan(), FILES);
    repo.script('web', [[{ commit: '[COMPLETE] x' }]]);
    // Before setup: the stages and argv of the plan as setup would write it, and nothing written.
    const before = repo.run(['run', 'plan.yaml', '--dry-run']);
    expect(before.status).toBe(0);
    expect(before.stdout).toContain(
      'plan demo is not set up yet (or changed): pw run sets it up first',
    );
    expect(before.stdout).toContain('stage 2: web\n');
    expect(before.stdout).toContain('  api: ["node"');
    expect(existsSync(join(repo.commonDir, 'pw'))).toBe(false);
    expect(repo.git(['worktree', 'list', '--porcelain']).match(/^worktree /gm)).toHaveLength(1);
    expect(repo.run(['setup', 'plan.yaml']).status).toBe(0);
    const dry = repo.run(['run', '--dry-run', '--json']);
    expect(dry.status).toBe(0);
    const doc = JSON.parse(dry.stdout) as {
      setUp: boolean;
      stages: string[][];
      agents: Record<string, { argv: string[] }>;
    };
    expect(doc).toMatchObject({ setUp: true });
    expect(doc.stages).toEqual([['api', 'db'], ['web']]);
    expect(doc.agents.api!.argv).toEqual([
      'node',
      expect.stringContaining('fake-agent.mjs'),
      '<brief>',
    ]);
    expect(repo.calls('api')).toEqual([]);
    const result = repo.run(['run', '--only', 'web', '--json']);
    expect(result.status).toBe(1);
    expect(repo.events(result.stdout).find((e) => e.type === 'worker-skipped')).toMatchObject({
      worker: 'web',
      reason: 'dependency api is not complete and not part of this run',
    });
    expect(repo.run(['run', '--only', 'nope']).status).toBe(2);
  });

  it('keeps a concurrency group to its limit and --max-workers to its number', () => {
    repo = createRunRepo(
      plan(
        '  concurrencyLimits: { heavy: 1 }\n',
        `  - id: api
    owns: ["/src/api/"]
    task: Build the API.
    agent: ${agentArg}
    concurrencyGroup: heavy
  - id: web
    owns: ["/src/web/"]
    task: Build the web app.
    agent: ${agentArg}
    concurrencyGroup: heavy
  - id: db
    owns: ["/src/db/"]
    task: Build the database.
    agent: ${agentArg}
`,
      ),
      FILES,
    );
    for (const id of ['api', 'web', 'db'])
      repo.script(id, [[{ sleep: 300 }, { commit: `[COMPLETE] ${id}` }]]);
    const result = repo.run(['run', 'plan.yaml', '--json']);
    expect(result.status).toBe(0);
    const order = repo
      .events(result.stdout)
      .filter((e) => e.type === 'worker-started' || e.type === 'worker-exited')
      .map((e) => `${String(e.type).slice(7)} ${String(e.worker)}`);
    // web (same group as api) starts only after api exited; db does not wait.
    expect(order.indexOf('started web')).toBeGreaterThan(order.indexOf('exited api'));
    expect(order.indexOf('started db')).toBeLessThan(order.indexOf('exited api'));
  });

  it('merges the providers of a worker that waits for a slot while it waits; its start is then the spawn', () => {
    repo = createDbBeforeWebRepo();
    repo.script('api', [[{ commit: '[COMPLETE] the API' }]]);
    // db holds the only slot until web's branch holds api's COMPLETE work: only a merge
    // made while web waits lets it finish.
    repo.script('db', [
      [{ waitAncestor: ['pw/demo/api', 'pw/demo/web'] }, { commit: '[COMPLETE] the database' }],
    ]);
    repo.script('web', [[{ commit: '[COMPLETE] the web app' }]]);
    const result = repo.run(['run', 'plan.yaml', '--json', '--max-workers', '1', '--retries', '0']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const order = repo
      .events(result.stdout)
      .filter((e) => e.worker === 'web' || e.type === 'worker-exited')
      .map((e) => `${String(e.type)} ${String(e.worker)}`);
    expect(order).toEqual([
      'worker-exited api',
      'worker-merged web',
      'worker-exited db',
      'worker-started web',
      'worker-exited web',
      'worker-complete web',
    ]);
    const merges = repo.git(['log', '--merges', '--format=%s', 'pw/demo/web']).trim().split('\n');
    expect(merges).toEqual(["Merge branch 'pw/demo/api' into pw/demo/web"]);
  });

  it('a provider merge git refuses fails the worker (category merge), keeps what was in the way, and runs the rest', () => {
    repo = createDbBeforeWebRepo();
    expect(repo.pw(['setup', 'plan.yaml']).status).toBe(0);
    // Someone left a file in web's worktree where api's work will put one.
    writeFileSync(join(repo.wt('web'), 'src/api/b.ts'), 'left here\n');
    repo.script('api', [[{ write: 'src/api/b.ts', content: 'b\n' }, { commit: '[COMPLETE] api' }]]);
    repo.script('db', [[{ commit: '[COMPLETE] the database' }]]);
    repo.script('web', [[{ commit: '[COMPLETE] the web app' }]]);
    // One slot: web waits behind db, so its merge is tried while it waits, then at its start.
    const result = repo.run(['run', 'plan.yaml', '--json', '--max-workers', '1']);
    expect(result.status).toBe(1);
    const events = repo.events(result.stdout);
    const failed = events.find((e) => e.type === 'worker-failed' && e.worker === 'web');
    expect(failed).toMatchObject({ category: 'merge' });
    // Where, what was in the way, and what to do, on one line.
    expect(String(failed!.reason)).toContain(
      `merging api's COMPLETE tip failed in ${repo.wt('web')}`,
    );
    expect(String(failed!.reason)).toContain('src/api/b.ts');
    expect(String(failed!.reason)).toContain('then run pw run demo again');
    expect(String(failed!.reason)).not.toContain('\n');
    expect(types(events, 'web')).not.toContain('worker-started');
    expect(repo.calls('web')).toEqual([]);
    expect(events.filter((e) => e.type === 'worker-complete').map((e) => e.worker)).toEqual([
      'api',
      'db',
    ]);
    // The file in the way is as it was, and no merge is left half done.
    expect(readFileSync(join(repo.wt('web'), 'src/api/b.ts'), 'utf8')).toBe('left here\n');
    expect(existsSync(join(repo.commonDir, 'worktrees', 'web', 'MERGE_HEAD'))).toBe(false);
    expect(repo.git(['log', '--merges', '--format=%s', 'pw/demo/web']).trim()).toBe('');
  });

  // `script` gives pw a terminal, where it draws the live view.
  it.skipIf(spawnSync('script', ['--version']).status !== 0)(
    'on a terminal, the live view shows a running agent with the time since its start',
    () => {
      repo = createApiOnlyRepo();
      repo.script('api', [[{ commit: '[COMPLETE] the API' }]]);
      const command = [process.execPath, builtBin, 'run', 'plan.yaml'].map(shQuote).join(' ');
      const result = spawnSync('script', ['-qec', command, '/dev/null'], {
        cwd: repo.dir,
        env: { ...repo.env, FAKE_AGENT_DIR: repo.agents, COLUMNS: '100', NO_COLOR: '1' },
        encoding: 'utf8',
      });
      expect(result.status).toBe(0);
      const frames = result.stdout.replaceAll('\r', '\n');
      // Seconds (not the days since 1970 a wall clock minus a monotonic one gave).
      expect(frames).toMatch(/^api +running +\d+s +#1/m);
      expect(frames).toMatch(/^api +complete +#1 +\[COMPLETE\] the API/m);
    },
  );

  it('writes logs owner-only with secrets masked, and a report', () => {
    repo = createRunRepo(plan(), FILES);
    const key = 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz';
    repo.script('api', [
      [
        { stdout: `using ${key}` },
        { stderr: 'Authorization: Bearer abcdef0123456789abcdef' },
        { commit: '[COMPLETE] the API' },
      ],
    ]);
    repo.script('web', [[{ commit: '[COMPLETE] the web app' }]]);
    repo.script('db', [[{ commit: '[COMPLETE] the database' }]]);
    const result = repo.run(['run', 'plan.yaml', '--report', 'report.md'], {
      ANTHROPIC_API_KEY: key,
    });
    expect(result.status).toBe(0);
    const logs = join(repo.commonDir, 'pw', 'demo', 'logs', 'api');
    const [log] = readdirSync(logs).filter((f) => f.endsWith('.log'));
    const path = join(logs, log!);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain(key);
    expect(text).not.toContain('abcdef0123456789abcdef');
    expect(text).toContain('Bearer ***');
    expect(statSync(join(repo.commonDir, 'pw', 'demo', 'run.json')).mode & 0o777).toBe(0o600);
    const report = readFileSync(join(repo.dir, 'report.md'), 'utf8');
    expect(report).toContain('| api | complete | 1 |');
  });

  it('refuses an out-of-scope commit through the real hooks; the agent fixes it and completes', () => {
    repo = createRunRepo(plan(), FILES);
    repo.script('api', [
      [
        { write: 'src/db/d.ts', content: 'not mine\n' },
        { commit: '[CHECKPOINT] touch the database', unstageOnRefusal: true },
        { exit: 0 },
      ],
      [
        { write: 'src/db/d.ts', content: 'd\n' },
        { write: 'src/api/a.ts', content: 'mine\n' },
        { commit: '[COMPLETE] the API' },
      ],
    ]);
    repo.script('web', [[{ commit: '[COMPLETE] the web app' }]]);
    repo.script('db', [[{ commit: '[COMPLETE] the database' }]]);
    const result = repo.run(['run', 'plan.yaml', '--json']);
    expect(result.status).toBe(0);
    expect(repo.git(['log', '--format=%s', 'pw/demo/api'])).not.toContain('touch the database');
    expect(repo.pw(['check']).status).toBe(0);
  });

  it('a worker that gives up after the hooks refused its commit is said to have been refused which paths', () => {
    repo = createApiOnlyRepo();
    repo.script('api', [
      [
        { write: 'src/db/d.ts', content: 'not mine\n' },
        { commit: '[CHECKPOINT] touch the database' },
        { exit: 1 },
      ],
      [{ exit: 1 }],
    ]);
    const result = repo.run(['run', 'plan.yaml', '--json', '--retries', '1']);
    expect(result.status).toBe(1);
    // The refused file is still staged: the next attempt is told, and how to unstage it.
    const [, second] = repo.calls('api');
    const prompt = `${second!.argv.join(' ')}\n${second!.stdin}`;
    expect(prompt).toContain(
      "Staged in your worktree but not yours, so pw's hooks refuse every commit while they stay staged: src/db/d.ts (owned by no worker).",
    );
    expect(prompt).toContain('git restore --staged -- <path>');
    const failed = repo.events(result.stdout).find((e) => e.type === 'worker-failed');
    expect(String(failed!.reason)).toMatch(
      /^transient: gave up after 2 failed attempts \(--retries 1\); still staged in its worktree, not its own: src\/db\/d\.ts \(nobody owns it\)$/,
    );
  });

  it('names the hooks refusal (once, though refused twice) and what is left staged when the worker gives up at once', () => {
    repo = createApiOnlyRepo();
    repo.script('api', [
      [
        { write: 'src/db/d.ts', content: 'not mine\n' },
        { commit: '[CHECKPOINT] touch the database' },
        { commit: '[CHECKPOINT] touch the database again' },
        { exit: 1 },
      ],
    ]);
    const result = repo.run(['run', 'plan.yaml', '--json', '--retries', '0']);
    expect(result.status).toBe(1);
    const failed = repo.events(result.stdout).find((e) => e.type === 'worker-failed');
    expect(String(failed!.reason)).toMatch(
      /^transient: gave up after 1 failed attempt \(--retries 0\); the hooks refused src\/db\/d\.ts \(nobody owns it\); still staged in its worktree, not its own: src\/db\/d\.ts \(nobody owns it\) \(last output: /,
    );
  });

  it('Ctrl-C stops every agent (SIGINT to its group), keeps uncommitted work, exits 130; a rerun resumes', async () => {
    repo = createRunRepo(plan(), FILES);
    repo.script('api', [
      [
        { write: 'src/api/a.ts', content: 'work in progress\n' },
        { stdout: 'ready' },
        { hang: true },
      ],
      [{ commit: '[COMPLETE] the API' }],
    ]);
    repo.script('db', [
      [{ stdout: 'ready' }, { hang: true }],
      [{ commit: '[COMPLETE] the database' }],
    ]);
    repo.script('web', [[{ commit: '[COMPLETE] the web app' }]]);
    const r = repo;
    const child = spawn(process.execPath, [builtBin, 'run', 'plan.yaml', '--json'], {
      cwd: r.dir,
      env: { ...r.env, FAKE_AGENT_DIR: r.agents, PW_RUN_SEED: '7' },
    });
    let stdout = '';
    let interrupted = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    // Ctrl-C once both agents have said they are ready (bounded: at most 60 s of checks).
    let checks = 0;
    const poll = setInterval(() => {
      const ready = (w: string) =>
        /^ready$/m.test(readFileSafe(join(r.commonDir, 'pw', 'demo', 'logs', w, 'attempt-1.log')));
      if (!interrupted && ((ready('api') && ready('db')) || ++checks > 600)) {
        interrupted = true;
        clearInterval(poll);
        child.kill('SIGINT');
      }
    }, 100);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(130);
    const events = r.events(stdout);
    expect(events.find((e) => e.type === 'run-interrupted')).toMatchObject({
      resume: 'pw run demo',
    });
    expect(readFileSync(join(r.wt('api'), 'src/api/a.ts'), 'utf8')).toBe('work in progress\n');
    const record = JSON.parse(
      readFileSync(join(r.commonDir, 'pw', 'demo', 'run.json'), 'utf8'),
    ) as {
      workers: Record<
        string,
        { pid: number | null; sessionId: string; attempts: { category: string }[] }
      >;
    };
    expect(record.workers.api!.pid).toBeNull();
    expect(record.workers.api!.attempts.map((a) => a.category)).toEqual(['interrupted']);
    expect(existsSync(join(r.commonDir, 'pw', 'demo', 'run.lock'))).toBe(false);
    // With no run going, pw status says the workers are stopped, not waiting.
    const status = r.pw(['status']).stdout;
    expect(status).toMatch(
      /api\s+stopped, attempt 1 \(pw run is not running; pw run continues it\)/,
    );
    expect(status).toMatch(/web\s+stopped \(pw run is not running; pw run starts it\)/);
    // The rerun resumes (a continuation prompt) and finishes.
    const again = r.run(['run', '--json']);
    expect(again.status).toBe(0);
    expect(r.events(again.stdout).find((e) => e.type === 'run-started')).toMatchObject({
      resumed: true,
    });
    expect(r.calls('api')[1]!.argv[0]).toContain('Your previous session ended');
  });

  it('a typo in --only is refused before setup writes anything, on a new plan and on one set up', () => {
    repo = createRunRepo(plan(), FILES);
    const fresh = repo.run(['run', 'plan.yaml', '--only', 'apj']);
    expect(fresh.status).toBe(2);
    expect(fresh.stderr).toContain(
      'pw: --only names a worker not in plan demo: "apj"\n  apj: did you mean "api"?',
    );
    expect(existsSync(join(repo.commonDir, 'pw'))).toBe(false);
    expect(repo.git(['worktree', 'list', '--porcelain']).match(/^worktree /gm)).toHaveLength(1);
    // Set up, with one worker's hooks switched off by hand: a refused run does not switch them back on.
    expect(repo.pw(['setup', 'plan.yaml']).status).toBe(0);
    repo.git(['config', '--worktree', 'core.hooksPath', '/dev/null'], { cwd: repo.wt('web') });
    const events = join(repo.commonDir, 'pw', 'demo', 'events.ndjson');
    const before = readFileSync(events, 'utf8');
    const again = repo.run(['run', 'plan.yaml', '--only', 'zz']);
    expect(again.status).toBe(2);
    expect(readFileSync(events, 'utf8')).toBe(before);
    expect(repo.git(['config', '--worktree', 'core.hooksPath'], { cwd: repo.wt('web') })).toBe(
      '/dev/null',
    );
  });

  it('pw teardown, even with --force, refuses while pw run runs the plan or an agent it started still runs', async () => {
    repo = createApiOnlyRepo();
    const r = repo;
    const { env, run } = await startApiUntilReady(r);
    const refused = r.pw(['teardown', '--force']);
    expect(refused.status).toBe(1);
    // Each process named with its command line.
    expect(refused.stderr).toContain(
      `pw: refusing to tear down plan "demo": it is still running\n  pw run of plan demo (pid ${run.pid}: ${process.execPath} ${builtBin} run plan.yaml --json) is running\n  api: its agent (pid `,
    );
    expect(refused.stderr).toContain('--force does not override this.');
    expect(existsSync(r.wt('api'))).toBe(true);
    // pw itself killed: the agent it started still runs in the worktree, and still counts.
    run.kill('SIGKILL');
    await new Promise((ok) => run.on('close', ok));
    const agentOnly = r.pw(['teardown', '--force']);
    expect(agentOnly.status).toBe(1);
    expect(agentOnly.stderr).toContain(
      'pw: refusing to tear down plan "demo": agents of it are still running\n  api: its agent (pid ',
    );
    expect(existsSync(r.wt('api'))).toBe(true);
    // Once the agent is done, teardown goes ahead.
    const rerun = spawn(process.execPath, [builtBin, 'run', '--json'], { cwd: r.dir, env });
    writeFileSync(join(r.agents, 'go'), '');
    expect(await new Promise((ok) => rerun.on('close', ok))).toBe(0);
    expect(r.pw(['teardown', '--force']).status).toBe(0);
    expect(existsSync(r.wt('api'))).toBe(false);
  });

  it("pw teardown ignores a run lock with no start time, names a live record's command, and --ignore-running goes past it", async () => {
    const r = (repo = createCompletingSetUpRepo());
    const lock = join(r.commonDir, 'pw', 'demo', 'run.lock');
    // Forged, or left by something that is not pw: no start time where /proc has them.
    writeFileSync(lock, JSON.stringify({ pid: process.pid, startTime: null }));
    expect(r.pw(['teardown', '--dry-run']).status).toBe(0);
    // A live process's real identity (here, this test's): refused, naming what runs.
    const startTime = await readProcessStartTime(process.pid);
    writeFileSync(lock, JSON.stringify({ pid: process.pid, startTime }));
    const refused = r.pw(['teardown', '--force']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`pw run of plan demo (pid ${process.pid}: `);
    expect(refused.stderr).toContain(
      "If these are not pw's processes, --ignore-running goes ahead without them.",
    );
    expect(existsSync(r.wt('api'))).toBe(true);
    expect(r.pw(['teardown', '--force', '--ignore-running']).status).toBe(0);
    expect(existsSync(r.wt('api'))).toBe(false);
  });

  it('a run after teardown and a new setup starts afresh; the torn-down run stays for logs and retro', () => {
    const r = (repo = createCompletingSetUpRepo());
    expect(r.run(['run', '--json']).status).toBe(0);
    expect(r.pw(['teardown', '--force']).status).toBe(0);
    // The torn-down plan's run: still read by logs and retro.
    const logs = r.pw(['logs', 'api', '--plan', 'demo']);
    expect(logs.status).toBe(0);
    expect(logs.stdout).toContain('attempt 1');
    expect(r.pw(['retro', '--plan', 'demo']).stdout).toContain('| api | complete | 1 |');
    // Set up again and run: first attempts, nothing resumed.
    const again = r.run(['run', 'plan.yaml', '--json']);
    expect(again.status).toBe(0);
    const events = r.events(again.stdout);
    expect(events.find((e) => e.type === 'run-started')).toMatchObject({ resumed: false });
    expect(events.find((e) => e.type === 'worker-started' && e.worker === 'api')).toMatchObject({
      attempt: 1,
      resume: false,
    });
    expect(r.calls('api')).toHaveLength(2);
  });

  it('pw teardown holds the run lock while it works, and lets it go', async () => {
    const r = (repo = createCompletingSetUpRepo());
    // The project's own reference-transaction hook holds teardown's deletion of the worker
    // branches open until the test says go (bounded: 60 s).
    writeFileSync(
      join(r.dir, '.git', 'hooks', 'reference-transaction'),
      [
        '#!/bin/sh',
        '[ "$1" = prepared ] || exit 0',
        'case "$(cat)" in *refs/heads/pw/demo/*) ;; *) exit 0 ;; esac',
        ': >"$FAKE_AGENT_DIR/deleting"',
        'i=0',
        'while [ ! -f "$FAKE_AGENT_DIR/go" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    const env = { ...r.env, FAKE_AGENT_DIR: r.agents };
    const teardown = spawn(process.execPath, [builtBin, 'teardown', '--force'], {
      cwd: r.dir,
      env,
    });
    const code = new Promise<number | null>((resolve) => teardown.on('close', resolve));
    for (let i = 0; i < 600 && !existsSync(join(r.agents, 'deleting')); i++)
      await new Promise((ok) => setTimeout(ok, 100));
    expect(existsSync(join(r.agents, 'deleting'))).toBe(true);
    // Past the repository lock (which pw run's setup step takes too), teardown holds the run
    // lock as well: a run that got past its setup step before teardown began starts nothing.
    const lock = join(r.commonDir, 'pw', 'demo', 'run.lock');
    expect(JSON.parse(readFileSync(lock, 'utf8'))).toMatchObject({
      pid: teardown.pid,
      command: 'teardown',
    });
    writeFileSync(join(r.agents, 'go'), '');
    expect(await code).toBe(0);
    expect(existsSync(lock)).toBe(false);
  });

  it('pw run refuses to start while pw teardown holds the run lock, and says so', async () => {
    const r = (repo = createCompletingSetUpRepo());
    const lock = join(r.commonDir, 'pw', 'demo', 'run.lock');
    const startTime = await readProcessStartTime(process.pid);
    writeFileSync(lock, JSON.stringify({ pid: process.pid, startTime, command: 'teardown' }));
    const run = r.run(['run', '--plan', 'demo']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`pw: pw teardown (pid ${process.pid}) is removing plan demo\n`);
    expect(r.calls('api')).toEqual([]);
  });

  it('a rerun after pw itself was killed adopts the agent still running; it is never started twice', async () => {
    repo = createApiOnlyRepo();
    const r = repo;
    const { env, run: first } = await startApiUntilReady(r);
    // Git shows no commit yet; the table says the agent runs.
    const table = r.pw(['status']);
    expect(table.stdout).toMatch(
      /^ +api +pending .* agent running \(attempt 1\), no commits yet$/m,
    );
    // A crash of pw: SIGKILL, no chance to stop its agent (which runs in its own process group).
    first.kill('SIGKILL');
    await new Promise((ok) => first.on('close', ok));
    const second = spawn(process.execPath, [builtBin, 'run', '--json'], { cwd: r.dir, env });
    let stdout = '';
    second.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('"worker-adopted"')) writeFileSync(join(r.agents, 'go'), '');
    });
    const code = await new Promise<number | null>((ok) => second.on('close', ok));
    expect(code).toBe(0);
    const events = r.events(stdout);
    expect(types(events, 'api')).toEqual(['worker-adopted', 'worker-exited', 'worker-complete']);
    expect(r.calls('api')).toHaveLength(1);
  });

  it('takes the plan as --plan too (run, teardown), once; says when a plan file is not there; --only splits commas everywhere', () => {
    const r = (repo = createCompletingSetUpRepo());
    const dry = r.run(['run', '--plan', 'demo', '--dry-run', '--json']);
    expect(dry.status).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ plan: 'demo', dryRun: true });
    const twice = r.run(['run', 'demo', '--plan', 'other']);
    expect(twice.status).toBe(2);
    expect(twice.stderr).toContain('pw: the plan is given twice: "demo" and --plan "other"');
    expect(r.pw(['teardown', '--plan', 'demo', '--dry-run']).status).toBe(0);
    // A plan file that is not there is said so, not taken for a plan that is not set up.
    const typo = r.run(['run', 'plans/typo.yaml']);
    expect(typo.status).toBe(2);
    expect(typo.stderr).toContain(`pw: there is no plan file ${join(r.dir, 'plans/typo.yaml')}\n`);
    const only = r.pw(['integrate', '--dry-run', '--only', 'api,nope']);
    expect(only.status).toBe(2);
    expect(only.stderr).toContain('--only names a worker not in plan demo: "nope"\n');
    // pw run's --only says it the same way, with a "did you mean" where one is close.
    const runOnly = r.run(['run', '--only', 'wbe', '--dry-run']);
    expect(runOnly.status).toBe(2);
    expect(runOnly.stderr).toBe(
      'pw: --only names a worker not in plan demo: "wbe"\n  wbe: did you mean "web"?\n  Workers: api, web, db.\n',
    );
  });

  it('a worker whose worktree was deleted fails with what to do; the others run; prune and setup bring it back', () => {
    const r = (repo = createCompletingSetUpRepo());
    rmSync(r.wt('db'), { recursive: true, force: true });
    const result = r.run(['run', '--json']);
    expect(result.status).toBe(1);
    const events = r.events(result.stdout);
    const failed = events.find((e) => e.type === 'worker-failed');
    expect(failed).toMatchObject({ worker: 'db', category: 'permanent' });
    expect(String(failed!.reason)).toContain(`its worktree ${r.wt('db')} is missing`);
    expect(String(failed!.reason)).toContain('git worktree prune');
    expect(events.filter((e) => e.type === 'worker-complete').map((e) => e.worker)).toEqual([
      'api',
      'web',
    ]);
    r.git(['worktree', 'prune']);
    expect(r.pw(['setup', 'plan.yaml']).status).toBe(0);
    expect(r.run(['run', '--json']).status).toBe(0);
    expect(r.calls('db')).toHaveLength(1);
  });

  it("does not call a provider's files staged by a merge in progress stray", () => {
    const r = (repo = createCompletingSetUpRepo());
    r.script('api', [[{ exit: 1 }]]);
    const db = r.wt('db');
    r.write('src/db/d.ts', 'schema\n', db);
    r.git(['add', '-A'], { cwd: db });
    r.git(['commit', '-q', '-m', '[CHECKPOINT] schema'], { cwd: db });
    const api = r.wt('api');
    expect(
      r.gitResult(['merge', '--no-commit', '--no-ff', 'pw/demo/db'], { cwd: api }).status,
    ).toBe(0);
    expect(r.git(['diff', '--cached', '--name-only'], { cwd: api })).toBe('src/db/d.ts');
    const result = r.run(['run', '--json', '--only', 'api', '--retries', '0']);
    expect(result.status).toBe(1);
    const failed = r.events(result.stdout).find((e) => e.type === 'worker-failed');
    expect(failed).toMatchObject({ worker: 'api', category: 'transient' });
    expect(String(failed!.reason)).not.toContain('still staged');
    // Once the merge is gone and the file still staged, it is named.
    r.git(['merge', '--abort'], { cwd: api });
    r.write('src/db/d.ts', 'not mine\n', api);
    r.git(['add', 'src/db/d.ts'], { cwd: api });
    const again = r.run(['run', '--json', '--only', 'api', '--retries', '0']);
    const failedAgain = r.events(again.stdout).find((e) => e.type === 'worker-failed');
    expect(String(failedAgain!.reason)).toContain(
      "still staged in its worktree, not its own: src/db/d.ts (db's)",
    );
  });

  it("leaves a person's unfinished merge in a dependent's worktree alone: the worker fails (category merge)", () => {
    const r = (repo = createCompletingSetUpRepo());
    // A side line that edits web's file one way, web's branch another, and a merge of the two
    // stopped at its conflict in web's worktree.
    r.git(['switch', '-q', '-c', 'side']);
    r.write('src/web/w.ts', 'side\n');
    r.git(['commit', '-q', '-am', 'side']);
    r.git(['switch', '-q', 'main']);
    const web = r.wt('web');
    r.write('src/web/w.ts', 'web\n', web);
    r.git(['commit', '-q', '-am', '[CHECKPOINT] web edits w'], { cwd: web });
    expect(r.gitResult(['merge', 'side'], { cwd: web }).status).toBe(1);
    const result = r.run(['run', '--json']);
    expect(result.status).toBe(1);
    const failed = r.events(result.stdout).find((e) => e.type === 'worker-failed');
    expect(failed).toMatchObject({ worker: 'web', category: 'merge' });
    // The person's merge is as they left it: still in progress, the conflict still there.
    expect(existsSync(join(r.commonDir, 'worktrees', 'web', 'MERGE_HEAD'))).toBe(true);
    expect(r.git(['status', '--porcelain'], { cwd: web })).toContain('UU src/web/w.ts');
    expect(r.calls('web')).toEqual([]);
  });

  it('a Ctrl-C in the terminal during a provider merge lets the merge finish, starts no agent, exits 130', async () => {
    const r = (repo = createCompletingSetUpRepo());
    // The project's own reference-transaction hook (pw hands over to it) holds web's merge
    // open until the test says go (bounded: 60 s).
    const hook = join(r.dir, '.git', 'hooks', 'reference-transaction');
    writeFileSync(
      hook,
      [
        '#!/bin/sh',
        '[ "$1" = prepared ] || exit 0',
        'case "$(cat)" in *refs/heads/pw/demo/web*) ;; *) exit 0 ;; esac',
        ': >"$FAKE_AGENT_DIR/merging"',
        'i=0',
        'while [ ! -f "$FAKE_AGENT_DIR/go" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    // pw in a process group of its own, as a shell runs a job: the Ctrl-C goes to that group.
    const child = spawn(process.execPath, [builtBin, 'run', '--json'], {
      cwd: r.dir,
      env: { ...r.env, FAKE_AGENT_DIR: r.agents, PW_RUN_SEED: '7' },
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = new Promise<number | null>((resolve) => child.on('close', resolve));
    const pause = (): Promise<void> => new Promise((ok) => setTimeout(ok, 100));
    for (let i = 0; i < 600 && !existsSync(join(r.agents, 'merging')); i++) await pause();
    expect(existsSync(join(r.agents, 'merging'))).toBe(true);
    // Ctrl-C, then again until pw says it is already stopping: it has the first one.
    for (let i = 0; i < 600 && !stderr.includes('already stopping'); i++) {
      process.kill(-child.pid!, 'SIGINT');
      await pause();
    }
    expect(stderr).toContain('already stopping');
    writeFileSync(join(r.agents, 'go'), '');
    expect(await code).toBe(130);
    const events = r.events(stdout);
    expect(types(events, 'web')).toEqual(['worker-merged']);
    expect(r.calls('web')).toEqual([]);
    // The merge is whole: on web's branch, nothing staged or half merged in its worktree.
    expect(r.git(['log', '-1', '--format=%s', 'pw/demo/web']).trim()).toBe(
      "Merge branch 'pw/demo/api' into pw/demo/web",
    );
    expect(r.git(['status', '--porcelain'], { cwd: r.wt('web') }).trim()).toBe('');
    expect(existsSync(join(r.commonDir, 'worktrees', 'web', 'MERGE_HEAD'))).toBe(false);
  });

  it('a rerun closes an attempt whose run stopped before its agent started (no pid) as interrupted', () => {
    repo = createApiOnlyRepo();
    repo.script('api', [[{ exit: 1 }], [{ commit: '[COMPLETE] the API' }]]);
    expect(repo.run(['run', 'plan.yaml', '--json', '--retries', '0']).status).toBe(1);
    // What a pw killed between recording an attempt and spawning its agent leaves.
    const path = join(repo.commonDir, 'pw', 'demo', 'run.json');
    const record = JSON.parse(readFileSync(path, 'utf8')) as {
      workers: Record<string, { pid: number | null; attempts: Record<string, unknown>[] }>;
    };
    const api = record.workers.api!;
    expect(api.pid).toBe(null);
    api.attempts.push({ ...api.attempts[0], n: 2, endedAt: null, exitCode: null, category: null });
    writeFileSync(path, JSON.stringify(record));
    const result = repo.run(['run', '--json']);
    expect(result.status).toBe(0);
    const after = JSON.parse(readFileSync(path, 'utf8')) as typeof record;
    expect(after.workers.api!.attempts.map((a) => [a.n, a.category])).toEqual([
      [1, 'transient'],
      [2, 'interrupted'],
      [3, 'complete'],
    ]);
    expect(after.workers.api!.attempts[1]!.endedAt).toEqual(expect.any(String));
  });
});
