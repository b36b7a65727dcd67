import { lstat } from 'node:fs/promises';
import type { CommandDeps, CommandResult } from '../cli/deps.js';
import { findFirstFailing } from '../domain/find-first-failing.js';
import type { CompiledPlan, IntegrateStrategy, VerifyMode } from '../domain/plan.js';
import {
  noteResolvedConflicts,
  planIntegration,
  type IntegrateRequest,
  type IntegrationRefusal,
} from '../domain/plan-integration.js';
import { FailedError, PwError, UsageError } from '../errors.js';
import { archiveUncommitted } from '../git/archive.js';
import { planArchiveUpdates } from '../git/archive-tips.js';
import { listChangedPaths } from '../git/changed-paths.js';
import { commitTree, treeOf } from '../git/commit-tree.js';
import { mergeTree, type MergeTreeResult } from '../git/merge-tree.js';
import { deleteRef, isAncestor, updateRef } from '../git/refs.js';
import { updateRefs, type RefUpdate } from '../git/ref-transaction.js';
import {
  listRefs,
  listWorktrees,
  readWorktreeChanges,
  resolveCommit,
  type RepoInfo,
} from '../git/repo.js';
import {
  addScratchWorktree,
  readWorktreeTree,
  removeScratchWorktree,
  startConflictMerge,
} from '../git/scratch-worktree.js';
import {
  renderIntegrateEnd,
  renderIntegrateStart,
  renderMatrix,
  renderStepLine,
  type ConflictReport,
  type IntegrateOutcome,
  type IntegrateReport,
  type StepReport,
  type VerifyReport,
} from '../render/integrate-report.js';
import {
  acquireIntegrateLock,
  clearIntegrateState,
  integrateWorktrees,
  integrationRef,
  readIntegrateState,
  resolutionRef,
  writeIntegrateState,
  type IntegrateState,
  type IntegrateStepRecord,
} from '../store/integrate-state.js';
import { appendEvent } from '../store/trusted-store.js';
import { loadActivePlan } from './active-plan.js';
import { readScopeFindings } from './integrate-gates.js';
import { mergeSteps, type MergeOutcome } from './integrate-merge.js';
import { findOverwrittenPaths, publishResult } from './integrate-publish.js';
import { readIntegrateSnapshot, type IntegrateReadout } from './integrate-snapshot.js';
import { runVerify, type VerifyRun } from './integrate-verify.js';

export interface IntegrateOptions {
  plan?: string;
  dryRun?: boolean;
  matrix?: boolean;
  only?: string[];
  allowIncomplete?: boolean;
  continue?: boolean;
  abort?: boolean;
  teardown?: boolean;
  strategy?: IntegrateStrategy;
  /** commander's `--no-verify` sets this to false. */
  verify?: boolean;
  json?: boolean;
}

interface Context {
  deps: CommandDeps;
  repo: RepoInfo;
  plan: CompiledPlan;
  /** The main worktree: where git runs (never a worker's). */
  cwd: string;
  json: boolean;
  strategy: IntegrateStrategy;
  verify: { command: string; mode: VerifyMode } | null;
  /** Prints in human mode only; JSON gets one report at the end. */
  print: (text: string) => void;
}

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
    (options.only || options.strategy || options.allowIncomplete)
  ) {
    throw new UsageError(
      `${options.continue ? '--continue' : '--abort'} takes no --only, --strategy or --allow-incomplete`,
      ['They were fixed when the integration started; --abort and start again to change them.'],
    );
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
  const { repo, plan } = await loadActivePlan(deps.cwd, options.plan);
  const json = Boolean(options.json);
  const context: Context = {
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
  };
  let report: IntegrateReport;
  if (options.matrix) report = await runMatrix(context, options);
  else if (options.dryRun) report = await runDryRun(context, options);
  else {
    const release = await acquireIntegrateLock(repo.commonDir, plan.name, deps.now());
    try {
      if (options.abort) report = await abortIntegration(context);
      else if (options.continue) report = await continueIntegration(context, options);
      else report = await startIntegration(context, options);
    } finally {
      await release();
    }
  }
  if (json) deps.stdout(`${JSON.stringify(report, null, 2)}\n`);
  else if (report.action === 'matrix') deps.stdout(renderMatrix(report));
  else deps.stdout(renderIntegrateEnd(report));
  return { exitCode: report.ok ? 0 : 1 };
}

