/** `pw integrate` when a step conflicts: stop and prepare a worktree, `--continue`, `--abort`. */
import { noteResolvedConflicts } from '../../domain/integrate/plan-integration.js';
import { isTargetMark, targetMark } from '../../domain/integrate/target-mark.js';
import { FailedError, UsageError } from '../../errors.js';
import { archiveUncommitted, keepRef } from '../../git/archive.js';
import { listChangedPaths } from '../../git/changed-paths.js';
import { commitTree, treeOf } from '../../git/commit-tree.js';
import { type MergeTreeResult } from '../../git/merge-tree.js';
import { isAncestor, updateRef } from '../../git/refs.js';
import { updateRefs } from '../../git/ref-transaction.js';
import { listWorktrees, readWorktreeChanges, resolveCommit } from '../../git/repo.js';
import {
  addScratchWorktree,
  readWorktreeTree,
  removeScratchWorktree,
  startConflictMerge,
} from '../../git/scratch-worktree.js';
import {
  renderIntegrateStart,
  renderStepLine,
  type ConflictReport,
  type IntegrateReport,
} from '../../render/integrate/report.js';
import {
  clearIntegrateState,
  integrateWorktrees,
  integrationRef,
  readIntegrateState,
  resolutionRef,
  writeIntegrateState,
  type IntegrateState,
  type IntegrateStepRecord,
} from '../../store/integrate-state.js';
import { mergeSteps, type MergeOutcome } from './merge.js';
import {
  newReport,
  event,
  assertNotInterrupted,
  stepReport,
  doneStatus,
  resolveSteps,
  dropIntegrationRef,
  type IntegrateOptions,
  type IntegrateContext,
} from './context.js';
import { finish } from './finish.js';

/**
 * Keeps what the user did in a conflict worktree (commits, and files that
 * differ from what pw prepared there) under refs, then removes it.
 */
export async function preserveConflictWorktree(
  context: IntegrateContext,
  worktree: string,
  worker: string,
  onto: string | null,
  preparedTree: string | null,
): Promise<string[]> {
  const kept: string[] = [];
  const registered = (await listWorktrees(context.cwd)).find(
    (w) => w.path === worktree && !w.prunable,
  );
  if (registered?.head) {
    const head = registered.head;
    if (head !== onto) {
      const ref = resolutionRef(context.plan.name, worker);
      await updateRef(context.cwd, `${ref}@${head.slice(0, 7)}`, head, {
        message: 'pw integrate: keep a conflict resolution',
      });
      kept.push(`${ref}@${head.slice(0, 7)}`);
    }
    try {
      const changed =
        (await readWorktreeChanges(worktree)).length > 0 &&
        (head !== onto ||
          preparedTree === null ||
          (await readWorktreeTree(worktree, context.repo.gitDir)) !== preparedTree);
      if (changed) {
        const wip = await archiveUncommitted(
          worktree,
          context.plan.name,
          `integrate-${worker}`,
          context.repo.gitDir,
          'pw integrate',
        );
        kept.push(wip.ref);
      }
    } catch {
      // A worktree too broken to read has nothing git could keep; it is removed below.
    }
  }
  await removeScratchWorktree(context.cwd, worktree);
  return kept;
}

/** Which workers (and the target) changed each conflicted path. */
async function findTouchedBy(
  context: IntegrateContext,
  steps: readonly IntegrateStepRecord[],
  index: number,
  start: string,
  paths: readonly string[],
): Promise<{ path: string; by: string[] }[]> {
  if (paths.length === 0) return [];
  const touched = new Map(paths.map((p) => [p, [] as string[]]));
  const conflicted = steps[index]!;
  const mark = (who: string, changed: string[]): void => {
    for (const path of changed) touched.get(path)?.push(who);
  };
  mark(
    targetMark(context.plan.target, conflicted.worker),
    await listChangedPaths(
      context.cwd,
      { from: conflicted.tip, to: start, symmetric: true },
      paths,
    ),
  );
  for (let i = 0; i <= index; i++) {
    const step = steps[i]!;
    if (i < index && step.contained) continue;
    mark(
      step.worker,
      await listChangedPaths(context.cwd, { from: start, to: step.tip, symmetric: true }, paths),
    );
  }
  return paths.map((path) => ({ path, by: touched.get(path)! }));
}

export async function conflictReport(
  context: IntegrateContext,
  steps: readonly IntegrateStepRecord[],
  index: number,
  start: string,
  merge: MergeTreeResult,
  worktree: string | null,
): Promise<ConflictReport> {
  return {
    worker: steps[index]!.worker,
    step: index + 1,
    paths: merge.conflictedPaths,
    touchedBy: await findTouchedBy(context, steps, index, start, merge.conflictedPaths),
    messages: merge.messages.filter((m) => m.type !== 'Auto-merging'),
    worktree,
  };
}

