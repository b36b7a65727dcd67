import { UsageError } from '../errors.js';

/**
 * What every command receives instead of reaching for globals: the working
 * directory, environment, clock and output streams. Tests pass their own.
 */
export interface CommandDeps {
  cwd: string;
  env: NodeJS.ProcessEnv;
  now: () => Date;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stdout is a terminal (colour, live views). */
  isTTY: boolean;
  /** Resolves when the user interrupts (Ctrl-C); long-running views stop on it. */
  interrupted: Promise<void>;
  /** Reads all of stdin (pw send without a message); null when stdin is a terminal. */
  readStdin?: () => Promise<string | null>;
  /** Resolves when stdout's reader goes away (`pw status --watch | head`): views stop, work does not. */
  outputClosed?: Promise<void>;
}

/** The deps of a view that ends with its reader: interrupted by Ctrl-C or by stdout closing. */
export function untilReaderGone(deps: CommandDeps): CommandDeps {
  return deps.outputClosed
    ? { ...deps, interrupted: Promise.race([deps.interrupted, deps.outputClosed]) }
    : deps;
}

export interface CommandResult {
  exitCode: number;
}

export function processDeps(): CommandDeps {
  // The first SIGINT or SIGTERM asks the command to stop; it finishes or undoes
  // what it started. A second one must not cut that short (a rollback half
  // done is the state stopping exists to avoid): it is said once, not obeyed.
  const interrupted = new Promise<void>((resolve) => {
    let stopping = false;
    let told = false;
    const stop = (): void => {
      if (!stopping) {
        stopping = true;
        resolve();
      } else if (!told) {
        told = true;
        process.stderr.write(
          'pw: already stopping: it first finishes or undoes what it started, so nothing is left half-done (kill -9 stops it at once, and may leave it so)\n',
        );
      }
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  const outputClosed = new Promise<void>((resolve) => {
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') resolve();
    });
  });
  return {
    outputClosed,
    cwd: process.cwd(),
    env: process.env,
    now: clockFrom(process.env),
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    isTTY: Boolean(process.stdout.isTTY),
    interrupted,
    readStdin: async () => {
      if (process.stdin.isTTY) return null;
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

/**
 * The clock: the real one, or a fixed time from `PW_NOW` (an ISO date), for
 * scripted runs such as the demo whose commits carry past dates.
 */
export function clockFrom(env: NodeJS.ProcessEnv): () => Date {
  // Read on each call: a bad value surfaces as a usage error inside the command, not at start-up.
  return () => pinnedTime(env) ?? new Date();
}

/** `PW_NOW` as a date, or null when unset; a value that is not a date is a usage error. */
export function pinnedTime(env: NodeJS.ProcessEnv): Date | null {
  const text = env.PW_NOW;
  if (text === undefined || text === '') return null;
  const fixed = new Date(text);
  if (Number.isNaN(fixed.getTime())) {
    throw new UsageError(`PW_NOW is not a date: ${JSON.stringify(text)}`, [
      'set it to an ISO date such as 2026-01-02T03:04:05Z, or unset it to use the real clock',
    ]);
  }
  return fixed;
}
