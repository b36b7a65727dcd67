import { isAlive } from '../store/process-identity.js';
import { readdir, rm } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { EnvironmentError, GitError } from '../errors.js';
import { readCachedGitVersion, recordGitVersion } from '../store/git-version-cache.js';
import { gitOutput, runGit, splitNul } from './run-git.js';

export const MIN_GIT_VERSION: readonly [number, number] = [2, 38];

/** Parses `git version 2.39.5` (and vendor suffixes such as `(Apple Git-146)`). */
export function parseGitVersion(output: string): [number, number, number] | null {
  const match = /git version (\d+)\.(\d+)(?:\.(\d+))?/.exec(output);
  if (!match) return null;
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

export function isGitVersionSupported(version: readonly number[]): boolean {
  const [major = 0, minor = 0] = version;
  return (
    major > MIN_GIT_VERSION[0] || (major === MIN_GIT_VERSION[0] && minor >= MIN_GIT_VERSION[1])
  );
}

export async function assertGitVersion(cwd: string): Promise<string> {
  const output = await gitOutput(['version'], { cwd });
  const version = parseGitVersion(output);
  if (!version || !isGitVersionSupported(version)) {
    throw new EnvironmentError(`git is too old: ${output.trim()} (pw needs git 2.38 or newer)`, [
      'pw relies on `git merge-tree --write-tree`; install a newer git and run again.',
    ]);
  }
  return version.join('.');
}

export interface RepoInfo {
  /** Top of the worktree the command runs in. */
  topLevel: string;
  /** The main worktree (where the config lives). */
  mainWorktree: string;
  /** `$(git rev-parse --git-common-dir)`, absolute. */
  commonDir: string;
  /** This worktree's own git dir, absolute. */
  gitDir: string;
  /** The branch checked out here, or null when detached. */
  currentBranch: string | null;
}

/**
 * Everything about the repository a command needs to start: two git calls,
 * run at once (each costs a process start, which is most of what it costs),
 * and judged in order: git's version first, then whether this is a worktree.
 * The branch checked out here comes from the worktree list; git's version
 * from the record of an earlier command when the same git binary answered it
 * (store/git-version-cache.ts, in the user's cache folder), else from `git version`.
 */
export async function readRepoInfo(cwd: string): Promise<RepoInfo> {
  const settle = <T>(
    promise: Promise<T>,
  ): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> =>
    promise.then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
  const paths = settle(
    gitOutput(
      ['rev-parse', '--path-format=absolute', '--show-toplevel', '--git-common-dir', '--git-dir'],
      { cwd },
    ),
  );
  const worktrees = settle(listWorktrees(cwd));
  const read = await paths;
  const [topLevel = '', rawCommonDir = '', rawGitDir = ''] = read.ok ? read.value.split('\n') : [];
  const commonDir = isAbsolute(rawCommonDir) ? rawCommonDir : resolve(cwd, rawCommonDir);
  // A git too old for --path-format echoes the option back: only a known git skips the question.
  const known = read.ok && isAbsolute(topLevel) ? await readCachedGitVersion(cwd) : null;
  if (known === null) await recordGitVersion(cwd, await assertGitVersion(cwd));
  if (!read.ok) {
    if (read.error instanceof GitError) {
      const bare = await runGit(['rev-parse', '--is-bare-repository'], {
        cwd,
        okExitCodes: [128],
      });
      if (bare.exitCode === 0 && bare.stdout.trim() === 'true') {
        throw new EnvironmentError(`${cwd} is a bare repository: it has no files to work on`, [
          'pw needs a worktree: clone it (git clone <this repository> <dir>) and run pw there, or add one (git worktree add <dir> <branch>).',
        ]);
      }
      throw new EnvironmentError(`not inside a git repository (or its worktree): ${cwd}`, [
        'Run pw from inside the repository the workers will share, or create one with `git init`.',
      ]);
    }
    throw read.error;
  }
  if (!topLevel) {
    throw new EnvironmentError(`${cwd} is inside a git directory, not a worktree`, [
      'Run pw from a checked-out worktree of the repository.',
    ]);
  }
  const list = await worktrees;
  if (!list.ok) throw list.error;
  return {
    topLevel,
    mainWorktree: list.value[0]?.path ?? topLevel,
    commonDir,
    gitDir: isAbsolute(rawGitDir) ? rawGitDir : resolve(cwd, rawGitDir),
    currentBranch: await branchCheckedOut(cwd, topLevel, list.value),
  };
}

/**
 * The branch checked out in the worktree at `topLevel`, short (`main`), or null
 * when detached: from the worktree list, or from `git symbolic-ref` when the
 * list names this worktree by another path (a symlink on the way).
 */
async function branchCheckedOut(
  cwd: string,
  topLevel: string,
  worktrees: readonly Worktree[],
): Promise<string | null> {
  const here = worktrees.find((w) => w.path === topLevel);
  if (here) return here.branch?.startsWith('refs/heads/') ? here.branch.slice(11) : null;
  const head = await runGit(['symbolic-ref', '-q', '--short', 'HEAD'], { cwd, okExitCodes: [1] });
  return head.exitCode === 0 ? head.stdout.trim() : null;
}

export interface Worktree {
  path: string;
  head: string | null;
  /** Full ref name (`refs/heads/...`), or null when detached. */
  branch: string | null;
  bare: boolean;
  locked: boolean;
  prunable: boolean;
}

/** Parses `git worktree list --porcelain -z`. */
export function parseWorktreeList(output: string): Worktree[] {
  const worktrees: Worktree[] = [];
  let current: Worktree | null = null;
  for (const field of output.split('\0')) {
    if (field === '') {
      if (current) worktrees.push(current);
      current = null;
      continue;
    }
    const space = field.indexOf(' ');
    const key = space === -1 ? field : field.slice(0, space);
    const value = space === -1 ? '' : field.slice(space + 1);
    if (key === 'worktree') {
      current = {
        path: value,
        head: null,
        branch: null,
        bare: false,
        locked: false,
        prunable: false,
      };
    } else if (current) {
      if (key === 'HEAD') current.head = value;
      else if (key === 'branch') current.branch = value;
      else if (key === 'bare') current.bare = true;
      else if (key === 'locked') current.locked = true;
      else if (key === 'prunable') current.prunable = true;
    }
  }
  if (current) worktrees.push(current);
  return worktrees;
}

export async function listWorktrees(cwd: string): Promise<Worktree[]> {
  const { stdout } = await runGit(['worktree', 'list', '--porcelain', '-z'], { cwd });
  return parseWorktreeList(stdout);
}

/**
 * Full commit ids this process has seen exist, by the repository they were
 * asked in: an object does not change, so asking again (a live view checks
 * the plan's base commit on every refresh) would only cost a process.
 */
const knownCommits = new Set<string>();
const FULL_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** The full SHA a revision names, or null when it names nothing. */
export async function resolveCommit(cwd: string, revision: string): Promise<string | null> {
  const key = `${cwd}\0${revision}`;
  if (FULL_ID.test(revision) && knownCommits.has(key)) return revision;
  const found = await resolveCommitOnce(cwd, revision);
  if (found === revision) knownCommits.add(key);
  return found;
}

async function resolveCommitOnce(cwd: string, revision: string): Promise<string | null> {
  const result = await runGit(
    ['rev-parse', '-q', '--verify', '--end-of-options', `${revision}^{commit}`],
    {
      cwd,
      okExitCodes: [1, 128],
    },
  );
  return result.exitCode === 0 ? result.stdout.trim() : null;
}

/** Every ref under `prefix` (or under any of several patterns, in one call) with the commit it points to. */
export async function listRefs(
  cwd: string,
  prefix: string | readonly string[],
): Promise<Map<string, string>> {
  const patterns = typeof prefix === 'string' ? [prefix] : prefix;
  const { stdout } = await runGit(
    ['for-each-ref', '--format=%(refname)%00%(objectname)', ...patterns],
    { cwd },
  );
  const refs = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    if (!line) continue;
    const [name, sha] = line.split('\0');
    if (name && sha) refs.set(name, sha);
  }
  return refs;
}

