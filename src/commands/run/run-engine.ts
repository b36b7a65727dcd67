import { randomUUID } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  spawnAgent,
  isProcessAlive,
  signalProcessGroup,
  type AgentProcess,
} from '../../agents/spawn-agent.js';
import { parseAgentLine } from '../../agents/parse-agent-output.js';
import { buildInvocation, sessionIdSource, type AgentSpec } from '../../agents/profiles.js';
import { BRIEF_FILE } from '../../domain/setup/brief.js';
import type { CompiledPlan, CompiledWorker } from '../../domain/plan/plan.js';
import type { PlanStatus, WorkerStatus } from '../../domain/status/plan-status.js';
import { classifyFailure, type FailureCategory } from '../../domain/run/classify-failure.js';
import { continuationPrompt } from '../../domain/run/continuation-prompt.js';
import { hasWakingMessage, messagePrompt } from '../../domain/run/message-queue.js';
import { parseScopeRefusals, planNotifications } from '../../domain/run/plan-notifications.js';
import { maskSecrets } from '../../domain/run/mask-secrets.js';
import { planRetry, type Random } from '../../domain/run/plan-retry.js';
import { planRunStep, type RunPhase, type StepDecision } from '../../domain/run/plan-run-step.js';
import type { RunSettings } from '../../domain/run/run-settings.js';
import { mergeProviderTip } from '../../git/run/merge-provider.js';
import { readBranchTip } from '../../git/refs.js';
import { readMergeHeads, readStagedPathsOutside } from '../../git/staged-changes.js';
import { readGitDir } from '../../git/worktree-signature.js';
import { scopeExcludePathspecs } from '../../domain/scope/excludes.js';
import { ownersOfPaths } from '../../domain/scope/ownership.js';
import { watchRefs } from '../../git/ref-watcher.js';
import {
  openLog,
  runPaths,
  writePromptFile,
  writeRunRecord,
  type AttemptRecord,
  type RunRecord,
  type WorkerRunRecord,
} from '../../store/run/run-record.js';
import {
  readPlanSnapshot,
  readUncommittedCounts,
  statusWatchTargets,
  type PlanSnapshot,
} from '../status/read-plan-status.js';
import type { RunEvent } from '../../domain/run/run-events.js';
import { readAttachMarkers } from '../../store/run/attach-marker.js';
import {
  claimQueuedMessages,
  enqueueMessage,
  markMessagesDelivered,
  readMessageKeys,
  messagePaths,
  readQueuedMessages,
  recoverDeliveringMessages,
  type QueuedMessage,
} from '../../store/run/message-queue.js';
import { isDirectory } from '../../store/fs.js';
import { isSameProcessAlive } from '../../store/process-identity.js';
import { appendEvent, readEvents } from '../../store/trusted-store.js';

/** The engine's clock and timers: real ones in use, the same interface in tests. */
export interface RunClock {
  /** Milliseconds, monotonic enough for timeouts and backoff. */
  now(): number;
  /** Wall time for records and events (PW_NOW when set). */
  wall(): Date;
}

export interface EngineInput {
  plan: CompiledPlan;
  commonDir: string;
  mainWorktree: string;
  settings: RunSettings;
  specs: Map<string, AgentSpec>;
  selected: Set<string>;
  record: RunRecord;
  env: NodeJS.ProcessEnv;
  clock: RunClock;
  random: Random;
  newSessionId?: () => string;
  emit(event: RunEvent): void;
  interrupted: Promise<void>;
  /** Only deliver queued messages (the run `pw send` starts when no run serves the worker). */
  deliverOnly?: boolean;
}

export interface WorkerRuntime {
  worker: CompiledWorker;
  spec: AgentSpec;
  selected: boolean;
  group: string | null;
  phase: RunPhase;
  record: WorkerRunRecord;
  proc: Pick<AgentProcess, 'pid' | 'signal' | 'exited'> | null;
  attempt: AttemptRecord | null;
  attemptStartedAt: number;
  lastOutputAt: number;
  /** The newest uncommitted edit a read of its worktree found (wall clock, ms); 0 for none. */
  lastEditAt: number;
  tool: string | null;
  outputTail: string;
  stoppedFor: 'timeout' | 'idle' | 'interrupt' | null;
  resultIsError: boolean | null;
  exit: { exitCode: number | null; signal: string | null } | null;
  /** Resolves once the exit is recorded in `exit` (output read, log closed). */
  done: Promise<void>;
  lastCommit: string | null;
  git: WorkerStatus | null;
  /** A message that resumes the agent waits in its queue. */
  messages: boolean;
  /**
   * A start (provider merges, then the spawn) in progress: the worker holds its
   * slot meanwhile, and the engine goes on handling exits.
   */
  starting: Promise<void> | null;
  /** A merge of its providers' tips while it waits for a slot (premergeNext), in progress. */
  premerge: Promise<void> | null;
  /** The provider tips a premerge was last tried with. */
  premergedTips: string | null;
  /**
   * Its attempt count when its worktree was last read after it became
   * COMPLETE with no agent running (checkLeftBehindNext).
   */
  leftBehindReadAt: number | null;
}

export interface EngineResult {
  outcome: 'complete' | 'incomplete' | 'interrupted';
  workers: WorkerRuntime[];
  stopped: string[];
}

const TAIL = 8192;
/** How soon run.autoNotify is tried again after it failed (a full disk, a folder it could not write). */
const NOTIFY_RETRY_MS = 2_000;

/**
 * Runs the agents of a plan until every selected worker is COMPLETE, none
 * can make progress, or the user interrupts. Event-driven: it wakes when an
 * agent exits, when a worker ref moves (fs watch on the refs), when a retry
 * or a timeout is due, or on Ctrl-C; each wake reads the status from git,
 * asks planRunStep what to do, and does it.
 */
export class RunEngine {
  private readonly workers: WorkerRuntime[];
  private wakeUp: (() => void) | null = null;
  private woken = false;
  private interrupted = false;
  private snapshot: PlanSnapshot | null = null;
  /** Workers a live `pw attach` holds (worker -> pid of that pw attach), read each step. */
  private attached = new Map<string, number>();
  private staleAttachSeen = new Set<string>();
  private attachWatch: NodeJS.Timeout | null = null;

