import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPlanRepo } from '../helpers/plan-repo.js';
import { projectRoot, type TempRepo } from '../helpers/temp-repo.js';

// The user's own hooks still run after pw's, with the same arguments and
// stdin; uninstall and teardown put the configuration back exactly.

/**
 * Every config entry with its scope and file, and whether config.worktree
 * exists. `hooksOnly` leaves out what setup itself adds (worktreeConfig, pw.*),
 * for comparisons while a plan is still set up.
 */
function configSnapshot(
  repo: TempRepo,
  hooksOnly = false,
): { config: string; worktreeFile: boolean } {
  const config = repo
    .git(['config', '--list', '--show-scope', '--show-origin'])
    .split('\n')
    .filter((line) => !hooksOnly || !/\bextensions\.worktreeconfig=|\bpw\./.test(line))
    .join('\n');
  return { config, worktreeFile: existsSync(join(repo.dir, '.git', 'config.worktree')) };
}

function writeHook(dir: string, name: string, log: string): void {
  // Records the hook name, its arguments and its stdin (for hooks that get one).
  writeFileSync(
    join(dir, name),
    `#!/bin/sh\n{ echo "${name} $*"; case "${name}" in reference-transaction|pre-push|post-rewrite) cat ;; esac; } >> ${JSON.stringify(log)}\n`,
    { mode: 0o755 },
  );
}

describe('chaining to .git/hooks', () => {
  it('runs the user hooks after pw passes, with arguments and stdin, in worker and main worktrees', () => {
    let log = '';
    const repo = createPlanRepo({
      beforeSetup: (r) => {
        log = join(r.root, 'user-hooks.log');
        for (const name of [
          'pre-commit',
          'commit-msg',
          'post-commit',
          'reference-transaction',
          'pre-push',
        ])
          writeHook(join(r.dir, '.git', 'hooks'), name, log);
      },
    });
    try {
      const api = repo.wt('api');
      writeFileSync(log, '');
      repo.write('src/api/server.ts', 'export const api = "chained";\n', api);
      expect(repo.commit(api, '[CHECKPOINT] chained').status).toBe(0);
      const sha = repo.git(['rev-parse', 'HEAD'], { cwd: api });
      const parent = repo.git(['rev-parse', 'HEAD~1'], { cwd: api });
      const text = readFileSync(log, 'utf8');
      expect(text).toContain('pre-commit \n');
      expect(text).toMatch(/commit-msg .*COMMIT_EDITMSG\n/);
      expect(text).toContain(
        `reference-transaction prepared\n${parent} ${sha} HEAD\n${parent} ${sha} refs/heads/pw/demo/api\n`,
      );
      expect(text).toContain('reference-transaction committed\n');
      expect(text).toContain('post-commit \n');

      // A refused commit does not reach the user's hooks.
      writeFileSync(log, '');
      repo.write('src/web/app.ts', 'export const app = "no";\n', api);
      expect(repo.commit(api, '[CHECKPOINT] refused').status).not.toBe(0);
      expect(readFileSync(log, 'utf8')).toBe('');
      repo.git(['reset', '-q', '--hard'], { cwd: api });

      // The main worktree: pw only guards worker branches there; the user's hooks run as before.
      writeFileSync(log, '');
      repo.write('README.md', '# main edit\n');
      repo.commitAll('an ordinary commit on main');
      const main = readFileSync(log, 'utf8');
      expect(main).toContain('pre-commit \n');
      expect(main).toMatch(/reference-transaction prepared\n[0-9a-f]+ [0-9a-f]+ HEAD\n/);
      expect(main).toContain('post-commit \n');

      // pre-push gets its stdin too.
      const hub = join(repo.root, 'hub.git');
      repo.git(['init', '-q', '--bare', hub]);
      writeFileSync(log, '');
      expect(repo.gitResult(['push', '-q', hub, 'pw/demo/api'], { cwd: api }).status).toBe(0);
      expect(readFileSync(log, 'utf8')).toMatch(
        new RegExp(
          `pre-push ${hub} ${hub}\\nrefs/heads/pw/demo/api ${sha} refs/heads/pw/demo/api 0{40}\\n`,
        ),
      );

      // A hook the user adds later: status says so, and install wires it.
      writeHook(join(repo.dir, '.git', 'hooks'), 'post-merge', log);
      const status = repo.pw(['hooks', 'status']);
      expect(status.status).toBe(1);
      expect(status.stdout).toContain('has post-merge since pw installed its hooks');
      expect(repo.pw(['hooks', 'install']).status).toBe(0);
      expect(repo.pw(['hooks', 'status']).status).toBe(0);
    } finally {
      repo.cleanup();
    }
  });
});

