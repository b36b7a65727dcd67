import type { FailureCategory } from './classify-failure.js';

/** What git says of a worker (from the status module; stalled counts as working here). */
export type GitWorkerState = 'pending' | 'working' | 'blocked' | 'complete' | 'stalled';

/** What the run knows of a worker beyond git. */
export type RunPhase =
  | { kind: 'waiting' }
  | { kind: 'running'; attempt: number }
  | { kind: 'retry'; at: number; attempt: number }
  | { kind: 'complete' }
  | { kind: 'blocked'; reason: string }
  | { kind: 'failed'; category: FailureCategory; reason: string }
  | { kind: 'skipped'; reason: string }
  /** Someone has the worker's agent open interactively (`pw attach`, pid of that pw): not started meanwhile. */
  | { kind: 'attached'; pid: number };

export interface StepWorker {
  id: string;
  dependsOn: readonly string[];
  git: GitWorkerState;
  blockedReason: string | null;
  phase: RunPhase;
  /** In this run (`--only`); workers outside it are never started. */
  selected: boolean;
  group: string | null;
  /** A live `pw attach` holds the worker's worktree (its pid), or null. */
  attachedBy?: number | null;
  /** A message that resumes the agent is queued for it (pw send, pw broadcast, run.autoNotify). */
  messages?: boolean;
  /** An agent of this worker ran before: there is a session to resume with the messages. */
  hasSession?: boolean;
}

export interface StepInput {
  /** In plan order: ties are broken by it. */
  workers: readonly StepWorker[];
  maxWorkers: number | null;
  concurrencyLimits: Readonly<Record<string, number>>;
  now: number;
  /**
   * `pw send` to a worker no run serves: only deliver messages; start no
   * agent for any other reason, retry none.
   */
  deliverOnly?: boolean;
}

export interface StepStart {
  id: string;
  /** Dependencies whose COMPLETE tip must be merged into the worker's branch first. */
  providers: string[];
  /** 1 for a first start, more for a retry. */
  attempt: number;
}

export interface StepDecision {
  start: StepStart[];
  /**
   * Resume these workers' sessions with their queued messages: the agent is
   * not running, whatever the phase (a BLOCKED worker answered, a COMPLETE
   * one reopened), before any continuation prompt.
   */
  deliver: string[];
  /** Skipped workers whose dependencies can complete again (one was resumed by a message): waiting again. */
  unskip: string[];
  /** Git says COMPLETE (or BLOCKED) now: the phase to record. */
  settle: { id: string; phase: RunPhase }[];
  skip: { id: string; reason: string }[];
  /** When a retry is due (the earliest), to wake up then. */
  wakeAt: number | null;
  /** Null while something can still make progress. */
  finished: null | { allComplete: boolean };
  /** Workers waiting only because of the limits, for the view. */
  queued: string[];
}

const FINAL = new Set(['complete', 'blocked', 'failed', 'skipped']);

/**
 * One scheduling step, pure: settles workers git says are done or blocked,
 * skips (transitively) the dependents of workers that cannot complete in this
 * run, and starts what is ready (every dependency COMPLETE) within
 * `maxWorkers` and the concurrency-group limits, in plan order.
 */
