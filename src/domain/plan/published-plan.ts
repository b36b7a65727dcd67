import { join } from 'node:path';
import { resolveWorktreeRoot } from './compile-plan.js';
import { ID_PATTERN, type CompiledPlan, type CompiledWorker } from './plan.js';
import { branchNameProblem } from './validate-plan.js';
import { parseScopePattern } from '../scope/scope-pattern.js';

/**
 * The plan another machine published on the hub (`refs/pw/<plan>/plan`), as
 * `pw join` reads it. It comes over the network, so every field pw later
 * turns into a path, a ref, a pathspec or a shell word is checked here, and
 * the pathspecs are compiled again from the patterns rather than taken as
 * written. Pure.
 */

export type PublishedPlan = { ok: true; plan: CompiledPlan } | { ok: false; problems: string[] };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function readWorker(raw: unknown, at: string, problems: string[]): CompiledWorker | null {
  if (!isRecord(raw)) {
    problems.push(`${at}: not a worker`);
    return null;
  }
  const { id, branch, owns, task, dependsOn, agentCommand, stallAfterMs } = raw;
  const before = problems.length;
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) problems.push(`${at}.id: not a worker id`);
  const branchProblem = typeof branch === 'string' ? branchNameProblem(branch) : 'is missing';
  if (branchProblem) problems.push(`${at}.branch ${branchProblem}`);
  if (!isStringList(owns)) problems.push(`${at}.owns: not a list of patterns`);
  if (typeof task !== 'string') problems.push(`${at}.task: not text`);
  if (!isStringList(dependsOn)) problems.push(`${at}.dependsOn: not a list of ids`);
  if (typeof agentCommand !== 'string') problems.push(`${at}.agentCommand: not text`);
  if (typeof stallAfterMs !== 'number' || !(stallAfterMs > 0))
    problems.push(`${at}.stallAfterMs: not a duration`);
  if (problems.length > before) return null;
  const pathspecs: string[] = [];
  for (const pattern of owns as string[]) {
    const parsed = parseScopePattern(pattern);
    if (parsed.ok) pathspecs.push(...parsed.pattern.pathspecs);
    else problems.push(`${at}.owns: ${JSON.stringify(pattern)} ${parsed.problem}`);
  }
  return {
    id: id as string,
    branch: branch as string,
    // Replaced by relocatePlan: a path on the machine that published the plan means nothing here.
    worktree: typeof raw.worktree === 'string' ? raw.worktree : '',
    owns: owns as string[],
    pathspecs,
    task: task as string,
    dependsOn: dependsOn as string[],
    agentCommand: agentCommand as string,
    stallAfterMs: stallAfterMs as number,
  };
}

/** Reads and checks the published plan text; `name` is the plan asked for. */
export function parsePublishedPlan(text: string, name: string): PublishedPlan {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [`plan.json is not JSON: ${(error as Error).message}`] };
  }
  if (!isRecord(raw)) return { ok: false, problems: ['plan.json is not a pw plan'] };
  const problems: string[] = [];
  if (raw.version !== 1) problems.push(`version ${JSON.stringify(raw.version)} is not 1`);
  if (raw.name !== name) problems.push(`its name is ${JSON.stringify(raw.name)}, not "${name}"`);
  for (const key of ['base', 'target'] as const) {
    const value = raw[key];
    const problem = typeof value === 'string' ? branchNameProblem(value) : 'is missing';
    if (problem) problems.push(`${key} ${problem}`);
  }
  if (typeof raw.baseCommit !== 'string' || !/^[0-9a-f]{40,64}$/.test(raw.baseCommit))
    problems.push('baseCommit is not a commit id');
  if (typeof raw.context !== 'string') problems.push('context is not text');
  if (!isRecord(raw.integrate)) problems.push('integrate is missing');
  if (raw.tornDownAt !== undefined) problems.push('it was torn down');
  const workers: CompiledWorker[] = [];
  if (!Array.isArray(raw.workers) || raw.workers.length === 0) problems.push('it has no workers');
  else {
    raw.workers.forEach((entry, i) => {
      const worker = readWorker(entry, `workers[${i}]`, problems);
      if (worker) workers.push(worker);
    });
  }
  const ids = new Set(workers.map((w) => w.id));
  if (ids.size !== workers.length) problems.push('two workers have the same id');
  for (const worker of workers) {
    for (const dependency of worker.dependsOn)
      if (!ids.has(dependency))
        problems.push(`${worker.id} depends on "${dependency}", not a worker`);
  }
  if (problems.length) return { ok: false, problems };
  return { ok: true, plan: { ...(raw as unknown as CompiledPlan), workers } };
}

/**
 * The published plan as this machine sets it up: its own main worktree, and
 * worktrees under its own `worktreeRoot` (`<root>/<plan>/<worker>`, as setup
 * makes them); every other field as published.
 */
export function relocatePlan(
  plan: CompiledPlan,
  here: { mainWorktree: string; worktreeRoot: string },
): CompiledPlan {
  const root = resolveWorktreeRoot(here.worktreeRoot, here.mainWorktree);
  return {
    ...plan,
    repoRoot: here.mainWorktree,
    workers: plan.workers.map((worker) => ({
      ...worker,
      worktree: join(root, plan.name, worker.id),
    })),
  };
}
