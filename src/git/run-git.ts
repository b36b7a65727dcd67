import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { EnvironmentError, GitError } from '../errors.js';
import type { DetachedGitWatch } from './detached-git-watch.js';

export type { DetachedGitWatch } from './detached-git-watch.js';

export interface GitOptions {
  cwd: string;
  /** Written to git's standard input. */
  input?: string | Buffer;
  /** Extra environment, merged over the process environment. */
  env?: Record<string, string | undefined>;
  /** Exit codes that are answers, not failures (e.g. 1 for `merge-tree` conflicts). */
  okExitCodes?: readonly number[];
  /**
   * Run git in its own process group, so a Ctrl-C or a kill of pw's group
   * does not cut it short half way (integrate's publishing step). Such a git
   * outlives a killed pw; `watch` is told about it.
   */
  detached?: boolean;
  /** Told about a `detached` git while it runs (integrate records it beside its lock). */
  watch?: DetachedGitWatch | null;
}

export interface GitResult {
  stdout: string;
  /** stdout as git wrote it, for output whose sizes count bytes (a blob may not be UTF-8). */
  stdoutBytes: Buffer;
  stderr: string;
  exitCode: number;
}

const MAX_OUTPUT = 1024 * 1024 * 1024;

interface Spawned {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  error: Error | null;
}

/**
 * node:child_process directly, not execa: loading execa costs a fresh `pw`
 * process about 100 ms, and each call a few ms more, which `pw status`
 * (one git status per worktree) and the hooks' calls back into pw feel.
 */
function spawnGit(args: readonly string[], options: GitOptions): Promise<Spawned> {
  return new Promise((resolve) => {
    const done = (result: Partial<Spawned>): void =>
      resolve({
        exitCode: null,
        signal: null,
        stdout: Buffer.alloc(0),
        stderr: '',
        error: null,
        ...result,
      });
    let child;
    try {
      child = spawn('git', args, {
        cwd: options.cwd,
        env: { ...process.env, GIT_OPTIONAL_LOCKS: '0', ...options.env },
        stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        windowsHide: true,
        detached: options.detached ?? false,
      });
    } catch (error) {
      done({ error: error as Error });
      return;
    }
    const watch = options.detached && child.pid !== undefined ? (options.watch ?? null) : null;
    const pid = child.pid ?? 0;
    watch?.started({ pid, args, cwd: options.cwd });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    child.stdout!.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT) {
        tooBig = true;
        child.kill();
      } else out.push(chunk);
    });
    child.stderr!.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => done({ error }));
    child.on('close', (code, signal) => {
      watch?.ended(pid);
      done({
        exitCode: code,
        signal,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString('utf8'),
        error: tooBig ? new Error(`output larger than ${MAX_OUTPUT} bytes`) : null,
      });
    });
    if (options.input !== undefined) {
      // git may exit before reading all of its input (EPIPE): its exit code says what happened.
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(options.input);
    }
  });
}

/**
 * The one place that runs git. Arguments are an array, never a shell string.
 * Output is not trimmed: callers that read -z output need every byte.
 */
export async function runGit(args: readonly string[], options: GitOptions): Promise<GitResult> {
  const result = await spawnGit(args, options);
  if (result.error && result.exitCode === null && !existsSync(options.cwd)) {
    // Spawning in a folder that is gone fails as if git were missing (ENOENT).
    throw new EnvironmentError(`the folder ${options.cwd} does not exist`, [
      'If it is a worker worktree that was deleted, git worktree prune forgets it (its branch and commits stay), and pw setup creates it again.',
    ]);
  }
  if (result.error && result.exitCode === null) {
    throw new EnvironmentError(`could not run git in ${options.cwd}: ${result.error.message}`, [
      'Install git 2.38 or newer and make sure it is on PATH, and check that the directory exists.',
    ]);
  }
  if (result.exitCode === null) {
    throw new EnvironmentError(
      `could not run git in ${options.cwd}: killed by ${result.signal ?? 'a signal'}${result.error ? ` (${result.error.message})` : ''}`,
      ['Run the command again; if it keeps failing, check the repository with git fsck.'],
    );
  }
  const exitCode = result.exitCode;
  const ok = exitCode === 0 || (options.okExitCodes ?? []).includes(exitCode);
  if (!ok) throw new GitError(args, exitCode, result.stderr);
  return {
    stdout: result.stdout.toString('utf8'),
    stdoutBytes: result.stdout,
    stderr: result.stderr,
    exitCode,
  };
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
