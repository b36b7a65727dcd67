import { lstat, readFile, readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  HOOK_NAMES,
  TEMPLATE_NAMES,
  hooksToInstall,
  renderGuardTable,
  renderHookScripts,
  type HookScriptValues,
  type HookTemplates,
  type HooksRole,
} from '../domain/hook-scripts.js';
import type { CompiledPlan, CompiledWorker } from '../domain/plan.js';
import { scopeExcludePathspecs } from '../domain/scope-excludes.js';
import { EnvironmentError } from '../errors.js';
import {
  listPlanNames,
  readCompiledPlan,
  readTextIfExists,
  removePath,
  writeFileAtomic,
} from '../store/trusted-store.js';
import { runGit } from './run-git.js';

/**
 * Installing, removing and inspecting the pw hooks: the one place that points
 * a worktree's `core.hooksPath` at pw's folders and puts back what was there.
 *
 * Folders, all in the common git dir (outside every worktree):
 *   pw/<plan>/hooks/<worker>/   a worker worktree's hooks (scope + protocol)
 *   pw/<plan>/hooks/guard.sh    the plan's worker branches and scopes, sourced
 *                               by every reference-transaction / pre-push hook
 *   pw/_main-hooks/             the main worktree's hooks: guard worker
 *                               branches, otherwise only chain
 * and in a hub (bare repository): pw/_hub-hooks/ and pw/<plan>/.
 * Each folder holds pw-install.json: the config value pw replaced (restored by
 * uninstall and teardown) and the hooks folder the scripts chain to.
 */

export type Undo = () => Promise<void>;

export interface HookRuntime {
  /** The node binary the hooks start to explain a refusal. */
  node: string;
  /** pw's bin script. */
  bin: string;
}

/** The node running now and this build's bin: what a hook calls back. */
export function currentHookRuntime(): HookRuntime {
  return { node: process.execPath, bin: fileURLToPath(new URL('../cli/bin.js', import.meta.url)) };
}

let templatesCache: Promise<HookTemplates> | null = null;

/** The sh templates in the package's hooks/ folder. */
export function readHookTemplates(): Promise<HookTemplates> {
  templatesCache ??= (async () => {
    const entries = await Promise.all(
      TEMPLATE_NAMES.map(
        async (name) =>
          [name, await readFile(new URL(`../../hooks/${name}`, import.meta.url), 'utf8')] as const,
      ),
    );
    return Object.fromEntries(entries) as HookTemplates;
  })();
  return templatesCache;
}

export const INSTALL_RECORD = 'pw-install.json';
const MAIN_FOLDER = '_main-hooks';
const HUB_FOLDER = '_hub-hooks';

export function workerHooksDir(commonDir: string, plan: string, worker: string): string {
  return join(commonDir, 'pw', plan, 'hooks', worker);
}

export function guardTablePath(commonDir: string, plan: string): string {
  return join(commonDir, 'pw', plan, 'hooks', 'guard.sh');
}

export function mainHooksDir(commonDir: string): string {
  return join(commonDir, 'pw', MAIN_FOLDER);
}

export function hubHooksDir(hub: string): string {
  return join(hub, 'pw', HUB_FOLDER);
}

