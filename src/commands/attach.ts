import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommandDeps, CommandResult } from '../cli/deps.js';
import { buildAttachInvocation, resolveAgentSpec } from '../agents/profiles.js';
import { findProgram, startInteractiveAgent, stopAgentGroup } from '../agents/spawn-agent.js';
import { loadConfig } from '../config/load-config.js';
import { BRIEF_FILE } from '../domain/setup/brief.js';
import { escapeTerminal } from '../domain/text/terminal-text.js';
import { shCommandLine, shWord } from '../domain/setup/shell-quote.js';
import { EnvironmentError, FailedError, UsageError } from '../errors.js';
import {
  claimAttachMarker,
  releaseAttachMarker,
  updateAttachMarker,
  type AttachMarker,
} from '../store/run/attach-marker.js';
import { isSameProcessAlive, readProcessIdentity } from '../store/process-identity.js';
import {
  readRunLockHolder,
  readRunRecord,
  runPaths,
  type WorkerRunRecord,
} from '../store/run/run-record.js';
import { readTextIfExists } from '../store/trusted-store.js';
import { loadActivePlan, unknownWorkersError } from './active-plan.js';
import { readRunSettings } from './run/read-run-settings.js';

export interface AttachOptions {
  worker: string;
  plan?: string;
  takeOver?: boolean;
  print?: boolean;
}

/**
 * `pw attach <worker>`: the worker's agent, interactively, in its worktree,
 * on the session `pw run` recorded. One live agent per worktree: a headless
 * agent is stopped only with --take-over, and a marker keeps `pw run` from
 * starting another while the attach lasts.
 */
