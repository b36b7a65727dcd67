import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { link, mkdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FailedError, UsageError } from '../errors.js';
import {
  isSameProcessAlive,
  readProcessIdentity,
  type ProcessIdentity,
} from './process-identity.js';
import { exists } from './fs.js';
import { pwRoot, readTextIfExists } from './trusted-store.js';

/**
 * One lock per repository, taken by every command that writes pw state (setup,
 * teardown, hooks install/uninstall, integrate, and run around those): two
 * such commands never interleave, so a rollback never undoes another run's work.
 */
export function repoLockPath(commonDir: string): string {
  return join(pwRoot(commonDir), 'lock');
}

export interface RepoLockHolder extends ProcessIdentity {
  /** The pw command holding it, e.g. "setup" or "hooks install". */
  command: string;
  /** ISO time the lock was taken. */
  since: string;
  /** Tells one taking of the lock from another by the same process. */
  nonce: string;
}

export interface RepoLockDeps {
  env: NodeJS.ProcessEnv;
  now: () => Date;
  stderr: (text: string) => void;
}

const DEFAULT_WAIT_SECONDS = 10;
const POLL_MS = 50;

/** The lock paths the current async call chain holds: a nested take is re-entrant. */
const held = new AsyncLocalStorage<ReadonlySet<string>>();

/** PW_LOCK_WAIT: seconds a command waits for the lock before refusing (default 10). */
export function lockWaitSeconds(env: NodeJS.ProcessEnv): number {
  const text = env.PW_LOCK_WAIT;
  if (text === undefined || text.trim() === '') return DEFAULT_WAIT_SECONDS;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) {
    throw new UsageError(`PW_LOCK_WAIT=${text} is not a number of seconds`, [
      'Set it to how long a pw command waits for another one to finish, e.g. PW_LOCK_WAIT=30 (default 10).',
    ]);
  }
  return value;
}

/**
 * Runs `fn` holding the repository lock. Waits up to PW_LOCK_WAIT seconds for
 * another pw command to release it, then refuses (exit 1) naming the holder.
 * A lock whose process is gone is taken over, and said so on stderr.
 */
export async function withRepoLock<T>(
  commonDir: string,
  command: string,
  deps: RepoLockDeps,
  fn: () => Promise<T>,
): Promise<T> {
  const path = repoLockPath(commonDir);
  const outer = held.getStore();
  if (outer?.has(path)) return fn();
  const release = await acquireRepoLock(path, command, deps);
  try {
    return await held.run(new Set([...(outer ?? []), path]), fn);
  } finally {
    await release();
  }
}

async function acquireRepoLock(
  path: string,
  command: string,
  deps: RepoLockDeps,
): Promise<() => Promise<void>> {
  const waitMs = lockWaitSeconds(deps.env) * 1000;
  const dir = dirname(path);
  const me: RepoLockHolder = {
    ...(await readProcessIdentity()),
    command,
    since: deps.now().toISOString(),
    nonce: randomBytes(8).toString('hex'),
  };
  const started = Date.now();
  for (;;) {
    if (await tryCreate(path, me)) {
      return async () => {
        // Only our own lock is removed: a lock taken over from us (we were thought dead) stays.
        const holder = parseHolder(await readTextIfExists(path));
        if (holder?.nonce === me.nonce) await rm(path, { force: true });
        // No empty pw folder stays: not after a command refused before it wrote
        // anything, nor after a purge took the last plan (rmdir fails on a folder in use).
        await rmdir(dir).catch(() => undefined);
      };
    }
    const text = await readTextIfExists(path);
    if (text === null) continue;
    const holder = parseHolder(text);
    if (!holder || !(await isSameProcessAlive(holder))) {
      if (await removeStaleLock(path, text)) {
        deps.stderr(
          holder
            ? `pw: took over the repository lock from pw ${holder.command} (pid ${holder.pid}, since ${holder.since}): that process is gone.\n`
            : `pw: took over the repository lock ${path}: it named no holder.\n`,
        );
      }
      continue;
    }
    if (Date.now() - started >= waitMs) throw lockRefusal(path, holder, waitMs);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/**
 * Creates the lock with its content in one step: written to a file of our own,
 * then hard-linked to the lock path, which fails if the lock exists (link(2)),
 * so no one ever reads a lock that is there but not yet written.
 */
async function tryCreate(path: string, me: RepoLockHolder): Promise<boolean> {
  const temp = `${path}.${me.pid}.${me.nonce}`;
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(temp, `${JSON.stringify(me)}\n`);
  } catch (error) {
    // The folder was removed by a holder releasing the lock as this waiter made or wrote
    // it (mkdir found it, then could not check it was a folder): try again. Not when the
    // git directory it goes in is gone: that is no race.
    if (
      (error as NodeJS.ErrnoException).code === 'ENOENT' &&
      (await exists(dirname(dirname(path))))
    )
      return false;
    throw error;
  }
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(temp, { force: true });
  }
}

/**
 * Removes a stale lock, if it is still the one judged stale. Two waiters can
 * judge the same lock stale at once; the second must not remove the lock the
 * first has just taken, so removals go one at a time under a guard file and
 * re-read the lock first.
 */
async function removeStaleLock(path: string, staleText: string): Promise<boolean> {
  const guard = `${path}.takeover`;
  const me = await readProcessIdentity();
  try {
    await writeFile(guard, JSON.stringify(me), { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const other = parseIdentity(await readTextIfExists(guard));
    // A guard left by a process killed mid-takeover is removed; a live one is waited for.
    if (!other || !(await isSameProcessAlive(other))) await rm(guard, { force: true });
    else await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    return false;
  }
  try {
    if ((await readTextIfExists(path)) !== staleText) return false;
    await rm(path, { force: true });
    return true;
  } finally {
    await rm(guard, { force: true });
  }
}

function lockRefusal(path: string, holder: RepoLockHolder, waitMs: number): FailedError {
  return new FailedError(
    `another pw command holds the repository lock: pw ${holder.command} (pid ${holder.pid}, since ${holder.since})`,
    [
      `Waited ${waitMs / 1000} s for it (PW_LOCK_WAIT sets how long).`,
      `Let it finish and run this again. If no such process is running, delete ${path} and run again.`,
    ],
  );
}

function parseIdentity(text: string | null): ProcessIdentity | null {
  try {
    const data = JSON.parse(text ?? '') as Partial<ProcessIdentity>;
    if (typeof data.pid !== 'number') return null;
    return { pid: data.pid, startTime: typeof data.startTime === 'string' ? data.startTime : null };
  } catch {
    return null;
  }
}

function parseHolder(text: string | null): RepoLockHolder | null {
  const identity = parseIdentity(text);
  if (!identity) return null;
  const data = JSON.parse(text!) as Partial<RepoLockHolder>;
  return {
    ...identity,
    command: typeof data.command === 'string' ? data.command : 'command',
    since: typeof data.since === 'string' ? data.since : 'an unknown time',
    nonce: typeof data.nonce === 'string' ? data.nonce : '',
  };
}