/** Tracked files (index of the worktree at `cwd`) matching the pathspecs; all when none are given. */
export async function listTrackedFiles(
  cwd: string,
  pathspecs: readonly string[] = [],
): Promise<string[]> {
  const { stdout } = await runGit(
    ['ls-files', '-z', '--full-name', '--', ...(pathspecs.length ? pathspecs : [':/'])],
    {
      cwd,
    },
  );
  return [...new Set(splitNul(stdout))];
}

/** The throwaway index files pw puts in a git dir: `<prefix><pid>-...`. */
const SCRATCH_INDEX = /^(?:pw-index-|pw-wip-index-)(\d+)-/;

/**
 * Removes throwaway index files a killed pw left in `gitDir` (their process
 * is gone; a live one's are left alone). Run at the start of the commands
 * that make them, so a kill leaves them only until the next run.
 */
export async function removeStaleScratchIndexes(gitDir: string): Promise<void> {
  const names = await readdir(gitDir).catch(() => [] as string[]);
  for (const name of names) {
    const pid = SCRATCH_INDEX.exec(name)?.[1];
    if (pid === undefined || isAlive(Number(pid))) continue;
    await rm(join(gitDir, name), { force: true });
  }
}

/**
 * Files of a commit's tree matching each group of pathspecs. `ls-tree` takes
 * no pathspec magic, so the tree is read into a throwaway index and asked with
 * `ls-files`, the same matcher the hooks use. An empty group matches nothing;
 * pass `[':/']` for every file.
 */