  constructor(private readonly input: EngineInput) {
    this.workers = input.plan.workers.map((worker) => {
      const record: WorkerRunRecord = input.record.workers[worker.id] ?? {
        agent: input.specs.get(worker.id)!.kind,
        sessionId: null,
        pid: null,
        pidStartTime: null,
        worktree: worker.worktree,
        attempts: [],
        retryAt: null,
        phase: 'waiting',
        reason: null,
        idleStops: 0,
        countedFailures: 0,
      };
      // A worker an earlier run gave up on, run again: a person wants it tried again, with the
      // whole --retries. (A run that was stopped, or crashed, goes on with what was left.)
      if (record.phase === 'failed') {
        record.countedFailures = 0;
        record.idleStops = 0;
      }
      input.record.workers[worker.id] = record;
      return {
        worker,
        spec: input.specs.get(worker.id)!,
        selected: input.selected.has(worker.id),
        group: input.settings.groups[worker.id] ?? null,
        phase: { kind: 'waiting' },
        record,
        proc: null,
        attempt: null,
        attemptStartedAt: 0,
        lastOutputAt: 0,
        lastEditAt: 0,
        tool: null,
        outputTail: '',
        stoppedFor: null,
        resultIsError: null,
        exit: null,
        done: Promise.resolve(),
        lastCommit: null,
        git: null,
        messages: false,
        starting: null,
        premerge: null,
        premergedTips: null,
        leftBehindReadAt: null,
      };
    });
  }

  get runtimes(): readonly WorkerRuntime[] {
    return this.workers;
  }

  /**
   * Whether the next step reads the status from git: after anything that can
   * change a decision (an exit, a ref moving while waitsOnOthers, a deadline,
   * a message, an attach ending, a start that spawned no agent). A start
   * that spawned its agent wakes the loop without it: its merge changes no
   * worker's state, and the step only plans what the start leaves (on a busy
   * run, a read per start took CPU from the merges of the starts that came
   * next).
   */
  private statusStale = true;

  private wake(options: { statusStale: boolean } = { statusStale: true }): void {
    if (options.statusStale) this.statusStale = true;
    this.woken = true;
    this.wakeUp?.();
  }

