import { readFile } from 'node:fs/promises';

/**
 * Which process a pid names, so a lock or record left by a dead process is not
 * mistaken for a live one when the kernel hands its pid to another process.
 */
export interface ProcessIdentity {
  pid: number;
  /**
   * When the process started, as the kernel counts it (Linux: field 22 of
   * /proc/<pid>/stat, clock ticks since boot); null where it cannot be read.
   */
  startTime: string | null;
}

/** Whether a process with this pid exists (EPERM: it does, owned by someone else). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The start time field of a /proc/<pid>/stat line. The command name (field 2)
 * is in parentheses and may itself hold spaces and parentheses (proc(5)), so
 * fields are counted from the last ')'.
 */
export function parseProcStatStartTime(stat: string): string | null {
  const end = stat.lastIndexOf(')');
  if (end < 0) return null;
  // After ')' come fields 3 (state), 4, ...; starttime is field 22.
  const fields = stat
    .slice(end + 1)
    .trim()
    .split(/\s+/);
  const value = fields[22 - 3];
  return value !== undefined && /^\d+$/.test(value) ? value : null;
}

/**
 * When a process started, so a recorded pid is not mistaken for a new process
 * that reuses the number (or the same number after a reboot): the boot id and
 * field 22 of /proc/<pid>/stat. Null where /proc is not there.
 */
export async function readProcessStartTime(pid: number): Promise<string | null> {
  try {
    const ticks = parseProcStatStartTime(await readFile(`/proc/${pid}/stat`, 'utf8'));
    const boot = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => '')).trim();
    return ticks ? `${boot}:${ticks}` : null;
  } catch {
    return null;
  }
}

export async function readProcessIdentity(pid: number = process.pid): Promise<ProcessIdentity> {
  return { pid, startTime: await readProcessStartTime(pid) };
}

/**
 * Whether the process a record names is still running: its pid is alive and,
 * where the record has a start time, it started then (a reused pid started
 * later). A start time that cannot be read any more means the process ended
 * between the two looks.
 */
export async function isSameProcessAlive(identity: ProcessIdentity): Promise<boolean> {
  if (!isAlive(identity.pid)) return false;
  // A zombie (killed, not yet reaped by its parent) answers signals but runs nothing.
  if (await isZombie(identity.pid)) return false;
  // No start time recorded: trusted only where none can be read (no /proc); where
  // one can, pw always records it, and a record without one is stale or forged.
  if (identity.startTime === null) return (await readProcessStartTime(process.pid)) === null;
  return (await readProcessStartTime(identity.pid)) === identity.startTime;
}

/** Whether /proc says the process has ended and waits to be reaped (state Z or X). */
async function isZombie(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ...": comm may hold spaces and parentheses, so cut at the last ")".
    const state = stat.slice(stat.lastIndexOf(')') + 2).charAt(0);
    return state === 'Z' || state === 'X';
  } catch {
    return false;
  }
}

/** A process's command line as /proc shows it (arguments joined by spaces), or null. */
export async function readProcessCommand(pid: number): Promise<string | null> {
  try {
    const text = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    const words = text.split('\0').filter(Boolean);
    return words.length ? words.join(' ') : null;
  } catch {
    return null;
  }
}
