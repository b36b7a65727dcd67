import { removeEmptyTree } from './fs.js';
import { appendFile, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CompiledPlan } from '../domain/plan/plan.js';

/**
 * The trusted copies live in the common git dir, outside every worktree, so a
 * worker cannot widen its own scope by editing a file (DESIGN.md section 2).
 */
export function pwRoot(commonDir: string): string {
  return join(commonDir, 'pw');
}

export function planDir(commonDir: string, plan: string): string {
  return join(pwRoot(commonDir), plan);
}

export const planPaths = (commonDir: string, plan: string) => {
  const dir = planDir(commonDir, plan);
  return {
    dir,
    plan: join(dir, 'plan.json'),
    scopes: join(dir, 'scopes'),
    scope: (worker: string) => join(dir, 'scopes', `${worker}.pathspecs`),
    hooks: join(dir, 'hooks'),
    launchers: join(dir, 'launch'),
    launch: (worker: string) => join(dir, 'launch', `${worker}.sh`),
    events: join(dir, 'events.ndjson'),
  };
};

/** The repository config as it was before the first plan was set up. */
export function repoConfigSnapshotPath(commonDir: string): string {
  return join(pwRoot(commonDir), 'repo-config.json');
}

let atomicWrites = 0;

/** Writes via a temporary file and a rename, so readers never see half a file. */
export async function writeFileAtomic(path: string, content: string, mode?: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  // One temporary file per write: two writes of the same file in one process (a run's loop
  // and a read beside it, each saving the status cache) never share one.
  const temp = `${path}.tmp-${process.pid}-${++atomicWrites}`;
  await writeFile(temp, content, mode === undefined ? {} : { mode });
  await rename(temp, path);
}

/**
 * The text of a file, or null when there is none. Read synchronously: pw's
 * files are small, and a read through fs/promises costs several round trips
 * to the thread pool (open, stat, read, close), which dominated commands that
 * check a few hundred of them (the trust check reads every hook script).
 */
export async function readTextIfExists(path: string): Promise<string | null> {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

export async function readCompiledPlan(
  commonDir: string,
  plan: string,
): Promise<CompiledPlan | null> {
  const text = await readTextIfExists(planPaths(commonDir, plan).plan);
  return text === null ? null : (JSON.parse(text) as CompiledPlan);
}

/** Names of the plans with a trusted copy in this repository. */
export async function listPlanNames(commonDir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(pwRoot(commonDir), { withFileTypes: true });
  } catch {
    return [];
  }
  const names: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    if ((await readTextIfExists(planPaths(commonDir, entry.name).plan)) !== null)
      names.push(entry.name);
  }
  return names.sort();
}

export interface PwEvent {
  time: string;
  type: string;
  plan: string;
  worker?: string;
  [key: string]: unknown;
}

/**
 * Appends one JSON line. A single write of one line under O_APPEND, so lines
 * from concurrent writers in several worktrees do not interleave.
 */
export async function appendEvent(commonDir: string, event: PwEvent): Promise<void> {
  const path = planPaths(commonDir, event.plan).events;
  await mkdir(dirname(path), { recursive: true });
  await appendFile(path, `${JSON.stringify(event)}\n`, { flag: 'a' });
}

export async function readEvents(commonDir: string, plan: string): Promise<PwEvent[]> {
  const text = await readTextIfExists(planPaths(commonDir, plan).events);
  if (!text) return [];
  const events: PwEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      events.push(JSON.parse(line) as PwEvent);
    } catch {
      // A torn last line (a writer killed mid-append) is skipped, not fatal.
    }
  }
  return events;
}

export async function removePath(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
}

/**
 * Removes `<common dir>/pw` when no file is left in it (only empty folders),
 * as after a purge or a rolled-back first setup; leaves it alone otherwise.
 */
export async function removeEmptyPwRoot(commonDir: string): Promise<void> {
  await removeEmptyTree(pwRoot(commonDir));
}

/**
 * Every plan set up in the repository, in name order: the trusted copies, minus
 * the records teardown kept (unless `includeTornDown`, for retro).
 */
export async function readActivePlans(
  commonDir: string,
  options: { includeTornDown?: boolean } = {},
): Promise<CompiledPlan[]> {
  const names = await listPlanNames(commonDir);
  const plans = await Promise.all(names.map((name) => readCompiledPlan(commonDir, name)));
  return plans.filter(
    (plan): plan is CompiledPlan => plan !== null && (options.includeTornDown || !plan.tornDownAt),
  );
}
