import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTempRepo, openTempRepo, type TempRepo } from './temp-repo.js';

export interface FixtureWorker {
  id: string;
  owns: string[];
  dependsOn?: string[];
}

export interface PlanFixture {
  repo: TempRepo;
  plan: string;
  /** The worktree of a worker. */
  worktree(worker: string): string;
  /** Writes files in a worker's worktree and commits them (an empty commit when `files` is empty). */
  commit(worker: string, message: string, files?: Record<string, string>): string;
  /** Runs the built pw in the main worktree (or `cwd`); `--json` output parsed. */
  pwJson<T = IntegrateJson>(
    args: string[],
    cwd?: string,
  ): { status: number; json: T; stderr: string };
  branch(worker: string): string;
  /**
   * Runs `prepare` the first time a fixture with these options reaches the
   * state `name`; a later fixture with the same options, at the same path,
   * gets the state back from a copy (and `prepare`'s result) instead of
   * making the commits again.
   */
  prepared<T>(name: string, prepare: () => T): T;
  cleanup(): void;
}

/** The parts of `pw integrate --json` the tests read. */
export interface IntegrateJson {
  outcome: string;
  ok: boolean;
  order: string[];
  edges: { from: string; to: string; reason: string }[];
  steps: { worker: string; status: string; commit: string | null; tip: string }[];
  skipped: { worker: string; reason: string }[];
  warnings: string[];
  notes: string[];
  preflight: string[];
  conflict: {
    worker: string;
    step: number;
    paths: string[];
    touchedBy: { path: string; by: string[] }[];
    messages: { type: string; text: string; paths: string[] }[];
    worktree: string | null;
  } | null;
  verify: {
    passed: boolean;
    culprit: string | null;
    startFails: boolean;
    runs: { label: string; ok: boolean; log: string }[];
    note: string | null;
  } | null;
  publish: { method: string; worktree: string | null; from: string | null; to: string } | null;
  refusal: { message: string; details: string[] } | null;
  result: string | null;
  integrationRef: string | null;
  archived: { worker: string; ref: string; tip: string }[];
  teardown: { ok: boolean; text: string } | null;
  matrix: {
    participants: string[];
    pairs: { a: string; b: string; clean: boolean; paths: string[] }[];
  } | null;
  next: string[];
}

/**
 * A temp repository with a plan set up by the built `pw setup`: files for each
 * worker folder, a plan file outside the repository (so the main worktree
 * stays clean), and helpers to commit as a worker.
 */
export function createPlanFixture(options: PlanFixtureOptions): PlanFixture {
  const name = options.name ?? 'feat';
  const key = JSON.stringify(options);
  const template = templates.get(key);
  if (template && !existsSync(template.root)) {
    copyTree(template.copy, template.root);
    return planFixture(openTempRepo(template.root), name, key);
  }
  const fixture = planFixture(buildPlanRepo(options, name), name, key);
  if (!template) {
    const copy = join(templateFolder(), String(templates.size));
    copyTree(fixture.repo.root, copy);
    templates.set(key, { root: fixture.repo.root, copy });
  }
  return fixture;
}

export interface PlanFixtureOptions {
  workers: FixtureWorker[];
  files?: Record<string, string>;
  integrate?: Record<string, string>;
  name?: string;
}

/**
 * Setting a plan up costs a pw setup and a dozen git processes; a test file
 * that needs the same fixture in every test builds it once. The first build
 * is copied aside (`cp -a`: modes, links and times kept); a later call with
 * the same options, once that first fixture is cleaned up, gets the copy back
 * at the very same path, so every absolute path setup wrote (worktree links,
 * hooks, launch scripts, the trusted store) stays true. A call while the
 * first is still in use builds afresh.
 */
const templates = new Map<string, { root: string; copy: string }>();
const preparedStates = new Map<string, { root: string; copy: string; result: unknown }>();
let templatesRoot: string | null = null;

function templateFolder(): string {
  if (!templatesRoot) {
    const folder = mkdtempSync(join(tmpdir(), 'pw-templates-'));
    templatesRoot = folder;
    process.on('exit', () => rmSync(folder, { recursive: true, force: true }));
  }
  return templatesRoot;
}

function copyTree(from: string, to: string): void {
  const copied = spawnSync('cp', ['-a', from, to], { encoding: 'utf8' });
  if (copied.status !== 0) throw new Error(`cp -a ${from} ${to} failed: ${copied.stderr}`);
}

function buildPlanRepo(options: PlanFixtureOptions, name: string): TempRepo {
  const files: Record<string, string> = { 'README.md': '# test\n', ...options.files };
  const repo = createTempRepo({ files });
  const yaml = [
    `name: ${name}`,
    'workers:',
    ...options.workers.flatMap((w) => [
      `  - id: ${w.id}`,
      `    owns: ${JSON.stringify(w.owns)}`,
      `    task: work on ${w.id}`,
      ...(w.dependsOn?.length ? [`    dependsOn: ${JSON.stringify(w.dependsOn)}`] : []),
    ]),
    ...(options.integrate
      ? [
          'integrate:',
          ...Object.entries(options.integrate).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`),
        ]
      : []),
    '',
  ].join('\n');
  repo.write('plan.yaml', yaml, repo.root);
  const setup = repo.pw(['setup', join(repo.root, 'plan.yaml'), '--json']);
  if (setup.status !== 0) {
    throw new Error(`pw setup failed (${setup.status}):\n${setup.stdout}\n${setup.stderr}`);
  }
  return repo;
}

function planFixture(repo: TempRepo, name: string, key: string): PlanFixture {
  const worktree = (worker: string): string => join(repo.root, 'repo.pw', name, worker);
  return {
    repo,
    plan: name,
    worktree,
    branch: (worker) => `pw/${name}/${worker}`,
    commit(worker, message, changed = {}) {
      const cwd = worktree(worker);
      for (const [path, content] of Object.entries(changed)) repo.write(path, content, cwd);
      if (Object.keys(changed).length)
        repo.git(['add', '-A', '--', ...Object.keys(changed)], { cwd });
      repo.git(['commit', '-q', '--allow-empty', '-m', message], { cwd });
      return repo.git(['rev-parse', 'HEAD'], { cwd });
    },
    pwJson<T>(args: string[], cwd?: string) {
      const result = repo.pw([...args, '--json'], cwd ? { cwd } : {});
      let json: T;
      try {
        json = JSON.parse(result.stdout) as T;
      } catch {
        throw new Error(
          `pw ${args.join(' ')} printed no JSON (exit ${result.status}):\n${result.stdout}\n${result.stderr}`,
        );
      }
      return { status: result.status, json, stderr: result.stderr };
    },
    prepared<T>(state: string, prepare: () => T): T {
      const stateKey = `${key}\0${state}`;
      const saved = preparedStates.get(stateKey);
      if (saved && saved.root === repo.root) {
        rmSync(repo.root, { recursive: true, force: true });
        copyTree(saved.copy, repo.root);
        return saved.result as T;
      }
      const result = prepare();
      if (!saved) {
        const copy = join(templateFolder(), `state-${preparedStates.size}`);
        copyTree(repo.root, copy);
        preparedStates.set(stateKey, { root: repo.root, copy, result });
      }
      return result;
    },
    cleanup: () => repo.cleanup(),
  };
}
