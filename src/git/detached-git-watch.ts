/**
 * Told about a detached git while it runs (GitOptions.watch): `pw integrate`
 * records them beside its lock, so that a run after a killed one can wait for
 * a publishing git the kill did not stop (it is detached precisely so that it
 * is not stopped). `started` is called
 * synchronously right after the spawn, before pw can be interrupted again,
 * so a record of it exists for as long as it can run.
 */
export interface DetachedGitWatch {
  started(git: { pid: number; args: readonly string[]; cwd: string }): void;
  ended(pid: number): void;
}
