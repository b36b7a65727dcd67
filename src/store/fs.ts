import {
  chmod,
  copyFile,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readlink,
  rmdir,
  stat,
  symlink,
} from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';

/** Whether a regular file (not a symlink to one) is at `path`. */
export async function isFile(path: string): Promise<boolean> {
  return lstat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** Whether a folder (or a symlink to one) is at `path`. */
export async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** Whether anything (a file, a folder, a dangling symlink) is at `path`. */
export async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

/**
 * `mkdir -p`, one folder at a time. Node's recursive mkdir spins forever
 * (100% CPU, deaf to SIGTERM) under a folder that refuses new entries with
 * ENOENT, such as /proc; one level at a time, that is an ordinary error.
 * Returns the first folder created, as `mkdir(..., { recursive: true })` does.
 */
export async function makeDirectory(path: string): Promise<string | undefined> {
  const missing: string[] = [];
  let dir = resolve(path);
  while (!(await exists(dir))) {
    missing.push(dir);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  for (const folder of missing.reverse()) {
    try {
      await mkdir(folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return missing[0];
}

/**
 * Why folders cannot be made at `path`, or null when they can: the nearest
 * existing folder above it must be a folder that takes a new entry (tried
 * with a temporary folder, removed at once, so nothing is left behind).
 */
export async function whyNotCreatable(path: string): Promise<string | null> {
  let dir = resolve(path);
  while (!(await exists(dir))) {
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  let info;
  try {
    info = await stat(dir);
  } catch (error) {
    return `${dir} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  if (!info.isDirectory()) return `${dir} is not a folder`;
  try {
    await rmdir(await mkdtemp(join(dir, '.pw-probe-')));
  } catch (error) {
    return `no folder can be created in ${dir} (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  return null;
}

/**
 * Copies one `.worktreeinclude` file (e.g. `.env`) from the main worktree
 * into another worktree, as setup does for workers and integrate for its
 * verify worktree: keeping its mode, recreating a symlink as a symlink, and
 * refusing a path that would leave the target worktree. Returns the path
 * written, or null when the path was refused.
 */
export async function copyIncludedFile(
  mainWorktree: string,
  worktree: string,
  file: string,
): Promise<string | null> {
  const target = resolve(worktree, file);
  if (!target.startsWith(resolve(worktree) + sep)) return null;
  const source = join(mainWorktree, file);
  await makeDirectory(dirname(target));
  const info = await lstat(source);
  if (info.isSymbolicLink()) await symlink(await readlink(source), target);
  else {
    await copyFile(source, target);
    await chmod(target, (await stat(source)).mode & 0o777);
  }
  return target;
}

/** Removes a folder tree that holds no files (only empty folders); leaves it alone otherwise. */
export async function removeEmptyTree(dir: string): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries)
    if (entry.isDirectory()) await removeEmptyTree(join(dir, entry.name));
  await rmdir(dir).catch(() => undefined);
}
