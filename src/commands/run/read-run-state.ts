import { isProcessAlive } from '../../agents/spawn-agent.js';
import type { CompiledPlan } from '../../domain/plan/plan.js';
import type { PlanStatus } from '../../domain/status/plan-status.js';
import type { RunFailure } from '../../domain/status/plan-wait.js';
import {
  describeRunState,
  renderRunState,
  type WorkerRunState,
} from '../../render/run/run-state.js';
import { readAttachMarkers } from '../../store/run/attach-marker.js';
import { readRunLockHolder, readRunRecord } from '../../store/run/run-record.js';
import { readMessageSummary } from '../../store/run/message-queue.js';
import { isSameProcessAlive } from '../../store/process-identity.js';

/** The workers git says are COMPLETE: the run record's phases yield to them. */
function completeIds(status: PlanStatus): Set<string> {
  return new Set(status.workers.filter((w) => w.state === 'complete').map((w) => w.id));
}

/** The run state `pw status` shows beside the table (and in --json), or null without a run record. */
export async function readRunState(
  commonDir: string,
  plan: CompiledPlan,
  status: PlanStatus,
): Promise<{ runId: string; workers: WorkerRunState[]; text: string } | null> {
  const record = await readRunRecord(commonDir, plan.name);
  if (!record) return null;
  const complete = completeIds(status);
  const { live } = await readAttachMarkers(commonDir, plan.name);
  const attached = new Map([...live].map(([id, marker]) => [id, marker.pid]));
  const runLive =
    (await readRunLockHolder(commonDir, plan.name, (pid, startTime) =>
      isSameProcessAlive({ pid, startTime }),
    )) !== null;
  const workers = describeRunState(plan, record, complete, isProcessAlive, attached, runLive);
  for (const w of workers)
    w.messages = await readMessageSummary(commonDir, plan.name, w.worker, complete.has(w.worker));
  return { runId: record.runId, workers, text: renderRunState(record.runId, workers) };
}

/** The workers the last `pw run` gave up on or skipped and that are not complete (for pw wait). */
export async function readRunFailures(
  commonDir: string,
  plan: CompiledPlan,
  status: PlanStatus,
): Promise<RunFailure[]> {
  const record = await readRunRecord(commonDir, plan.name);
  if (!record) return [];
  const complete = completeIds(status);
  return describeRunState(plan, record, complete, isProcessAlive).flatMap((w): RunFailure[] =>
    w.state === 'failed' || w.state === 'skipped'
      ? [{ worker: w.worker, state: w.state, detail: w.detail }]
      : [],
  );
}

/**
 * What of plan `plan` runs on this machine now: the `pw run` holding its lock,
 * the agents whose recorded process still lives (one a killed pw run left
 * running, too), and `pw attach` sessions. Each by worker and pid.
 */
export async function readLiveRunProcesses(
  commonDir: string,
  plan: string,
): Promise<{ run: number | null; agents: { worker: string; pid: number; how: string }[] }> {
  const alive = (pid: number, startTime: string | null): Promise<boolean> =>
    isSameProcessAlive({ pid, startTime });
  const [holder, record, { live }] = await Promise.all([
    readRunLockHolder(commonDir, plan, alive),
    readRunRecord(commonDir, plan),
    readAttachMarkers(commonDir, plan),
  ]);
  const agents: { worker: string; pid: number; how: string }[] = [];
  for (const [worker, w] of Object.entries(record?.workers ?? {})) {
    if (w.pid && (await alive(w.pid, w.pidStartTime ?? null)))
      agents.push({ worker, pid: w.pid, how: 'its agent' });
  }
  for (const [worker, marker] of live) agents.push({ worker, pid: marker.pid, how: 'pw attach' });
  return { run: holder?.pid ?? null, agents };
}
