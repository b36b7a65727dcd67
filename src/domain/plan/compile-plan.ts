import { basename, isAbsolute, join, resolve } from 'node:path';
import { parseDuration } from './duration.js';
import { branchName, type CompiledPlan, type Plan } from './plan.js';
import { parseScopePattern } from '../scope/scope-pattern.js';

export interface CompileContext {
  /** The main worktree, which relative `worktreeRoot` values start from. */
  mainWorktree: string;
  base: string;
  baseCommit: string;
}

/** Absolute root folder for a plan's worktrees. */
export function resolveWorktreeRoot(worktreeRoot: string, mainWorktree: string): string {
  const expanded = worktreeRoot.replaceAll('{repo}', basename(mainWorktree));
  return isAbsolute(expanded) ? resolve(expanded) : resolve(mainWorktree, expanded);
}

/** Turns a validated plan into the trusted form: branches, worktree paths and pathspecs decided. */
export function compilePlan(plan: Plan, context: CompileContext): CompiledPlan {
  const root = resolveWorktreeRoot(plan.settings.worktreeRoot, context.mainWorktree);
  const stallAfterMs = parseDuration(plan.settings.stallAfter)!;
  return {
    version: 1,
    name: plan.name,
    base: context.base,
    baseCommit: context.baseCommit,
    target: plan.settings.integrate.target ?? context.base,
    repoRoot: context.mainWorktree,
    source: plan.source,
    context: plan.context,
    stallAfterMs,
    integrate: {
      ...plan.settings.integrate,
      target: plan.settings.integrate.target ?? context.base,
    },
    workers: plan.workers.map((worker) => ({
      id: worker.id,
      branch: branchName(plan.settings, plan.name, worker.id),
      worktree: join(root, plan.name, worker.id),
      owns: worker.owns,
      pathspecs: worker.owns.flatMap((pattern) => {
        const parsed = parseScopePattern(pattern);
        if (!parsed.ok)
          throw new Error(`compilePlan: invalid pattern survived validation: ${pattern}`);
        return parsed.pattern.pathspecs;
      }),
      task: worker.task,
      dependsOn: worker.dependsOn,
      agentCommand: worker.agent ?? plan.settings.agent.command,
      stallAfterMs: worker.stallAfter ? parseDuration(worker.stallAfter)! : stallAfterMs,
    })),
  };
}
