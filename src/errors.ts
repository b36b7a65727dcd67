/**
 * Typed errors. Every error the tool raises on purpose carries its exit code
 * (DESIGN.md section 6); only src/cli/ turns it into a process exit.
 */
export const ExitCode = {
  ok: 0,
  /** The thing asked for did not happen: violation, conflict, verify failed, worker blocked. */
  failed: 1,
  /** Bad usage, config or plan. */
  usage: 2,
  /** Environment: not a git repository, git too old, a binary missing. */
  environment: 3,
  /** `pw wait --timeout` ran out. */
  timeout: 124,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class PwError extends Error {
  readonly exitCode: ExitCodeValue;
  /** Extra lines shown under the message: each problem, each path. */
  readonly details: readonly string[];

  constructor(message: string, exitCode: ExitCodeValue, details: readonly string[] = []) {
    super(message);
    this.name = 'PwError';
    this.exitCode = exitCode;
    this.details = details;
  }
}

/** Bad usage, config or plan (exit 2). */
export class UsageError extends PwError {
  constructor(message: string, details: readonly string[] = []) {
    super(message, ExitCode.usage, details);
    this.name = 'UsageError';
  }
}

/** The environment cannot run the tool (exit 3). */
export class EnvironmentError extends PwError {
  constructor(message: string, details: readonly string[] = []) {
    super(message, ExitCode.environment, details);
    this.name = 'EnvironmentError';
  }
}

/** The thing asked for did not happen (exit 1). */
export class FailedError extends PwError {
  constructor(message: string, details: readonly string[] = []) {
    super(message, ExitCode.failed, details);
    this.name = 'FailedError';
  }
}

/** A git command failed where the tool did not expect it to. */
export class GitError extends Error {
  readonly args: readonly string[];
  readonly exitCode: number;
  readonly stderr: string;

  constructor(args: readonly string[], exitCode: number, stderr: string) {
    super(`git ${args.join(' ')} failed (exit ${exitCode}): ${stderr.trim() || '(no output)'}`);
    this.name = 'GitError';
    this.args = args;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}
