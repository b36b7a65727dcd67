import { spawn } from 'node:child_process';

/**
 * The only code that starts programs other than git (DESIGN.md section 8):
 * verify commands, tmux and gh. Git itself is started by src/git/run-git.ts.
 */

export interface ShellCommandOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** A file descriptor that receives stdout and stderr, interleaved. */
  outputFd: number;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Runs a user's command line through the shell (a verify command is one); never rejects on a non-zero exit. */
export function runShellCommand(
  command: string,
  options: ShellCommandOptions,
): Promise<ProcessExit> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, {
      shell: true,
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', options.outputFd, options.outputFd],
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
}

export interface ProgramResult {
  failed: boolean;
  stdout: string;
}

/**
 * Runs a program with an argument array (no shell) and collects stdout;
 * `reject: false` reports a failure (non-zero exit, or not installed) in
 * `failed` instead of throwing.
 */
export async function runProgram(
  file: string,
  args: readonly string[],
  options: { reject?: boolean } = {},
): Promise<ProgramResult> {
  // Loaded here only: execa costs every process that imports it about 100 ms (bench/deps.mjs).
  const { execa } = await import('execa');
  const result = await execa(file, args, { reject: options.reject ?? true });
  return { failed: result.failed, stdout: String(result.stdout) };
}

export interface CapturedRun {
  /** Null when the program could not be started (see `missing`). */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** The program is not on PATH (ENOENT). */
  missing: boolean;
}

/**
 * Runs a program with an argument array (no shell), its output captured:
 * for tools pw drives and answers with text (`gh`). Never rejects on a
 * non-zero exit; a program that is not installed is `missing`.
 */
export async function captureProgram(
  file: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<CapturedRun> {
  const { execa } = await import('execa');
  const result = await execa(file, args, {
    cwd: options.cwd,
    env: options.env,
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
  });
  const missing = (result as { code?: string }).code === 'ENOENT';
  return {
    exitCode: result.exitCode ?? null,
    stdout: String(result.stdout ?? ''),
    stderr: missing ? (result.message ?? '') : String(result.stderr ?? ''),
    missing,
  };
}
