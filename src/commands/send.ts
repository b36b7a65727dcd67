import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CommandDeps, CommandResult } from '../cli/deps.js';
import type { CompiledPlan } from '../domain/plan/plan.js';
import type { MessageSource, QueuedMessage } from '../domain/run/message-queue.js';
import { ExitCode, FailedError, UsageError } from '../errors.js';
import type { RepoInfo } from '../git/repo.js';
import {
  enqueueMessage,
  readDeliveredMessages,
  type DeliveredMessage,
} from '../store/run/message-queue.js';
import { readRunLockHolder, readRunRecord, type RunRecord } from '../store/run/run-record.js';
import { appendEvent } from '../store/trusted-store.js';
import { loadActivePlan, unknownWorkersError } from './active-plan.js';
import { startDeliveryRun } from './run/start-delivery-run.js';
import { readPlanSnapshot } from './status/read-plan-status.js';

export interface SendOptions {
  worker: string;
  message?: string;
  file?: string;
  plan?: string;
  wait?: boolean;
  reopen?: boolean;
  json?: boolean;
}

export interface BroadcastOptions {
  message?: string;
  file?: string;
  plan?: string;
  only?: string;
  except?: string;
  wait?: boolean;
  json?: boolean;
}

/** The message: the argument, `--file`, or stdin; never empty. */
async function readMessageText(
  options: { message?: string; file?: string },
  deps: CommandDeps,
  command: string,
): Promise<string> {
  if (options.message !== undefined && options.file !== undefined)
    throw new UsageError(`${command}: give the message or --file, not both`);
  let text: string | null;
  if (options.message !== undefined) text = options.message;
  else if (options.file !== undefined) {
    try {
      text = await readFile(resolve(deps.cwd, options.file), 'utf8');
    } catch (error) {
      throw new UsageError(`${command}: cannot read --file ${options.file}`, [
        (error as Error).message,
      ]);
    }
  } else text = (await deps.readStdin?.()) ?? null;
  if (text === null || text.trim() === '')
    throw new UsageError(`${command}: the message is empty`, [
      `Write it as an argument (${command} ... "the message"), with --file <file>, or on stdin.`,
    ]);
  return text;
}

interface Delivery {
  worker: string;
  message: QueuedMessage;
}

interface Target {
  id: string;
  state: string;
  reopen: boolean;
}

/**
 * Queues one message per worker, then makes sure something delivers it: the
 * `pw run` that runs those workers (it reads the queues at every wake), or a
 * `pw run --deliver-only` started in the background for the others.
 */
async function queueAndDeliver(
  repo: RepoInfo,
  plan: CompiledPlan,
  targets: readonly Target[],
  text: string,
  source: MessageSource,
  deps: CommandDeps,
): Promise<{
  deliveries: Delivery[];
  runPid: number | null;
  started: { pid: number; log: string; workers: string[] } | null;
}> {
  const deliveries: Delivery[] = [];
  for (const target of targets) {
    const message = await enqueueMessage(repo.commonDir, plan.name, {
      worker: target.id,
      text,
      source,
      reopen: target.reopen,
      now: deps.now(),
    });
    await appendEvent(repo.commonDir, {
      time: deps.now().toISOString(),
      type: 'message-queued',
      plan: plan.name,
      worker: target.id,
      message: message.id,
      source,
      reason: null,
      state: target.state,
      chars: text.length,
    });
    deliveries.push({ worker: target.id, message });
  }
  const holder = await readRunLockHolder(repo.commonDir, plan.name);
  // A delivering run may be about to end: the one started here waits for it instead.
  const served = (id: string): boolean =>
    holder !== null &&
    !holder.deliverOnly &&
    (holder.workers === null || holder.workers.includes(id));
  const rest = targets.filter((t) => !served(t.id)).map((t) => t.id);
  let started: { pid: number; log: string; workers: string[] } | null = null;
  if (rest.length)
    started = await startDeliveryRun({
      commonDir: repo.commonDir,
      mainWorktree: repo.mainWorktree,
      plan: plan.name,
      workers: rest,
      seq: deliveries.find((d) => d.worker === rest[0])!.message.seq,
      env: deps.env,
    });
  return { deliveries, runPid: holder && !holder.deliverOnly ? holder.pid : null, started };
}

