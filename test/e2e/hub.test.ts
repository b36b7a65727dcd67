import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempRepo, projectRoot, type TempRepo } from '../helpers/temp-repo.js';

// Workers on two machines share a bare hub. The setup repository has every
// worktree; a second clone plays the other machine and pushes a worker's
// commits. With `git config pw.hub hub` (which the first `--fetch hub`
// records), every read command fetches and reads the hub's copy when it is
// ahead, so status, wait, check, integrate and retro agree, and
// `integrate --push` publishes the target with a compare-and-swap.

// verify pushes the other machine's main to the hub while a marker file is
// there: someone moving the hub's target between integrate's read and push.
const plan = (root: string): string => `name: sec
integrate:
  verify: "if [ -f '${root}/race' ]; then git -C '${root}/other' push -q origin race:main; fi"
workers:
  - id: api
    owns: [/src/api/]
    task: Build the API.
  - id: security
    owns: [/src/security/]
    task: Harden it.
`;

const NOW = { PW_NOW: '2030-01-01T00:10:00Z' };
const DATES = {
  GIT_AUTHOR_DATE: '2030-01-01T00:00:00Z',
  GIT_COMMITTER_DATE: '2030-01-01T00:00:00Z',
};

let repo: TempRepo;
let hub: string;
let other: string;

const pw = (args: string[], cwd?: string) => repo.pw(args, { env: NOW, ...(cwd ? { cwd } : {}) });

/** Writes files in `cwd` and commits them, at the pinned date. */
function commit(cwd: string, message: string, files: Record<string, string> = {}): string {
  for (const [path, content] of Object.entries(files)) repo.write(path, content, cwd);
  repo.git(['add', '-A'], { cwd });
  repo.git(['commit', '-q', '--allow-empty', '-m', message], { cwd, env: DATES });
  return repo.git(['rev-parse', 'HEAD'], { cwd });
}

function json<T>(args: string[]): { status: number; json: T; stderr: string } {
  const result = pw([...args, '--json']);
  try {
    return { status: result.status, json: JSON.parse(result.stdout) as T, stderr: result.stderr };
  } catch {
    throw new Error(
      `pw ${args.join(' ')}: no JSON (exit ${result.status})\n${result.stdout}\n${result.stderr}`,
    );
  }
}

beforeAll(() => {
  repo = createTempRepo({
    files: { 'README.md': '# r\n', 'src/api/a.ts': 'a\n', 'src/security/s.ts': 's\n' },
  });
  repo.write('plan.yaml', plan(repo.root), repo.root);
  const setup = pw(['setup', join(repo.root, 'plan.yaml')]);
  expect(setup.status, setup.stderr).toBe(0);
  hub = join(repo.root, 'hub.git');
  other = join(repo.root, 'other');
  repo.git(['init', '-q', '--bare', '-b', 'main', hub]);
  repo.git(['remote', 'add', 'hub', hub]);
  // security starts here, then moves to the other machine (which builds on it).
  commit(join(repo.root, 'repo.pw', 'sec', 'security'), '[CHECKPOINT] started here', {
    'src/security/s.ts': 'started\n',
  });
  repo.git(['push', '-q', 'hub', 'main', 'refs/heads/pw/*:refs/heads/pw/*']);
  // The other machine: a clone that works on security and pushes it.
  repo.git(['clone', '-q', '-b', 'pw/sec/security', hub, other]);
  commit(other, '[COMPLETE] hardened', { 'src/security/s.ts': 'hardened\n' });
  repo.git(['push', '-q', 'origin', 'pw/sec/security'], { cwd: other });
  // api finishes here, on this machine.
  const api = join(repo.root, 'repo.pw', 'sec', 'api');
  commit(api, '[COMPLETE] api done', { 'src/api/a.ts': 'api\n' });
});
afterAll(() => repo.cleanup());

interface Status {
  summary: string;
  workers: { id: string; state: string; tip: { ref: string; sha: string } | null }[];
}

