import { existsSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandDeps } from '../../src/cli/deps.js';
import { runMonitor } from '../../src/commands/status/index.js';
import { runWait } from '../../src/commands/wait.js';
import type { PlanStatus, WorkerStatus } from '../../src/domain/status/plan-status.js';
import { visibleLength } from '../../src/render/table.js';
import { createPlanRepo, type PlanRepo } from '../helpers/plan-repo.js';

const MIN = 60_000;

/** Runs a command in-process with a fixed clock; returns what it printed. */
function fakeDeps(
  cwd: string,
  now: number,
): { deps: CommandDeps; out: () => string; err: () => string } {
  let stdout = '';
  let stderr = '';
  return {
    deps: {
      cwd,
      env: {},
      now: () => new Date(now),
      stdout: (text) => void (stdout += text),
      stderr: (text) => void (stderr += text),
      isTTY: false,
      interrupted: new Promise(() => {}),
    },
    out: () => stdout,
    err: () => stderr,
  };
}

interface Scenario {
  repo: PlanRepo;
  t0: number;
  /** Commits in a worker's worktree at t0 + minutes (both dates pinned); `bypass` skips every hook. */
  commitAt(
    worker: string,
    minutes: number,
    message: string,
    options?: { files?: Record<string, string>; bypass?: boolean; args?: string[] },
  ): string;
  status(
    minutes: number,
    options?: Record<string, unknown>,
  ): Promise<PlanStatus & { schemaVersion: number }>;
  table(minutes: number): Promise<string>;
  worker(status: PlanStatus, id: string): WorkerStatus;
}

