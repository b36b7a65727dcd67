import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { GATE_ENV } from './find-violations.js';
import { gitOutput, runGit, splitNul } from './run-git.js';

/**
 * What the pre-commit and commit-msg hooks look at when pw explains a
 * refusal: the index being committed and the merge being concluded. Git
 * hands hooks the index in GIT_INDEX_FILE (a temporary one for `commit -a`
 * or `commit <paths>`); every call here inherits it.
 */

export interface HookRepo {
  /** `git rev-parse --git-common-dir`, absolute. */
  commonDir: string;
  /** This worktree's git dir (or the repository, when bare), absolute. */
  gitDir: string;
  bare: boolean;
}

/** The git dirs of the repository a hook runs in; works in a bare hub too. */
export async function readHookRepo(cwd: string): Promise<HookRepo> {
  const output = await gitOutput(
    [
      'rev-parse',
      '--path-format=absolute',
      '--git-common-dir',
      '--git-dir',
      '--is-bare-repository',
    ],
    { cwd },
  );
  const [commonDir = '', gitDir = '', bare = ''] = output.split('\n');
  return {
    commonDir: isAbsolute(commonDir) ? commonDir : resolve(cwd, commonDir),
    gitDir: isAbsolute(gitDir) ? gitDir : resolve(cwd, gitDir),
    bare: bare.trim() === 'true',
  };
}

/** git's empty tree: what an unborn branch (`git switch --orphan`) is compared with. */
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/** Staged paths (index against HEAD, or against nothing on an unborn branch) outside a scope; renames as both paths. */
export async function readStagedPathsOutside(
  cwd: string,
  excludes: readonly string[],
  head: string | null,
): Promise<string[]> {
  const { stdout } = await runGit(
    [
      'diff-index',
      '--cached',
      '--name-only',
      '-z',
      '--no-renames',
      head ?? EMPTY_TREE,
      '--',
      ':/',
      ...excludes,
    ],
    { cwd, env: GATE_ENV },
  );
  return [...new Set(splitNul(stdout))];
}

/**
 * Whether `commit` was just made from this worktree's index on top of
 * `parent` (null: a root commit) (`git commit`, also with --no-verify, a
 * cherry-pick, a squash):
 * its only parent is `parent`, its tree is the index's, and no ref holds it
 * yet. The reference-transaction hook refuses such a commit as a commit of
 * staged paths, which stay staged.
 */
export async function isCommitOfIndex(
  cwd: string,
  commit: string,
  parent: string | null,
  /**
   * The index file to compare with, when not the worktree's own: `git commit
   * -a` commits the index it is writing (index.lock), and names it to no hook.
   */
  indexFile?: string,
): Promise<boolean> {
  const parents = await runGit(['rev-parse', `${commit}^@`], { cwd, okExitCodes: [128] });
  if (parents.exitCode !== 0 || parents.stdout.trim() !== (parent ?? '')) return false;
  const same = await runGit(['diff-index', '--cached', '--quiet', '--no-renames', commit, '--'], {
    cwd,
    env: indexFile ? { ...GATE_ENV, GIT_INDEX_FILE: indexFile } : GATE_ENV,
    // 128: that index is gone already (git finished or gave up meanwhile).
    okExitCodes: [1, 128],
  });
  if (same.exitCode !== 0) return false;
  const unreferenced = await runGit(['rev-list', '-n', '1', commit, '--not', '--all'], { cwd });
  return unreferenced.stdout.trim() === commit;
}

/**
 * The other parents of the commit being made: MERGE_HEAD while concluding a
 * merge (`git commit` after a conflict), or, in pre-merge-commit, where git
 * has not written MERGE_HEAD yet, the `GITHEAD_<sha>` variables git sets for
 * each merged head (builtin/merge.c).
 */
export async function readMergeHeads(gitDir: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  let text = '';
  try {
    text = await readFile(join(gitDir, 'MERGE_HEAD'), 'utf8');
  } catch {
    // Not concluding a merge.
  }
  const heads = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^[0-9a-f]{40,64}$/.test(line));
  if (heads.length) return heads;
  return Object.keys(env)
    .map((key) => /^GITHEAD_([0-9a-f]{40,64})$/.exec(key)?.[1])
    .filter((sha): sha is string => Boolean(sha));
}

/**
 * The merge commit the index would make, written as a dangling object (no ref
 * moves) so the merge can be judged like any other: what differs from every
 * parent.
 */
export async function writeStagedMerge(cwd: string, parents: readonly string[]): Promise<string> {
  const tree = await gitOutput(['write-tree'], { cwd });
  const identity = {
    GIT_AUTHOR_NAME: 'pw',
    GIT_AUTHOR_EMAIL: 'pw@localhost',
    GIT_COMMITTER_NAME: 'pw',
    GIT_COMMITTER_EMAIL: 'pw@localhost',
  };
  return gitOutput(
    [
      'commit-tree',
      tree,
      ...parents.flatMap((p) => ['-p', p]),
      '-m',
      'pw: the merge being committed',
    ],
    { cwd, env: identity },
  );
}

/**
 * How git will clean the message file up before storing it: the comment
 * character whose lines it removes, or '' when it keeps them. Without an
 * editor (`-m`, `-F`; git then runs hooks with GIT_EDITOR=:) the default
 * cleanup is "whitespace" and comment lines stay; with an editor it is
 * "strip" (git-commit(1), --cleanup). `--cleanup` on the command line is not
 * visible to a hook; commit.cleanup is.
 */
export async function readMessageCleanup(
  cwd: string,
  env: NodeJS.ProcessEnv,
  message: string,
): Promise<{ commentChar: string }> {
  const result = await runGit(
    ['config', '--get-regexp', '^(core\\.commentchar|commit\\.cleanup)$'],
    { cwd, okExitCodes: [1] },
  );
  const config = new Map<string, string>();
  for (const line of result.stdout.split('\n')) {
    const space = line.indexOf(' ');
    if (space > 0) config.set(line.slice(0, space).toLowerCase(), line.slice(space + 1));
  }
  const cleanup = (config.get('commit.cleanup') ?? 'default').toLowerCase();
  const strips =
    cleanup === 'strip' ||
    cleanup === 'scissors' ||
    (cleanup === 'default' && env.GIT_EDITOR !== ':');
  if (!strips) return { commentChar: '' };
  const value = config.get('core.commentchar') ?? '#';
  if (value !== 'auto') return { commentChar: value || '#' };
  // auto: git picked one of these not used at a line start (builtin/commit.c,
  // adjust_comment_line_char); the template lines it wrote start with it.
  for (const char of '#;@!$%^&|:') {
    const template = new RegExp(
      `^\\${char} (Please enter the commit message|-{24} >8 -{24}$|On branch |Changes to be committed:)`,
      'm',
    );
    if (template.test(message)) return { commentChar: char };
  }
  return { commentChar: '#' };
}
