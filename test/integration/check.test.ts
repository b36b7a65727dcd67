import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlanRepo, type PlanRepo } from '../helpers/plan-repo.js';

// pw check: the gate no client setting skips. Commits are made with the
// hooks off (-c core.hooksPath=/dev/null), as a careless or hostile client would.

let repo: PlanRepo;
let api: string;
let web: string;
const offCommit = (cwd: string, message: string): string => {
  repo.git(['add', '-A', '.'], { cwd });
  repo.git(['-c', 'core.hooksPath=/dev/null', 'commit', '-q', '--allow-empty', '-m', message], {
    cwd,
  });
  return repo.git(['rev-parse', 'HEAD'], { cwd });
};
interface Report {
  plan: string;
  planSource: string;
  violations: {
    worker: string;
    commit: string;
    kind: string;
    path?: string;
    owner?: string | null;
    header?: string;
  }[];
  trust: unknown[];
}
const check = (args: string[] = [], cwd?: string) => {
  const result = repo.pw(['check', '--json', ...args], cwd ? { cwd } : {});
  return { ...result, report: JSON.parse(result.stdout || '{}') as Report };
};

let good: string;
let stray: string;
let bad: string;

beforeAll(() => {
  repo = createPlanRepo();
  api = repo.wt('api');
  web = repo.wt('web');
  repo.write('src/api/server.ts', 'export const api = 2;\n', api);
  good = offCommit(api, '[CHECKPOINT] api work');
  repo.write('src/web/app.ts', 'export const app = "api wrote this";\n', api);
  stray = offCommit(api, '[CHECKPOINT] stray edit');
  bad = offCommit(api, 'no protocol');
  repo.write('src/web/app.ts', 'export const app = "web";\n', web);
  offCommit(web, '[CHECKPOINT] web work\n\nProvides: app');
});
afterAll(() => repo.cleanup());

