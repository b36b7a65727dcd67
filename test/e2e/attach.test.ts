import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FAKE_AGENT, agentArg, createRunRepo, type RunRepo } from '../helpers/run-fixture.js';
import { builtBin, projectRoot } from '../helpers/temp-repo.js';
import { readProcessStartTime } from '../../src/store/process-identity.js';

const FAKE_INTERACTIVE = join(projectRoot, 'test', 'fixtures', 'fake-interactive-agent.mjs');
const PW_NOW = '2026-03-04T05:06:07.000Z';
const FILES = { 'src/api/a.ts': 'a\n', 'src/web/w.ts': 'w\n', 'src/db/d.ts': 'd\n' };

function plan(run: string, workers: string): string {
  return `name: demo
run:
  backoff: 10ms
  killGrace: 5s
${run}workers:
${workers}`;
}

const apiWorker = (extra = '') => `  - id: api
    owns: ["/src/api/"]
    task: Build the API.
    agent: ${agentArg}
${extra}`;

let repo: RunRepo | null = null;
const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  repo?.cleanup();
  repo = null;
});

/** Polls until `check` holds: at most 60 s, never a timing assertion. */
async function waitFor(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; !check(); i++) {
    if (i > 1200) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface Running {
  child: ChildProcessWithoutNullStreams;
  out: () => string;
  err: () => string;
  code: Promise<number | null>;
}

function start(r: RunRepo, args: string[]): Running {
  const child = spawn(process.execPath, [builtBin, ...args], {
    cwd: r.dir,
    env: { ...r.env, FAKE_AGENT_DIR: r.agents, PW_RUN_SEED: '7', PW_NOW },
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => void (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => void (err += chunk.toString()));
  const code = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { child, out: () => out, err: () => err, code };
}

const readFileSafe = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};

interface RecordFile {
  workers: Record<
    string,
    {
      sessionId: string | null;
      pid: number | null;
      phase: string;
      attempts: { category: string | null; resume: boolean }[];
    }
  >;
}
const readRecord = (r: RunRepo): RecordFile =>
  JSON.parse(readFileSync(join(r.commonDir, 'pw', 'demo', 'run.json'), 'utf8')) as RecordFile;
const markerPath = (r: RunRepo, worker: string) =>
  join(r.commonDir, 'pw', 'demo', 'attach', `${worker}.json`);
const attachCalls = (r: RunRepo): { argv: string[]; cwd: string; worker: string }[] =>
  readFileSafe(join(r.agents, 'attach.calls.ndjson'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { argv: string[]; cwd: string; worker: string });
const typesOf = (events: Record<string, unknown>[], worker: string): string[] =>
  events.filter((e) => e.worker === worker).map((e) => String(e.type));

describe('pw attach', () => {
  it('--print: the exact command for claude and command agents, shell-quoted, with its directory; running it gives the agent the session and its exit code', () => {
    // A "claude" on PATH that is the scripted headless agent, so pw run records a Claude session.
    const repoWith = createRunRepo(
      plan(
        `  attach: node ${FAKE_INTERACTIVE} --session {session} --worktree {worktree} --note "it's {session}"\n`,
        `${apiWorker()}  - id: web
    owns: ["/src/web/"]
    task: Build the web app.
    agent: claude --model opus
`,
      ),
      FILES,
    );
    repo = repoWith;
    const r = repoWith;
    const pathDir = join(r.root, 'bin');
    mkdirSync(pathDir);
    writeFileSync(join(pathDir, 'claude'), `#!/bin/sh\nexec node ${FAKE_AGENT} "$@"\n`);
    chmodSync(join(pathDir, 'claude'), 0o755);
    const env = { PATH: `${pathDir}:${r.env.PATH}`, PW_NOW };
    r.script('api', [[{ commit: '[COMPLETE] the API' }]]);
    r.script('web', [[{ commit: '[COMPLETE] the web app' }]]);
    const ran = r.run(['run', 'plan.yaml', '--json'], env);
    expect(ran.stderr).toBe('');
    expect(ran.status).toBe(0);
    const record = readRecord(r);
    const webSession = record.workers.web!.sessionId!;
    const apiSession = record.workers.api!.sessionId!;
    expect(webSession).toMatch(/^[0-9a-f-]{36}$/);

    const web = r.run(['attach', 'web', '--print'], env);
    expect(web.stderr).toBe('');
    expect(web.status).toBe(0);
    expect(web.stdout).toBe(
      `cd ${r.wt('web')} && claude --resume ${webSession} --model opus --permission-mode acceptEdits --allowedTools Bash,Edit,Write,Read,Glob,Grep\n`,
    );
    const api = r.run(['attach', 'api', '--print'], env);
    expect(api.status).toBe(0);
    expect(api.stdout).toBe(
      `cd ${r.wt('api')} && node ${FAKE_INTERACTIVE} --session ${apiSession} --worktree ${r.wt('api')} --note 'it'\\''s ${apiSession}'\n`,
    );
    // --print started nothing and left no marker.
    expect(attachCalls(r)).toEqual([]);
    expect(existsSync(markerPath(r, 'api'))).toBe(false);

    // Run for real: the same argv (never through a shell), in the worktree; the exit code is the agent's.
    const typed = r.pw(['attach', 'api'], {
      env: { ...env, FAKE_AGENT_DIR: r.agents },
      input: 'hello there\nexit 5\n',
    });
    expect(typed.stderr).toBe('');
    expect(typed.status).toBe(5);
    expect(typed.stdout).toContain('echo: hello there');
    const call = attachCalls(r).at(-1)!;
    expect(call.argv).toEqual([
      '--session',
      apiSession,
      '--worktree',
      r.wt('api'),
      '--note',
      `it's ${apiSession}`,
    ]);
    expect(call.cwd).toBe(r.wt('api'));
    expect(call.worker).toBe('api');
    expect(existsSync(markerPath(r, 'api'))).toBe(false);
  });

  it('refuses clearly: unknown worker (2), no session yet (1), no attach command (2), agent missing (3)', () => {
    repo = createRunRepo(
      plan(
        '',
        `${apiWorker()}  - id: web
    owns: ["/src/web/"]
    task: Build the web app.
    agent: claude
  - id: db
    owns: ["/src/db/"]
    task: Build the database.
    agent: aider
`,
      ),
      FILES,
    );
    const r = repo;
    expect(r.pw(['setup', 'plan.yaml']).status).toBe(0);
    const unknown = r.run(['attach', 'nope']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('"nope" is not a worker of plan demo');
    expect(unknown.stderr).toContain('Workers: api, web, db.');

    const noSession = r.run(['attach', 'web']);
    expect(noSession.status).toBe(1);
    expect(noSession.stderr).toContain(
      'worker web has no recorded claude session yet (plan demo): its agent has not run',
    );
    expect(noSession.stderr).toContain('pw run --only web starts it headless');

    const noCommand = r.run(['attach', 'api']);
    expect(noCommand.status).toBe(2);
    expect(noCommand.stderr).toContain('pw does not know how to open it interactively');
    expect(noCommand.stderr).toContain('run.attach, or attach: on the worker');

    // aider keeps no session: it opens plainly in the worktree, once it is installed.
    const print = r.run(['attach', 'db', '--print']);
    expect(print.stdout).toBe(`cd ${r.wt('db')} && aider\n`);
    // A PATH with git alone, wherever aider may be installed on this machine.
    const gitOnly = join(r.root, 'git-only');
    mkdirSync(gitOnly);
    symlinkSync(
      spawnSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).stdout.trim(),
      join(gitOnly, 'git'),
    );
    const missing = r.run(['attach', 'db'], { PATH: gitOnly });
    expect(missing.status).toBe(3);
    expect(missing.stderr).toContain('"aider" (aider profile) is not on PATH');
    // Found but not startable (its interpreter is missing): the error, and 127 as a shell says.
    writeFileSync(join(gitOnly, 'aider'), '#!/nonexistent/interpreter\n');
    chmodSync(join(gitOnly, 'aider'), 0o755);
    const broken = r.run(['attach', 'db'], { PATH: gitOnly });
    expect(broken.status).toBe(127);
    expect(broken.stderr).toContain('pw: could not start aider: spawn aider ENOENT');
    expect(existsSync(markerPath(r, 'db'))).toBe(false);
  });

  it('refuses while pw run runs the agent; --take-over stops it, the run does not restart it while attached, and resumes it after', async () => {
    repo = createRunRepo(
      plan(
        `  attach: node ${FAKE_INTERACTIVE} --session {session}\n`,
        `${apiWorker()}  - id: db
    owns: ["/src/db/"]
    task: Build the database.
    agent: ${agentArg}
`,
      ),
      FILES,
    );
    const r = repo;
    r.script('api', [[{ stdout: 'ready' }, { hang: true }], [{ commit: '[COMPLETE] the API' }]]);
    r.script('db', [[{ waitFile: 'db-go' }, { commit: '[COMPLETE] the database' }]]);
    const run = start(r, ['run', 'plan.yaml', '--json']);
    const log = join(r.commonDir, 'pw', 'demo', 'logs', 'api', 'attempt-1.log');
    await waitFor(() => /^ready$/m.test(readFileSafe(log)), 'the headless agent');
    const agentPid = readRecord(r).workers.api!.pid!;
    const session = readRecord(r).workers.api!.sessionId!;

    const refused = r.run(['attach', 'api'], { PW_NOW });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(
      `worker api's agent is running headless (agent pid ${agentPid} under pw run pid ${run.child.pid})`,
    );
    expect(refused.stderr).toContain('pw attach api --take-over');
    expect(existsSync(markerPath(r, 'api'))).toBe(false);

    const attach = start(r, ['attach', 'api', '--take-over']);
    await waitFor(() => attach.out().includes('fake agent: ready'), 'the interactive agent');
    expect(attach.err()).toContain(
      `pw: taking over api: stopping its headless agent (agent pid ${agentPid} under pw run pid ${run.child.pid})`,
    );
    expect(attach.out()).toContain(`fake agent: argv ["--session","${session}"]`);
    const marker = JSON.parse(readFileSync(markerPath(r, 'api'), 'utf8')) as {
      pid: number;
      agentPid: number;
      startedAt: string;
    };
    expect(marker.pid).toBe(attach.child.pid);
    expect(marker.startedAt).toBe(PW_NOW);
    await waitFor(() => run.out().includes('"worker-attached"'), 'the run to see the attach');

    // One live agent per worktree: a second attach is refused.
    const second = r.run(['attach', 'api', '--take-over'], { PW_NOW });
    expect(second.status).toBe(1);
    expect(second.stderr).toContain(
      `worker api is already attached (pw attach pid ${attach.child.pid}, agent pid ${marker.agentPid}, since ${PW_NOW})`,
    );
    // pw status says so beside its table.
    expect(r.pw(['status']).stdout).toMatch(
      new RegExp(`api\\s+attached, attempt 1 \\(pw attach pid ${attach.child.pid};`),
    );
    // The run goes on (db completes), and api is not started again meanwhile.
    writeFileSync(join(r.agents, 'db-go'), '');
    await waitFor(() => run.out().includes('"worker-complete","plan":"demo","worker":"db"'), 'db');
    expect(r.calls('api')).toHaveLength(1);
    expect(readRecord(r).workers.api!.phase).toBe('attached');

    attach.child.stdin.write('a line\n');
    await waitFor(() => attach.out().includes('echo: a line'), 'the echo');
    attach.child.stdin.write('exit 0\n');
    expect(await attach.code).toBe(0);
    expect(existsSync(markerPath(r, 'api'))).toBe(false);

    expect(await run.code).toBe(0);
    const events = r.events(run.out());
    expect(typesOf(events, 'api')).toEqual([
      'worker-started',
      'worker-exited',
      'worker-attached',
      'worker-detached',
      'worker-started',
      'worker-exited',
      'worker-complete',
    ]);
    expect(events.filter((e) => e.type === 'worker-started')[2]).toMatchObject({
      worker: 'api',
      resume: true,
    });
    expect(readRecord(r).workers.api!.attempts.map((a) => a.category)).toEqual([
      'interrupted',
      'complete',
    ]);
    expect(r.calls('api')[1]!.argv[0]).toContain('Your previous session ended');
  });

  it('pw run does not start an attached worker; it starts it once the attach ends', async () => {
    repo = createRunRepo(
      plan('', apiWorker(`    attach: node ${FAKE_INTERACTIVE} --worktree {worktree}\n`)),
      FILES,
    );
    const r = repo;
    r.script('api', [[{ commit: '[COMPLETE] the API' }]]);
    expect(r.pw(['setup', 'plan.yaml']).status).toBe(0);
    const attach = start(r, ['attach', 'api']);
    await waitFor(() => attach.out().includes('fake agent: ready'), 'the interactive agent');
    const run = start(r, ['run', '--json']);
    await waitFor(() => run.out().includes('"worker-attached"'), 'the run to see the attach');
    expect(r.calls('api')).toEqual([]);
    attach.child.stdin.end();
    expect(await attach.code).toBe(0);
    expect(await run.code).toBe(0);
    expect(typesOf(r.events(run.out()), 'api')).toEqual([
      'worker-attached',
      'worker-detached',
      'worker-started',
      'worker-exited',
      'worker-complete',
    ]);
    expect(r.calls('api')).toHaveLength(1);
  });

  it('a stale marker (its process gone) is ignored and said so, by pw run and by pw attach; attach refuses during a teardown', async () => {
    repo = createRunRepo(
      plan(`  attach: node ${FAKE_INTERACTIVE} --session {session}\n`, apiWorker()),
      FILES,
    );
    const r = repo;
    r.script('api', [[{ commit: '[COMPLETE] the API' }]]);
    expect(r.pw(['setup', 'plan.yaml']).status).toBe(0);
    // This test's own pid with another start time: a pid the kernel gave to a new process.
    const stale = {
      version: 1,
      plan: 'demo',
      worker: 'api',
      pid: process.pid,
      startTime: 'another-boot:1',
      agentPid: null,
      agentStartTime: null,
      startedAt: '2026-01-01T00:00:00.000Z',
      argv: ['x'],
    };
    mkdirSync(join(r.commonDir, 'pw', 'demo', 'attach'), { recursive: true });
    writeFileSync(markerPath(r, 'api'), JSON.stringify(stale));
    const ran = r.run(['run', '--json']);
    expect(ran.status).toBe(0);
    const events = r.events(ran.stdout);
    expect(events.find((e) => e.type === 'worker-attach-stale')).toMatchObject({
      worker: 'api',
      pid: process.pid,
      since: '2026-01-01T00:00:00.000Z',
    });
    expect(typesOf(events, 'api')).toContain('worker-complete');

    const attached = r.pw(['attach', 'api'], {
      env: { PW_NOW, FAKE_AGENT_DIR: r.agents },
      input: 'exit 0\n',
    });
    expect(attached.status).toBe(0);
    expect(attached.stderr).toContain(
      `pw: ignored a stale attach marker of api (pw attach pid ${process.pid}, since 2026-01-01T00:00:00.000Z): that process is gone`,
    );
    expect(existsSync(markerPath(r, 'api'))).toBe(false);

    // While pw teardown holds the plan's run lock: nothing is opened, and no marker is left.
    const lock = join(r.commonDir, 'pw', 'demo', 'run.lock');
    const startTime = await readProcessStartTime(process.pid);
    writeFileSync(lock, JSON.stringify({ pid: process.pid, startTime, command: 'teardown' }));
    const during = r.pw(['attach', 'api'], {
      env: { PW_NOW, FAKE_AGENT_DIR: r.agents },
      input: 'exit 0\n',
    });
    expect(during.status).toBe(1);
    expect(during.stderr).toContain('pw: pw teardown is removing plan demo; nothing was opened\n');
    expect(existsSync(markerPath(r, 'api'))).toBe(false);
  });
});
