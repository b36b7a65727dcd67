import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readPlanSnapshot } from '../../src/commands/status/read-plan-status.js';
import type { CompiledPlan } from '../../src/domain/plan/plan.js';
import { createPlanRepo, type PlanRepo } from '../helpers/plan-repo.js';

// When only worker branches moved since the last pw status, status builds on
// its cache (each moved branch's new commits, read alone) instead of reading
// every worker's whole history. After every kind of move it must show exactly
// what a read of everything shows; the moves it cannot build on (a reset, an
// amend, a shared commit, the base moving) take the whole read.

const MIN = 60_000;
let repo: PlanRepo;
let plan: CompiledPlan;
let t0: number;
let clock = 0;
const savedEnv = { ...process.env };

function commit(
  worker: string,
  message: string,
  files: Record<string, string> = {},
  options: { cwd?: string; args?: string[] } = {},
): string {
  const cwd = options.cwd ?? repo.wt(worker);
  for (const [path, content] of Object.entries(files)) repo.write(path, content, cwd);
  const date = `@${Math.floor((t0 + ++clock * MIN) / 1000)} +0000`;
  repo.git(['add', '-A'], { cwd });
  repo.git(
    [
      '-c',
      'core.hooksPath=/dev/null',
      'commit',
      '-q',
      '--allow-empty',
      ...(options.args ?? []),
      '-m',
      message,
    ],
    { cwd, env: { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } },
  );
  return repo.git(['rev-parse', 'HEAD'], { cwd });
}

/**
 * Status through the cache, and status read in full (no cache); they must be
 * equal. Returns whether the cached one read every worker's whole history.
 */
async function agree(): Promise<{ whole: boolean }> {
  const now = t0 + 1000 * MIN;
  const trace = join(repo.root, `trace-${clock}-${Math.random()}.json`);
  vi.stubEnv('GIT_TRACE2_EVENT', trace);
  const cached = await readPlanSnapshot(repo.dir, plan, now);
  vi.stubEnv('GIT_TRACE2_EVENT', '');
  const full = await readPlanSnapshot(repo.dir, plan, now, { cache: false });
  expect(cached.status).toEqual(full.status);
  // The whole read: the git log of every commit with its times (the increment's has --boundary).
  const whole = readFileSync(trace, 'utf8')
    .split('\n')
    .some(
      (line) =>
        line.includes('"event":"start"') && line.includes('%at') && !line.includes('--boundary'),
    );
  rmSync(trace, { force: true });
  return { whole };
}

beforeAll(async () => {
  repo = createPlanRepo();
  Object.assign(process.env, repo.env);
  t0 = Math.floor(Date.now() / 1000) * 1000;
  plan = JSON.parse(
    readFileSync(join(repo.commonDir, 'pw', 'demo', 'plan.json'), 'utf8'),
  ) as CompiledPlan;
  commit('api', '[CHECKPOINT] api starts', { 'src/api/server.ts': 'export const api = 2;\n' });
  commit('web', '[CHECKPOINT] web starts', { 'src/web/app.ts': 'export const app = 2;\n' });
  commit('db', '[CHECKPOINT] db starts', { 'src/db/schema.ts': 'export const schema = 2;\n' });
  expect((await agree()).whole).toBe(true);
});

afterAll(() => {
  process.env = savedEnv;
  repo?.cleanup();
});

describe('pw status after only branches moved', () => {
  it('builds on the cache when a branch moves forward, and shows what a full read shows', async () => {
    expect((await agree()).whole).toBe(false); // nothing moved: the cache as is
    commit('api', '[CHECKPOINT] more api', { 'src/api/routes.ts': 'export const r = 1;\n' });
    commit('api', '[NEEDS:web/page] need the page');
    expect((await agree()).whole).toBe(false);

    commit('web', '[CHECKPOINT] the page\n\nProvides: page', { 'src/web/page.ts': 'p\n' });
    commit('web', '[COMPLETE] web done');
    expect((await agree()).whole).toBe(false);

    // A protocol break and an out-of-scope change (hooks off), a BLOCKED, a reopening.
    commit('db', 'no prefix here', { 'src/api/server.ts': 'export const api = "db";\n' });
    commit('db', '[BLOCKED:waiting] parked');
    commit('web', '[CHECKPOINT] reopened');
    expect((await agree()).whole).toBe(false);

    // Two branches at once; a merge of a side branch on a worker's own line.
    const db = repo.wt('db');
    repo.git(['switch', '-q', '-c', 'db-side'], { cwd: db });
    commit('db', '[CHECKPOINT] on the side', { 'src/db/side.ts': 's\n' });
    repo.git(['switch', '-q', 'pw/demo/db'], { cwd: db });
    repo.git(['-c', 'core.hooksPath=/dev/null', 'merge', '-q', '--no-ff', '--no-edit', 'db-side'], {
      cwd: db,
    });
    commit('api', '[COMPLETE] api done');
    expect((await agree()).whole).toBe(false);
  });

  it('reads everything after a reset, an amend, or the base moving, and agrees', async () => {
    const api = repo.wt('api');
    repo.git(['-c', 'core.hooksPath=/dev/null', 'reset', '-q', '--hard', 'HEAD~1'], { cwd: api });
    expect((await agree()).whole).toBe(true);
    commit('api', '[COMPLETE] api done, amended', {}, { args: ['--amend'] });
    expect((await agree()).whole).toBe(true);

    commit('main', 'main moves', { 'README.md': '# moved\n' }, { cwd: repo.dir });
    expect((await agree()).whole).toBe(true);
    repo.git(['-c', 'core.hooksPath=/dev/null', 'merge', '-q', '--no-edit', 'main'], { cwd: api });
    // api's new commits include main's: not api's own line alone.
    expect((await agree()).whole).toBe(true);
    commit('api', '[CHECKPOINT] after the sync');
    expect((await agree()).whole).toBe(false);
  });

  it('reads everything once a commit is on two workers lines, and agrees', async () => {
    // web takes api's line as its own (a reset onto it): every api commit is on both.
    repo.git(['-c', 'core.hooksPath=/dev/null', 'reset', '-q', '--hard', 'pw/demo/api'], {
      cwd: repo.wt('web'),
    });
    expect((await agree()).whole).toBe(true);
    commit('web', '[CHECKPOINT] web on top of api');
    expect((await agree()).whole).toBe(true);
  });
});

