import type { IntegrateStrategy } from '../../domain/plan/plan.js';
import { commitTree, treeOf } from '../../git/commit-tree.js';
import { openMergeTreeSession, type MergeTreeResult } from '../../git/merge-tree.js';
import { isAncestor } from '../../git/refs.js';
import type { IntegrateStepRecord } from '../../store/integrate-state.js';

export type MergeOutcome =
  | { kind: 'done'; head: string }
  | { kind: 'conflict'; index: number; onto: string; merge: MergeTreeResult };

export interface MergeStepsOptions {
  /** Index of the first step to merge; earlier steps already carry their result. */
  from: number;
  /** The commit step `from` merges onto. */
  onto: string;
  /** Its tree, when the caller has read it already. */
  ontoTree?: string;
  strategy: IntegrateStrategy;
  /** Worker tips earlier pw squash commits hold without recording them as parents. */
  squashedTips: readonly string[];
  /** Called after each step, merged or found already contained. */
  onStep?: (index: number, step: IntegrateStepRecord) => void;
  /** Called before each step; throws to stop (Ctrl-C). */
  beforeStep?: () => void;
}

/**
 * Merges the steps one after another, in memory: `merge-tree --write-tree`
 * onto the previous result (one merge-tree process for the whole chain), then
 * `commit-tree` (a merge commit with the worker tip as second parent, or one
 * squash commit). No worktree, index or ref is touched; the caller records
 * the head. Mutates `steps[i].result`.
 */
export async function mergeSteps(
  cwd: string,
  steps: IntegrateStepRecord[],
  options: MergeStepsOptions,
): Promise<MergeOutcome> {
  let onto = options.onto;
  let ontoTree = options.ontoTree ?? (await treeOf(cwd, onto));
  // Squash commits do not record the tips they hold, so merge-tree would take
  // the plan's base as merge base and see every earlier change twice. A
  // throwaway commit with the same tree and those tips as extra parents gives
  // it the true merge base; the published commit keeps its single parent.
  const heldTips = [...options.squashedTips];
  for (let i = 0; i < options.from; i++) {
    if (options.strategy === 'squash' && steps[i]!.result) heldTips.push(steps[i]!.tip);
  }
  const merges = openMergeTreeSession(cwd);
  try {
    for (let i = options.from; i < steps.length; i++) {
      options.beforeStep?.();
      const step = steps[i]!;
      const ours = heldTips.length
        ? await commitTree(
            cwd,
            ontoTree,
            [onto, ...new Set(heldTips)],
            'pw: merge base helper (not published)\n',
          )
        : onto;
      const merge = await merges.merge(ours, step.tip);
      if (!merge.clean) return { kind: 'conflict', index: i, onto, merge: merge.result };
      const unchanged = merge.tree === ontoTree;
      if (unchanged && (options.strategy === 'squash' || (await isAncestor(cwd, step.tip, onto)))) {
        // Nothing to add: an earlier worker already merged this one's work in.
        step.result = onto;
        step.contained = true;
      } else {
        const parents = options.strategy === 'merge' ? [onto, step.tip] : [onto];
        step.result = await commitTree(cwd, merge.tree, parents, step.message);
        onto = step.result;
        ontoTree = merge.tree;
      }
      if (options.strategy === 'squash') heldTips.push(step.tip);
      options.onStep?.(i, step);
    }
  } finally {
    await merges.close();
  }
  return { kind: 'done', head: onto };
}
