import { escapeTerminal } from '../../domain/text/terminal-text.js';
import { readHubRecord } from '../../store/hub-record.js';
import { isFile } from '../../store/fs.js';
import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { CommandDeps, CommandResult } from '../../cli/deps.js';
import { buildInvocation, resolveAgentSpec, type AgentSpec } from '../../agents/profiles.js';
import { findProgram } from '../../agents/spawn-agent.js';
import { readProcessIdentity } from '../../store/process-identity.js';
import { loadConfig } from '../../config/load-config.js';
import { parseDuration } from '../../domain/plan/duration.js';
import type { CompiledPlan } from '../../domain/plan/plan.js';
import { seededRandom } from '../../domain/run/plan-retry.js';
import { EnvironmentError, ExitCode, FailedError, PwError, UsageError } from '../../errors.js';
import { readRepoInfo, type RepoInfo } from '../../git/repo.js';
import { withRepoLock } from '../../store/repo-lock.js';
import { createLiveView } from '../../render/status/live-view.js';
import { buildRunReport, renderRunReportMarkdown } from '../../render/run/run-report.js';
import { formatRunEventLine, renderRunFrame } from '../../render/run/run-view.js';
import {
  acquireRunLock,
  readRunLockHolder,
  readRunRecord,
  writeRunRecord,
  type RunRecord,
} from '../../store/run/run-record.js';
import { listPlanNames, readCompiledPlan, writeFileAtomic } from '../../store/trusted-store.js';
import { loadActivePlan, unknownWorkersError } from '../active-plan.js';
import { RunEngine } from './run-engine.js';
import { startDeliveryRun } from './start-delivery-run.js';
import { hasWakingMessage } from '../../domain/run/message-queue.js';
import { readQueuedMessages } from '../../store/run/message-queue.js';
import type { RunEvent } from '../../domain/run/run-events.js';
import type { RunSettings } from '../../domain/run/run-settings.js';
import { readRunSettings } from './read-run-settings.js';

export interface RunOptions {
  plan?: string;
  maxWorkers?: string;
  only?: string[];
  dryRun?: boolean;
  integrate?: boolean;
  report?: string;
  json?: boolean;
  timeout?: string;
  idleTimeout?: string;
  retries?: string;
  seed?: string;
  /** Only deliver queued messages to the selected workers (what pw send starts). */
  deliverOnly?: boolean;
}

/** Exit code of an interrupted run (128 + SIGINT), as shells report it. */
export const EXIT_INTERRUPTED = 130;

function count(text: string | undefined, flag: string, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`${flag} must be a whole number of at least ${min}, found "${text}"`);
  return n;
}

function duration(text: string | undefined, flag: string): number | null | undefined {
  if (text === undefined) return undefined;
  if (text === '0' || text === 'off') return null;
  const ms = parseDuration(text);
  if (ms === null || ms <= 0)
    throw new UsageError(`${flag}: "${text}" is not a duration; write e.g. 90s, 30m, 2h, or off`);
  return ms;
}

/**
 * Sets the plan up when a plan file is named or none is set up yet (idempotent, as pw setup).
 * The repository read here serves the whole run: setup changes neither its common dir nor its
 * main worktree.
 */
async function ensurePlan(
  options: RunOptions,
  deps: CommandDeps,
  emit: (event: Omit<RunEvent, 'time'>) => void,
): Promise<{ plan: CompiledPlan; repo: RepoInfo; setUp: boolean }> {
  const repo = await readRepoInfo(deps.cwd);
  if (options.dryRun) return { ...(await ensurePlanSetUp(options, deps, emit, repo)), repo };
  // Whether a plan is set up and setting it up is one step: no other pw command writes in between.
  const { plan } = await withRepoLock(repo.commonDir, 'run', deps, () =>
    ensurePlanSetUp(options, deps, emit, repo),
  );
  return { plan, repo, setUp: true };
}

