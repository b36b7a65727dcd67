import {
  isSameProcessAlive,
  readProcessStartTime as readStartTime,
} from '../store/process-identity.js';
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { access, mkdir, open, stat } from 'node:fs/promises';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';

/**
 * The one place that starts agent processes. Each agent runs in its own
 * process group (detached), so pw can stop it and everything it started with
 * one signal, and a Ctrl-C in pw's terminal does not reach it directly: pw
 * decides when and how it stops.
 */
export interface AgentProcess {
  pid: number;
  /** The process's start time as the kernel records it (for adoption after a restart of pw); null where unknown. */
  startTime: string | null;
  /** Resolves when it has exited and its output is read. */
  exited: Promise<{ exitCode: number | null; signal: string | null }>;
  /** Signals the whole process group. */
  signal(signal: NodeJS.Signals): void;
}

export interface SpawnAgentOptions {
  argv: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdin: string | null;
  /** Every chunk of stdout and stderr, as it comes. */
  onOutput(chunk: string, stream: 'stdout' | 'stderr'): void;
  /** Each complete stdout line. */
  onLine(line: string): void;
}

export async function spawnAgent(options: SpawnAgentOptions): Promise<AgentProcess> {
  const [program, ...args] = options.argv;
  const child = spawn(program!, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: [options.stdin === null ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    detached: true,
    windowsHide: true,
  });
  const exited = new Promise<{ exitCode: number | null; signal: string | null }>((done) => {
    let spawnError: Error | null = null;
    child.on('error', (error) => {
      spawnError = error;
      // ENOENT/EACCES: the shell would have said 127/126; so does pw.
      const code = (error as NodeJS.ErrnoException).code;
      options.onOutput(`pw: could not start ${program}: ${error.message}\n`, 'stderr');
      done({ exitCode: code === 'EACCES' ? 126 : 127, signal: null });
    });
    child.on('close', (exitCode, signal) => {
      if (!spawnError) done({ exitCode, signal });
    });
  });
  let pending = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    options.onOutput(chunk, 'stdout');
    pending += chunk;
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      options.onLine(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
  });
  child.stdout?.on('end', () => {
    if (pending) options.onLine(pending);
    pending = '';
  });
  child.stderr?.on('data', (chunk: string) => options.onOutput(chunk, 'stderr'));
  if (options.stdin !== null && child.stdin) {
    // An agent that exits before reading its input: its exit code says what happened.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin);
  }
  const pid = child.pid ?? 0;
  return {
    pid,
    startTime: pid ? await readStartTime(pid) : null,
    exited,
    signal: (sig) => signalProcessGroup(pid, sig),
  };
}

/** Signals a process group (an agent and its children); a group already gone is not an error. */
export function signalProcessGroup(pid: number, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Gone already.
    }
  }
}

/** Whether a process with this pid exists (EPERM: it does, owned by someone else). */
export { isAlive as isProcessAlive, readProcessStartTime } from '../store/process-identity.js';

/** The working directory of a live process, where the system says (Linux); null elsewhere. */
export async function readProcessCwd(pid: number): Promise<string | null> {
  try {
    const { readlink } = await import('node:fs/promises');
    return await readlink(`/proc/${pid}/cwd`);
  } catch {
    return null;
  }
}

/** Where `program` would be found on `PATH` (as execvp looks), or null. */
export async function findProgram(
  program: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<string | null> {
  const candidates = program.includes('/')
    ? [isAbsolute(program) ? program : resolve(cwd, program)]
    : (env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, program));
  for (const candidate of candidates) {
    try {
      if (!(await stat(candidate)).isFile()) continue;
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return null;
}

export interface InteractiveAgent {
  pid: number;
  startTime: string | null;
  /** The agent's exit code; a signal is reported as 128 + its number, as shells do. */
  exited: Promise<number>;
}

/**
 * Starts an agent interactively for `pw attach`: on pw's own terminal (stdio
 * inherited), in the foreground process group, so the terminal's Ctrl-C and
 * keys reach the agent. pw ignores SIGINT and SIGQUIT meanwhile, as a shell
 * does for its foreground job, and passes SIGTERM and SIGHUP on to it.
 */
export async function startInteractiveAgent(options: {
  argv: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Why it could not start (not found, not executable, no such directory). */
  onStartError(message: string): void;
}): Promise<InteractiveAgent> {
  const [program, ...args] = options.argv;
  const child = spawn(program!, args, { cwd: options.cwd, env: options.env, stdio: 'inherit' });
  const ignore = (): void => undefined;
  const forward = (signal: NodeJS.Signals): void => {
    if (child.pid) child.kill(signal);
  };
  const handlers: [NodeJS.Signals, (signal: NodeJS.Signals) => void][] = [
    ['SIGINT', ignore],
    ['SIGQUIT', ignore],
    ['SIGTERM', forward],
    ['SIGHUP', forward],
  ];
  for (const [signal, handler] of handlers) process.on(signal, handler);
  const exited = new Promise<number>((done) => {
    child.on('error', (error) => {
      const code = (error as NodeJS.ErrnoException).code;
      options.onStartError(`could not start ${program}: ${error.message}`);
      done(code === 'EACCES' ? 126 : 127);
    });
    child.on('close', (code, signal) => {
      done(code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0));
    });
  }).finally(() => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  });
  const pid = child.pid ?? 0;
  return { pid, startTime: pid ? await readStartTime(pid) : null, exited };
}

/**
 * Stops an agent pw does not hold as a child (a headless agent of a `pw run`
 * elsewhere): SIGINT to its process group, up to `graceMs` for it to go,
 * then SIGKILL. Resolves whether it is gone.
 */
export async function stopAgentGroup(
  identity: { pid: number; startTime: string | null },
  graceMs: number,
): Promise<boolean> {
  const gone = async (): Promise<boolean> => !(await isSameProcessAlive(identity));
  const waitGone = async (ms: number): Promise<boolean> => {
    for (let waited = 0; ; waited += 50) {
      if (await gone()) return true;
      if (waited >= ms) return false;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  signalProcessGroup(identity.pid, 'SIGINT');
  if (await waitGone(graceMs)) return true;
  signalProcessGroup(identity.pid, 'SIGKILL');
  return waitGone(5_000);
}

/**
 * Starts a program in the background, in its own session, with its output in
 * a file, and returns at once (pw send's delivering `pw run`): it outlives
 * the command that started it. Never through a shell.
 */
export async function startDetached(options: {
  argv: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  logPath: string;
}): Promise<{ pid: number }> {
  await mkdir(dirname(options.logPath), { recursive: true, mode: 0o700 });
  const log = await open(options.logPath, 'a', 0o600);
  try {
    const [program, ...args] = options.argv;
    const child = spawn(program!, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', log.fd, log.fd],
      detached: true,
      windowsHide: true,
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () => resolve(child.pid!));
    });
    child.unref();
    return { pid };
  } finally {
    await log.close();
  }
}
