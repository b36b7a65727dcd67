import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiWebPlan, writePlan } from '../helpers/repo-state.js';
import { createTempRepo, type TempRepo } from '../helpers/temp-repo.js';

// Workers on several machines, played by three repositories on one: a bare
// hub, machine A (a clone that sets the plan up and publishes it) and
// machine B (a plain clone of the hub that joins one worker). Every pw is the
// built binary; the clock is pinned and so are the commit dates.

const PLAN = apiWebPlan('agent: { command: "true" }\n');

const PW_NOW = '2026-03-04T05:06:07.000Z';
const DATES = {
  GIT_AUTHOR_DATE: '2026-03-04T05:00:00Z',
  GIT_COMMITTER_DATE: '2026-03-04T05:00:00Z',
};
// The post-commit push goes before the commit returns, so the hub is up to date when git is.
const PUSH_NOW = { ...DATES, PW_PUSH_FOREGROUND: '1' };

let a: TempRepo;
let hub: string;
let bDir: string;
let webB: string;

const pwAt = (cwd: string, args: string[], env: Record<string, string> = {}) =>
  a.pw(args, { cwd, env: { PW_NOW, ...env } });
const hubRefs = (): string =>
  a.git(['for-each-ref', '--format=%(refname) %(objectname)'], { cwd: hub });
const hubTip = (ref: string): string | null => {
  const r = a.gitResult(['rev-parse', '--verify', '--quiet', ref], { cwd: hub });
  return r.status === 0 ? r.stdout.trim() : null;
};

/** A fresh clone of the hub, as another machine has it. */
function cloneHub(name: string): string {
  const dir = join(a.root, name);
  a.git(['clone', '-q', hub, dir]);
  for (const [key, value] of [
    ['user.name', 'Machine B'],
    ['user.email', 'b@example.com'],
    ['commit.gpgSign', 'false'],
    ['gc.auto', '0'],
  ] as const)
    a.git(['config', key, value], { cwd: dir });
  // A relative URL, as a user may have: it means the same from the worktrees pw makes.
  a.git(['remote', 'set-url', 'origin', '../hub.git'], { cwd: dir });
  return dir;
}

beforeAll(() => {
  a = createTempRepo({
    files: { 'src/api/a.ts': 'a\n', 'src/web/w.ts': 'w\n', 'README.md': '# r\n' },
  });
  hub = join(a.root, 'hub.git');
  a.git(['init', '-q', '--bare', '-b', 'main', hub]);
  a.git(['remote', 'add', 'origin', hub]);
  a.git(['push', '-q', 'origin', 'main']);
  bDir = cloneHub('b');
  webB = join(a.root, 'b.pw', 'feat', 'web');
});
afterAll(() => a.cleanup());