async function ensurePlanSetUp(
  options: RunOptions,
  deps: CommandDeps,
  emit: (event: Omit<RunEvent, 'time'>) => void,
  repo: RepoInfo,
): Promise<{ plan: CompiledPlan; setUp: boolean }> {
  const named = options.plan !== undefined && (await isFile(resolve(deps.cwd, options.plan)));
  const anySetUp = (await listPlanNames(repo.commonDir)).length > 0;
  if (named || !anySetUp) {
    if (!options.dryRun) {
      // An agent that cannot start, or a typo in --only, is said before setup writes anything.
      const desired = await readDesiredPlan(options, deps, repo);
      const { settings } = await readRunSettings(await loadConfig(repo.mainWorktree), desired);
      const only = onlyIds(options);
      const ids = desired.workers.map((w) => w.id);
      const unknown = only.filter((id) => !ids.includes(id));
      if (unknown.length) throw unknownWorkersError(desired, unknown, '--only');
      const selected = new Set(only.length ? only : ids);
      await resolveAgents(desired, settings, selected, deps, 'setup');
    }
    const { runSetup } = await import('../setup/index.js');
    let report = '';
    const quiet: CommandDeps = { ...deps, stdout: (text) => void (report += text) };
    await runSetup({ plan: options.plan, json: true, dryRun: Boolean(options.dryRun) }, quiet);
    const parsed = JSON.parse(report) as { plan: string; actions: string[] };
    if (options.dryRun) {
      const existing = await readCompiledPlan(repo.commonDir, parsed.plan);
      if (!existing || parsed.actions.length) {
        // Not set up yet (or changed since): the plan as setup would write it, which pw run
        // sets up first.
        return { plan: await readDesiredPlan(options, deps, repo), setUp: false };
      }
    } else if (parsed.actions.length)
      emit({ type: 'setup', plan: parsed.plan, actions: parsed.actions });
    return { plan: (await loadActivePlan(deps.cwd, parsed.plan, { repo })).plan, setUp: true };
  }
  return { plan: (await loadActivePlan(deps.cwd, options.plan, { repo })).plan, setUp: true };
}

/** The plan as setup would write it, from the plan file or config: nothing is written. */
async function readDesiredPlan(
  options: RunOptions,
  deps: CommandDeps,
  repo: RepoInfo,
): Promise<CompiledPlan> {
  const { readSetupContext } = await import('../setup/snapshot.js');
  return (await readSetupContext({ plan: options.plan, dryRun: true }, deps, repo)).desired;
}

/** The workers `--only` names, comma- or space-separated. */
function onlyIds(options: RunOptions): string[] {
  return (options.only ?? []).flatMap((o) => o.split(',')).filter(Boolean);
}

/**
 * Each worker's agent profile; refuses (exit 3) when the program of a
 * selected worker cannot be started, saying why for each: not on PATH, no
 * such file, not executable.
 */
