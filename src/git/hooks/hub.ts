import { join } from 'node:path';
import type { CompiledPlan } from '../../domain/plan/plan.js';
import { listPlanNames, readCompiledPlan, removePath } from '../../store/trusted-store.js';
import { installFolder, installGuardTable, runUndo, uninstallFolder, writeIfChanged } from './install.js';
import { currentHookRuntime, hubHooksDir, type HookRuntime, type Undo } from './layout.js';
import { hubSpec } from './roles.js';

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

/** Every plan in a hub. */
export async function readHubPlans(hub: string): Promise<CompiledPlan[]> {
  const plans: CompiledPlan[] = [];
  for (const name of await listPlanNames(hub)) {
    const plan = await readCompiledPlan(hub, name);
    if (plan) plans.push(plan);
  }
  return plans;
}