/**
 * Until every message is delivered and the attempt that carried it ended:
 * the exit code is 0 when those attempts exited 0, else 1.
 */
async function waitForAnswers(
  repo: RepoInfo,
  plan: CompiledPlan,
  deliveries: readonly Delivery[],
  deps: CommandDeps,
  /** --json: the document was printed before the wait; nothing more is. */
  json = false,
): Promise<number> {
  let interrupted = false;
  void deps.interrupted.then(() => {
    interrupted = true;
  });
  for (;;) {
    const record = await readRunRecord(repo.commonDir, plan.name);
    let ended = 0;
    let failed = 0;
    const outcomes: string[] = [];
    for (const d of deliveries) {
      const delivered: DeliveredMessage | undefined = (
        await readDeliveredMessages(repo.commonDir, plan.name, d.worker)
      ).find((m) => m.id === d.message.id);
      if (!delivered) continue;
      const attempt = record?.workers[d.worker]?.attempts.find((a) => a.n === delivered.attempt);
      // Settled: the run has classified the attempt (its end time is written before its exit code).
      if (!attempt || attempt.endedAt === null || attempt.category === null) continue;
      ended++;
      const bad = attempt.category !== 'complete' && attempt.exitCode !== 0;
      if (bad) failed++;
      outcomes.push(
        `${d.worker}: attempt ${attempt.n} carried ${d.message.id} and ended${attempt.exitCode === null ? '' : ` (exit ${attempt.exitCode})`}; ${attempt.category === 'complete' ? 'its branch says COMPLETE' : `${attempt.category}${bad ? ' (pw logs ' + d.worker + ' shows its output)' : ''}`}`,
      );
    }
    if (ended === deliveries.length) {
      if (!json) for (const line of outcomes) deps.stdout(`${line}\n`);
      return failed ? ExitCode.failed : ExitCode.ok;
    }
    if (interrupted) return ExitCode.failed;
    await new Promise<void>((done) => {
      const timer = setTimeout(done, 250);
      void deps.interrupted.then(() => {
        clearTimeout(timer);
        done();
      });
    });
  }
}

function hasSession(record: RunRecord | null, worker: string): boolean {
  return (record?.workers[worker]?.attempts.length ?? 0) > 0;
}

function report(
  deps: CommandDeps,
  json: boolean,
  result: Awaited<ReturnType<typeof queueAndDeliver>>,
  skipped: { worker: string; reason: string }[],
): void {
  if (json) {
    deps.stdout(
      `${JSON.stringify(
        {
          queued: result.deliveries.map((d) => ({ worker: d.worker, message: d.message.id })),
          run: result.runPid,
          started: result.started,
          skipped,
        },
        null,
        2,
      )}\n`,
    );
    return;
  }
  const servedBy = (worker: string): string =>
    result.started?.workers.includes(worker)
      ? `pw started a run in the background (pid ${result.started.pid}) that resumes ${worker}'s session with it`
      : `pw run (pid ${result.runPid}) delivers it when ${worker}'s agent ends its turn, or now if it is not running (held if that turn ends in [COMPLETE]: pw send --reopen delivers it)`;
  for (const d of result.deliveries)
    deps.stdout(`queued ${d.message.id} for ${d.worker}: ${servedBy(d.worker)}\n`);
  for (const s of skipped) deps.stdout(`skipped ${s.worker}: ${s.reason}\n`);
  if (result.started) deps.stdout(`its output: ${result.started.log}\n`);
}

