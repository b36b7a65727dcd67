import { EnvironmentError } from '../errors.js';
import { readFile, rm, writeFile } from 'node:fs/promises';
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
  /** The value git uses (the last one read, whatever its scope; `git config --get`). */
  effective(): string | null;
}

export async function readConfigLayers(cwd: string, key: string): Promise<ConfigLayers> {
  return (await readScopedConfig(cwd, [key])).layers(key);
}

/** One `--show-scope -z` entry: the scope it was read at, the key (as git prints it), the value. */
export interface ScopedEntry {
  scope: string;
  key: string;
  value: string;
}

/** Parses `git config --show-scope -z --get-regexp` output (`scope NUL key LF value NUL`). Pure. */
export function parseScopedEntries(output: string): ScopedEntry[] {
  const entries: ScopedEntry[] = [];
  const fields = output.split('\0');
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const entry = fields[i + 1]!;
    const newline = entry.indexOf('\n');
    entries.push({
      scope: fields[i]!,
      key: newline === -1 ? entry : entry.slice(0, newline),
      value: newline === -1 ? '' : entry.slice(newline + 1),
    });
  }
  return entries;
}

/** Some keys at every scope, read with one git. */
export interface ScopedConfig {
  layers(key: string): ConfigLayers;
}

/** The layers of each key in `entries` (git prints section and key names in lower case). Pure. */
export function scopedConfigOf(entries: readonly ScopedEntry[]): ScopedConfig {
  return {
    layers(key) {
      const mine = entries.filter((e) => e.key.toLowerCase() === key.toLowerCase());
      const last = (scopes: readonly string[]): string | null =>
        mine.findLast((e) => scopes.includes(e.scope))?.value ?? null;
      return {
        at: (scope) => last([scope]),
        below: (scope) =>
          last(scope === 'worktree' ? ['local', 'global', 'system'] : ['global', 'system']),
        effective: () => mine.at(-1)?.value ?? null,
      };
    },
  };
}

/**
 * Path-typed keys (`~` expanded) at every scope, with one git: setup reads a
 * new worktree's pw.* keys and core.hooksPath together.
 */
export async function readScopedConfig(
  cwd: string,
  keys: readonly string[],
): Promise<ScopedConfig> {
  // --get-regexp matches the key with section and name in lower case (git-config(1)).
  const pattern = `^(${keys.map((key) => key.toLowerCase().replace(/[.\\^$*+?()[\]{}|]/g, '\\$&')).join('|')})$`;
  const result = await runGit(
    ['config', '--show-scope', '--type=path', '-z', '--get-regexp', pattern],
    { cwd, okExitCodes: [1] },
  );
  return scopedConfigOf(parseScopedEntries(result.stdout));
}

/** The `config.worktree` file of a worktree: in the git dir its `.git` file names (or `.git/`). */
export async function worktreeConfigFile(worktree: string): Promise<string> {
  const dotGit = join(worktree, '.git');
  const text = await readFile(dotGit, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EISDIR') return null;
    throw error;
  });
  if (text === null) return join(dotGit, 'config.worktree');
  const match = /^gitdir: (.*)$/m.exec(text);
  if (!match) throw new Error(`${dotGit} does not name a git dir`);
  return join(resolve(worktree, match[1]!), 'config.worktree');
}

/** A config value as git reads it back: always quoted, `\\`, `"`, newline and tab escaped (git-config(1), "Syntax"). */
export function quoteConfigValue(value: string): string {
  return `"${value.replace(/[\\"\n\t]/g, (c) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\t': '\\t' })[c]!)}"`;
}

/**
 * Sets keys that are NOT yet set in a worktree's own config by appending
 * their sections to its config.worktree, without starting git (setup does
 * this for hundreds of new worktrees). Keys are `section.name` (no
 * subsection). The caller makes sure none of them is set at worktree scope
 * (one key set twice would make later `git config` writes refuse). Returns
 * what puts the file back byte for byte.
 */
export async function appendWorktreeConfig(
  worktree: string,
  values: readonly (readonly [key: string, value: string])[],
): Promise<() => Promise<void>> {
  const file = await worktreeConfigFile(worktree);
  const before = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  const sections = new Map<string, string[]>();
  for (const [key, value] of values) {
    const dot = key.indexOf('.');
    const section = key.slice(0, dot);
    sections.set(section, [
      ...(sections.get(section) ?? []),
      `\t${key.slice(dot + 1)} = ${quoteConfigValue(value)}\n`,
    ]);
  }
  const block = [...sections].map(([section, lines]) => `[${section}]\n${lines.join('')}`).join('');
  const text = before ?? '';
  await writeFile(file, `${text}${text !== '' && !text.endsWith('\n') ? '\n' : ''}${block}`);
  return async () => {
    if (before === null) await rm(file, { force: true });
    else await writeFile(file, before);
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
