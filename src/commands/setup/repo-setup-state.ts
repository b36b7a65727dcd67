import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readConfig, unsetConfig, writeConfig } from '../../git/config.js';
import {
  readTextIfExists,
  repoConfigSnapshotPath,
  writeFileAtomic,
  removePath,
} from '../../store/trusted-store.js';

/**
 * The repository-level changes setup makes (extensions.worktreeConfig and a
 * marked block in info/exclude), recorded before the first change so the last
 * teardown restores them exactly.
 */
export interface RepoConfigSnapshot {
  worktreeConfig: string | null;
  excludeExisted: boolean;
  /** Whether the block had to start with a newline because the file did not end with one. */
  excludeAddedNewline: boolean;
}

export const EXCLUDE_BLOCK_START =
  '# >>> pw: worker briefs stay out of git (removed by pw teardown)';
export const EXCLUDE_BLOCK_END = '# <<< pw';
export const EXCLUDE_BLOCK = `${EXCLUDE_BLOCK_START}\n/WORKER.md\n${EXCLUDE_BLOCK_END}\n`;

export function excludePath(commonDir: string): string {
  return join(commonDir, 'info', 'exclude');
}

export async function readRepoSnapshot(commonDir: string): Promise<RepoConfigSnapshot | null> {
  const text = await readTextIfExists(repoConfigSnapshotPath(commonDir));
  return text === null ? null : (JSON.parse(text) as RepoConfigSnapshot);
}

/** Records the repository config as it is now, unless an earlier setup already did. */
export async function recordRepoSnapshot(commonDir: string): Promise<boolean> {
  if (await readRepoSnapshot(commonDir)) return false;
  const exclude = await readTextIfExists(excludePath(commonDir));
  const snapshot: RepoConfigSnapshot = {
    worktreeConfig: await readConfig(commonDir, 'extensions.worktreeConfig', 'local'),
    excludeExisted: exclude !== null,
    excludeAddedNewline: exclude !== null && exclude !== '' && !exclude.endsWith('\n'),
  };
  await writeFileAtomic(
    repoConfigSnapshotPath(commonDir),
    `${JSON.stringify(snapshot, null, 2)}\n`,
  );
  return true;
}

export async function isBriefExcluded(commonDir: string): Promise<boolean> {
  const text = await readTextIfExists(excludePath(commonDir));
  return text !== null && text.includes(EXCLUDE_BLOCK);
}

export async function addExcludeBlock(commonDir: string): Promise<void> {
  const path = excludePath(commonDir);
  const text = (await readTextIfExists(path)) ?? '';
  const separator = text !== '' && !text.endsWith('\n') ? '\n' : '';
  await writeFileAtomic(path, `${text}${separator}${EXCLUDE_BLOCK}`);
}

export async function removeExcludeBlock(
  commonDir: string,
  snapshot: RepoConfigSnapshot | null,
): Promise<void> {
  const path = excludePath(commonDir);
  const text = await readTextIfExists(path);
  if (text === null || !text.includes(EXCLUDE_BLOCK)) return;
  let restored = text.replace(
    snapshot?.excludeAddedNewline ? `\n${EXCLUDE_BLOCK}` : EXCLUDE_BLOCK,
    '',
  );
  if (restored === text) restored = text.replace(EXCLUDE_BLOCK, '');
  if (restored === '' && snapshot && !snapshot.excludeExisted) await removePath(path);
  else await writeFile(path, restored);
}

export async function enableWorktreeConfig(commonDir: string): Promise<void> {
  await writeConfig(commonDir, 'extensions.worktreeConfig', 'true', 'local');
}

/** Puts extensions.worktreeConfig back as the snapshot recorded it. */
export async function restoreWorktreeConfig(
  commonDir: string,
  snapshot: RepoConfigSnapshot,
): Promise<void> {
  if (snapshot.worktreeConfig === null)
    await unsetConfig(commonDir, 'extensions.worktreeConfig', 'local');
  else await writeConfig(commonDir, 'extensions.worktreeConfig', snapshot.worktreeConfig, 'local');
}

/** Restores everything the snapshot recorded and forgets it. */
export async function restoreRepoSnapshot(commonDir: string): Promise<boolean> {
  const snapshot = await readRepoSnapshot(commonDir);
  if (!snapshot) return false;
  await restoreWorktreeConfig(commonDir, snapshot);
  await removeExcludeBlock(commonDir, snapshot);
  await removePath(repoConfigSnapshotPath(commonDir));
  return true;
}