describe('a read of states only (pw run)', () => {
  it('gives each worker the state a judged read gives, judges no scope and writes no cache', async () => {
    const cacheDir = join(repo.commonDir, 'pw', 'demo', 'cache');
    const cacheFiles = (): Record<string, string> =>
      Object.fromEntries(
        readdirSync(cacheDir)
          // What git status and the hooks inspection found is kept whoever reads it.
          .filter((name) => name !== 'worktrees.json' && name !== 'hooks.json')
          .map((name) => [name, readFileSync(join(cacheDir, name), 'utf8')]),
      );
    commit('web', '[CHECKPOINT] a move no read has seen', { 'src/web/more.ts': 'm\n' });
    const before = cacheFiles();
    const now = t0 + 1000 * MIN;
    const light = await readPlanSnapshot(repo.dir, plan, now, { judge: false });
    expect(cacheFiles()).toEqual(before);
    const full = await readPlanSnapshot(repo.dir, plan, now, { cache: false });
    const scope = (snapshot: typeof full) =>
      snapshot.status.workers.flatMap((w) => w.violations.filter((v) => v.kind === 'scope'));
    // db changed src/api/server.ts: a judged read finds it, a states-only read does not look.
    expect(scope(full).map((v) => v.worker)).toContain('db');
    expect(scope(light)).toEqual([]);
    const states = (snapshot: typeof full) =>
      snapshot.status.workers.map((w) => ({
        id: w.id,
        state: w.state,
        tip: w.tip,
        lastCommit: w.lastCommit,
        needs: w.needs,
        resolvedNeeds: w.resolvedNeeds,
        blocked: w.blocked,
      }));
    expect(states(light)).toEqual(states(full));
  });
});

describe('a read of some worktrees only (pw run)', () => {
  it('reads uncommitted changes in the worktrees it is given and no other', async () => {
    const now = t0 + 1000 * MIN;
    repo.write('src/web/draft.ts', 'draft\n', repo.wt('web'));
    repo.write('src/api/draft.ts', 'draft\n', repo.wt('api'));
    try {
      const some = await readPlanSnapshot(repo.dir, plan, now, {
        judge: false,
        worktreesOf: new Set(['api']),
      });
      const all = await readPlanSnapshot(repo.dir, plan, now, { judge: false });
      const uncommitted = (snapshot: typeof all, id: string) =>
        snapshot.status.workers.find((w) => w.id === id)!.uncommitted;
      expect(uncommitted(all, 'web')?.count).toBe(1);
      expect(uncommitted(all, 'api')?.count).toBe(1);
      expect(uncommitted(some, 'api')).toEqual(uncommitted(all, 'api'));
      expect(uncommitted(some, 'web')).toBeNull();
      // A partial read after a change keeps what the caches hold for the other worktrees.
      const cache = (name: string) =>
        readFileSync(join(repo.commonDir, 'pw', 'demo', 'cache', name), 'utf8');
      repo.write('src/api/draft.ts', 'changed\n', repo.wt('api'));
      await readPlanSnapshot(repo.dir, plan, now, { judge: false, worktreesOf: new Set(['api']) });
      expect(cache('worktrees.json')).toContain(JSON.stringify(repo.wt('web')));
      expect(Object.keys(JSON.parse(cache('hooks.json')).workers as object).sort()).toEqual([
        'api',
        'db',
        'web',
      ]);
    } finally {
      rmSync(join(repo.wt('web'), 'src/web/draft.ts'));
      rmSync(join(repo.wt('api'), 'src/api/draft.ts'));
    }
  });
});
