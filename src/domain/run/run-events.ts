/**
 * What `pw run` reports as it goes: one object per change. `--json` prints
 * them as NDJSON (the family of `pw status --events`: time, type, plan,
 * worker); the plain and live views are rendered from them.
 */
export interface RunEvent {
  time: string;
  type:
    | 'run-started'
    | 'setup'
    | 'worker-merged'
    | 'worker-started'
    | 'worker-adopted'
    | 'agent-tool'
    | 'worker-exited'
    | 'worker-retry'
    | 'worker-complete'
    | 'worker-blocked'
    | 'worker-failed'
    | 'worker-skipped'
    | 'worker-waiting'
    | 'worker-stopping'
    | 'worker-attached'
    | 'worker-detached'
    | 'worker-attach-stale'
    | 'worker-uncommitted'
    /** A worker ended COMPLETE with messages it never got (a message never reopens it). */
    | 'messages-held'
    | 'message-queued'
    | 'message-delivered'
    | 'notify-failed'
    | 'run-interrupted'
    | 'run-finished'
    /** With --json, the error that ended the run or kept it from starting (last line). */
    | 'run-error'
    | 'integrate';
  plan: string;
  worker?: string;
  [key: string]: unknown;
}