/** Stops at a conflicted step: keeps the merged steps, prepares a worktree for the user, records the state. */
export async function stopAtConflict(
  context: IntegrateContext,
  report: IntegrateReport,
  attempt: IntegrateState,
  outcome: Extract<MergeOutcome, { kind: 'conflict' }>,
): Promise<IntegrateReport> {
  const { cwd, plan } = context;
  const step = attempt.steps[outcome.index]!;
  const worktree = integrateWorktrees(plan).conflict;
  const ref = integrationRef(plan.name);
  await updateRefs(
    cwd,
    [{ ref: ref, to: outcome.onto }],
    `pw integrate: merged before ${step.worker}`,
    context.watch,
  );
  await removeScratchWorktree(cwd, worktree);
  await addScratchWorktree(cwd, worktree, outcome.onto, context.watch);
  await startConflictMerge(worktree, step.tip, attempt.strategy === 'squash', step.message);
  const preparedTree = await readWorktreeTree(worktree, context.repo.gitDir);
  const conflict = await conflictReport(
    context,
    attempt.steps,
    outcome.index,
    attempt.start,
    outcome.merge,
    worktree,
  );
  const state: IntegrateState = {
    ...attempt,
    phase: 'conflict',
    conflict: {
      step: outcome.index,
      worktree,
      onto: outcome.onto,
      preparedTree,
      paths: conflict.paths,
      messages: conflict.messages,
      touchedBy: conflict.touchedBy,
    },
  };
  await writeIntegrateState(context.repo.commonDir, state);
  await event(context, 'conflict', {
    worker: step.worker,
    step: outcome.index + 1,
    paths: conflict.paths,
    touchedBy: conflict.touchedBy,
    // Paths the target itself changed since the worker branched (commits made on it directly).
    targetChanged: conflict.touchedBy.filter((t) => t.by.some(isTargetMark)).map((t) => t.path),
  });
  report.steps[outcome.index] = stepReport(step, 'conflict');
  context.print(renderStepLine(report, outcome.index));
  report.conflict = conflict;
  report.integrationRef = ref;
  report.outcome = 'conflict';
  const before = attempt.steps.slice(0, outcome.index).filter((s) => !s.contained).length;
  report.next = [
    ...(before === 0
      ? []
      : [
          `The ${before === 1 ? 'step' : `${before} steps`} merged before it ${before === 1 ? 'is' : 'are'} kept at ${ref}.`,
        ]),
    `Resolve the conflict in ${worktree}:`,
    `  cd ${worktree}`,
    `  # edit ${conflict.paths.join(', ') || 'the conflicted files'}, then`,
    `  git add -A && git commit${attempt.strategy === 'merge' ? ' --no-edit' : ` -m "${step.worker}: resolve conflicts"`}`,
    '  pw integrate --continue     (or pw integrate --abort to drop the attempt)',
  ];
  return report;
}

