/**
 * `pw integrate` (DESIGN.md section 7): preflight, dependency order, merge in
 * memory onto a private ref, verify, and publish in one atomic step. This file
 * reads the options and runs a fresh integration; conflicts, the end of a run
 * and the previews live beside it (integrate-*.ts).
 */
import type { CommandDeps, CommandResult } from '../../cli/deps.js';
import { planIntegration } from '../../domain/integrate/plan-integration.js';
import { UsageError } from '../../errors.js';
import { planArchiveUpdates } from '../../git/archive-tips.js';
import { updateRefs } from '../../git/ref-transaction.js';
import { resolveCommit } from '../../git/repo.js';
import { removeScratchWorktree } from '../../git/scratch-worktree.js';
import {
  renderIntegrateEnd,
  renderIntegrateStart,
  renderMatrix,
  renderStepLine,
  type IntegrateReport,
} from '../../render/integrate/report.js';
import {
  clearIntegrateState,
  integrateWorktrees,
  integrationRef,
  readIntegrateState,
  type IntegrateState,
} from '../../store/integrate-state.js';
import { describeGit, recordDetachedGit, waitForDetachedGit } from '../../store/detached-git.js';
import { withRepoLock } from '../../store/repo-lock.js';
import { loadActivePlan } from '../active-plan.js';
import { assertNoScopeFindings, assertNothingInProgress, readScopeFindings } from './gates.js';
import { mergeSteps } from './merge.js';
import { readIntegrateSnapshot, recordProgram, type IntegrateReadout } from './snapshot.js';
import {
  preserveConflictWorktree,
  stopAtConflict,
  continueIntegration,
  abortIntegration,
} from './conflict.js';
import {
  newReport,
  event,
  settle,
  interruptedError,
  assertNotInterrupted,
  refusalError,
  request,
  stepReport,
  doneStatus,
  exists,
  resolveSteps,
  type IntegrateOptions,
  type IntegrateContext,
} from './context.js';
import { finish, teardownAfterPublish } from './finish.js';
import { preparePush, pushTarget } from './push.js';
import { fetchForRead, resolveHubRead } from '../../git/fetch-workers.js';
import { runDryRun, runMatrix } from './preview.js';
import { assertPlanTrusted } from '../trust.js';

function assertOptions(options: IntegrateOptions): void {
  const modes = (['continue', 'abort', 'dryRun', 'matrix'] as const).filter((key) => options[key]);
  if (modes.length > 1) {
    const flag = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    throw new UsageError(`${modes.map(flag).join(' and ')} cannot be used together`, [
      'Pick one: --dry-run or --matrix to look, --continue or --abort for an integration in progress.',
    ]);
  }
  if (
    (options.continue || options.abort) &&
    (options.only || options.strategy || options.allowIncomplete || options.allowMissingProviders)
  ) {
    throw new UsageError(
      `${options.continue ? '--continue' : '--abort'} takes no --only, --strategy, --allow-incomplete or --allow-missing-providers`,
      ['They were fixed when the integration started; --abort and start again to change them.'],
    );
  }
  if (options.push && (options.matrix || options.abort)) {
    throw new UsageError(`--push does not go with ${options.matrix ? '--matrix' : '--abort'}`, [
      'Use it with pw integrate or pw integrate --continue (with --dry-run it checks the hub only).',
    ]);
  }
  if (options.teardown && (options.dryRun || options.matrix || options.abort)) {
    throw new UsageError('--teardown only goes with a run that publishes', [
      'Use it with pw integrate or pw integrate --continue.',
    ]);
  }
}

