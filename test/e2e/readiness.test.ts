import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPlanRepo, type PlanRepo } from '../helpers/plan-repo.js';

const PLAN = `name: ready
workers:
  - id: api
    owns: ["/src/api/"]
    task: Build the API.
  - id: web
    owns: ["/src/web/"]
    task: Build the web app.
`;
const FILES = { 'src/api/a.ts': 'a\n', 'src/web/b.ts': 'b\n', 'README.md': '# r\n' };

interface StatusJson {
  readyToIntegrate: boolean;
  summary: string;
  workers: { id: string; state: string; counts: { commits: number } }[];
}

describe('one readiness rule for status, wait and integrate', () => {
  let repo: PlanRepo | null = null;
  afterEach(() => repo?.cleanup());

  it('a scope violation on a complete worker: status is not ready, wait needs attention, integrate refuses', () => {
    repo = createPlanRepo({ plan: PLAN, files: FILES });
    writeFileSync(join(repo.wt('web'), 'src/api/a.ts'), 'taken\n');
    repo.git(['add', '-A'], { cwd: repo.wt('web') });
    // Hooks off for this one commit, the way a worker with hooks removed gets it in.
    repo.git(['-c', 'core.hooksPath=/dev/null', 'commit', '-q', '-m', '[COMPLETE] web'], {
      cwd: repo.wt('web'),
    });
    repo.git(['commit', '-q', '--allow-empty', '-m', '[COMPLETE] api'], { cwd: repo.wt('api') });

    const status = JSON.parse(repo.pw(['status', '--json']).stdout) as StatusJson;
    expect(status.workers.map((w) => w.state)).toEqual(['complete', 'complete']);
    expect(status.readyToIntegrate).toBe(false);
    expect(status.summary).toBe('2/2 complete · 1 with violations, which integrate refuses');
    const table = repo.pw(['status']).stdout;
    expect(table).not.toContain('ready to integrate');
    const wait = repo.pw(['wait', '--timeout', '0']);
    expect(wait.status).toBe(1);
    const integrate = repo.pw(['integrate']);
    expect(integrate.status).toBe(1);
    expect(integrate.stderr).toContain('src/api/a.ts');
  });

  it('two workers with a byte-identical commit are both complete, and integrate takes both', () => {
    repo = createPlanRepo({ plan: PLAN, files: FILES });
    const sameSecond = {
      GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
      GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
    };
    const tips = ['api', 'web'].map((w) => {
      repo!.git(['commit', '-q', '--allow-empty', '-m', '[COMPLETE] done'], {
        cwd: repo!.wt(w),
        env: sameSecond,
      });
      return repo!.git(['rev-parse', 'HEAD'], { cwd: repo!.wt(w) });
    });
    expect(tips[0]).toBe(tips[1]);

    const status = JSON.parse(repo.pw(['status', '--json']).stdout) as StatusJson;
    expect(status.workers.map((w) => [w.id, w.state, w.counts.commits])).toEqual([
      ['api', 'complete', 1],
      ['web', 'complete', 1],
    ]);
    expect(status.readyToIntegrate).toBe(true);
    expect(repo.pw(['wait', '--timeout', '0']).status).toBe(0);
    const integrate = repo.pw(['integrate']);
    expect(integrate.stderr).toBe('');
    expect(integrate.status).toBe(0);
    expect(repo.git(['merge-base', '--is-ancestor', tips[0]!, 'main']).length).toBe(0);
  });
});
