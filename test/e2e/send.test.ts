import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentArg, createRunRepo, type RunRepo } from '../helpers/run-fixture.js';
import { builtBin } from '../helpers/temp-repo.js';

const FILES = { 'src/api/a.ts': 'a\n', 'src/web/w.ts': 'w\n', 'src/db/d.ts': 'd\n' };

const PLAN = `name: demo
run:
  backoff: 10ms
  killGrace: 2s
workers:
  - id: api
    owns: ["/src/api/"]
    task: Build the API.
    agent: ${agentArg}
  - id: web
    owns: ["/src/web/"]
    task: Build the web app.
    agent: ${agentArg}
  - id: db
    owns: ["/src/db/"]
    task: Build the database.
    agent: ${agentArg}
`;

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

const sleep = (ms: number): Promise<void> => new Promise((ok) => setTimeout(ok, ms));

/** Waits up to 60 s for `condition`; past that the test fails here, naming what it waited for. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (condition()) return;
    await sleep(100);
  }
  if (!condition()) throw new Error(`gave up after 60 s waiting for: ${condition.toString()}`);
}

function pwAsync(
  r: RunRepo,
  args: string[],
): {
  child: ReturnType<typeof spawn>;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
} {
  const child = spawn(process.execPath, [builtBin, ...args], {
    cwd: r.dir,
    env: { ...r.env, FAKE_AGENT_DIR: r.agents, PW_RUN_SEED: '7' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((ok) =>
    child.on('close', (code) => ok({ code, stdout, stderr })),
  );
  return { child, done };
}

function events(r: RunRepo): Record<string, unknown>[] {
  return readFileSafe(join(r.commonDir, 'pw', 'demo', 'events.ndjson'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function delivered(r: RunRepo, worker: string): { id: string; text: string; attempt: number }[] {
  const dir = join(r.commonDir, 'pw', 'demo', 'messages', worker, 'delivered');
  let names: string[] = [];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return [];
  }
  return names.map(
    (n) =>
      JSON.parse(readFileSync(join(dir, n), 'utf8')) as {
        id: string;
        text: string;
        attempt: number;
      },
  );
}

/** Only api runs an agent that blocks; web and db complete at once. */
function blockedApi(r: RunRepo): void {
  r.script('api', [
    [{ commit: '[BLOCKED:schema] which database?' }],
    [
      { write: 'src/api/a.ts', content: 'postgres\n' },
      { commit: '[COMPLETE] the API on postgres' },
    ],
  ]);
  r.script('web', [[{ commit: '[COMPLETE] the web app' }]]);
  r.script('db', [[{ commit: '[COMPLETE] the database' }]]);
}