function newReport(context: Context, action: IntegrateReport['action']): IntegrateReport {
  return {
    plan: context.plan.name,
    target: context.plan.target,
    action,
    outcome: 'nothing-to-integrate',
    ok: false,
    strategy: context.strategy,
    from: null,
    start: null,
    order: [],
    edges: [],
    steps: [],
    skipped: [],
    warnings: [],
    preflight: [],
    conflict: null,
    verify: null,
    publish: null,
    refusal: null,
    result: null,
    integrationRef: null,
    archived: [],
    teardown: null,
    matrix: null,
    next: [],
  };
}

async function event(
  context: Context,
  phase: string,
  data: Record<string, unknown>,
): Promise<void> {
  await appendEvent(context.repo.commonDir, {
    time: context.deps.now().toISOString(),
    type: 'integrate',
    plan: context.plan.name,
    phase,
    ...data,
  });
}

/** Starts a promise now and reads it later, without an unhandled rejection in between. */
function settle<T>(promise: Promise<T>): () => Promise<T> {
  const settled = promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  return async () => {
    const result = await settled;
    if (!result.ok) throw result.error;
    return result.value;
  };
}

function refusalError(refusal: IntegrationRefusal): PwError {
  return refusal.kind === 'usage'
    ? new UsageError(refusal.message, refusal.details)
    : new FailedError(refusal.message, refusal.details);
}

function request(context: Context, options: IntegrateOptions): IntegrateRequest {
  return {
    only: options.only?.length ? options.only : null,
    allowIncomplete: Boolean(options.allowIncomplete),
    strategy: context.strategy,
  };
}

function stepReport(step: IntegrateStepRecord, status: StepReport['status']): StepReport {
  return {
    worker: step.worker,
    branch: step.branch,
    tip: step.tip,
    subject: step.subject,
    state: step.state,
    status,
    commit: step.result,
  };
}

function doneStatus(step: IntegrateStepRecord): StepReport['status'] {
  if (step.resolved) return 'resolved';
  return step.contained ? 'contained' : 'merged';
}

/** Refuses to start while another attempt waits for the user. */
function assertNothingInProgress(state: IntegrateState | null): void {
  if (!state || state.phase === 'ready') return;
  if (state.phase === 'conflict' && state.conflict) {
    const step = state.steps[state.conflict.step]!;
    throw new FailedError(
      `an integration of plan "${state.plan}" is waiting for a conflict in ${step.worker} to be resolved`,
      [
        `Resolve it in ${state.conflict.worktree} and commit there, then run pw integrate --continue.`,
        'Or drop the attempt with pw integrate --abort.',
      ],
    );
  }
  throw new FailedError(
    `an integration of plan "${state.plan}" is half done (a conflict was resolved)`,
    ['Finish it with pw integrate --continue, or drop it with pw integrate --abort.'],
  );
}

/**
 * Whatever a killed run left: the verify worktree, and a conflict worktree no
 * state points at. Work found in the latter is kept under refs first.
 */
