import { runGit } from './run-git.js';

export type ConfigScope = 'local' | 'worktree';

/** A config value, or null when unset. */
export async function readConfig(
  cwd: string,
  key: string,
  scope?: ConfigScope,
): Promise<string | null> {
  const result = await runGit(['config', ...(scope ? [`--${scope}`] : []), '--get', key], {
    cwd,
    okExitCodes: [1],
  });
  return result.exitCode === 0 ? result.stdout.replace(/\n$/, '') : null;
}

export async function writeConfig(
  cwd: string,
  key: string,
  value: string,
  scope: ConfigScope,
): Promise<void> {
  await runGit(['config', `--${scope}`, key, value], { cwd });
}

/** Removes a key; succeeds when it was not set. */
export async function unsetConfig(cwd: string, key: string, scope: ConfigScope): Promise<void> {
  // git config --unset exits 5 when the key is not set (git-config(1), EXIT STATUS).
  await runGit(['config', `--${scope}`, '--unset-all', key], { cwd, okExitCodes: [5] });
}
