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
}

export interface CommandResult {
  exitCode: number;
}

export function processDeps(): CommandDeps {
  const interrupted = new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return {
    cwd: process.cwd(),
    env: process.env,
    now: () => new Date(),
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    isTTY: Boolean(process.stdout.isTTY),
    interrupted,
  };
}