async function resolveAgents(
  plan: CompiledPlan,
  settings: Pick<RunSettings, 'agentArgs'>,
  selected: ReadonlySet<string>,
  deps: CommandDeps,
  before: 'setup' | 'start' = 'start',
): Promise<Map<string, AgentSpec>> {
  const specs = new Map<string, AgentSpec>();
  const problems: string[] = [];
  for (const w of plan.workers) {
    try {
      specs.set(w.id, resolveAgentSpec(w.agentCommand, settings));
    } catch (error) {
      problems.push(`worker ${w.id}: agent "${w.agentCommand}": ${(error as Error).message}`);
    }
  }
  if (problems.length) throw new UsageError('cannot read the agent commands', problems);
  // Each program looked up once, all at once: a name on PATH is the same for every worker
  // (20 workers of one agent were 20 PATH walks one after the other, 40 ms of a run's start).
  const lookups = new Map<string, Promise<string | null>>();
  const find = (program: string, worktree: string): Promise<string | null> => {
    const key = program.includes('/') && !isAbsolute(program) ? `${worktree}\0${program}` : program;
    let found = lookups.get(key);
    if (!found) lookups.set(key, (found = findProgram(program, deps.env, worktree)));
    return found;
  };
  const checked = [...selected].map((id) => {
    const spec = specs.get(id)!;
    const worker = plan.workers.find((w) => w.id === id)!;
    // A path relative to a worktree that setup has not made yet is looked at once it has.
    const skip = before === 'setup' && spec.program.includes('/') && !isAbsolute(spec.program);
    return {
      id,
      spec,
      worker,
      found: skip ? Promise.resolve('') : find(spec.program, worker.worktree),
    };
  });
  const missing: string[] = [];
  for (const { id, spec, worker, found } of checked) {
    if ((await found) !== null) continue;
    const why = !spec.program.includes('/')
      ? 'is not on PATH'
      : await stat(resolve(worker.worktree, spec.program)).then(
          (info) => (info.isFile() ? 'is not executable' : 'is not a file'),
          () => 'does not exist',
        );
    // "FOO=1 agent && more": shell syntax, which pw run does not read (no shell starts the agent).
    const shell =
      /^[A-Za-z_][A-Za-z0-9_]*=/.test(spec.program) ||
      spec.args.some((arg) => /^(&&|\|\||\||;|>|>>|<)$/.test(arg) || arg.includes('$('));
    missing.push(
      `worker ${id}: "${escapeTerminal(spec.program)}" (${spec.kind} profile) ${why}${shell ? '; pw run starts an agent without a shell (variables, && and pipes are not read): put the command line in a script and name the script as the agent' : ''}`,
    );
  }
  if (missing.length)
    throw new EnvironmentError(
      `agent program${missing.length === 1 ? '' : 's'} not found; nothing was ${before === 'setup' ? 'set up or started' : 'started'}`,
      [
        ...missing,
        'Install the agent, put it on PATH, or set the worker\'s agent (plan key "agent") to a program that exists.',
      ],
    );
  return specs;
}

/** Dependency layers among the selected workers, for --dry-run. */
function stagesOf(plan: CompiledPlan, selected: ReadonlySet<string>): string[][] {
  const depth = new Map<string, number>();
  const of = (id: string): number => {
    if (depth.has(id)) return depth.get(id)!;
    const worker = plan.workers.find((w) => w.id === id)!;
    const d = Math.max(0, ...worker.dependsOn.filter((x) => selected.has(x)).map((x) => of(x) + 1));
    depth.set(id, d);
    return d;
  };
  const stages: string[][] = [];
  for (const w of plan.workers) if (selected.has(w.id)) (stages[of(w.id)] ??= []).push(w.id);
  return stages;
}

export async function runRun(options: RunOptions, deps: CommandDeps): Promise<CommandResult> {
  // The plan's name once it is known; until then, what the command line named.
  const named = { plan: options.plan ?? '' };
  try {
    return await runRunSteps(options, deps, named);
  } catch (error) {
    // With --json, what reads the events learns why the run did not start (or stopped) from
    // them too, as the last line: the error as stderr says it, and the exit code.
    if (options.json && !options.dryRun && error instanceof PwError) {
      const event: RunEvent = {
        time: deps.now().toISOString(),
        type: 'run-error',
        plan: named.plan,
        message: error.message,
        details: error.details,
        exitCode: error.exitCode,
      };
      deps.stdout(`${JSON.stringify(event)}\n`);
    }
    throw error;
  }
}

