import { execa } from 'execa';
import { EnvironmentError, GitError } from '../errors.js';

export interface GitOptions {
  cwd: string;
  /** Written to git's standard input. */
  input?: string | Buffer;
  /** Extra environment, merged over the process environment. */
  env?: Record<string, string | undefined>;
  /** Exit codes that are answers, not failures (e.g. 1 for `merge-tree` conflicts). */
  okExitCodes?: readonly number[];
  /** Return stdout as a Buffer (for -z output that may hold any bytes). */
  encoding?: 'utf8' | 'buffer';
}

export interface GitResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * The one place that runs git. Arguments are an array, never a shell string.
 * Output is not trimmed: callers that read -z output need every byte.
 */
export async function runGit(args: readonly string[], options: GitOptions): Promise<GitResult> {
  let result;
  try {
    result = await execa('git', args, {
      cwd: options.cwd,
      input: options.input,
      env: { GIT_OPTIONAL_LOCKS: '0', ...options.env },
      reject: false,
      stripFinalNewline: false,
      maxBuffer: 1024 * 1024 * 1024,
    });
  } catch (error) {
    throw new EnvironmentError(`could not run git: ${(error as Error).message}`, [
      'Install git 2.38 or newer and make sure it is on PATH.',
    ]);
  }
  if (result.failed && result.exitCode === undefined) {
    throw new EnvironmentError(`could not run git in ${options.cwd}: ${result.shortMessage}`, [
      'Install git 2.38 or newer and make sure it is on PATH, and check that the directory exists.',
    ]);
  }
  const exitCode = result.exitCode ?? 1;
  const ok = exitCode === 0 || (options.okExitCodes ?? []).includes(exitCode);
  const stdout = String(result.stdout ?? '');
  const stderr = String(result.stderr ?? '');
  if (!ok) throw new GitError(args, exitCode, stderr);
  return { stdout, stderr, exitCode };
}

/** Runs git and returns stdout without the final newline. */
export async function gitOutput(args: readonly string[], options: GitOptions): Promise<string> {
  const { stdout } = await runGit(args, options);
  return stdout.replace(/\n$/, '');
}

/** Splits NUL-terminated output (`-z`) into its fields. */
export function splitNul(output: string): string[] {
  if (output === '') return [];
  const fields = output.split('\0');
  if (fields[fields.length - 1] === '') fields.pop();
  return fields;
}