/** What pw replaced when it installed a hooks folder, and what its scripts chain to. */
export interface InstallRecord {
  version: 1;
  role: HooksRole;
  /** The worktree (or hub) whose config points at the folder. */
  location: string;
  /** The config scope pw wrote core.hooksPath to. */
  scope: 'worktree' | 'local';
  /** core.hooksPath at that scope before pw; null when it was unset. */
  previous: string | null;
  /** The hooks folder in effect before pw, which the scripts chain to. */
  chain: string;
  /** The hook scripts pw wrote: its own, and one handing over per hook of `chain`. */
  hooks: string[];
  /** Main worktree: whether <common>/config.worktree existed before pw wrote to it. */
  configFileExisted: boolean | null;
  runtime: HookRuntime;
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

/** core.hooksPath as git reads it in `cwd` (`scope` for one scope only); `~` expanded. */
export async function readHooksPath(
  cwd: string,
  scope?: 'worktree' | 'local',
): Promise<string | null> {
  const result = await runGit(
    ['config', ...(scope ? [`--${scope}`] : []), '--type=path', '--get', 'core.hooksPath'],
    { cwd, okExitCodes: [1] },
  );
  return result.exitCode === 0 ? result.stdout.replace(/\n$/, '') : null;
}

async function writeHooksPath(
  cwd: string,
  scope: 'worktree' | 'local',
  value: string | null,
): Promise<void> {
  // git config --unset exits 5 when the key is not set (git-config(1), EXIT STATUS).
  if (value === null)
    await runGit(['config', `--${scope}`, '--unset-all', 'core.hooksPath'], {
      cwd,
      okExitCodes: [5],
    });
  else await runGit(['config', `--${scope}`, 'core.hooksPath', value], { cwd });
}

async function readRecord(dir: string): Promise<InstallRecord | null> {
  const text = await readTextIfExists(join(dir, INSTALL_RECORD));
  if (text === null) return null;
  try {
    return JSON.parse(text) as InstallRecord;
  } catch {
    return null;
  }
}

function sameDir(a: string | null, b: string): boolean {
  return a !== null && resolve(a) === resolve(b);
}

/** Whether a hooks path is one of pw's own folders (so never the user's hooks). */
function isPwFolder(path: string | null, pwRoot: string): boolean {
  return path !== null && resolve(path).startsWith(`${resolve(pwRoot)}/`);
}

interface FolderSpec {
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
}

/**
 * core.hooksPath from the scopes below `scope` (for a worktree: the shared
 * local config, global, system): what git would use if pw's value were gone.
 */
async function readHooksPathBelow(
  location: string,
  scope: 'worktree' | 'local',
): Promise<string | null> {
  const result = await runGit(
    ['config', '--show-scope', '--type=path', '--get-all', 'core.hooksPath'],
    { cwd: location, okExitCodes: [1] },
  );
  const below = scope === 'worktree' ? ['local', 'global', 'system'] : ['global', 'system'];
  let value: string | null = null;
  for (const line of result.stdout.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab !== -1 && below.includes(line.slice(0, tab))) value = line.slice(tab + 1);
  }
  return value;
}

/** The hooks folder pw's scripts hand over to: the one git would use without pw. */
async function readChain(spec: FolderSpec, replaced: string | null): Promise<string> {
  const value = replaced ?? (await readHooksPathBelow(spec.location, spec.scope));
  return value === null || isPwFolder(value, spec.pwRoot) ? spec.defaultHooks : value;
}

/**
 * The hooks the chain folder has, or null when it cannot be listed. A
 * relative folder (husky's .husky/_, made by `npm install` and ignored by
 * git) is looked up in the worktree and in the main worktree.
 */
async function listChainedHooks(spec: FolderSpec, chain: string): Promise<string[] | null> {
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

/**
 * The record an install writes: what pw replaces (kept from the first install
 * while pw's value is in place) and, read afresh each time, what to chain to.
 */
async function planRecord(spec: FolderSpec): Promise<InstallRecord> {
  const existing = await readRecord(spec.dir);
  const current = await readHooksPath(spec.location, spec.scope);
  const ours = existing !== null && sameDir(current, spec.dir);
  // `git worktree add` copies the config.worktree of the worktree it runs in
  // (git 2.39+, builtin/worktree.c), so a new worktree may start out with
  // another pw folder as its hooks path: that value is pw's, not the user's.
  const previous = ours ? existing.previous : isPwFolder(current, spec.pwRoot) ? null : current;
  const chain = await readChain(spec, previous);
  return {
    version: 1,
    role: spec.role,
    location: spec.location,
    scope: spec.scope,
    previous,
    chain,
    hooks: hooksToInstall(spec.role, await listChainedHooks(spec, chain)),
    configFileExisted: ours
      ? existing.configFileExisted
      : spec.configFile === null
        ? null
        : await exists(spec.configFile),
    runtime: spec.runtime,
  };
}

function expectedFiles(
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
async function writeIfChanged(path: string, content: string, mode: number): Promise<Undo | null> {
  const before = await readTextIfExists(path);
  const modeOk = before !== null && ((await stat(path)).mode & 0o777) === mode;
  if (before === content && modeOk) return null;
  await writeFileAtomic(path, content, mode);
  return async () => (before === null ? removePath(path) : writeFileAtomic(path, before, mode));
}

async function runUndo(steps: Undo[]): Promise<void> {
  for (const step of [...steps].reverse()) await step();
}

/** Installs one hooks folder and points the config at it; idempotent; returns its undo. */
async function installFolder(spec: FolderSpec): Promise<Undo> {
  const templates = await readHookTemplates();
  const record = await planRecord(spec);
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
    const current = await readHooksPath(spec.location, spec.scope);
    if (!sameDir(current, spec.dir)) {
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
    node: runtime.node,
    bin: runtime.bin,
    excludes: scopeExcludePathspecs(worker.owns),
  });
}

function workerSpec(
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
  };
}