async function runRunSteps(
  options: RunOptions,
  deps: CommandDeps,
  named: { plan: string },
): Promise<CommandResult> {
  const json = Boolean(options.json);
  const maxWorkers = count(options.maxWorkers, '--max-workers', 1);
  const retries = count(options.retries, '--retries', 0);
  const timeoutMs = duration(options.timeout, '--timeout');
  const idleTimeoutMs = duration(options.idleTimeout, '--idle-timeout');
  if (options.report && !/\.(json|md)$/i.test(options.report))
    throw new UsageError(`--report ${options.report}: the file must end in .json or .md`);
  const seed = count(options.seed ?? deps.env.PW_RUN_SEED, '--seed', 0);

  // Output: NDJSON, a live view on a terminal, or one plain line per change.
  const view = !json && deps.isTTY ? createLiveView(deps.stdout, true) : null;
  let engine: RunEngine | null = null;
  let planName = '';
  // The engine's clock: monotonic, as the attempts' start times it keeps.
  const monotonic = (): number => performance.now();
  const redraw = (): void => {
    if (!view || !engine) return;
    const now = monotonic();
    view.show(
      renderRunFrame(
        planName,
        engine.runtimes
          .filter((w) => w.selected)
          .map((w) => ({
            id: w.worker.id,
            phase: w.phase.kind,
            elapsedMs: w.proc ? now - w.attemptStartedAt : null,
            attempts: w.record.attempts.length,
            lastCommit: w.lastCommit,
            tool: w.tool,
            tokens:
              w.attempt?.inputTokens != null
                ? w.attempt.inputTokens + (w.attempt.outputTokens ?? 0)
                : null,
            costUsd: w.record.attempts.some((a) => a.costUsd !== null)
              ? w.record.attempts.reduce((s, a) => s + (a.costUsd ?? 0), 0)
              : null,
          })),
        { width: Number(deps.env.COLUMNS) || 80, color: !deps.env.NO_COLOR },
      ),
    );
  };
  const emit = (partial: Omit<RunEvent, 'time'> & { time?: string }): void => {
    const event = { time: deps.now().toISOString(), ...partial } as RunEvent;
    if (json) deps.stdout(`${JSON.stringify(event)}\n`);
    else if (view) redraw();
    else {
      const line = formatRunEventLine(event);
      if (line) deps.stdout(`${line}\n`);
    }
  };

  const { plan, repo, setUp } = await ensurePlan(options, deps, emit);
  planName = plan.name;
  named.plan = plan.name;
  const config = await loadConfig(repo.mainWorktree);
  const { settings, warnings } = await readRunSettings(config, plan);
  for (const warning of warnings) deps.stderr(`pw: warning: ${warning}\n`);
  if (maxWorkers !== undefined) settings.maxWorkers = maxWorkers;
  if (retries !== undefined) settings.retries = retries;
  if (timeoutMs !== undefined) settings.timeoutMs = timeoutMs;
  if (idleTimeoutMs !== undefined) settings.idleTimeoutMs = idleTimeoutMs;

  const ids = plan.workers.map((w) => w.id);
  const only = onlyIds(options);
  // A machine that joined the plan (pw join) runs its own worker; the others run elsewhere.
  const joined = only.length ? null : await readHubRecord(repo.commonDir, plan.name);
  if (joined?.role === 'joined' && joined.worker) only.push(joined.worker);
  const unknown = only.filter((id) => !ids.includes(id));
  if (unknown.length) throw unknownWorkersError(plan, unknown, '--only');
  const selected = new Set(only.length ? only : ids);

  const specs = await resolveAgents(plan, settings, selected, deps);

  if (options.dryRun) {
    // A worker whose branch says COMPLETE already is not started: left out of the stages.
    const complete: string[] = [];
    if (setUp) {
      const { readPlanSnapshot } = await import('../status/read-plan-status.js');
      const snapshot = await readPlanSnapshot(repo.mainWorktree, plan, deps.now(), {
        repo: { commonDir: repo.commonDir },
        fetch: false,
        judge: false,
        worktreesOf: new Set(),
      });
      for (const w of snapshot.status.workers)
        if (w.state === 'complete' && selected.has(w.id)) complete.push(w.id);
    }
    const toStart = new Set([...selected].filter((id) => !complete.includes(id)));
    const stages = stagesOf(plan, toStart);
    const argv = Object.fromEntries(
      [...toStart].map((id) => {
        const worker = plan.workers.find((w) => w.id === id)!;
        const inv = buildInvocation(specs.get(id)!, {
          prompt: '<brief>',
          worktree: worker.worktree,
          sessionId: specs.get(id)!.kind === 'claude' ? '<session-uuid>' : null,
          resume: false,
          promptFilePath: '<prompt-file>',
        });
        return [
          id,
          { argv: inv.argv, stdin: inv.stdin === null ? null : '<brief>', cwd: worker.worktree },
        ];
      }),
    );
    if (json)
      deps.stdout(
        `${JSON.stringify({ plan: plan.name, dryRun: true, setUp, settings, complete, stages, agents: argv }, null, 2)}\n`,
      );
    else {
      deps.stdout(`pw run ${plan.name} --dry-run: nothing is started\n`);
      if (!setUp)
        deps.stdout(
          `plan ${plan.name} is not set up yet (or changed): pw run sets it up first (pw setup --dry-run says how)\n`,
        );
      if (complete.length) deps.stdout(`already COMPLETE, not started: ${complete.join(', ')}\n`);
      stages.forEach((stage, i) => {
        deps.stdout(`stage ${i + 1}: ${stage.join(', ')}\n`);
        for (const id of stage)
          deps.stdout(
            `  ${id}: ${JSON.stringify(argv[id]!.argv)}${argv[id]!.stdin ? ' (brief on stdin)' : ''}\n`,
          );
      });
      deps.stdout(
        `max workers: ${settings.maxWorkers ?? 'all'}; retries: ${settings.retries}; the brief is each worktree's WORKER.md\n`,
      );
    }
    return { exitCode: ExitCode.ok };
  }

  const self = {
    ...(await readProcessIdentity()),
    workers: [...selected],
    deliverOnly: Boolean(options.deliverOnly),
  };
  let lock = await acquireRunLock(repo.commonDir, plan.name, self);
  // Delivering only: a run that serves these workers delivers the messages itself; another
  // delivering run may be about to end without them, so wait for its lock instead.
  while ('heldBy' in lock && options.deliverOnly) {
    const holder = await readRunLockHolder(repo.commonDir, plan.name);
    if (
      holder &&
      !holder.deliverOnly &&
      (holder.workers === null || [...selected].every((id) => holder.workers!.includes(id)))
    ) {
      deps.stderr(
        `pw: pw run (pid ${holder.pid}) is running plan ${plan.name}; it delivers the queued messages\n`,
      );
      return { exitCode: ExitCode.ok };
    }
    await new Promise((done) => setTimeout(done, 200));
    lock = await acquireRunLock(repo.commonDir, plan.name, self);
  }
  if ('heldBy' in lock) {
    if (lock.command === 'teardown')
      throw new FailedError(`pw teardown (pid ${lock.heldBy}) is removing plan ${plan.name}`, [
        'Nothing was started. Once it is done, pw setup <plan-file> (or pw run <plan-file>) sets the plan up again.',
      ]);
    throw new FailedError(`another pw run (pid ${lock.heldBy}) is running plan ${plan.name}`, [
      'Wait for it to finish, or stop it with Ctrl-C in its terminal; a second run would start the agents twice.',
    ]);
  }
  // Torn down between the setup step and this lock (teardown holds it while it works): nothing to run.
  const recorded = await readCompiledPlan(repo.commonDir, plan.name);
  if (!recorded || recorded.tornDownAt) {
    await lock.release();
    throw new FailedError(`plan ${plan.name} was torn down while pw run started`, [
      'Nothing was started. pw setup <plan-file> (or pw run <plan-file>) sets it up again.',
    ]);
  }
  // Set once the run ends by itself (not Ctrl-C): only then are late messages delivered.
  let ended = false;
  const completeAtEnd = new Set<string>();
  const runStartedAt = deps.now().toISOString();
  try {
    const previous = await readRunRecord(repo.commonDir, plan.name);
    const record: RunRecord = previous ?? {
      version: 1,
      runId: randomUUID(),
      plan: plan.name,
      startedAt: deps.now().toISOString(),
      updatedAt: deps.now().toISOString(),
      workers: {},
    };
    await writeRunRecord(repo.commonDir, record);
    let interrupt: () => void = () => undefined;
    const interrupted = new Promise<void>((resolve) => {
      interrupt = resolve;
    });
    void deps.interrupted.then(() => interrupt());
    engine = new RunEngine({
      plan,
      commonDir: repo.commonDir,
      mainWorktree: repo.mainWorktree,
      settings,
      specs,
      selected,
      record,
      env: deps.env,
      clock: { now: monotonic, wall: () => deps.now() },
      random: seededRandom(seed ?? Date.now() % 2 ** 32),
      emit: (event) => emit(event),
      interrupted,
      deliverOnly: Boolean(options.deliverOnly),
    });
    await engine.recoverMessages();
    emit({
      type: 'run-started',
      plan: plan.name,
      runId: record.runId,
      resumed: previous !== null,
      workers: [...selected],
      ...(options.deliverOnly ? { deliverOnly: true } : {}),
    });
    await engine.adoptLiveAgents();
    const result = await engine.run();
    ended = result.outcome !== 'interrupted';
    for (const w of result.workers) if (w.git?.state === 'complete') completeAtEnd.add(w.worker.id);
    const complete = result.workers.filter((w) => w.selected && w.phase.kind === 'complete').length;
    // Work an agent left uncommitted after its COMPLETE is in no branch: said, never dropped.
    const leftBehind =
      result.outcome === 'interrupted' ? [] : await engine.uncommittedAfterComplete();
    for (const left of leftBehind) {
      emit({ type: 'worker-uncommitted', plan: plan.name, ...left });
      if (!json)
        deps.stderr(
          `pw: warning: ${left.worker} is COMPLETE, but its worktree ${left.worktree} holds ${left.count} uncommitted change${left.count === 1 ? '' : 's'}, which its branch (and so integrate) does not have; commit them there, or remove them\n`,
        );
    }
    // Messages sent while an agent ran whose turn then ended in COMPLETE: held, and said.
    if (result.outcome !== 'interrupted') {
      for (const id of [...selected].filter((w) => completeAtEnd.has(w))) {
        // A person's messages sent during this run (pw's own hints never reopen a worker).
        const held = (await readQueuedMessages(repo.commonDir, plan.name, id)).filter(
          (m) => m.source !== 'auto' && !m.reopen && m.queuedAt >= runStartedAt,
        ).length;
        if (!held) continue;
        emit({ type: 'messages-held', plan: plan.name, worker: id, count: held });
        if (!json)
          deps.stderr(
            `pw: warning: ${id} is COMPLETE with ${held} message${held === 1 ? '' : 's'} it never got (a message does not reopen a COMPLETE worker); pw send --reopen ${id} <message> reopens it and delivers ${held === 1 ? 'it' : 'them'} with the new one\n`,
          );
      }
    }
    const resumeCommand = `pw run ${plan.name}${only.length ? ` --only ${only.join(',')}` : ''}`;
    if (result.outcome === 'interrupted')
      emit({
        type: 'run-interrupted',
        plan: plan.name,
        stopped: result.stopped,
        resume: resumeCommand,
      });
    emit({
      type: 'run-finished',
      plan: plan.name,
      outcome: result.outcome,
      complete,
      total: selected.size,
    });
    view?.close();

    let exitCode: number =
      result.outcome === 'complete'
        ? ExitCode.ok
        : result.outcome === 'interrupted'
          ? EXIT_INTERRUPTED
          : ExitCode.failed;
    if (exitCode === ExitCode.ok && options.integrate) {
      const { runIntegrate } = await import('../integrate/index.js');
      let captured = '';
      const integrateDeps: CommandDeps = json
        ? { ...deps, stdout: (t) => void (captured += t) }
        : deps;
      const integrated = await runIntegrate({ plan: plan.name, json }, integrateDeps).catch(
        (error: unknown) => {
          deps.stderr(`pw: integrate failed: ${(error as Error).message}\n`);
          return { exitCode: ExitCode.failed };
        },
      );
      emit({
        type: 'integrate',
        plan: plan.name,
        exitCode: integrated.exitCode,
        ...(json && captured ? { report: JSON.parse(captured) as unknown } : {}),
      });
      if (integrated.exitCode !== 0) exitCode = ExitCode.failed;
    }
    if (options.report) {
      const commits = new Map(result.workers.map((w) => [w.worker.id, w.git?.counts.commits ?? 0]));
      const report = buildRunReport(record, result.outcome, commits, selected);
      const text = options.report.toLowerCase().endsWith('.md')
        ? renderRunReportMarkdown(report)
        : `${JSON.stringify(report, null, 2)}\n`;
      await writeFileAtomic(resolve(deps.cwd, options.report), text);
    }
    if (!json && result.outcome !== 'complete' && !options.deliverOnly) {
      const stopped = new Set(result.stopped);
      const ran: string[] = [];
      for (const w of result.workers) {
        if (!w.selected || w.phase.kind === 'complete') continue;
        if (w.record.attempts.length) ran.push(w.worker.id);
        const state = stopped.has(w.worker.id) ? 'stopped by the interrupt' : w.phase.kind;
        deps.stderr(
          `pw: ${w.worker.id}: ${state}${'reason' in w.phase ? `: ${w.phase.reason}` : ''}\n`,
        );
      }
      if (result.outcome === 'interrupted') {
        deps.stderr(
          `pw: interrupted; worktrees and uncommitted changes are kept. Resume with: ${resumeCommand}\n`,
        );
      } else
        deps.stderr(
          `pw: not every worker is complete; fix what is said above${ran.length ? ` (what an agent did: pw logs ${ran[0]}${ran.length > 1 ? `, and so on for ${ran.slice(1).join(', ')}` : ''})` : ''}, then: ${resumeCommand}\n`,
        );
    }
    return { exitCode };
  } finally {
    view?.close();
    await lock.release();
    if (ended && !options.deliverOnly)
      await deliverLeftovers(repo, plan.name, selected, completeAtEnd, deps);
  }
}