describe('the hooks that push to a hub', () => {
  it('a worker installed before it pushed is said to lack them, and pw hooks install adds them', () => {
    const repo = createPlanRepo();
    try {
      const dir = join(repo.commonDir, 'pw', 'demo', 'hooks', 'api');
      expect(readdirSync(dir)).not.toContain('post-commit');
      // What pw join and pw publish write to switch a worker's pushes on.
      mkdirSync(join(repo.commonDir, 'pw', 'demo', 'push'));
      writeFileSync(
        join(repo.commonDir, 'pw', 'demo', 'push', 'api.conf'),
        `${join(repo.root, 'hub.git')}\npw/demo/api\n${repo.dir}\n`,
      );
      const status = repo.pw(['hooks', 'status']);
      expect(status.status).toBe(1);
      expect(status.stdout).toContain(
        'api: its commits go to a hub, but the hooks that push them (post-commit, post-merge) are not installed; run pw hooks install',
      );
      expect(repo.pw(['hooks', 'install']).status).toBe(0);
      expect(readdirSync(dir)).toEqual(expect.arrayContaining(['post-commit', 'post-merge']));
      expect(repo.pw(['hooks', 'status']).status).toBe(0);
    } finally {
      repo.cleanup();
    }
  });
});

describe('restoring the configuration', () => {
  it('pw hooks uninstall, install and teardown leave core.hooksPath exactly as they found it', () => {
    let before = { config: '', worktreeFile: false };
    let beforeHooks = before;
    const repo = createPlanRepo({
      beforeSetup: (r) => {
        r.git(['config', 'core.hooksPath', '.githooks']);
        before = configSnapshot(r);
        beforeHooks = configSnapshot(r, true);
      },
    });
    try {
      const api = repo.wt('api');
      const installed = JSON.parse(repo.pw(['hooks', 'status', '--json']).stdout) as {
        workers: { state: string; chain: string }[];
        main: { state: string; chain: string };
      };
      expect(installed.workers.map((w) => w.state)).toEqual(['active', 'active', 'active']);
      expect(installed.main).toMatchObject({ state: 'active', chain: '.githooks' });
      expect(installed.workers[0]!.chain).toBe('.githooks');

      expect(repo.pw(['hooks', 'uninstall', '--worker', 'api']).status).toBe(0);
      expect(
        repo.gitResult(['config', '--worktree', '--get', 'core.hooksPath'], { cwd: api }).status,
      ).toBe(1);
      expect(repo.git(['config', 'core.hooksPath'], { cwd: api })).toBe('.githooks');
      const other = repo.git(['config', 'core.hooksPath'], { cwd: repo.wt('web') });
      expect(other).toContain('/pw/demo/hooks/web');

      expect(repo.pw(['hooks', 'uninstall']).status).toBe(0);
      expect(configSnapshot(repo, true)).toEqual(beforeHooks);
      expect(existsSync(join(repo.commonDir, 'pw', '_main-hooks'))).toBe(false);
      expect(existsSync(join(repo.commonDir, 'pw', 'demo', 'hooks'))).toBe(false);

      expect(repo.pw(['hooks', 'install']).status).toBe(0);
      expect(repo.pw(['hooks', 'status']).status).toBe(0);
      // Idempotent: a second install changes nothing.
      const files = readdirSync(join(repo.commonDir, 'pw', 'demo', 'hooks', 'api')).sort();
      expect(repo.pw(['hooks', 'install']).status).toBe(0);
      expect(readdirSync(join(repo.commonDir, 'pw', 'demo', 'hooks', 'api')).sort()).toEqual(files);
      // setup again sees the hooks in place.
      const again = JSON.parse(repo.pw(['setup', 'plan.yaml', '--json']).stdout) as {
        actions: string[];
      };
      expect(again.actions.filter((a) => a.includes('hooks'))).toEqual([]);

      // A worktree the user added meanwhile copied the main worktree's hooks path; teardown gives it back.
      const extra = join(repo.root, 'extra');
      repo.git(['worktree', 'add', '-q', extra, '-b', 'extra']);
      expect(repo.git(['config', 'core.hooksPath'], { cwd: extra })).toContain('_main-hooks');
      expect(repo.pw(['teardown', '--force']).status).toBe(0);
      expect(repo.git(['config', 'core.hooksPath'], { cwd: extra })).toBe('.githooks');
      repo.git(['worktree', 'remove', '--force', extra]);
      expect(configSnapshot(repo)).toEqual(before);
    } finally {
      repo.cleanup();
    }
  });
});