function mainSpec(commonDir: string, mainWorktree: string, runtime: HookRuntime): FolderSpec {
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
  };
}

function hubSpec(hub: string, runtime: HookRuntime): FolderSpec {
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
  };
}

/** The guard table a plan should have. */
export function expectedGuardTable(plan: CompiledPlan): string {
  return renderGuardTable({
    name: plan.name,
    base: plan.base,
    workers: plan.workers.map((w) => ({
      id: w.id,
      branch: w.branch,
      excludes: scopeExcludePathspecs(w.owns),
    })),
  });
}

async function installGuardTable(root: string, plan: CompiledPlan): Promise<Undo> {
  const path = join(root, plan.name, 'hooks', 'guard.sh');
  return (await writeIfChanged(path, expectedGuardTable(plan), 0o644)) ?? (async () => {});
}

async function assertWorktreeConfig(commonDir: string): Promise<void> {
  const result = await runGit(['config', '--local', '--get', 'extensions.worktreeConfig'], {
    cwd: commonDir,
    okExitCodes: [1],
  });
  if (result.stdout.trim() !== 'true') {
    throw new EnvironmentError(
      'extensions.worktreeConfig is off, so pw cannot give a worktree its own hooks folder',
      ['Run pw setup <plan> (it turns the setting on and installs the hooks).'],
    );
  }
}

/** The main worktree, or null when the repository's main "worktree" is bare. */
async function readMainWorktree(commonDir: string): Promise<string | null> {
  const { stdout } = await runGit(['worktree', 'list', '--porcelain', '-z'], { cwd: commonDir });
  const first = stdout.split('\0\0')[0] ?? '';
  if (first.split('\0').includes('bare')) return null;
  const line = first.split('\0').find((field) => field.startsWith('worktree '));
  return line ? line.slice('worktree '.length) : null;
}

export interface HookInstallContext {
  commonDir: string;
  plan: CompiledPlan;
  worker: CompiledWorker;
  runtime?: HookRuntime;
}

/** Installs the main worktree's guard hooks (shared by every plan); idempotent. */
export async function installMainHooks(
  commonDir: string,
  runtime: HookRuntime = currentHookRuntime(),
): Promise<Undo> {
  const main = await readMainWorktree(commonDir);
  if (main === null) return async () => {};
  await assertWorktreeConfig(commonDir);
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
  await assertWorktreeConfig(context.commonDir);
  const undo: Undo[] = [];
  try {
    undo.push(await installGuardTable(join(context.commonDir, 'pw'), context.plan));
    undo.push(await installMainHooks(context.commonDir, runtime));
    undo.push(
      await installFolder(workerSpec(context.commonDir, context.plan, context.worker, runtime)),
    );
  } catch (error) {
    await runUndo(undo).catch(() => undefined);
    throw error;
  }
  return () => runUndo(undo);
}

/**
 * Removes one hooks folder and puts the config back; returns whether it was
 * installed. `commonDir` (worktree folders): where to find the worktrees that
 * copied the folder's path.
 */
