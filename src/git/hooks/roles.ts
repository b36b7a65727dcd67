import { isAbsolute, join } from 'node:path';
import type { HookScriptValues, HooksRole } from '../../domain/hooks/hook-scripts.js';
import type { CompiledPlan, CompiledWorker } from '../../domain/plan/plan.js';
import { scopeExcludePathspecs } from '../../domain/scope/excludes.js';
import { pushPaths } from '../../store/hub-record.js';
import { hubHooksDir, mainHooksDir, workerHooksDir, type HookRuntime } from './layout.js';

/** One hooks folder pw installs: where, for which role, and what its scripts say. */
export interface FolderSpec {
  role: HooksRole;
  dir: string;
  /** `<common dir>/pw`: every folder inside it is pw's, never a user's hooks. */
  pwRoot: string;
  /** Where git config is read and written. */
  location: string;
  scope: 'worktree' | 'local';
  /** The hooks folder git uses when core.hooksPath is unset: `<common dir>/hooks`. */
  defaultHooks: string;
  values: (chain: string) => HookScriptValues;
  runtime: HookRuntime;
  /** Main worktree: <common>/config.worktree, to restore its absence exactly. */
  configFile: string | null;
  /** Other worktrees a relative chain folder is looked up in (the main one, for a worker). */
  alsoIn: readonly string[];
  /** A worker's push.conf: while it exists, the worker's commits are pushed to a hub. */
  pushConf: string | null;
}

function workerValues(
  commonDir: string,
  plan: CompiledPlan,
  worker: CompiledWorker,
  runtime: HookRuntime,
): (chain: string) => HookScriptValues {
  const dir = workerHooksDir(commonDir, plan.name, worker.id);
  return (chain) => ({
    role: 'worker',
    plan: plan.name,
    worker: worker.id,
    root: join(commonDir, 'pw'),
    self: dir,
    chain,
    chainMain: isAbsolute(chain) ? null : join(plan.repoRoot, chain),
    node: runtime.node,
    bin: runtime.bin,
    excludes: scopeExcludePathspecs(worker.owns),
    branch: worker.branch,
    base: plan.base,
  });
}

export function workerSpec(
  commonDir: string,
  plan: CompiledPlan,
  worker: CompiledWorker,
  runtime: HookRuntime,
): FolderSpec {
  return {
    role: 'worker',
    dir: workerHooksDir(commonDir, plan.name, worker.id),
    pwRoot: join(commonDir, 'pw'),
    location: worker.worktree,
    scope: 'worktree',
    defaultHooks: join(commonDir, 'hooks'),
    values: workerValues(commonDir, plan, worker, runtime),
    runtime,
    configFile: null,
    alsoIn: [plan.repoRoot],
    pushConf: pushPaths(commonDir, plan.name, worker.id).conf,
  };
}

export function mainSpec(commonDir: string, mainWorktree: string, runtime: HookRuntime): FolderSpec {
  const dir = mainHooksDir(commonDir);
  return {
    role: 'main',
    dir,
    pwRoot: join(commonDir, 'pw'),
    location: mainWorktree,
    scope: 'worktree',
    defaultHooks: join(commonDir, 'hooks'),
    values: (chain) => ({
      role: 'main',
      plan: '',
      worker: '',
      root: join(commonDir, 'pw'),
      self: dir,
      chain,
      node: runtime.node,
      bin: runtime.bin,
      excludes: [],
    }),
    runtime,
    configFile: join(commonDir, 'config.worktree'),
    alsoIn: [],
    pushConf: null,
  };
}

export function hubSpec(hub: string, runtime: HookRuntime): FolderSpec {
  const dir = hubHooksDir(hub);
  return {
    role: 'hub',
    dir,
    pwRoot: join(hub, 'pw'),
    location: hub,
    scope: 'local',
    defaultHooks: join(hub, 'hooks'),
    values: (chain) => ({
      role: 'hub',
      plan: '',
      worker: '',
      root: join(hub, 'pw'),
      self: dir,
      chain,
      node: runtime.node,
      bin: runtime.bin,
      excludes: [],
    }),
    runtime,
    configFile: null,
    alsoIn: [],
    pushConf: null,
  };
}