/**
 * A message queued while this run was ending (pw send saw the lock still
 * held): once the lock is released, a delivering run is started for it, so
 * no message waits for a next `pw run`. pw send reads the lock after it
 * queues; this reads the queues after the lock is gone: one of the two sees
 * the other.
 */
async function deliverLeftovers(
  repo: RepoInfo,
  plan: string,
  selected: ReadonlySet<string>,
  complete: ReadonlySet<string>,
  deps: CommandDeps,
): Promise<void> {
  const record = await readRunRecord(repo.commonDir, plan);
  const waiting: { id: string; seq: number }[] = [];
  for (const id of selected) {
    if (!record?.workers[id]?.attempts.length) continue;
    const queued = await readQueuedMessages(repo.commonDir, plan, id);
    if (hasWakingMessage(queued, complete.has(id))) waiting.push({ id, seq: queued[0]!.seq });
  }
  if (!waiting.length) return;
  const started = await startDeliveryRun({
    commonDir: repo.commonDir,
    mainWorktree: repo.mainWorktree,
    plan,
    workers: waiting.map((w) => w.id),
    seq: waiting[0]!.seq,
    env: deps.env,
  });
  deps.stderr(
    `pw: messages arrived as this run ended; pw run (pid ${started.pid}) delivers them in the background (output: ${started.log})\n`,
  );
}