/** `pw integrate --continue`: takes the user's resolution and merges the rest. */
export async function continueIntegration(
  context: IntegrateContext,
  options: IntegrateOptions,
): Promise<IntegrateReport> {
  const { cwd, plan, repo } = context;
  const report = newReport(context, 'continue');
  const state = await readIntegrateState(repo.commonDir, plan.name);
  if (!state || state.phase === 'ready') {
    throw new UsageError(`no conflicted integration of plan "${plan.name}" to continue`, [
      state
        ? 'The last attempt merged cleanly and waits to be published: run pw integrate.'
        : 'Start one with pw integrate.',
    ]);
  }
  context.strategy = state.strategy;
  context.verify = options.verify === false ? null : state.verify;
  report.strategy = state.strategy;
  Object.assign(report, {
    from: state.targetOld,
    start: state.start,
    order: state.steps.map((s) => s.worker),
    skipped: state.skipped,
    warnings: [...state.warnings],
  });
  resolveSteps(report, state.steps);

  if (state.phase === 'conflict' && state.conflict) {
    const conflict = state.conflict;
    const step = state.steps[conflict.step]!;
    const worktree = conflict.worktree;
    const registered = (await listWorktrees(cwd)).some((w) => w.path === worktree && !w.prunable);
    if (!registered) {
      await removeScratchWorktree(cwd, worktree);
      await addScratchWorktree(cwd, worktree, conflict.onto, context.watch);
      await startConflictMerge(worktree, step.tip, state.strategy === 'squash', step.message);
      conflict.preparedTree = await readWorktreeTree(worktree, repo.gitDir);
      await writeIntegrateState(repo.commonDir, state);
      throw new FailedError(
        `the conflict worktree for ${step.worker} was missing; pw prepared it again`,
        [`Resolve the conflict in ${worktree}, commit there, then run pw integrate --continue.`],
      );
    }
    const changes = await readWorktreeChanges(worktree);
    if (changes.length) {
      throw new FailedError(`${worktree} still has unresolved or uncommitted changes`, [
        ...changes.slice(0, 20).map((entry) => entry),
        ...(changes.length > 20 ? [`... and ${changes.length - 20} more`] : []),
        `Resolve every conflict, then git add -A && git commit there, and run pw integrate --continue.`,
      ]);
    }
    const head = await resolveCommit(worktree, 'HEAD');
    if (!head || head === conflict.onto) {
      throw new FailedError(
        `the resolution of ${step.worker} is not committed yet in ${worktree}`,
        [
          `cd ${worktree} && git add -A && git commit${state.strategy === 'merge' ? ' --no-edit' : ''}, then pw integrate --continue.`,
        ],
      );
    }
    if (!(await isAncestor(cwd, conflict.onto, head))) {
      throw new FailedError(
        `HEAD in ${worktree} (${head.slice(0, 12)}) does not build on the merged steps (${conflict.onto.slice(0, 12)})`,
        [
          `Check out ${conflict.onto.slice(0, 12)} there again and redo the resolution on top of it, or pw integrate --abort.`,
        ],
      );
    }
    const kept = resolutionRef(plan.name, step.worker);
    // keepRef: an earlier resolution of the same worker is kept beside it, never dropped.
    await keepRef(cwd, kept, head, 'pw integrate: conflict resolution');
    const parents = state.strategy === 'merge' ? [conflict.onto, step.tip] : [conflict.onto];
    step.result = await commitTree(
      cwd,
      await treeOf(cwd, head),
      parents,
      noteResolvedConflicts(step.message, conflict.paths),
    );
    step.resolved = conflict.paths;
    const next: IntegrateState = { ...state, phase: 'merging', conflict: null };
    await writeIntegrateState(repo.commonDir, next);
    await updateRefs(
      cwd,
      [{ ref: integrationRef(plan.name), to: step.result }],
      `pw integrate: ${step.worker} resolved`,
      context.watch,
    );
    await removeScratchWorktree(cwd, worktree);
    await event(context, 'resolved', {
      worker: step.worker,
      commit: step.result,
      paths: conflict.paths,
      kept,
    });
    Object.assign(state, next);
    report.notes.push(`${step.worker}: your resolution commit is kept at ${kept}`);
  }

  resolveSteps(report, state.steps);
  context.print(renderIntegrateStart(report));
  const from = state.steps.findIndex((s) => !s.result);
  state.steps.forEach((_, i) => {
    if (from === -1 || i < from) context.print(renderStepLine(report, i));
  });
  let head = from === -1 ? state.steps[state.steps.length - 1]!.result! : state.start;
  if (from !== -1) {
    const onto = from === 0 ? state.start : state.steps[from - 1]!.result!;
    const outcome = await mergeSteps(cwd, state.steps, {
      from,
      onto,
      strategy: state.strategy,
      squashedTips: state.squashedTips,
      beforeStep: () => assertNotInterrupted(context),
      onStep: (i, step) => {
        report.steps[i] = stepReport(step, doneStatus(step));
        context.print(renderStepLine(report, i));
      },
    });
    if (outcome.kind === 'conflict') return stopAtConflict(context, report, state, outcome);
    head = outcome.head;
  }
  await warnMovedWorkers(context, report, state);
  return finish(context, report, state, head, false, options, null);
}

/** Workers that committed after the attempt read their tips: their new commits are not in this result. */
async function warnMovedWorkers(
  context: IntegrateContext,
  report: IntegrateReport,
  state: IntegrateState,
): Promise<void> {
  for (const step of state.steps) {
    const now = await resolveCommit(context.cwd, `refs/heads/${step.branch}`);
    if (now && now !== step.tip) {
      report.warnings.push(
        `${step.worker} has new commits since this integration started (${step.tip.slice(0, 12)} -> ${now.slice(0, 12)}); they are not in this result: run pw integrate again afterwards`,
      );
    }
  }
}

/** `pw integrate --abort`: drops the attempt; keeps any hand-made work under refs first. */
export async function abortIntegration(context: IntegrateContext): Promise<IntegrateReport> {
  const { cwd, plan, repo } = context;
  const report = newReport(context, 'abort');
  const state = await readIntegrateState(repo.commonDir, plan.name);
  const paths = integrateWorktrees(plan);
  const worker = state?.conflict ? state.steps[state.conflict.step]!.worker : 'stray';
  const kept = await preserveConflictWorktree(
    context,
    paths.conflict,
    worker,
    state?.conflict?.onto ?? null,
    state?.conflict?.preparedTree ?? null,
  );
  await removeScratchWorktree(cwd, paths.verify);
  await dropIntegrationRef(context);
  await clearIntegrateState(repo.commonDir, plan.name);
  if (state) {
    report.strategy = state.strategy;
    report.from = state.targetOld;
    report.start = state.start;
    report.order = state.steps.map((s) => s.worker);
    resolveSteps(report, state.steps);
    await event(context, 'aborted', { phase: state.phase, kept });
  }
  const resolved =
    state?.steps.filter((s) => s.resolved).map((s) => resolutionRef(plan.name, s.worker)) ?? [];
  if (kept.length || resolved.length) {
    report.warnings.push(`your work is kept: ${[...kept, ...resolved].join(', ')}`);
  }
  report.outcome = state ? 'aborted' : 'nothing-to-abort';
  report.ok = true;
  context.print(
    [
      ...report.warnings.map((w) => `warning: ${w}\n`),
      ...report.notes.map((n) => `note: ${n}\n`),
    ].join(''),
  );
  return report;
}
