/** `pw integrate --push`: the published target goes to the hub with a compare-and-swap. */
import { FailedError, UsageError } from '../../errors.js';
import { pushBranchWithLease, readRemoteBranch } from '../../git/push-branch.js';
import { isAncestor } from '../../git/refs.js';
import { resolveCommit } from '../../git/repo.js';
import type { IntegrateReport } from '../../render/integrate/report.js';
import { event, type IntegrateContext } from './context.js';

export interface PushPlan {
  remote: string;
  branch: string;
  /** The hub's target when integrate started (null: the hub has none); the lease. */
  expected: string | null;
}

const short = (sha: string | null): string => (sha ? sha.slice(0, 12) : '(none)');

/**
 * Before anything is merged: the hub's target, which the local target must
 * contain, since the push replaces it (a lease only guards against a move
 * after this read, not against work the hub had already).
 */
export async function preparePush(context: IntegrateContext): Promise<PushPlan> {
  const { hub, cwd, plan } = context;
  if (!hub) {
    throw new UsageError('--push: there is no hub to push to', [
      'Set it once with git config pw.hub <remote> (or name it: pw integrate --push --fetch <remote>).',
    ]);
  }
  const expected = await readRemoteBranch(cwd, hub.remote, plan.target);
  if (expected) {
    const local = await resolveCommit(cwd, `refs/heads/${plan.target}`);
    const known = (await resolveCommit(cwd, expected)) !== null;
    if (!local || !known || !(await isAncestor(cwd, expected, local))) {
      throw new FailedError(
        `${hub.remote} has ${plan.target} at ${short(expected)}, with commits ${plan.target} here lacks: pushing would drop them; nothing was merged or pushed`,
        [
          `Bring them in first (git -C ${context.repo.mainWorktree} pull --no-rebase ${hub.remote} ${plan.target}), then run pw integrate --push again.`,
        ],
      );
    }
  }
  return { remote: hub.remote, branch: plan.target, expected };
}

/**
 * After a publish (or with nothing new to merge): pushes the local target to
 * the hub unless it is there already. When someone moved the hub's target
 * since `preparePush` read it, git refuses the lease: the local target stays
 * where integrate put it, and the report says how to bring the two together.
 */
export async function pushTarget(
  context: IntegrateContext,
  report: IntegrateReport,
  push: PushPlan,
): Promise<void> {
  const local = await resolveCommit(context.cwd, `refs/heads/${push.branch}`);
  if (!local) return;
  const base = { remote: push.remote, branch: push.branch, from: push.expected, to: local };
  if (local === push.expected) {
    report.push = { ...base, ok: true, pushed: false, current: local, message: null };
    return;
  }
  const outcome = await pushBranchWithLease(
    context.cwd,
    push.remote,
    push.branch,
    local,
    push.expected,
  );
  if (outcome.ok) {
    report.push = { ...base, ok: true, pushed: true, current: local, message: null };
    await event(context, 'pushed', { target: push.branch, ...base });
    return;
  }
  const current = await readRemoteBranch(context.cwd, push.remote, push.branch).catch(() => null);
  report.push = { ...base, ok: false, pushed: false, current, message: outcome.message };
  report.outcome = 'push-refused';
  report.ok = false;
  await event(context, 'push-refused', { ...base, current });
  report.next.push(
    `${push.branch} here is kept at ${short(local)}; nothing on ${push.remote} was changed.`,
    `Bring the two together (git -C ${context.repo.mainWorktree} pull --no-rebase ${push.remote} ${push.branch}), then run pw integrate --push again: it pushes without merging anew.`,
  );
}
