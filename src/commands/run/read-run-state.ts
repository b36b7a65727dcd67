import type { RunRecord } from '../../domain/run/run-record.js';
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
import { isSameProcessAlive, readProcessCommand } from '../../store/process-identity.js';
import { FailedError } from '../../errors.js';
import { escapeTerminal } from '../../domain/text/terminal-text.js';

/** The workers git says are COMPLETE: the run record's phases yield to them. */
function completeIds(status: PlanStatus): Set<string> {
  return new Set(status.workers.filter((w) => w.state === 'complete').map((w) => w.id));
}

/**
 * Which agents a run record names still run, by pid: each checked with the
 * start time recorded for it (a pid the kernel gave to another process since
 * is not the agent).
 */
async function liveAgentPids(record: RunRecord): Promise<(pid: number) => boolean> {
  const live = new Set<number>();
  for (const w of Object.values(record.workers)) {
    if (w.pid && (await isSameProcessAlive({ pid: w.pid, startTime: w.pidStartTime ?? null })))
      live.add(w.pid);
  }
  return (pid) => live.has(pid);
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
  const runLive = (await readRunLockHolder(commonDir, plan.name)) !== null;
  const workers = describeRunState(
    plan,
    record,
    complete,
    await liveAgentPids(record),
    attached,
    runLive,
  );
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
  return describeRunState(plan, record, complete, await liveAgentPids(record)).flatMap(
    (w): RunFailure[] =>
      w.state === 'failed' || w.state === 'skipped'
        ? [{ worker: w.worker, state: w.state, detail: w.detail }]
        : [],
  );
}

/**
 * What of plan `plan` runs on this machine now: the `pw run` holding its lock,
 * the agents whose recorded process still lives (one a killed pw run left
 * running, too), and `pw attach` sessions (or the agent one started, once pw
 * attach itself is gone). Each by worker and pid.
 */
export async function readLiveRunProcesses(
  commonDir: string,
  plan: string,
): Promise<{ run: number | null; agents: { worker: string; pid: number; how: string }[] }> {
  const alive = (pid: number, startTime: string | null): Promise<boolean> =>
    isSameProcessAlive({ pid, startTime });
  const [holder, record, { live }] = await Promise.all([
    readRunLockHolder(commonDir, plan),
    readRunRecord(commonDir, plan),
    readAttachMarkers(commonDir, plan),
  ]);
  const agents: { worker: string; pid: number; how: string }[] = [];
  for (const [worker, w] of Object.entries(record?.workers ?? {})) {
    if (w.pid && (await alive(w.pid, w.pidStartTime ?? null)))
      agents.push({ worker, pid: w.pid, how: 'its agent' });
  }
  for (const [worker, marker] of live) {
    if (await alive(marker.pid, marker.startTime))
      agents.push({ worker, pid: marker.pid, how: 'pw attach' });
    else if (marker.agentPid !== null)
      agents.push({ worker, pid: marker.agentPid, how: 'the agent pw attach started' });
  }
  // Teardown holds the run lock itself while it looks.
  return { run: holder && holder.pid !== process.pid ? holder.pid : null, agents };
}

/**
 * Refuses (with --force too) while a `pw run` of the plan, an agent it
 * started, or a `pw attach` session still runs here: removing a worktree
 * under a running agent breaks it, and what the agent writes after the
 * archive is lost. Each process is named with its command line, so a record
 * that names someone else's process shows as such; `ignoreRunning` (the
 * person's word, after reading them) goes ahead anyway.
 */
export async function refuseWhileRunning(
  commonDir: string,
  plan: string,
  ignoreRunning = false,
): Promise<void> {
  const { run, agents } = await readLiveRunProcesses(commonDir, plan);
  if ((run === null && agents.length === 0) || ignoreRunning) return;
  const what = async (pid: number): Promise<string> => {
    const command = await readProcessCommand(pid);
    return command
      ? `: ${escapeTerminal(command.length > 80 ? `${command.slice(0, 80)}…` : command)}`
      : '';
  };
  const details = [
    ...(run === null ? [] : [`pw run of plan ${plan} (pid ${run}${await what(run)}) is running`]),
    ...(await Promise.all(
      agents.map(
        async (a) => `${a.worker}: ${a.how} (pid ${a.pid}${await what(a.pid)}) is running`,
      ),
    )),
    `Stop ${run === null ? 'them' : `the run first (Ctrl-C in its terminal, or kill -INT ${run})`}, then tear down; --force does not override this. If these are not pw's processes, --ignore-running goes ahead without them.`,
  ];
  throw new FailedError(
    `refusing to tear down plan "${plan}": ${run === null ? 'agents of it are' : 'it is'} still running`,
    details,
  );
}
