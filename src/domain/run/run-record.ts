import type { FailureCategory } from './classify-failure.js';

/**
 * The run record, `<common-dir>/pw/<plan>/run.json`: what git cannot say
 * (session ids, live pids with their start times, attempts). Deleting it
 * loses no work, only the agents' memory of their sessions.
 */
export interface RunRecord {
  version: 1;
  runId: string;
  plan: string;
  startedAt: string;
  updatedAt: string;
  workers: Record<string, WorkerRunRecord>;
}

export interface AttemptRecord {
  n: number;
  startedAt: string;
  endedAt: string | null;
  resume: boolean;
  exitCode: number | null;
  signal: string | null;
  category: FailureCategory | 'complete' | 'blocked' | 'interrupted' | null;
  inputTokens: number | null;
  outputTokens: number | null;
  costUsd: number | null;
  log: string;
  /** The worker branch's commit when the attempt started (absent in records of older runs). */
  tipAtStart?: string | null;
  /** The queued messages (ids) this attempt's prompt delivered (pw send, pw broadcast, run.autoNotify). */
  messages?: string[];
}

export interface WorkerRunRecord {
  agent: string;
  sessionId: string | null;
  /** The live agent, while one runs. */
  pid: number | null;
  pidStartTime: string | null;
  worktree: string;
  attempts: AttemptRecord[];
  /** When a retry is due (ISO), while one is scheduled. */
  retryAt: string | null;
  /** The run's verdict so far: running, waiting, retry, complete, blocked, failed, skipped. */
  phase: string;
  reason: string | null;
  idleStops: number;
  countedFailures: number;
}
