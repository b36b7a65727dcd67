import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTempRepo, type TempRepo } from '../helpers/temp-repo.js';

const PLAN = `name: m
workers:
  - id: api
    owns: ["/src/api/"]
    task: Build the API.
`;

describe('messages that say what is really wrong', () => {
  let repo: TempRepo;
  afterEach(() => repo.cleanup());

  it('a bare repository is named as one, with how to get a worktree', () => {
    repo = createTempRepo();
    const bare = join(repo.root, 'bare.git');
    execFileSync('git', ['init', '-q', '--bare', bare], { env: repo.env });
    const result = repo.pw(['status'], { cwd: bare });
    expect(result.status).toBe(3);
    expect(result.stderr).toContain(`${bare} is a bare repository`);
    expect(result.stderr).toContain('git worktree add');
    expect(result.stderr).not.toContain('not inside a git repository');
  });

  it('a repository without commits: make a first commit, not "git branch <name>"', () => {
    repo = createTempRepo();
    const empty = join(repo.root, 'empty');
    mkdirSync(empty);
    execFileSync('git', ['init', '-q', '-b', 'main', empty], { env: repo.env });
    repo.write('plan.yaml', PLAN, empty);
    const result = repo.pw(['setup', 'plan.yaml'], { cwd: empty });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('the repository has no commits yet');
    expect(result.stderr).toContain('Make a first commit');
    expect(result.stderr).not.toContain('git branch <name>');
  });

  it('a tag as base: says it is a tag and that bases are branches', () => {
    repo = createTempRepo({ files: { 'src/api/a.ts': 'a\n' } });
    repo.git(['tag', 'v1']);
    repo.write('plan.yaml', `base: v1\n${PLAN}`);
    const result = repo.pw(['setup', 'plan.yaml']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('"v1" is a tag, not a branch');
    expect(result.stderr).toContain('git branch v1-base v1');
    expect(result.stderr).not.toContain('unknown base branch');
  });

  it('plan validation warns on patterns that own nothing they were meant to', () => {
    repo = createTempRepo({ files: { 'src/api/a.ts': 'a\n' } });
    repo.write(
      'plan.yaml',
      `name: w\nworkers:\n  - id: api\n    owns: ["/src/api/", "/etc/passwd", "src/[z-a].ts"]\n    task: t\n`,
    );
    const result = repo.pw(['setup', 'plan.yaml', '--dry-run']);
    expect(result.stderr).toContain('"/etc/passwd" looks like a file-system path');
    expect(result.stderr).toContain('"src/[z-a].ts" has the range "z-a"');
  });
});
