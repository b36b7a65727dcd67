/** `pw integrate --dry-run` and `--matrix`: merges in memory that write no ref and touch no worktree. */
import { mapLimit } from '../../limit.js';
import { planIntegration } from '../../domain/integrate/plan-integration.js';
import { UsageError } from '../../errors.js';
import { mergeTree } from '../../git/merge-tree.js';
import { listWorktrees } from '../../git/repo.js';
import {
  renderIntegrateStart,
  renderStepLine,
  type IntegrateReport,
} from '../../render/integrate/report.js';
import { readIntegrateState, type IntegrateStepRecord } from '../../store/integrate-state.js';
import { assertNoScopeFindings, assertNothingInProgress, readScopeFindings } from './gates.js';
import { mergeSteps } from './merge.js';
import { findOverwrittenPaths } from './publish.js';
import { readIntegrateSnapshot, recordProgram } from './snapshot.js';
import { conflictReport } from './conflict.js';
import {
  newReport,
  refusalError,
  settle,
  request,
  stepReport,
  doneStatus,
  resolveSteps,
  verifyNote,
  type IntegrateOptions,
  type IntegrateContext,
} from './context.js';

/**
 * `pw integrate --dry-run`: the whole merge in memory; writes no ref, touches
 * no worktree. It predicts the same command without --dry-run: what that run
 * refuses before merging (an attempt in progress, workers not complete, a
 * missing provider, an order cycle, pw check findings) it refuses with the
 * same message and exit code; then it merges and reports the first conflict,
 * or a publish that would be refused.
 */
export async function runDryRun(
  context: IntegrateContext,
  options: IntegrateOptions,
): Promise<IntegrateReport> {
  const { cwd, plan, repo } = context;
  const report = newReport(context, 'dry-run');
  assertNothingInProgress(await readIntegrateState(repo.commonDir, plan.name));
  const findingsRead = settle(readScopeFindings(cwd, plan, context.hub));
  const readout = await readIntegrateSnapshot(cwd, plan, context.deps.now(), context.hub);
  report.warnings.push(...readout.warnings);
  const planned = planIntegration(readout.snapshot, request(context, options));
  if (!planned.ok) throw refusalError(planned.refusal);
  const program = planned.program;
  assertNoScopeFindings(
    await findingsRead(),
    program.steps.map((s) => s.worker),
  );
  recordProgram(report, readout.target, program);
  const steps: IntegrateStepRecord[] = program.steps.map((s) => ({ ...s, result: null }));
  resolveSteps(report, steps);
  context.print(renderIntegrateStart(report));
  let clean = true;
  if (steps.length) {
    const outcome = await mergeSteps(cwd, steps, {
      from: 0,
      onto: readout.target.start,
      ontoTree: readout.startTree,
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
      context.print(renderStepLine(report, outcome.index));
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
  context: IntegrateContext,
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

/** `pw integrate --matrix`: merges every pair of workers (and each with the target) in memory. */
export async function runMatrix(
  context: IntegrateContext,
  options: IntegrateOptions,
): Promise<IntegrateReport> {
  const { cwd, plan } = context;
  const report = newReport(context, 'matrix');
  report.outcome = 'matrix';
  const readout = await readIntegrateSnapshot(cwd, plan, context.deps.now(), context.hub);
  report.warnings.push(...readout.warnings);
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