export async function listTreeFilesByPathspecs(
  cwd: string,
  commit: string,
  groups: readonly (readonly string[])[],
  scratchDir: string,
): Promise<string[][]> {
  const env = { GIT_INDEX_FILE: join(scratchDir, `pw-index-${process.pid}-${Date.now()}`) };
  try {
    await runGit(['read-tree', commit], { cwd, env });
    const out: string[][] = [];
    for (const pathspecs of groups) {
      // An empty group owns nothing (a worker with `owns: []`); git would
      // read no pathspec as every file.
      if (pathspecs.length === 0) {
        out.push([]);
        continue;
      }
      const { stdout } = await runGit(['ls-files', '-z', '--full-name', '--', ...pathspecs], {
        cwd,
        env,
      });
      out.push(splitNul(stdout));
    }
    return out;
  } finally {
    await rm(env.GIT_INDEX_FILE, { force: true });
  }
}

/** Which of `refs` hold commits `target` lacks (`for-each-ref --no-merged`), with one git. */
export async function listRefsNotMergedInto(
  cwd: string,
  target: string,
  refs: readonly string[],
): Promise<Set<string>> {
  // With no pattern for-each-ref would list every ref.
  if (refs.length === 0) return new Set();
  const { stdout } = await runGit(
    ['for-each-ref', '--format=%(refname)', `--no-merged=${target}`, ...refs],
    { cwd },
  );
  const wanted = new Set(refs);
  return new Set(stdout.split('\n').filter((ref) => wanted.has(ref)));
}

/** Commits reachable from `tip` but not from `base`, newest first. */
export async function listCommitsNotIn(cwd: string, base: string, tip: string): Promise<string[]> {
  return listCommitsReachable(cwd, [tip], base);
}

/** Every commit reachable from any of `tips` and not from `exclude` (one rev-list). */
export async function listCommitsReachable(
  cwd: string,
  tips: readonly string[],
  exclude: string,
): Promise<string[]> {
  if (tips.length === 0) return [];
  const { stdout } = await runGit(['rev-list', '--stdin'], {
    cwd,
    input: `${tips.join('\n')}\n^${exclude}\n`,
  });
  return stdout.split('\n').filter(Boolean);
}

/** `git status --porcelain -z` entries of a worktree (untracked included, ignored not). */
export async function readWorktreeChanges(worktree: string): Promise<string[]> {
  const { stdout } = await runGit(['status', '--porcelain=v1', '-z', '--untracked-files=all'], {
    cwd: worktree,
  });
  return parseStatusEntries(splitNul(stdout));
}

/** The entries (`XY path`) of `git status --porcelain=v1 -z` fields. Pure. */
export function parseStatusEntries(fields: readonly string[]): string[] {
  const entries: string[] = [];
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    entries.push(field);
    // Renames and copies carry the original path as the next field (git-status(1), "Porcelain Format Version 1").
    if (field[0] === 'R' || field[0] === 'C') i++;
  }
  return entries;
}

/**
 * Files named by `.worktreeinclude` (gitignore syntax, at the top of the main
 * worktree) that git ignores: the untracked local files (such as `.env`) a new
 * worktree would otherwise lack. Same rule Claude Code applies.
 */
export async function listWorktreeIncludeFiles(
  mainWorktree: string,
  includeFile: string,
): Promise<string[]> {
  const candidates = await runGit(
    ['ls-files', '-z', '--others', '--ignored', `--exclude-from=${includeFile}`, '--', ':/'],
    { cwd: mainWorktree },
  );
  const paths = splitNul(candidates.stdout);
  if (paths.length === 0) return [];
  // check-ignore exits 1 when none of the paths is ignored (git-check-ignore(1), EXIT STATUS).
  const ignored = await runGit(['check-ignore', '-z', '--stdin'], {
    cwd: mainWorktree,
    input: `${paths.join('\0')}\0`,
    okExitCodes: [1],
  });
  const ignoredSet = new Set(splitNul(ignored.stdout));
  return paths.filter((path) => ignoredSet.has(path));
}

/** The absolute common git dir of the repository at `cwd`. */
export async function readCommonDir(cwd: string): Promise<string> {
  const dir = await gitOutput(['rev-parse', '--path-format=absolute', '--git-common-dir'], {
    cwd,
  });
  return isAbsolute(dir) ? dir : resolve(cwd, dir);
}

/** The branch `origin/HEAD` names (without `origin/`), or null when it is unset. */
export async function readOriginHead(cwd: string): Promise<string | null> {
  const head = await gitOutput(['symbolic-ref', '-q', '--short', 'refs/remotes/origin/HEAD'], {
    cwd,
  }).catch(() => '');
  return head.replace(/^origin\//, '') || null;
}

/** Whether `path` is a bare repository (false also when it is no repository at all). */
export async function isBareRepository(path: string): Promise<boolean> {
  const bare = await gitOutput(['rev-parse', '--is-bare-repository'], { cwd: path }).catch(
    () => null,
  );
  return bare === 'true';
}
