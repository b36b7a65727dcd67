import { mkdtempSync, readdirSync, rmSync, statfsSync } from 'node:fs';
import { join } from 'node:path';

const SHM = '/dev/shm';
const PREFIX = 'pw-tests-';
const TMPFS_MAGIC = 0x01021994;

/** Whether a process still runs (signal 0 checks without sending). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The tests make thousands of throwaway repositories, and git flushes every
 * ref update to disk (core.fsync): on a disk that is a third of the suite's
 * time, on tmpfs nothing. Where /dev/shm is a writable tmpfs and the caller
 * did not choose a TMPDIR, the tests' temporary folders go under a folder of
 * this run there (the test processes inherit TMPDIR). Folders left by runs
 * whose process is gone are removed first. Returns the folder, or null.
 */
export function chooseScratchFolder(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.TMPDIR) return null;
  try {
    if (statfsSync(SHM).type !== TMPFS_MAGIC) return null;
    for (const name of readdirSync(SHM)) {
      const owner = Number(name.slice(PREFIX.length).split('-')[0]);
      if (name.startsWith(PREFIX) && Number.isInteger(owner) && !alive(owner))
        rmSync(join(SHM, name), { recursive: true, force: true });
    }
    const folder = mkdtempSync(join(SHM, `${PREFIX}${process.pid}-`));
    env.TMPDIR = folder;
    return folder;
  } catch {
    return null;
  }
}

/** Removes the folder chooseScratchFolder made (whatever the tests left in it). */
export function removeScratchFolder(folder: string | null): void {
  if (folder) rmSync(folder, { recursive: true, force: true });
}
