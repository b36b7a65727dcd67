import { chmod, copyFile, lstat, mkdir, readlink, stat, symlink } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';

/** Whether anything (a file, a folder, a dangling symlink) is at `path`. */
export async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
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
  await mkdir(dirname(target), { recursive: true });
  const info = await lstat(source);
  if (info.isSymbolicLink()) await symlink(await readlink(source), target);
  else {
    await copyFile(source, target);
    await chmod(target, (await stat(source)).mode & 0o777);
  }
  return target;
}