describe('workers on several machines', () => {
  it('A: pw setup --hub installs the hub, publishes the plan ref and records pw.hub', () => {
    const plan = writePlan(a, 'plan.yaml', PLAN);
    const setup = pwAt(a.dir, ['setup', plan, '--hub', 'origin']);
    expect(setup.stderr).toBe('');
    expect(setup.status).toBe(0);
    expect(setup.stdout).toContain('Published to the hub origin as refs/pw/feat/plan');
    expect(a.git(['config', 'pw.hub'])).toBe('origin');
    const planCommit = hubTip('refs/pw/feat/plan');
    expect(planCommit).not.toBeNull();
    // The plan commit holds the trusted plan setup wrote, on top of the base.
    expect(a.git(['show', `${planCommit}:plan.json`], { cwd: hub })).toBe(
      a.git(['cat-file', 'blob', 'refs/pw/feat/trust/plan']),
    );
    expect(a.git(['rev-parse', `${planCommit}^`], { cwd: hub })).toBe(a.git(['rev-parse', 'main']));
    // pw hooks install --hub says what it records, and publishing the same plan again moves nothing.
    const install = pwAt(a.dir, ['hooks', 'install', '--hub', hub, '--json']);
    expect(install.status, install.stderr).toBe(0);
    expect(JSON.parse(install.stdout)).toMatchObject({
      plans: ['feat'],
      published: ['refs/pw/feat/plan'],
      hooks: { state: 'active' },
    });
    expect(hubTip('refs/pw/feat/plan')).toBe(planCommit);
    // The same hub by its path: the name recorded first stays.
    expect(a.git(['config', 'pw.hub'])).toBe('origin');
  });

  it('B: pw join refuses an unknown plan, an unknown worker and hostile names, leaving nothing', () => {
    const before = a.git(['for-each-ref'], { cwd: bDir });
    const noPlan = pwAt(bDir, ['join', 'origin', 'other', 'web']);
    expect(noPlan.status).toBe(2);
    expect(noPlan.stderr).toContain(
      'the hub origin has no plan "other" (no refs/pw/other/plan there)',
    );
    expect(noPlan.stderr).toContain('Plans published there: feat');
    const noWorker = pwAt(bDir, ['join', 'origin', 'feat', 'docs']);
    expect(noWorker.status).toBe(2);
    expect(noWorker.stderr).toContain('plan "feat" has no worker "docs"');
    expect(noWorker.stderr).toContain('Workers: api, web');
    const hostile = pwAt(bDir, ['join', 'origin', 'feat', '../../etc']);
    expect(hostile.status).toBe(2);
    expect(hostile.stderr).toContain('"../../etc" is not a worker id');
    const option = pwAt(bDir, ['join', '--', '--upload-pack=touch x', 'feat', 'web']);
    expect(option.status).toBe(2);
    expect(option.stderr).toContain('is not a remote, URL or path');
    expect(a.git(['for-each-ref'], { cwd: bDir })).toBe(before);
    expect(existsSync(join(a.root, 'b.pw'))).toBe(false);
  });

  it('B: pw join sets up only its worker, tracking the hub, with the trusted scope', () => {
    const joined = pwAt(bDir, ['join', 'origin', 'feat', 'web', '--json']);
    expect(joined.stderr).toBe('');
    expect(joined.status).toBe(0);
    expect(JSON.parse(joined.stdout)).toMatchObject({
      plan: 'feat',
      worker: 'web',
      branch: 'pw/feat/web',
      startedFrom: 'base',
      worktree: webB,
    });
    expect(existsSync(join(webB, 'WORKER.md'))).toBe(true);
    expect(existsSync(join(bDir, '.git', 'pw', 'feat', 'launch', 'web.sh'))).toBe(true);
    // Only that worker: no api branch or worktree here.
    expect(a.git(['for-each-ref', '--format=%(refname)', 'refs/heads/'], { cwd: bDir })).toBe(
      ['refs/heads/main', 'refs/heads/pw/feat/web'].join('\n'),
    );
    expect(existsSync(join(a.root, 'b.pw', 'feat', 'api'))).toBe(false);
    expect(a.git(['config', 'branch.pw/feat/web.remote'], { cwd: bDir })).toBe('origin');
    expect(a.git(['config', 'branch.pw/feat/web.merge'], { cwd: bDir })).toBe(
      'refs/heads/pw/feat/web',
    );
    expect(a.git(['config', 'pw.hub'], { cwd: bDir })).toBe('origin');
    // The trust check pw check runs passes here, and the scope is the plan's.
    const check = pwAt(webB, ['check']);
    expect(check.status, check.stderr).toBe(0);
    const owner = pwAt(bDir, ['owner', 'src/api/a.ts', 'src/web/w.ts', '--json']);
    expect(owner.status, owner.stderr).toBe(0);
    expect(owner.stdout).toContain('"api"');
    // pw run there runs that worker alone (--worker is --only for one).
    const dry = pwAt(bDir, ['run', '--worker', 'web', '--dry-run']);
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('stage 1: web');
    expect(dry.stdout).not.toContain('api:');
    // Joining again changes nothing.
    const again = pwAt(bDir, ['join', 'origin', 'feat', 'web']);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain('joined here as worker web already; nothing was changed');
  });

  it("B: every commit reaches the hub; the hub refuses a worker's out-of-scope push and plan ref", () => {
    a.write('src/web/w.ts', 'web page\n', webB);
    a.git(['add', '-A'], { cwd: webB });
    a.git(['commit', '-q', '-m', '[CHECKPOINT] the page'], { cwd: webB, env: PUSH_NOW });
    a.git(['commit', '-q', '--allow-empty', '-m', '[COMPLETE] web done'], {
      cwd: webB,
      env: PUSH_NOW,
    });
    const tip = a.git(['rev-parse', 'HEAD'], { cwd: webB });
    expect(hubTip('refs/heads/pw/feat/web')).toBe(tip);

    // Hooks off on B, then pushed past pre-push: the hub's pre-receive still refuses.
    a.write('src/api/a.ts', 'taken\n', webB);
    a.git(['-c', 'core.hooksPath=/dev/null', 'commit', '-q', '-am', '[CHECKPOINT] api too'], {
      cwd: webB,
      env: DATES,
    });
    const outOfScope = a.gitResult(['push', '--no-verify', 'origin', 'pw/feat/web'], {
      cwd: bDir,
    });
    expect(outOfScope.status).not.toBe(0);
    expect(outOfScope.stderr).toContain('src/api/a.ts  owned by api');
    a.git(['-c', 'core.hooksPath=/dev/null', 'reset', '-q', '--hard', tip], { cwd: webB });
    expect(hubTip('refs/heads/pw/feat/web')).toBe(tip);

    // A plan that gives web the api's files too, pushed over the published one: refused.
    const planCommit = hubTip('refs/pw/feat/plan')!;
    const widened = a
      .git(['show', `${planCommit}:plan.json`], { cwd: bDir })
      .replace('"/src/web/"', '"/src/web/", "/src/api/"');
    const blob = a.git(['hash-object', '-w', '--stdin'], { cwd: bDir, input: widened });
    const tree = a.git(['mktree'], { cwd: bDir, input: `100644 blob ${blob}\tplan.json\n` });
    const forged = a.git(['commit-tree', '-p', planCommit, '-m', 'wider', tree], { cwd: bDir });
    const push = a.gitResult(['push', 'origin', `${forged}:refs/pw/feat/plan`], { cwd: bDir });
    expect(push.status).not.toBe(0);
    expect(push.stderr).toContain('refs/pw/feat/plan is not the plan this hub holds for "feat"');
    const drop = a.gitResult(['push', 'origin', ':refs/pw/feat/plan'], { cwd: bDir });
    expect(drop.status).not.toBe(0);
    expect(drop.stderr).toContain('pw: push refused');
    expect(hubTip('refs/pw/feat/plan')).toBe(planCommit);

    // pw push sends the branch by hand (nothing new: it says so and exits 0).
    const pushed = pwAt(webB, ['push', '--json']);
    expect(pushed.status, pushed.stderr).toBe(0);
    expect(JSON.parse(pushed.stdout)).toMatchObject({ pushed: [{ worker: 'web', commit: tip }] });
  });

  it("A: pw status (fetching from pw.hub, which setup --hub recorded) sees B's COMPLETE", () => {
    const apiA = join(a.root, 'repo.pw', 'feat', 'api');
    a.git(['commit', '-q', '--allow-empty', '-m', '[COMPLETE] api done'], {
      cwd: apiA,
      env: PUSH_NOW,
    });
    expect(hubTip('refs/heads/pw/feat/api')).toBe(a.git(['rev-parse', 'HEAD'], { cwd: apiA }));
    const status = pwAt(a.dir, ['status', '--json']);
    expect(status.status, status.stderr).toBe(0);
    const workers = (JSON.parse(status.stdout) as { workers: { id: string; state: string }[] })
      .workers;
    expect(workers.find((w) => w.id === 'web')?.state).toBe('complete');
    expect(workers.find((w) => w.id === 'api')?.state).toBe('complete');
    // pw wait --fetch (the flow) agrees: every worker is complete, exit 0 at once.
    const waited = pwAt(a.dir, ['wait', '--fetch', '--timeout', '0']);
    expect(waited.status, waited.stderr).toBe(0);
  });

  it('B: teardown removes only what join made, refusing while the hub lacks a commit', () => {
    // With the hub out of reach, a remote-tracking ref from an earlier fetch vouches for nothing.
    a.git(['remote', 'set-url', 'origin', '../nowhere.git'], { cwd: bDir });
    const offline = pwAt(bDir, ['teardown', '--purge']);
    a.git(['remote', 'set-url', 'origin', '../hub.git'], { cwd: bDir });
    expect(offline.status).toBe(1);
    expect(offline.stderr).toContain('that the hub origin lacks');
    expect(existsSync(webB)).toBe(true);
    a.git(
      ['-c', 'core.hooksPath=/dev/null', 'commit', '-q', '--allow-empty', '-m', '[COMPLETE] again'],
      {
        cwd: webB,
        env: DATES,
      },
    );
    const refused = pwAt(bDir, ['teardown']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('web: 1 commit on pw/feat/web that the hub origin lacks');
    expect(refused.stderr).toContain('pw push');
    expect(refused.stderr).not.toContain('pw integrate');
    expect(existsSync(webB)).toBe(true);
    a.git(['-c', 'core.hooksPath=/dev/null', 'reset', '-q', '--hard', 'HEAD~1'], { cwd: webB });

    const done = pwAt(bDir, ['teardown', '--purge']);
    expect(done.status, done.stderr).toBe(0);
    expect(existsSync(webB)).toBe(false);
    // The hub has every commit: even the archive of the tip goes with --purge.
    expect(a.git(['for-each-ref', 'refs/pw/'], { cwd: bDir })).toBe('');
    expect(existsSync(join(bDir, '.git', 'pw'))).toBe(false);
    expect(
      a.gitResult(['rev-parse', '--verify', 'refs/heads/pw/feat/web'], { cwd: bDir }).status,
    ).not.toBe(0);
    expect(
      a.gitResult(['rev-parse', '--verify', 'refs/pw/feat/plan'], { cwd: bDir }).status,
    ).not.toBe(0);
    const config = a.git(['config', '--local', '--list'], { cwd: bDir });
    expect(config).not.toContain('pw.hub');
    expect(config).not.toContain('branch.pw/feat/web');
    expect(existsSync(join(bDir, '.git', 'pw', 'feat', 'push'))).toBe(false);
    // The hub keeps the worker's work, and joining again starts from it.
    const onHub = hubTip('refs/heads/pw/feat/web');
    expect(onHub).not.toBeNull();
    const rejoined = pwAt(bDir, ['join', 'origin', 'feat', 'web', '--json']);
    expect(rejoined.status, rejoined.stderr).toBe(0);
    expect(JSON.parse(rejoined.stdout)).toMatchObject({ startedFrom: 'hub', start: onHub });
    expect(a.git(['rev-parse', 'HEAD'], { cwd: webB })).toBe(onHub);
  });

  it('A: teardown --hub refuses while the target lacks a branch, then cleans the hub', () => {
    const before = hubRefs();
    const refused = pwAt(a.dir, ['teardown', '--hub']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("web: the hub's pw/feat/web");
    expect(refused.stderr).toContain('has work main lacks');
    expect(hubRefs()).toBe(before);
    expect(existsSync(join(a.root, 'repo.pw', 'feat', 'web'))).toBe(true);

    // As the README says: integrate merges the hub's tip of web (A's copy of the branch is
    // behind it) and --push publishes the target to the hub.
    const integrate = pwAt(a.dir, ['integrate', '--push'], DATES);
    expect(integrate.status, integrate.stderr).toBe(0);
    expect(hubTip('refs/heads/main')).toBe(a.git(['rev-parse', 'refs/heads/main']));
    expect(a.git(['merge-base', '--is-ancestor', 'origin/pw/feat/web', 'refs/heads/main'])).toBe(
      '',
    );
    const done = pwAt(a.dir, ['teardown', '--hub']);
    expect(done.status, done.stderr).toBe(0);
    expect(done.stdout).toContain('removed from the hub: pw/feat/web');
    expect(a.git(['for-each-ref', '--format=%(refname)'], { cwd: hub })).toBe('refs/heads/main');
    expect(existsSync(join(hub, 'pw', 'feat'))).toBe(false);
    expect(existsSync(join(a.root, 'repo.pw'))).toBe(false);
  });
});

describe('pw join on a machine where something is in the way', () => {
  let r: TempRepo;
  let rHub: string;
  beforeAll(() => {
    r = createTempRepo({ files: { 'src/api/a.ts': 'a\n', 'src/web/w.ts': 'w\n' } });
    rHub = join(r.root, 'hub.git');
    r.git(['init', '-q', '--bare', '-b', 'main', rHub]);
    r.git(['remote', 'add', 'origin', rHub]);
    r.git(['push', '-q', 'origin', 'main']);
    const plan = writePlan(r, 'plan.yaml', PLAN);
    const setup = r.pw(['setup', plan, '--hub', rHub], { env: { PW_NOW } });
    if (setup.status !== 0) throw new Error(setup.stderr);
    // The hub has api's branch, so a clone has its remote-tracking ref before joining.
    r.git(['push', '-q', 'origin', 'pw/feat/api']);
  });
  afterAll(() => r.cleanup());

  it('leaves nothing half-done when a step fails, and refuses a folder in the way', () => {
    const c = join(r.root, 'c');
    r.git(['clone', '-q', rHub, c]);
    const pristine = () => ({
      refs: r.git(['for-each-ref'], { cwd: c }),
      config: r.git(['config', '--local', '--list'], { cwd: c }),
      worktrees: r.git(['worktree', 'list', '--porcelain'], { cwd: c }),
    });
    const before = pristine();
    const failed = r.pw(['join', 'origin', 'feat', 'api'], {
      cwd: c,
      env: { PW_NOW, PW_TEST_FAIL_AT: 'track-hub' },
    });
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain('setup failed at "api: track');
    expect(pristine()).toEqual(before);
    expect(existsSync(join(r.root, 'c.pw', 'feat', 'api'))).toBe(false);

    mkdirSync(join(r.root, 'c.pw', 'feat', 'api'), { recursive: true });
    writeFileSync(join(r.root, 'c.pw', 'feat', 'api', 'mine.txt'), 'keep\n');
    const blocked = r.pw(['join', 'origin', 'feat', 'api'], { cwd: c, env: { PW_NOW } });
    expect(blocked.status).toBe(2);
    expect(blocked.stderr).toContain('cannot join plan "feat" as api');
    expect(blocked.stderr).toContain(`${join(r.root, 'c.pw', 'feat', 'api')} already exists`);
    expect(pristine()).toEqual(before);
  });
});
