import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPlanRepo, type PlanRepo } from '../helpers/plan-repo.js';

// Every way round the commit hooks, and the layer that catches it
// (DESIGN.md section 5). Each case starts from api's branch as it is.

let repo: PlanRepo;
let api: string;
let web: string;

beforeAll(() => {
  repo = createPlanRepo();
  api = repo.wt('api');
  web = repo.wt('web');
});
afterAll(() => repo.cleanup());
beforeEach(() => {
  for (const cwd of [api, web]) {
    repo.gitResult(['rebase', '--abort'], { cwd });
    repo.gitResult(['cherry-pick', '--abort'], { cwd });
    repo.git(['reset', '-q', '--hard'], { cwd });
    repo.git(['clean', '-fdq'], { cwd });
  }
});

const tip = (branch = 'pw/demo/api'): string => repo.git(['rev-parse', `refs/heads/${branch}`]);
const lastRefusal = () => repo.refusals().at(-1)!;

/** A commit on top of `parent` that changes `path` (made with plumbing, so no hook sees it). */
function commitOnTop(parent: string, path: string, content: string, message: string): string {
  const index = join(repo.root, `index-${Date.now()}-${Math.random()}`);
  const env = { GIT_INDEX_FILE: index };
  repo.git(['read-tree', parent], { env });
  const blob = repo.git(['hash-object', '-w', '--stdin'], { input: content });
  repo.git(['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], { env });
  const tree = repo.git(['write-tree'], { env });
  return repo.git(['commit-tree', tree, '-p', parent, '-m', message]);
}

/** Runs `fn` with pw itself unreachable from web's hooks: only their sh part can let a change through. */
function withoutPw(fn: () => void): void {
  const hook = join(repo.commonDir, 'pw', 'demo', 'hooks', 'web', 'reference-transaction');
  const original = readFileSync(hook, 'utf8');
  writeFileSync(hook, original.replace(/^PW_BIN=.*$/m, "PW_BIN='/nonexistent/pw.js'"));
  try {
    fn();
  } finally {
    writeFileSync(hook, original);
  }
}

function expectRefByRefTransaction(
  result: { status: number; stderr: string },
  path: string,
  owner: string,
): void {
  expect(result.status).not.toBe(0);
  expect(result.stderr).toContain('update of pw/demo/api refused');
  expect(result.stderr).toContain(`${path}  owned by ${owner}`);
  expect(lastRefusal()).toMatchObject({
    hook: 'reference-transaction',
    worker: 'api',
    kind: 'scope',
  });
}

describe('reference-transaction catches what skips pre-commit', () => {
  it('commit --no-verify', () => {
    const before = tip();
    repo.write('src/web/app.ts', 'export const app = "no-verify";\n', api);
    const result = repo.commit(api, '[CHECKPOINT] sneaky', { args: ['--no-verify'] });
    expectRefByRefTransaction(result, 'src/web/app.ts', 'web');
    expect(tip()).toBe(before);
  });

  it('commit -a of a file another worker owns: said as what -a took, not as still staged', () => {
    const before = tip();
    repo.write('src/api/server.ts', 'export const api = "mine";\n', api);
    repo.write('src/web/app.ts', 'export const app = "commit -a";\n', api);
    repo.git(['add', 'src/api/server.ts'], { cwd: api });
    const result = repo.gitResult(['commit', '-q', '-a', '-m', '[CHECKPOINT] everything'], {
      cwd: api,
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      'pw: commit refused: git commit -a took 1 path outside the files of worker api (plan demo).',
    );
    expect(result.stderr).toContain('src/web/app.ts  owned by web');
    expect(result.stderr).toContain(
      'The update of pw/demo/api refused: nothing was committed, and your files and index are as they were before git commit -a: nothing outside your files is staged.',
    );
    expect(result.stderr).not.toContain('git restore --staged');
    expect(tip()).toBe(before);
    // As said: what was staged still is, the other edit is in the file, unstaged.
    expect(repo.git(['diff', '--cached', '--name-only'], { cwd: api })).toBe('src/api/server.ts');
    expect(repo.git(['diff', '--name-only'], { cwd: api })).toBe('src/web/app.ts');
    expect(lastRefusal()).toMatchObject({
      hook: 'reference-transaction',
      worker: 'api',
      staged: false,
    });
    // Staged before commit -a: still staged after the refusal, and said so.
    repo.git(['add', 'src/web/app.ts'], { cwd: api });
    repo.write('src/api/server.ts', 'export const api = "mine, edited again";\n', api);
    const again = repo.gitResult(['commit', '-q', '-a', '-m', '[CHECKPOINT] everything'], {
      cwd: api,
    });
    expect(again.status).not.toBe(0);
    expect(again.stderr).toContain(
      '  - unstage what you had staged of them: git restore --staged -- src/web/app.ts\n',
    );
    expect(again.stderr).toContain(
      'as they were before git commit -a: 1 path outside your files is still staged (src/web/app.ts).',
    );
    expect(repo.git(['diff', '--cached', '--name-only'], { cwd: api })).toBe(
      'src/api/server.ts\nsrc/web/app.ts',
    );
    expect(lastRefusal()).toMatchObject({ staged: true });
  });

  it('commit with HUSKY=0 is still refused (pw ignores it)', () => {
    repo.write('src/web/app.ts', 'export const app = "husky0";\n', api);
    const result = repo.commit(api, '[CHECKPOINT] husky off', { env: { HUSKY: '0' } });
    expect(result.status).not.toBe(0);
    expect(lastRefusal()).toMatchObject({ hook: 'reference-transaction', staged: true });
  });

  it("cherry-pick of a commit that touches another worker's file", () => {
    const foreign = commitOnTop(tip('main'), 'src/db/schema.ts', 'x\n', '[CHECKPOINT] db thing');
    const before = tip();
    const result = repo.gitResult(['cherry-pick', foreign], { cwd: api });
    expectRefByRefTransaction(result, 'src/db/schema.ts', 'db');
    expect(tip()).toBe(before);
  });

  it('rebase onto a branch that carries a foreign change', () => {
    repo.write('src/api/server.ts', 'export const api = "rebase";\n', api);
    expect(repo.commit(api, '[CHECKPOINT] before rebase').status).toBe(0);
    const before = tip();
    const stray = commitOnTop(tip('main'), 'README.md', '# stray\n', 'stray readme');
    repo.git(['branch', '-f', 'stray', stray]);
    const result = repo.gitResult(['rebase', '-q', 'stray'], { cwd: api });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('update of pw/demo/api refused');
    expect(result.stderr).toContain('README.md  owned by nobody');
    expect(tip()).toBe(before);
  });

  it('reset --hard to a commit with a foreign change', () => {
    const evil = commitOnTop(tip(), 'src/web/app.ts', 'reset\n', '[CHECKPOINT] evil');
    const before = tip();
    const result = repo.gitResult(['reset', '-q', '--hard', evil], { cwd: api });
    expectRefByRefTransaction(result, 'src/web/app.ts', 'web');
    expect(tip()).toBe(before);
  });

  it('commit-tree + update-ref, with and without the old value', () => {
    const evil = commitOnTop(tip(), 'src/db/schema.ts', 'update-ref\n', '[CHECKPOINT] plumbing');
    const before = tip();
    expectRefByRefTransaction(
      repo.gitResult(['update-ref', 'refs/heads/pw/demo/api', evil, before], { cwd: api }),
      'src/db/schema.ts',
      'db',
    );
    expectRefByRefTransaction(
      repo.gitResult(['update-ref', 'refs/heads/pw/demo/api', evil], { cwd: api }),
      'src/db/schema.ts',
      'db',
    );
    expect(lastRefusal()).toMatchObject({ actor: 'api', worktree: api });
    expect(tip()).toBe(before);
  });

  it("the main worktree, and another worker's worktree, writing the branch", () => {
    const evil = commitOnTop(tip(), 'src/web/app.ts', 'from main\n', '[CHECKPOINT] from main');
    const before = tip();
    expectRefByRefTransaction(
      repo.gitResult(['update-ref', 'refs/heads/pw/demo/api', evil]),
      'src/web/app.ts',
      'web',
    );
    // The move was made from the main worktree, not by api: the event says who and where.
    expect(lastRefusal()).toMatchObject({ actor: null, worktree: repo.dir });
    // From another worker's worktree any move of api's branch is refused, even one inside api's scope.
    const fine = commitOnTop(tip(), 'src/api/server.ts', 'from web\n', '[CHECKPOINT] from web');
    const foreign = repo.gitResult(['update-ref', 'refs/heads/pw/demo/api', fine], { cwd: web });
    expect(foreign.status).not.toBe(0);
    expect(foreign.stderr).toContain(
      'update of pw/demo/api refused: it is the branch of worker api (plan demo), and this is the worktree of worker web',
    );
    expect(lastRefusal()).toMatchObject({
      hook: 'reference-transaction',
      worker: 'web',
      kind: 'foreign-branch',
    });
    expect(tip()).toBe(before);
    // A worktree the user adds later copies the main worktree's hooks (git worktree add copies config.worktree).
    const extra = join(repo.root, 'extra');
    repo.git(['worktree', 'add', '-q', extra, '-b', 'extra']);
    expectRefByRefTransaction(
      repo.gitResult(['update-ref', 'refs/heads/pw/demo/api', evil], { cwd: extra }),
      'src/web/app.ts',
      'web',
    );
    repo.git(['worktree', 'remove', '--force', extra]);
  });

  it("a merge of another worker's tip is judged in sh (no pw process); a merge that also changes that worker's files is refused", () => {
    // api delivers on its branch; web merges api's tip, as pw run does before web starts.
    repo.write('src/api/server.ts', 'export const api = "delivered";\n', api);
    expect(repo.commit(api, '[CHECKPOINT] delivered\n\nProvides: server').status).toBe(0);
    repo.git(['reset', '-q', '--hard', 'pw/demo/web'], { cwd: web });
    const webTip = tip('pw/demo/web');
    withoutPw(() => {
      const merge = repo.gitResult(
        ['merge', '-q', '--no-ff', '--no-edit', '--no-verify', 'pw/demo/api'],
        { cwd: web },
      );
      expect(merge.stderr).toBe('');
      expect(merge.status).toBe(0);
    });
    expect(repo.git(['rev-parse', 'HEAD^2'], { cwd: web })).toBe(tip());
    repo.git(['reset', '-q', '--hard', webTip], { cwd: web });
    // The same merge, plus a change of api's file that neither parent has: pw must judge it,
    // and cannot here, so it is refused and nothing moves.
    expect(
      repo.gitResult(['merge', '-q', '--no-ff', '--no-commit', 'pw/demo/api'], { cwd: web }).status,
    ).toBe(0);
    repo.write('src/api/server.ts', 'export const api = "changed by web";\n', web);
    repo.git(['add', '-A'], { cwd: web });
    withoutPw(() => {
      const evil = repo.gitResult(['commit', '-q', '--no-verify', '--no-edit'], { cwd: web });
      expect(evil.status).not.toBe(0);
      expect(evil.stderr).toContain('cannot start pw');
    });
    expect(tip('pw/demo/web')).toBe(webTip);
    // With pw back, the evil merge is refused as a scope violation of web.
    const refused = repo.gitResult(['commit', '-q', '--no-verify', '--no-edit'], { cwd: web });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('src/api/server.ts  owned by api');
    expect(tip('pw/demo/web')).toBe(webTip);
    repo.gitResult(['merge', '--abort'], { cwd: web });
  });

  it('a merge of the base, at its tip or at an older commit of it, is judged in sh (no pw process)', () => {
    const base = repo.git(['rev-parse', 'refs/heads/main']);
    const older = commitOnTop(base, 'README.md', '# older\n', 'docs: older');
    const newer = commitOnTop(older, 'README.md', '# newer\n', 'docs: newer');
    const webTip = tip('pw/demo/web');
    repo.git(['update-ref', 'refs/heads/main', newer, base]);
    try {
      withoutPw(() => {
        for (const commit of [older, newer]) {
          const merge = repo.gitResult(
            ['merge', '-q', '--no-ff', '--no-edit', '--no-verify', commit],
            { cwd: web },
          );
          expect(merge.stderr).toBe('');
          expect(merge.status).toBe(0);
          expect(repo.git(['rev-parse', 'HEAD^2'], { cwd: web })).toBe(commit);
        }
      });
    } finally {
      repo.git(['reset', '-q', '--hard', webTip], { cwd: web });
      repo.git(['update-ref', 'refs/heads/main', base]);
    }
  });

  it('lets compliant updates through: amend, reset back, fast-forward to a provider, merges, no-ops, deletion', () => {
    repo.write('src/api/server.ts', 'export const api = "amend";\n', api);
    expect(repo.commit(api, '[CHECKPOINT] to amend').status).toBe(0);
    repo.write('src/api/routes.ts', 'export const routes = ["amended"];\n', api);
    expect(repo.commit(api, '[CHECKPOINT] amended', { args: ['--amend'] }).status).toBe(0);
    expect(repo.gitResult(['reset', '-q', '--hard', 'HEAD~1'], { cwd: api }).status).toBe(0);
    // web delivers; api fast-forwards to it (a provider's commits are not api's own).
    repo.git(['reset', '-q', '--hard', 'pw/demo/api'], { cwd: web });
    repo.write('src/web/app.ts', 'export const app = "provided";\n', web);
    expect(repo.commit(web, '[CHECKPOINT] the form\n\nProvides: form').status).toBe(0);
    const ff = repo.gitResult(['merge', '-q', '--ff-only', 'pw/demo/web'], { cwd: api });
    expect(ff.stderr).toBe('');
    expect(ff.status).toBe(0);
    repo.write('docs/main-only.md', 'main\n');
    repo.commitAll('main moves');
    expect(repo.gitResult(['merge', '-q', '--no-edit', 'main'], { cwd: api }).status).toBe(0);
    const count = repo.refusals().length;
    expect(repo.gitResult(['update-ref', 'refs/heads/pw/demo/api', tip(), tip()]).status).toBe(0);
    expect(repo.refusals()).toHaveLength(count);
  });

  it("squash-merging a provider makes its changes the worker's own: refused", () => {
    repo.git(['reset', '-q', '--hard', 'pw/demo/api'], { cwd: web });
    repo.write('src/web/app.ts', 'export const app = "squash";\n', web);
    expect(repo.commit(web, '[CHECKPOINT] web for squash').status).toBe(0);
    expect(repo.gitResult(['merge', '-q', '--squash', 'pw/demo/web'], { cwd: api }).status).toBe(0);
    const result = repo.gitResult(['commit', '-q', '-m', '[CHECKPOINT] squashed'], { cwd: api });
    expect(result.status).not.toBe(0);
    expect(lastRefusal()).toMatchObject({ hook: 'reference-transaction', worker: 'api' });
  });
});

describe('moves that bring no new commit of the worker, yet change what it hands in', () => {
  it('a merge with an older commit of the base whose tree drops a file outside the scope: refused by the hooks and found by pw check', () => {
    repo.write('docs/first.md', 'first\n');
    const older = repo.commitAll('main: first');
    expect(repo.gitResult(['merge', '-q', '--no-edit', 'main'], { cwd: api }).status).toBe(0);
    repo.write('docs/later.md', 'later\n');
    repo.commitAll('main: later');
    expect(repo.gitResult(['merge', '-q', '--no-edit', 'main'], { cwd: api }).status).toBe(0);
    const before = tip();
    // api's tree without docs/later.md, as a merge with the older commit (which lacks it):
    // no combined diff shows the drop, since the merge takes the file from that parent.
    const env = { GIT_INDEX_FILE: join(repo.root, 'index-old-merge') };
    repo.git(['read-tree', before], { env });
    repo.git(['update-index', '--force-remove', 'docs/later.md'], { env });
    const tree = repo.git(['write-tree'], { env });
    const merge = repo.git(['commit-tree', tree, '-p', before, '-p', older, '-m', "Merge 'main'"]);
    const moved = repo.gitResult(['merge', '-q', '--ff-only', merge], { cwd: api });
    expect(moved.status).not.toBe(0);
    expect(moved.stderr).toContain('docs/later.md');
    expect(tip()).toBe(before);
    // With the hooks off, pw check finds it.
    const off = ['-c', 'core.hooksPath=/dev/null'];
    repo.git([...off, 'update-ref', 'refs/heads/pw/demo/api', merge, before]);
    const check = repo.pw(['check', '--worker', 'api']);
    expect(check.status).not.toBe(0);
    expect(check.stdout).toContain('docs/later.md');
    repo.git([...off, 'update-ref', 'refs/heads/pw/demo/api', before, merge]);
  });

  it("moving the base from a worker's worktree to a commit no branch holds (detached HEAD, a tag): judged and refused", () => {
    const base = repo.git(['rev-parse', 'refs/heads/main']);
    repo.git(['checkout', '-q', '--detach'], { cwd: api });
    try {
      repo.write('src/web/app.ts', 'export const app = "from api, detached";\n', api);
      repo.git(['commit', '-q', '-am', '[CHECKPOINT] detached'], { cwd: api });
      const evil = repo.git(['rev-parse', 'HEAD'], { cwd: api });
      const moved = repo.gitResult(['update-ref', 'refs/heads/main', evil], { cwd: api });
      expect(moved.status).not.toBe(0);
      expect(moved.stderr).toContain('src/web/app.ts  owned by web');
      repo.git(['tag', 'pw-test-evil', evil]);
      const viaTag = repo.gitResult(['update-ref', 'refs/heads/main', 'pw-test-evil'], {
        cwd: api,
      });
      expect(viaTag.status).not.toBe(0);
      expect(repo.git(['rev-parse', 'refs/heads/main'])).toBe(base);
    } finally {
      repo.gitResult(['tag', '-d', 'pw-test-evil']);
      repo.git(['checkout', '-q', '-f', 'pw/demo/api'], { cwd: api });
    }
  });
});

describe('deleting from a worker worktree', () => {
  it("refuses another worker's branch, its own, the base and pw's records; its own topic branch goes", () => {
    repo.git(['update-ref', 'refs/pw/archive/demo/keep', 'refs/heads/main']);
    const refs = (): string => repo.git(['for-each-ref', '--format=%(refname) %(objectname)']);
    const before = refs();
    for (const ref of [
      'refs/heads/pw/demo/web',
      'refs/heads/pw/demo/api',
      'refs/heads/main',
      'refs/pw/archive/demo/keep',
    ]) {
      const deleted = repo.gitResult(['update-ref', '-d', ref], { cwd: api });
      expect(deleted.status, ref).not.toBe(0);
      expect(deleted.stderr).toContain(`pw: worker api may not delete ${ref}`);
    }
    expect(refs()).toBe(before);
    repo.git(['branch', 'api-topic'], { cwd: api });
    expect(repo.gitResult(['branch', '-D', 'api-topic'], { cwd: api }).status).toBe(0);
    repo.git(['update-ref', '-d', 'refs/pw/archive/demo/keep']);
  });
});

describe('what only pre-push and pw check catch', () => {
  it('a bad message with --no-verify, and commits with -c core.hooksPath=/dev/null, are found by pw check', () => {
    const before = tip();
    expect(
      repo.gitResult(['commit', '-q', '--allow-empty', '--no-verify', '-m', 'wip no prefix'], {
        cwd: api,
      }).status,
    ).toBe(0);
    repo.write('src/db/schema.ts', 'export const schema = "hooks off";\n', api);
    repo.git(['add', '-A'], { cwd: api });
    expect(
      repo.gitResult(
        ['-c', 'core.hooksPath=/dev/null', 'commit', '-q', '-m', '[CHECKPOINT] hooks off'],
        { cwd: api },
      ).status,
    ).toBe(0);
    const check = repo.pw(['check', '--worker', 'api', '--json']);
    expect(check.status).toBe(1);
    const report = JSON.parse(check.stdout) as { violations: Record<string, unknown>[] };
    expect(report.violations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ worker: 'api', kind: 'protocol', header: 'wip no prefix' }),
        expect.objectContaining({
          worker: 'api',
          kind: 'scope',
          path: 'src/db/schema.ts',
          owner: 'db',
        }),
      ]),
    );
    // Clean them up again for the next case (hooks off: the reset itself would be judged fine anyway).
    repo.git(['-c', 'core.hooksPath=/dev/null', 'reset', '-q', '--hard', before], { cwd: api });
    const clean = repo.pw(['check', '--worker', 'api']);
    expect(clean.status, clean.stdout).toBe(0);
  });

  it('an edited trusted scope or hook does not widen the scope for pw check', () => {
    const scopeFile = join(repo.commonDir, 'pw', 'demo', 'scopes', 'api.pathspecs');
    const hook = join(repo.commonDir, 'pw', 'demo', 'hooks', 'api', 'reference-transaction');
    const planFile = join(repo.commonDir, 'pw', 'demo', 'plan.json');
    const saved = [scopeFile, hook, planFile].map((path) => readFileSync(path, 'utf8'));
    try {
      appendFileSync(scopeFile, ':(top,glob)src/web/**\n');
      // Widen the baked excludes: the hook now also lets src/web through.
      writeFileSync(hook, saved[1]!.replace('pw_bake ', "pw_bake ':(exclude)src/web' "));
      const plan = JSON.parse(saved[2]!) as { workers: { id: string; owns: string[] }[] };
      plan.workers.find((w) => w.id === 'api')!.owns.push('/src/web/');
      writeFileSync(planFile, JSON.stringify(plan, null, 2));
      repo.write('src/web/app.ts', 'export const app = "tampered";\n', api);
      // The hook let it through, but the reference-transaction hook's Node finds the edited copies.
      const refused = repo.commit(api, '[CHECKPOINT] through edited trusted files');
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toContain('pw/demo/plan.json');
      expect(refused.stderr).toContain('pw hooks install');
      // With every hook switched off the commit goes through.
      const result = repo.gitResult(
        ['-c', 'core.hooksPath=/dev/null', 'commit', '-q', '-m', '[CHECKPOINT] no hooks at all'],
        { cwd: api },
      );
      expect(result.status).toBe(0);
      // pw check judges with the plan file, and reports every edited file.
      const check = repo.pw(['check', '--json']);
      expect(check.status).toBe(1);
      const report = JSON.parse(check.stdout) as {
        violations: Record<string, unknown>[];
        trust: { file: string; problem: string }[];
      };
      expect(report.violations).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ kind: 'scope', path: 'src/web/app.ts', owner: 'web' }),
        ]),
      );
      const files = report.trust.map((t) => t.file).join(' ');
      expect(files).toContain('pw/demo/plan.json');
      expect(files).toContain('pw/demo/scopes/api.pathspecs');
      expect(files).toContain('pw/demo/hooks/api');
      const status = repo.pw(['hooks', 'status', '--json']);
      expect(status.status).toBe(1);
      expect(status.stdout).toContain('"state": "outdated"');
    } finally {
      [scopeFile, hook, planFile].forEach((path, i) => writeFileSync(path, saved[i]!));
      repo.git(['-c', 'core.hooksPath=/dev/null', 'reset', '-q', '--hard', 'HEAD~1'], { cwd: api });
    }
    expect(repo.pw(['check']).status).toBe(0);
  });
});
