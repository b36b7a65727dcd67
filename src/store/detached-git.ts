/**
 * The detached git commands of `pw integrate` (the publishing fast-forward
 * and ref transactions, scratch worktree checkouts) run in their own process
 * group so that a kill of pw cannot cut them short. They can therefore
 * outlive a killed pw: for a moment the target's worktree is updated and the
 * branch not yet, and a rerun that looked then would take the half-finished
 * update for uncommitted changes. Each one is recorded here while it runs,
 * and the next run waits for any that are still alive.
 */
import {
  mkdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FailedError } from '../errors.js';
import type { DetachedGitWatch } from '../git/detached-git-watch.js';
import { integratePaths } from './integrate-state.js';
import { isAlive } from './process-identity.js';

export interface DetachedGitRecord {
  pid: number;
  args: string[];
  cwd: string;
  since: string;
}

/**
 * Records each detached git of this run under `<common>/pw/<plan>/integrate/running/<pid>.json`.
 * Synchronous on purpose: the record must exist before pw can be interrupted
 * again, for as long as the git can run.
 */
export function recordDetachedGit(commonDir: string, plan: string): DetachedGitWatch {
  const dir = integratePaths(commonDir, plan).running;
  const file = (pid: number): string => join(dir, `${pid}.json`);
  return {
    started({ pid, args, cwd }) {
      const record: DetachedGitRecord = {
        pid,
        args: [...args],
        cwd,
        since: new Date().toISOString(),
      };
      mkdirSync(dir, { recursive: true });
      writeFileSync(file(pid), JSON.stringify(record));
    },
    ended(pid) {
      rmSync(file(pid), { force: true });
    },
  };
}

/**
 * Whether the recorded git is still running: its pid alive and, on Linux
 * (where /proc says), neither a zombie nor a pid reused since by a process
 * that is not git or works elsewhere.
 */
function isRunningGit(record: DetachedGitRecord): boolean {
  if (!isAlive(record.pid)) return false;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${record.pid}/stat`, 'utf8');
  } catch {
    // No /proc (macOS), or the process just ended: trust the signal check.
    return isAlive(record.pid);
  }
  // "pid (comm) state ...": comm may hold spaces and parentheses, so cut at the last ")".
  const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  const state = stat.slice(stat.lastIndexOf(')') + 2).charAt(0);
  if (!comm.startsWith('git') || state === 'Z' || state === 'X') return false;
  if (!record.cwd) return true;
  let cwd: string;
  try {
    cwd = readlinkSync(`/proc/${record.pid}/cwd`);
  } catch {
    // Gone meanwhile, or another user's process: not the git this run started.
    return false;
  }
  let recorded = record.cwd;
  try {
    recorded = realpathSync(record.cwd);
  } catch {
    // The folder is gone: compare the path as recorded.
  }
  return cwd === recorded;
}

async function readRecords(dir: string): Promise<DetachedGitRecord[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const records: DetachedGitRecord[] = [];
  for (const name of names.filter((n) => /^\d+\.json$/.test(n))) {
    try {
      const parsed = JSON.parse(await readFile(join(dir, name), 'utf8')) as DetachedGitRecord;
      if (typeof parsed.pid === 'number' && Array.isArray(parsed.args)) records.push(parsed);
    } catch {
      // Gone meanwhile (it ended), or torn by a kill mid-write: the file name still has the pid.
      records.push({ pid: Number(name.slice(0, -'.json'.length)), args: [], cwd: '', since: '' });
    }
  }
  return records;
}

/** `git merge --ff-only ...` as the user would type it; long arguments (SHAs) shortened. */
export function describeGit(record: DetachedGitRecord): string {
  const args = record.args.map((a) => (/^[0-9a-f]{40,64}$/.test(a) ? a.slice(0, 12) : a));
  return `git ${args.join(' ') || '(command not recorded)'}${record.cwd ? ` in ${record.cwd}` : ''}`;
}

export interface DetachedGitWait {
  /** The gits that were still running when the wait began. */
  waitedFor: DetachedGitRecord[];
  waitedMs: number;
}

/**
 * Waits, up to `timeoutMs`, until no recorded detached git of the plan's
 * integrate is running. `clean` (the lock holder only) removes the records
 * of gits that are gone. `onWait` is told once, when there is something to
 * wait for. Returns null when nothing was running.
 */
export async function waitForDetachedGit(
  commonDir: string,
  plan: string,
  options: {
    clean: boolean;
    timeoutMs?: number;
    onWait?: (running: DetachedGitRecord[]) => void;
  },
): Promise<DetachedGitWait | null> {
  const dir = integratePaths(commonDir, plan).running;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const started = Date.now();
  let waitedFor: DetachedGitRecord[] | null = null;
  for (;;) {
    const records = await readRecords(dir);
    const running = records.filter(isRunningGit);
    if (options.clean) {
      for (const gone of records.filter((r) => !running.includes(r)))
        await rm(join(dir, `${gone.pid}.json`), { force: true });
    }
    if (running.length === 0) {
      return waitedFor ? { waitedFor, waitedMs: Date.now() - started } : null;
    }
    if (!waitedFor) {
      waitedFor = running;
      options.onWait?.(running);
    }
    if (Date.now() - started > timeoutMs) {
      throw new FailedError(
        `a git command an interrupted pw integrate started is still running after ${Math.round(timeoutMs / 1000)} s: ${running.map((r) => `${describeGit(r)} (pid ${r.pid})`).join('; ')}`,
        [
          'It runs on its own so that an interrupted publish is never left half done. Wait until it has finished, then run pw integrate again.',
          `If no such process is running, delete ${dir} and run again.`,
        ],
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
