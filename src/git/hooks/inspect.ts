import { stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { hooksToInstall, type HooksRole } from '../../domain/hooks/hook-scripts.js';
import type { CompiledPlan } from '../../domain/plan/plan.js';
import { exists } from '../../store/fs.js';
import { readTextIfExists } from '../../store/trusted-store.js';
import { readConfigLayers, type ConfigLayers } from '../config.js';
import { readMainWorktree } from '../worktree.js';
import {
  expectedFiles,
  listChainedHooks,
  pushesToHub,
  readChain,
  type HookInstallContext,
} from './install.js';
import {
  INSTALL_RECORD,
  currentHookRuntime,
  guardTablePath,
  readRecord,
  sameDir,
  workerHooksDir,
} from './layout.js';
import { hubSpec, mainSpec, workerSpec, type FolderSpec } from './roles.js';
import { expectedGuardTable, readHookTemplates } from './templates.js';

export type HooksState = 'active' | 'off' | 'outdated' | 'not-installed' | 'no-worktree';

export interface HooksHealth {
  role: HooksRole;
  /** The worker, for role 'worker'. */
  worker: string | null;
  /** The worktree (or hub) the folder serves. */
  location: string;
  /** pw's hooks folder for it. */
  dir: string;
  state: HooksState;
  /** core.hooksPath as git reads it there now (null: unset). */
  hooksPath: string | null;
  /** The hooks folder pw's scripts hand over to. */
  chain: string | null;
  /**
   * Where a relative `chain` is found: in this worktree, in the main worktree
   * (a worker worktree before `npm install` made husky's folder there), or
   * nowhere (then no hook of the project runs). Null for an absolute chain.
   */
  chainFoundIn: 'worktree' | 'main-worktree' | 'missing' | null;
  /** Each a sentence: what is wrong and what to do. */
  problems: string[];
}

/** Where the scripts find a relative chain folder (see `pw_next_hook` in hooks/lib.sh). */
async function findRelativeChain(
  spec: FolderSpec,
  chain: string,
): Promise<HooksHealth['chainFoundIn']> {
  if (isAbsolute(chain)) return null;
  if (await exists(join(spec.location, chain))) return 'worktree';
  for (const root of spec.alsoIn) {
    if (await exists(join(root, chain))) return 'main-worktree';
  }
  return 'missing';
}

async function inspectFolder(spec: FolderSpec, label: string, fix: string): Promise<HooksHealth> {
  const health: HooksHealth = {
    role: spec.role,
    worker: spec.role === 'worker' ? label : null,
    location: spec.location,
    dir: spec.dir,
    state: 'active',
    hooksPath: null,
    chain: null,
    chainFoundIn: null,
    problems: [],
  };
  if (!(await exists(spec.location))) {
    health.state = 'no-worktree';
    health.problems.push(`${label}: ${spec.location} does not exist; run pw setup again.`);
    return health;
  }
  // One git for the value in force and the layers the chain is read from.
  const layers: ConfigLayers | null = await readConfigLayers(spec.location, 'core.hooksPath').catch(
    () => null,
  );
  health.hooksPath = layers?.effective() ?? null;
  const record = await readRecord(spec.dir);
  if (!record) {
    health.state = 'not-installed';
    health.problems.push(`${label}: the pw hooks are not installed; run ${fix}.`);
    return health;
  }
  health.chain = record.chain;
  health.chainFoundIn = await findRelativeChain(spec, record.chain);
  if (!sameDir(health.hooksPath, spec.dir)) {
    health.state = 'off';
    health.problems.push(
      `${label}: core.hooksPath is ${health.hooksPath === null ? 'unset' : `"${health.hooksPath}"`} instead of ${spec.dir}, so the pw hooks do not run; run ${fix}.`,
    );
  }
  const templates = await readHookTemplates();
  const expected = expectedFiles(templates, { ...spec, runtime: record.runtime }, record);
  const missing: string[] = [];
  const changed: string[] = [];
  for (const [name, content] of expected) {
    if (name === INSTALL_RECORD) continue;
    const path = join(spec.dir, name);
    const text = await readTextIfExists(path);
    if (text === null || ((await stat(path)).mode & 0o111) === 0) missing.push(name);
    else if (text !== content) changed.push(name);
  }
  if (missing.length) {
    health.state = 'off';
    health.problems.push(
      `${label}: hook scripts missing or not executable (${missing.slice(0, 4).join(', ')}${missing.length > 4 ? ', ...' : ''}); run ${fix}.`,
    );
  }
  if (changed.length) {
    if (health.state === 'active') health.state = 'outdated';
    health.problems.push(
      `${label}: ${changed.length} hook file${changed.length === 1 ? ' differs' : 's differ'} from what pw writes (edited, or written by another pw version: ${changed.slice(0, 3).join(', ')}); run ${fix}.`,
    );
  }
  const chain = await readChain(spec, record.previous, layers ?? undefined);
  const chained = await listChainedHooks(spec, chain);
  const installed = (hook: string): boolean => (record.hooks ?? []).includes(hook);
  const wanted = hooksToInstall(spec.role, chained);
  const notPassed = wanted.filter((hook) => !installed(hook));
  // A worker that pushes to a hub (push.conf) has the hooks that push; one installed before
  // it pushed lacks them.
  const pushMissing = (await pushesToHub(spec))
    ? hooksToInstall(spec.role, chained, true).filter((h) => !wanted.includes(h) && !installed(h))
    : [];
  if (pushMissing.length) {
    if (health.state === 'active') health.state = 'outdated';
    health.problems.push(
      `${label}: its commits go to a hub, but the hooks that push them (${pushMissing.join(', ')}) are not installed; run ${fix}.`,
    );
  }
  if (chain === record.chain && notPassed.length) {
    if (health.state === 'active') health.state = 'outdated';
    health.problems.push(
      `${label}: ${chain} has ${notPassed.join(', ')} since pw installed its hooks, and pw does not hand over to ${notPassed.length === 1 ? 'it' : 'them'} yet; run ${fix}.`,
    );
  }
  if (chain !== record.chain) {
    if (health.state === 'active') health.state = 'outdated';
    health.problems.push(
      `${label}: the hooks folder in place before pw changed from ${record.chain} to ${chain} since pw installed its hooks, which still hand over to the old one; run ${fix}.`,
    );
  }
  return health;
}

/**
 * The hooks of each worker worktree of a plan, and of the main worktree:
 * whether they run, and what to do when not. `pw status` uses it to report a
 * worktree whose hooks were switched off. (A per-command `git -c
 * core.hooksPath=...` cannot be seen from here; `pw check` catches what it
 * lets through.)
 */
export async function inspectPlanHooks(
  commonDir: string,
  plan: CompiledPlan,
  options: { workers?: readonly string[] } = {},
): Promise<{ workers: HooksHealth[]; main: HooksHealth | null; guard: GuardHealth }> {
  const runtime = currentHookRuntime();
  const workers: HooksHealth[] = [];
  for (const worker of plan.workers) {
    if (options.workers && !options.workers.includes(worker.id)) continue;
    workers.push(
      await inspectFolder(
        workerSpec(commonDir, plan, worker, runtime),
        worker.id,
        `pw hooks install --plan ${plan.name} --worker ${worker.id}`,
      ),
    );
  }
  const main = await readMainWorktree(commonDir);
  return {
    workers,
    main:
      main === null
        ? null
        : await inspectFolder(
            mainSpec(commonDir, main, runtime),
            'main worktree',
            `pw hooks install --plan ${plan.name}`,
          ),
    guard: await inspectGuardTable(commonDir, plan),
  };
}

/** The plan's guard table: which branches every worktree's hooks guard. */
export interface GuardHealth {
  path: string;
  state: 'current' | 'outdated' | 'missing';
  problems: string[];
}

async function inspectGuardTable(commonDir: string, plan: CompiledPlan): Promise<GuardHealth> {
  const path = guardTablePath(commonDir, plan.name);
  const text = await readTextIfExists(path);
  const fix = `run pw hooks install --plan ${plan.name}`;
  if (text === null)
    return {
      path,
      state: 'missing',
      problems: [
        `${path} is missing, so no worktree guards the branches of plan ${plan.name}; ${fix}.`,
      ],
    };
  if (text !== expectedGuardTable(plan))
    return {
      path,
      state: 'outdated',
      problems: [`${path} differs from the plan (edited by hand, or the plan changed); ${fix}.`],
    };
  return { path, state: 'current', problems: [] };
}

/** The hub's pw hooks. */
export async function inspectHubHooks(hub: string): Promise<HooksHealth> {
  return inspectFolder(hubSpec(hub, currentHookRuntime()), 'hub', `pw hooks install --hub ${hub}`);
}

/** Whether the worker's worktree (and the main worktree) run the current pw hooks. */
export async function areWorkerHooksInstalled(context: HookInstallContext): Promise<boolean> {
  const { workers, main } = await inspectPlanHooks(context.commonDir, context.plan, {
    workers: [context.worker.id],
  });
  const worker = workers[0];
  const runtime = context.runtime ?? currentHookRuntime();
  const record = await readRecord(
    workerHooksDir(context.commonDir, context.plan.name, context.worker.id),
  );
  const sameRuntime =
    record !== null && record.runtime.node === runtime.node && record.runtime.bin === runtime.bin;
  return worker?.state === 'active' && (main === null || main.state === 'active') && sameRuntime;
}

/**
 * The hook files of a plan's worker folders that differ from what pw writes
 * for the plan (the trust check): file reads only, no git. A folder with no
 * install record is not installed, which `pw status` reports as hooks off.
 */
export async function readEditedHookFiles(
  commonDir: string,
  plan: CompiledPlan,
): Promise<{ worker: string; file: string }[]> {
  const templates = await readHookTemplates();
  const edited: { worker: string; file: string }[] = [];
  for (const worker of plan.workers) {
    const dir = workerHooksDir(commonDir, plan.name, worker.id);
    const record = await readRecord(dir);
    if (!record) continue;
    const spec = workerSpec(commonDir, plan, worker, record.runtime);
    // pw's own hooks are always written, whatever the record says.
    const hooks = [...new Set([...(record.hooks ?? []), ...hooksToInstall('worker', [])])];
    const expected = expectedFiles(templates, spec, { ...record, hooks });
    for (const [name, content] of expected) {
      if (name === INSTALL_RECORD) continue;
      if ((await readTextIfExists(join(dir, name))) !== content)
        edited.push({ worker: worker.id, file: join(dir, name) });
    }
  }
  return edited;
}
