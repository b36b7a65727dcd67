import { join, relative } from 'node:path';
import type { CommandDeps, CommandResult } from '../../cli/deps.js';
import { BRIEF_FILE } from '../../domain/setup/brief.js';
import { actionWorkers, describeAction, planSetup } from '../../domain/setup/plan-setup.js';
import { UsageError } from '../../errors.js';
import { renderSetupReport } from '../../render/setup/report.js';
import { readRepoInfo, type RepoInfo } from '../../git/repo.js';
import { withRepoLock } from '../../store/repo-lock.js';
import { appendEvent, planPaths } from '../../store/trusted-store.js';

import { failureInjector } from './fault-injection.js';
import { readOtherActivePlans, readSetupContext } from './snapshot.js';
import { openTmux } from './tmux.js';
import { findProgram } from '../../agents/spawn-agent.js';
import { splitCommandLine } from '../../domain/text/command-line.js';
import { executeActions } from './undo.js';
import type { SetupReport } from '../../domain/setup/report.js';
import { recordTrustedCopies } from '../trust.js';
import { assertHubName } from '../../git/hub-remote.js';

export type { SetupReport, SetupWorkerReport } from '../../domain/setup/report.js';

export interface SetupOptions {
  plan?: string;
  dryRun?: boolean;
  json?: boolean;
  tmux?: boolean;
  /** Publish the plan to this hub (pw publish) and record it as pw.hub. */
  hub?: string;
}

export async function runSetup(options: SetupOptions, deps: CommandDeps): Promise<CommandResult> {
  if (options.hub !== undefined) assertHubName(options.hub, '--hub');
  if (options.dryRun) return setUp(options, deps);
  // Read and act under the repository lock: what the snapshot saw is still so when acting on it.
  const repo = await readRepoInfo(deps.cwd);
  return withRepoLock(repo.commonDir, 'setup', deps, () => setUp(options, deps, repo));
}

async function setUp(
  options: SetupOptions,
  deps: CommandDeps,
  repo?: RepoInfo,
): Promise<CommandResult> {
  const context = await readSetupContext(options, deps, repo);
  const decision = planSetup(context.snapshot);
  if (decision.conflicts.length) {
    throw new UsageError(
      `cannot set up plan "${context.desired.name}": ${decision.conflicts.length} thing${decision.conflicts.length === 1 ? '' : 's'} in the way`,
      decision.conflicts,
    );
  }
  const dryRun = Boolean(options.dryRun);
  if (!dryRun && decision.actions.length) {
    let interrupted = false;
    void deps.interrupted.then(() => {
      interrupted = true;
    });
    await executeActions(
      context,
      decision.actions,
      failureInjector(deps.env, deps.interrupted),
      () => interrupted,
    );
    await appendEvent(context.repo.commonDir, {
      time: deps.now().toISOString(),
      type: 'setup',
      plan: context.desired.name,
      workers: context.desired.workers.map((w) => w.id),
      created: [
        ...new Set(
          decision.actions
            .filter((a) => a.kind === 'add-worktree')
            .map((a) => (a as { worker: string }).worker),
        ),
      ],
    });
  }
  if (!dryRun) {
    // The record the trust check compares with, out of reach of a file edit.
    await recordTrustedCopies(deps.cwd, context.repo.commonDir, context.desired.name, {
      events: decision.actions.length > 0,
    });
  }
  const paths = planPaths(context.repo.commonDir, context.desired.name);
  const touched = new Set(decision.actions.flatMap(actionWorkers));
  const created = new Set(
    decision.actions
      .filter((a) => a.kind === 'add-worktree')
      .map((a) => (a as { worker: string }).worker),
  );
  const report: SetupReport = {
    plan: context.desired.name,
    base: context.desired.base,
    baseCommit: context.desired.baseCommit,
    dryRun,
    actions: decision.actions.map(describeAction),
    workers: context.desired.workers.map((worker) => ({
      id: worker.id,
      branch: worker.branch,
      worktree: worker.worktree,
      brief: join(worker.worktree, BRIEF_FILE),
      launch: paths.launch(worker.id),
      owns: worker.owns,
      dependsOn: worker.dependsOn,
      status: created.has(worker.id) ? 'created' : touched.has(worker.id) ? 'updated' : 'unchanged',
    })),
    unowned: { count: context.unowned.length, sample: context.unowned.slice(0, 8) },
    warnings: context.warnings,
    tmux: null,
    otherPlans: (await readOtherActivePlans(context.repo.commonDir, context.desired.name)).map(
      (plan) => plan.name,
    ),
    agentsMissing: await findMissingAgents(context.desired.workers, deps.env),
  };
  if (!dryRun && decision.actions.length === 0) {
    // Set up already, and nothing changed: perhaps integrated already, with nothing left to open.
    const { readPlanStatus } = await import('../status/read-plan-status.js');
    // States only, from git: no worktree read, nothing cached, nothing written.
    const status = await readPlanStatus(deps.cwd, context.desired, deps.now(), {
      repo: context.repo,
      fetch: false,
      cache: false,
      judge: false,
      worktreesOf: new Set(),
    }).catch(() => null);
    report.integratedInto = status?.integrated ? status.target : null;
  }
  if (options.hub !== undefined && !dryRun) {
    // Set up first, then published: a hub out of reach leaves a set-up plan and says pw publish.
    const { publishPlan } = await import('../publish.js');
    report.hub = await publishPlan(context.repo, context.desired, options.hub, deps);
  }
  if (options.tmux && !dryRun) report.tmux = await openTmux(context, deps);
  for (const warning of context.warnings) deps.stderr(`pw: warning: ${warning}\n`);
  if (options.json) deps.stdout(`${JSON.stringify(report, null, 2)}\n`);
  else
    deps.stdout(
      renderSetupReport(report, {
        cwd:
          relative(deps.cwd, context.repo.mainWorktree) === ''
            ? context.repo.mainWorktree
            : deps.cwd,
      }),
    );
  return { exitCode: 0 };
}

/**
 * The agent programs the launch scripts would start that are not on PATH. The agent
 * is a shell command: only a plain first word is looked up (an assignment or a shell
 * construct is the user's to get right).
 */
async function findMissingAgents(
  workers: readonly { id: string; agentCommand: string; worktree: string }[],
  env: NodeJS.ProcessEnv,
): Promise<{ program: string; workers: string[] }[]> {
  const missing = new Map<string, string[]>();
  for (const worker of workers) {
    let words: string[];
    try {
      words = splitCommandLine(worker.agentCommand);
    } catch {
      continue;
    }
    const program = words[0] === 'command' ? words[1] : words[0];
    if (!program || !/^[\w./+@-]+$/.test(program)) continue;
    if (missing.has(program)) missing.get(program)!.push(worker.id);
    else if (!(await findProgram(program, env, worker.worktree))) missing.set(program, [worker.id]);
  }
  return [...missing].map(([program, ids]) => ({ program, workers: ids }));
}