  private async sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(
        () => {
          // A deadline: an idle agent, a retry, a timeout.
          this.statusStale = true;
          done();
        },
        Math.max(0, Math.min(ms, 2 ** 31 - 1)),
      );
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
    this.wakeUp = null;
    this.woken = false;
  }

  private event(
    type: RunEvent['type'],
    worker: string | undefined,
    data: Record<string, unknown> = {},
  ): void {
    this.input.emit({
      time: this.input.clock.wall().toISOString(),
      type,
      plan: this.input.plan.name,
      ...(worker ? { worker } : {}),
      ...data,
    });
  }

  private saving: Promise<void> = Promise.resolve();

  /** Writes the record; one write at a time (each goes through the same temporary file). */
  private save(): Promise<void> {
    this.saving = this.saving.then(async () => {
      this.input.record.updatedAt = this.input.clock.wall().toISOString();
      await writeRunRecord(this.input.commonDir, this.input.record);
    });
    return this.saving;
  }

  /** The workers' states from git, reading the worktrees of `worktreesOf` only. */
  private readSnapshot(worktreesOf: readonly WorkerRuntime[]): Promise<PlanSnapshot> {
    return readPlanSnapshot(this.input.mainWorktree, this.input.plan, this.input.clock.wall(), {
      repo: { commonDir: this.input.commonDir },
      // The agents run here: their branches are local. A hub's copies fetched last are still read.
      fetch: false,
      previous: this.snapshot,
      // States are what the engine decides on; pw status and integrate judge the scope.
      judge: false,
      worktreesOf: new Set(worktreesOf.map((w) => w.worker.id)),
    });
  }

  private async readStatus(now: number = this.input.clock.now()): Promise<PlanStatus> {
    // A running agent's file changes count against its idle timeout: its worktree is read
    // once nothing else it did keeps it within the timeout; no other worktree is read.
    this.snapshot = await this.readSnapshot(this.workers.filter((w) => this.mayBeIdle(w, now)));
    const status = this.snapshot.status;
    for (const w of this.workers) {
      w.git = status.workers.find((s) => s.id === w.worker.id) ?? null;
      w.lastCommit = w.git?.lastCommit?.header ?? null;
      // Kept between reads: a worktree is read only when its agent may be idle. An edit
      // dated in the future (a file's mtime set ahead, the clock stepping back) counts as now.
      const edit = w.git?.uncommitted?.newestEditAt;
      if (edit) {
        const at = Math.min(Date.parse(edit), this.input.clock.wall().getTime());
        w.lastEditAt = Math.max(w.lastEditAt, at);
      }
    }
    return status;
  }

  /**
   * The selected COMPLETE workers whose worktrees hold changes their branches
   * do not (an agent that committed COMPLETE and left files behind): one
   * worktree read each, once the run is over.
   */
  async uncommittedAfterComplete(): Promise<{ worker: string; worktree: string; count: number }[]> {
    // Every one is read: a person may have worked in a worktree since it was read (pw attach,
    // or a shell there). One read while the run went on (checkLeftBehindNext) left its
    // signature in the worktree status cache: unchanged since, it costs stat calls, no git.
    const complete = this.workers.filter((w) => w.selected && w.phase.kind === 'complete');
    if (!complete.length) return [];
    const counts = await this.readUncommitted(complete);
    return complete
      .filter((w) => (counts.get(w.worker.id) ?? 0) > 0)
      .map((w) => ({
        worker: w.worker.id,
        worktree: w.worker.worktree,
        count: counts.get(w.worker.id)!,
      }));
  }

  /** Uncommitted changes in these workers' worktrees (the worktree read alone: no history, no hooks). */
  private readUncommitted(workers: readonly WorkerRuntime[]): Promise<Map<string, number>> {
    return readUncommittedCounts(
      this.input.commonDir,
      this.input.plan,
      new Set(workers.map((w) => w.worker.id)),
    );
  }

  /** The read of one COMPLETE worker's worktree checkLeftBehindNext runs, if any. */
  private leftBehindCheck: Promise<void> | null = null;
  /** Set as run() returns: no left-behind check starts after it (the run's end reads the rest). */
  private runEnded = false;

  /**
   * Reads the worktree of one COMPLETE worker whose agent is gone, while no
   * start or premerge is in progress, one at a time, so that the read at the
   * run's end (uncommittedAfterComplete) finds its status in the worktree
   * status cache and the run's last step stays short.
   */
  private checkLeftBehindNext(): void {
    if (this.leftBehindCheck || this.runEnded || this.stopping() || this.input.deliverOnly) return;
    if (this.workers.some((w) => w.starting !== null || w.premerge !== null)) return;
    const w = this.workers.find(
      (x) =>
        x.selected &&
        x.phase.kind === 'complete' &&
        x.proc === null &&
        !this.attached.has(x.worker.id) &&
        x.leftBehindReadAt !== x.record.attempts.length,
    );
    if (!w) return;
    w.leftBehindReadAt = w.record.attempts.length;
    this.leftBehindCheck = this.readUncommitted([w])
      .then(() => undefined)
      // Not read: the run's end reads it anyway.
      .catch(() => undefined)
      .finally(() => {
        this.leftBehindCheck = null;
        this.checkLeftBehindNext();
      });
  }

  /** Adopts an agent a previous `pw run` started and that still runs: waited for, never started twice. */
  async adoptLiveAgents(): Promise<string[]> {
    const adopted: string[] = [];
    for (const w of this.workers) {
      const { pid, pidStartTime } = w.record;
      const alive = !!pid && (await isSameProcessAlive({ pid, startTime: pidStartTime }));
      // (No pid: the run that recorded the attempt, which carries messages and is recorded
      // before its agent starts, stopped before the pid was.)
      if (!pid || !alive || w.record.worktree !== w.worker.worktree) {
        w.record.pid = null;
        w.record.pidStartTime = null;
        const open = w.record.attempts.at(-1);
        if (open && open.endedAt === null) {
          open.endedAt = this.input.clock.wall().toISOString();
          open.category = 'interrupted';
        }
        continue;
      }
      const exited = new Promise<{ exitCode: number | null; signal: string | null }>((resolve) => {
        // Not our child: its exit is seen by polling its pid (the rare case of a crashed pw).
        const timer = setInterval(() => {
          if (!isProcessAlive(pid)) {
            clearInterval(timer);
            resolve({ exitCode: null, signal: null });
          }
        }, 500);
      });
      w.proc = { pid, exited, signal: (sig) => signalProcessGroup(pid, sig) };
      w.attempt = w.record.attempts.at(-1) ?? null;
      const attempt = w.attempt?.n ?? 1;
      w.phase = { kind: 'running', attempt };
      w.attemptStartedAt = this.input.clock.now();
      w.lastOutputAt = this.input.clock.now();
      w.done = exited.then((exit) => {
        w.exit = exit;
        this.wake();
      });
      adopted.push(w.worker.id);
      this.event('worker-adopted', w.worker.id, { pid, attempt });
    }
    return adopted;
  }

  async run(): Promise<EngineResult> {
    const { plan, commonDir, settings, clock } = this.input;
    const watcher = watchRefs(statusWatchTargets(commonDir, plan, null));
    const queueWatchers = await this.watchQueues();
    let closed = false;
    void (async () => {
      while (!closed)
        if ((await watcher.next(3_600_000)) === 'change' && this.waitsOnOthers()) this.wake();
    })();
    void this.input.interrupted.then(() => {
      this.interrupted = true;
      this.wake();
    });
    const stopped: string[] = [];
    try {
      for (;;) {
        if (this.startFailure) {
          await this.startsSettled();
          throw this.startFailure.error;
        }
        // Exits seen before the status is read: git then already has everything they committed.
        const exited = this.workers.filter((w) => w.exit);
        // One instant for both: a worktree is read when its agent may be idle at `now`,
        // and only an agent idle at `now` after that read is stopped.
        const now = clock.now();
        // An agent that may be idle at `now` is judged on a fresh read (its commits and edits).
        if (this.statusStale || exited.length || this.workers.some((w) => this.mayBeIdle(w, now))) {
          this.statusStale = false;
          await this.readStatus(now);
        }
        await this.readAttached();
        for (const w of exited) await this.settleExit(w);
        if (settings.autoNotify && !this.input.deliverOnly && !this.interrupted)
          await this.notifyOrRetry(true);
        if (this.interrupted) {
          // An agent a start in progress spawns is stopped with the others.
          await this.startsSettled();
          stopped.push(...(await this.stopAll()));
          await this.save();
          return { outcome: 'interrupted', workers: this.workers, stopped };
        }
        this.checkTimeouts(now);
        await this.readQueues();
        const decision = this.planStep(now);
        for (const { id, phase } of decision.settle) {
          const w = this.byId(id);
          const was = w.phase.kind;
          this.setPhase(w, phase);
          if (phase.kind === 'complete' && was !== 'complete')
            this.event('worker-complete', id, {
              commit: w.git?.tip?.sha ?? null,
              attempts: w.record.attempts.length,
            });
          if (phase.kind === 'blocked') this.event('worker-blocked', id, { reason: phase.reason });
          if (phase.kind === 'attached' && was !== 'attached')
            this.event('worker-attached', id, { pid: phase.pid });
          if (was === 'attached' && phase.kind !== 'attached') this.event('worker-detached', id);
        }
        for (const id of decision.unskip) {
          this.setPhase(this.byId(id), { kind: 'waiting' });
          this.event('worker-waiting', id, {
            reason: 'its dependencies can complete again',
          });
        }
        for (const { id, reason } of decision.skip) {
          this.setPhase(this.byId(id), { kind: 'skipped', reason });
          this.event('worker-skipped', id, { reason });
        }
        // Started side by side, and not waited for: a start waits for its provider merges (the
        // hooks run) and the spawn, while an exit meanwhile is handled at once.
        for (const id of decision.deliver) this.launch(this.byId(id), (w) => this.deliver(w));
        for (const { id } of decision.start) this.launch(this.byId(id), (w) => this.start(w));
        this.queued = decision.queued;
        this.premergeNext();
        this.checkLeftBehindNext();
        await this.save();
        const running = this.workers.filter((w) => w.proc !== null || w.starting !== null);
        if (
          decision.finished &&
          running.length === 0 &&
          !decision.start.length &&
          !decision.deliver.length
        ) {
          // A message pw failed to queue gets one more try before the run ends (said again if it fails).
          if (this.notifyRetryAt !== null && settings.autoNotify && !this.input.deliverOnly)
            await this.notifyOrRetry(false);
          // A message sent while this step ran is delivered before the run ends.
          await this.readQueues();
          const again = this.planStep(clock.now());
          if (again.finished && again.start.length === 0 && again.deliver.length === 0) {
            if (this.input.deliverOnly)
              return {
                outcome: this.workers.every(
                  (w) => !w.selected || (w.record.attempts.at(-1)?.exitCode ?? 0) === 0,
                )
                  ? 'complete'
                  : 'incomplete',
                workers: this.workers,
                stopped,
              };
            return {
              outcome: again.finished.allComplete ? 'complete' : 'incomplete',
              workers: this.workers,
              stopped,
            };
          }
          continue;
        }
        this.watchAttachEnds();
        const deadlines = [
          decision.wakeAt,
          this.notifyRetryAt,
          ...running.map((w) => this.deadlineOf(w)),
        ].filter((t): t is number => t !== null);
        const wait = deadlines.length
          ? Math.max(0, Math.min(...deadlines) - clock.now())
          : 3_600_000;
        await this.sleep(wait);
      }
    } finally {
      // A start still in progress is finished before the run returns: its agent is recorded.
      await this.startsSettled();
      this.runEnded = true;
      await this.leftBehindCheck;
      closed = true;
      watcher.close();
      if (this.attachWatch) clearInterval(this.attachWatch);
      this.attachWatch = null;
      for (const w of queueWatchers) w.close();
    }
  }

  /**
   * Wakes the loop when a message is queued (`pw send` renames it into a
   * worker's queued/ folder). A folder that cannot be watched is still read
   * at every wake.
   */
  private async watchQueues(): Promise<FSWatcher[]> {
    const watchers: FSWatcher[] = [];
    for (const w of this.workers) {
      if (!w.selected) continue;
      const { queued } = messagePaths(this.input.commonDir, this.input.plan.name, w.worker.id);
      try {
        await mkdir(queued, { recursive: true, mode: 0o700 });
        watchers.push(watch(queued, () => this.wake()));
      } catch {
        // No watch: the queue is read at the next wake instead.
      }
    }
    return watchers;
  }

  private sentKeys: Set<string> | null = null;
  /** When to try run.autoNotify again after it failed (null: it did not). */
  private notifyRetryAt: number | null = null;

  /**
   * Starts (or resumes with its messages) a worker without waiting: the
   * loop wakes when the start is done. A start that throws ends the run, as
   * the loop's own failures do, once the other starts are done.
   */
  private launch(w: WorkerRuntime, step: (w: WorkerRuntime) => Promise<void>): void {
    w.starting = step(w)
      .then(() => this.save())
      .catch((error: unknown) => {
        this.startFailure ??= { error };
      })
      .finally(() => {
        w.starting = null;
        // A start that spawned no agent (worktree missing, merge failed, attached) may end
        // the run: decided on a fresh read.
        this.wake({ statusStale: w.proc === null });
        this.premergeNext();
        this.checkLeftBehindNext();
      });
  }

  private startFailure: { error: unknown } | null = null;
  /** Workers waiting only for a slot, as the last step found them, in plan order. */
  private queued: readonly string[] = [];

  /** Waits for every start and premerge in progress (a git merge is never cut short). */
  private async startsSettled(): Promise<void> {
    for (;;) {
      const pending = this.workers
        .flatMap((w) => [w.starting, w.premerge])
        .filter((p) => p !== null);
      if (!pending.length) return;
      await Promise.all(pending);
    }
  }

  /** What planRunStep decides now, from every worker as the engine knows it. */
  private planStep(now: number): StepDecision {
    const { settings } = this.input;
    return planRunStep({
      workers: this.workers.map((w) => ({
        id: w.worker.id,
        dependsOn: w.worker.dependsOn,
        git: w.git?.state ?? 'pending',
        blockedReason: w.git?.blocked?.reason ?? null,
        // A start in progress holds its slot: neither started again nor settled meanwhile.
        phase: w.starting ? { kind: 'running', attempt: 0 } : w.phase,
        selected: w.selected,
        group: w.group,
        attachedBy: this.attached.get(w.worker.id) ?? null,
        messages: w.messages,
        hasSession: w.record.attempts.length > 0,
      })),
      maxWorkers: settings.maxWorkers,
      concurrencyLimits: settings.concurrencyLimits,
      now,
      deliverOnly: this.input.deliverOnly,
    });
  }

  /**
   * notify(), whose failure is said (notify-failed) and, with `retry`, tried
   * again shortly: a message pw owes a worker is never dropped quietly.
   */
  private async notifyOrRetry(retry: boolean): Promise<void> {
    try {
      await this.notify();
      this.notifyRetryAt = null;
    } catch (error) {
      if (retry) this.notifyRetryAt = this.input.clock.now() + NOTIFY_RETRY_MS;
      this.event('notify-failed', undefined, {
        error: error instanceof Error ? error.message : String(error),
        retryInMs: retry ? NOTIFY_RETRY_MS : null,
      });
    }
  }

  /**
   * run.autoNotify: queues the messages pw writes by itself (a NEEDS
   * resolved, a hint to a BLOCKED worker, a path the hooks refused twice),
   * each once, each in the events log with who, what and why.
   */
  private async notify(): Promise<void> {
    const { commonDir, plan, clock } = this.input;
    if (!this.sentKeys) {
      // Kept only once every queue was read: a half-read set would send a message twice.
      const keys = new Set<string>();
      for (const w of this.workers)
        for (const key of await readMessageKeys(commonDir, plan.name, w.worker.id))
          keys.add(`${w.worker.id}\0${key}`);
      this.sentKeys = keys;
    }
    const sent = this.sentKeys;
    const notifications = planNotifications({
      workers: this.workers.map((w) => ({
        id: w.worker.id,
        branch: w.worker.branch,
        state: w.git?.state ?? 'pending',
        lastCommitAt: w.git?.lastCommit?.time ?? null,
        resolvedNeeds: w.git?.resolvedNeeds ?? [],
        blocked: w.git?.blocked ?? null,
      })),
      selected: new Set(this.workers.filter((w) => w.selected).map((w) => w.worker.id)),
      refusals: parseScopeRefusals(await readEvents(commonDir, plan.name)),
      sent: new Set(),
    }).filter((n) => !sent.has(`${n.worker}\0${n.key}`));
    for (const n of notifications) {
      const message = await enqueueMessage(commonDir, plan.name, {
        worker: n.worker,
        text: n.text,
        source: 'auto',
        reason: n.reason,
        key: n.key,
        wakes: n.wakes,
        now: clock.wall(),
      });
      // Counted as sent once it is queued: a failure before that is tried again.
      sent.add(`${n.worker}\0${n.key}`);
      const fields = { message: message.id, source: 'auto', reason: n.reason, ...n.about };
      this.event('message-queued', n.worker, fields);
      await appendEvent(commonDir, {
        time: clock.wall().toISOString(),
        type: 'message-queued',
        plan: plan.name,
        worker: n.worker,
        ...fields,
      });
    }
  }

  /** Which workers have a message waiting that resumes their agent. */
  private async readQueues(): Promise<void> {
    for (const w of this.workers) {
      if (!w.selected) continue;
      const queued = await readQueuedMessages(
        this.input.commonDir,
        this.input.plan.name,
        w.worker.id,
      );
      // pw's own news (a path refused twice, say) does not take a worker past --retries.
      w.messages = hasWakingMessage(queued, w.git?.state === 'complete', w.phase.kind === 'failed');
    }
  }

  /**
   * Messages a `pw run` that died was delivering: those an attempt of the
   * record carries were delivered (never twice); the others are queued again.
   */
  async recoverMessages(): Promise<void> {
    for (const w of this.workers) {
      await recoverDeliveringMessages(
        this.input.commonDir,
        this.input.plan.name,
        w.worker.id,
        (id) => {
          const attempt = w.record.attempts.find((a) => a.messages?.includes(id));
          return attempt ? { attempt: attempt.n, at: attempt.startedAt } : null;
        },
      );
    }
  }

  /** Resumes a worker's session with its queued messages as the prompt. */
  private async deliver(w: WorkerRuntime): Promise<void> {
    const { commonDir, plan } = this.input;
    // An attach holds the worktree: the messages stay queued until it ends.
    await this.readAttached();
    if (this.attached.has(w.worker.id)) return this.start(w);
    const messages = await claimQueuedMessages(commonDir, plan.name, w.worker.id);
    if (messages.length === 0) return;
    await this.start(w, messages);
  }

  /**
   * Whether a ref moving can change a decision by itself: only when a waiting
   * worker depends on one this run will not start (not selected, blocked,
   * failed, skipped or attached: a person may complete it). A running
   * agent's own commits are read when it exits, or at its idle deadline, and
   * one this run will start is started after an exit or at a deadline, so
   * neither needs a status read of its own (on a busy run most ref moves are
   * agents' commits, and a read then takes CPU from the agents).
   */
  private waitsOnOthers(): boolean {
    return this.workers.some(
      (w) =>
        w.selected &&
        w.phase.kind === 'waiting' &&
        w.worker.dependsOn.some((d) => {
          const dep = this.byId(d);
          if (dep.proc !== null || dep.phase.kind === 'complete') return false;
          return !dep.selected || (dep.phase.kind !== 'waiting' && dep.phase.kind !== 'retry');
        }),
    );
  }

  /** The live `pw attach` markers; a stale one (its process gone) is ignored and said so, once. */
  private async readAttached(): Promise<void> {
    const { live, stale } = await readAttachMarkers(this.input.commonDir, this.input.plan.name);
    this.attached = new Map([...live].map(([id, marker]) => [id, marker.pid]));
    // A person in the worktree may leave changes there: read again once they are gone.
    for (const w of this.workers) if (this.attached.has(w.worker.id)) w.leftBehindReadAt = null;
    for (const marker of stale) {
      const key = `${marker.worker}:${marker.pid}:${marker.startedAt}`;
      if (this.staleAttachSeen.has(key)) continue;
      this.staleAttachSeen.add(key);
      this.event('worker-attach-stale', marker.worker, {
        pid: marker.pid,
        since: marker.startedAt,
      });
    }
  }

  /**
   * An attach ends without a ref moving: while a worker is attached, its
   * marker is looked at each second (a directory read, not a status read),
   * and the engine wakes when it is gone or its process is.
   */
  private watchAttachEnds(): void {
    const any = this.workers.some((w) => w.phase.kind === 'attached');
    if (!any) {
      if (this.attachWatch) clearInterval(this.attachWatch);
      this.attachWatch = null;
      return;
    }
    if (this.attachWatch) return;
    let busy = false;
    this.attachWatch = setInterval(() => {
      if (busy) return;
      busy = true;
      void readAttachMarkers(this.input.commonDir, this.input.plan.name)
        .then(({ live }) => {
          if (this.workers.some((w) => w.phase.kind === 'attached' && !live.has(w.worker.id)))
            this.wake();
        })
        .catch(() => this.wake())
        .finally(() => {
          busy = false;
        });
    }, 1000);
  }

  private byId(id: string): WorkerRuntime {
    return this.workers.find((w) => w.worker.id === id)!;
  }

  private setPhase(w: WorkerRuntime, phase: RunPhase): void {
    w.phase = phase;
    w.record.phase = phase.kind;
    w.record.reason = 'reason' in phase ? phase.reason : null;
    w.record.retryAt =
      phase.kind === 'retry' ? new Date(this.wallAt(phase.at)).toISOString() : null;
  }

  private wallAt(monotonic: number): number {
    return this.input.clock.wall().getTime() + (monotonic - this.input.clock.now());
  }

  /** The earliest moment this running attempt must be looked at again: its total or idle timeout. */
  private deadlineOf(w: WorkerRuntime): number | null {
    const { timeoutMs, idleTimeoutMs } = this.input.settings;
    // A start in progress has no agent to time yet (its times are the last attempt's); an
    // agent being stopped has its kill timer, and its exit wakes the loop.
    if (w.proc === null || w.stoppedFor) return null;
    const times: number[] = [];
    if (timeoutMs !== null) times.push(w.attemptStartedAt + timeoutMs);
    if (idleTimeoutMs !== null) times.push(this.lastActivity(w) + idleTimeoutMs);
    return times.length ? Math.min(...times) : null;
  }

  /**
   * Whether a running agent is at its idle deadline by what the engine knows
   * (its output, its commits, the file changes read last): only then can its
   * worktree's file changes decide anything, so only then is it read.
   */
  private mayBeIdle(w: WorkerRuntime, now: number): boolean {
    const { idleTimeoutMs } = this.input.settings;
    if (w.proc === null || w.stoppedFor || idleTimeoutMs === null) return false;
    return now >= this.lastActivity(w) + idleTimeoutMs;
  }

  /** The latest output, commit or file change of a running worker, on the engine's clock. */
  private lastActivity(w: WorkerRuntime): number {
    const wallNow = this.input.clock.wall().getTime();
    const toMono = (wall: number): number => (wall ? this.input.clock.now() - (wallNow - wall) : 0);
    const commitAt = w.git?.lastCommit?.time;
    return Math.max(
      w.attemptStartedAt,
      w.lastOutputAt,
      toMono(commitAt ? Date.parse(commitAt) : 0),
      toMono(w.lastEditAt),
    );
  }

  private checkTimeouts(now: number): void {
    const { timeoutMs, idleTimeoutMs, killGraceMs } = this.input.settings;
    for (const w of this.workers) {
      if (!w.proc || w.stoppedFor) continue;
      let reason: 'timeout' | 'idle' | null = null;
      if (timeoutMs !== null && now >= w.attemptStartedAt + timeoutMs) reason = 'timeout';
      else if (idleTimeoutMs !== null && now >= this.lastActivity(w) + idleTimeoutMs)
        reason = 'idle';
      if (!reason) continue;
      w.stoppedFor = reason;
      this.event('worker-stopping', w.worker.id, { reason, pid: w.proc.pid });
      const proc = w.proc;
      proc.signal('SIGINT');
      const timer = setTimeout(() => proc.signal('SIGKILL'), killGraceMs);
      void proc.exited.then(() => clearTimeout(timer));
    }
  }

  private async start(w: WorkerRuntime, messages: readonly QueuedMessage[] = []): Promise<void> {
    const { plan, env, clock } = this.input;
    const id = w.worker.id;
    // The providers' COMPLETE tips as the step that started it saw them.
    const tips = this.providerTips(w);
    // A merge made while the worker waited for a slot ends first (it leaves only what came since).
    if (w.premerge) await w.premerge;
    await this.readAttached();
    const attachedBy = this.attached.get(id);
    if (attachedBy !== undefined || this.stopping()) {
      if (attachedBy !== undefined) {
        this.setPhase(w, { kind: 'attached', pid: attachedBy });
        this.event('worker-attached', id, { pid: attachedBy });
      }
      // Claimed for this start, carried by no attempt: back in the queue.
      if (messages.length) await this.recoverMessages();
      return;
    }
    if (!(await isDirectory(w.worker.worktree))) {
      // Deleted by hand: nothing to start the agent in. The run goes on with the others.
      const reason = `its worktree ${w.worker.worktree} is missing: if it was deleted, git worktree prune forgets it (its branch and commits stay), then pw setup ${plan.name} creates it again`;
      this.setPhase(w, { kind: 'failed', category: 'permanent', reason });
      this.event('worker-failed', id, { category: 'permanent', reason });
      if (messages.length) await this.recoverMessages();
      return;
    }
    const fresh = w.record.attempts.length === 0 && messages.length === 0;
    if (fresh) {
      const failure = await this.mergeProviders(w, tips);
      if (failure) {
        this.setPhase(w, { kind: 'failed', category: 'merge', reason: failure });
        this.event('worker-failed', id, { category: 'merge', reason: failure });
        return;
      }
      // Ctrl-C (or a failed start) while the merges ran: the agent is not started.
      if (this.stopping()) return;
    }
    const n = w.record.attempts.length + 1;
    const resume = !fresh;
    if (!w.record.sessionId && sessionIdSource(w.spec.kind) === 'pw')
      w.record.sessionId = (this.input.newSessionId ?? randomUUID)();
    const prompt = messages.length
      ? messagePrompt({ worker: id, plan: plan.name, messages })
      : resume
        ? continuationPrompt({
            worker: id,
            plan: plan.name,
            lastCommit: w.git?.lastCommit
              ? { sha: w.git.lastCommit.sha, header: w.git.lastCommit.header }
              : null,
            reason: w.record.attempts.at(-1)?.category ?? 'it stopped',
            strayStaged: await this.strayStaged(w),
          })
        : await readFile(join(w.worker.worktree, BRIEF_FILE), 'utf8').catch(() => w.worker.task);
    const paths = runPaths(this.input.commonDir, plan.name);
    const invocation = buildInvocation(w.spec, {
      prompt,
      worktree: w.worker.worktree,
      sessionId: w.record.sessionId,
      resume: resume && w.record.sessionId !== null,
      promptFilePath: paths.prompt(id, n),
    });
    if (invocation.promptFile)
      await writePromptFile(invocation.promptFile.path, invocation.promptFile.content);
    const logPath = paths.log(id, n);
    const log = await openLog(logPath);
    const attempt: AttemptRecord = {
      n,
      startedAt: clock.wall().toISOString(),
      endedAt: null,
      resume,
      exitCode: null,
      signal: null,
      category: null,
      inputTokens: null,
      outputTokens: null,
      costUsd: null,
      log: logPath,
      // Where this attempt's commits begin, for pw logs.
      tipAtStart: await readBranchTip(this.input.commonDir, w.worker.worktree, w.worker.branch),
      ...(messages.length ? { messages: messages.map((m) => m.id) } : {}),
    };
    w.attempt = attempt;
    // Recorded before the agent starts: a run that dies now never delivers these twice.
    if (messages.length) {
      w.record.attempts.push(attempt);
      await this.save();
    }
    w.outputTail = '';
    w.stoppedFor = null;
    w.resultIsError = null;
    w.exit = null;
    w.tool = null;
    w.attemptStartedAt = clock.now();
    w.lastOutputAt = clock.now();
    w.lastEditAt = 0;
    const mask = (text: string): string => maskSecrets(text, env);
    log.write(
      `# pw run ${plan.name}/${id} attempt ${n} at ${attempt.startedAt}\n# argv: ${mask(JSON.stringify(invocation.argv))}\n`,
    );
    const proc = await spawnAgent({
      argv: invocation.argv,
      cwd: w.worker.worktree,
      env: {
        ...env,
        PW_PLAN: plan.name,
        PW_WORKER: id,
        PW_WORKTREE: w.worker.worktree,
        PW_BRIEF: join(w.worker.worktree, BRIEF_FILE),
        PW_RUN_ATTEMPT: String(n),
      },
      stdin: invocation.stdin,
      onOutput: (chunk) => {
        w.lastOutputAt = clock.now();
        log.write(mask(chunk));
        w.outputTail = (w.outputTail + chunk).slice(-TAIL);
      },
      onLine: (line) => {
        for (const signal of parseAgentLine(w.spec.kind, line)) {
          if (signal.type === 'session' && signal.id !== w.record.sessionId) {
            w.record.sessionId = signal.id;
            void this.save();
          } else if (signal.type === 'tool') {
            w.tool = `${signal.name}${signal.detail ? ` ${signal.detail}` : ''}`;
            this.event('agent-tool', id, {
              tool: signal.name,
              detail: mask(signal.detail).slice(0, 200),
            });
          } else if (signal.type === 'result') {
            w.resultIsError = signal.isError;
            attempt.inputTokens = signal.inputTokens;
            attempt.outputTokens = signal.outputTokens;
            attempt.costUsd = signal.costUsd;
          } else if (signal.type === 'usage') {
            attempt.inputTokens = (attempt.inputTokens ?? 0) + (signal.inputTokens ?? 0);
            attempt.outputTokens = (attempt.outputTokens ?? 0) + (signal.outputTokens ?? 0);
          }
        }
      },
    });
    // Any other attempt is recorded with its agent's pid, in one step: a record written
    // meanwhile (the loop saves while a start runs) never holds it without the pid.
    if (!messages.length) w.record.attempts.push(attempt);
    w.proc = proc;
    w.record.pid = proc.pid;
    w.record.pidStartTime = proc.startTime;
    this.setPhase(w, { kind: 'running', attempt: n });
    await this.save();
    this.event('worker-started', id, {
      attempt: n,
      resume,
      pid: proc.pid,
      argv: invocation.argv.map((arg) =>
        arg === prompt
          ? `<${messages.length ? 'message' : resume ? 'prompt' : 'brief'}>`
          : mask(arg),
      ),
      ...(messages.length ? { messages: messages.map((m) => m.id) } : {}),
      log: logPath,
    });
    if (messages.length) {
      await markMessagesDelivered(this.input.commonDir, plan.name, id, messages, n, clock.wall());
      for (const m of messages) {
        const fields = { message: m.id, source: m.source, reason: m.reason, attempt: n };
        this.event('message-delivered', id, fields);
        await appendEvent(this.input.commonDir, {
          time: clock.wall().toISOString(),
          type: 'message-delivered',
          plan: plan.name,
          worker: id,
          ...fields,
        }).catch(() => undefined);
      }
    }
    w.done = proc.exited.then(async (exit) => {
      attempt.endedAt = clock.wall().toISOString();
      await log.close();
      w.exit = exit;
      this.wake();
    });
    // A pw attach that came between the check above and the recorded pid wins: this agent stops.
    await this.readAttached();
    if (this.attached.has(id)) {
      this.event('worker-stopping', id, { reason: 'attached', pid: proc.pid });
      proc.signal('SIGINT');
      const timer = setTimeout(() => proc.signal('SIGKILL'), this.input.settings.killGraceMs);
      void proc.exited.then(() => clearTimeout(timer));
    }
  }

  /**
   * Merges each dependency's COMPLETE tip into the worker's branch, in its
   * worktree (a tip already there is skipped). Returns why a merge failed, or
   * null.
   */
  private async mergeProviders(
    w: WorkerRuntime,
    tips: ReadonlyMap<string, string>,
  ): Promise<string | null> {
    for (const providerId of w.worker.dependsOn) {
      const provider = this.byId(providerId);
      const sha = tips.get(providerId);
      if (!sha) continue;
      const merged = await mergeProviderTip(
        w.worker.worktree,
        { id: providerId, branch: provider.worker.branch, sha },
        { branch: w.worker.branch, commonDir: this.input.commonDir },
        this.input.env,
      );
      if (merged.kind === 'failed') {
        // Git's lines, on one: the reason is one line of the run's output.
        const said = merged.message
          .split('\n')
          .map((line) => line.trim())
          .filter(Boolean)
          .join(' ');
        return `merging ${providerId}'s COMPLETE tip failed in ${w.worker.worktree}: ${said}. Move or commit what is in the way there, then run pw run ${this.input.plan.name} again`;
      }
      if (merged.kind === 'merged')
        this.event('worker-merged', w.worker.id, {
          provider: providerId,
          providerCommit: sha,
          commit: merged.commit,
        });
    }
    return null;
  }

  /**
   * A worker whose dependencies are COMPLETE but that waits for a slot has
   * their tips merged meanwhile, one worker at a time and only while no start
   * is in progress, so its start is the spawn alone. What it merges is what
   * its start would merge; a merge that fails is left to the start, which
   * tries again and records the failure.
   */
  private premergeNext(): void {
    if (this.stopping() || this.input.deliverOnly) return;
    if (this.workers.some((w) => w.starting !== null || w.premerge !== null)) return;
    for (const id of this.queued) {
      const w = this.byId(id);
      if (w.record.attempts.length > 0 || w.messages || this.attached.has(id)) continue;
      const tips = this.providerTips(w);
      const key = [...tips.values()].join(' ');
      if (w.premergedTips === key) continue;
      w.premergedTips = key;
      w.premerge = (async () => {
        // An attach that began since the step holds the worktree: no merge into it.
        await this.readAttached();
        if (this.attached.has(id) || this.stopping()) return;
        await this.mergeProviders(w, tips);
      })()
        .catch(() => undefined)
        .finally(() => {
          w.premerge = null;
          this.premergeNext();
          this.checkLeftBehindNext();
        });
      return;
    }
  }

  /** The COMPLETE tip of each of a worker's dependencies, as the last status read saw it. */
  private providerTips(w: WorkerRuntime): Map<string, string> {
    const tips = new Map<string, string>();
    for (const d of w.worker.dependsOn) {
      const provider = this.byId(d);
      const sha = provider.git?.tip?.sha;
      if (sha && provider.git?.state === 'complete') tips.set(d, sha);
    }
    return tips;
  }

  /**
   * The paths the hooks refused to a worker since `since` (its attempt's
   * start), with their owners, from the events log: what the end of the
   * agent's output often leaves out. Null when there are none.
   */
  private async refusedPaths(worker: string, since: string | null): Promise<string | null> {
    const events = await readEvents(this.input.commonDir, this.input.plan.name).catch(() => []);
    const recent = events.filter((e) => since === null || (e.time ?? '') >= since);
    const refused = parseScopeRefusals(recent).filter((r) => r.worker === worker);
    // A path refused twice (two tries of one commit) is named once.
    return describeOwned(
      refused.filter((r, i) => refused.findIndex((o) => o.path === r.path) === i),
    );
  }

  /**
   * Staged paths in the worker's worktree that it does not own, with their
   * owners: left from a commit the hooks refused, they make every later
   * commit fail too, until the agent unstages them.
   */
  private async strayStaged(w: WorkerRuntime): Promise<OwnedPath[]> {
    // A merge in progress (of a provider's branch, as pw's own messages advise) stages the
    // provider's files, and the hooks accept its commit: nothing stray to name then.
    const gitDir = readGitDir(w.worker.worktree);
    if (gitDir === null || (await readMergeHeads(gitDir, {})).length) return [];
    let paths: string[];
    try {
      paths = await readStagedPathsOutside(
        w.worker.worktree,
        scopeExcludePathspecs(w.worker.owns),
        'HEAD',
      );
    } catch {
      // No worktree, or no HEAD to compare with: nothing to name.
      return [];
    }
    return ownersOfPaths(paths, this.input.plan.workers);
  }

  /** Ctrl-C, or a start that failed: nothing more is started. */
  private stopping(): boolean {
    return this.interrupted || this.startFailure !== null;
  }

  /** An agent exited: git decides whether it is done; otherwise classify and retry or give up. */
  private async settleExit(w: WorkerRuntime): Promise<void> {
    const exit = w.exit!;
    w.exit = null;
    w.proc = null;
    w.record.pid = null;
    w.record.pidStartTime = null;
    w.tool = null;
    const id = w.worker.id;
    const attempt = w.attempt;
    const state = w.git?.state ?? 'pending';
    if (attempt) {
      attempt.endedAt ??= this.input.clock.wall().toISOString();
      attempt.exitCode = exit.exitCode;
      attempt.signal = exit.signal;
    }
    this.event('worker-exited', id, {
      attempt: attempt?.n ?? null,
      exitCode: exit.exitCode,
      signal: exit.signal,
      state,
    });
    if (state === 'complete') {
      if (attempt) attempt.category = 'complete';
      this.setPhase(w, { kind: 'complete' });
      this.event('worker-complete', id, {
        commit: w.git?.tip?.sha ?? null,
        attempts: w.record.attempts.length,
      });
      return;
    }
    if (this.attached.has(id)) {
      // Stopped for pw attach --take-over: not a failure, and not restarted while attached.
      if (attempt) attempt.category = 'interrupted';
      this.setPhase(w, { kind: 'attached', pid: this.attached.get(id)! });
      this.event('worker-attached', id, { pid: this.attached.get(id)! });
      return;
    }
    if (this.interrupted && w.stoppedFor === 'interrupt') {
      if (attempt) attempt.category = 'interrupted';
      this.setPhase(w, { kind: 'waiting' });
      return;
    }
    if (state === 'blocked') {
      if (attempt) attempt.category = 'blocked';
      const reason = w.git?.blocked?.reason ?? 'blocked';
      this.setPhase(w, { kind: 'blocked', reason });
      this.event('worker-blocked', id, { reason });
      return;
    }
    const category: FailureCategory = classifyFailure({
      exitCode: exit.exitCode,
      signal: exit.signal,
      outputTail: w.outputTail,
      stoppedFor: w.stoppedFor === 'interrupt' ? null : w.stoppedFor,
      resultIsError: w.resultIsError,
    });
    if (attempt) attempt.category = category;
    if (this.input.deliverOnly) {
      // Delivering only: the answer to the message is the agent's turn; no retry.
      this.setPhase(w, { kind: 'waiting' });
      return;
    }
    if (category === 'idle') w.record.idleStops++;
    const decision = planRetry({
      category,
      countedFailures:
        w.record.countedFailures + (category === 'idle' && w.record.idleStops <= 1 ? 0 : 1),
      idleStops: w.record.idleStops,
      retries: this.input.settings.retries,
      backoffMs: this.input.settings.backoffMs,
      random: this.input.random,
    });
    if (decision.retry) {
      if (decision.counted) w.record.countedFailures++;
      const at = this.input.clock.now() + decision.delayMs;
      this.setPhase(w, { kind: 'retry', at, attempt: w.record.attempts.length + 1 });
      this.event('worker-retry', id, {
        category,
        delayMs: decision.delayMs,
        nextAttempt: w.record.attempts.length + 1,
        retryAt: w.record.retryAt,
      });
    } else {
      w.record.countedFailures++;
      const tail = maskSecrets(w.outputTail, this.input.env)
        .trim()
        .split('\n')
        .slice(-3)
        .join(' | ');
      const refused = await this.refusedPaths(id, attempt?.startedAt ?? null);
      const stray = describeOwned(await this.strayStaged(w));
      const reason = `${category}: ${decision.reason}${refused ? `; the hooks refused ${refused}` : ''}${stray ? `; still staged in its worktree, not its own: ${stray}` : ''}${tail ? ` (last output: ${tail.slice(0, 300)})` : ''}`;
      this.setPhase(w, { kind: 'failed', category, reason });
      this.event('worker-failed', id, { category, reason });
    }
  }

  /** Ctrl-C: SIGINT to every agent's process group, a grace period, then SIGKILL. Nothing is removed. */
  private async stopAll(): Promise<string[]> {
    const running = this.workers.filter((w) => w.proc);
    const names = running.map((w) => w.worker.id);
    for (const w of running) {
      w.stoppedFor = 'interrupt';
      this.event('worker-stopping', w.worker.id, { reason: 'interrupted', pid: w.proc!.pid });
      w.proc!.signal('SIGINT');
    }
    const all = Promise.all(running.map((w) => w.done));
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'grace'>((resolve) => {
      timer = setTimeout(() => resolve('grace'), this.input.settings.killGraceMs);
    });
    if ((await Promise.race([all, grace])) === 'grace') {
      for (const w of running) w.proc?.signal('SIGKILL');
      await all;
    }
    clearTimeout(timer);
    const exited = running.filter((w) => w.exit);
    await this.readStatus().catch(() => null);
    for (const w of exited) await this.settleExit(w);
    return names;
  }
}

interface OwnedPath {
  path: string;
  owner: string | null;
}

/** `a.ts (api's), b.ts (nobody owns it)`, five at most; null for none. */
function describeOwned(paths: readonly OwnedPath[]): string | null {
  if (!paths.length) return null;
  const named = paths
    .slice(0, 5)
    .map((r) => `${r.path} (${r.owner ? `${r.owner}'s` : 'nobody owns it'})`);
  return `${named.join(', ')}${paths.length > 5 ? ` and ${paths.length - 5} more` : ''}`;
}
