import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompiledPlan } from '../../src/domain/plan/plan.js';
import {
  parseCommitLog,
  parseHistoryLog,
  readWorkerHistories,
} from '../../src/git/worker-history.js';
import { readWorkerTips } from '../../src/git/worker-tips.js';
import { readCompiledPlan } from '../../src/store/trusted-store.js';
import { createPlanRepo, type PlanRepo } from '../helpers/plan-repo.js';

// readWorkerHistories against real git: one log, each worker's own first-parent
// line, whatever merges, rebases and fast-forwards the workers did.

let repo: PlanRepo;
let plan: CompiledPlan;
const savedEnv = { ...process.env };
let clock = 1_900_000_000;

/** A commit in a worktree with its own second (hooks bypassed where the test says so). */
function commit(worker: string, message: string, files: Record<string, string> = {}): string {
  const cwd = repo.wt(worker);
  for (const [path, content] of Object.entries(files)) repo.write(path, content, cwd);
  const date = `@${clock++} +0000`;
  repo.git(['add', '-A'], { cwd });
  repo.git(['commit', '-q', '--allow-empty', '-m', message], {
    cwd,
    env: { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
  });
  return repo.git(['rev-parse', 'HEAD'], { cwd });
}

const headers = async (): Promise<Record<string, string[]>> => {
  const histories = await readWorkerHistories(repo.dir, plan, await readWorkerTips(repo.dir, plan));
  return Object.fromEntries(
    [...histories].map(([id, list]) => [id, list.map((c) => c.message.split('\n')[0]!)]),
  );
};

beforeAll(async () => {
  repo = createPlanRepo();
  Object.assign(process.env, repo.env);
  plan = (await readCompiledPlan(repo.commonDir, 'demo'))!;
});
afterAll(() => {
  process.env = savedEnv;
  repo.cleanup();
});

describe('readWorkerHistories', () => {
  it('every worker in plan order, oldest first, with times and full messages', async () => {
    expect(await headers()).toEqual({ api: [], web: [], db: [] });
    const first = commit('api', '[CHECKPOINT] one', { 'src/api/a.ts': '1\n' });
    commit('api', '[CHECKPOINT] two\n\nBody line.\n\nProvides: thing');
    commit('db', '[CHECKPOINT] tables');
    const histories = await readWorkerHistories(
      repo.dir,
      plan,
      await readWorkerTips(repo.dir, plan),
    );
    const api = histories.get('api')!;
    expect(api.map((c) => c.message)).toEqual([
      '[CHECKPOINT] one',
      '[CHECKPOINT] two\n\nBody line.\n\nProvides: thing',
    ]);
    expect(api[0]!.sha).toBe(first);
    expect(api[0]!.parents).toEqual([plan.baseCommit]);
    expect(api[1]!.commitTime - api[0]!.commitTime).toBe(1000);
    expect(api[0]!.authorTime).toBe(api[0]!.commitTime);
  });

  it('a merge of the base is one own commit; the base commits it brings are not', async () => {
    repo.write('README.md', '# changed on main\n');
    repo.git(['commit', '-q', '-am', 'main moves on']);
    repo.git(['merge', '-q', '--no-edit', 'main'], { cwd: repo.wt('db') });
    expect((await headers()).db).toEqual([
      '[CHECKPOINT] tables',
      "Merge branch 'main' into pw/demo/db",
    ]);
  });

  it('base commits a worker rebased onto are not its own', async () => {
    repo.write('package.json', '{ "name": "demo", "version": "2" }\n');
    repo.git(['commit', '-q', '-am', 'main moves again']);
    commit('api', '[CHECKPOINT] three');
    // `git rebase` rewrites api's three commits on top of main; the hooks allow it.
    repo.git(['rebase', '-q', 'main'], { cwd: repo.wt('api') });
    expect((await headers()).api).toEqual([
      '[CHECKPOINT] one',
      '[CHECKPOINT] two',
      '[CHECKPOINT] three',
    ]);
  });

  it("a provider's commits a dependent fast-forwarded to stay the provider's", async () => {
    // web has no commits yet: merging api's branch fast-forwards it.
    repo.git(['merge', '-q', '--ff-only', 'pw/demo/api'], { cwd: repo.wt('web') });
    expect(repo.git(['rev-parse', 'pw/demo/web'])).toBe(repo.git(['rev-parse', 'pw/demo/api']));
    const h = await headers();
    expect(h.web).toEqual([]);
    expect(h.api).toHaveLength(3);
    commit('web', '[CHECKPOINT] my own work on top');
    expect((await headers()).web).toEqual(['[CHECKPOINT] my own work on top']);
    expect((await headers()).api).toHaveLength(3);
  });

  it('reads the archive ref once the branch is gone', async () => {
    const tip = repo.git(['rev-parse', 'pw/demo/db']);
    repo.git(['update-ref', 'refs/pw/archive/demo/db', tip]);
    // Detach the worktree so the branch can go, as teardown does.
    repo.git(['checkout', '-q', '--detach'], { cwd: repo.wt('db') });
    repo.git(['-c', 'core.hooksPath=/dev/null', 'branch', '-D', 'pw/demo/db']);
    const tips = await readWorkerTips(repo.dir, plan);
    expect(tips.get('db')).toEqual({ ref: 'refs/pw/archive/demo/db', sha: tip });
    expect((await headers()).db).toEqual([
      '[CHECKPOINT] tables',
      "Merge branch 'main' into pw/demo/db",
    ]);
  });
});

describe('log parsers', () => {
  it('parse -z records, keeping unit separators inside messages', () => {
    const record = [
      'a'.repeat(40),
      'b'.repeat(40),
      '100',
      '101',
      'subject\x1fstill message\n',
    ].join('\x1f');
    expect(parseCommitLog(`${record}\0\n${record}\0`)).toEqual([
      {
        sha: 'a'.repeat(40),
        parents: ['b'.repeat(40)],
        authorTime: 100_000,
        commitTime: 101_000,
        message: 'subject\x1fstill message',
      },
      expect.objectContaining({ sha: 'a'.repeat(40) }),
    ]);
    const withRef = ['c'.repeat(40), '', '1', '2', 'refs/heads/x', 'root'].join('\x1f');
    expect(parseHistoryLog(`${withRef}\0`)).toEqual([
      {
        ref: 'refs/heads/x',
        commit: {
          sha: 'c'.repeat(40),
          parents: [],
          authorTime: 1000,
          commitTime: 2000,
          message: 'root',
        },
      },
    ]);
  });
});
