import { resolve, join } from 'node:path';
import { pwBin } from '../../cli/package-files.js';
import type { HooksRole } from '../../domain/hooks/hook-scripts.js';
import { readTextIfExists } from '../../store/trusted-store.js';

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
  return { node: process.execPath, bin: pwBin() };
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

export async function readRecord(dir: string): Promise<InstallRecord | null> {
  const text = await readTextIfExists(join(dir, INSTALL_RECORD));
  if (text === null) return null;
  try {
    return JSON.parse(text) as InstallRecord;
  } catch {
    return null;
  }
}

export function sameDir(a: string | null, b: string): boolean {
  return a !== null && resolve(a) === resolve(b);
}

/** Whether a hooks path is one of pw's own folders (so never the user's hooks). */
export function isPwFolder(path: string | null, pwRoot: string): boolean {
  return path !== null && resolve(path).startsWith(`${resolve(pwRoot)}/`);
}