/** `pw send <worker> [message]`. */
export async function runSend(options: SendOptions, deps: CommandDeps): Promise<CommandResult> {
  const { repo, plan } = await loadActivePlan(deps.cwd, options.plan);
  const worker = plan.workers.find((w) => w.id === options.worker);
  if (!worker) throw unknownWorkersError(plan, [options.worker]);
  const text = await readMessageText(options, deps, `pw send ${worker.id}`);
  const record = await readRunRecord(repo.commonDir, plan.name);
  if (!hasSession(record, worker.id))
    throw new FailedError(
      `worker ${worker.id} has no agent session yet (plan ${plan.name}): there is nothing to resume with the message`,
      [
        `Start it with pw run --only ${worker.id} (its brief is ${worker.worktree}/WORKER.md); send once it has run.`,
      ],
    );
  const snapshot = await readPlanSnapshot(repo.mainWorktree, plan, deps.now(), {
    repo: { commonDir: repo.commonDir },
    fetch: false,
  });
  const state = snapshot.status.workers.find((w) => w.id === worker.id)?.state ?? 'pending';
  if (state === 'complete' && !options.reopen)
    throw new FailedError(`worker ${worker.id} is COMPLETE: nothing was sent`, [
      `To ask it to work again, add --reopen: its session resumes with the message, and it must commit a new [COMPLETE] afterwards.`,
    ]);
  const result = await queueAndDeliver(
    repo,
    plan,
    [{ id: worker.id, state, reopen: state === 'complete' }],
    text,
    'send',
    deps,
  );
  report(deps, Boolean(options.json), result, []);
  if (!options.wait) return { exitCode: ExitCode.ok };
  return {
    exitCode: await waitForAnswers(repo, plan, result.deliveries, deps, Boolean(options.json)),
  };
}

function idList(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** `pw broadcast <message>`: every worker that is not COMPLETE (and has a session). */
export async function runBroadcast(
  options: BroadcastOptions,
  deps: CommandDeps,
): Promise<CommandResult> {
  const { repo, plan } = await loadActivePlan(deps.cwd, options.plan);
  const ids = plan.workers.map((w) => w.id);
  const only = idList(options.only);
  const except = idList(options.except);
  const unknown = [...only, ...except].filter((id) => !ids.includes(id));
  if (unknown.length)
    throw new UsageError(
      `--only/--except name workers not in plan ${plan.name}: ${unknown.join(', ')}`,
      [`Workers: ${ids.join(', ')}.`],
    );
  const text = await readMessageText(options, deps, 'pw broadcast');
  const record = await readRunRecord(repo.commonDir, plan.name);
  const snapshot = await readPlanSnapshot(repo.mainWorktree, plan, deps.now(), {
    repo: { commonDir: repo.commonDir },
    fetch: false,
  });
  const skipped: { worker: string; reason: string }[] = [];
  const targets: Target[] = [];
  for (const id of ids) {
    if (only.length && !only.includes(id)) continue;
    if (except.includes(id)) continue;
    const state = snapshot.status.workers.find((w) => w.id === id)?.state ?? 'pending';
    if (state === 'complete') skipped.push({ worker: id, reason: 'COMPLETE' });
    else if (!hasSession(record, id)) skipped.push({ worker: id, reason: 'no agent session yet' });
    else targets.push({ id, state, reopen: false });
  }
  if (targets.length === 0)
    throw new FailedError('pw broadcast: no worker to send to: nothing was sent', [
      ...skipped.map((s) => `${s.worker}: ${s.reason}`),
      'Workers that never ran start with pw run; a COMPLETE one takes pw send <worker> --reopen.',
    ]);
  const result = await queueAndDeliver(repo, plan, targets, text, 'broadcast', deps);
  report(deps, Boolean(options.json), result, skipped);
  if (!options.wait) return { exitCode: ExitCode.ok };
  return {
    exitCode: await waitForAnswers(repo, plan, result.deliveries, deps, Boolean(options.json)),
  };
}