export function planRunStep(input: StepInput): StepDecision {
  const phases = new Map(input.workers.map((w) => [w.id, w.phase] as const));
  const settle: StepDecision['settle'] = [];
  const set = (id: string, phase: RunPhase): void => {
    phases.set(id, phase);
    settle.push({ id, phase });
  };
  // Git first: a branch that says COMPLETE is done, whatever the process did.
  for (const w of input.workers) {
    const phase = phases.get(w.id)!;
    if (phase.kind === 'running') continue;
    if (w.git === 'complete' && phase.kind !== 'complete') set(w.id, { kind: 'complete' });
    else if (
      w.selected &&
      w.git === 'blocked' &&
      (phase.kind === 'waiting' || phase.kind === 'retry')
    )
      set(w.id, { kind: 'blocked', reason: w.blockedReason ?? 'blocked' });
  }
  // One live agent per worktree: an attached worker is not started until the attach ends.
  for (const w of input.workers) {
    const phase = phases.get(w.id)!;
    const by = w.attachedBy ?? null;
    if (by !== null && (phase.kind === 'waiting' || phase.kind === 'retry'))
      set(w.id, { kind: 'attached', pid: by });
    else if (by !== null && phase.kind === 'attached' && phase.pid !== by)
      set(w.id, { kind: 'attached', pid: by });
    else if (by === null && phase.kind === 'attached') set(w.id, { kind: 'waiting' });
  }
  const byId = new Map(input.workers.map((w) => [w.id, w]));
  const isComplete = (id: string): boolean => phases.get(id)?.kind === 'complete';
  // A dependency that can no longer complete in this run: failed, blocked, skipped, or not in it.
  const deadEnd = (id: string): string | null => {
    const dep = byId.get(id);
    if (!dep) return null;
    const phase = phases.get(id)!;
    if (phase.kind === 'failed') return `dependency ${id} failed`;
    if (phase.kind === 'blocked') return `dependency ${id} is blocked`;
    if (phase.kind === 'skipped') return `dependency ${id} was skipped`;
    if (!dep.selected && phase.kind !== 'complete')
      return `dependency ${id} is not complete and not part of this run`;
    return null;
  };
  // Messages first: a person (or pw) asked for this turn; they count against the limits.
  const deliver: string[] = [];
  for (const w of input.workers) {
    const phase = phases.get(w.id)!;
    if (!w.selected || !w.messages || !w.hasSession || phase.kind === 'running') continue;
    // One live agent per worktree: messages to an attached worker wait for the attach to end.
    if (phase.kind === 'attached' || (w.attachedBy ?? null) !== null) continue;
    deliver.push(w.id);
    phases.set(w.id, { kind: 'running', attempt: 0 });
  }

  // A dependency answered (a BLOCKED worker resumed by a message): its skipped dependents wait again.
  const unskip: string[] = [];
  for (const w of input.workers) {
    if (!w.selected || phases.get(w.id)!.kind !== 'skipped') continue;
    if (w.dependsOn.every((d) => deadEnd(d) === null)) {
      phases.set(w.id, { kind: 'waiting' });
      unskip.push(w.id);
    }
  }
  const skip: StepDecision['skip'] = [];
  // Plan order is not dependency order: repeat until nothing changes (bounded by the worker count).
  for (let round = 0; !input.deliverOnly && round <= input.workers.length; round++) {
    let changed = false;
    for (const w of input.workers) {
      if (!w.selected || phases.get(w.id)!.kind !== 'waiting') continue;
      const reason = w.dependsOn.map(deadEnd).find((r) => r !== null);
      if (reason) {
        phases.set(w.id, { kind: 'skipped', reason });
        skip.push({ id: w.id, reason });
        changed = true;
      }
    }
    if (!changed) break;
  }

  const selected = input.workers.filter((w) => w.selected);
  let running = 0;
  const groupRunning = new Map<string, number>();
  for (const w of input.workers) {
    if (phases.get(w.id)!.kind !== 'running') continue;
    running++;
    if (w.group) groupRunning.set(w.group, (groupRunning.get(w.group) ?? 0) + 1);
  }
  const start: StepStart[] = [];
  const queued: string[] = [];
  let wakeAt: number | null = null;
  for (const w of input.workers) {
    if (!w.selected) continue;
    const phase = phases.get(w.id)!;
    if (phase.kind === 'retry' && phase.at > input.now) {
      wakeAt = wakeAt === null ? phase.at : Math.min(wakeAt, phase.at);
      continue;
    }
    if (phase.kind !== 'waiting' && phase.kind !== 'retry') continue;
    if (input.deliverOnly) continue;
    if (!w.dependsOn.every(isComplete)) continue;
    const limit = w.group ? input.concurrencyLimits[w.group] : undefined;
    if (
      (input.maxWorkers !== null && running >= input.maxWorkers) ||
      (w.group && limit !== undefined && (groupRunning.get(w.group) ?? 0) >= limit)
    ) {
      queued.push(w.id);
      continue;
    }
    const attempt = phase.kind === 'retry' ? phase.attempt : 1;
    start.push({ id: w.id, providers: [...w.dependsOn], attempt });
    phases.set(w.id, { kind: 'running', attempt });
    running++;
    if (w.group) groupRunning.set(w.group, (groupRunning.get(w.group) ?? 0) + 1);
  }

  const active = input.deliverOnly
    ? // Messages held back by an attach go once it ends.
      running > 0 || selected.some((w) => w.messages && (w.attachedBy ?? null) !== null)
    : selected.some((w) => !FINAL.has(phases.get(w.id)!.kind));
  const attached = selected.some(
    (w) =>
      phases.get(w.id)!.kind === 'attached' ||
      (input.deliverOnly && w.messages && (w.attachedBy ?? null) !== null),
  );
  const progressPossible =
    running > 0 || wakeAt !== null || start.length > 0 || queued.length > 0 || attached;
  const finished =
    !active || !progressPossible
      ? { allComplete: selected.every((w) => phases.get(w.id)!.kind === 'complete') }
      : null;
  return { start, deliver, unskip, settle, skip, wakeAt, finished, queued };
}