describe('pw send', () => {
  it('resumes the session of a BLOCKED worker no run serves with the message; --wait follows it to its end', () => {
    repo = createRunRepo(PLAN, FILES);
    blockedApi(repo);
    const first = repo.run(['run', 'plan.yaml', '--json']);
    expect(first.status).toBe(1);
    const sent = repo.run(['send', 'api', 'Use postgres; the schema is in docs/db.md', '--wait']);
    expect(sent.stderr).toBe('');
    expect(sent.status).toBe(0);
    // api-1 is pw's own hint to the BLOCKED worker (run.autoNotify): it goes along.
    expect(sent.stdout).toContain('queued api-2 for api: pw started a run in the background');
    // --wait says how the answer ended.
    expect(sent.stdout).toMatch(
      /\napi: attempt 2 carried api-2 and ended \(exit 0\); its branch says COMPLETE\n$/,
    );
    const calls = repo.calls('api');
    expect(calls).toHaveLength(2);
    expect(calls[1]!.argv[0]).toContain('Use postgres; the schema is in docs/db.md');
    expect(calls[1]!.argv[0]).not.toContain('Your previous session ended');
    const status = JSON.parse(repo.pw(['status', '--json']).stdout) as {
      workers: { id: string; state: string }[];
      run: {
        workers: {
          worker: string;
          messages: { queued: number; delivered: number; lastDeliveredAt: string | null };
        }[];
      };
    };
    expect(status.workers.find((w) => w.id === 'api')!.state).toBe('complete');
    const messages = status.run.workers.find((w) => w.worker === 'api')!.messages;
    expect(messages).toMatchObject({ queued: 0, delivered: 2 });
    expect(messages.lastDeliveredAt).not.toBeNull();
    expect(repo.pw(['status']).stdout).toMatch(/api +complete, attempt 2; last message delivered/);
    const log = events(repo).filter((e) => String(e.type).startsWith('message-'));
    expect(log.map((e) => [e.type, e.worker, e.message, e.source])).toEqual([
      ['message-queued', 'api', 'api-1', 'auto'],
      ['message-queued', 'api', 'api-2', 'send'],
      ['message-delivered', 'api', 'api-1', 'auto'],
      ['message-delivered', 'api', 'api-2', 'send'],
    ]);
    expect(delivered(repo, 'api').map((m) => m.attempt)).toEqual([2, 2]);
  });

  it('refuses an unknown worker or an empty message (exit 2), a worker with no session or a COMPLETE one (exit 1); --reopen resumes a COMPLETE one', () => {
    repo = createRunRepo(PLAN, FILES);
    blockedApi(repo);
    repo.run(['setup', 'plan.yaml']);
    const noSession = repo.run(['send', 'api', 'hello']);
    expect(noSession.status).toBe(1);
    expect(noSession.stderr).toContain('worker api has no agent session yet');
    expect(noSession.stderr).toContain('pw run --only api');
    repo.run(['run', '--json']);
    const unknown = repo.run(['send', 'nope', 'hello']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('"nope" is not a worker of plan demo');
    expect(unknown.stderr).toContain('Workers: api, web, db.');
    const empty = repo.run(['send', 'api', '  ']);
    expect(empty.status).toBe(2);
    expect(empty.stderr).toContain('the message is empty');
    const both = repo.run(['send', 'api', 'x', '--file', 'README.md']);
    expect(both.status).toBe(2);
    const complete = repo.run(['send', 'web', 'more please']);
    expect(complete.status).toBe(1);
    expect(complete.stderr).toContain('worker web is COMPLETE: nothing was sent');
    expect(complete.stderr).toContain('--reopen');
    // A hostile message goes as one argument, never through a shell.
    repo.script('web', [[{ commit: '[COMPLETE] the web app' }], [{ commit: '[COMPLETE] again' }]]);
    const hostile = '$(touch pwned) `touch pwned` ; touch pwned';
    writeFileSync(join(repo.dir, 'msg.txt'), hostile);
    const fromFile = repo.run(['send', 'web', '--reopen', '--wait', '--file', 'msg.txt']);
    expect(fromFile.status).toBe(0);
    const web = repo.calls('web');
    expect(web[1]!.argv[0]).toContain(hostile);
    expect(web[1]!.argv[0]).toContain('commit a new [COMPLETE]');
    expect(readdirSync(repo.dir)).not.toContain('pwned');
    expect(readdirSync(repo.wt('web'))).not.toContain('pwned');
    // From stdin.
    const stdin = repo.pw(['send', 'api', '--json', '--wait'], {
      input: 'from stdin\n',
      env: { FAKE_AGENT_DIR: repo.agents },
    });
    expect(stdin.status).toBe(0);
    expect(JSON.parse(stdin.stdout)).toMatchObject({
      queued: [{ worker: 'api', message: 'api-2' }],
    });
  });

  it('queues a message while the agent runs and delivers it when its turn ends, before any continuation prompt', async () => {
    repo = createRunRepo(PLAN, FILES);
    const r = repo;
    r.script('api', [
      [{ stdout: 'ready' }, { waitFile: 'go' }, { commit: '[CHECKPOINT] half' }, { exit: 0 }],
      [{ commit: '[COMPLETE] the API' }],
    ]);
    r.script('web', [[{ commit: '[COMPLETE] the web app' }]]);
    r.script('db', [[{ commit: '[COMPLETE] the database' }]]);
    const run = pwAsync(r, ['run', 'plan.yaml', '--json']);
    const log = join(r.commonDir, 'pw', 'demo', 'logs', 'api', 'attempt-1.log');
    await until(() => /^ready$/m.test(readFileSafe(log)));
    const sent = r.run(['send', 'api', 'also add a health endpoint']);
    expect(sent.status).toBe(0);
    expect(sent.stdout).toMatch(/queued api-1 for api: pw run \(pid \d+\) delivers it/);
    writeFileSync(join(r.agents, 'go'), '');
    const { code, stdout } = await run.done;
    expect(code).toBe(0);
    const runEvents = r.events(stdout).filter((e) => e.worker === 'api');
    expect(runEvents.map((e) => e.type)).toEqual([
      'worker-started',
      'worker-exited',
      'worker-retry',
      'worker-started',
      'message-delivered',
      'worker-exited',
      'worker-complete',
    ]);
    expect(runEvents[3]).toMatchObject({ attempt: 2, messages: ['api-1'] });
    const calls = r.calls('api');
    expect(calls).toHaveLength(2);
    expect(calls[1]!.argv[0]).toContain('also add a health endpoint');
  });

  it('says so when the turn a message waited for ends in COMPLETE: the message is held, and how to deliver it', async () => {
    repo = createRunRepo(PLAN, FILES);
    const r = repo;
    r.script('api', [
      [{ stdout: 'ready' }, { waitFile: 'go' }, { commit: '[COMPLETE] the API' }],
      [{ commit: '[COMPLETE] the API, with the health endpoint' }],
    ]);
    r.script('web', [[{ commit: '[COMPLETE] the web app' }]]);
    r.script('db', [[{ commit: '[COMPLETE] the database' }]]);
    const run = pwAsync(r, ['run', 'plan.yaml']);
    const log = join(r.commonDir, 'pw', 'demo', 'logs', 'api', 'attempt-1.log');
    await until(() => /^ready$/m.test(readFileSafe(log)));
    const sent = r.run(['send', 'api', 'also add a health endpoint']);
    expect(sent.status).toBe(0);
    expect(sent.stdout).toContain(
      "api's agent ends its turn, or now if it is not running (held if that turn ends in [COMPLETE]: pw send --reopen delivers it)",
    );
    writeFileSync(join(r.agents, 'go'), '');
    const { code, stderr } = await run.done;
    expect(code).toBe(0);
    expect(stderr).toContain(
      'pw: warning: api is COMPLETE with 1 message it never got (a message does not reopen a COMPLETE worker); pw send --reopen api <message> reopens it and delivers it with the new one\n',
    );
    expect(r.calls('api')).toHaveLength(1);
    // --reopen delivers the held message with the new one, in one prompt.
    const reopened = r.run(['send', 'api', '--reopen', '--wait', 'and document it']);
    expect(reopened.status).toBe(0);
    const calls = r.calls('api');
    expect(calls).toHaveLength(2);
    const prompt = `${calls[1]!.argv.join(' ')}\n${calls[1]!.stdin}`;
    expect(prompt).toContain('also add a health endpoint');
    expect(prompt).toContain('and document it');
  });

  it('answers a BLOCKED worker while the run still runs: it resumes, completes, and its skipped dependent runs', async () => {
    repo = createRunRepo(
      PLAN.replace(
        '    task: Build the web app.\n',
        '    task: Build the web app.\n    dependsOn: [api]\n',
      ),
      FILES,
    );
    const r = repo;
    blockedApi(r);
    // db keeps the run alive until the test is done.
    r.script('db', [
      [{ stdout: 'ready' }, { waitFile: 'go' }, { commit: '[COMPLETE] the database' }],
    ]);
    const run = pwAsync(r, ['run', 'plan.yaml', '--json']);
    const dbLog = join(r.commonDir, 'pw', 'demo', 'logs', 'db', 'attempt-1.log');
    await until(
      () =>
        /^ready$/m.test(readFileSafe(dbLog)) &&
        events(r).some((e) => e.type === 'message-queued' && e.reason === 'blocked'),
    );
    const sent = r.run(['send', 'api', 'Use postgres.', '--wait']);
    expect(sent.status).toBe(0);
    expect(sent.stdout).toMatch(/queued api-2 for api: pw run \(pid \d+\) delivers it/);
    writeFileSync(join(r.agents, 'go'), '');
    const { code, stdout } = await run.done;
    expect(code).toBe(0);
    const runEvents = r.events(stdout);
    expect(
      runEvents
        .filter((e) => e.worker === 'web')
        .map((e) => e.type)
        .slice(0, 3),
    ).toEqual(['worker-skipped', 'worker-waiting', 'worker-merged']);
    expect(r.calls('api')[1]!.argv[0]).toContain('Use postgres.');
    expect(r.calls('web')).toHaveLength(1);
  });

  it('keeps every message of 20 concurrent senders, each sender in its order, in one delivery', async () => {
    repo = createRunRepo(PLAN, FILES);
    const r = repo;
    r.script('api', [
      [{ stdout: 'ready' }, { waitFile: 'go' }, { exit: 0 }],
      [{ commit: '[COMPLETE] the API' }],
    ]);
    r.script('web', [[{ commit: '[COMPLETE] the web app' }]]);
    r.script('db', [[{ commit: '[COMPLETE] the database' }]]);
    const run = pwAsync(r, ['run', 'plan.yaml', '--json']);
    const log = join(r.commonDir, 'pw', 'demo', 'logs', 'api', 'attempt-1.log');
    await until(() => /^ready$/m.test(readFileSafe(log)));
    // 4 senders side by side, each sending 5 messages one after the other.
    const senders = [0, 1, 2, 3].map(async (s) => {
      for (let i = 0; i < 5; i++) {
        const { code } = await pwAsync(r, ['send', 'api', `sender ${s} message ${i}`]).done;
        expect(code).toBe(0);
      }
    });
    await Promise.all(senders);
    writeFileSync(join(r.agents, 'go'), '');
    expect((await run.done).code).toBe(0);
    const messages = delivered(r, 'api');
    expect(messages).toHaveLength(20);
    expect(new Set(messages.map((m) => m.id)).size).toBe(20);
    expect(messages.every((m) => m.attempt === 2)).toBe(true);
    const prompt = r.calls('api')[1]!.argv[0]!;
    for (let s = 0; s < 4; s++) {
      const positions = [0, 1, 2, 3, 4].map((i) => prompt.indexOf(`sender ${s} message ${i}`));
      expect(positions.every((p) => p >= 0)).toBe(true);
      expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    }
  });

  it('a message queued before pw run was killed (-9) is delivered by the next run, once', async () => {
    repo = createRunRepo(PLAN, FILES);
    const r = repo;
    r.script('api', [
      [{ stdout: 'ready' }, { waitFile: 'go' }, { commit: '[CHECKPOINT] half' }, { exit: 0 }],
      [{ commit: '[COMPLETE] the API' }],
    ]);
    r.script('web', [[{ commit: '[COMPLETE] the web app' }]]);
    r.script('db', [[{ commit: '[COMPLETE] the database' }]]);
    const first = pwAsync(r, ['run', 'plan.yaml', '--json']);
    const log = join(r.commonDir, 'pw', 'demo', 'logs', 'api', 'attempt-1.log');
    await until(() => /^ready$/m.test(readFileSafe(log)));
    expect(r.run(['send', 'api', 'survive the crash']).status).toBe(0);
    first.child.kill('SIGKILL');
    await first.done;
    writeFileSync(join(r.agents, 'go'), '');
    const second = r.run(['run', '--json']);
    expect(second.status).toBe(0);
    const calls = r.calls('api');
    expect(calls).toHaveLength(2);
    expect(calls[1]!.argv[0]).toContain('survive the crash');
    expect(delivered(r, 'api').map((m) => m.id)).toEqual(['api-1']);
  });
});

describe('pw broadcast', () => {
  it('sends to every worker that is not COMPLETE, within --only and --except', () => {
    repo = createRunRepo(PLAN, FILES);
    repo.script('api', [[{ commit: '[BLOCKED:schema] which database?' }], [{ exit: 0 }]]);
    repo.script('web', [[{ commit: '[BLOCKED:design] which colours?' }], [{ exit: 0 }]]);
    repo.script('db', [[{ commit: '[COMPLETE] the database' }]]);
    expect(repo.run(['run', 'plan.yaml', '--json']).status).toBe(1);
    const except = repo.run(['broadcast', 'first', '--except', 'web', '--wait', '--json']);
    expect(except.status).toBe(0);
    const report = JSON.parse(except.stdout) as {
      queued: { worker: string }[];
      skipped: { worker: string; reason: string }[];
    };
    expect(report.queued.map((q) => q.worker)).toEqual(['api']);
    expect(report.skipped).toEqual([{ worker: 'db', reason: 'COMPLETE' }]);
    const all = repo.run(['broadcast', 'second', '--wait']);
    expect(all.status).toBe(0);
    expect(all.stdout).toContain('skipped db: COMPLETE');
    const only = repo.run(['broadcast', 'third', '--only', 'web', '--wait']);
    expect(only.status).toBe(0);
    expect(
      repo
        .calls('api')
        .slice(1)
        .map((c) => /(first|second|third)/.exec(c.argv[0]!)![1]),
    ).toEqual(['first', 'second']);
    expect(
      repo
        .calls('web')
        .slice(1)
        .map((c) => /(first|second|third)/.exec(c.argv[0]!)![1]),
    ).toEqual(['second', 'third']);
    expect(repo.calls('db')).toHaveLength(1);
    const bad = repo.run(['broadcast', 'x', '--only', 'nope']);
    expect(bad.status).toBe(2);
    const none = repo.run(['broadcast', 'x', '--only', 'db']);
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('no worker to send to');
  });
});

/**
 * web asks api for its schema ([NEEDS:api/schema]), says "asked" and waits
 * for the file `go`, then exits (COMPLETE in its next attempt) or commits
 * COMPLETE; api provides the schema once the file `asked` is there.
 */
function scriptNeedsExchange(r: RunRepo, web: 'exits' | 'completes'): void {
  const ask = [
    { commit: '[NEEDS:api/schema] the API schema' },
    { stdout: 'asked' },
    { waitFile: 'go' },
  ];
  r.script(
    'web',
    web === 'exits'
      ? [[...ask, { exit: 0 }], [{ commit: '[COMPLETE] the web app' }]]
      : [[...ask, { commit: '[COMPLETE] the web app' }]],
  );
  r.script('api', [
    [
      { waitFile: 'asked' },
      { write: 'src/api/schema.ts', content: 'schema\n' },
      { commit: '[CHECKPOINT] the schema\n\nProvides: schema' },
      { commit: '[COMPLETE] the API' },
    ],
  ]);
  r.script('db', [[{ commit: '[COMPLETE] the database' }]]);
}

/** Starts pw run and waits until web has asked (api still waits for the file `asked`). */
async function runUntilAsked(r: RunRepo): Promise<ReturnType<typeof pwAsync>> {
  const run = pwAsync(r, ['run', 'plan.yaml', '--json']);
  const webLog = join(r.commonDir, 'pw', 'demo', 'logs', 'web', 'attempt-1.log');
  // Its own line: the brief in the log's argv line has the word too.
  await until(() => /^asked$/m.test(readFileSafe(webLog)));
  return run;
}

describe('run.autoNotify', () => {
  it('tells a waiting worker its NEEDS is provided (the commit, git merge <branch>), at the end of its turn', async () => {
    repo = createRunRepo(PLAN, FILES);
    const r = repo;
    scriptNeedsExchange(r, 'exits');
    const run = await runUntilAsked(r);
    writeFileSync(join(r.agents, 'asked'), '');
    await until(() =>
      events(r).some((e) => e.type === 'message-queued' && e.reason === 'needs-resolved'),
    );
    writeFileSync(join(r.agents, 'go'), '');
    const { code } = await run.done;
    expect(code).toBe(0);
    const queued = events(r).find((e) => e.type === 'message-queued')!;
    const provides = r.git(['log', '--format=%H', '--grep=Provides: schema', 'pw/demo/api']).trim();
    expect(queued).toMatchObject({
      worker: 'web',
      source: 'auto',
      reason: 'needs-resolved',
      provider: 'api',
      item: 'schema',
      commit: provides,
    });
    const prompt = r.calls('web')[1]!.argv[0]!;
    expect(prompt).toContain('Your [NEEDS:api/schema] is resolved');
    expect(prompt).toContain(provides.slice(0, 12));
    expect(prompt).toContain('git merge pw/demo/api');
    const retro = JSON.parse(r.pw(['retro', '--json']).stdout) as {
      messages: { sent: number; automatic: number; providesToNextCommitMs: number[] };
    };
    expect(retro.messages).toMatchObject({ sent: 1, automatic: 1 });
    expect(retro.messages.providesToNextCommitMs).toHaveLength(1);
  });

  it('says when it cannot queue a message it owes a worker, and queues it once it can', async () => {
    repo = createRunRepo(PLAN, FILES);
    const r = repo;
    scriptNeedsExchange(r, 'exits');
    const run = await runUntilAsked(r);
    let live = '';
    run.child.stdout!.on('data', (chunk: Buffer) => {
      live += chunk.toString();
    });
    // A file where web's message folder must go: queueing fails until it is gone.
    const blocker = join(r.commonDir, 'pw', 'demo', 'messages', 'web', 'seq');
    writeFileSync(blocker, '');
    writeFileSync(join(r.agents, 'asked'), '');
    await until(() => live.includes('"notify-failed"'));
    expect(events(r).some((e) => e.type === 'message-queued')).toBe(false);
    rmSync(blocker);
    await until(() =>
      events(r).some((e) => e.type === 'message-queued' && e.reason === 'needs-resolved'),
    );
    writeFileSync(join(r.agents, 'go'), '');
    const { code, stdout } = await run.done;
    expect(code).toBe(0);
    const failed = r.events(stdout).find((e) => e.type === 'notify-failed')!;
    expect(failed.error).toMatch(/seq/);
    expect(r.calls('web')[1]!.argv[0]).toContain('Your [NEEDS:api/schema] is resolved');
  });

  it('tries a message it could not queue once more before the run ends, and says so again', () => {
    repo = createRunRepo(PLAN, FILES);
    blockedApi(repo);
    // A file where api's message folder must go, for the whole run.
    mkdirSync(join(repo.commonDir, 'pw', 'demo', 'messages', 'api'), { recursive: true });
    writeFileSync(join(repo.commonDir, 'pw', 'demo', 'messages', 'api', 'seq'), '');
    const result = repo.run(['run', 'plan.yaml', '--json']);
    expect(result.status).toBe(1);
    const failed = repo.events(result.stdout).filter((e) => e.type === 'notify-failed');
    // Tried at each step while the run went on, then once more at its end.
    expect(failed.length).toBeGreaterThanOrEqual(2);
    expect(failed.slice(0, -1).every((e) => e.retryInMs === 2000)).toBe(true);
    expect(failed.at(-1)!.retryInMs).toBeNull();
    expect(result.stdout).toContain('"worker-blocked"');
    expect(events(repo).filter((e) => e.type === 'message-queued')).toEqual([]);
  });

  it('does not reopen a worker that reached COMPLETE before the message about its NEEDS was delivered', async () => {
    repo = createRunRepo(PLAN, FILES);
    const r = repo;
    scriptNeedsExchange(r, 'completes');
    const run = await runUntilAsked(r);
    writeFileSync(join(r.agents, 'asked'), '');
    await until(() => events(r).some((e) => e.type === 'message-queued')).catch((error: Error) => {
      // What the agents did and what pw run saw, for a failure that cannot be rerun.
      const logs = ['web', 'api'].map((w) =>
        readFileSafe(join(r.commonDir, 'pw', 'demo', 'logs', w, 'attempt-1.log')),
      );
      const history = r.git(['log', '--all', '--format=%h %ci %s']);
      throw new Error(
        `${error.message}\nweb: ${logs[0]}\napi: ${logs[1]}\n${history}\n${JSON.stringify(events(r))}`,
      );
    });
    writeFileSync(join(r.agents, 'go'), '');
    const { code, stdout } = await run.done;
    expect(code).toBe(0);
    expect(r.calls('web')).toHaveLength(1);
    expect(r.events(stdout).some((e) => e.type === 'message-delivered')).toBe(false);
    // pw status says the message is held, not waiting to go.
    const status = r.run(['status']);
    expect(status.stdout).toMatch(
      /web +complete, attempt 1; 1 message not delivered: complete \(pw send --reopen reopens it\)/,
    );
    expect(status.stdout).not.toContain('queued');
  });

  it('keeps a BLOCKED worker stopped with a hint that goes with the answer pw send gives', () => {
    repo = createRunRepo(PLAN, FILES);
    blockedApi(repo);
    expect(repo.run(['run', 'plan.yaml', '--json']).status).toBe(1);
    expect(repo.calls('api')).toHaveLength(1);
    const hint = events(repo).find((e) => e.type === 'message-queued')!;
    expect(hint).toMatchObject({ worker: 'api', source: 'auto', reason: 'blocked' });
    // A rerun does not wake it either.
    expect(repo.run(['run', '--json']).status).toBe(1);
    expect(repo.calls('api')).toHaveLength(1);
    expect(repo.run(['send', 'api', 'Use postgres', '--wait']).status).toBe(0);
    const prompt = repo.calls('api')[1]!.argv[0]!;
    expect(prompt).toContain('2 messages were sent to you');
    expect(prompt).toContain('commit\n[NEEDS:<worker>/<item>]');
    expect(prompt.indexOf('[NEEDS:<worker>/<item>]')).toBeLessThan(prompt.indexOf('Use postgres'));
  });

  /** An attempt of api that commits web's file twice (the hooks refuse both) and exits. */
  const TOUCH_WEB_TWICE = [
    { write: 'src/web/w.ts', content: 'not mine\n' },
    { commit: '[CHECKPOINT] touch the web app', unstageOnRefusal: true },
    { commit: '[CHECKPOINT] touch it again', unstageOnRefusal: true },
    { exit: 0 },
  ];

  it('names the owner and the NEEDS to commit after the hooks refused the same path twice', () => {
    repo = createRunRepo(PLAN, FILES);
    repo.script('api', [
      TOUCH_WEB_TWICE,
      [
        { write: 'src/web/w.ts', content: 'w\n' },
        { commit: '[NEEDS:web/colours] the colours in src/web/w.ts' },
        { commit: '[COMPLETE] the API' },
      ],
    ]);
    repo.script('web', [[{ commit: '[COMPLETE] the web app' }]]);
    repo.script('db', [[{ commit: '[COMPLETE] the database' }]]);
    const result = repo.run(['run', 'plan.yaml', '--json']);
    expect(result.status).toBe(0);
    const queued = events(repo).find((e) => e.type === 'message-queued')!;
    expect(queued).toMatchObject({ worker: 'api', reason: 'scope-refused', path: 'src/web/w.ts' });
    const prompt = repo.calls('api')[1]!.argv[0]!;
    expect(prompt).toContain('belongs to worker web');
    expect(prompt).toContain('[NEEDS:web/<item>]');
  });

  it("does not restart a worker the run gave up on with pw's own message: it stays queued for the next run", () => {
    repo = createRunRepo(PLAN, FILES);
    repo.script('api', [TOUCH_WEB_TWICE, [{ commit: '[COMPLETE] the API' }]]);
    repo.script('web', [[{ commit: '[COMPLETE] the web app' }]]);
    repo.script('db', [[{ commit: '[COMPLETE] the database' }]]);
    const result = repo.run(['run', 'plan.yaml', '--json', '--retries', '0']);
    expect(result.status).toBe(1);
    expect(repo.calls('api')).toHaveLength(1);
    const failed = result.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((e) => e.type === 'worker-failed' && e.worker === 'api');
    expect(failed).toMatchObject({ reason: expect.stringContaining('gave up') });
    // Queued all the same, for the next run to deliver.
    expect(events(repo).some((e) => e.type === 'message-queued' && e.worker === 'api')).toBe(true);
    const queued = join(repo.commonDir, 'pw', 'demo', 'messages', 'api', 'queued');
    expect(readdirSync(queued)).toHaveLength(1);
  });

  it('is off with run.autoNotify: false', () => {
    repo = createRunRepo(PLAN.replace('run:\n', 'run:\n  autoNotify: false\n'), FILES);
    blockedApi(repo);
    expect(repo.run(['run', 'plan.yaml', '--json']).status).toBe(1);
    expect(events(repo).filter((e) => e.type === 'message-queued')).toEqual([]);
  });
});
