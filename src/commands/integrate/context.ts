/** What every part of `pw integrate` shares: the context of one run, the report it fills, events. */
import type { CommandDeps } from '../../cli/deps.js';
import type { CompiledPlan, IntegrateStrategy, VerifyMode } from '../../domain/plan/plan.js';
import {
  type IntegrateRequest,
  type IntegrationRefusal,
} from '../../domain/integrate/plan-integration.js';
import { FailedError, PwError, UsageError } from '../../errors.js';
import { deleteRef } from '../../git/refs.js';
import { resolveCommit, type RepoInfo } from '../../git/repo.js';
import type { DetachedGitWatch } from '../../git/detached-git-watch.js';
import type { FetchRequest, WorkerFetch } from '../../git/fetch-workers.js';
import {
  type IntegrateReport,
  type StepReport,
  type VerifyReport,
} from '../../render/integrate/report.js';
import { integrationRef, type IntegrateStepRecord } from '../../store/integrate-state.js';
import { appendEvent } from '../../store/trusted-store.js';

export interface IntegrateOptions {
  plan?: string;
  dryRun?: boolean;
  matrix?: boolean;
  only?: string[];
  allowIncomplete?: boolean;
  allowMissingProviders?: boolean;
  continue?: boolean;
  abort?: boolean;
  teardown?: boolean;
  strategy?: IntegrateStrategy;
  /** commander's `--no-verify` sets this to false. */
  verify?: boolean;
  json?: boolean;
  /** `--fetch [remote]`, `--no-fetch`, or neither (fetch when pw.hub is set). */
  fetch?: FetchRequest;
  /** Push the published target to the hub with a compare-and-swap. */
  push?: boolean;
}

export interface IntegrateContext {
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
  /** True once the user pressed Ctrl-C: stop before the next step, verify run or publish. */
  interrupted: () => boolean;
  /** Notes gathered before the report existed (a wait for an interrupted run's git); every report starts with them. */
  notes: string[];
  /** Told about each detached git while the run holds the integrate lock (null: none). */
  watch: DetachedGitWatch | null;
  /** The hub whose copies of the worker branches are read (pw.hub or --fetch); null: none. */
  hub: WorkerFetch | null;
}

export function newReport(
  context: IntegrateContext,
  action: IntegrateReport['action'],
): IntegrateReport {
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
    notes: [...context.notes],
    preflight: [],
    conflict: null,
    verify: null,
    publish: null,
    refusal: null,
    result: null,
    integrationRef: null,
    archived: [],
    teardown: null,
    push: null,
    matrix: null,
    next: [],
  };
}

export async function event(
  context: IntegrateContext,
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
export function settle<T>(promise: Promise<T>): () => Promise<T> {
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

export function interruptedError(context: IntegrateContext): FailedError {
  return new FailedError(`interrupted: ${context.plan.target} was not moved`, [
    'Run pw integrate again to start over (or pw integrate --continue if a conflict was waiting).',
  ]);
}

/** Stops at a step boundary once the user pressed Ctrl-C. */
export function assertNotInterrupted(context: IntegrateContext): void {
  if (context.interrupted()) throw interruptedError(context);
}

export function refusalError(refusal: IntegrationRefusal): PwError {
  return refusal.kind === 'usage'
    ? new UsageError(refusal.message, refusal.details)
    : new FailedError(refusal.message, refusal.details);
}

export function request(context: IntegrateContext, options: IntegrateOptions): IntegrateRequest {
  return {
    only: options.only?.length ? options.only : null,
    allowIncomplete: Boolean(options.allowIncomplete),
    allowMissingProviders: Boolean(options.allowMissingProviders),
    strategy: context.strategy,
  };
}

export function stepReport(step: IntegrateStepRecord, status: StepReport['status']): StepReport {
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

export function doneStatus(step: IntegrateStepRecord): StepReport['status'] {
  if (step.resolved) return 'resolved';
  return step.contained ? 'contained' : 'merged';
}

export { exists } from '../../store/fs.js';

export function resolveSteps(report: IntegrateReport, steps: readonly IntegrateStepRecord[]): void {
  report.steps = steps.map((s) => stepReport(s, s.result ? doneStatus(s) : 'not-reached'));
}

export function verifyNote(
  context: IntegrateContext,
  note: string,
  command?: string,
): VerifyReport {
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

export async function dropIntegrationRef(context: IntegrateContext): Promise<void> {
  const ref = integrationRef(context.plan.name);
  const sha = await resolveCommit(context.cwd, ref);
  if (sha) await deleteRef(context.cwd, ref, sha);
}
