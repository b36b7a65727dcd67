/** The end of `pw integrate` (fresh or continued): verify, publish atomically, archive, teardown. */
import { archivePrefix } from '../../git/archive.js';
import { findFirstFailing } from '../../domain/integrate/find-first-failing.js';
import { PwError } from '../../errors.js';
import { planArchiveUpdates } from '../../git/archive-tips.js';
import { updateRefs, type RefUpdate } from '../../git/ref-transaction.js';
import { listRefs } from '../../git/repo.js';
import { type IntegrateReport, type VerifyReport } from '../../render/integrate/report.js';
import {
  clearIntegrateState,
  integrationRef,
  resolutionRef,
  writeIntegrateState,
  type IntegrateState,
  type IntegrateStepRecord,
} from '../../store/integrate-state.js';
import { publishResult } from './publish.js';
import { runVerify, type VerifyRun } from './verify.js';
import {
  event,
  assertNotInterrupted,
  verifyNote,
  type IntegrateOptions,
  type IntegrateContext,
} from './context.js';

/** Record, verify, publish, archive: the common end of a start and a continue. */
export async function finish(
  context: IntegrateContext,
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
  const archives = knownArchives ?? (await listRefs(cwd, archivePrefix(plan.name)));
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
    await updateRefs(
      cwd,
      [...archive.updates, dropPrivateRef],
      'pw integrate: nothing new',
      context.watch,
    );
    await clearIntegrateState(repo.commonDir, plan.name);
    report.archived = archived;
    report.outcome = 'nothing-to-integrate';
    report.ok = true;
    return report;
  }

  let verified = verifiedBefore;
  if (context.verify && !verifiedBefore) {
    // Recorded before verify runs (which may take long), so the result is visible and survives a kill.
    await updateRefs(cwd, [{ ref: ref, to: head }], 'pw integrate: merged', context.watch);
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
        ...resolutionHints(plan.name, attempt.steps),
      ];
      return report;
    }
    verified = true;
  } else if (context.verify) {
    report.verify = verifyNote(context, 'passed on this same result in the previous attempt');
  } else if (plan.integrate.verify) {
    report.verify = verifyNote(context, 'skipped (--no-verify)', plan.integrate.verify);
  }

  assertNotInterrupted(context);
  const published = await publishResult(
    cwd,
    plan.target,
    attempt.targetOld,
    head,
    [...archive.updates, dropPrivateRef],
    context.watch,
  );
  if (!published.ok) {
    // Kept so a rerun publishes this same result without merging or verifying again.
    await updateRefs(
      cwd,
      [{ ref: ref, to: head }],
      'pw integrate: merged, not published',
      context.watch,
    );
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

async function reportRefusedPublish(
  context: IntegrateContext,
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
      ...resolutionHints(plan.name, attempt.steps),
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

/** For an attempt that will be redone: where the user's conflict resolutions are, and how to reuse them. */
function resolutionHints(plan: string, steps: readonly IntegrateStepRecord[]): string[] {
  return steps
    .filter((s) => s.resolved)
    .map(
      (s) =>
        `Your resolution of ${s.worker} is kept at ${resolutionRef(plan, s.worker)}; if the conflict comes back, git checkout ${resolutionRef(plan, s.worker)} -- ${s.resolved!.join(' ')} in the conflict worktree reuses it.`,
    );
}

export async function teardownAfterPublish(
  context: IntegrateContext,
): Promise<{ ok: boolean; text: string }> {
  let text = '';
  const { runTeardown } = await import('../teardown.js');
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

/**
 * Runs verify: on the result (mode end, then a bisection over the steps when
 * it fails), or after each step (mode each). Names the first failing step.
 */
async function verifyAttempt(
  context: IntegrateContext,
  attempt: IntegrateState,
): Promise<VerifyReport> {
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
    watch: context.watch,
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
    assertNotInterrupted(context);
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
