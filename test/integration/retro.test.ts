import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandDeps } from '../../src/cli/deps.js';
import { runRetro } from '../../src/commands/retro.js';
import type { Retro } from '../../src/domain/retro/retro.js';
import { retroView, statusView } from '../helpers/status-retro-agreement.js';
import { createTempRepo, type TempRepo } from '../helpers/temp-repo.js';

const MIN = 60_000;

const PLAN = `name: demo
workers:
  - id: api
    owns: [/src/api/]
    task: build the api
  - id: web
    owns: [/src/web/]
    task: build the web
    dependsOn: [api]
  - id: docs
    owns: [/docs/]
    task: write the docs
`;

/** Runs a command in-process with a fixed clock; returns what it printed. */
async function retroAt(cwd: string, now: number, options: Record<string, unknown> = {}) {
  let stdout = '';
  let stderr = '';
  const deps: CommandDeps = {
    cwd,
    env: {},
    now: () => new Date(now),
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    isTTY: false,
    interrupted: new Promise(() => {}),
  };
  const result = await runRetro({ json: true, ...options }, deps);
  const json = options.json !== false;
  return { result, stdout, stderr, retro: (json ? JSON.parse(stdout) : null) as Retro };
}

describe('pw retro on a real repository with scripted commit times', () => {
  let repo: TempRepo;
  let start: number;
  let worktrees: Record<string, string>;
  const savedEnv = { ...process.env };

  /** Commits in a worker's worktree at start + `minutes`, with both dates pinned. */
  const commitAt = (
    worker: string,
    minutes: number,
    message: string,
    files: Record<string, string> = {},
    extra: string[] = [],
  ): void => {
    const cwd = worktrees[worker]!;
    for (const [path, content] of Object.entries(files)) repo.write(path, content, cwd);
    const date = `@${Math.floor((start + minutes * MIN) / 1000)} +0000`;
    repo.git(['add', '-A'], { cwd });
    repo.git(['commit', '-q', '--allow-empty', ...extra, '-m', message], {
      cwd,
      env: { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
    });
  };

  beforeAll(() => {
    repo = createTempRepo({
      files: {
        'README.md': '# demo\n',
        'src/api/index.ts': 'export {};\n',
        'src/web/index.ts': 'export {};\n',
        'docs/index.md': '# docs\n',
        'plan.yaml': PLAN,
      },
    });
    // The in-process command runs git with this process's environment: make it the hermetic one.
    Object.assign(process.env, repo.env);
    const setup = repo.pw(['setup', 'plan.yaml', '--json']);
    expect(setup.stderr).toBe('');
    expect(setup.status).toBe(0);
    worktrees = Object.fromEntries(
      (JSON.parse(setup.stdout) as { workers: { id: string; worktree: string }[] }).workers.map(
        (w) => [w.id, w.worktree],
      ),
    );
    const events = readFileSync(join(repo.dir, '.git', 'pw', 'demo', 'events.ndjson'), 'utf8');
    const setupTime = Date.parse((JSON.parse(events.split('\n')[0]!) as { time: string }).time);
    // The retrospective counts from the setup, cut to the second like git's dates.
    start = Math.floor(setupTime / 1000) * 1000;

    commitAt('web', 5, '[CHECKPOINT] scaffold', { 'src/web/app.ts': 'one\ntwo\n' });
    commitAt('api', 10, '[CHECKPOINT] schema', { 'src/api/index.ts': 'export {};\na\nb\n' });
    commitAt('web', 15, '[NEEDS:api/user-model] need the model');
    commitAt('web', 20, '[BLOCKED:no user model] waiting for api');
    commitAt('api', 25, '[CHECKPOINT] user model\n\nProvides: user-model', {
      'src/api/model.ts': '1\n2\n3\n',
    });
    commitAt('web', 45, '[CHECKPOINT] got the model');
    commitAt('docs', 50, 'wip docs', { 'docs/guide.md': 'guide\n' }, ['--no-verify']);
    commitAt('web', 60, '[NEEDS:api/session] need sessions');
    commitAt('docs', 60, '[CHECKPOINT] docs', { 'docs/guide.md': 'guide\nmore\n' });
    commitAt('web', 70, '[CHECKPOINT] forms', { 'src/web/app.ts': 'one\n2\n3\n' });
    commitAt('api', 120, '[COMPLETE] api done');
    commitAt('web', 140, '[COMPLETE] web done');
  });

  afterAll(() => {
    process.env = savedEnv;
    repo?.cleanup();
  });

  it('mid-flight: exact per-worker figures from the branches', async () => {
    const { result, retro } = await retroAt(repo.dir, start + 180 * MIN);
    expect(result.exitCode).toBe(0);
    expect(retro.status).toBe('in-flight');
    expect(Date.parse(retro.startedAt)).toBe(start);
    expect(retro.wallMs).toBe(180 * MIN);
    const w = Object.fromEntries(retro.workers.map((x) => [x.id, x]));
    for (const worker of retro.workers) expect(worker.source).toBe('branch');

    expect(w.api).toMatchObject({
      state: 'complete',
      commits: 3,
      checkpoints: 2,
      timeToFirstCommitMs: 10 * MIN,
      timeToCompleteMs: 120 * MIN,
      // 0→10 and 10→25; 25→120 is a stall.
      activeMs: 25 * MIN,
      blockedMs: 0,
      files: { changed: 2, linesAdded: 5, linesDeleted: 0, binary: 0 },
      outOfScope: [],
    });
    expect(w.api!.stalls.map((s) => s.ms)).toEqual([95 * MIN]);
    expect(w.api!.longestSilence!.ms).toBe(95 * MIN);

    expect(w.web).toMatchObject({
      state: 'complete',
      commits: 7,
      timeToFirstCommitMs: 5 * MIN,
      timeToCompleteMs: 140 * MIN,
      // 5 + 10 + 5 (to BLOCKED) + 15 + 10; 20→45 blocked; 70→140 a stall.
      activeMs: 45 * MIN,
      blockedMs: 25 * MIN,
      reopened: 0,
      files: { changed: 1, linesAdded: 4, linesDeleted: 1, binary: 0 },
    });
    expect(w.web!.needs.map((n) => [n.item, n.resolvedBy, n.waitedMs])).toEqual([
      ['user-model', 'provides', 10 * MIN],
      ['session', 'complete', 60 * MIN],
    ]);
    expect(w.web!.stalls.map((s) => s.ms)).toEqual([70 * MIN]);

    expect(w.docs).toMatchObject({
      state: 'stalled',
      commits: 2,
      timeToFirstCommitMs: 50 * MIN,
      timeToCompleteMs: null,
      activeMs: 10 * MIN,
      unprefixed: [{ header: 'wip docs', sha: expect.any(String) }],
      files: { changed: 1, linesAdded: 2, linesDeleted: 0, binary: 0 },
    });
    expect(w.docs!.longestSilence!.ms).toBe(120 * MIN);

    expect(retro.totals.activeMs).toBe(80 * MIN);
    expect(retro.speedUp).toBeCloseTo(80 / 180, 10);
    expect(retro.blockedRatio).toBeCloseTo(25 / (120 + 140 + 180), 10);
    expect(retro.hygiene.unprefixed).toBe(1);
    expect(retro.findings.length).toBeGreaterThanOrEqual(3);
    expect(retro.findings.length).toBeLessThanOrEqual(6);
  });

  it('after teardown: the same history from the archive refs, with report, SVG and HTML files', async () => {
    commitAt('docs', 90, '[COMPLETE] docs done');
    const teardown = repo.pw(['teardown', '--force']);
    expect(teardown.status, teardown.stderr).toBe(0);
    expect(repo.git(['branch', '--list', 'pw/*'])).toBe('');

    const { retro } = await retroAt(repo.dir, start + 600 * MIN);
    expect(retro.status).toBe('complete');
    expect(retro.tornDownAt).not.toBeNull();
    expect(retro.workers.map((w) => w.source)).toEqual(['archive', 'archive', 'archive']);
    // Every worker is complete: the plan ended at the last COMPLETE, whatever the clock says now.
    expect(retro.wallMs).toBe(140 * MIN);
    expect(retro.workers.map((w) => w.timeToCompleteMs)).toEqual([120 * MIN, 140 * MIN, 90 * MIN]);
    expect(retro.workers.find((w) => w.id === 'docs')!.activeMs).toBe(40 * MIN);
    expect(retro.criticalPath.steps.map((s) => s.worker)).toEqual(['api', 'web']);
    expect(retro.criticalPath.lengthMs).toBe(140 * MIN);

    const files = await retroAt(repo.dir, start + 600 * MIN, {
      json: false,
      out: 'retro/report.md',
      svg: 'retro/timeline.svg',
      html: 'retro/report.html',
    });
    expect(files.stdout).toContain(join(repo.dir, 'retro', 'report.md'));
    const md = readFileSync(join(repo.dir, 'retro', 'report.md'), 'utf8');
    expect(md).toContain('# Retrospective: demo');
    expect(md).toContain('![Timeline of plan demo](timeline.svg)');
    expect(md).toContain('history read from archive refs');
    const svg = readFileSync(join(repo.dir, 'retro', 'timeline.svg'), 'utf8');
    expect(svg.match(/class="lane"/g)).toHaveLength(3);
    expect(svg.match(/class="need-arrow"/g)).toHaveLength(2);
    const html = readFileSync(join(repo.dir, 'retro', 'report.html'), 'utf8');
    expect(html).toContain('<svg');
  });
});

describe('pw retro and pw status agree on when a NEEDS was resolved', () => {
  let repo: TempRepo;
  afterAll(() => repo?.cleanup());

  it('a COMPLETE from before a reopening leaves a later NEEDS open until the Provides', () => {
    repo = createTempRepo({
      files: {
        'src/api/index.ts': 'export {};\n',
        'src/web/index.ts': 'export {};\n',
        'plan.yaml': PLAN.replace('name: demo', 'name: reopen'),
      },
    });
    const setup = repo.pw(['setup', 'plan.yaml', '--json']);
    expect(setup.status, setup.stderr).toBe(0);
    const worktree = Object.fromEntries(
      (JSON.parse(setup.stdout) as { workers: { id: string; worktree: string }[] }).workers.map(
        (w) => [w.id, w.worktree],
      ),
    );
    const start = Math.floor(Date.now() / 1000) * 1000 + 60_000;
    const date = (minutes: number): string => `@${(start + minutes * MIN) / 1000} +0000`;
    const commit = (worker: string, minutes: number, message: string): void => {
      repo.git(['commit', '-q', '--allow-empty', '-m', message], {
        cwd: worktree[worker],
        env: { GIT_AUTHOR_DATE: date(minutes), GIT_COMMITTER_DATE: date(minutes) },
      });
    };
    commit('api', 1, '[COMPLETE] api done');
    commit('api', 2, '[CHECKPOINT] reopened');
    commit('web', 3, '[NEEDS:api/thing] need the thing');
    const now = { PW_NOW: new Date(start + 10 * MIN).toISOString() };

    type Status = { workers: { id: string; needs: { item: string }[] }[] };
    const before = JSON.parse(repo.pw(['status', '--json'], { env: now }).stdout) as Status;
    expect(before.workers.find((w) => w.id === 'web')!.needs.map((n) => n.item)).toEqual(['thing']);
    const open = JSON.parse(repo.pw(['retro', '--json'], { env: now }).stdout) as Retro;
    expect(open.workers.find((w) => w.id === 'web')!.needs[0]).toMatchObject({
      open: true,
      resolvedBy: null,
    });

    commit('api', 7, '[CHECKPOINT] the thing\n\nProvides: thing');
    type Resolved = {
      workers: { id: string; resolvedNeeds: { by: string; resolvedAt: string }[] }[];
    };
    const status = JSON.parse(repo.pw(['status', '--json'], { env: now }).stdout) as Resolved;
    const retro = JSON.parse(repo.pw(['retro', '--json'], { env: now }).stdout) as Retro;
    const byStatus = status.workers.find((w) => w.id === 'web')!.resolvedNeeds;
    const byRetro = retro.workers.find((w) => w.id === 'web')!.needs;
    expect(byStatus.map((n) => [n.by, n.resolvedAt])).toEqual([
      ['provides', new Date(start + 7 * MIN).toISOString()],
    ]);
    expect(byRetro.map((n) => [n.resolvedBy, n.resolvedAt, n.waitedMs])).toEqual([
      ['provides', new Date(start + 7 * MIN).toISOString(), 4 * MIN],
    ]);
  });
});

describe('pw status --json and pw retro --json agree at every pinned moment of a real history', () => {
  let repo: TempRepo;
  afterAll(() => repo?.cleanup());

  it("the demo's history, then a NEEDS cycle: states, open NEEDS and deadlocks", () => {
    repo = createTempRepo({
      files: {
        'README.md': '# acme-status\n',
        'src/api/routes.js': 'export {};\n',
        'src/web/page.js': 'export {};\n',
        'docs/index.md': '# docs\n',
        'plan.yaml': `name: health
workers:
  - id: api
    owns: [/src/api/, /test/api/]
    task: GET /health
  - id: web
    owns: [/src/web/]
    task: a status page
    dependsOn: [api]
  - id: docs
    owns: [/docs/, /README.md]
    task: document it
`,
      },
    });
    const setup = repo.pw(['setup', 'plan.yaml', '--json']);
    expect(setup.status, setup.stderr).toBe(0);
    const worktree = Object.fromEntries(
      (JSON.parse(setup.stdout) as { workers: { id: string; worktree: string }[] }).workers.map(
        (w) => [w.id, w.worktree],
      ),
    );
    const start = Math.floor(Date.now() / 1000) * 1000 + 60_000;
    const commit = (
      worker: string,
      minutes: number,
      message: string,
      files: Record<string, string> = {},
    ): void => {
      const cwd = worktree[worker]!;
      for (const [path, content] of Object.entries(files)) repo.write(path, content, cwd);
      const date = `@${(start + minutes * MIN) / 1000} +0000`;
      repo.git(['add', '-A'], { cwd });
      repo.git(['commit', '-q', '--allow-empty', '-m', message], {
        cwd,
        env: { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
      });
    };
    const views = (minutes: number) => {
      const env = { PW_NOW: new Date(start + minutes * MIN).toISOString() };
      const status = repo.pw(['status', '--json'], { env });
      const retro = repo.pw(['retro', '--json'], { env });
      expect(retro.status, retro.stderr).toBe(0);
      const byStatus = statusView(JSON.parse(status.stdout) as Parameters<typeof statusView>[0]);
      const byRetro = retroView(JSON.parse(retro.stdout) as Retro);
      expect(byRetro, `at +${minutes}m`).toEqual(byStatus);
      return byStatus;
    };

    expect(views(1).states).toEqual({ api: 'pending', web: 'pending', docs: 'pending' });
    commit('api', 12, '[CHECKPOINT] route skeleton for GET /health', {
      'src/api/routes.js': 'export function health() {}\n',
    });
    commit('web', 20, '[NEEDS:api/health-endpoint] the page needs the /health response shape');
    commit('docs', 25, '[CHECKPOINT] outline for the health docs', {
      'docs/health.md': '# /health\n',
    });
    commit('docs', 40, '[BLOCKED:response format not decided] cannot document fields yet');
    expect(views(45)).toMatchObject({
      openNeeds: ['web -> api/health-endpoint'],
      states: { docs: 'blocked' },
    });
    commit(
      'api',
      80,
      '[CHECKPOINT] GET /health returns status, version and uptime\n\nProvides: health-endpoint',
      { 'src/api/routes.js': 'export function health() { return 1; }\n' },
    );
    expect(views(82).openNeeds).toEqual([]);
    commit('docs', 90, '[CHECKPOINT] document status, version and uptime', {
      'docs/health.md': '# /health\n\nstatus, version, uptime\n',
    });
    commit('api', 100, '[COMPLETE] GET /health with a test', { 'test/api/health.test.js': '\n' });
    commit('web', 105, '[CHECKPOINT] status page shows the health result', {
      'src/web/page.js': 'export const page = 1;\n',
    });
    commit('docs', 110, '[COMPLETE] health endpoint and status page documented');
    commit('web', 120, '[COMPLETE] status page shows API health');
    expect(views(122).states).toEqual({ api: 'complete', web: 'complete', docs: 'complete' });
    // Both reopen and wait on each other.
    commit('api', 130, '[NEEDS:web/ui-contract] v2 needs the page contract');
    commit('web', 135, '[NEEDS:api/v2-schema] the page needs the v2 schema');
    expect(views(140).deadlocks).toEqual(['api,web']);
    views(200);
  }, 180_000);
});