describe('two plans at once', () => {
  it("share the main worktree's hooks, which stay until the last plan is torn down", () => {
    const repo = createPlanRepo();
    try {
      repo.write(
        'second.yaml',
        'name: second\nworkers:\n  - id: docs\n    owns: ["/docs/guide/"]\n    task: Write the guide.\n',
      );
      repo.git(['add', 'second.yaml']);
      repo.git(['commit', '-q', '-m', 'second plan']);
      expect(repo.pw(['setup', 'second.yaml', '--json']).status).toBe(0);
      const docs = join(repo.root, 'repo.pw', 'second', 'docs');
      repo.write('docs/guide/intro.md', '# guide\n', docs);
      expect(repo.commit(docs, '[CHECKPOINT] intro').status).toBe(0);
      repo.write('src/api/server.ts', 'export const api = "docs";\n', docs);
      expect(repo.commit(docs, '[CHECKPOINT] not mine').status).not.toBe(0);
      repo.git(['reset', '-q', '--hard'], { cwd: docs });
      // A worker of one plan may not move the other plan's branches.
      const foreign = repo.gitResult(['update-ref', 'refs/heads/pw/demo/db', 'HEAD'], {
        cwd: docs,
      });
      expect(foreign.status).not.toBe(0);
      expect(foreign.stderr).toContain('it is the branch of worker db (plan demo)');

      expect(repo.pw(['teardown', 'demo', '--force']).status).toBe(0);
      const status = JSON.parse(
        repo.pw(['hooks', 'status', '--plan', 'second', '--json']).stdout,
      ) as {
        main: { state: string };
      };
      expect(status.main.state).toBe('active');
      expect(repo.git(['config', '--worktree', 'core.hooksPath'])).toContain('_main-hooks');
      expect(repo.pw(['teardown', 'second', '--force']).status).toBe(0);
      expect(repo.gitResult(['config', 'core.hooksPath']).status).toBe(1);
      expect(existsSync(join(repo.commonDir, 'pw', '_main-hooks'))).toBe(false);
    } finally {
      repo.cleanup();
    }
  });
});