async function uninstallFolder(
  dir: string,
  configFile: string | null,
  commonDir: string | null,
): Promise<boolean> {
  const record = await readRecord(dir);
  if (!record) {
    await removePath(dir);
    return false;
  }
  if (await exists(record.location)) {
    const current = await readHooksPath(record.location, record.scope).catch(() => null);
    // Someone pointed core.hooksPath elsewhere since: that is theirs now, leave it.
    if (sameDir(current, dir))
      await restoreConfig(record.location, record.scope, record.previous, configFile, record);
  }
  if (commonDir !== null) await restoreCopies(commonDir, dir, record.previous);
  await removePath(dir);
  return true;
}

/**
 * Worktrees created while pw's folder was in place copied its hooks path
 * (`git worktree add` copies config.worktree): give them what git would have
 * copied without pw, so none is left pointing at a removed folder.
 */
async function restoreCopies(cwd: string, dir: string, previous: string | null): Promise<void> {
  const { stdout } = await runGit(['worktree', 'list', '--porcelain', '-z'], { cwd });
  for (const field of stdout.split('\0')) {
    if (!field.startsWith('worktree ')) continue;
    const path = field.slice('worktree '.length);
    if (!(await exists(path))) continue;
    const value = await readHooksPath(path, 'worktree').catch(() => null);
    if (sameDir(value, dir)) await writeHooksPath(path, 'worktree', previous);
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
  for (const id of ids) {
    if (await uninstallFolder(workerHooksDir(commonDir, plan.name, id), null, commonDir))
      report.workers.push(id);
  }
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

// --- Hub ----------------------------------------------------------------------

/** Copies the plans into a hub (a bare repository) and installs its pre-receive; returns its undo. */
export async function installHubHooks(
  hub: string,
  plans: readonly CompiledPlan[],
  runtime: HookRuntime = currentHookRuntime(),
): Promise<Undo> {
  const undo: Undo[] = [];
  try {
    for (const plan of plans) {
      const step = await writeIfChanged(
        join(hub, 'pw', plan.name, 'plan.json'),
        `${JSON.stringify(plan, null, 2)}\n`,
        0o644,
      );
      if (step) undo.push(step);
      undo.push(await installGuardTable(join(hub, 'pw'), plan));
    }
    undo.push(await installFolder(hubSpec(hub, runtime)));
  } catch (error) {
    await runUndo(undo).catch(() => undefined);
    throw error;
  }
  return () => runUndo(undo);
}

/** Removes the hub's pw hooks and plan copies (its events log stays); restores its core.hooksPath. */
export async function uninstallHubHooks(hub: string, plans: readonly string[]): Promise<boolean> {
  for (const name of plans) {
    await removePath(join(hub, 'pw', name, 'hooks'));
    await removePath(join(hub, 'pw', name, 'plan.json'));
  }
  const remaining = await listPlanNames(hub);
  if (remaining.length) return false;
  return uninstallFolder(hubHooksDir(hub), null, null);
}

// --- Inspection (pw hooks status, pw status, setup) ---------------------------

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
  /** Each a sentence: what is wrong and what to do. */
  problems: string[];
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
    problems: [],
  };
  if (!(await exists(spec.location))) {
    health.state = 'no-worktree';
    health.problems.push(`${label}: ${spec.location} does not exist; run pw setup again.`);
    return health;
  }
  health.hooksPath = await readHooksPath(spec.location).catch(() => null);
  const record = await readRecord(spec.dir);
  if (!record) {
    health.state = 'not-installed';
    health.problems.push(`${label}: the pw hooks are not installed; run ${fix}.`);
    return health;
  }
  health.chain = record.chain;
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
  const chain = await readChain(spec, record.previous);
  const wanted = hooksToInstall(spec.role, await listChainedHooks(spec, chain));
  const notPassed = wanted.filter((hook) => !(record.hooks ?? []).includes(hook));
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

/** Every plan in a hub. */
export async function readHubPlans(hub: string): Promise<CompiledPlan[]> {
  const plans: CompiledPlan[] = [];
  for (const name of await listPlanNames(hub)) {
    const plan = await readCompiledPlan(hub, name);
    if (plan) plans.push(plan);
  }
  return plans;
}
