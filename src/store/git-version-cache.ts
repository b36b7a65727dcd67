import { readFile, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { writeFileAtomic } from './trusted-store.js';

/**
 * `git version` costs a process on every pw command, for an answer that
 * changes only when git does. The answer is kept in the user's cache folder
 * (`$XDG_CACHE_HOME/parallel-workflows/git-version`, else under `~/.cache`),
 * keyed by the git binary PATH leads to: PATH itself, the binary's path, size,
 * inode and times. Another binary, or the same one replaced, is a miss, and
 * the version is asked again. The record decides no scope and no state:
 * edited, it can at worst let a too-old git start a command that then fails
 * on git's own error. Nothing is written into the repository.
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

/** The record's path; null without a cache folder to put it in. */
function cacheFile(env: NodeJS.ProcessEnv): string | null {
  const base = env.XDG_CACHE_HOME || (env.HOME ? join(env.HOME, '.cache') : '');
  return isAbsolute(base) ? join(base, 'parallel-workflows', 'git-version') : null;
}

/** The version recorded for the git PATH leads to now, or null (no record, or another git). */
export async function readCachedGitVersion(cwd: string): Promise<string | null> {
  const file = cacheFile(process.env);
  if (file === null) return null;
  const [key, text] = await Promise.all([
    gitBinaryKey(cwd),
    readFile(file, 'utf8').catch(() => null),
  ]);
  if (key === null || text === null) return null;
  const newline = text.indexOf('\n');
  if (newline < 0 || text.slice(newline + 1) !== `${key}\n`) return null;
  const version = text.slice(0, newline);
  return /^\d+\.\d+\.\d+$/.test(version) ? version : null;
}

/** Records a supported version for the git PATH leads to. */
export async function recordGitVersion(cwd: string, version: string): Promise<void> {
  const file = cacheFile(process.env);
  if (file === null) return;
  try {
    const key = await gitBinaryKey(cwd);
    if (key === null) return;
    await writeFileAtomic(file, `${version}\n${key}\n`);
  } catch {
    // A record is an optimisation: without one, the next command asks git again.
  }
}