describe('husky v9', () => {
  it('chains to husky, also after npm install re-runs husky in a worker worktree, and pw stays active', () => {
    const husky = join(projectRoot, 'node_modules', 'husky');
    const npm = (cwd: string, repo: TempRepo) => {
      const result = spawnSync(
        'npm',
        ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error'],
        {
          cwd,
          env: repo.env,
          encoding: 'utf8',
        },
      );
      if (result.status !== 0) throw new Error(`npm install failed: ${result.stderr}`);
    };
    let log = '';
    let before = { config: '', worktreeFile: false };
    const repo = createPlanRepo({
      files: {
        'package.json': `${JSON.stringify(
          {
            name: 'demo',
            private: true,
            scripts: { prepare: 'husky' },
            devDependencies: { husky: `file:${husky}` },
          },
          null,
          2,
        )}\n`,
        '.gitignore': 'node_modules/\npackage-lock.json\n',
        '.husky/pre-commit': 'echo "husky pre-commit in $(pwd)" >> "$PW_TEST_LOG"\n',
        '.husky/commit-msg': 'echo "husky commit-msg $(head -n1 "$1")" >> "$PW_TEST_LOG"\n',
        'src/api/server.ts': 'export const api = 1;\n',
        'src/web/app.ts': 'export const app = 1;\n',
        'src/db/schema.ts': 'export const schema = 1;\n',
      },
      beforeSetup: (r) => {
        log = join(r.root, 'husky.log');
        npm(r.dir, r);
        expect(r.git(['config', '--local', 'core.hooksPath'])).toBe('.husky/_');
        before = configSnapshot(r);
      },
    });
    try {
      const env = { PW_TEST_LOG: log };
      const api = repo.wt('api');
      // No .husky/_ in the new worktree yet (git ignores it; npm install has not run
      // there): pw hands over to the main worktree's, so the project's hooks still run.
      expect(existsSync(join(api, '.husky', '_'))).toBe(false);
      const status = (): string => {
        const result = repo.pw(['hooks', 'status', '--worker', 'api']);
        expect(result.status, result.stdout + result.stderr).toBe(0);
        return result.stdout;
      };
      expect(status()).toContain(".husky/_ (the main worktree's)");
      repo.write('src/api/server.ts', 'export const api = 2;\n', api);
      expect(repo.commit(api, '[CHECKPOINT] before npm install', { env }).status).toBe(0);
      expect(readFileSync(log, 'utf8')).toBe(
        `husky pre-commit in ${api}\nhusky commit-msg [CHECKPOINT] before npm install\n`,
      );
      // A refused commit does not reach husky there either.
      repo.write('src/web/app.ts', 'export const app = 2;\n', api);
      expect(repo.commit(api, '[CHECKPOINT] out of scope', { env }).status).not.toBe(0);
      repo.git(['reset', '-q', '--hard'], { cwd: api });
      expect(readFileSync(log, 'utf8').split('\n')).toHaveLength(3);
      // Without husky's folder in either worktree, status says so and commits go on without it.
      renameSync(join(repo.dir, '.husky', '_'), join(repo.root, 'husky-folder'));
      expect(repo.pw(['hooks', 'status', '--worker', 'api']).stdout).toMatch(
        /^api +\S+ +\S+ +\.husky\/_ \(missing in this worktree\)$/m,
      );
      repo.write('src/api/server.ts', 'export const api = 2.5;\n', api);
      expect(repo.commit(api, '[CHECKPOINT] no husky anywhere', { env }).status).toBe(0);
      renameSync(join(repo.root, 'husky-folder'), join(repo.dir, '.husky', '_'));
      writeFileSync(log, '');

      // The agent runs npm install: husky's prepare writes core.hooksPath=.husky/_ to the shared config again.
      npm(api, repo);
      expect(
        repo.git(['config', '--show-scope', '--get-all', 'core.hooksPath'], { cwd: api }),
      ).toBe(`local\t.husky/_\nworktree\t${join(repo.commonDir, 'pw', 'demo', 'hooks', 'api')}`);
      expect(status()).not.toContain('.husky/_ (');

      repo.write('src/api/server.ts', 'export const api = 3;\n', api);
      expect(repo.commit(api, '[CHECKPOINT] with husky', { env }).status).toBe(0);
      expect(readFileSync(log, 'utf8')).toBe(
        `husky pre-commit in ${api}\nhusky commit-msg [CHECKPOINT] with husky\n`,
      );

      // pw still refuses first; husky does not run for a refused commit.
      repo.write('src/web/app.ts', 'export const app = 3;\n', api);
      const refused = repo.commit(api, '[CHECKPOINT] out of scope', { env });
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toContain('src/web/app.ts  owned by web');
      expect(readFileSync(log, 'utf8').split('\n')).toHaveLength(3);
      // HUSKY=0 switches husky off, not pw.
      const off = repo.commit(api, '[CHECKPOINT] husky off', { env: { ...env, HUSKY: '0' } });
      expect(off.status).not.toBe(0);
      repo.git(['reset', '-q', '--hard'], { cwd: api });
      repo.write('src/api/server.ts', 'export const api = 4;\n', api);
      expect(
        repo.commit(api, '[CHECKPOINT] husky skipped', { env: { ...env, HUSKY: '0' } }).status,
      ).toBe(0);
      expect(readFileSync(log, 'utf8').split('\n')).toHaveLength(3);

      // The main worktree keeps running husky.
      repo.write('README.md', '# main\n');
      repo.git(['add', '-A']);
      expect(repo.gitResult(['commit', '-q', '-m', 'main commit'], { env }).status).toBe(0);
      expect(readFileSync(log, 'utf8')).toContain(`husky pre-commit in ${repo.dir}\n`);

      expect(repo.pw(['teardown', '--force']).status).toBe(0);
      expect(configSnapshot(repo)).toEqual(before);
    } finally {
      repo.cleanup();
    }
  });
});