describe('one view of the truth through the hub', () => {
  it('status, wait, check, integrate --dry-run and retro agree on the hub copy (fetched by default)', () => {
    const local = repo.git(['rev-parse', 'pw/sec/security']);
    // The reproduction: a first `pw status --fetch hub`, then commands without the flag.
    const status = json<Status>(['status', '--fetch', 'hub']);
    expect(status.stderr).toContain('pw: the hub is now hub (git config pw.hub hub)');
    expect(repo.git(['config', 'pw.hub'])).toBe('hub');
    expect(status.status).toBe(0);
    expect(status.json.summary).toBe('2/2 complete · ready to integrate');
    const security = status.json.workers.find((w) => w.id === 'security')!;
    expect(security.tip!.ref).toBe('refs/remotes/hub/pw/sec/security');
    // Never fetched into the local branch (it is checked out in a worktree).
    expect(repo.git(['rev-parse', 'pw/sec/security'])).toBe(local);

    const wait = pw(['wait', '--timeout', '0s']);
    expect(wait.stdout).toContain('all 2 workers are complete');
    expect(wait.status).toBe(0);

    const dry = json<{ ok: boolean; steps: { worker: string; tip: string }[] }>([
      'integrate',
      '--dry-run',
    ]);
    expect(dry.stderr).toBe('');
    expect(dry.status).toBe(0);
    expect(dry.json.steps.find((s) => s.worker === 'security')!.tip).toBe(security.tip!.sha);

    const check = json<{ commitsJudged: number; violations: unknown[] }>(['check']);
    expect(check.status).toBe(0);
    expect(check.json.commitsJudged).toBe(3);

    const retro = json<{ workers: { id: string; state: string; commits: number }[] }>(['retro']);
    expect(retro.json.workers.map((w) => [w.id, w.state, w.commits])).toEqual([
      ['api', 'complete', 1],
      ['security', 'complete', 2],
    ]);

    // --no-fetch reads what was fetched last: the same answer.
    expect(json<Status>(['status', '--no-fetch']).json.summary).toBe(
      '2/2 complete · ready to integrate',
    );
  });
});

interface Integrate {
  ok: boolean;
  outcome: string;
  result: string | null;
  publish: { from: string | null; to: string } | null;
  push: {
    remote: string;
    ok: boolean;
    pushed: boolean;
    from: string | null;
    to: string;
    current: string | null;
  } | null;
  next: string[];
}

const hubMain = (): string => repo.git(['rev-parse', 'main'], { cwd: hub });

describe('pw integrate --push', () => {
  it('merges the hub tips without touching any worktree and publishes the target to the hub', () => {
    const before = repo.git(['rev-parse', 'main']);
    const worktreeHeads = ['api', 'security'].map((w) =>
      repo.git(['rev-parse', 'HEAD'], { cwd: join(repo.root, 'repo.pw', 'sec', w) }),
    );
    const hubSecurity = repo.git(['rev-parse', 'pw/sec/security'], { cwd: hub });
    const run = json<Integrate>(['integrate', '--push']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.json.outcome).toBe('published');
    const main = repo.git(['rev-parse', 'main']);
    expect(run.json.push).toMatchObject({
      remote: 'hub',
      ok: true,
      pushed: true,
      from: before,
      to: main,
    });
    expect(hubMain()).toBe(main);
    // The hub's security tip is in main; the local worktrees and branches did not move.
    expect(repo.gitResult(['merge-base', '--is-ancestor', hubSecurity, 'main']).status).toBe(0);
    expect(
      ['api', 'security'].map((w) =>
        repo.git(['rev-parse', 'HEAD'], { cwd: join(repo.root, 'repo.pw', 'sec', w) }),
      ),
    ).toEqual(worktreeHeads);
    const status = json<Status & { integrated: boolean }>(['status']);
    expect(status.json.integrated).toBe(true);
  });

  it('refuses when someone moved the hub target meanwhile, keeps the local target, and pushes once they are brought together', () => {
    // The other machine has a commit for the hub's main, pushed by verify (the marker).
    repo.git(['fetch', '-q', 'origin', 'main'], { cwd: other });
    repo.git(['checkout', '-q', '-b', 'race', 'origin/main'], { cwd: other });
    const race = commit(other, 'docs from the other machine', { 'README.md': '# other\n' });
    commit(join(repo.root, 'repo.pw', 'sec', 'api'), '[COMPLETE] api, second round', {
      'src/api/b.ts': 'b\n',
    });
    writeFileSync(join(repo.root, 'race'), '');
    const hubBefore = hubMain();

    const run = json<Integrate>(['integrate', '--push']);
    rmSync(join(repo.root, 'race'));
    expect(run.status).toBe(1);
    expect(run.json.outcome).toBe('push-refused');
    expect(run.json.ok).toBe(false);
    // Published here (kept), not on the hub: someone else's push is there.
    expect(repo.git(['rev-parse', 'main'])).toBe(run.json.result);
    expect(run.json.publish!.to).toBe(run.json.result);
    expect(run.json.push).toMatchObject({ ok: false, from: hubBefore, current: race });
    expect(hubMain()).toBe(race);
    expect(run.json.next.join('\n')).toContain('pull --no-rebase hub main');

    // A new push (or a dry run of one) refuses before merging while the hub has what main lacks.
    const early = pw(['integrate', '--push', '--dry-run']);
    expect(early.status).toBe(1);
    expect(early.stderr).toContain('with commits main here lacks: pushing would drop them');

    repo.git(['pull', '-q', '--no-rebase', '--no-edit', 'hub', 'main'], { env: DATES });
    const again = json<Integrate>(['integrate', '--push']);
    expect(again.status).toBe(0);
    expect(again.json.outcome).toBe('nothing-to-integrate');
    expect(again.json.push).toMatchObject({ ok: true, pushed: true, from: race });
    expect(hubMain()).toBe(repo.git(['rev-parse', 'main']));
  });
});

