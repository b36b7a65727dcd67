/**
 * Told about every detached git while it runs. `started` is called
 * synchronously right after the spawn, before pw can be interrupted again,
 * so a record of it exists for as long as it can run.
 */
export interface DetachedGitWatch {
  started(git: { pid: number; args: readonly string[]; cwd: string }): void;
  ended(pid: number): void;
}

let detachedWatch: DetachedGitWatch | null = null;

/**
 * Reports every detached git this process starts to `watch` (null: stops).
 * `pw integrate` records them beside its lock, so that a run after a killed
 * one can wait for a publishing git the kill did not stop (it is detached
 * precisely so that it is not stopped). Process-wide, like the process's
 * signal handlers: one pw process runs one command.
 */
export function watchDetachedGit(watch: DetachedGitWatch | null): void {
  detachedWatch = watch;
}

/** The watch `runGit` reports a detached git to. */
export function currentDetachedGitWatch(): DetachedGitWatch | null {
  return detachedWatch;
}
