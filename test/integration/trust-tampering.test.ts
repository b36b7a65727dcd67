import { readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPlanRepo, type PlanRepo } from '../helpers/plan-repo.js';

// Editing the trusted copies under .git/pw/ must not widen a worker's scope:
// the hooks refuse the commit (naming the edited file and the repair), and
// pw status and pw integrate refuse to go on, until pw hooks install puts
// back what setup recorded under refs/pw/<plan>/trust/.

let repo: PlanRepo;
let api: string;
let dir: string;

beforeAll(() => {
  repo = createPlanRepo();
  api = repo.wt('api');
  dir = join(repo.commonDir, 'pw', 'demo');
});
afterAll(() => repo.cleanup());
afterEach(() => {
  repo.git(['reset', '-q', '--hard'], { cwd: api });
  repo.git(['clean', '-fdq'], { cwd: api });
  const repaired = repo.pw(['hooks', 'install']);
  expect(repaired.status, repaired.stderr).toBe(0);
  expect(repo.pw(['status']).status).toBe(0);
});

interface StoredPlan {
  workers: { id: string; owns: string[]; pathspecs: string[] }[];
}

const planFile = (): string => join(dir, 'plan.json');
const scopeFile = (worker: string): string => join(dir, 'scopes', `${worker}.pathspecs`);

/** api's scope widened to web's files in plan.json, as a worker would. */
function widenPlan(): StoredPlan {
  const plan = JSON.parse(readFileSync(planFile(), 'utf8')) as StoredPlan;
  const [apiWorker, webWorker] = [plan.workers[0]!, plan.workers[1]!];
  apiWorker.owns.push(...webWorker.owns);
  apiWorker.pathspecs.push(...webWorker.pathspecs);
  writeFileSync(planFile(), `${JSON.stringify(plan, null, 2)}\n`);
  return plan;
}

const edits: [string, string, () => void][] = [
  ['plan.json widened', 'pw/demo/plan.json', () => void widenPlan()],
  ['plan.json deleted', 'pw/demo/plan.json', () => rmSync(planFile())],
  [
    'the scope file widened',
    'pw/demo/scopes/api.pathspecs',
    () => writeFileSync(scopeFile('api'), ':/\n'),
  ],
  ['the scope file deleted', 'pw/demo/scopes/api.pathspecs', () => rmSync(scopeFile('api'))],
  [
    'a hook script edited',
    'pw/demo/hooks/api/commit-msg',
    () => writeFileSync(join(dir, 'hooks', 'api', 'commit-msg'), '#!/bin/sh\nexit 0\n'),
  ],
  [
    'the guard table edited',
    'pw/demo/hooks/guard.sh',
    () => writeFileSync(join(dir, 'hooks', 'guard.sh'), 'pw_is_worker() { return 1; }\n'),
  ],
  [
    'plan.json and the scope file edited consistently',
    'pw/demo/plan.json',
    () => {
      const plan = widenPlan();
      writeFileSync(scopeFile('api'), `${plan.workers[0]!.pathspecs.join('\n')}\n`);
    },
  ],
  [
    'the events log truncated',
    'pw/demo/events.ndjson',
    () => truncateSync(join(dir, 'events.ndjson'), 0),
  ],
];

describe('an edit of the trusted copies', () => {
  it.each(edits)(
    '%s: the hooks refuse an out-of-scope commit, status and integrate refuse',
    (_, file, edit) => {
      edit();
      repo.write('src/web/app.ts', 'export const app = "widened";\n', api);
      const commit = repo.commit(api, '[CHECKPOINT] widened scope');
      expect(commit.status).not.toBe(0);
      expect(commit.stderr).toContain(file);
      expect(commit.stderr).toContain('pw hooks install');
      expect(repo.git(['rev-parse', 'refs/heads/pw/demo/api'])).toBe(
        repo.git(['rev-parse', 'refs/heads/main']),
      );

      for (const command of [['status'], ['wait', '--timeout', '0'], ['integrate', '--dry-run']]) {
        const result = repo.pw(command);
        expect(result.status, command.join(' ')).not.toBe(0);
        expect(result.stderr).toContain(file);
        expect(result.stderr).toContain('pw hooks install');
      }
      const check = repo.pw(['check']);
      expect(check.status).not.toBe(0);
      expect(check.stdout).toContain(file);
    },
  );

  it('a commit --no-verify with the guard table emptied is refused: by the hook, and with hooks off by integrate', () => {
    writeFileSync(join(dir, 'hooks', 'guard.sh'), '');
    repo.write('src/web/app.ts', 'export const app = "no-verify";\n', api);
    // The worker's own hook knows its branch and scope: an emptied guard table sends it to pw.
    const refused = repo.commit(api, '[COMPLETE] widened scope', { args: ['--no-verify'] });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('pw/demo/hooks/guard.sh');
    const commit = repo.gitResult(
      ['-c', 'core.hooksPath=/dev/null', 'commit', '-q', '-m', '[COMPLETE] widened scope'],
      { cwd: api },
    );
    expect(commit.status).toBe(0);
    const integrate = repo.pw(['integrate', '--allow-incomplete']);
    expect(integrate.status).not.toBe(0);
    expect(integrate.stderr).toContain('pw/demo/hooks/guard.sh');
    expect(repo.git(['rev-parse', 'refs/heads/main'])).toBe(
      repo.git(['rev-parse', 'refs/heads/pw/demo/api~1']),
    );
    // Repaired, the hooks see what the guard table hid; the branch is put back for the next test.
    repo.git(['update-ref', 'refs/heads/pw/demo/api', 'refs/heads/main']);
  });
});

describe('the trust record', () => {
  it('cannot be moved or deleted from a worker worktree', () => {
    const blob = repo.git(['hash-object', '-w', '--stdin'], { input: '{}\n' });
    const moved = repo.gitResult(['update-ref', 'refs/pw/demo/trust/plan', blob], { cwd: api });
    expect(moved.status).not.toBe(0);
    expect(moved.stderr).toContain('refs/pw/demo/trust/plan');
    const deleted = repo.gitResult(['update-ref', '-d', 'refs/pw/demo/trust/events'], { cwd: api });
    expect(deleted.status).not.toBe(0);
    expect(repo.gitResult(['cat-file', '-e', 'refs/pw/demo/trust/events']).status).toBe(0);
  });

  it('pw hooks install puts back the edited files, so the scope holds again', () => {
    widenPlan();
    writeFileSync(scopeFile('api'), ':/\n');
    const install = repo.pw(['hooks', 'install']);
    expect(install.status, install.stderr).toBe(0);
    expect(install.stdout).toContain('pw/demo/plan.json');
    expect(repo.pw(['check']).status).toBe(0);
    repo.write('src/web/app.ts', 'export const app = "after repair";\n', api);
    const commit = repo.commit(api, '[CHECKPOINT] still outside');
    expect(commit.status).not.toBe(0);
    expect(commit.stderr).toContain('src/web/app.ts');
  });
});
