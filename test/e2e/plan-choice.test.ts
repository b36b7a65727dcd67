import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writePlan } from '../helpers/repo-state.js';
import { createTempRepo, type TempRepo } from '../helpers/temp-repo.js';

const FILES = {
  'README.md': '# app\n',
  'src/api/server.ts': 'export const api = 1;\n',
  'docs/guide.md': '# guide\n',
};

const planText = (name: string, id: string, owns: string): string =>
  `name: ${name}\nworkers:\n  - id: ${id}\n    owns: [${owns}]\n    task: Work on ${owns}.\n`;

/** Which plan a command given no --plan reads: the same answer from every command. */
describe('the plan a command works on when none is named', () => {
  let repo: TempRepo;
  beforeEach(() => {
    repo = createTempRepo({ files: FILES });
    expect(
      repo.pw(['setup', writePlan(repo, 'a.yaml', planText('alpha', 'api', '/src/'))]).status,
    ).toBe(0);
    expect(
      repo.pw(['setup', writePlan(repo, 'b.yaml', planText('beta', 'docs', '/docs/'))]).status,
    ).toBe(0);
  });
  afterEach(() => repo.cleanup());

  const planOf = (stdout: string): string => (JSON.parse(stdout) as { plan: string }).plan;

  it("in a worker's worktree, that worker's plan; in the main worktree, a question naming both", () => {
    const docs = join(repo.root, 'repo.pw', 'beta', 'docs');
    expect(planOf(repo.pw(['status', '--json'], { cwd: docs }).stdout)).toBe('beta');
    const wait = repo.pw(['wait', '--json', '--timeout', '0s'], { cwd: docs });
    expect(wait.status).toBe(124);
    expect((JSON.parse(wait.stdout) as { status: { plan: string } }).status.plan).toBe('beta');
    expect(planOf(repo.pw(['check', '--json'], { cwd: docs }).stdout)).toBe('beta');
    expect(planOf(repo.pw(['owner', '--json', 'docs/guide.md'], { cwd: docs }).stdout)).toBe(
      'beta',
    );
    for (const args of [
      ['status'],
      ['retro'],
      ['check'],
      ['owner', 'README.md'],
      ['logs', 'api'],
    ]) {
      const result = repo.pw(args);
      expect(result.status).toBe(2);
      expect(result.stderr).toBe(
        'pw: 2 plans are set up here; say which one with --plan\n  Plans: alpha, beta\n',
      );
    }
  });

  it('once one plan is torn down (its record kept), every command reads the other, retro and logs too', () => {
    expect(repo.pw(['teardown', '--plan', 'alpha', '--force']).status).toBe(0);
    expect(planOf(repo.pw(['status', '--json']).stdout)).toBe('beta');
    expect(planOf(repo.pw(['retro', '--json']).stdout)).toBe('beta');
    const logs = repo.pw(['logs', 'docs']);
    expect(logs.stderr).not.toContain('plans are set up here');
    // Teardown takes no guess: beta is the only plan set up, but --purge may mean alpha's record.
    const purge = repo.pw(['teardown', '--purge', '--dry-run']);
    expect(purge.status).toBe(2);
    expect(purge.stderr).toBe(
      'pw: plan beta is set up here and 1 torn-down plan has a record; say which one with --plan\n  Plans: beta\n  Torn down, records kept: alpha\n',
    );
    // The torn-down plan stays readable by name.
    expect(planOf(repo.pw(['retro', '--json', '--plan', 'alpha']).stdout)).toBe('alpha');
    // With both torn down, the question names the records.
    expect(repo.pw(['teardown', '--plan', 'beta', '--force']).status).toBe(0);
    const retro = repo.pw(['retro']);
    expect(retro.status).toBe(2);
    expect(retro.stderr).toBe(
      'pw: no plan is set up here, and 2 torn-down plans have records; say which one with --plan\n  Torn down, records kept: alpha, beta\n',
    );
  });
});
