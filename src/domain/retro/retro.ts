/**
 * The retrospective, computed: every figure comes from the workers' own
 * commits (their times and protocol prefixes) and the events log, so it is
 * exact and repeatable, mid-flight as well as after integrate or teardown.
 * Pure: the caller passes the history, the events and `now`.
 *
 * Times are commit times (when a commit landed on the branch), in whole
 * seconds like git's; the plan starts at its first setup event, also cut to
 * the second so that "time to first commit" is not off by a fraction.
 */
import { deriveWorkerStates } from '../status/plan-status.js';
import { summarizeWorkerHistory } from '../status/summarize-worker-history.js';
import { classifyRetroEvents } from './events.js';
import { planRetroFindings } from './findings.js';
import { type RetroInput, type PlanStatus, type Retro } from './types.js';
import { iso, floorSecond, parseHistory, WorkerWalk, walkWorker } from './classify.js';
import { computeWorker, firstReports, sum } from './worker.js';
import { planBalance, planCriticalPath } from './critical-path.js';

export type { RetroEvent } from './events.js';
export type { Finding } from './findings.js';
export type * from './types.js';

/** Every figure of the retrospective. Pure. */
export function computeRetro(input: RetroInput): Retro {
  const { plan, now } = input;
  const ids = plan.workers.map((w) => w.id);
  const events = classifyRetroEvents(input.events, plan.name);
  const bypasses = splitReachable(events.bypasses, input.reachable);
  const walks = new Map<string, WorkerWalk>();
  for (const worker of plan.workers) {
    walks.set(
      worker.id,
      walkWorker(parseHistory(input.histories.get(worker.id) ?? [], ids, worker.id)),
    );
  }
  const allCommits = [...walks.values()].flatMap((w) => w.commits);
  // reduce, not Math.min(...): a long history would overflow the argument list.
  const firstCommit = allCommits.reduce((min, c) => Math.min(min, c.at), Infinity);
  const lastCommit = allCommits.reduce((max, c) => Math.max(max, c.at), -Infinity);

  let startSource: Retro['startSource'] = 'setup';
  let start: number;
  if (events.setupAt !== null) start = floorSecond(events.setupAt);
  else if (allCommits.length) {
    start = firstCommit;
    startSource = 'first-commit';
  } else {
    start = floorSecond(now);
    startSource = 'now';
  }
  // A commit stamped before the setup (another machine's clock) must not make figures negative.
  if (allCommits.length && firstCommit < start) {
    start = firstCommit;
    startSource = 'first-commit';
  }

  const tornDownAt =
    events.tornDownAt ?? (plan.tornDownAt ? Date.parse(plan.tornDownAt) : null) ?? null;
  const allComplete =
    plan.workers.length > 0 && [...walks.values()].every((w) => w.completedAt !== null);
  const lastComplete = Math.max(...[...walks.values()].map((w) => w.completedAt ?? -Infinity));
  const lastPublish = events.publishes.length
    ? events.publishes[events.publishes.length - 1]!.at
    : null;
  let status: PlanStatus;
  let end: number;
  if (allComplete && lastPublish !== null && lastPublish >= lastComplete) {
    status = 'integrated';
    end = lastPublish;
  } else if (allComplete) {
    status = 'complete';
    end = lastComplete;
  } else if (tornDownAt !== null && !Number.isNaN(tornDownAt)) {
    status = 'torn-down';
    end = tornDownAt;
  } else {
    status = 'in-flight';
    end = now;
  }
  if (allCommits.length) end = Math.max(end, lastCommit);
  end = Math.max(end, start);

  // Worker states follow pw status's rule exactly: one derivation, in domain/status.
  const states = deriveWorkerStates({
    workers: plan.workers,
    summaryOf: (id) =>
      summarizeWorkerHistory(
        (input.histories.get(id) ?? []).map((c) => ({
          sha: c.sha,
          parents: [],
          authorTime: c.commitTime,
          commitTime: c.commitTime,
          message: c.message,
        })),
        { worker: id, workers: ids },
      ),
    setupAt: events.setupAt === null ? undefined : new Map(ids.map((id) => [id, events.setupAt!])),
    now: end,
  });
  const workers = plan.workers.map((spec) =>
    computeWorker(spec, walks, events, input, { start, end, status }, states.get(spec.id)!.state),
  );

  const totals = {
    commits: sum(workers.map((w) => w.commits)),
    activeMs: sum(workers.map((w) => w.activeMs)),
    blockedMs: sum(workers.map((w) => w.blockedMs)),
    workerMs: sum(workers.map((w) => w.durationMs)),
    needs: sum(workers.map((w) => w.needs.length)),
    openNeeds: sum(workers.map((w) => w.needs.filter((n) => n.open).length)),
    needsWaitMs: sum(workers.flatMap((w) => w.needs.map((n) => n.waitedMs))),
    stalls: sum(workers.map((w) => w.stalls.length)),
    refusals:
      sum(workers.map((w) => w.refusals.total)) +
      events.refusals.filter((r) => !r.worker || !ids.includes(r.worker)).length,
  };
  const wallMs = end - start;
  const refusalsByKind: Record<string, number> = {};
  for (const refusal of events.refusals)
    refusalsByKind[refusal.kind] = (refusalsByKind[refusal.kind] ?? 0) + 1;

  const retro: Retro = {
    plan: plan.name,
    base: plan.base,
    target: plan.target ?? plan.base,
    status,
    generatedAt: iso(now),
    startedAt: iso(start),
    startSource,
    endedAt: iso(end),
    tornDownAt: tornDownAt !== null && !Number.isNaN(tornDownAt) ? iso(tornDownAt) : null,
    wallMs,
    workers,
    criticalPath: planCriticalPath(workers, start, end),
    balance: planBalance(workers),
    totals,
    blockedRatio: totals.workerMs > 0 ? totals.blockedMs / totals.workerMs : 0,
    speedUp: wallMs > 0 ? totals.activeMs / wallMs : 0,
    hygiene: {
      unprefixed: sum(workers.map((w) => w.unprefixed.length)),
      outOfScope: sum(workers.map((w) => w.outOfScope.length)),
      refusalsByKind,
      bypassesCaught: firstReports(bypasses.kept).map((b) => ({ ...b, at: iso(b.at) })),
      bypassesGone: firstReports(bypasses.gone).length,
      reopened: sum(workers.map((w) => w.reopened)),
    },
    integrate: {
      publishes: events.publishes.map((p) => ({ at: iso(p.at), commit: p.commit })),
      conflicts: events.conflicts.map((c) => ({ ...c, at: iso(c.at) })),
      verifyFailures: events.verifyFailures.map((v) => ({ ...v, at: iso(v.at) })),
    },
    findings: [],
  };
  retro.findings = planRetroFindings(retro);
  return retro;
}

/** Violations in commits still reachable (kept), and in commits reset away since (gone). */
function splitReachable<T extends { commit: string | null }>(
  list: readonly T[],
  reachable: ReadonlySet<string> | undefined,
): { kept: T[]; gone: T[] } {
  if (!reachable) return { kept: [...list], gone: [] };
  const isReachable = (commit: string): boolean =>
    reachable.has(commit) ||
    (commit.length < 40 && [...reachable].some((c) => c.startsWith(commit)));
  const kept: T[] = [];
  const gone: T[] = [];
  for (const item of list)
    (item.commit === null || isReachable(item.commit) ? kept : gone).push(item);
  return { kept, gone };
}
