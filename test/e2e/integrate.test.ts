import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPlanFixture, type PlanFixture } from '../helpers/integrate-fixture.js';
import { builtBin } from '../helpers/temp-repo.js';

const FILES = {
  'db/schema.sql': 'create table users (id int);\n',
  'api/routes.ts': 'export const routes = [];\n',
  'web/page.ts': 'export const page = "home";\n',
};

let fixture: PlanFixture | null = null;
afterEach(() => {
  fixture?.cleanup();
  fixture = null;
});

function threeWorkers(integrate?: Record<string, string>): PlanFixture {
  fixture = createPlanFixture({
    files: FILES,
    // Plan order web, api, db: the order integrate prints must come from the edges.
    workers: [
      { id: 'web', owns: ['/web/'] },
      { id: 'api', owns: ['/api/'], dependsOn: ['db'] },
      { id: 'db', owns: ['/db/'] },
    ],
    ...(integrate ? { integrate } : {}),
  });
  return fixture;
}

/**
 * Every worker finishes; web asks api for an item on the way (a NEEDS edge).
 * Tests with the same plan share the finished history: the second gets it
 * back from a copy.
 */
function finishAll(f: PlanFixture): { db: string; api: string; web: string } {
  return f.prepared('finished', () => commitAll(f));
}

function commitAll(f: PlanFixture): { db: string; api: string; web: string } {
  f.commit('db', '[CHECKPOINT] users table', {
    'db/schema.sql': 'create table users (id int, name text);\n',
  });
  f.commit('db', '[COMPLETE] schema with names', {
    'db/migrations/001.sql': 'alter table users;\n',
  });
  f.commit('web', '[NEEDS:api/health] the page shows API health');
  f.commit('api', '[CHECKPOINT] routes', {
    'api/routes.ts': 'export const routes = ["/health"];\n',
  });
  f.commit('api', '[COMPLETE] GET /health', { 'api/health.ts': 'export const ok = true;\n' });
  f.commit('web', '[COMPLETE] health on the page', {
    'web/page.ts': 'export const page = "health";\n',
  });
  return {
    db: f.repo.git(['rev-parse', f.branch('db')]),
    api: f.repo.git(['rev-parse', f.branch('api')]),
    web: f.repo.git(['rev-parse', f.branch('web')]),
  };
}

/** `path -> blob` of a commit's tree. */
function treeFiles(f: PlanFixture, commit: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of f.repo.git(['ls-tree', '-r', '-z', commit]).split('\0')) {
    if (!line) continue;
    const [meta, path] = line.split('\t');
    out.set(path!, meta!.split(' ')[2]!);
  }
  return out;
}

function worktreeFingerprint(f: PlanFixture, worker: string): string {
  const cwd = f.worktree(worker);
  return `${f.repo.git(['rev-parse', 'HEAD'], { cwd })} ${f.repo.git(['status', '--porcelain'], { cwd })}`;
}

const refExists = (f: PlanFixture, ref: string): boolean =>
  f.repo.gitResult(['rev-parse', '-q', '--verify', ref]).status === 0;

