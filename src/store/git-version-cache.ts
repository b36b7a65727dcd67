import { randomBytes } from 'node:crypto';
import { readFile, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/**
 * `git version` costs a process on every pw command, for an answer that
 * changes only when git does. The answer is kept in `<common dir>/pw/git-version`
 * (only where setup made `pw/`), keyed by the git binary PATH leads to: its
 * path, size, inode and modification time. A different binary, or the same
 * one replaced, is a miss, and the version is asked again. Editing the file
 * can at worst let a too-old git start a command that then fails on its own
 * error: it decides no scope and no state.
 */

/** Where spawning `git` finds it on `PATH` (as execvp does), with what identifies that binary. */
async function gitBinaryKey(cwd: string): Promise<string | null> {
  const path = process.env.PATH ?? '';
  for (const entry of path.split(delimiter)) {
    const dir = entry === '' ? cwd : isAbsolute(entry) ? entry : resolve(cwd, entry);
    const candidate = join(dir, 'git');
    try {
      const info = await stat(candidate);
      if (!info.isFile() || (info.mode & 0o111) === 0) continue;
      return [path, candidate, info.size, info.ino, info.mtimeMs, info.ctimeMs].join('\0');
    } catch {
      // not in this folder
    }
  }
  return null;
}

/** The record's name in `<common dir>/pw/`. */
export const GIT_VERSION_FILE = 'git-version';

function cacheFile(commonDir: string): string {
  return join(commonDir, 'pw', GIT_VERSION_FILE);
}

/** The version recorded for the git PATH leads to now, or null (no record, or another git). */
export async function readCachedGitVersion(commonDir: string, cwd: string): Promise<string | null> {
  const [key, text] = await Promise.all([
    gitBinaryKey(cwd),
    readFile(cacheFile(commonDir), 'utf8').catch(() => null),
  ]);
  if (key === null || text === null) return null;
  const newline = text.indexOf('\n');
  if (newline < 0 || text.slice(newline + 1) !== `${key}\n`) return null;
  const version = text.slice(0, newline);
  return /^\d+\.\d+\.\d+$/.test(version) ? version : null;
}

/** Records a supported version for the git PATH leads to; only where `pw/` already exists. */
export async function recordGitVersion(
  commonDir: string,
  cwd: string,
  version: string,
): Promise<void> {
  try {
    const key = await gitBinaryKey(cwd);
    if (key === null || !(await stat(join(commonDir, 'pw'))).isDirectory()) return;
    const file = cacheFile(commonDir);
    const temporary = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temporary, `${version}\n${key}\n`);
    await rename(temporary, file);
  } catch {
    // A record is an optimisation: without one, the next command asks git again.
  }
}

/**
 * Removes `pwRoot` (`<common dir>/pw`) when nothing but the version record is
 * left in it: the record is a cache of pw's own and keeps no folder alive.
 */
export async function removePwRootIfIdle(pwRoot: string): Promise<void> {
  const left = await readdir(pwRoot).catch(() => null);
  if (left === null || left.some((name) => name !== GIT_VERSION_FILE)) return;
  await rm(join(pwRoot, GIT_VERSION_FILE), { force: true });
  await rmdir(pwRoot).catch(() => undefined);
}