export async function runAttach(options: AttachOptions, deps: CommandDeps): Promise<CommandResult> {
  const { repo, plan } = await loadActivePlan(deps.cwd, options.plan);
  const worker = plan.workers.find((w) => w.id === options.worker);
  if (!worker) {
    throw unknownWorkersError(plan, [options.worker]);
  }
  const config = await loadConfig(repo.mainWorktree);
  const { settings, warnings } = await readRunSettings(config, plan);
  for (const warning of warnings) deps.stderr(`pw: warning: ${warning}\n`);
  let spec;
  try {
    spec = resolveAgentSpec(worker.agentCommand, settings);
  } catch (error) {
    throw new UsageError(
      `worker ${worker.id}: agent "${worker.agentCommand}": ${(error as Error).message}`,
    );
  }
  const record = (await readRunRecord(repo.commonDir, plan.name))?.workers[worker.id] ?? null;
  const invocation = buildAttachInvocation(spec, {
    worktree: worker.worktree,
    sessionId: record?.sessionId ?? null,
    attach: settings.workerAttach[worker.id] ?? settings.attach,
  });
  if (invocation.kind === 'no-attach-command') {
    throw new UsageError(
      `worker ${worker.id}'s agent is a command ("${worker.agentCommand}"); pw does not know how to open it interactively`,
      [
        'Say how in the config or the plan file: run.attach, or attach: on the worker, e.g.',
        '  attach: "my-agent --resume {session}"   ({worktree} and {session} are filled in)',
        `Or open it yourself in its worktree: cd ${shWord(worker.worktree)}`,
      ],
    );
  }
  if (invocation.kind === 'no-session') {
    throw new FailedError(
      `worker ${worker.id} has no recorded ${spec.kind} session yet (plan ${plan.name}): its agent has not run`,
      [
        `pw run --only ${worker.id} starts it headless and records its session; pw attach ${worker.id} then opens that session.`,
        `Or start an agent yourself in its worktree: cd ${shWord(worker.worktree)}`,
      ],
    );
  }
  const { argv } = invocation;
  if (options.print) {
    deps.stdout(`cd ${shWord(worker.worktree)} && ${shCommandLine(argv)}\n`);
    return { exitCode: 0 };
  }
  if (!(await isDirectory(worker.worktree))) {
    throw new FailedError(`worker ${worker.id}'s worktree is gone: ${worker.worktree}`, [
      `pw setup with the plan file (${plan.source}) recreates it; its branch ${worker.branch} keeps the commits.`,
    ]);
  }
  if (!(await findProgram(argv[0]!, deps.env, worker.worktree))) {
    throw new EnvironmentError(`"${argv[0]}" (${spec.kind} profile) is not on PATH`, [
      `Install the agent or put it on PATH; pw attach ${worker.id} --print shows the command.`,
    ]);
  }

  const self = await readProcessIdentity();
  const marker: AttachMarker = {
    version: 1,
    plan: plan.name,
    worker: worker.id,
    pid: self.pid,
    startTime: self.startTime,
    agentPid: null,
    agentStartTime: null,
    startedAt: deps.now().toISOString(),
    argv,
  };
  const claim = await claimAttachMarker(repo.commonDir, marker);
  if (!claim.claimed) {
    const holder = claim.holder;
    throw new FailedError(
      `worker ${worker.id} is already attached (pw attach pid ${holder.pid}${holder.agentPid ? `, agent pid ${holder.agentPid}` : ''}, since ${holder.startedAt})`,
      ['One live agent per worktree: finish that session first (its terminal), then attach again.'],
    );
  }
  if (claim.stale) {
    deps.stderr(
      `pw: ignored a stale attach marker of ${worker.id} (pw attach pid ${claim.stale.pid}, since ${escapeTerminal(String(claim.stale.startedAt))}): that process is gone\n`,
    );
  }
  try {
    // The marker is ours: a teardown that began before it holds the run lock; one after it sees it.
    if ((await readRunLockHolder(repo.commonDir, plan.name))?.command === 'teardown')
      throw new FailedError(`pw teardown is removing plan ${plan.name}; nothing was opened`, [
        'Once it is done, pw setup <plan-file> sets the plan up again.',
      ]);
    // Read again now that the marker is ours: a pw run that started the agent meanwhile has recorded it.
    const current = (await readRunRecord(repo.commonDir, plan.name))?.workers[worker.id] ?? null;
    const headless = await liveHeadlessAgent(current);
    if (headless) {
      const runner = await readRunLockPid(repo.commonDir, plan.name);
      const who = `agent pid ${headless.pid}${runner ? ` under pw run pid ${runner}` : ''}`;
      if (!options.takeOver) {
        throw new FailedError(
          `worker ${worker.id}'s agent is running headless (${who}); one live agent per worktree`,
          [
            `pw attach ${worker.id} --take-over stops it (SIGINT to its process group) and opens the session here; pw run does not restart it while you are attached.`,
            `Or wait for it: pw logs ${worker.id} --follow.`,
          ],
        );
      }
      deps.stderr(`pw: taking over ${worker.id}: stopping its headless agent (${who})\n`);
      if (!(await stopAgentGroup(headless, settings.killGraceMs))) {
        throw new FailedError(
          `worker ${worker.id}'s headless agent (pid ${headless.pid}) did not stop, even after SIGKILL`,
          [
            `Stop it yourself (kill -KILL -${headless.pid}), then run pw attach ${worker.id} again.`,
          ],
        );
      }
    }
    const agent = await startInteractiveAgent({
      argv,
      cwd: worker.worktree,
      env: {
        ...deps.env,
        PW_PLAN: plan.name,
        PW_WORKER: worker.id,
        PW_WORKTREE: worker.worktree,
        PW_BRIEF: join(worker.worktree, BRIEF_FILE),
        PW_ATTACH: '1',
      },
      onStartError: (message) => deps.stderr(`pw: ${message}\n`),
    });
    if (agent.pid) {
      marker.agentPid = agent.pid;
      marker.agentStartTime = agent.startTime;
      await updateAttachMarker(repo.commonDir, marker);
    }
    return { exitCode: await agent.exited };
  } finally {
    await releaseAttachMarker(repo.commonDir, marker);
  }
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** The headless agent the run record names, if it still runs (same pid and start time). */
async function liveHeadlessAgent(
  record: WorkerRunRecord | null,
): Promise<{ pid: number; startTime: string | null } | null> {
  if (!record?.pid) return null;
  const identity = { pid: record.pid, startTime: record.pidStartTime };
  return (await isSameProcessAlive(identity)) ? identity : null;
}

/** The pid of the pw run that holds the plan's run lock, if one does. */
async function readRunLockPid(commonDir: string, plan: string): Promise<number | null> {
  try {
    const text = await readTextIfExists(runPaths(commonDir, plan).lock);
    const held = text ? (JSON.parse(text) as { pid?: unknown }) : null;
    return typeof held?.pid === 'number' ? held.pid : null;
  } catch {
    return null;
  }
}
