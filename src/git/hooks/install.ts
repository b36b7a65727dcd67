import { readFile, readdir, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import {
  HOOK_NAMES,
  hooksToInstall,
  renderHookScripts,
  type HookTemplates,
} from '../../domain/hooks/hook-scripts.js';
import type { CompiledPlan, CompiledWorker } from '../../domain/plan/plan.js';
import { exists } from '../../store/fs.js';
import { listPlanNames, readTextIfExists, removePath, writeFileAtomic } from '../../store/trusted-store.js';
import {
  appendWorktreeConfig,
  assertWorktreeConfig,
  readConfigLayers,
  readHooksPath,
  writeHooksPath,
  type ConfigLayers,
} from '../config.js';
import { listWorktrees } from '../repo.js';
import { readMainWorktree } from '../worktree.js';
import {
  INSTALL_RECORD,
  currentHookRuntime,
  guardTablePath,
  isPwFolder,
  mainHooksDir,
  readRecord,
  sameDir,
  workerHooksDir,
  type HookRuntime,
  type InstallRecord,
  type Undo,
} from './layout.js';
import { mainSpec, workerSpec, type FolderSpec } from './roles.js';
import { expectedGuardTable, readHookTemplates } from './templates.js';

/** The hooks folder pw's scripts hand over to: the one git would use without pw. */
export async function readChain(
  spec: FolderSpec,
  replaced: string | null,
  layers?: ConfigLayers,
): Promise<string> {
  const value =
    replaced ?? (layers ?? (await readConfigLayers(spec.location, 'core.hooksPath'))).below(spec.scope);
  return value === null || isPwFolder(value, spec.pwRoot) ? spec.defaultHooks : value;
}

/**
 * The hooks the chain folder has, or null when it cannot be listed. A
 * relative folder (husky's .husky/_, made by `npm install` and ignored by
 * git) is looked up in the worktree and in the main worktree.
 */
export async function listChainedHooks(spec: FolderSpec, chain: string): Promise<string[] | null> {
  const dirs = isAbsolute(chain)
    ? [chain]
    : [spec.location, ...spec.alsoIn].map((root) => join(root, chain));
  let found: Set<string> | null = null;
  for (const dir of dirs) {
    const names = await readdir(dir).catch(() => null);
    if (names === null) continue;
    found ??= new Set();
    for (const name of names) {
      if (!(HOOK_NAMES as readonly string[]).includes(name)) continue;
      const info = await stat(join(dir, name)).catch(() => null);
      if (info?.isFile() && info.mode & 0o111) found.add(name);
    }
  }
  return found === null ? null : [...found];
}

/** Whether the folder's worker pushes its commits to a hub (its post-commit hook then pushes). */
export function pushesToHub(spec: FolderSpec): Promise<boolean> {
  return spec.pushConf === null ? Promise.resolve(false) : exists(spec.pushConf);
}

/**
 * The record an install writes: what pw replaces (kept from the first install
 * while pw's value is in place) and, read afresh each time, what to chain to.
 */
async function planRecord(spec: FolderSpec, layers: ConfigLayers): Promise<InstallRecord> {
  const existing = await readRecord(spec.dir);
  const current = layers.at(spec.scope);
  const ours = existing !== null && sameDir(current, spec.dir);
  // `git worktree add` copies the config.worktree of the worktree it runs in
  // (git 2.39+, builtin/worktree.c), so a new worktree may start out with
  // another pw folder as its hooks path: that value is pw's, not the user's.
  const previous = ours ? existing.previous : isPwFolder(current, spec.pwRoot) ? null : current;
  const chain = await readChain(spec, previous, layers);
  return {
    version: 1,
    role: spec.role,
    location: spec.location,
    scope: spec.scope,
    previous,
    chain,
    hooks: hooksToInstall(spec.role, await listChainedHooks(spec, chain), await pushesToHub(spec)),
    configFileExisted: ours
      ? existing.configFileExisted
      : spec.configFile === null
        ? null
        : await exists(spec.configFile),
    runtime: spec.runtime,
  };
}

export function expectedFiles(
  templates: HookTemplates,
  spec: FolderSpec,
  record: InstallRecord,
): Map<string, string> {
  const files = new Map<string, string>(
    renderHookScripts(
      templates,
      spec.values(record.chain),
      HOOK_NAMES.filter((hook) => record.hooks.includes(hook)),
    ),
  );
  files.set(INSTALL_RECORD, `${JSON.stringify(record, null, 2)}\n`);
  return files;
}

/** Writes a file only when its content differs; returns what undoes it. */
export async function writeIfChanged(path: string, content: string, mode: number): Promise<Undo | null> {
  const before = await readTextIfExists(path);
  const modeOk = before !== null && ((await stat(path)).mode & 0o777) === mode;
  if (before === content && modeOk) return null;
  await writeFileAtomic(path, content, mode);
  return async () => (before === null ? removePath(path) : writeFileAtomic(path, before, mode));
}

export async function runUndo(steps: Undo[]): Promise<void> {
  for (const step of [...steps].reverse()) await step();
}

/**
 * Installs one hooks folder and points the config at it; idempotent; returns
 * its undo. `known`: core.hooksPath at every scope, when the caller has
 * just read it.
 */
export async function installFolder(spec: FolderSpec, known?: ConfigLayers): Promise<Undo> {
  const templates = await readHookTemplates();
  // One read of core.hooksPath at every scope serves the record, the chain and the switch below.
  const layers = known ?? (await readConfigLayers(spec.location, 'core.hooksPath'));
  const record = await planRecord(spec, layers);
  const undo: Undo[] = [];
  const dirExisted = await exists(spec.dir);
  try {
    if (!dirExisted) undo.push(() => removePath(spec.dir));
    const files = expectedFiles(templates, spec, record);
    for (const [name, content] of files) {
      const step = await writeIfChanged(
        join(spec.dir, name),
        content,
        name === INSTALL_RECORD ? 0o644 : 0o755,
      );
      if (step) undo.push(step);
    }
    // Hand-over scripts for hooks the previous folder no longer has.
    for (const name of await readdir(spec.dir).catch(() => [] as string[])) {
      if (files.has(name) || !(HOOK_NAMES as readonly string[]).includes(name)) continue;
      const path = join(spec.dir, name);
      const before = await readFile(path, 'utf8');
      await removePath(path);
      undo.push(() => writeFileAtomic(path, before, 0o755));
    }
    const current = layers.at(spec.scope);
    if (current === null && spec.role === 'worker') {
      // Not set in the worktree's own config yet (a new worktree): written
      // straight into its config.worktree, without a git process each.
      undo.push(await appendWorktreeConfig(spec.location, [['core.hooksPath', spec.dir]]));
    } else if (!sameDir(current, spec.dir)) {
      await writeHooksPath(spec.location, spec.scope, spec.dir);
      undo.push(() => restoreConfig(spec.location, spec.scope, current, spec.configFile, record));
    }
  } catch (error) {
    await runUndo(undo).catch(() => undefined);
    throw error;
  }
  return () => runUndo(undo);
}

/**
 * Puts core.hooksPath back as the record says. The main worktree's
 * config.worktree is removed again when pw created it and left it empty.
 */
async function restoreConfig(
  location: string,
  scope: 'worktree' | 'local',
  previous: string | null,
  configFile: string | null,
  record: InstallRecord | null,
): Promise<void> {
  await writeHooksPath(location, scope, previous);
  if (configFile && record?.configFileExisted === false) {
    const text = await readTextIfExists(configFile);
    if (text !== null && text.trim() === '') await removePath(configFile);
  }
}

export async function installGuardTable(root: string, plan: CompiledPlan): Promise<Undo> {
  const path = join(root, plan.name, 'hooks', 'guard.sh');
  return (await writeIfChanged(path, expectedGuardTable(plan), 0o644)) ?? (async () => {});
}

export interface HookInstallContext {
  commonDir: string;
  plan: CompiledPlan;
  worker: CompiledWorker;
  runtime?: HookRuntime;
  /**
   * Whether to (re)install the main worktree's hooks and the plan's guard
   * table and check that extensions.worktreeConfig is on; default true.
   * Setup installs many workers of one plan in one run and does all three
   * with the first only (the guard table lists every worker: writing it
   * once per worker would cost the square of the plan's size).
   */
  withMain?: boolean;
  /** core.hooksPath of the worker's worktree at every scope, when the caller has just read it. */
  layers?: ConfigLayers;
}

/** Installs the main worktree's guard hooks (shared by every plan); idempotent. */
export async function installMainHooks(
  commonDir: string,
  runtime: HookRuntime = currentHookRuntime(),
  options: { worktreeConfigChecked?: boolean } = {},
): Promise<Undo> {
  const main = await readMainWorktree(commonDir);
  if (main === null) return async () => {};
  if (!options.worktreeConfigChecked) await assertWorktreeConfig(commonDir);
  return installFolder(mainSpec(commonDir, main, runtime));
}

/**
 * The one place setup (and `pw hooks install`) installs the hooks of a worker
 * worktree: its folder, the plan's guard table and the main worktree's
 * hooks. Idempotent; returns what undoes it, for setup's all-or-nothing
 * rollback.
 */
export async function installWorkerHooks(context: HookInstallContext): Promise<Undo> {
  const runtime = context.runtime ?? currentHookRuntime();
  const withMain = context.withMain ?? true;
  if (withMain) await assertWorktreeConfig(context.commonDir);
  const undo: Undo[] = [];
  try {
    if (withMain) {
      undo.push(await installGuardTable(join(context.commonDir, 'pw'), context.plan));
      undo.push(await installMainHooks(context.commonDir, runtime, { worktreeConfigChecked: true }));
    }
    undo.push(
      await installFolder(
        workerSpec(context.commonDir, context.plan, context.worker, runtime),
        context.layers,
      ),
    );
  } catch (error) {
    await runUndo(undo).catch(() => undefined);
    throw error;
  }
  return () => runUndo(undo);
}

/**
 * Adds the hooks that push a worker's commits to a hub (post-commit,
 * post-merge) once its push.conf is written (pw join, pw publish), where the
 * worker's hooks are installed: a folder `pw hooks uninstall` removed stays
 * removed. Returns what undoes it.
 */
export async function installPushHooks(
  context: Omit<HookInstallContext, 'withMain' | 'layers'>,
): Promise<Undo> {
  const dir = workerHooksDir(context.commonDir, context.plan.name, context.worker.id);
  if ((await readRecord(dir)) === null) return async () => {};
  return installWorkerHooks({ ...context, withMain: false });
}

/**
 * Removes one hooks folder and puts the config back; returns whether it was
 * installed. `commonDir` (worktree folders): where to find the worktrees that
 * copied the folder's path.
 */
export async function uninstallFolder(
  dir: string,
  configFile: string | null,
  commonDir: string | null,
): Promise<boolean> {
  return (await uninstallFolders([dir], configFile, commonDir)).length > 0;
}

/**
 * Removes hooks folders and puts each one's config back; returns the ones
 * that were installed. The worktrees that copied a folder's path are looked
 * for once for all the folders, not once each (a plan has hundreds).
 */
async function uninstallFolders(
  dirs: readonly string[],
  configFile: string | null,
  commonDir: string | null,
): Promise<string[]> {
  const removed: { dir: string; previous: string | null }[] = [];
  for (const dir of dirs) {
    const record = await readRecord(dir);
    if (!record) continue;
    if (await exists(record.location)) {
      const current = await readHooksPath(record.location, record.scope).catch(() => null);
      // Someone pointed core.hooksPath elsewhere since: that is theirs now, leave it.
      if (sameDir(current, dir))
        await restoreConfig(record.location, record.scope, record.previous, configFile, record);
    }
    removed.push({ dir, previous: record.previous });
  }
  if (commonDir !== null && removed.length) await restoreCopies(commonDir, removed);
  for (const dir of dirs) await removePath(dir);
  return removed.map((folder) => folder.dir);
}

/**
 * Worktrees created while pw's folder was in place copied its hooks path
 * (`git worktree add` copies config.worktree): give them what git would have
 * copied without pw, so none is left pointing at a removed folder.
 */
async function restoreCopies(
  cwd: string,
  folders: readonly { dir: string; previous: string | null }[],
): Promise<void> {
  for (const { path } of await listWorktrees(cwd)) {
    if (!(await exists(path))) continue;
    const value = await readHooksPath(path, 'worktree').catch(() => null);
    const folder = folders.find((f) => sameDir(value, f.dir));
    if (folder) await writeHooksPath(path, 'worktree', folder.previous);
  }
}

export interface UninstallReport {
  workers: string[];
  main: boolean;
}

/**
 * Removes a plan's hooks (all workers, or `workers`) and restores each
 * worktree's core.hooksPath exactly; once no plan has hooks left, the main
 * worktree's too. Used by `pw hooks uninstall` and `pw teardown`.
 */
export async function uninstallPlanHooks(
  commonDir: string,
  plan: CompiledPlan,
  workers?: readonly string[],
): Promise<UninstallReport> {
  const report: UninstallReport = { workers: [], main: false };
  const ids = workers ?? plan.workers.map((w) => w.id);
  const dirs = ids.map((id) => workerHooksDir(commonDir, plan.name, id));
  const removed = new Set(await uninstallFolders(dirs, null, commonDir));
  report.workers.push(...ids.filter((_, i) => removed.has(dirs[i]!)));
  const hooksDir = join(commonDir, 'pw', plan.name, 'hooks');
  const left = (await readdir(hooksDir).catch(() => [] as string[])).filter(
    (name) => name !== 'guard.sh',
  );
  if (left.length === 0) await removePath(hooksDir);
  if ((await plansWithHooks(commonDir)).length === 0) {
    report.main = await uninstallFolder(
      mainHooksDir(commonDir),
      join(commonDir, 'config.worktree'),
      commonDir,
    );
  }
  return report;
}

/** Plans whose guard table is in place. */
async function plansWithHooks(commonDir: string): Promise<string[]> {
  const names: string[] = [];
  for (const name of await listPlanNames(commonDir)) {
    if (await exists(guardTablePath(commonDir, name))) names.push(name);
  }
  return names;
}
