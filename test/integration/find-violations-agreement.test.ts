import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompiledPlan } from '../../src/domain/plan/plan.js';
import {
  judgeHistory,
  type FindViolationsOptions,
  type HistoryJudgement,
} from '../../src/git/find-violations.js';
import { createPlanRepo, type PlanRepo } from '../helpers/plan-repo.js';
import { previousJudgeHistory, remember } from '../helpers/previous-find-violations.js';

// findViolations reads a worker's range alone (rev-list A..B) and lets git list
// only the commits that leave a scope (a pathspec-limited `git log`). Here it
// must give exactly what the previous implementation gave (whole history, every
// commit attributed, every diff read) on a history with every hard case: syncs
// from the base (one of them evil), a provider merged with a conflict resolved
// by editing the provider's file, renames across scopes, a fast-forward shared
// commit, a hidden side branch, odd path names, protocol breaks, commits in the
// base. Commit dates are pinned one minute apart, so git's order has no ties.

let repo: PlanRepo;
let plan: CompiledPlan;
const savedEnv = { ...process.env };
let clock = 1_700_000_000;

const off = ['-c', 'core.hooksPath=/dev/null'];
function git(cwd: string, args: string[]): string {
  const date = `@${(clock += 60)} +0000`;
  return repo.git([...off, ...args], {
    cwd,
    env: { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
  });
}
function commit(cwd: string, message: string, files: Record<string, string> = {}): string {
  for (const [path, content] of Object.entries(files)) repo.write(path, content, cwd);
  repo.git(['add', '-A', '--', '.'], { cwd });
  git(cwd, ['commit', '-q', '--allow-empty', '-m', message]);
  return repo.git(['rev-parse', 'HEAD'], { cwd });
}

beforeAll(() => {
  repo = createPlanRepo();
  Object.assign(process.env, repo.env);
  plan = JSON.parse(
    readFileSync(join(repo.commonDir, 'pw', 'demo', 'plan.json'), 'utf8'),
  ) as CompiledPlan;
  const api = repo.wt('api');
  const web = repo.wt('web');
  const db = repo.wt('db');

  // A shared commit: db fast-forwards to api's first commit, which edits a db
  // file (inside db's scope: not counted) and package.json (nobody's: counted).
  commit(api, '[CHECKPOINT] api starts', {
    'src/api/server.ts': 'export const api = 2;\n',
    'src/db/schema.ts': 'export const schema = "from api";\n',
    'package.json': '{ "name": "demo", "private": true }\n',
  });
  git(db, ['merge', '-q', '--ff-only', 'pw/demo/api']);
  commit(db, '[CHECKPOINT] db work', { 'src/db/schema.ts': 'export const schema = 2;\n' });

  commit(web, '[CHECKPOINT] web app\n\nProvides: app', {
    'src/web/app.ts': 'export const app = "web";\nexport const x = 1;\n',
  });
  commit(web, 'wip without a prefix', { 'src/web/more.ts': 'export const more = 1;\n' });

  // The base moves; api syncs (clean), then again with an edit of web's file (evil).
  commit(repo.dir, 'main: readme', {
    'README.md': '# main moved\n',
    'src/db/index.ts': 'export {};\n',
  });
  git(api, ['merge', '-q', '--no-edit', 'main']);

  // Renames across scopes, both ways.
  git(api, ['mv', 'src/api/routes.ts', 'src/web/routes.ts']);
  commit(api, '[CHECKPOINT] move routes to web');
  repo.write('src/db/helper.ts', 'export const helper = 1;\n', db);
  commit(db, '[CHECKPOINT] helper');
  git(db, ['mv', 'src/db/helper.ts', 'src/web/helper.ts']);
  commit(db, '[CHECKPOINT] hand the helper to web');

  // api edits web's file; web edits it too; api merges web and resolves the
  // conflict with a third text: the merge differs from both parents there.
  commit(api, '[CHECKPOINT] touch the app', {
    'src/web/app.ts': 'export const app = "api";\nexport const x = 1;\n',
  });
  commit(web, '[NEEDS:api/session] need sessions', {
    'src/web/app.ts': 'export const app = "web 2";\nexport const x = 1;\n',
  });
  repo.gitResult([...off, 'merge', '-q', '--no-edit', 'pw/demo/web'], { cwd: api });
  repo.write('src/web/app.ts', 'export const app = "resolved by api";\nexport const x = 1;\n', api);
  repo.git(['add', '-A', '--', '.'], { cwd: api });
  git(api, ['commit', '-q', '--no-edit']);

  // A side branch with a db edit, merged with --no-ff: the side commit is api's own.
  git(api, ['switch', '-q', '-c', 'side']);
  commit(api, '[CHECKPOINT] on the side', {
    'src/db/schema.ts': 'export const schema = "side";\n',
  });
  git(api, ['switch', '-q', 'pw/demo/api']);
  git(api, ['merge', '-q', '--no-ff', '--no-edit', 'side']);

  // Odd names: a path starting with a newline (nobody's), a newline inside a
  // web path, non-ASCII; both as the first path of a commit and after others.
  commit(api, '[CHECKPOINT] odd names', {
    '\nroot.txt': 'x\n',
    'src/web/ünïcödé.ts': 'export const unicode = 2;\n',
    'src/web/new\nline.ts': 'x\n',
  });
  commit(api, '[CHECKPOINT] odd name first', { '\nroot.txt': 'y\n' });

  // Main moves again; api merges it and edits web's file in the merge (evil).
  commit(repo.dir, 'main: docs', { 'docs/other.md': 'x\n' });
  git(api, ['merge', '-q', '--no-commit', 'main']);
  repo.write('src/web/with space.ts', 'export const spaced = "evil";\n', api);
  repo.git(['add', '-A', '--', '.'], { cwd: api });
  git(api, ['commit', '-q', '--no-edit']);
  commit(api, '[COMPLETE] api done');
  commit(web, '[CHECKPOINT] web carries on', { 'src/web/app.ts': 'export const app = 3;\n' });
  // The history is final from here on: the oracle may answer each read once.
  remember(new Map());
});

afterAll(() => {
  remember(null);
  process.env = savedEnv;
  repo?.cleanup();
});

async function both(options: FindViolationsOptions): Promise<HistoryJudgement> {
  const [now, before] = await Promise.all([
    judgeHistory(repo.dir, plan, options),
    previousJudgeHistory(repo.dir, plan, options),
  ]);
  expect(now, JSON.stringify(options)).toEqual(before);
  return now;
}

const rev = (args: string[]): string[] =>
  repo
    .git(['rev-list', ...args])
    .split('\n')
    .filter(Boolean);

describe('findViolations agrees with the previous implementation on a tricky history', () => {
  it('over the whole history, per worker, per kind', async () => {
    const all = await both({});
    // The history holds what it should: shared, renamed, merged and odd-named findings.
    const found = all.violations.map((v) => `${v.worker} ${v.kind} ${v.path ?? v.header}`);
    expect(found).toEqual(
      expect.arrayContaining([
        'api scope package.json',
        'api scope src/web/routes.ts',
        'api scope src/web/app.ts',
        'api scope src/db/schema.ts',
        'api scope \nroot.txt',
        'api scope src/web/new\nline.ts',
        'api scope src/web/ünïcödé.ts',
        'api scope src/web/with space.ts',
        'db scope src/web/helper.ts',
        'web protocol wip without a prefix',
      ]),
    );
    expect(found).not.toContain('api scope src/api/routes.ts');
    expect(found).not.toContain('api scope README.md');
    for (const worker of plan.workers) await both({ worker: worker.id });
    await both({ kinds: ['scope'] });
    await both({ kinds: ['protocol'] });
  });

  it('over ranges: each commit alone, from the base, single revisions, with and without a worker', async () => {
    let checked = 0;
    for (const worker of plan.workers) {
      const tip = repo.git(['rev-parse', worker.branch]);
      for (const sha of rev([tip, '--not', plan.baseCommit])) {
        const first = repo.git(['rev-parse', `${sha}^`]);
        for (const range of [
          `${first}..${sha}`,
          sha,
          `${plan.baseCommit}..${sha}`,
          `${sha}..${tip}`,
        ])
          await both({ worker: worker.id, range });
        await both({ worker: worker.id, range: `${first}..${sha}`, kinds: ['scope'] });
        checked++;
      }
      await both({ range: `main..${tip}` });
      await both({ range: `${plan.baseCommit}..${tip}` });
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('over a range whose end no branch has yet (a ref update, a push) and ranges across workers', async () => {
    const api = repo.git(['rev-parse', 'pw/demo/api']);
    const web = repo.git(['rev-parse', 'pw/demo/web']);
    const loose = repo.git([
      'commit-tree',
      `${web}^{tree}`,
      '-p',
      api,
      '-m',
      '[CHECKPOINT] not on a branch yet',
    ]);
    await both({ worker: 'api', range: `${api}..${loose}` });
    await both({ worker: 'web', range: `${api}..${loose}` });
    await both({ range: `${api}..${loose}` });
    await both({ worker: 'db', range: `${web}..${api}` });
    await both({ worker: 'web', range: api });
  });
});