describe('pw integrate: a clean run', () => {
  it('merges every worker in dependency order; the result is the union of their owned changes', () => {
    const f = threeWorkers();
    const tips = finishAll(f);
    const base = f.repo.git(['rev-parse', 'main']);
    const before = Object.fromEntries(
      ['web', 'api', 'db'].map((w) => [w, worktreeFingerprint(f, w)]),
    );

    const ready = f.pwJson<{ summary: string; integrated: boolean }>(['status']).json;
    expect(ready).toMatchObject({
      summary: '3/3 complete · ready to integrate',
      integrated: false,
    });
    const { status, json } = f.pwJson(['integrate']);
    expect(status).toBe(0);
    expect(json.outcome).toBe('published');
    expect(json.order).toEqual(['db', 'api', 'web']);
    expect(json.edges).toEqual([
      { from: 'api', to: 'db', reason: 'dependsOn' },
      { from: 'web', to: 'api', reason: 'NEEDS:api/health' },
    ]);
    // main is checked out in the main worktree: published with merge --ff-only there.
    expect(json.publish).toMatchObject({
      method: 'merge --ff-only',
      worktree: f.repo.dir,
      from: base,
    });
    const head = f.repo.git(['rev-parse', 'main']);
    expect(json.publish!.to).toBe(head);

    // The result tree: the base, with each worker's own changes on top.
    const expected = treeFiles(f, base);
    for (const [worker, tip] of Object.entries(tips)) {
      const changed = f.repo
        .git(['diff', '--name-only', '-z', base, tip])
        .split('\0')
        .filter(Boolean);
      const theirs = treeFiles(f, tip);
      for (const path of changed) {
        expect(path.startsWith(`${worker}/`)).toBe(true);
        if (theirs.has(path)) expected.set(path, theirs.get(path)!);
        else expected.delete(path);
      }
    }
    expect(treeFiles(f, head)).toEqual(expected);

    // One merge commit per worker, first parent the previous result, second the worker tip.
    const chain = f.repo
      .git(['log', '--first-parent', '--format=%H %P%x09%s', `${base}..main`])
      .split('\n')
      .reverse();
    expect(chain.map((l) => l.split('\t')[1])).toEqual([
      "Merge branch 'pw/feat/db' into main: schema with names",
      "Merge branch 'pw/feat/api' into main: GET /health",
      "Merge branch 'pw/feat/web' into main: health on the page",
    ]);
    expect(chain.map((l) => l.split('\t')[0]!.split(' ')[2])).toEqual([
      tips.db,
      tips.api,
      tips.web,
    ]);
    expect(f.repo.git(['log', '-1', '--format=%B', 'main'])).toContain(
      `Pw-Worker-Tip: ${tips.web}`,
    );

    // The main worktree moved with its branch; worker worktrees were not touched.
    expect(f.repo.git(['status', '--porcelain'])).toBe('');
    expect(readFileSync(join(f.repo.dir, 'api/health.ts'), 'utf8')).toBe(
      'export const ok = true;\n',
    );
    for (const w of ['web', 'api', 'db']) expect(worktreeFingerprint(f, w)).toBe(before[w]);

    // Archived tips, no private ref left, events written.
    for (const [worker, tip] of Object.entries(tips)) {
      expect(f.repo.git(['rev-parse', `refs/pw/archive/feat/${worker}`])).toBe(tip);
    }
    expect(refExists(f, 'refs/pw/feat/integration')).toBe(false);
    const events = readFileSync(join(f.repo.dir, '.git/pw/feat/events.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; phase?: string; order?: string[]; to?: string });
    const integrate = events.filter((e) => e.type === 'integrate');
    expect(integrate.map((e) => e.phase)).toEqual(['start', 'published']);
    expect(integrate[0]!.order).toEqual(['db', 'api', 'web']);
    expect(integrate[1]!.to).toBe(head);

    // A rerun has nothing to do, and pw status says the plan is in main.
    const again = f.pwJson(['integrate']);
    expect(again.status).toBe(0);
    expect(again.json.outcome).toBe('nothing-to-integrate');
    expect(f.repo.git(['rev-parse', 'main'])).toBe(head);
    const after = f.pwJson<{ summary: string; readyToIntegrate: boolean; integrated: boolean }>([
      'status',
    ]);
    expect(after.json).toMatchObject({
      summary: '3/3 complete · integrated into main',
      readyToIntegrate: true,
      integrated: true,
    });
    expect(f.repo.pw(['status']).stdout).toContain(
      'integrated into main: pw teardown removes the worktrees and branches',
    );
  });

  it('prints the order before merging, one line per step, and where main went', () => {
    const f = threeWorkers();
    finishAll(f);
    const result = f.repo.pw(['integrate']);
    expect(result.status).toBe(0);
    const lines = result.stdout.split('\n');
    const order = lines.findIndex((l) => l === 'Order: db -> api -> web');
    const first = lines.findIndex((l) => l.includes('[1/3]'));
    expect(order).toBeGreaterThan(-1);
    expect(first).toBeGreaterThan(order);
    expect(lines[first]).toMatch(/\[1\/3\]\s+db\s+merged\s+[0-9a-f]{12}\s+schema with names/);
    expect(result.stdout).toMatch(
      /Published: main [0-9a-f]{12} -> [0-9a-f]{12} \(merge --ff-only in /,
    );
  });

  it('refuses while a worker is not complete, naming it, and moves nothing', () => {
    const f = threeWorkers();
    f.commit('db', '[COMPLETE] schema', { 'db/schema.sql': 'x\n' });
    f.commit('api', '[BLOCKED:no schema yet] waiting for db');
    const main = f.repo.git(['rev-parse', 'main']);
    const result = f.repo.pw(['integrate']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('pw: 2 workers of plan "feat" are not complete');
    expect(result.stderr).toContain('web: pending; no commits of its own yet');
    expect(result.stderr).toMatch(/api: blocked.*\[BLOCKED:no schema yet\] waiting for db/);
    expect(result.stderr).toContain('pw integrate --only db');
    expect(f.repo.git(['rev-parse', 'main'])).toBe(main);
  });

  it('--only integrates a subset (a provider first); the next run merges the rest and skips it', () => {
    const f = threeWorkers();
    f.commit('db', '[COMPLETE] schema', { 'db/schema.sql': 'v2\n' });
    f.commit('api', '[CHECKPOINT] still working', { 'api/routes.ts': 'wip\n' });
    const only = f.pwJson(['integrate', '--only', 'db']);
    expect(only.status).toBe(0);
    expect(only.json.order).toEqual(['db']);
    expect(f.repo.git(['show', 'main:db/schema.sql'])).toBe('v2');
    expect(f.repo.git(['show', 'main:api/routes.ts'])).toBe('export const routes = [];');

    // A dependent without its provider is refused.
    const f2only = f.repo.pw(['integrate', '--only', 'api', '--allow-incomplete', '--dry-run']);
    expect(f2only.status).toBe(0);

    f.commit('api', '[COMPLETE] routes', { 'api/routes.ts': 'done\n' });
    f.commit('web', '[COMPLETE] page', { 'web/page.ts': 'done\n' });
    const rest = f.pwJson(['integrate']);
    expect(rest.status).toBe(0);
    expect(rest.json.order).toEqual(['web', 'api']);
    expect(rest.json.skipped).toEqual([
      {
        worker: 'db',
        reason: expect.stringMatching(/^already integrated: main holds [0-9a-f]{12}$/),
      },
    ]);
    expect(f.repo.git(['show', 'main:api/routes.ts'])).toBe('done');
  });

  it('--only refuses a dependent whose provider is not integrated yet', () => {
    const f = threeWorkers();
    f.commit('db', '[COMPLETE] schema', { 'db/schema.sql': 'v2\n' });
    f.commit('api', '[COMPLETE] routes', { 'api/routes.ts': 'done\n' });
    const result = f.repo.pw(['integrate', '--only', 'api']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('api needs db first (dependsOn), and db is not integrated yet');
    expect(result.stderr).toContain('pw integrate --only api db');
  });

  it('refuses what pw check finds: a worker commit outside its scope that bypassed the hooks', () => {
    const f = threeWorkers();
    finishAll(f);
    // Written with plumbing and the hooks switched off: as a client that skips every hook.
    const api = f.branch('api');
    f.repo.git(['read-tree', api], { env: { GIT_INDEX_FILE: join(f.repo.root, 'idx') } });
    const blob = f.repo.git(['hash-object', '-w', '--stdin'], { input: 'taken over\n' });
    f.repo.git(['update-index', '--add', '--cacheinfo', `100644,${blob},web/page.ts`], {
      env: { GIT_INDEX_FILE: join(f.repo.root, 'idx') },
    });
    const tree = f.repo.git(['write-tree'], { env: { GIT_INDEX_FILE: join(f.repo.root, 'idx') } });
    const commit = f.repo.git(['commit-tree', tree, '-p', api, '-m', '[COMPLETE] also the page']);
    f.repo.git(['-c', 'core.hooksPath=/dev/null', 'update-ref', `refs/heads/${api}`, commit]);
    const main = f.repo.git(['rev-parse', 'main']);
    const result = f.repo.pw(['integrate']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/pw check finds \d+ problems? in what would be merged/);
    expect(result.stderr).toMatch(/api: [0-9a-f]{12}: web\/page\.ts/);
    expect(f.repo.git(['rev-parse', 'main'])).toBe(main);
    expect(refExists(f, 'refs/pw/feat/integration')).toBe(false);
    // A worker without findings can still go in.
    expect(f.repo.pw(['integrate', '--only', 'db']).status).toBe(0);
  });

  it('refuses a NEEDS cycle and names it; pw status and pw wait say the same', () => {
    fixture = createPlanFixture({
      workers: [
        { id: 'a', owns: ['/a/'] },
        { id: 'b', owns: ['/b/'] },
      ],
      files: { 'a/x': '1\n', 'b/y': '1\n' },
    });
    const f = fixture;
    f.commit('a', '[NEEDS:b/token] need the token');
    f.commit('b', '[NEEDS:a/client] need the client');
    f.commit('a', '[COMPLETE] a', { 'a/x': '2\n' });
    f.commit('b', '[COMPLETE] b', { 'b/y': '2\n' });
    const main = f.repo.git(['rev-parse', 'main']);
    const cycle = 'a -(NEEDS:b/token)-> b -(NEEDS:a/client)-> a';
    const result = f.repo.pw(['integrate']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`the workers depend on each other in a cycle: ${cycle}`);
    expect(result.stderr).toContain('e.g. dependsOn: [b] for a');
    expect(result.stderr).toContain('pw integrate --only b --allow-missing-providers');
    expect(f.repo.git(['rev-parse', 'main'])).toBe(main);
    // The dry run refuses the same way.
    const dry = f.repo.pw(['integrate', '--dry-run']);
    expect([dry.status, dry.stderr]).toEqual([1, result.stderr]);

    // Status does not call this ready, and pw wait stops with exit 1, naming the cycle.
    const status = f.repo.pw(['status']);
    expect(status.stdout).toContain('2/2 complete · integrate order has a cycle');
    expect(status.stdout).toContain(`integrate order has a cycle: ${cycle}`);
    expect(status.stdout).not.toContain('ready to integrate');
    const json = JSON.parse(f.repo.pw(['status', '--json']).stdout) as {
      readyToIntegrate: boolean;
      integrateOrder: { ok: boolean; cycleText: string };
    };
    expect(json.readyToIntegrate).toBe(false);
    expect(json.integrateOrder).toMatchObject({ ok: false, cycleText: cycle });
    const wait = f.repo.pw(['wait', '--timeout', '0']);
    expect(wait.status).toBe(1);
    expect(wait.stdout).toContain(`the integrate order has a cycle: ${cycle}`);

    // Breaking the cycle as suggested works.
    expect(f.repo.pw(['integrate', '--only', 'b', '--allow-missing-providers']).status).toBe(0);
    expect(f.repo.pw(['integrate']).status).toBe(0);
  });

  it('a NEEDS against the declared dependsOn: the declared order wins; status, wait and integrate agree', () => {
    fixture = createPlanFixture({
      workers: [
        { id: 'api', owns: ['/api/'] },
        { id: 'web', owns: ['/web/'], dependsOn: ['api'] },
      ],
      files: { 'api/a': '1\n', 'web/w': '1\n' },
    });
    const f = fixture;
    f.commit('api', '[NEEDS:web/page-url] the api links to the page', { 'api/a': '2\n' });
    f.commit('web', '[CHECKPOINT] the page\n\nProvides: page-url', { 'web/w': '2\n' });
    f.commit('web', '[COMPLETE] web done');
    f.commit('api', '[COMPLETE] api done');

    const status = f.repo.pw(['status']);
    expect(status.stdout).toContain('2/2 complete · ready to integrate');
    expect(status.stdout).toContain(
      "order: web after api as declared, despite api's NEEDS:web/page-url",
    );
    expect(f.repo.pw(['wait', '--timeout', '0']).status).toBe(0);

    const dry = f.pwJson(['integrate', '--dry-run']);
    expect(dry.status).toBe(0);
    const { status: code, json } = f.pwJson(['integrate']);
    expect(code).toBe(0);
    expect(json.outcome).toBe('published');
    expect(json.order).toEqual(['api', 'web']);
    expect(dry.json.order).toEqual(json.order);
    expect(json.edges).toEqual([{ from: 'web', to: 'api', reason: 'dependsOn' }]);
    expect(json.warnings).toEqual([
      "api's NEEDS:web/page-url does not order the merge: the plan declares web -(dependsOn)-> api, so api goes first (the declared order wins)",
    ]);
  });

  it('--dry-run refuses what the run refuses, with the same message and exit code (--only without its provider)', () => {
    const f = threeWorkers();
    finishAll(f);
    const real = f.repo.pw(['integrate', '--only', 'api']);
    expect(real.status).toBe(1);
    expect(real.stderr).toContain('pw: 1 provider would be missing from main');
    expect(real.stderr).toContain('or pass --allow-missing-providers to go without them');
    for (const extra of [[], ['--json']]) {
      const dry = f.repo.pw(['integrate', '--only', 'api', '--dry-run', ...extra]);
      expect([dry.status, dry.stderr, dry.stdout]).toEqual([1, real.stderr, '']);
    }
    // --allow-incomplete does not let a worker go without its provider; --allow-missing-providers does.
    expect(f.repo.pw(['integrate', '--only', 'api', '--allow-incomplete']).stderr).toBe(
      real.stderr,
    );
    const lenientDry = f.pwJson([
      'integrate',
      '--only',
      'api',
      '--allow-missing-providers',
      '--dry-run',
    ]);
    expect(lenientDry.status).toBe(0);
    expect(lenientDry.json.warnings).toEqual([
      'api needs db first (dependsOn), and db is not integrated yet',
    ]);
    const lenient = f.pwJson(['integrate', '--only', 'api', '--allow-missing-providers']);
    expect(lenient.status).toBe(0);
    expect(lenient.json.warnings).toEqual(lenientDry.json.warnings);
  });

  it('--dry-run refuses workers that are not complete like the run; with --allow-incomplete it previews', () => {
    const f = threeWorkers();
    f.commit('db', '[COMPLETE] schema', { 'db/schema.sql': 'v2\n' });
    f.commit('api', '[CHECKPOINT] routes', { 'api/routes.ts': 'wip\n' });
    const real = f.repo.pw(['integrate']);
    const dry = f.repo.pw(['integrate', '--dry-run']);
    expect(real.status).toBe(1);
    expect([dry.status, dry.stderr]).toEqual([1, real.stderr]);
    const preview = f.pwJson(['integrate', '--dry-run', '--allow-incomplete']);
    expect(preview.status).toBe(0);
    expect(preview.json.order).toEqual(['db', 'api']);
  });
});

/** main changes a file api owns after setup; api changes the same line. */
function conflictSetup(): PlanFixture {
  const f = threeWorkers();
  f.repo.write('api/routes.ts', 'export const routes = ["/from-main"];\n');
  f.repo.commitAll('hotfix on main');
  f.commit('db', '[COMPLETE] schema', { 'db/schema.sql': 'v2\n' });
  f.commit('api', '[COMPLETE] routes', {
    'api/routes.ts': 'export const routes = ["/from-api"];\n',
  });
  f.commit('web', '[COMPLETE] page', { 'web/page.ts': 'v2\n' });
  return f;
}

describe('pw integrate: conflicts', () => {
  it('stops at the conflicted step, names paths, workers and git messages; --continue finishes', () => {
    const f = conflictSetup();
    const main = f.repo.git(['rev-parse', 'main']);
    const first = f.pwJson(['integrate']);
    expect(first.status).toBe(1);
    expect(first.json.outcome).toBe('conflict');
    expect(f.repo.git(['rev-parse', 'main'])).toBe(main);
    const conflict = first.json.conflict!;
    expect(conflict.worker).toBe('api');
    // web goes first (plan order, no edges), then db (api's provider), then api.
    expect(first.json.order).toEqual(['web', 'db', 'api']);
    expect(conflict.step).toBe(3);
    expect(conflict.paths).toEqual(['api/routes.ts']);
    expect(conflict.touchedBy).toEqual([
      { path: 'api/routes.ts', by: ['main (since api branched)', 'api'] },
    ]);
    // The retro reads the event: a conflict with main's own commit, not a shared file.
    const retro = JSON.parse(f.repo.pw(['retro', '--json']).stdout) as {
      findings: { kind: string; suggestion: string }[];
    };
    const finding = retro.findings.find((x) => x.kind === 'integrate-conflict')!;
    expect(finding.suggestion).toContain(
      'api/routes.ts conflicted with commits made directly on main while the plan ran',
    );
    expect(finding.suggestion).not.toContain('exactly one worker');
    expect(conflict.messages.map((m) => m.text)).toContain(
      'CONFLICT (content): Merge conflict in api/routes.ts',
    );
    // The step before is kept on the private ref; the conflict is laid out in a worktree.
    const dbStep = first.json.steps[1]!;
    expect(dbStep).toMatchObject({ worker: 'db', status: 'merged' });
    expect(f.repo.git(['rev-parse', 'refs/pw/feat/integration'])).toBe(dbStep.commit);
    const worktree = conflict.worktree!;
    expect(readFileSync(join(worktree, 'api/routes.ts'), 'utf8')).toContain('<<<<<<<');
    expect(first.json.next[0]).toBe(
      'The 2 steps merged before it are kept at refs/pw/feat/integration.',
    );

    // The human output says what to do next.
    const human = f.repo.pw(['integrate']);
    expect(human.status).toBe(1);
    expect(human.stderr).toContain('is waiting for a conflict in api to be resolved');
    expect(human.stderr).toContain('pw integrate --continue');

    // --continue before committing is refused, with what to do.
    const early = f.repo.pw(['integrate', '--continue']);
    expect(early.status).toBe(1);
    expect(early.stderr).toContain('still has unresolved or uncommitted changes');

    f.repo.write('api/routes.ts', 'export const routes = ["/from-main", "/from-api"];\n', worktree);
    f.repo.git(['add', '-A'], { cwd: worktree });
    f.repo.git(['commit', '-q', '--no-edit'], { cwd: worktree });
    const done = f.pwJson(['integrate', '--continue']);
    expect(done.status).toBe(0);
    expect(done.json.outcome).toBe('published');
    // Where the resolution is kept is worth knowing, not a warning.
    expect(done.json.warnings).toEqual([]);
    expect(done.json.notes).toEqual([
      'api: your resolution commit is kept at refs/pw/feat/resolved/api',
    ]);
    expect(done.json.steps.map((s) => [s.worker, s.status])).toEqual([
      ['web', 'merged'],
      ['db', 'merged'],
      ['api', 'resolved'],
    ]);
    // The steps merged before the conflict were kept, not redone.
    expect(done.json.steps[1]!.commit).toBe(dbStep.commit);
    expect(f.repo.git(['log', '--first-parent', '--format=%H', 'main'])).toContain(dbStep.commit!);
    expect(f.repo.git(['show', 'main:api/routes.ts'])).toBe(
      'export const routes = ["/from-main", "/from-api"];',
    );
    const apiMerge = f.repo.git(['log', '-1', '--format=%B', 'main']);
    expect(apiMerge).toContain('Conflicts resolved by hand in: api/routes.ts');
    expect(f.repo.git(['log', '-1', '--format=%P', 'main']).split(' ')[1]).toBe(
      f.repo.git(['rev-parse', f.branch('api')]),
    );
    expect(existsSync(worktree)).toBe(false);
    expect(f.repo.git(['worktree', 'list'])).not.toContain('_integrate');
    expect(refExists(f, 'refs/pw/feat/resolved/api')).toBe(true);
    expect(refExists(f, 'refs/pw/feat/integration')).toBe(false);
  });

  it('resolves a conflict of a squash integration the same way', () => {
    const f = conflictSetup();
    const first = f.pwJson(['integrate', '--strategy', 'squash']);
    expect(first.json.outcome).toBe('conflict');
    const worktree = first.json.conflict!.worktree!;
    // --strategy is fixed when the attempt starts.
    expect(f.repo.pw(['integrate', '--continue', '--strategy', 'merge']).status).toBe(2);
    f.repo.write('api/routes.ts', 'both\n', worktree);
    f.repo.git(['add', '-A'], { cwd: worktree });
    f.repo.git(['commit', '-q', '-m', 'api: resolve conflicts'], { cwd: worktree });
    const done = f.repo.pw(['integrate', '--continue']);
    expect(done.status).toBe(0);
    expect(done.stdout).toContain(
      '  note: api: your resolution commit is kept at refs/pw/feat/resolved/api\n',
    );
    expect(done.stdout).not.toContain('warning:');
    expect(f.repo.git(['log', '-1', '--format=%P', 'main']).split(' ')).toHaveLength(1);
    const body = f.repo.git(['log', '-1', '--format=%B', 'main']);
    expect(body.split('\n')[0]).toBe('api: routes');
    expect(body).toContain('Conflicts resolved by hand in: api/routes.ts');
    expect(f.repo.git(['show', 'main:api/routes.ts'])).toBe('both');
  });

  it('a conflict at the first step mentions no steps kept before it', () => {
    fixture = createPlanFixture({
      workers: [
        { id: 'a', owns: ['/a/'] },
        { id: 'b', owns: ['/b/'] },
      ],
      files: { 'a/x': '1\n', 'b/y': '1\n' },
    });
    const f = fixture;
    f.repo.write('a/x', 'from main\n');
    f.repo.commitAll('hotfix on main');
    f.commit('a', '[COMPLETE] a', { 'a/x': 'from a\n' });
    f.commit('b', '[COMPLETE] b', { 'b/y': '2\n' });
    const first = f.pwJson(['integrate']);
    expect(first.json.outcome).toBe('conflict');
    expect(first.json.conflict!.step).toBe(1);
    expect(first.json.next.join('\n')).not.toMatch(/steps? (merged )?before it/);
    expect(first.json.next[0]).toMatch(/^Resolve the conflict in /);
    expect(f.repo.pw(['integrate', '--abort']).status).toBe(0);
    const human = f.repo.pw(['integrate']);
    expect(human.stdout).not.toContain('before it');
    expect(human.stdout).not.toContain('The 0 steps');
  });

  it('--abort drops the attempt and leaves everything as before', () => {
    const f = conflictSetup();
    const refsBefore = f.repo.git(['for-each-ref', '--format=%(refname) %(objectname)']);
    const worktreesBefore = f.repo.git(['worktree', 'list', '--porcelain']);
    expect(f.repo.pw(['integrate']).status).toBe(1);
    const aborted = f.pwJson(['integrate', '--abort']);
    expect(aborted.status).toBe(0);
    expect(aborted.json.outcome).toBe('aborted');
    expect(f.repo.git(['for-each-ref', '--format=%(refname) %(objectname)'])).toBe(refsBefore);
    expect(f.repo.git(['worktree', 'list', '--porcelain'])).toBe(worktreesBefore);
    expect(existsSync(join(f.repo.dir, '.git/pw/feat/integrate/state.json'))).toBe(false);
    expect(f.repo.git(['status', '--porcelain'])).toBe('');
    // Nothing in progress now: a second abort says so.
    expect(f.pwJson(['integrate', '--abort']).json.outcome).toBe('nothing-to-abort');
  });

  it('--abort keeps a half-done resolution under refs before removing the worktree', () => {
    const f = conflictSetup();
    const first = f.pwJson(['integrate']);
    const worktree = first.json.conflict!.worktree!;
    f.repo.write('api/routes.ts', 'half resolved\n', worktree);
    const aborted = f.pwJson(['integrate', '--abort']);
    expect(aborted.status).toBe(0);
    expect(aborted.json.warnings.join('\n')).toContain('refs/pw/wip/feat/integrate-api');
    expect(f.repo.git(['show', 'refs/pw/wip/feat/integrate-api:api/routes.ts'])).toBe(
      'half resolved',
    );
    expect(existsSync(worktree)).toBe(false);
  });

  it('--dry-run predicts the conflict and writes no ref; --matrix names the pair', () => {
    const f = conflictSetup();
    const refsBefore = f.repo.git(['for-each-ref', '--format=%(refname) %(objectname)']);
    const dry = f.pwJson(['integrate', '--dry-run']);
    expect(dry.status).toBe(1);
    expect(dry.json.outcome).toBe('dry-run');
    expect(dry.json.conflict).toMatchObject({
      worker: 'api',
      paths: ['api/routes.ts'],
      worktree: null,
    });
    const matrix = f.pwJson(['integrate', '--matrix']);
    expect(matrix.status).toBe(1);
    expect(matrix.json.matrix!.participants).toEqual(['main', 'web', 'api', 'db']);
    expect(matrix.json.matrix!.pairs.filter((p) => !p.clean)).toEqual([
      { a: 'main', b: 'api', clean: false, paths: ['api/routes.ts'], messages: expect.any(Array) },
    ]);
    expect(f.repo.git(['for-each-ref', '--format=%(refname) %(objectname)'])).toBe(refsBefore);
    expect(f.repo.git(['worktree', 'list'])).not.toContain('_integrate');
  });
});

describe('pw integrate: verify', () => {
  function threeIndependent(verifyMode: string): PlanFixture {
    fixture = createPlanFixture({
      workers: [
        { id: 'a', owns: ['/a/'] },
        { id: 'b', owns: ['/b/'] },
        { id: 'c', owns: ['/c/'] },
      ],
      files: { 'a/x': '1\n', 'b/x': '1\n', 'c/x': '1\n' },
      // Fails once b's file is there; PW_INTEGRATE_STEP says which result is verified.
      integrate: { verify: 'echo "verifying $PW_INTEGRATE_STEP"; test ! -f b/broken', verifyMode },
    });
    const f = fixture;
    f.commit('a', '[COMPLETE] a', { 'a/x': '2\n' });
    f.commit('b', '[COMPLETE] b', { 'b/broken': 'oops\n' });
    f.commit('c', '[COMPLETE] c', { 'c/x': '2\n' });
    return f;
  }

  it.each(['end', 'each'])(
    'names the worker whose step breaks verify (mode %s); main stays',
    (mode) => {
      const f = threeIndependent(mode);
      const main = f.repo.git(['rev-parse', 'main']);
      const { status, json } = f.pwJson(['integrate']);
      expect(status).toBe(1);
      expect(json.outcome).toBe('verify-failed');
      expect(json.verify!.culprit).toBe('b');
      expect(json.verify!.startFails).toBe(false);
      expect(f.repo.git(['rev-parse', 'main'])).toBe(main);
      // Each run's output is saved; its worktree is gone.
      const failed = json.verify!.runs.find((r) => !r.ok)!;
      expect(readFileSync(failed.log, 'utf8')).toMatch(/verifying (b|result)/);
      expect(f.repo.git(['worktree', 'list'])).not.toContain('_integrate');
      expect(f.repo.git(['rev-parse', 'refs/pw/feat/integration'])).toBe(json.result);
      if (mode === 'end') expect(json.verify!.runs[0]!.label).toBe('result');
      else expect(json.verify!.runs.map((r) => r.label)).toEqual(['a', 'b']);
      // --no-verify publishes anyway, on purpose.
      expect(f.repo.pw(['integrate', '--no-verify']).status).toBe(0);
    },
  );

  it('blames no worker when the target itself already fails', () => {
    fixture = createPlanFixture({
      workers: [{ id: 'a', owns: ['/a/'] }],
      files: { 'a/x': '1\n' },
      integrate: { verify: 'test -f nowhere' },
    });
    fixture.commit('a', '[COMPLETE] a', { 'a/x': '2\n' });
    const { status, json } = fixture.pwJson(['integrate']);
    expect(status).toBe(1);
    expect(json.verify).toMatchObject({ passed: false, culprit: null, startFails: true });
  });

  it('publishes when verify passes', () => {
    const f = threeWorkers({ verify: 'test -f api/health.ts && test -f db/migrations/001.sql' });
    finishAll(f);
    const { status, json } = f.pwJson(['integrate']);
    expect(status).toBe(0);
    expect(json.verify).toMatchObject({ passed: true, culprit: null });
    expect(json.verify!.runs.map((r) => [r.label, r.ok])).toEqual([['result', true]]);
  });
});

describe('pw integrate: Ctrl-C', () => {
  it('stops during verify without moving the target or leaving its worktree', async () => {
    const f = threeWorkers({ verify: 'echo started > "$PW_PLAN.started"; sleep 5' });
    finishAll(f);
    const main = f.repo.git(['rev-parse', 'main']);
    const started = Date.now();
    const child = spawn(process.execPath, [builtBin, 'integrate'], {
      cwd: f.repo.dir,
      env: f.repo.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.resume();
    const verifyWorktree = join(f.repo.root, 'repo.pw/feat/_integrate-verify');
    while (!existsSync(join(verifyWorktree, 'feat.started'))) {
      if (Date.now() - started > 20_000) throw new Error('verify did not start');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // Ctrl-C reaches the whole foreground process group.
    process.kill(-child.pid!, 'SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('pw: interrupted: main was not moved');
    expect(f.repo.git(['rev-parse', 'main'])).toBe(main);
    expect(existsSync(verifyWorktree)).toBe(false);
    expect(f.repo.git(['worktree', 'list'])).not.toContain('_integrate');
    expect(f.repo.pw(['integrate', '--no-verify']).status).toBe(0);
  });
});

describe('pw integrate: squash', () => {
  it('writes one commit per worker listing its checkpoints; later work squashes cleanly on top', () => {
    const f = threeWorkers();
    const tips = finishAll(f);
    const base = f.repo.git(['rev-parse', 'main']);
    const { status, json } = f.pwJson(['integrate', '--strategy', 'squash']);
    expect(status).toBe(0);
    const chain = f.repo
      .git(['log', '--format=%P%x09%s', `${base}..main`])
      .split('\n')
      .reverse();
    expect(chain.map((l) => l.split('\t')[1])).toEqual([
      'db: schema with names',
      'api: GET /health',
      'web: health on the page',
    ]);
    expect(chain.every((l) => l.split('\t')[0]!.split(' ').length === 1)).toBe(true);
    const apiBody = f.repo.git(['log', '-1', '--skip=1', '--format=%B', 'main']);
    expect(apiBody).toContain('Checkpoints:\n- [CHECKPOINT] routes\n- [COMPLETE] GET /health');
    expect(apiBody).toContain(`Pw-Worker-Tip: ${tips.api}`);
    expect(f.repo.gitResult(['merge-base', '--is-ancestor', tips.api, 'main']).status).toBe(1);
    expect(json.order).toEqual(['db', 'api', 'web']);

    // The squash commits record what they hold: a rerun has nothing to do.
    expect(f.pwJson(['integrate', '--strategy', 'squash']).json.outcome).toBe(
      'nothing-to-integrate',
    );

    // api reopens and changes the same line again: squashed on top without a false conflict.
    f.commit('api', '[CHECKPOINT] more routes', {
      'api/routes.ts': 'export const routes = ["/health", "/v2"];\n',
    });
    f.commit('api', '[COMPLETE] v2');
    const again = f.pwJson(['integrate', '--strategy', 'squash']);
    expect(again.status).toBe(0);
    expect(again.json.order).toEqual(['api']);
    expect(f.repo.git(['show', 'main:api/routes.ts'])).toBe(
      'export const routes = ["/health", "/v2"];',
    );
  });
});

describe('pw integrate: publishing', () => {
  it('refuses when the checked-out target has uncommitted changes the update would overwrite', () => {
    const f = threeWorkers({ verify: 'true' });
    finishAll(f);
    const main = f.repo.git(['rev-parse', 'main']);
    f.repo.write('api/routes.ts', 'my local edit\n');
    f.repo.write('README.md', '# my notes\n');
    const refused = f.pwJson(['integrate']);
    expect(refused.status).toBe(1);
    expect(refused.json.outcome).toBe('target-dirty');
    expect(refused.json.refusal!.details).toEqual(['api/routes.ts']);
    expect(f.repo.git(['rev-parse', 'main'])).toBe(main);
    expect(readFileSync(join(f.repo.dir, 'api/routes.ts'), 'utf8')).toBe('my local edit\n');

    // Clean the overlapping file; the unrelated edit stays and survives the update.
    f.repo.git(['checkout', '--', 'api/routes.ts']);
    const published = f.pwJson(['integrate']);
    expect(published.status).toBe(0);
    expect(published.json.warnings.join('\n')).toMatch(
      /reusing the result of the previous attempt .* and verified/,
    );
    expect(published.json.verify!.note).toMatch(/previous attempt/);
    expect(readFileSync(join(f.repo.dir, 'README.md'), 'utf8')).toBe('# my notes\n');
    expect(f.repo.git(['status', '--porcelain'])).toBe(' M README.md');
    expect(f.repo.git(['rev-parse', 'main'])).toBe(published.json.result);
  });

  it('says so when the checked-out target moved during integrate; a rerun redoes it on top', () => {
    // verify stands in for someone committing on main (in the main worktree) while integrate runs.
    const mainWorktree = `"$(git worktree list --porcelain | sed -n '1s/^worktree //p')"`;
    const f = threeWorkers({
      verify: `git -C ${mainWorktree} commit -q --allow-empty -m 'someone else'`,
    });
    finishAll(f);
    const before = f.repo.git(['rev-parse', 'main']);
    const run = f.pwJson(['integrate']);
    expect(run.status).toBe(1);
    expect(run.json.outcome).toBe('target-moved');
    expect(run.json.refusal!.message).toContain('main moved while integrate ran');
    expect(run.json.next.join('\n')).toContain('Run pw integrate again');
    const after = f.repo.git(['rev-parse', 'main']);
    expect(f.repo.git(['rev-parse', 'main~1'])).toBe(before);
    expect(f.repo.git(['log', '-1', '--format=%s', 'main'])).toBe('someone else');
    expect(f.repo.git(['status', '--porcelain'])).toBe('');
    const redo = f.pwJson(['integrate', '--no-verify']);
    expect(redo.status).toBe(0);
    expect(f.repo.git(['rev-parse', 'main~3'])).toBe(after);
  });

  it('publishes a target nobody has checked out with a compare-and-swap, and refuses if it moved', () => {
    const mover =
      'git update-ref refs/heads/release "$(git commit-tree -p refs/heads/release -m moved "refs/heads/release^{tree}")"';
    const f = threeWorkers({ target: 'release', verify: mover });
    f.repo.git(['branch', 'release', 'main']);
    finishAll(f);
    const moved = f.pwJson(['integrate']);
    expect(moved.status).toBe(1);
    expect(moved.json.outcome).toBe('target-moved');
    expect(f.repo.git(['log', '-1', '--format=%s', 'release'])).toBe('moved');
    const main = f.repo.git(['rev-parse', 'main']);
    const published = f.pwJson(['integrate', '--no-verify']);
    expect(published.status).toBe(0);
    expect(published.json.publish).toMatchObject({ method: 'update-ref', worktree: null });
    expect(f.repo.git(['rev-parse', 'main'])).toBe(main);
    expect(f.repo.git(['log', '-1', '--format=%s', 'release'])).toBe(
      "Merge branch 'pw/feat/web' into release: health on the page",
    );
    expect(f.repo.git(['log', '-1', '--first-parent', '--skip=3', '--format=%s', 'release'])).toBe(
      'moved',
    );
  });

  it('creates a target branch that does not exist yet, from the base', () => {
    const f = threeWorkers({ target: 'release/1.0' });
    finishAll(f);
    const main = f.repo.git(['rev-parse', 'main']);
    const { status, json } = f.pwJson(['integrate']);
    expect(status).toBe(0);
    expect(json.publish).toMatchObject({ method: 'update-ref', from: null });
    expect(f.repo.git(['rev-parse', 'main'])).toBe(main);
    expect(f.repo.git(['rev-parse', 'release/1.0~3'])).toBe(main);
  });

  it('--teardown removes the worktrees after a successful publish', () => {
    const f = threeWorkers();
    finishAll(f);
    const { status, json } = f.pwJson(['integrate', '--teardown']);
    expect(status).toBe(0);
    expect(json.teardown!.ok).toBe(true);
    expect(existsSync(f.worktree('api'))).toBe(false);
    expect(f.repo.git(['worktree', 'list', '--porcelain'])).not.toContain('repo.pw');
    expect(f.repo.git(['rev-parse', 'refs/pw/archive/feat/api'])).toBe(
      json.archived.find((a) => a.worker === 'api')!.tip,
    );
  });
});