export async function runIntegrate(
  options: IntegrateOptions,
  deps: CommandDeps,
): Promise<CommandResult> {
  assertOptions(options);
  const { repo, plan, trust } = await loadActivePlan(deps.cwd, options.plan);
  // Nothing is published with scopes read from edited trusted files; --abort only cleans up.
  if (!options.abort)
    await assertPlanTrusted(deps.cwd, repo.commonDir, plan.name, 'pw integrate', trust);
  const json = Boolean(options.json);
  const context: IntegrateContext = {
    deps,
    repo,
    plan,
    cwd: repo.mainWorktree,
    json,
    strategy: options.strategy ?? plan.integrate.strategy,
    verify:
      options.verify === false || !plan.integrate.verify
        ? null
        : { command: plan.integrate.verify, mode: plan.integrate.verifyMode },
    print: json ? () => {} : (text) => deps.stdout(text),
    interrupted: () => interrupted,
    notes: [],
    watch: null,
    hub: null,
  };
  // The hub's copies of the worker branches are merged when ahead: fetched first (pw.hub, --fetch).
  const hubRead = await resolveHubRead(
    repo.mainWorktree,
    options.abort || options.continue ? false : options.fetch,
  );
  const fetched = await fetchForRead(repo.mainWorktree, plan, hubRead);
  context.hub = hubRead.hub;
  context.notes.push(...fetched.warnings);
  for (const note of fetched.notes) deps.stderr(`${note}\n`);
  let interrupted = false;
  void deps.interrupted.then(() => {
    interrupted = true;
  });
  let report: IntegrateReport;
  if (options.matrix) report = await runMatrix(context, options);
  else if (options.dryRun) {
    await waitForInterruptedRun(context, false);
    // What the push would refuse before merging, it refuses here too.
    if (options.push) await preparePush(context);
    report = await runDryRun(context, options);
  } else {
    report = await withRepoLock(repo.commonDir, 'integrate', deps, async () => {
      try {
        await waitForInterruptedRun(context, true);
        context.watch = recordDetachedGit(repo.commonDir, plan.name);
        if (options.abort) return await abortIntegration(context);
        const push = options.push ? await preparePush(context) : null;
        const done = options.continue
          ? await continueIntegration(context, options)
          : await startIntegration(context, options);
        // Published (a refused --teardown afterwards does not undo that) or nothing new: push.
        if (push && ['published', 'nothing-to-integrate'].includes(done.outcome))
          await pushTarget(context, done, push);
        return done;
      } catch (error) {
        // Ctrl-C also reaches the git or verify command running then; say what happened, not how it died.
        if (interrupted) throw interruptedError(context);
        throw error;
      } finally {
        context.watch = null;
      }
    });
  }
  if (json) deps.stdout(`${JSON.stringify(report, null, 2)}\n`);
  else if (report.action === 'matrix') deps.stdout(renderMatrix(report));
  else deps.stdout(renderIntegrateEnd(report));
  return { exitCode: report.ok ? 0 : 1 };
}

/**
 * A killed run can leave a detached git running (the publishing fast-forward,
 * above all): until it ends, the target's worktree looks dirty and the branch
 * has not moved. Waits for it, so this run sees the outcome, and says so.
 */
async function waitForInterruptedRun(context: IntegrateContext, clean: boolean): Promise<void> {
  const waited = await waitForDetachedGit(context.repo.commonDir, context.plan.name, {
    clean,
    onWait: (running) =>
      context.print(
        `Waiting for ${running.map((r) => `${describeGit(r)} (pid ${r.pid})`).join(', ')} to finish: an interrupted pw integrate left it running.\n`,
      ),
  });
  if (!waited) return;
  context.notes.push(
    `waited ${(waited.waitedMs / 1000).toFixed(1)} s for ${waited.waitedFor.map((r) => `${describeGit(r)} (pid ${r.pid})`).join(', ')}, left running by an interrupted pw integrate`,
  );
}

/**
 * Whatever a killed run left: the verify worktree, and a conflict worktree no
 * state points at. Work found in the latter is kept under refs first.
 */
async function removeLeftovers(
  context: IntegrateContext,
  state: IntegrateState | null,
): Promise<string[]> {
  const paths = integrateWorktrees(context.plan);
  // Plain file checks first: the common case (nothing left over) costs no git call.
  if (await exists(paths.verify)) await removeScratchWorktree(context.cwd, paths.verify);
  if (state?.conflict || !(await exists(paths.conflict))) return [];
  return preserveConflictWorktree(context, paths.conflict, 'stray', null, null);
}

