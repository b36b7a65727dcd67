/**
 * Why an attempt ended without COMPLETE, which decides whether and when it is
 * retried (see planRetry).
 */
export type FailureCategory =
  | 'permanent'
  | 'rate-limited'
  | 'timeout'
  | 'idle'
  | 'transient'
  /** The agent exited 0 but its branch does not say COMPLETE: resumed with a continuation prompt. */
  | 'incomplete'
  /** Merging a provider's work into the worker's branch failed. */
  | 'merge';

export interface AttemptEnd {
  exitCode: number | null;
  signal: string | null;
  /** The end of the agent's output (stdout and stderr), for the patterns below. */
  outputTail: string;
  /** pw stopped it: the total or the idle timeout. */
  stoppedFor: 'timeout' | 'idle' | null;
  /** The agent's own final verdict, when its stream says (Claude Code's `result.is_error`). */
  resultIsError?: boolean | null;
}

const PERMANENT = [
  /authentication[_ ]error/i,
  /invalid (x-)?api[ _-]?key/i,
  /invalid[_ ]key/i,
  /unauthori[sz]ed/i,
  /\b401\b/,
  /no credit|credit balance|insufficient[_ ]credit|billing/i,
  /insufficient_quota/i,
  /permission denied/i,
];
const RATE_LIMITED = [
  /\b429\b/,
  /\b529\b/,
  /rate[_ -]?limit/i,
  /quota/i,
  /overloaded/i,
  /too many requests/i,
];

/** Classifies an attempt that ended without COMPLETE. Pure: same input, same answer. */
export function classifyFailure(end: AttemptEnd): FailureCategory {
  if (end.stoppedFor === 'timeout') return 'timeout';
  if (end.stoppedFor === 'idle') return 'idle';
  // The shell's "cannot execute" and "not found": starting it again will not help.
  if (end.exitCode === 126 || end.exitCode === 127) return 'permanent';
  if (PERMANENT.some((pattern) => pattern.test(end.outputTail))) return 'permanent';
  if (RATE_LIMITED.some((pattern) => pattern.test(end.outputTail))) return 'rate-limited';
  if (end.exitCode === 0 && !end.resultIsError) return 'incomplete';
  return 'transient';
}