async function removeLeftovers(context: Context, state: IntegrateState | null): Promise<string[]> {
  const paths = integrateWorktrees(context.plan);
  // Plain file checks first: the common case (nothing left over) costs no git call.
  if (await exists(paths.verify)) await removeScratchWorktree(context.cwd, paths.verify);
  if (state?.conflict || !(await exists(paths.conflict))) return [];
  return preserveConflictWorktree(context, paths.conflict, 'stray', null, null);
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Keeps what the user did in a conflict worktree (commits, and files that
 * differ from what pw prepared there) under refs, then removes it.
 */
async function preserveConflictWorktree(
  context: Context,
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
  context: Context,
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
    `${context.plan.target} (since ${conflicted.worker} branched)`,
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

async function conflictReport(
  context: Context,
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

function resolveSteps(report: IntegrateReport, steps: readonly IntegrateStepRecord[]): void {
  report.steps = steps.map((s) => stepReport(s, s.result ? doneStatus(s) : 'not-reached'));
}

/** A fresh `pw integrate`: preflight, order, merge, verify, publish. */
async function startIntegration(
  context: Context,
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
  const findingsRead = settle(readScopeFindings(cwd, plan));
  const readout = await readIntegrateSnapshot(cwd, plan, context.deps.now());
  const planned = planIntegration(readout.snapshot, request(context, options));
  if (!planned.ok) throw refusalError(planned.refusal);
  const program = planned.program;
  Object.assign(report, {
    from: readout.target.commit,
    start: readout.target.start,
    order: program.steps.map((s) => s.worker),
    edges: program.edges,
    skipped: program.skipped,
    warnings: [...report.warnings, ...program.warnings],
  });

  if (program.steps.length === 0) {
    if (state) await clearIntegrateState(repo.commonDir, plan.name);
    report.archived = await archiveIntegrated(context, readout, request(context, options).only);
    await updateRefs(
      context.cwd,
      [{ ref: integrationRef(plan.name), to: null }],
      'pw integrate: nothing to do',
    );
    report.outcome = 'nothing-to-integrate';
    report.ok = true;
    context.print(renderIntegrateStart(report));
    return report;
  }

  // The gate is awaited before anything is written or printed per step: merging
  // in memory meanwhile writes only objects, which a refusal leaves unreferenced.
  const assertCheckClean = async (): Promise<void> => {
    const findings = (await findingsRead()).filter((f) => report.order.includes(f.worker));
    if (findings.length === 0) return;
    throw new FailedError(
      `pw check finds ${findings.length} problem${findings.length === 1 ? '' : 's'} in what would be merged`,
      [
        ...findings.map((f) => `${f.worker}: ${f.text}`),
        'Fix them on the worker branches (pw check --worker <id> shows each), then run pw integrate again.',
      ],
    );
  };

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
  await event(context, 'start', {
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
    strategy: attempt.strategy,
    squashedTips: attempt.squashedTips,
    onStep: (i, step) => {
      report.steps[i] = stepReport(step, doneStatus(step));
      if (checked) context.print(renderStepLine(report, i));
      else held.push(renderStepLine(report, i));
    },
  });
  await assertCheckClean();
  checked = true;
  context.print(held.join(''));
  if (outcome.kind === 'conflict') return stopAtConflict(context, report, attempt, outcome);
  return finish(context, report, attempt, outcome.head, false, options, readout.archives);
}

/** A ready result from an earlier attempt is reused only if every input is the same. */
async function isSameAttempt(
  context: Context,
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

/** Stops at a conflicted step: keeps the merged steps, prepares a worktree for the user, records the state. */
async function stopAtConflict(
  context: Context,
  report: IntegrateReport,
  attempt: IntegrateState,
  outcome: Extract<MergeOutcome, { kind: 'conflict' }>,
): Promise<IntegrateReport> {
  const { cwd, plan } = context;
  const step = attempt.steps[outcome.index]!;
  const worktree = integrateWorktrees(plan).conflict;
  const ref = integrationRef(plan.name);
  await updateRef(cwd, ref, outcome.onto, {
    message: `pw integrate: merged before ${step.worker}`,
  });
  await removeScratchWorktree(cwd, worktree);
  await addScratchWorktree(cwd, worktree, outcome.onto);
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
  });
  report.steps[outcome.index] = stepReport(step, 'conflict');
  report.conflict = conflict;
  report.integrationRef = ref;
  report.outcome = 'conflict';
  report.next = [
    `The ${outcome.index} step${outcome.index === 1 ? '' : 's'} before it ${outcome.index === 1 ? 'is' : 'are'} kept at ${ref}.`,
    `Resolve the conflict in ${worktree}:`,
    `  cd ${worktree}`,
    `  # edit ${conflict.paths.join(', ') || 'the conflicted files'}, then`,
    `  git add -A && git commit${attempt.strategy === 'merge' ? ' --no-edit' : ` -m "${step.worker}: resolve conflicts"`}`,
    '  pw integrate --continue     (or pw integrate --abort to drop the attempt)',
  ];
  return report;
}

/** Record, verify, publish, archive: the common end of a start and a continue. */
async function finish(
  context: Context,
  report: IntegrateReport,
  attempt: IntegrateState,
  head: string,
  verifiedBefore: boolean,
  options: IntegrateOptions,
  knownArchives: ReadonlyMap<string, string> | null,
): Promise<IntegrateReport> {
  const { cwd, plan, repo } = context;
  const ref = integrationRef(plan.name);
  report.result = head;
  const archives = knownArchives ?? (await listRefs(cwd, `refs/pw/archive/${plan.name}/`));
  const archive = await planArchiveUpdates(
    cwd,
    plan.name,
    attempt.steps.map((s) => ({ worker: s.worker, tip: s.tip })),
    archives,
  );
  const archived = archive.archived.map((a) => ({ worker: a.worker, ref: a.ref, tip: a.tip }));
  const dropPrivateRef: RefUpdate = { ref, to: null };
  if (head === attempt.start) {
    // Every step was already contained: nothing new to publish.
    await updateRefs(cwd, [...archive.updates, dropPrivateRef], 'pw integrate: nothing new');
    await clearIntegrateState(repo.commonDir, plan.name);
    report.archived = archived;
    report.outcome = 'nothing-to-integrate';
    report.ok = true;
    return report;
  }

  let verified = verifiedBefore;
  if (context.verify && !verifiedBefore) {
    // Recorded before verify runs (which may take long), so the result is visible and survives a kill.
    await updateRef(cwd, ref, head, { message: 'pw integrate: merged' });
    report.integrationRef = ref;
    report.verify = await verifyAttempt(context, attempt);
    await event(context, 'verify', {
      command: context.verify.command,
      mode: context.verify.mode,
      passed: report.verify.passed,
      culprit: report.verify.culprit,
      startFails: report.verify.startFails,
      runs: report.verify.runs.map((r) => ({
        label: r.label,
        commit: r.commit,
        ok: r.ok,
        log: r.log,
      })),
    });
    if (!report.verify.passed) {
      await clearIntegrateState(repo.commonDir, plan.name);
      report.outcome = 'verify-failed';
      report.next = [
        `The merged result is kept at ${ref} (git log ${ref}); the verify logs are listed above.`,
        report.verify.culprit
          ? `Fix ${report.verify.culprit} on its branch, then run pw integrate again.`
          : `Fix ${plan.target} first, then run pw integrate again.`,
      ];
      return report;
    }
    verified = true;
  } else if (context.verify) {
    report.verify = verifyNote(context, 'passed on this same result in the previous attempt');
  } else if (plan.integrate.verify) {
    report.verify = verifyNote(context, 'skipped (--no-verify)', plan.integrate.verify);
  }

  const published = await publishResult(cwd, plan.target, attempt.targetOld, head, [
    ...archive.updates,
    dropPrivateRef,
  ]);
  if (!published.ok) {
    // Kept so a rerun publishes this same result without merging or verifying again.
    await updateRef(cwd, ref, head, { message: 'pw integrate: merged, not published' });
    report.integrationRef = ref;
    if (published.reason !== 'moved') {
      await writeIntegrateState(repo.commonDir, {
        ...attempt,
        phase: 'ready',
        result: head,
        verified,
        conflict: null,
      });
    }
    await event(context, 'refused', { reason: published.reason, result: head });
    return reportRefusedPublish(context, report, attempt, published);
  }
  report.publish = {
    method: published.method,
    worktree: published.worktree,
    from: attempt.targetOld,
    to: head,
  };
  report.archived = archived;
  report.integrationRef = null;
  await clearIntegrateState(repo.commonDir, plan.name);
  await event(context, 'published', {
    target: plan.target,
    from: attempt.targetOld,
    to: head,
    method: published.method,
    workers: attempt.steps.map((s) => s.worker),
  });
  report.outcome = 'published';
  report.ok = true;
  if (options.teardown) {
    report.teardown = await teardownAfterPublish(context);
    report.ok = report.teardown.ok;
  }
  return report;
}

function verifyNote(context: Context, note: string, command?: string): VerifyReport {
  return {
    command: command ?? context.verify?.command ?? '',
    mode: context.verify?.mode ?? context.plan.integrate.verifyMode,
    runs: [],
    passed: true,
    culprit: null,
    startFails: false,
    note,
  };
}

async function reportRefusedPublish(
  context: Context,
  report: IntegrateReport,
  attempt: IntegrateState,
  published: Exclude<Awaited<ReturnType<typeof publishResult>>, { ok: true }>,
): Promise<IntegrateReport> {
  const { plan } = context;
  const target = plan.target;
  if (published.reason === 'moved') {
    report.outcome = 'target-moved';
    report.refusal = {
      message: `${target} moved while integrate ran: it was ${attempt.targetOld?.slice(0, 12) ?? '(absent)'} and is now ${published.current?.slice(0, 12) ?? '(deleted)'}; nothing was published.`,
      details: [],
    };
    report.next = [
      `The merged result is kept at ${integrationRef(plan.name)}.`,
      `Run pw integrate again to redo the merges on top of the new ${target}.`,
    ];
    await clearIntegrateState(context.repo.commonDir, plan.name);
    return report;
  }
  if (published.reason === 'dirty') {
    report.outcome = 'target-dirty';
    report.refusal = {
      message: `${target} is checked out in ${published.worktree}, which has uncommitted changes the update would overwrite:`,
      details: published.paths,
    };
  } else {
    report.outcome = 'publish-refused';
    report.refusal = {
      message: `git refused to fast-forward ${target} in ${published.worktree}:`,
      details: published.message.split('\n'),
    };
  }
  report.next = [
    `Commit or stash those changes in ${published.worktree}, then run pw integrate again:`,
    `it publishes the same merged${report.verify?.passed && report.verify.runs.length ? ' and verified' : ''} result (kept at ${integrationRef(plan.name)}) without redoing it.`,
  ];
  return report;
}

async function teardownAfterPublish(context: Context): Promise<{ ok: boolean; text: string }> {
  let text = '';
  const { runTeardown } = await import('./teardown.js');
  try {
    await runTeardown(
      { plan: context.plan.name },
      { ...context.deps, stdout: (chunk) => void (text += chunk) },
    );
    return { ok: true, text };
  } catch (error) {
    if (!(error instanceof PwError)) throw error;
    return {
      ok: false,
      text: [
        `Published, but teardown refused: ${error.message}`,
        ...error.details.map((d) => `  ${d}`),
      ].join('\n'),
    };
  }
}

async function dropIntegrationRef(context: Context): Promise<void> {
  const ref = integrationRef(context.plan.name);
  const sha = await resolveCommit(context.cwd, ref);
  if (sha) await deleteRef(context.cwd, ref, sha);
}

/**
 * On a run with nothing to merge, archives every selected worker tip the
 * target holds whose archive lacks it (a run killed after publishing did not
 * get to). Reports only the archives it wrote.
 */
async function archiveIntegrated(
  context: Context,
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
  await updateRefs(context.cwd, updates, 'pw integrate: archive integrated tips');
  return archived
    .filter((a) => a.changed)
    .map((a) => ({ worker: a.worker, ref: a.ref, tip: a.tip }));
}

/**
 * Runs verify: on the result (mode end, then a bisection over the steps when
 * it fails), or after each step (mode each). Names the first failing step.
 */
async function verifyAttempt(context: Context, attempt: IntegrateState): Promise<VerifyReport> {
  const verify = context.verify!;
  const runs: VerifyRun[] = [];
  const byCommit = new Map<string, boolean>();
  const verifyContext = {
    cwd: context.cwd,
    commonDir: context.repo.commonDir,
    plan: context.plan,
    command: verify.command,
    env: context.deps.env,
    now: context.deps.now,
  };
  // Result i is the commit after step i; result 0 is the start.
  const results = [attempt.start, ...attempt.steps.map((s) => s.result!)];
  const labels = ['start', ...attempt.steps.map((s) => s.worker)];
  const passes = async (index: number, label = labels[index]!): Promise<boolean> => {
    const commit = results[index]!;
    const known = byCommit.get(commit);
    if (known !== undefined) return known;
    context.print(
      `Verifying ${label === 'result' ? 'the result' : label === 'start' ? 'the start' : `after ${label}`} (${commit.slice(0, 12)}): ${verify.command}\n`,
    );
    const run = await runVerify(verifyContext, commit, label);
    runs.push(run);
    byCommit.set(commit, run.ok);
    return run.ok;
  };
  const report: VerifyReport = {
    command: verify.command,
    mode: verify.mode,
    runs,
    passed: true,
    culprit: null,
    startFails: false,
    note: null,
  };
  const count = attempt.steps.length;
  let firstFailing: number | null = null;
  if (verify.mode === 'each') {
    for (let i = 1; i <= count; i++) {
      if (!(await passes(i))) {
        firstFailing = i === 1 && !(await passes(0)) ? 0 : i;
        break;
      }
    }
  } else if (!(await passes(count, 'result'))) {
    firstFailing = await findFirstFailing(count, (i) => passes(i));
  }
  if (firstFailing !== null) {
    report.passed = false;
    report.startFails = firstFailing === 0;
    // A contained step shares its commit with the one before, so the cache never blames it.
    report.culprit = firstFailing === 0 ? null : attempt.steps[firstFailing - 1]!.worker;
  }
  return report;
}

/** `pw integrate --continue`: takes the user's resolution and merges the rest. */
async function continueIntegration(
  context: Context,
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
      await addScratchWorktree(cwd, worktree, conflict.onto);
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
    await updateRef(cwd, kept, head, { message: 'pw integrate: conflict resolution' });
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
    await updateRef(cwd, integrationRef(plan.name), step.result, {
      message: `pw integrate: ${step.worker} resolved`,
    });
    await removeScratchWorktree(cwd, worktree);
    await event(context, 'resolved', {
      worker: step.worker,
      commit: step.result,
      paths: conflict.paths,
      kept,
    });
    Object.assign(state, next);
    report.warnings.push(`${step.worker}: your resolution commit is kept at ${kept}`);
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
  context: Context,
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
async function abortIntegration(context: Context): Promise<IntegrateReport> {
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
  context.print(report.warnings.map((w) => `warning: ${w}\n`).join(''));
  return report;
}

/** `pw integrate --dry-run`: the whole merge in memory; writes no ref, touches no worktree. */
async function runDryRun(context: Context, options: IntegrateOptions): Promise<IntegrateReport> {
  const { cwd, plan, repo } = context;
  const report = newReport(context, 'dry-run');
  const readout = await readIntegrateSnapshot(cwd, plan, context.deps.now());
  const strict = planIntegration(readout.snapshot, request(context, options));
  const lenient = planIntegration(readout.snapshot, {
    ...request(context, options),
    allowIncomplete: true,
  });
  if (!lenient.ok) throw refusalError(lenient.refusal);
  if (!strict.ok) {
    if (strict.refusal.kind === 'usage') throw refusalError(strict.refusal);
    report.preflight.push(strict.refusal.message, ...strict.refusal.details.slice(0, -1));
  }
  const program = lenient.program;
  const state = await readIntegrateState(repo.commonDir, plan.name);
  if (state && state.phase !== 'ready') {
    report.preflight.push(
      'an integration is in progress: pw integrate --continue or --abort first',
    );
  }
  const merging = program.steps.map((s) => s.worker);
  const findings = (await readScopeFindings(cwd, plan)).filter((f) => merging.includes(f.worker));
  report.preflight.push(...findings.map((f) => `pw check: ${f.worker}: ${f.text}`));
  Object.assign(report, {
    from: readout.target.commit,
    start: readout.target.start,
    order: program.steps.map((s) => s.worker),
    edges: program.edges,
    skipped: program.skipped,
    warnings: strict.ok ? program.warnings : [],
  });
  const steps: IntegrateStepRecord[] = program.steps.map((s) => ({ ...s, result: null }));
  resolveSteps(report, steps);
  context.print(renderIntegrateStart(report));
  let clean = true;
  if (steps.length) {
    const outcome = await mergeSteps(cwd, steps, {
      from: 0,
      onto: readout.target.start,
      strategy: context.strategy,
      squashedTips: readout.squashedTips,
      onStep: (i, step) => {
        report.steps[i] = stepReport(step, doneStatus(step));
        context.print(renderStepLine(report, i));
      },
    });
    if (outcome.kind === 'conflict') {
      clean = false;
      report.steps[outcome.index] = stepReport(steps[outcome.index]!, 'conflict');
      report.conflict = await conflictReport(
        context,
        steps,
        outcome.index,
        readout.target.start,
        outcome.merge,
        null,
      );
      report.next.push('pw integrate --matrix shows every pair of workers that conflicts.');
    } else {
      report.result = outcome.head;
      const prediction = await predictPublish(context, readout.target.commit, outcome.head);
      if (prediction) {
        clean = false;
        report.preflight.push(prediction);
      }
    }
    if (context.verify) {
      report.verify = verifyNote(
        context,
        `would run on the result (mode ${context.verify.mode}); a dry run does not run it`,
      );
    }
  }
  report.outcome = 'dry-run';
  report.ok = clean && report.preflight.length === 0;
  if (report.preflight.length && clean) {
    report.next.push(...report.preflight.map((p) => `would stop: ${p}`));
  }
  return report;
}

/** Why publishing `result` would be refused now, or null. */
async function predictPublish(
  context: Context,
  expected: string | null,
  result: string,
): Promise<string | null> {
  const ref = `refs/heads/${context.plan.target}`;
  const holder = (await listWorktrees(context.cwd)).find((w) => w.branch === ref);
  if (!holder || !expected) return null;
  const overlap = await findOverwrittenPaths(context.cwd, holder.path, expected, result);
  return overlap.length
    ? `${context.plan.target} is checked out in ${holder.path} with uncommitted changes the update would overwrite: ${overlap.join(', ')}`
    : null;
}

/** Runs `tasks` with at most `limit` at a time, results in order. */
async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** `pw integrate --matrix`: merges every pair of workers (and each with the target) in memory. */
async function runMatrix(context: Context, options: IntegrateOptions): Promise<IntegrateReport> {
  const { cwd, plan } = context;
  const report = newReport(context, 'matrix');
  report.outcome = 'matrix';
  const readout = await readIntegrateSnapshot(cwd, plan, context.deps.now());
  const only = options.only?.length ? options.only : null;
  const unknown = (only ?? []).filter((id) => !plan.workers.some((w) => w.id === id));
  if (unknown.length) {
    throw new UsageError(`--only names workers not in plan "${plan.name}": ${unknown.join(', ')}`, [
      `Workers: ${plan.workers.map((w) => w.id).join(', ')}`,
    ]);
  }
  const workers = readout.snapshot.workers.filter(
    (w) => (!only || only.includes(w.id)) && w.tip && w.history.length && !w.inTarget,
  );
  for (const w of readout.snapshot.workers) {
    if ((!only || only.includes(w.id)) && !workers.includes(w)) {
      report.skipped.push({
        worker: w.id,
        reason: !w.tip || !w.history.length ? 'no commits of its own' : 'already integrated',
      });
    }
  }
  const participants = [
    { name: plan.target, commit: readout.target.start },
    ...workers.map((w) => ({ name: w.id, commit: w.tip! })),
  ];
  const pairs: [number, number][] = [];
  for (let i = 0; i < participants.length; i++) {
    for (let j = i + 1; j < participants.length; j++) pairs.push([i, j]);
  }
  const merges = await mapLimit(pairs, 8, ([i, j]) =>
    mergeTree(cwd, participants[i]!.commit, participants[j]!.commit),
  );
  report.from = readout.target.commit;
  report.start = readout.target.start;
  report.matrix = {
    participants: participants.map((p) => p.name),
    pairs: pairs.map(([i, j], k) => ({
      a: participants[i]!.name,
      b: participants[j]!.name,
      clean: merges[k]!.clean,
      paths: merges[k]!.conflictedPaths,
      messages: merges[k]!.messages.filter((m) => m.type.startsWith('CONFLICT')),
    })),
  };
  report.ok = report.matrix.pairs.every((p) => p.clean);
  return report;
}

export type { IntegrateOutcome };