function scenario(plan?: string): Scenario {
  const repo = createPlanRepo(plan ? { plan } : {});
  // In-process commands run git with this process's environment: make it the hermetic one.
  Object.assign(process.env, repo.env);
  const t0 = Math.floor(Date.now() / 1000) * 1000;
  const git = (args: string[], cwd: string, env: Record<string, string> = {}): string =>
    repo.git(args, { cwd, env });
  return {
    repo,
    t0,
    commitAt(worker, minutes, message, options = {}) {
      const cwd = repo.wt(worker);
      for (const [path, content] of Object.entries(options.files ?? {}))
        repo.write(path, content, cwd);
      const date = `@${Math.floor((t0 + minutes * MIN) / 1000)} +0000`;
      git(['add', '-A'], cwd);
      git(
        [
          ...(options.bypass ? ['-c', 'core.hooksPath=/dev/null'] : []),
          'commit',
          '-q',
          '--allow-empty',
          ...(options.args ?? []),
          '-m',
          message,
        ],
        cwd,
        { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
      );
      return git(['rev-parse', 'HEAD'], cwd);
    },
    async status(minutes, options = {}) {
      const { deps, out, err } = fakeDeps(repo.dir, t0 + minutes * MIN);
      const result = await runMonitor({ json: true, ...options }, deps);
      expect(err()).toBe('');
      expect(result.exitCode).toBe(0);
      return JSON.parse(out()) as PlanStatus & { schemaVersion: number };
    },
    async table(minutes) {
      const { deps, out } = fakeDeps(repo.dir, t0 + minutes * MIN);
      await runMonitor({}, deps);
      return out();
    },
    worker: (status, id) => status.workers.find((w) => w.id === id)!,
  };
}

describe('pw status on a real repository', () => {
  let s: Scenario;
  const savedEnv = { ...process.env };
  beforeAll(() => {
    s = scenario();
  });
  afterAll(() => {
    process.env = savedEnv;
    s.repo.cleanup();
  });

  it('right after setup: every worker pending, on its branch and worktree, hooks on', async () => {
    const status = await s.status(1);
    expect(status.schemaVersion).toBe(1);
    expect(status.plan).toBe('demo');
    expect(status.summary).toBe('0/3 complete · 3 pending');
    expect(status.workers.map((w) => [w.id, w.state, w.branch])).toEqual([
      ['api', 'pending', 'pw/demo/api'],
      ['web', 'pending', 'pw/demo/web'],
      ['db', 'pending', 'pw/demo/db'],
    ]);
    const api = s.worker(status, 'api');
    expect(api.worktree).toBe(s.repo.wt('api'));
    expect(api.tip!.ref).toBe('refs/heads/pw/demo/api');
    expect(api.hooksOff).toBe(false);
    expect(api.uncommitted).toEqual({ count: 0, newestEditAt: null });
    expect([api.ahead, api.behind]).toEqual([0, 0]);
    expect(status.deadlocks).toEqual([]);
  });

  it('reads states, open NEEDS, BLOCKED reasons and counts from the commits', async () => {
    s.commitAt('api', 2, '[CHECKPOINT] routes', { files: { 'src/api/routes.ts': 'x\n' } });
    s.commitAt('web', 3, '[NEEDS:api/user-model] need the model');
    s.commitAt('db', 4, '[BLOCKED:no database credentials] waiting for ops');
    const status = await s.status(5);
    expect(status.summary).toBe('0/3 complete · 2 working · 1 blocked');
    const web = s.worker(status, 'web');
    expect(web.state).toBe('working');
    expect(web.needs).toMatchObject([
      {
        worker: 'api',
        item: 'user-model',
        since: new Date(s.t0 + 3 * MIN).toISOString(),
        ageMs: 2 * MIN,
      },
    ]);
    const db = s.worker(status, 'db');
    expect(db.state).toBe('blocked');
    expect(db.blocked).toMatchObject({ reason: 'no database credentials', ageMs: MIN });
    const api = s.worker(status, 'api');
    expect(api.lastCommit).toMatchObject({
      header: '[CHECKPOINT] routes',
      kind: 'CHECKPOINT',
      ageMs: 3 * MIN,
    });
    expect([api.ahead, api.behind]).toEqual([1, 0]);
  });

  it('the table fits 80 columns and says the same', async () => {
    const table = await s.table(5);
    for (const line of table.split('\n')) expect(visibleLength(line)).toBeLessThanOrEqual(80);
    expect(table).toContain('0/3 complete · 2 working · 1 blocked');
    expect(table).toMatch(/web\s+working.*needs api\/user-model \(2m\)/);
    expect(table).toMatch(/db\s+blocked.*blocked 1m: no database credentials/);
    expect(table).not.toContain('\x1b[');
  });

  it('a Provides: trailer resolves the NEEDS; a real merge and an empty commit count, first parents only', async () => {
    s.commitAt('api', 6, '[CHECKPOINT] user model\n\nProvides: user-model', {
      files: { 'src/api/model.ts': 'model\n' },
    });
    s.repo.git(['merge', '-q', '--no-ff', '--no-edit', 'pw/demo/api'], {
      cwd: s.repo.wt('web'),
      env: {
        GIT_AUTHOR_DATE: `@${(s.t0 + 7 * MIN) / 1000} +0000`,
        GIT_COMMITTER_DATE: `@${(s.t0 + 7 * MIN) / 1000} +0000`,
      },
    });
    s.commitAt('web', 8, '[CHECKPOINT] thinking about the form');
    const status = await s.status(9);
    const web = s.worker(status, 'web');
    expect(web.needs).toEqual([]);
    expect(web.resolvedNeeds).toMatchObject([
      { worker: 'api', item: 'user-model', by: 'provides' },
    ]);
    // NEEDS, the merge, the empty checkpoint: api's two commits came in through the merge, not as web's own.
    expect(web.counts).toMatchObject({ commits: 3, needs: 1, exempt: 1, checkpoint: 1 });
    expect(web.violations).toEqual([]);
    // git's own count: the merge brought api's two commits.
    expect([web.ahead, web.behind]).toEqual([5, 0]);
  });

  it('uncommitted edits count as activity: an edit keeps a worker from stalling', async () => {
    const status = await s.status(4 + 30 + 1);
    expect(s.worker(status, 'db').state).toBe('stalled');
    s.repo.write('src/db/draft.ts', 'draft\n', s.repo.wt('db'));
    const edited = (s.t0 + 20 * MIN) / 1000;
    utimesSync(join(s.repo.wt('db'), 'src/db/draft.ts'), edited, edited);
    const alive = await s.status(4 + 30 + 1);
    const db = s.worker(alive, 'db');
    expect(db.state).toBe('blocked');
    expect(db.uncommitted).toEqual({
      count: 1,
      newestEditAt: new Date(s.t0 + 20 * MIN).toISOString(),
    });
    expect(db.lastActivityAt).toBe(new Date(s.t0 + 20 * MIN).toISOString());
    // Exactly at the limit is not stalled, one second past it is.
    expect(s.worker(await s.status(20 + 30), 'db').state).toBe('blocked');
    const past = await s.status(20 + 30 + 1 / 60);
    expect(s.worker(past, 'db').state).toBe('stalled');
    expect(s.worker(past, 'db').blocked!.reason).toBe('no database credentials');
  });

  it('hooks bypassed: protocol breaks and out-of-scope changes show as violations', async () => {
    s.commitAt('db', 10, 'fix typo [CHECKPOINT] in the middle', { bypass: true });
    s.commitAt('db', 11, '[checkpoint] lower case', { bypass: true });
    s.commitAt('db', 12, '[NEEDS:ghost/thing] an unknown worker', { bypass: true });
    s.commitAt('db', 13, '[CHECKPOINT] touches the api', {
      bypass: true,
      files: { 'src/api/server.ts': 'hacked\n' },
    });
    const status = await s.status(14);
    const db = s.worker(status, 'db');
    expect(db.needs).toEqual([]);
    expect(db.counts).toMatchObject({ commits: 5, invalid: 3, checkpoint: 1, blocked: 1 });
    const protocol = db.violations.filter((v) => v.kind === 'protocol');
    expect(protocol.map((v) => v.message)).toEqual([
      expect.stringContaining('fix typo [CHECKPOINT] in the middle'),
      expect.stringContaining('upper case'),
      expect.stringContaining('"ghost" is not a worker of this plan'),
    ]);
    const scope = db.violations.filter((v) => v.kind === 'scope');
    expect(scope).toHaveLength(1);
    expect(scope[0]!.paths).toEqual(['src/api/server.ts']);
    expect(s.worker(status, 'api').violations).toEqual([]);
    const table = await s.table(14);
    expect(table).toMatch(/db .*4 violations/);
    expect(table).toContain('violation: db');
  });

  it('a worktree whose hooks were switched off is reported', async () => {
    const cwd = s.repo.wt('web');
    s.repo.git(['config', '--worktree', 'core.hooksPath', '/dev/null'], { cwd });
    const off = await s.status(15);
    expect(s.worker(off, 'web').hooksOff).toBe(true);
    expect(s.worker(off, 'api').hooksOff).toBe(false);
    expect(await s.table(15)).toContain('hooks off: web');
    s.repo.pw(['hooks', 'install', '--worker', 'web']);
    expect(s.worker(await s.status(15), 'web').hooksOff).toBe(false);
  });

  it('hooks switched off through a file the worktree config includes are reported', async () => {
    const cwd = s.repo.wt('web');
    const included = join(s.repo.root, 'hooks-off.inc');
    s.repo.git(['config', '--worktree', 'include.path', included], { cwd });
    expect(s.worker(await s.status(15), 'web').hooksOff).toBe(false);
    // Only the included file changes: git reads it, so the cached verdict must not stand.
    s.repo.write('hooks-off.inc', '[core]\n\thooksPath = /dev/null\n', s.repo.root);
    expect(s.worker(await s.status(15), 'web').hooksOff).toBe(true);
    s.repo.git(['config', '--worktree', '--unset', 'include.path'], { cwd });
    expect(s.worker(await s.status(15), 'web').hooksOff).toBe(false);
  });

  it('COMPLETE, then more work: reopened; the cache follows every ref move', async () => {
    s.commitAt('api', 16, '[COMPLETE] api done');
    const done = await s.status(17);
    expect(s.worker(done, 'api')).toMatchObject({
      state: 'complete',
      completedAt: new Date(s.t0 + 16 * MIN).toISOString(),
      reopened: false,
    });
    expect(existsSync(join(s.repo.commonDir, 'pw', 'demo', 'cache', 'status.json'))).toBe(true);
    // Same refs: the same answer (from the cache) at a later time, ages moving on.
    const later = await s.status(27);
    expect(s.worker(later, 'api').lastCommit!.ageMs).toBe(11 * MIN);
    s.commitAt('api', 28, '[CHECKPOINT] one more fix', { files: { 'src/api/fix.ts': 'fix\n' } });
    const reopened = await s.status(29);
    expect(s.worker(reopened, 'api')).toMatchObject({
      state: 'working',
      completedAt: null,
      reopened: true,
      reopenedTimes: 1,
    });
    expect(await s.table(29)).toContain('reopened (work after COMPLETE): api');
    // Its final COMPLETE: complete, not reopened; the history keeps the count.
    s.commitAt('api', 30, '[COMPLETE] api done again');
    const again = await s.status(31);
    expect(s.worker(again, 'api')).toMatchObject({
      state: 'complete',
      reopened: false,
      reopenedTimes: 1,
    });
    const table = await s.table(31);
    expect(table).not.toContain('reopened');
    expect(table).toMatch(/^ {2}api +complete .* \[COMPLETE\] api done again$/m);
  });
});

describe('pw status: cycles and resuming', () => {
  let s: Scenario;
  const savedEnv = { ...process.env };
  beforeAll(() => {
    s = scenario();
  });
  afterAll(() => {
    process.env = savedEnv;
    s.repo.cleanup();
  });

  it('a NEEDS cycle of three is a deadlock; pw wait exits 1 naming it', async () => {
    s.commitAt('api', 1, '[NEEDS:web/ui] need the ui');
    s.commitAt('web', 2, '[NEEDS:db/table] need a table');
    s.commitAt('db', 3, '[NEEDS:api/endpoint] need an endpoint');
    const status = await s.status(4);
    expect(status.deadlocks).toEqual([['api', 'web', 'db']]);
    expect(await s.table(4)).toContain('deadlock: api → web → db → api');
    const { deps, out } = fakeDeps(s.repo.dir, s.t0 + 4 * MIN);
    expect((await runWait({}, deps)).exitCode).toBe(1);
    expect(out()).toContain('deadlock: api → web → db → api');
  });

  it('COMPLETE resolves the NEEDS on it; a worker blocked on a complete one can resume', async () => {
    s.commitAt('api', 5, '[COMPLETE] done after all');
    s.commitAt('web', 6, '[BLOCKED:api has to finish] parked');
    const status = await s.status(7);
    expect(status.deadlocks).toEqual([]);
    expect(s.worker(status, 'db').needs).toEqual([]);
    expect(s.worker(status, 'db').resolvedNeeds).toMatchObject([
      { worker: 'api', item: 'endpoint', by: 'complete' },
    ]);
    // db's need was met after its last commit: it can resume too, and its note says so.
    expect(status.canResume).toEqual([
      { worker: 'web', waitingOn: 'api', item: null, because: 'complete' },
      { worker: 'db', waitingOn: 'api', item: 'endpoint', because: 'complete' },
    ]);
    const table = await s.table(7);
    // The note is cut to fit 80 columns; the commit is in --json and the unit test.\n    expect(table).toMatch(/^ {2}db .* need met: api completed endpoint/m);
    expect(table).toContain('can resume: db, api is complete (needed endpoint)');
  });
});