describe('pw check', () => {
  it('lists every out-of-scope change and protocol break, with commit, path and owner; exit 1', () => {
    const { status, report, stderr } = check();
    expect(stderr).toBe('');
    expect(status).toBe(1);
    expect(report.planSource).toBe('trusted');
    expect(report.violations).toEqual([
      {
        worker: 'api',
        commit: stray,
        kind: 'scope',
        path: 'src/web/app.ts',
        owner: 'web',
        header: '[CHECKPOINT] stray edit',
        problem: 'changes src/web/app.ts, which belongs to web',
      },
      {
        worker: 'api',
        commit: bad,
        kind: 'protocol',
        header: 'no protocol',
        problem: expect.stringContaining('does not start with') as unknown as string,
      },
    ]);
    expect(repo.events().at(-1)).toMatchObject({
      type: 'check',
      violations: [{ commit: stray }, { commit: bad }],
    });
    const human = repo.pw(['check']);
    expect(human.status).toBe(1);
    expect(human.stdout).toContain(
      'pw check (plan demo): 2 findings (4 commits of the workers judged).',
    );
    expect(human.stdout).toMatch(
      /api\s+[0-9a-f]{12}\s+scope\s+src\/web\/app\.ts\s+\(owned by web\)/,
    );
    expect(human.stdout).toMatch(/protocol\s+"no protocol": the first line/);
    expect(human.stdout).toContain('What to do:');
  });

  it('--worker and --range narrow it down; exit 0 when clean', () => {
    expect(check(['--worker', 'web']).status).toBe(0);
    expect(check(['--worker', 'db']).status).toBe(0);
    const range = check(['--range', `${good}..${stray}`]);
    expect(range.report.violations.map((v) => v.kind)).toEqual(['scope']);
    const early = check(['--range', `main..${good}`, '--worker', 'api']);
    expect(early.status).toBe(0);
    expect(repo.pw(['check', '--range', `main..${good}`]).stdout).toContain(
      'clean: 1 commit of the workers',
    );
    // Commits on no worker branch are not judged, and check says so.
    const loose = repo.git(['commit-tree', `${good}^{tree}`, '-p', good, '-m', 'loose']);
    const note = repo.pw(['check', '--range', `main..${loose}`]);
    expect(note.status).toBe(0);
    expect(note.stdout).toContain(
      '1 commit of the range is on no worker branch and was not judged',
    );
  });

  it('says what is wrong with a bad worker or range (exit 2)', () => {
    const worker = repo.pw(['check', '--worker', 'nobody']);
    expect(worker.status).toBe(2);
    expect(worker.stderr).toContain('plan "demo" has no worker "nobody"');
    const range = repo.pw(['check', '--range', 'main..no-such-branch']);
    expect(range.status).toBe(2);
    expect(range.stderr).toContain('names no commit: no-such-branch');
    expect(repo.pw(['check', '--range', 'a...b']).status).toBe(2);
  });

  it('does not count syncing from the base or merging a provider, but does count an evil merge and a hidden side branch', () => {
    repo.git(['-c', 'core.hooksPath=/dev/null', 'reset', '-q', '--hard', good], { cwd: api });
    repo.write('README.md', '# main moved\n');
    repo.write('src/db/schema.ts', 'export const schema = "main";\n');
    repo.commitAll('main moves on');
    repo.git(['-c', 'core.hooksPath=/dev/null', 'merge', '-q', '--no-edit', 'main'], { cwd: api });
    repo.git(['-c', 'core.hooksPath=/dev/null', 'merge', '-q', '--no-edit', 'pw/demo/web'], {
      cwd: api,
    });
    expect(check(['--worker', 'api']).status).toBe(0);
    // The web commit is web's own, judged as web's: inside its scope.
    expect(check(['--worker', 'web']).status).toBe(0);

    // An out-of-scope commit on a side branch, merged with --no-ff: the merge
    // itself differs from no parent there, but the side commit is api's own.
    repo.git(['switch', '-q', '-c', 'side'], { cwd: api });
    repo.write('src/db/schema.ts', 'export const schema = "side";\n', api);
    const side = offCommit(api, '[CHECKPOINT] on the side');
    repo.git(['switch', '-q', 'pw/demo/api'], { cwd: api });
    repo.git(['-c', 'core.hooksPath=/dev/null', 'merge', '-q', '--no-ff', '--no-edit', 'side'], {
      cwd: api,
    });
    const hidden = check(['--worker', 'api']);
    expect(hidden.report.violations).toEqual([
      expect.objectContaining({
        commit: side,
        kind: 'scope',
        path: 'src/db/schema.ts',
        owner: 'db',
      }),
    ]);

    // An evil merge: the merge commit itself changes a file of web's.
    repo.git(['-c', 'core.hooksPath=/dev/null', 'reset', '-q', '--hard', 'HEAD~1'], { cwd: api });
    repo.write('docs/other.md', 'x\n');
    repo.commitAll('main again');
    repo.git(['-c', 'core.hooksPath=/dev/null', 'merge', '-q', '--no-commit', 'main'], {
      cwd: api,
    });
    repo.write('src/web/app.ts', 'export const app = "evil merge";\n', api);
    const evil = offCommit(api, "Merge branch 'main' into pw/demo/api");
    const evilReport = check(['--worker', 'api']);
    expect(evilReport.report.violations).toEqual([
      expect.objectContaining({
        commit: evil,
        kind: 'scope',
        path: 'src/web/app.ts',
        owner: 'web',
      }),
    ]);
    repo.git(['-c', 'core.hooksPath=/dev/null', 'reset', '-q', '--hard', 'HEAD~1'], { cwd: api });
    expect(check(['--worker', 'api']).status).toBe(0);
  });

  it('runs in CI on a fresh clone, from the plan file and remote-tracking branches', () => {
    repo.write('src/db/schema.ts', 'export const schema = "ci";\n', api);
    const ciStray = offCommit(api, '[CHECKPOINT] db edit from api');
    const origin = join(repo.root, 'origin.git');
    repo.git(['clone', '-q', '--bare', repo.dir, origin]);
    const ci = join(repo.root, 'ci');
    repo.git(['clone', '-q', origin, ci]);
    // As actions/checkout does for a pull request: detached at the head commit.
    repo.git(['checkout', '-q', '--detach', 'origin/pw/demo/api'], { cwd: ci });
    const all = check(['--plan', 'plan.yaml'], ci);
    expect(all.status).toBe(1);
    expect(all.report.planSource).toBe('file');
    expect(all.report.violations).toEqual([
      expect.objectContaining({
        worker: 'api',
        commit: ciStray,
        kind: 'scope',
        path: 'src/db/schema.ts',
        owner: 'db',
      }),
    ]);
    const pr = check(
      ['--plan', 'plan.yaml', '--worker', 'api', '--range', 'origin/main..HEAD'],
      ci,
    );
    expect(pr.report.violations.map((v) => v.commit)).toEqual([ciStray]);
    // Without the worker branches fetched, --worker says whose the range is.
    repo.git(['update-ref', '-d', 'refs/remotes/origin/pw/demo/api'], { cwd: ci });
    const bare = check(
      ['--plan', 'plan.yaml', '--worker', 'api', '--range', 'origin/main..HEAD'],
      ci,
    );
    expect(bare.report.violations.map((v) => v.commit)).toEqual([ciStray]);
    repo.git(['-c', 'core.hooksPath=/dev/null', 'reset', '-q', '--hard', 'HEAD~1'], { cwd: api });
  });
});
