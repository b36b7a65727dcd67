import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_FILES, DEMO_PLAN } from '../helpers/plan-repo.js';
import { createTempRepo, type TempRepo } from '../helpers/temp-repo.js';

/** A pid no process has any more: a child that already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(child.stdout);
}

describe('what a killed or undone run leaves behind', () => {
  let repo: TempRepo;
  afterEach(() => repo.cleanup());
  const gitDir = () => join(repo.dir, '.git');

  it('teardown after a killed setup reports the worktrees and branches that existed', () => {
    repo = createTempRepo({ files: DEMO_FILES });
    repo.write('plan.yaml', DEMO_PLAN);
    const killed = repo.pw(['setup', 'plan.yaml'], {
      env: { PW_TEST_FAIL_AT: 'kill:add-worktree:web' },
    });
    expect(killed.status).not.toBe(0);
    const teardown = repo.pw(['teardown', 'demo', '--force', '--purge']);
    // The killed setup held the repository lock: its only trace is the takeover line.
    expect(teardown.stderr).toMatch(
      /^pw: took over the repository lock from pw setup \(pid \d+, since [^)]+\): that process is gone\.\n$/,
    );
    expect(teardown.status).toBe(0);
    // Every branch is made in one ref transaction before the first worktree.
    expect(teardown.stdout).toContain('removed 1 worktree and 3 branches of 3 workers');
    expect(teardown.stdout).toContain('web: remove branch pw/demo/web\n');
    expect(teardown.stdout).toContain('db: remove branch pw/demo/db\n');
    expect(existsSync(join(gitDir(), 'pw'))).toBe(false);
  });

  it('teardown after a setup killed before its branches says there was nothing to remove', () => {
    repo = createTempRepo({ files: DEMO_FILES });
    repo.write('plan.yaml', DEMO_PLAN);
    const killed = repo.pw(['setup', 'plan.yaml'], {
      env: { PW_TEST_FAIL_AT: 'kill:create-branches' },
    });
    expect(killed.status).not.toBe(0);
    expect(repo.git(['for-each-ref', 'refs/heads/pw/'])).toBe('');
    const teardown = repo.pw(['teardown', 'demo', '--force', '--purge']);
    expect(teardown.status).toBe(0);
    expect(teardown.stdout).toContain('removed 0 worktrees and 0 branches of 3 workers');
    expect(teardown.stdout).toContain('db: no worktree or branch to remove');
  });

  it.each(['create-branches', 'add-worktree:web', 'configure-worktree:api', 'install-hooks:db'])(
    'a setup killed at %s leaves nothing that stops the next setup',
    (step) => {
      repo = createTempRepo({ files: DEMO_FILES });
      repo.write('plan.yaml', DEMO_PLAN);
      const killed = repo.pw(['setup', 'plan.yaml'], { env: { PW_TEST_FAIL_AT: `kill:${step}` } });
      expect(killed.status).not.toBe(0);
      const again = repo.pw(['setup', 'plan.yaml', '--json']);
      expect(again.status).toBe(0);
      const report = JSON.parse(again.stdout) as { workers: { id: string }[] };
      expect(report.workers.map((w) => w.id)).toEqual(['api', 'web', 'db']);
      for (const id of ['api', 'web', 'db']) {
        const worktree = join(repo.root, 'repo.pw', 'demo', id);
        expect(repo.git(['config', '--worktree', 'pw.worker'], { cwd: worktree })).toBe(id);
        expect(repo.git(['config', '--worktree', 'core.hooksPath'], { cwd: worktree })).toBe(
          join(gitDir(), 'pw', 'demo', 'hooks', id),
        );
      }
      expect(repo.pw(['status', '--json']).status).toBe(0);
    },
  );

  it('no empty .git/pw after a purge or a rolled-back first setup', () => {
    repo = createTempRepo({ files: DEMO_FILES });
    repo.write('plan.yaml', DEMO_PLAN);
    const failed = repo.pw(['setup', 'plan.yaml'], {
      env: { PW_TEST_FAIL_AT: 'install-hooks:web' },
    });
    expect(failed.status).toBe(1);
    expect(existsSync(join(gitDir(), 'pw'))).toBe(false);

    expect(repo.pw(['setup', 'plan.yaml']).status).toBe(0);
    expect(repo.pw(['teardown', 'demo', '--purge']).status).toBe(0);
    expect(existsSync(join(gitDir(), 'pw'))).toBe(false);
  });

  it("the next run removes a killed run's temporary index files, not a live one's", () => {
    repo = createTempRepo({ files: DEMO_FILES });
    repo.write('plan.yaml', DEMO_PLAN);
    const dead = deadPid();
    const stale = [`pw-index-${dead}-1700000000000`, `pw-wip-index-${dead}-web`];
    const live = `pw-index-${process.pid}-1700000000000`;
    for (const name of [...stale, live]) writeFileSync(join(gitDir(), name), 'DIRC');
    expect(repo.pw(['setup', 'plan.yaml']).status).toBe(0);
    const left = readdirSync(gitDir()).filter((name) => name.includes('index-'));
    expect(left).toEqual([live]);
  });
});
