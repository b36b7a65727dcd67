import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiWebPlan, repoState, writePlan } from '../helpers/repo-state.js';
import { createTempRepo, type TempRepo } from '../helpers/temp-repo.js';

const PLAN = apiWebPlan();

describe('pw teardown', () => {
  let repo: TempRepo;
  let api: string;
  let web: string;
  let pristine: Record<string, unknown>;
  beforeEach(() => {
    repo = createTempRepo({
      files: { 'src/api/a.ts': 'a\n', 'src/web/w.ts': 'w\n', 'README.md': '# r\n' },
    });
    // A repository with its own info/exclude lacking a final newline, to check it comes back byte for byte.
    writeFileSync(join(repo.dir, '.git', 'info', 'exclude'), '# mine\n*.local');
    const plan = writePlan(repo, 'plan.yaml', PLAN);
    pristine = repoState(repo);
    expect(repo.pw(['setup', plan]).status).toBe(0);
    api = join(repo.root, 'repo.pw', 'feat', 'api');
    web = join(repo.root, 'repo.pw', 'feat', 'web');
  });
  afterEach(() => repo.cleanup());

  it('removes everything and restores the repository config exactly', () => {
    const result = repo.pw(['teardown']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(repoState(repo)).toEqual({ ...pristine, pw: ['/feat', '/feat/plan.json'] });
    expect(existsSync(join(repo.root, 'repo.pw'))).toBe(false);
    // The events log stays for the retrospective.
    const events = readFileSync(join(repo.dir, '.git', 'pw', 'feat', 'events.ndjson'), 'utf8');
    expect(events).toContain('"type":"setup"');
    expect(events).toContain('"type":"teardown"');
  });

  it('refuses while a worktree has uncommitted changes or a branch has commits the target lacks', () => {
    repo.write('src/api/a.ts', 'changed\n', api);
    repo.write('src/web/new.ts', 'new\n', web);
    repo.git(['add', '-A'], { cwd: web });
    repo.git(['commit', '-qm', '[CHECKPOINT] new file'], { cwd: web, env: { PW_SKIP: '1' } });
    const before = repoState(repo);
    const result = repo.pw(['teardown', 'feat']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('refusing to tear down plan "feat"');
    expect(result.stderr).toMatch(/api: 1 uncommitted change in .*: src\/api\/a\.ts/);
    expect(result.stderr).toMatch(/web: 1 commit on pw\/feat\/web that main lacks/);
    expect(result.stderr).toContain('--force');
    expect(repoState(repo)).toEqual(before);
  });

  it('--force archives every tip and uncommitted change before removing', () => {
    repo.write('src/api/a.ts', 'changed\n', api);
    repo.write('src/api/untracked.ts', 'u\n', api);
    repo.write('src/web/new.ts', 'new\n', web);
    repo.git(['add', '-A'], { cwd: web });
    repo.git(['commit', '-qm', '[CHECKPOINT] new file'], { cwd: web });
    const webTip = repo.git(['rev-parse', 'pw/feat/web']);
    const result = repo.pw(['teardown', '--force']);
    expect(result.status).toBe(0);
    expect(repo.git(['rev-parse', 'refs/pw/archive/feat/web'])).toBe(webTip);
    const wip = repo.git(['rev-parse', 'refs/pw/wip/feat/api']);
    expect(repo.git(['show', `${wip}:src/api/a.ts`])).toBe('changed');
    expect(repo.git(['show', `${wip}:src/api/untracked.ts`])).toBe('u');
    expect(repo.gitResult(['rev-parse', '--verify', 'refs/heads/pw/feat/web']).status).not.toBe(0);
    expect(existsSync(api)).toBe(false);
    expect(readFileSync(join(repo.dir, '.git', 'info', 'exclude'), 'utf8')).toBe('# mine\n*.local');
  });

  it('--purge keeps archives whose commits the target lacks', () => {
    repo.write('src/web/new.ts', 'new\n', web);
    repo.git(['add', '-A'], { cwd: web });
    repo.git(['commit', '-qm', '[CHECKPOINT] new file'], { cwd: web });
    // What a status read and an integrate leave behind: caches and verify logs.
    const record = join(repo.dir, '.git', 'pw', 'feat');
    expect(repo.pw(['status']).status).toBe(0);
    repo.write('integrate/verify-logs/result.log', 'ok\n', record);
    expect(existsSync(join(record, 'cache'))).toBe(true);
    const result = repo.pw(['teardown', '--force', '--purge']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Kept 1 ref holding work main lacks');
    expect(repo.gitResult(['rev-parse', '--verify', 'refs/pw/archive/feat/web']).status).toBe(0);
    // Only the plan record stays, to name the kept ref's plan for a later purge.
    expect(readdirSync(record)).toEqual(['plan.json']);
  });

  it('--purge drops a conflict resolution whose tree the target holds, and keeps one it lacks', () => {
    const base = repo.git(['rev-parse', 'main']);
    repo.write('src/web/merged.ts', 'merged\n');
    repo.commitAll('integrate step with the resolved tree');
    const stepTree = repo.git(['rev-parse', 'main^{tree}']);
    // The resolution commit integrate keeps: same tree as the step, but not on main.
    const resolved = repo.git(['commit-tree', stepTree, '-p', base, '-m', 'resolution']);
    repo.git(['update-ref', 'refs/pw/feat/resolved/web', resolved]);
    const otherTree = repo.git(['mktree'], { input: '' });
    const lacking = repo.git(['commit-tree', otherTree, '-p', base, '-m', 'other resolution']);
    repo.git(['update-ref', 'refs/pw/feat/resolved/api', lacking]);
    const result = repo.pw(['teardown', '--force', '--purge']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(repo.gitResult(['rev-parse', '--verify', 'refs/pw/feat/resolved/web']).status).not.toBe(
      0,
    );
    expect(repo.git(['rev-parse', 'refs/pw/feat/resolved/api'])).toBe(lacking);
    expect(result.stdout).toContain('refs/pw/feat/resolved/api');
  });

  it('--purge after a plain teardown removes the record, and refs whose commits the target has', () => {
    repo.write('src/web/new.ts', 'new\n', web);
    repo.commitAll('[COMPLETE] new file', web);
    const tip = repo.git(['rev-parse', 'pw/feat/web']);
    repo.git(['merge', '-q', '--ff-only', tip]);
    // A ref integrate would leave, holding commits main already has.
    repo.git(['update-ref', 'refs/pw/feat/resolved/web', tip]);
    expect(repo.pw(['teardown']).status).toBe(0);
    expect(repo.git(['rev-parse', 'refs/pw/archive/feat/web'])).toBe(tip);
    const purge = repo.pw(['teardown', 'feat', '--purge']);
    expect(purge.stderr).toBe('');
    expect(purge.status).toBe(0);
    expect(purge.stdout).toContain('Plan "feat" was already torn down; only its record was left.');
    expect(purge.stdout).toContain(
      'Purged the events log, the plan record and its refs under refs/pw/.',
    );
    expect(repo.git(['for-each-ref', 'refs/pw/'])).toBe('');
    expect(existsSync(join(repo.dir, '.git', 'pw', 'feat'))).toBe(false);
    // main moved (the merge); everything else is as before setup.
    const { refs: _refs, worktrees: _worktrees, ...rest } = repoState(repo);
    const { refs: _r, worktrees: _w, ...before } = pristine;
    expect(rest).toEqual(before);
  });

  it('--dry-run changes nothing', () => {
    const before = repoState(repo);
    const result = repo.pw(['teardown', '--dry-run']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Dry run: teardown of plan "feat" would:');
    expect(repoState(repo)).toEqual(before);
  });

  it('keeps an older archive when a new teardown archives a different tip', () => {
    repo.write('src/web/one.ts', '1\n', web);
    repo.commitAll('[CHECKPOINT] one', web);
    const first = repo.git(['rev-parse', 'pw/feat/web']);
    expect(repo.pw(['teardown', '--force']).status).toBe(0);
    expect(repo.pw(['setup', join(repo.root, 'plan.yaml')]).status).toBe(0);
    repo.write('src/web/two.ts', '2\n', web);
    repo.commitAll('[CHECKPOINT] two', web);
    expect(repo.pw(['teardown', '--force']).status).toBe(0);
    expect(repo.git(['rev-parse', `refs/pw/archive/feat/web@${first.slice(0, 7)}`])).toBe(first);
  });

  it('exits 2 when no plan is set up', () => {
    expect(repo.pw(['teardown']).status).toBe(0);
    const result = repo.pw(['teardown']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('no plan is set up in this repository');
  });
});
