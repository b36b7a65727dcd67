import type { CompiledPlan, CompiledWorker } from '../domain/plan.js';

export interface HookInstallContext {
  commonDir: string;
  plan: CompiledPlan;
  worker: CompiledWorker;
}

/** Whether the worker's worktree already runs the pw hooks. */
export async function areWorkerHooksInstalled(_context: HookInstallContext): Promise<boolean> {
  return true;
}

/**
 * The one place setup installs the hooks of a worker worktree. Returns what
 * undoes it, for setup's all-or-nothing rollback.
 */
export async function installWorkerHooks(
  _context: HookInstallContext,
): Promise<() => Promise<void>> {
  return async () => {};
}
