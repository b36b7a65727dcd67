import { EnvironmentError } from '../errors.js';
import { dirname, join, resolve } from 'node:path';
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

/** A path-typed key at every config scope, read with one git: what each scope sets. */
export interface ConfigLayers {
  /** The value set at `scope` (the last one there, as git reads it), or null. */
  at(scope: ConfigScope): string | null;
  /**
   * What git would use if the value at `scope` were gone: for a worktree the
   * shared local config, global, system; for local, global and system.
   */
  below(scope: ConfigScope): string | null;
}

export async function readConfigLayers(cwd: string, key: string): Promise<ConfigLayers> {
  const result = await runGit(['config', '--show-scope', '--type=path', '--get-all', key], {
    cwd,
    okExitCodes: [1],
  });
  const entries: [scope: string, value: string][] = [];
  for (const line of result.stdout.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab !== -1) entries.push([line.slice(0, tab), line.slice(tab + 1)]);
  }
  const last = (scopes: readonly string[]): string | null =>
    entries.findLast(([scope]) => scopes.includes(scope))?.[1] ?? null;
  return {
    at: (scope) => last([scope]),
    below: (scope) =>
      last(scope === 'worktree' ? ['local', 'global', 'system'] : ['global', 'system']),
  };
}

/** Several keys at one scope, read with one git (`--get-regexp`); unset keys are missing. */
export async function readConfigKeys(
  cwd: string,
  keys: readonly string[],
  scope: ConfigScope,
): Promise<Map<string, string>> {
  const pattern = `^(${keys.map((key) => key.replace(/[.\\^$*+?()[\]{}|]/g, '\\$&')).join('|')})$`;
  const result = await runGit(['config', '-z', `--${scope}`, '--get-regexp', pattern], {
    cwd,
    okExitCodes: [1],
  });
  const values = new Map<string, string>();
  for (const entry of result.stdout.split('\0')) {
    if (!entry) continue;
    const newline = entry.indexOf('\n');
    const name = newline === -1 ? entry : entry.slice(0, newline);
    // git prints section and key names in lower case; the last value wins.
    const key = keys.find((wanted) => wanted.toLowerCase() === name.toLowerCase());
    if (key) values.set(key, newline === -1 ? '' : entry.slice(newline + 1));
  }
  return values;
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

/**
 * Parses `git config --list --show-origin --show-scope -z` run in `cwd`: the
 * files the values came from (includes followed), and the target of every
 * include.path and includeIf.<condition>.path, whether its condition holds
 * here or not (a relative target is relative to the file that includes it,
 * git-config(1), "Includes"). Absolute paths, in order, once each. Pure.
 */
export function parseConfigFiles(output: string, cwd: string, home: string): string[] {
  const files: string[] = [];
  const fields = output.split('\0');
  for (let i = 0; i + 2 < fields.length; i += 3) {
    const origin = fields[i + 1]!;
    const entry = fields[i + 2]!;
    if (!origin.startsWith('file:')) continue;
    const file = resolve(cwd, origin.slice('file:'.length));
    files.push(file);
    const newline = entry.indexOf('\n');
    const key = (newline === -1 ? entry : entry.slice(0, newline)).toLowerCase();
    if (newline === -1 || !/^include(if\..*)?\.path$/.test(key)) continue;
    const target = entry.slice(newline + 1);
    if (target === '') continue;
    files.push(
      target.startsWith('~/') ? join(home, target.slice(2)) : resolve(dirname(file), target),
    );
  }
  return [...new Set(files)];
}

/**
 * The config files git reads in `cwd` (or `file` and what it includes),
 * includes followed, and every include target (parseConfigFiles).
 */
export async function listConfigFiles(cwd: string, home: string, file?: string): Promise<string[]> {
  const source = file === undefined ? [] : ['--file', file, '--includes'];
  const { stdout } = await runGit(
    ['config', ...source, '--list', '--show-origin', '--show-scope', '-z'],
    { cwd },
  );
  return parseConfigFiles(stdout, cwd, home);
}
