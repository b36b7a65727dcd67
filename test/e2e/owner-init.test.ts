import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writePlan } from '../helpers/repo-state.js';
import { createTempRepo, type TempRepo } from '../helpers/temp-repo.js';

describe('pw owner', () => {
  let repo: TempRepo;
  beforeEach(() => {
    repo = createTempRepo({ files: { 'src/api/a.ts': 'a\n', 'docs/x.md': 'x\n' } });
  });
  afterEach(() => repo.cleanup());

  const plan =
    'name: feat\nworkers:\n  - id: api\n    owns: [/src/api/]\n    task: t\n  - id: docs\n    owns: [/notes/, /docs/]\n    task: t\n';

  it('names the owner of existing and future paths, or says nobody owns them', () => {
    const file = writePlan(repo, 'plan.yaml', plan);
    const result = repo.pw([
      'owner',
      '--plan',
      file,
      'src/api/a.ts',
      'src/api/new/deep.ts',
      'notes/new.md',
      'package.json',
    ]);
    expect(result.status).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      'src/api/a.ts         api  (/src/api/)',
      'src/api/new/deep.ts  api  (/src/api/)',
      'notes/new.md         docs  (/notes/)',
      'package.json         nobody (read-only for every worker)',
      '',
    ]);
  });

  it('reads paths relative to the current directory, and uses the plan set up', () => {
    expect(repo.pw(['setup', writePlan(repo, 'plan.yaml', plan)]).status).toBe(0);
    const result = repo.pw(['owner', '--json', 'a.ts'], { cwd: join(repo.dir, 'src', 'api') });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      plan: 'feat',
      paths: [{ input: 'a.ts', path: 'src/api/a.ts', owner: 'api', pattern: '/src/api/' }],
    });
  });

  it('answers for directories: the owners of their tracked files, or of a new file there', () => {
    repo.write('src/shared.ts', 's\n');
    repo.commitAll('shared');
    const file = writePlan(repo, 'plan.yaml', plan);
    const result = repo.pw([
      'owner',
      '--plan',
      file,
      'src/api',
      'src/',
      'docs/new/',
      'src/api/a.ts',
    ]);
    expect(result.status).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      'src/api/      api (all 1 tracked file)',
      'src/          several owners: api (1), nobody (1)',
      'docs/new/     no tracked files yet; a new file here: docs',
      'src/api/a.ts  api  (/src/api/)',
      '',
    ]);
  });

  it('exits 2 when there is no plan at all', () => {
    const result = repo.pw(['owner', 'x']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('no plan given and the config has none');
  });
});

describe('pw init', () => {
  let repo: TempRepo;
  beforeEach(() => {
    repo = createTempRepo();
  });
  afterEach(() => repo.cleanup());

  it('writes a commented config and an example plan that setup accepts, and never overwrites', () => {
    const first = repo.pw(['init']);
    expect(first.status).toBe(0);
    expect(first.stdout).toContain('wrote .parallelrc.yaml');
    expect(first.stdout).toContain('wrote plans/example.md');
    const config = readFileSync(join(repo.dir, '.parallelrc.yaml'), 'utf8');
    expect(config).toContain('plan: plans/example.md');
    expect(config).toMatch(/^# /m);
    expect(repo.pw(['setup', '--dry-run']).status).toBe(0);

    repo.write('.parallelrc.yaml', 'mine: true\n');
    const second = repo.pw(['init']);
    expect(second.status).toBe(1);
    expect(second.stdout).toContain(
      'kept .parallelrc.yaml (already exists; pw init never overwrites)',
    );
    expect(readFileSync(join(repo.dir, '.parallelrc.yaml'), 'utf8')).toBe('mine: true\n');
    expect(existsSync(join(repo.dir, 'plans', 'example.md'))).toBe(true);
  });

  it("names the plan in its next steps, which work where a config of the project's own names none", () => {
    repo.write('.parallelrc.yaml', 'agent:\n  command: claude\n');
    const init = repo.pw(['init']);
    expect(init.status).toBe(0);
    expect(init.stdout).toContain('kept .parallelrc.yaml');
    expect(init.stdout).toContain(
      '\nNext: edit the plan (who owns which files, and their tasks), then\n  pw setup plans/example.md --dry-run   to check it\n',
    );
    expect(repo.pw(['setup', 'plans/example.md', '--dry-run']).status).toBe(0);
  });
});

describe('pw --help and --version', () => {
  it('lists every command and prints the version', () => {
    const repo = createTempRepo();
    try {
      const help = repo.pw(['--help']);
      expect(help.status).toBe(0);
      for (const command of [
        'init',
        'setup',
        'teardown',
        'owner',
        'hooks',
        'check',
        'monitor',
        'status',
        'wait',
        'integrate',
        'retro',
        'run',
        'logs',
        'attach',
      ]) {
        expect(help.stdout).toContain(`  ${command}`);
      }
      expect(repo.pw(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
      const bad = repo.pw(['setup', '--nope']);
      expect(bad.status).toBe(2);
    } finally {
      repo.cleanup();
    }
  });
});
