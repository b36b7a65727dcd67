import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPlanRepo } from '../helpers/plan-repo.js';
import { apiWebPlan, repoState, writePlan } from '../helpers/repo-state.js';
import { createTempRepo, type TempRepo } from '../helpers/temp-repo.js';

const FILES = {
  'README.md': '# app\n',
  'src/api/server.ts': 'export const api = 1;\n',
  'src/web/app.ts': 'export const web = 1;\n',
  'docs/guide.md': '# guide\n',
  '.gitignore': '.env\nnode_modules/\n',
};

// web depends on api.
const PLAN = `${apiWebPlan()}    dependsOn: [api]\n`;

interface SetupJson {
  plan: string;
  workers: {
    id: string;
    branch: string;
    worktree: string;
    brief: string;
    launch: string;
    status: string;
  }[];
  actions: string[];
}

describe('pw setup', () => {
  let repo: TempRepo;
  beforeEach(() => {
    repo = createTempRepo({ files: FILES });
  });
  afterEach(() => repo.cleanup());

  it('creates a branch, worktree, worktree config, brief and launch script per worker', () => {
    const plan = writePlan(repo, 'plan.yaml', PLAN);
    const result = repo.pw(['setup', plan, '--json']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as SetupJson;
    expect(report.workers.map((w) => [w.id, w.branch, w.status])).toEqual([
      ['api', 'pw/feat/api', 'created'],
      ['web', 'pw/feat/web', 'created'],
    ]);
    for (const worker of report.workers) {
      expect(worker.worktree).toBe(join(repo.root, 'repo.pw', 'feat', worker.id));
      expect(repo.git(['rev-parse', '--abbrev-ref', 'HEAD'], { cwd: worker.worktree })).toBe(
        worker.branch,
      );
      expect(repo.git(['config', '--worktree', 'pw.worker'], { cwd: worker.worktree })).toBe(
        worker.id,
      );
      expect(repo.git(['config', '--worktree', 'pw.plan'], { cwd: worker.worktree })).toBe('feat');
      expect(readFileSync(worker.brief, 'utf8')).toContain(`# Worker \`${worker.id}\``);
      expect(statSync(worker.launch).mode & 0o111).not.toBe(0);
      // The brief is kept out of git: the worktree is clean.
      expect(
        repo.git(['status', '--porcelain', '--untracked-files=all'], { cwd: worker.worktree }),
      ).toBe('');
    }
    const brief = readFileSync(report.workers[1]!.brief, 'utf8');
    expect(brief).toContain('Build the web page.');
    expect(brief).toContain('- `/src/web/`');
    expect(brief).toContain('- `api`: `/src/api/`');
    expect(brief).toContain('You depend on: `api`');
    expect(brief).toContain(
      'merge their branch once it says [COMPLETE]: `git merge pw/feat/api` (`pw run` does this before it starts you)',
    );
    expect(brief).toContain('[NEEDS:api/');
    // The main worktree is not a worker and has no worker id.
    expect(repo.gitResult(['config', '--worktree', 'pw.worker']).status).toBe(1);
    const trusted = JSON.parse(
      readFileSync(join(repo.dir, '.git', 'pw', 'feat', 'plan.json'), 'utf8'),
    );
    expect(trusted.workers[0].pathspecs).toEqual([':(top,glob)src/api/**']);
    expect(
      readFileSync(join(repo.dir, '.git', 'pw', 'feat', 'scopes', 'web.pathspecs'), 'utf8'),
    ).toBe(':(top,glob)src/web/**\n');
  });

  it('lists tracked files nobody owns and prints how to open each worker', () => {
    const result = repo.pw(['setup', writePlan(repo, 'plan.yaml', PLAN)]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(
      '3 tracked files are owned by no worker and read-only for all: .gitignore, README.md, docs/guide.md',
    );
    expect(result.stdout).toMatch(/sh '.*\/\.git\/pw\/feat\/launch\/api\.sh'/);
  });

  it('says which agent programs are not on PATH, and names none that are', () => {
    const plan = writePlan(
      repo,
      'plan.yaml',
      `${PLAN}  - id: docs\n    owns: [/docs/]\n    task: Write docs.\n    agent: node --version\n`,
    );
    // The default agent is claude, which this PATH lacks; node is found.
    const env = { PATH: dirname(process.execPath) + ':/usr/bin:/bin' };
    const result = repo.pw(['setup', plan], { env });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(
      'Agent program "claude" is not on PATH (api, web): the launch scripts and pw run fail until it is installed',
    );
    expect(result.stdout).not.toContain('"node" is not on PATH');
    const again = JSON.parse(repo.pw(['setup', plan, '--json'], { env }).stdout) as {
      agentsMissing: unknown;
    };
    expect(again.agentsMissing).toEqual([{ program: 'claude', workers: ['api', 'web'] }]);
  });

  it('is idempotent: a second run changes nothing and says so', () => {
    const plan = writePlan(repo, 'plan.yaml', PLAN);
    expect(repo.pw(['setup', plan]).status).toBe(0);
    const before = repoState(repo);
    const again = repo.pw(['setup', plan]);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain(
      'Nothing to do: plan "feat" is already set up; nothing was changed.',
    );
    expect(repoState(repo)).toEqual(before);
  });

  it('run again after an integrate (the base moved on), keeps the base its branches started from', () => {
    const plan = writePlan(repo, 'plan.yaml', PLAN);
    expect(repo.pw(['setup', plan]).status).toBe(0);
    const planJson = join(repo.dir, '.git', 'pw', 'feat', 'plan.json');
    const baseCommit = (JSON.parse(readFileSync(planJson, 'utf8')) as { baseCommit: string })
      .baseCommit;
    for (const id of ['api', 'web']) {
      const cwd = join(repo.root, 'repo.pw', 'feat', id);
      repo.write(`src/${id}/done.ts`, `export const ${id}Done = true;\n`, cwd);
      repo.git(['add', '-A'], { cwd });
      repo.git(['commit', '-q', '-m', `[COMPLETE] ${id} done`], { cwd });
    }
    expect(repo.pw(['integrate', '--no-verify']).status).toBe(0);
    expect(repo.git(['rev-parse', 'main'])).not.toBe(baseCommit);
    // pw wait says integrated, not "ready to integrate".
    const wait = repo.pw(['wait', '--timeout', '0s']);
    expect(wait.status).toBe(0);
    expect(wait.stdout).toBe(
      'all 2 workers are complete · integrated into main: pw teardown removes the worktrees and branches\n',
    );

    const again = repo.pw(['setup', plan, '--json']);
    expect(again.status).toBe(0);
    expect((JSON.parse(readFileSync(planJson, 'utf8')) as { baseCommit: string }).baseCommit).toBe(
      baseCommit,
    );
    const status = JSON.parse(repo.pw(['status', '--json']).stdout) as {
      workers: { id: string; state: string; counts: { commits: number } }[];
    };
    expect(status.workers.map((w) => [w.id, w.state, w.counts.commits])).toEqual([
      ['api', 'complete', 1],
      ['web', 'complete', 1],
    ]);
    // Nothing is left to open: setup says so instead of the launch lines.
    const table = repo.pw(['setup', plan]);
    expect(table.status).toBe(0);
    expect(table.stdout).toContain(
      'Plan "feat" is integrated into main already: no worker is left to open.\npw teardown removes its worktrees and branches; pw retro looks back on it.\n',
    );
    expect(table.stdout).not.toContain('Open each worker');
    expect(JSON.parse(again.stdout)).toMatchObject({ integratedInto: 'main' });
  });

  it('warns about a pattern that owns no file and is one typo from a path that exists', () => {
    const plan = writePlan(
      repo,
      'plan.yaml',
      `name: feat\nworkers:\n  - id: api\n    owns: [/src/api/, /scr/web/]\n    task: Build the API.\n  - id: docs\n    owns: [/docs/, /docs/new-page.md]\n    task: Write.\n`,
    );
    const result = repo.pw(['setup', plan, '--dry-run']);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe(
      `pw: warning: ${plan}: workers[0].owns[1]: "/scr/web/" (api) owns no file of main; did you mean "/src/web/"? (a path the worker will create is fine)\n`,
    );
  });

  it('sets up a worker added to the plan alone', () => {
    const plan = writePlan(repo, 'plan.yaml', PLAN);
    expect(repo.pw(['setup', plan]).status).toBe(0);
    const apiHead = repo.git(['rev-parse', 'pw/feat/api']);
    writePlan(
      repo,
      'plan.yaml',
      `${PLAN}  - id: docs\n    owns: [/docs/]\n    task: Write docs.\n`,
    );
    const result = repo.pw(['setup', plan, '--json']);
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as SetupJson;
    expect(report.workers.map((w) => [w.id, w.status])).toEqual([
      ['api', 'updated'],
      ['web', 'updated'],
      ['docs', 'created'],
    ]);
    // Existing workers only get their briefs refreshed (they now list what docs owns).
    expect(report.actions.filter((a) => a.startsWith('api:'))).toEqual([
      expect.stringMatching(/^api: update brief /),
    ]);
    expect(repo.git(['rev-parse', 'pw/feat/api'])).toBe(apiHead);
  });

  it('--dry-run prints the plan of action and changes nothing', () => {
    const before = repoState(repo);
    const result = repo.pw(['setup', writePlan(repo, 'plan.yaml', PLAN), '--dry-run']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Dry run: setup would do');
    expect(result.stdout).toContain('api: add worktree');
    expect({ ...repoState(repo), siblings: null }).toEqual({ ...before, siblings: null });
    expect(existsSync(join(repo.root, 'repo.pw'))).toBe(false);
  });

  it('copies the gitignored files named in .worktreeinclude into each worktree', () => {
    repo.write('.env', 'SECRET=1\n');
    repo.write('node_modules/x/index.js', 'x\n');
    repo.write('.worktreeinclude', '.env\n');
    repo.commitAll('add .worktreeinclude');
    const report = JSON.parse(
      repo.pw(['setup', writePlan(repo, 'plan.yaml', PLAN), '--json']).stdout,
    ) as SetupJson;
    for (const worker of report.workers) {
      expect(readFileSync(join(worker.worktree, '.env'), 'utf8')).toBe('SECRET=1\n');
      expect(existsSync(join(worker.worktree, 'node_modules'))).toBe(false);
    }
  });

  it('uses the plan named in the config when none is given, and a Markdown plan with context', () => {
    repo.write('plans/feat.md', `---\n${PLAN}---\n\n# Why\n\nShip the health page by Friday.\n`);
    repo.write('.parallelrc.yaml', 'plan: plans/feat.md\nagent:\n  command: my-agent --fast\n');
    repo.commitAll('config');
    const result = repo.pw(['setup', '--json']);
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as SetupJson;
    expect(readFileSync(report.workers[0]!.brief, 'utf8')).toContain(
      'Ship the health page by Friday.',
    );
    expect(readFileSync(report.workers[0]!.launch, 'utf8')).toContain("'my-agent --fast'");
  });

  describe('errors', () => {
    it('exits 3 outside a git repository', () => {
      const result = repo.pw(['setup', 'plan.yaml'], { cwd: repo.root });
      expect(result.status).toBe(3);
      expect(result.stderr).toMatch(/not inside a git repository/);
    });

    it('exits 2 for an unknown base, naming it', () => {
      const result = repo.pw(['setup', writePlan(repo, 'plan.yaml', `base: nope\n${PLAN}`)]);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/unknown base branch "nope"/);
    });

    it('exits 2 for a plan with several problems, listing each', () => {
      const result = repo.pw([
        'setup',
        writePlan(repo, 'plan.yaml', 'name: feat\nworkers:\n  - id: A\n    task: ""\n'),
      ]);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/invalid plan .*plan\.yaml \(3 problems\)/);
      expect(result.stderr).toContain('workers[0].id');
      expect(result.stderr).toContain('workers[0].owns');
      expect(result.stderr).toContain('workers[0].task');
    });

    it('exits 2 on overlapping ownership, with the files and an example path', () => {
      const result = repo.pw([
        'setup',
        writePlan(
          repo,
          'plan.yaml',
          'name: feat\nworkers:\n  - id: api\n    owns: [/src/]\n    task: t\n  - id: web\n    owns: ["*.ts"]\n    task: t\n',
        ),
      ]);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(
        /workers\[0\]\.owns\[0\]: "\/src\/" \(api\) and workers\[1\]\.owns\[0\] "\*\.ts" \(web\) could both own a path such as "src\/.*\.ts"; anchor "\*\.ts" at the root/,
      );
      expect(existsSync(join(repo.root, 'repo.pw'))).toBe(false);
    });

    it('exits 2 on a dependsOn cycle, naming it', () => {
      const result = repo.pw([
        'setup',
        writePlan(
          repo,
          'plan.yaml',
          'name: feat\nworkers:\n  - id: api\n    owns: [/src/api/]\n    task: t\n    dependsOn: [web]\n  - id: web\n    owns: [/src/web/]\n    task: t\n    dependsOn: [api]\n',
        ),
      ]);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain('dependsOn has a cycle: api -> web -> api');
    });

    it('exits 2 when a branch or worktree path is already used by something else', () => {
      repo.git(['branch', 'pw/feat/api']);
      repo.write('repo.pw/feat/web/file', 'mine\n', repo.root);
      const plan = writePlan(repo, 'plan.yaml', PLAN);
      const before = repoState(repo);
      const result = repo.pw(['setup', plan]);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain(
        'branch pw/feat/api already exists and was not created by pw setup',
      );
      expect(result.stderr).toMatch(
        /repo\.pw\/feat\/web already exists and is not this worker's worktree/,
      );
      expect(repoState(repo)).toEqual(before);
    });
  });

  describe('all-or-nothing', () => {
    const steps = [
      'enable-worktree-config',
      'write-trusted',
      'exclude-brief',
      'create-branches:web',
      'add-worktree:web',
      'configure-worktree:web',
      'install-hooks:web',
      'copy-includes:web',
      'write-brief:web',
      'write-launch:web',
    ];
    it.each(steps)('leaves the repository as it was when %s fails', (step) => {
      repo.write('.env', 'SECRET=1\n');
      repo.write('.worktreeinclude', '.env\n');
      repo.commitAll('include');
      const plan = writePlan(repo, 'plan.yaml', PLAN);
      const before = repoState(repo);
      const result = repo.pw(['setup', plan], { env: { PW_TEST_FAIL_AT: step } });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('setup failed at');
      expect(result.stderr).toContain('the repository is as it was');
      expect(repoState(repo)).toEqual(before);
      // And a clean run afterwards succeeds.
      expect(repo.pw(['setup', plan]).status).toBe(0);
    });

    it.each(['SIGINT:add-worktree:web', 'SIGTERM:install-hooks:web', 'SIGTERM:write-launch:web'])(
      'rolls back and exits 1 on a signal (%s)',
      (step) => {
        const plan = writePlan(repo, 'plan.yaml', PLAN);
        const before = repoState(repo);
        const result = repo.pw(['setup', plan], { env: { PW_TEST_FAIL_AT: step } });
        expect(result.status).toBe(1);
        expect(result.stderr).toContain('setup interrupted (SIGINT or SIGTERM) at "web: ');
        expect(result.stderr).toContain('the repository is as it was');
        expect(repoState(repo)).toEqual(before);
        expect(repo.pw(['setup', plan]).status).toBe(0);
      },
    );

    it('a second Ctrl-C during the rollback is said, not obeyed: the rollback finishes', () => {
      const plan = writePlan(repo, 'plan.yaml', PLAN);
      const before = repoState(repo);
      const result = repo.pw(['setup', plan], {
        env: { PW_TEST_FAIL_AT: 'SIGINT2:install-hooks:web' },
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('pw: already stopping');
      expect(result.stderr).toContain('the repository is as it was');
      expect(repoState(repo)).toEqual(before);
      expect(repo.pw(['setup', plan]).status).toBe(0);
    });

    it('rolls back a worktree whose add failed after git checked it out, and those added beside it', () => {
      // git worktree add registers and checks out the worktree, then fails when post-checkout does.
      repo.write('.git/hooks/post-checkout', '#!/bin/sh\ncase "$PWD" in */web) exit 1 ;; esac\n');
      chmodSync(join(repo.dir, '.git/hooks/post-checkout'), 0o755);
      const plan = writePlan(repo, 'plan.yaml', PLAN);
      const before = repoState(repo);
      const result = repo.pw(['setup', plan]);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('setup failed at "web: ');
      expect(result.stderr).toContain('the repository is as it was');
      expect(repo.git(['worktree', 'list', '--porcelain'])).not.toContain('pw/feat/');
      expect(existsSync(join(repo.root, 'repo.pw', 'feat', 'web'))).toBe(false);
      expect(repoState(repo)).toEqual(before);
    });

    /** A `git` first on PATH that runs the sh `lines` first, then the real git; returns the environment that puts it there. */
    const wrapGit = (lines: string[]): { PATH: string } => {
      const realGit = spawnSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).stdout.trim();
      const wrapperDir = join(repo.root, 'git-wrapper');
      repo.write(
        '../git-wrapper/git',
        ['#!/bin/sh', ...lines, `exec '${realGit}' "$@"`, ''].join('\n'),
      );
      chmodSync(join(wrapperDir, 'git'), 0o755);
      return { PATH: `${wrapperDir}:${process.env.PATH ?? ''}` };
    };
    /** `failWeb` (sh, then exit 128) for a `worktree add` of web, when `when` (an sh test) holds. */
    const wrapWebAdd = (when: string, failWeb: string[], more: string[] = []): { PATH: string } =>
      wrapGit([
        `if [ "$1" = worktree ] && [ "$2" = add ] && ${when}; then`,
        '  for arg; do case "$arg" in */web)',
        ...failWeb.map((line) => `    ${line}`),
        '    exit 128 ;;',
        '  esac; done',
        'fi',
        ...more,
      ]);

    it('tries an add that failed beside another once more, alone, when it left nothing behind', () => {
      // A git add reads every worktree's admin folder and can catch one an add
      // beside it is writing: git dies before making anything. The wrapper
      // fails web's first add that way; its next add runs the real git.
      const marker = join(repo.root, 'web-add-failed');
      const env = wrapWebAdd(`[ ! -e '${marker}' ]`, [
        `: > '${marker}'`,
        "echo 'fatal: failed to read .git/worktrees/api/commondir: Success' >&2",
      ]);
      const plan = writePlan(repo, 'plan.yaml', PLAN);
      const result = repo.pw(['setup', plan], { env });
      expect(existsSync(marker)).toBe(true);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      const listed = repo.git(['worktree', 'list', '--porcelain']);
      expect(listed).toContain('branch refs/heads/pw/feat/api');
      expect(listed).toContain('branch refs/heads/pw/feat/web');
    });

    it('does not try again an add that fails alone too: the rollback is whole', () => {
      const calls = join(repo.root, 'git-wrapper', 'web-adds');
      const env = wrapWebAdd('true', [
        `echo web >> '${calls}'`,
        "echo 'fatal: web cannot be added' >&2",
      ]);
      const plan = writePlan(repo, 'plan.yaml', PLAN);
      const before = repoState(repo);
      const result = repo.pw(['setup', plan], { env });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('fatal: web cannot be added');
      expect(result.stderr).toContain('the repository is as it was');
      expect(readFileSync(calls, 'utf8')).toBe('web\nweb\n');
      expect(repoState(repo)).toEqual(before);
    });

    it('rolls back whole when the worktree list before a retry fails', () => {
      const failed = join(repo.root, 'git-wrapper', 'web-add-failed');
      const listFailed = join(repo.root, 'git-wrapper', 'list-failed');
      const env = wrapWebAdd(
        `[ ! -e '${failed}' ]`,
        [`: > '${failed}'`, "echo 'fatal: failed to read .git/worktrees/api/commondir' >&2"],
        [
          `if [ "$1" = worktree ] && [ "$2" = list ] && [ -e '${failed}' ] && [ ! -e '${listFailed}' ]; then`,
          `  : > '${listFailed}'; echo 'fatal: cannot list' >&2; exit 128`,
          'fi',
        ],
      );
      const plan = writePlan(repo, 'plan.yaml', PLAN);
      const before = repoState(repo);
      const result = repo.pw(['setup', plan], { env });
      expect(existsSync(listFailed)).toBe(true);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('setup failed at "web: ');
      expect(result.stderr).toContain('the repository is as it was');
      expect(repo.git(['worktree', 'list', '--porcelain'])).not.toContain('pw/feat/');
      expect(repoState(repo)).toEqual(before);
    });

    it('rolls back a failed add under a worktree root reached through a symlink', () => {
      mkdirSync(join(repo.root, 'real'));
      symlinkSync(join(repo.root, 'real'), join(repo.root, 'link'));
      repo.write('.git/hooks/post-checkout', '#!/bin/sh\ncase "$PWD" in */web) exit 1 ;; esac\n');
      chmodSync(join(repo.dir, '.git/hooks/post-checkout'), 0o755);
      const plan = writePlan(
        repo,
        'plan.yaml',
        `${apiWebPlan(`worktreeRoot: ${join(repo.root, 'link', 'wt')}\n`)}    dependsOn: [api]\n`,
      );
      const before = repoState(repo);
      const result = repo.pw(['setup', plan]);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('the repository is as it was');
      expect(repo.git(['worktree', 'list', '--porcelain'])).not.toContain('pw/feat/');
      expect(existsSync(join(repo.root, 'real', 'wt', 'feat', 'web'))).toBe(false);
      expect(repoState(repo)).toEqual(before);
    });

    it('rolls back only what it created: a branch that moved meanwhile keeps its commit', () => {
      // A user hook commits on the web branch while setup checks it out.
      repo.write(
        '.git/hooks/post-checkout',
        '#!/bin/sh\ncase "$PWD" in */web) git commit -q --allow-empty -m "made meanwhile" ;; esac\n',
      );
      chmodSync(join(repo.dir, '.git/hooks/post-checkout'), 0o755);
      const plan = writePlan(repo, 'plan.yaml', PLAN);
      const result = repo.pw(['setup', plan], {
        env: { PW_TEST_FAIL_AT: 'configure-worktree:web' },
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('Rolling back left 1 problem');
      expect(result.stderr).toContain('left refs/heads/pw/feat/web in place');
      // api's branch, made by this run and untouched, is gone; web's new commit is not lost.
      expect(repo.gitResult(['rev-parse', '--verify', '-q', 'refs/heads/pw/feat/api']).status).toBe(
        1,
      );
      expect(repo.git(['log', '-1', '--format=%s', 'pw/feat/web'])).toBe('made meanwhile');
      expect(repo.git(['worktree', 'list', '--porcelain'])).not.toContain('feat/web');
    });

    it('keeps what an earlier run set up when a later run fails', () => {
      const plan = writePlan(repo, 'plan.yaml', PLAN);
      expect(repo.pw(['setup', plan]).status).toBe(0);
      writePlan(
        repo,
        'plan.yaml',
        `${PLAN}  - id: docs\n    owns: [/docs/]\n    task: Write docs.\n`,
      );
      const before = repoState(repo);
      const result = repo.pw(['setup', plan], { env: { PW_TEST_FAIL_AT: 'write-launch:docs' } });
      expect(result.status).toBe(1);
      expect(repoState(repo)).toEqual(before);
    });
  });
});

describe('environment', () => {
  it('exits 3 when git is older than 2.38', () => {
    const repo = createTempRepo();
    try {
      const bin = join(repo.root, 'old-git');
      const realGit = spawnSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).stdout.trim();
      repo.write(
        'git',
        `#!/bin/sh\nif [ "$1" = version ]; then echo "git version 2.30.2"; exit 0; fi\nexec ${realGit} "$@"\n`,
        bin,
      );
      chmodSync(join(bin, 'git'), 0o755);
      const result = repo.pw(['setup', 'plan.yaml'], { env: { PATH: `${bin}:${repo.env.PATH}` } });
      expect(result.status).toBe(3);
      expect(result.stderr).toContain(
        'git is too old: git version 2.30.2 (pw needs git 2.38 or newer)',
      );
    } finally {
      repo.cleanup();
    }
  });
  it('asks git its version once per git binary, and again when PATH leads to another git', () => {
    const repo = createPlanRepo();
    try {
      const bin = join(repo.root, 'counting-git');
      const log = join(repo.root, 'git-calls.log');
      const realGit = spawnSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).stdout.trim();
      const wrapper = (version: string): string =>
        `#!/bin/sh\necho "$1" >> '${log}'\nif [ "$1" = version ]; then echo "git version ${version}"; exit 0; fi\nexec ${realGit} "$@"\n`;
      repo.write('git', wrapper('2.45.1'), bin);
      chmodSync(join(bin, 'git'), 0o755);
      const env = { PATH: `${bin}:${repo.env.PATH}` };
      const versionCalls = (): number =>
        readFileSync(log, 'utf8')
          .split('\n')
          .filter((line) => line === 'version').length;

      expect(repo.pw(['status', '--json'], { env }).status).toBe(0);
      expect(versionCalls()).toBe(1);
      // In the user's cache folder, not the repository.
      const record = join(repo.root, 'home', '.cache', 'parallel-workflows', 'git-version');
      expect(readFileSync(record, 'utf8')).toMatch(/^2\.45\.1\n/);
      expect(repo.pw(['status', '--json'], { env }).status).toBe(0);
      expect(versionCalls()).toBe(1);

      // Another binary at the same place: the record is not its answer.
      rmSync(join(bin, 'git'));
      repo.write('git', wrapper('2.30.2'), bin);
      chmodSync(join(bin, 'git'), 0o755);
      const old = repo.pw(['status', '--json'], { env });
      expect(old.status).toBe(3);
      expect(old.stderr).toContain('git is too old: git version 2.30.2');
      expect(versionCalls()).toBe(2);

      // A git that answers again is recorded again.
      rmSync(join(bin, 'git'));
      repo.write('git', wrapper('2.45.1'), bin);
      chmodSync(join(bin, 'git'), 0o755);
      expect(repo.pw(['status', '--json'], { env }).status).toBe(0);
      expect(repo.pw(['status', '--json'], { env }).status).toBe(0);
      expect(versionCalls()).toBe(3);
    } finally {
      repo.cleanup();
    }
  });
});

describe('a worktree folder deleted by hand', () => {
  it('setup says git listed it and has it forgotten (branch and commits kept); setup again makes it again', () => {
    const repo = createTempRepo({ files: FILES });
    try {
      const plan = writePlan(repo, 'plan.yaml', PLAN);
      expect(repo.pw(['setup', plan]).status).toBe(0);
      const api = join(repo.root, 'repo.pw', 'feat', 'api');
      const tip = repo.git(['rev-parse', 'refs/heads/pw/feat/api']);
      rmSync(api, { recursive: true, force: true });
      const refused = repo.pw(['setup', plan]);
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toContain(
        `A worktree folder was deleted, and git still listed it (${api}): git forgets it now (its branch and commits stay).`,
      );
      expect(repo.git(['rev-parse', 'refs/heads/pw/feat/api'])).toBe(tip);
      expect(repo.pw(['setup', plan]).status).toBe(0);
      expect(existsSync(join(api, 'src/api/server.ts'))).toBe(true);
      expect(repo.git(['rev-parse', 'HEAD'], { cwd: api })).toBe(tip);
    } finally {
      repo.cleanup();
    }
  });
});

describe('several plans', () => {
  it('warns when another plan set up here could own the same paths, and points status at --plan', () => {
    const repo = createTempRepo({ files: FILES });
    try {
      expect(repo.pw(['setup', writePlan(repo, 'one.yaml', PLAN)]).status).toBe(0);
      /** A plan of one worker owning web's and the docs' paths. */
      const webAndDocsPlan = (file: string, name: string, id: string): string =>
        writePlan(
          repo,
          file,
          `name: ${name}\nworkers:\n  - id: ${id}\n    owns: [/src/web/, /docs/]\n    task: t\n`,
        );
      const other = webAndDocsPlan('two.yaml', 'other', 'docs');
      const result = repo.pw(['setup', other]);
      expect(result.status).toBe(0);
      expect(result.stderr).toContain(
        'pw: warning: ' +
          join(repo.root, 'two.yaml') +
          ': worker "docs" and worker "web" of plan "feat", also set up here, could both own a path such as "src/web/a"',
      );
      expect(result.stdout).toContain('Then follow them with: pw status --plan other');

      // Once feat is integrated and its branches hold nothing main lacks, it owns nothing any
      // more: a third plan on its paths is not warned about it (other is still at work).
      for (const id of ['api', 'web'])
        repo.git(['commit', '-q', '--allow-empty', '-m', `[COMPLETE] ${id} done`], {
          cwd: join(repo.root, 'repo.pw', 'feat', id),
        });
      expect(repo.pw(['integrate', '--plan', 'feat']).status).toBe(0);
      const third = webAndDocsPlan('three.yaml', 'third', 'pages');
      const after = repo.pw(['setup', third]);
      expect(after.status).toBe(0);
      expect(after.stderr).not.toContain('of plan "feat"');
      expect(after.stderr).toContain('worker "pages" and worker "docs" of plan "other"');
    } finally {
      repo.cleanup();
    }
  });
});