describe('pw pr with a scripted gh', () => {
  let ghEnv: Record<string, string>;
  let log: string;
  let state: string;
  const calls = (): string[][] =>
    readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as string[]);
  const prs = (): Record<string, unknown>[] =>
    JSON.parse(readFileSync(state, 'utf8')) as Record<string, unknown>[];

  beforeAll(() => {
    const bin = join(repo.root, 'bin');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'gh'),
      `#!/bin/sh\nexec '${process.execPath}' '${join(projectRoot, 'test/fixtures/fake-gh.mjs')}' "$@"\n`,
      { mode: 0o755 },
    );
    log = join(repo.root, 'gh.log');
    state = join(repo.root, 'gh-state.json');
    writeFileSync(log, '');
    ghEnv = {
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      FAKE_GH_LOG: log,
      FAKE_GH_STATE: state,
      FAKE_GH_REMOTE: hub,
    };
  });

  it('without gh it refuses (exit 3) before pushing anything', () => {
    const nogh = join(repo.root, 'nogh');
    mkdirSync(nogh);
    symlinkSync(repo.git(['--exec-path']) + '/git', join(nogh, 'git'));
    const before = repo.git(['rev-parse', 'pw/sec/api'], { cwd: hub });
    const result = repo.pw(['pr'], { env: { ...NOW, PATH: nogh } });
    expect(result.status).toBe(3);
    expect(result.stderr).toContain('gh (the GitHub CLI) is not on PATH; nothing was pushed');
    expect(repo.git(['rev-parse', 'pw/sec/api'], { cwd: hub })).toBe(before);
  });

  it('--dry-run says what it would push and open, and pushes and opens nothing', () => {
    const before = repo.git(['for-each-ref', '--format=%(refname) %(objectname)'], { cwd: hub });
    const dry = repo.pw(['pr', '--dry-run', '--json'], { env: { ...NOW, ...ghEnv } });
    expect(dry.stderr).toBe('');
    expect(dry.status).toBe(0);
    const report = JSON.parse(dry.stdout) as {
      dryRun: boolean;
      pullRequests: { worker: string; action: string; reason: string; draft: boolean }[];
    };
    expect(report.dryRun).toBe(true);
    expect(report.pullRequests.map((p) => [p.worker, p.action, p.draft])).toEqual([
      ['api', 'would-open', false],
      ['security', 'would-open', false],
    ]);
    expect(report.pullRequests[0]!.reason).toMatch(
      /^(would push [0-9a-f]{12} to hub|already pushed); title: api: /,
    );
    const human = repo.pw(['pr', '--dry-run'], { env: { ...NOW, ...ghEnv } });
    expect(human.status).toBe(0);
    expect(human.stdout).toContain('dry run: nothing was pushed or opened');
    expect(human.stdout).toMatch(/api +would open/);
    // Nothing moved on the hub, no pull request, no description file written.
    expect(repo.git(['for-each-ref', '--format=%(refname) %(objectname)'], { cwd: hub })).toBe(
      before,
    );
    expect(calls().filter((c) => c[1] === 'create')).toEqual([]);
    expect(existsSync(state) ? prs() : []).toEqual([]);
  });

  it('pushes each worker and opens one pull request each, described from its commits; a rerun reports them', () => {
    const api = join(repo.root, 'repo.pw', 'sec', 'api');
    // Worker text is hostile: it reaches gh through a file, quoted in a fence it cannot close.
    const hostile = '[CHECKPOINT] ```` @everyone <img src=x onerror=alert(1)> $(touch pwned)';
    commit(api, hostile);
    const opened = repo.pw(['pr', '--json'], { env: { ...NOW, ...ghEnv } });
    expect(opened.stderr).toBe('');
    expect(opened.status).toBe(0);
    const report = JSON.parse(opened.stdout) as {
      remote: string;
      pullRequests: { worker: string; action: string; number: number; draft: boolean }[];
    };
    expect(report.remote).toBe('hub');
    expect(report.pullRequests.map((p) => [p.worker, p.action, p.number, p.draft])).toEqual([
      ['api', 'created', 1, true],
      ['security', 'created', 2, false],
    ]);
    expect(repo.git(['rev-parse', 'pw/sec/api'], { cwd: hub })).toBe(
      repo.git(['rev-parse', 'pw/sec/api']),
    );
    const create = calls().find((c) => c[1] === 'create' && c.includes('pw/sec/api'))!;
    expect(create.slice(0, 6)).toEqual(['pr', 'create', '--head', 'pw/sec/api', '--base', 'main']);
    expect(create).toContain(`--title=api: ${hostile.slice('[CHECKPOINT] '.length)}`);
    const body = prs()[0]!.body as string;
    expect(body).toContain(
      '`````text\n[COMPLETE] api done\n[COMPLETE] api, second round\n' + hostile,
    );
    expect(existsSync(join(repo.root, 'pwned'))).toBe(false);

    const again = repo.pw(['pr', '--json'], { env: { ...NOW, ...ghEnv } });
    expect(again.status).toBe(0);
    expect(
      (JSON.parse(again.stdout) as { pullRequests: { action: string }[] }).pullRequests.map(
        (p) => p.action,
      ),
    ).toEqual(['exists', 'exists']);
    expect(calls().filter((c) => c[1] === 'create')).toHaveLength(2);
  });

  it('pw pr status shows state and checks; teardown --merged removes only the merged worker', () => {
    const list = prs();
    list[0]!.statusCheckRollup = [
      { __typename: 'CheckRun', name: 'pw-check', status: 'COMPLETED', conclusion: 'SUCCESS' },
      { __typename: 'StatusContext', context: 'ci/tests', state: 'FAILURE' },
    ];
    writeFileSync(state, JSON.stringify(list));
    const status = repo.pw(['pr', 'status'], { env: { ...NOW, ...ghEnv } });
    expect(status.status).toBe(0);
    expect(status.stdout).toMatch(/api\s+#1\s+open \(draft\)\s+1 passing, 1 failing \(ci\/tests\)/);
    expect(status.stdout).toMatch(/security\s+#2\s+open\s+no checks/);

    list[0]!.state = 'MERGED';
    list[0]!.mergedAt = '2030-01-01T00:05:00Z';
    writeFileSync(state, JSON.stringify(list));
    const apiTip = repo.git(['rev-parse', 'pw/sec/api']);
    const down = repo.pw(['teardown', '--merged', '--json'], { env: { ...NOW, ...ghEnv } });
    expect(down.stderr).toBe('');
    expect(down.status).toBe(0);
    const workers = (
      JSON.parse(down.stdout) as {
        workers: { worker: string; removed: boolean; kept: string | null }[];
      }
    ).workers;
    expect(workers.map((w) => [w.worker, w.removed, w.kept])).toEqual([
      ['api', true, null],
      ['security', false, 'pull request #2 is open'],
    ]);
    expect(existsSync(join(repo.root, 'repo.pw', 'sec', 'api'))).toBe(false);
    expect(repo.gitResult(['rev-parse', '-q', '--verify', 'refs/heads/pw/sec/api']).status).toBe(1);
    expect(repo.git(['rev-parse', 'refs/pw/archive/sec/api'])).toBe(apiTip);
    expect(existsSync(join(repo.root, 'repo.pw', 'sec', 'security'))).toBe(true);
    expect(
      repo.gitResult(['rev-parse', '-q', '--verify', 'refs/heads/pw/sec/security']).status,
    ).toBe(0);
  });
  it('--integrated opens one pull request for the target here, once it has something the remote lacks', () => {
    const none = repo.pw(['pr', '--integrated'], { env: { ...NOW, ...ghEnv } });
    expect(none.status).toBe(1);
    expect(none.stderr).toContain("main here has nothing hub's main lacks");
    repo.git(['commit', '-q', '--allow-empty', '-m', 'integrated by hand'], { env: DATES });
    const opened = repo.pw(['pr', '--integrated', '--json'], { env: { ...NOW, ...ghEnv } });
    expect(opened.status).toBe(0);
    const entry = (JSON.parse(opened.stdout) as { pullRequests: Record<string, unknown>[] })
      .pullRequests[0]!;
    expect(entry).toMatchObject({ branch: 'pw-integrated/sec', action: 'created', number: 3 });
    expect(repo.git(['rev-parse', 'pw-integrated/sec'], { cwd: hub })).toBe(
      repo.git(['rev-parse', 'main']),
    );
    expect(prs()[2]!.title).toBe('sec: integrate api, security');
  });
  it('teardown after integrating the hub tips keeps them archived; retro reads the same history', () => {
    const hubSecurity = repo.git(['rev-parse', 'refs/remotes/hub/pw/sec/security']);
    // api's last commits were never integrated: --force archives them.
    const down = pw(['teardown', '--force']);
    expect(down.status, down.stderr).toBe(0);
    // The local security branch was behind the hub's tip integrate archived: the archive stays there.
    expect(repo.git(['rev-parse', 'refs/pw/archive/sec/security'])).toBe(hubSecurity);
    const retro = repo.pw(['retro', '--json', '--no-fetch'], { env: NOW });
    const workers = (JSON.parse(retro.stdout) as { workers: { id: string; commits: number }[] })
      .workers;
    expect(workers.find((w) => w.id === 'security')!.commits).toBe(2);
  });
});
