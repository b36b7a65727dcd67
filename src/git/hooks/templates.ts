import { readFile } from 'node:fs/promises';
import { packageFile } from '../../cli/package-files.js';
import {
  TEMPLATE_NAMES,
  renderGuardTable,
  type HookTemplates,
} from '../../domain/hooks/hook-scripts.js';
import type { CompiledPlan } from '../../domain/plan/plan.js';
import { scopeExcludePathspecs } from '../../domain/scope/excludes.js';

let templatesCache: Promise<HookTemplates> | null = null;

/** The sh templates in the package's hooks/ folder. */
export function readHookTemplates(): Promise<HookTemplates> {
  templatesCache ??= (async () => {
    const entries = await Promise.all(
      TEMPLATE_NAMES.map(
        async (name) =>
          [name, await readFile(packageFile(`hooks/${name}`), 'utf8')] as const,
      ),
    );
    return Object.fromEntries(entries) as HookTemplates;
  })();
  return templatesCache;
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
