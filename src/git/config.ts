import { EnvironmentError } from '../errors.js';
import { runGit } from './run-git.js';

export type ConfigScope = 'local' | 'worktree';

export interface ReadConfigOptions {
  /** `path`: git expands `~` (git-config(1), --type). */
  type?: 'path';
}

/** A config value, or null when unset. */
export async function readConfig(
  cwd: string,
  key: string,
  scope?: ConfigScope,
  options: ReadConfigOptions = {},
): Promise<string | null> {
  const result = await runGit(
    [
      'config',
      ...(scope ? [`--${scope}`] : []),
      ...(options.type ? [`--type=${options.type}`] : []),
      '--get',
      key,
    ],
    { cwd, okExitCodes: [1] },
  );
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

/**
 * A path-typed key from the scopes below `scope` (for a worktree: the shared
 * local config, global, system): what git would use if the value at `scope`
 * were gone.
 */
export async function readConfigBelow(
  cwd: string,
  key: string,
  scope: ConfigScope,
): Promise<string | null> {
  const result = await runGit(['config', '--show-scope', '--type=path', '--get-all', key], {
    cwd,
    okExitCodes: [1],
  });
  const below = scope === 'worktree' ? ['local', 'global', 'system'] : ['global', 'system'];
  let value: string | null = null;
  for (const line of result.stdout.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab !== -1 && below.includes(line.slice(0, tab))) value = line.slice(tab + 1);
  }
  return value;
}

/** core.hooksPath as git reads it in `cwd` (`scope` for one scope only); `~` expanded. */
export function readHooksPath(cwd: string, scope?: ConfigScope): Promise<string | null> {
  return readConfig(cwd, 'core.hooksPath', scope, { type: 'path' });
}

/** Sets core.hooksPath at `scope`, or unsets it for null. */
export async function writeHooksPath(
  cwd: string,
  scope: ConfigScope,
  value: string | null,
): Promise<void> {
  if (value === null) await unsetConfig(cwd, 'core.hooksPath', scope);
  else await writeConfig(cwd, 'core.hooksPath', value, scope);
}

export async function assertWorktreeConfig(commonDir: string): Promise<void> {
  if ((await readConfig(commonDir, 'extensions.worktreeConfig', 'local'))?.trim() !== 'true') {
    throw new EnvironmentError(
      'extensions.worktreeConfig is off, so pw cannot give a worktree its own hooks folder',
      ['Run pw setup <plan> (it turns the setting on and installs the hooks).'],
    );
  }
}