/** A fresh `pw integrate`: preflight, order, merge, verify, publish. */
async function startIntegration(
  context: IntegrateContext,
  options: IntegrateOptions,
): Promise<IntegrateReport> {
  const { cwd, plan, repo } = context;
  const report = newReport(context, 'integrate');
  const state = await readIntegrateState(repo.commonDir, plan.name);
  assertNothingInProgress(state);
  const kept = await removeLeftovers(context, state);
  if (kept.length)
    report.warnings.push(`work found in a leftover conflict worktree was kept: ${kept.join(', ')}`);

  // The check reads every worker branch; it runs while the snapshot is read.
  const findingsRead = settle(readScopeFindings(cwd, plan, context.hub));
  const readout = await readIntegrateSnapshot(cwd, plan, context.deps.now(), context.hub);
  report.warnings.push(...readout.warnings);
  const planned = planIntegration(readout.snapshot, request(context, options));
  if (!planned.ok) throw refusalError(planned.refusal);
  const program = planned.program;
  recordProgram(report, readout.target, program);

  if (program.steps.length === 0) {
    if (state) await clearIntegrateState(repo.commonDir, plan.name);
    report.archived = await archiveIntegrated(context, readout, request(context, options).only);
    await updateRefs(
      context.cwd,
      [{ ref: integrationRef(plan.name), to: null }],
      'pw integrate: nothing to do',
      context.watch,
    );
    report.outcome = 'nothing-to-integrate';
    report.ok = true;
    context.print(renderIntegrateStart(report));
    // The target holds every worker already (a rerun after a run killed before its teardown).
    if (options.teardown) {
      report.teardown = await teardownAfterPublish(context);
      report.ok = report.teardown.ok;
    }
    return report;
  }

  // The gate is awaited before anything is written or printed per step: merging
  // in memory meanwhile writes only objects, which a refusal leaves unreferenced.
  const assertCheckClean = async (): Promise<void> =>
    assertNoScopeFindings(await findingsRead(), report.order);

  const attempt: IntegrateState = {
    version: 1,
    plan: plan.name,
    phase: 'merging',
    startedAt: context.deps.now().toISOString(),
    target: plan.target,
    targetOld: readout.target.commit,
    start: readout.target.start,
    strategy: context.strategy,
    verify: context.verify,
    steps: program.steps.map((s) => ({ ...s, result: null })),
    squashedTips: readout.squashedTips,
    skipped: program.skipped,
    warnings: program.warnings,
    conflict: null,
    result: null,
    verified: null,
  };
  resolveSteps(report, attempt.steps);
  const logStart = (): Promise<void> =>
    event(context, 'start', {
      target: plan.target,
      from: attempt.targetOld,
      strategy: attempt.strategy,
      order: report.order,
      tips: Object.fromEntries(attempt.steps.map((s) => [s.worker, s.tip])),
      skipped: program.skipped,
    });
  context.print(renderIntegrateStart(report));

  if (state?.phase === 'ready' && (await isSameAttempt(context, state, attempt))) {
    await assertCheckClean();
    await logStart();
    attempt.steps = state.steps;
    resolveSteps(report, attempt.steps);
    attempt.steps.forEach((_, i) => context.print(renderStepLine(report, i)));
    report.warnings.push(
      `reusing the result of the previous attempt (${state.result!.slice(0, 12)}), merged from the same commits${state.verified ? ' and verified' : ''}`,
    );
    return finish(
      context,
      report,
      attempt,
      state.result!,
      Boolean(state.verified),
      options,
      readout.archives,
    );
  }
  const held: string[] = [];
  let checked = false;
  const outcome = await mergeSteps(cwd, attempt.steps, {
    from: 0,
    onto: attempt.start,
    ontoTree: readout.startTree,
    strategy: attempt.strategy,
    squashedTips: attempt.squashedTips,
    beforeStep: () => assertNotInterrupted(context),
    onStep: (i, step) => {
      report.steps[i] = stepReport(step, doneStatus(step));
      if (checked) context.print(renderStepLine(report, i));
      else held.push(renderStepLine(report, i));
    },
  });
  await assertCheckClean();
  await logStart();
  checked = true;
  context.print(held.join(''));
  if (outcome.kind === 'conflict') return stopAtConflict(context, report, attempt, outcome);
  return finish(context, report, attempt, outcome.head, false, options, readout.archives);
}

/** A ready result from an earlier attempt is reused only if every input is the same. */
async function isSameAttempt(
  context: IntegrateContext,
  old: IntegrateState,
  now: IntegrateState,
): Promise<boolean> {
  if (!old.result || old.targetOld !== now.targetOld || old.start !== now.start) return false;
  if (old.strategy !== now.strategy || JSON.stringify(old.verify) !== JSON.stringify(now.verify))
    return false;
  if (old.steps.length !== now.steps.length) return false;
  if (old.steps.some((s, i) => s.worker !== now.steps[i]!.worker || s.tip !== now.steps[i]!.tip))
    return false;
  return (await resolveCommit(context.cwd, old.result)) === old.result;
}

/**
 * On a run with nothing to merge, archives every selected worker tip the
 * target holds whose archive lacks it (a run killed after publishing did not
 * get to). Reports only the archives it wrote.
 */
async function archiveIntegrated(
  context: IntegrateContext,
  readout: IntegrateReadout,
  only: readonly string[] | null,
) {
  const tips = readout.snapshot.workers
    .filter((w) => (!only || only.includes(w.id)) && w.tip && w.inTarget && w.history.length)
    .map((w) => ({ worker: w.id, tip: w.tip! }));
  const { archived, updates } = await planArchiveUpdates(
    context.cwd,
    context.plan.name,
    tips,
    readout.archives,
  );
  await updateRefs(context.cwd, updates, 'pw integrate: archive integrated tips', context.watch);
  return archived
    .filter((a) => a.changed)
    .map((a) => ({ worker: a.worker, ref: a.ref, tip: a.tip }));
}

export type { IntegrateOptions };
