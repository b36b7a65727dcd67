import { spawn, type ChildProcess } from 'node:child_process';

/**
 * A git process kept open for a conversation: lines written to its standard
 * input, its NUL-terminated output fields read as they come (e.g.
 * `git merge-tree --stdin`, one merge per line). Started as runGit starts git
 * (arguments as an array, the process's environment with
 * GIT_OPTIONAL_LOCKS=0); one process instead of one per request, which is
 * what a request costs most (see run-git.ts).
 */
export interface GitSession {
  write(text: string): void;
  /**
   * The next NUL-terminated field of stdout; null when git closed stdout
   * (exited, or failed to start) before one came, 'timeout' when none came
   * within `timeoutMs` (the field may still come later).
   */
  nextField(timeoutMs: number): Promise<string | null | 'timeout'>;
  /** Closes stdin and waits for git to exit; the fields it wrote last stay readable. */
  end(): Promise<{ exitCode: number | null; stderr: string }>;
}

export function startGitSession(
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string | undefined> },
): GitSession {
  const fields: string[] = [];
  let partial: Buffer[] = [];
  let closed = false;
  let wake: (() => void) | null = null;
  const stderr: Buffer[] = [];
  let child: ChildProcess | null = null;
  const exited = new Promise<number | null>((resolve) => {
    try {
      child = spawn('git', args, {
        cwd: options.cwd,
        env: { ...process.env, GIT_OPTIONAL_LOCKS: '0', ...options.env },
        stdio: ['pipe', 'pipe', 'pipe'],
        windowsHide: true,
      });
    } catch {
      closed = true;
      resolve(null);
      return;
    }
    child.stdout!.on('data', (chunk: Buffer) => {
      let start = 0;
      for (let i = chunk.indexOf(0); i !== -1; i = chunk.indexOf(0, start)) {
        partial.push(chunk.subarray(start, i));
        fields.push(Buffer.concat(partial).toString('utf8'));
        partial = [];
        start = i + 1;
      }
      if (start < chunk.length) partial.push(chunk.subarray(start));
      wake?.();
    });
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
    // git may exit before reading all of its input (EPIPE): its exit code says what happened.
    child.stdin!.on('error', () => undefined);
    child.on('error', () => {
      closed = true;
      wake?.();
      resolve(null);
    });
    child.on('close', (code) => {
      closed = true;
      wake?.();
      resolve(code);
    });
  });

  return {
    write(text) {
      if (!closed) child?.stdin?.write(text);
    },
    async nextField(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (fields.length === 0 && !closed) {
        const left = deadline - Date.now();
        if (left <= 0) return 'timeout';
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = null;
      }
      return fields.shift() ?? null;
    },
    async end() {
      child?.stdin?.end();
      const exitCode = await exited;
      return { exitCode, stderr: Buffer.concat(stderr).toString('utf8') };
    },
  };
}
