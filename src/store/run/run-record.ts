import { chmod, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { planDir, readTextIfExists, writeFileAtomic } from '../trusted-store.js';
import { isSameProcessAlive } from '../process-identity.js';
import type { RunRecord } from '../../domain/run/run-record.js';

export type { AttemptRecord, RunRecord, WorkerRunRecord } from '../../domain/run/run-record.js';

export function runPaths(commonDir: string, plan: string) {
  const dir = planDir(commonDir, plan);
  return {
    record: join(dir, 'run.json'),
    /** The record of the last run before a teardown (for retro and logs of that plan). */
    tornDownRecord: join(dir, 'run.torn-down.json'),
    lock: join(dir, 'run.lock'),
    logs: join(dir, 'logs'),
    log: (worker: string, attempt: number) => join(dir, 'logs', worker, `attempt-${attempt}.log`),
    prompt: (worker: string, attempt: number) =>
      join(dir, 'logs', worker, `attempt-${attempt}.prompt.md`),
  };
}

/**
 * The plan's run record; `tornDown`: the plan is torn down, and its last run's
 * record was set aside by teardown (read when there is no newer one).
 */
export async function readRunRecord(
  commonDir: string,
  plan: string,
  options: { tornDown?: boolean } = {},
): Promise<RunRecord | null> {
  const paths = runPaths(commonDir, plan);
  const text =
    (await readTextIfExists(paths.record)) ??
    (options.tornDown ? await readTextIfExists(paths.tornDownRecord) : null);
  if (text === null) return null;
  try {
    const record = JSON.parse(text) as RunRecord;
    return record.version === 1 ? record : null;
  } catch {
    // A damaged record costs the sessions' memory, nothing else: start afresh.
    return null;
  }
}

/**
 * At teardown: the run record moves aside (still read by logs and retro of the
 * torn-down plan), so the next run of a new setup starts first attempts.
 */
export async function setRunRecordAside(commonDir: string, plan: string): Promise<void> {
  const paths = runPaths(commonDir, plan);
  await rename(paths.record, paths.tornDownRecord).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

export async function writeRunRecord(commonDir: string, record: RunRecord): Promise<void> {
  await writeFileAtomic(
    runPaths(commonDir, record.plan).record,
    `${JSON.stringify(record, null, 2)}\n`,
    0o600,
  );
}

/**
 * One `pw run` per plan at a time: a lock file holding the owner's pid and
 * start time, created exclusively. A lock whose owner is gone is taken over.
 */
export async function acquireRunLock(
  commonDir: string,
  plan: string,
  owner: {
    pid: number;
    startTime: string | null;
    workers?: string[];
    deliverOnly?: boolean;
    /** The pw command holding it, when not pw run (teardown). */
    command?: string;
  },
): Promise<{ release(): Promise<void> } | { heldBy: number; command: string }> {
  const path = runPaths(commonDir, plan).lock;
  await mkdir(planDir(commonDir, plan), { recursive: true });
  for (let tries = 0; tries < 3; tries++) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(JSON.stringify(owner));
      await handle.close();
      return { release: () => unlink(path).catch(() => undefined) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let held: { pid?: number; startTime?: string | null; command?: unknown } = {};
      try {
        held = JSON.parse(await readFile(path, 'utf8')) as typeof held;
      } catch {
        // Half written by an owner that died at once: stale.
      }
      if (
        typeof held.pid === 'number' &&
        (await isSameProcessAlive({ pid: held.pid, startTime: held.startTime ?? null }))
      )
        return { heldBy: held.pid, command: held.command === 'teardown' ? 'teardown' : 'run' };
      await unlink(path).catch(() => undefined);
    }
  }
  return { heldBy: -1, command: 'run' };
}

/**
 * The `pw run` holding a plan's run lock, while it lives: its pid and the
 * workers it runs (older runs did not record them: null, meaning all).
 */
export async function readRunLockHolder(
  commonDir: string,
  plan: string,
): Promise<{
  pid: number;
  workers: string[] | null;
  deliverOnly: boolean;
  /** `teardown` while pw teardown holds it; `run` otherwise. */
  command: string;
} | null> {
  const text = await readTextIfExists(runPaths(commonDir, plan).lock);
  if (text === null) return null;
  try {
    const held = JSON.parse(text) as {
      pid?: number;
      startTime?: string | null;
      workers?: string[];
      deliverOnly?: boolean;
      command?: unknown;
    };
    if (
      typeof held.pid !== 'number' ||
      !(await isSameProcessAlive({ pid: held.pid, startTime: held.startTime ?? null }))
    )
      return null;
    return {
      pid: held.pid,
      workers: Array.isArray(held.workers) ? held.workers : null,
      deliverOnly: held.deliverOnly === true,
      command: held.command === 'teardown' ? 'teardown' : 'run',
    };
  } catch {
    return null;
  }
}

/** Opens a log for appending, owner-only (0600): agent output can hold secrets despite masking. */
export async function openLog(
  path: string,
): Promise<{ write(text: string): void; close(): Promise<void> }> {
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  const handle = await open(path, 'a', 0o600);
  await chmod(path, 0o600);
  let chain: Promise<unknown> = Promise.resolve();
  return {
    write(text) {
      chain = chain.then(() => handle.write(text)).catch(() => undefined);
    },
    async close() {
      await chain;
      await handle.close();
    },
  };
}

export async function writePromptFile(path: string, content: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, content, 0o600);
}
