import { createHash, type Hash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, type BigIntStats, type Dirent } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/**
 * A worktree's signature: a hash over everything `git status --porcelain
 * --untracked-files=all` reads (git-status(1)), taken from the file system
 * alone, with no git process:
 *   - the worktree's HEAD, the ref it names, packed-refs and the index file
 *     (any `git add`, commit, reset or checkout rewrites one of them);
 *   - every file of the worktree, by lstat (size, mode, inode, mtime and
 *     ctime in nanoseconds): an edit in place changes the file's ctime even
 *     when its size and mtime are put back; every folder by its name (a new,
 *     removed or renamed entry shows as a name, so a folder's own stamps add
 *     nothing and cost an lstat each);
 *   - what decides what is ignored: each .gitignore is a file of the
 *     worktree; info/exclude, the config files and the global excludes file
 *     are stat'ed too.
 * Folders git reported as ignored as a whole (`!! dir/`) are not entered:
 * what they hold cannot show in status until an ignore rule changes, which
 * changes the signature. Equal signatures mean the status git printed when the
 * older one was taken still holds, with one exception, handled as git handles
 * its "racily clean" index entries: a file changed twice within the file
 * system's timestamp granularity keeps its stamps, so a signature with any
 * stamp newer than RACY_NS before it was taken is `racy` and not to be reused.
 *
 * Null when the worktree cannot be read, or holds a nested repository or
 * submodule (whose status depends on files outside it): always ask git.
 */
export interface WorktreeSignature {
  key: string;
  racy: boolean;
}

/** Two seconds: coarser than the stamps of any common file system (FAT's are 2 s). */
const RACY_NS = 2_000_000_000n;

export interface SignatureContext {
  /** `git rev-parse --git-common-dir`, absolute. */
  commonDir: string;
  /** The environment git runs with: where its global config and excludes are. */
  env: NodeJS.ProcessEnv;
}

function stamp(hash: Hash, label: string, info: BigIntStats | null): bigint {
  if (info === null) {
    hash.update(`${label}\0-\n`);
    return 0n;
  }
  hash.update(
    `${label}\0${info.mode}\0${info.size}\0${info.ino}\0${info.mtimeNs}\0${info.ctimeNs}\n`,
  );
  return info.mtimeNs > info.ctimeNs ? info.mtimeNs : info.ctimeNs;
}

function lstatOrNull(path: string): BigIntStats | null {
  try {
    return lstatSync(path, { bigint: true });
  } catch {
    return null;
  }
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** The worktree's own git dir, from its `.git` file (`gitdir: <path>`) or folder. */
export function readGitDir(worktree: string): string | null {
  const dotGit = join(worktree, '.git');
  const info = lstatOrNull(dotGit);
  if (info === null) return null;
  if (info.isDirectory()) return dotGit;
  const text = readOrNull(dotGit);
  const match = text === null ? null : /^gitdir: (.+)$/m.exec(text);
  if (!match) return null;
  const path = match[1]!.trim();
  return isAbsolute(path) ? path : resolve(worktree, path);
}

/** The config and excludes files git may read besides the worktree's own (git-config(1), gitignore(5)). */
function outsideFiles(context: SignatureContext, gitDir: string): string[] {
  const { env } = context;
  const home = env.HOME ?? homedir();
  const xdg = env.XDG_CONFIG_HOME || join(home, '.config');
  return [
    join(context.commonDir, 'config'),
    join(gitDir, 'config.worktree'),
    join(context.commonDir, 'info', 'exclude'),
    join(gitDir, 'info', 'sparse-checkout'),
    env.GIT_CONFIG_GLOBAL ?? join(home, '.gitconfig'),
    join(xdg, 'git', 'config'),
    join(xdg, 'git', 'ignore'),
    env.GIT_CONFIG_SYSTEM ?? '/etc/gitconfig',
  ];
}

/** Environment variables that change what git status reports or reads. */
const STATUS_ENV = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_CONFIG_GLOBAL',
  'GIT_CONFIG_SYSTEM',
  'GIT_CONFIG_NOSYSTEM',
  'GIT_CONFIG_COUNT',
  'GIT_CONFIG_PARAMETERS',
  'HOME',
  'XDG_CONFIG_HOME',
];

/**
 * The signature of `worktree` now; `ignoredDirs`: folders (relative, no
 * trailing slash) that git reported as ignored as a whole. See
 * WorktreeSignature.
 */
export function readWorktreeSignature(
  worktree: string,
  ignoredDirs: readonly string[],
  context: SignatureContext,
): WorktreeSignature | null {
  const started = BigInt(Date.now()) * 1_000_000n;
  const hash = createHash('sha256');
  let newest = 0n;
  const note = (label: string, info: BigIntStats | null): void => {
    const at = stamp(hash, label, info);
    if (at > newest) newest = at;
  };
  const gitDir = readGitDir(worktree);
  if (gitDir === null) return null;
  hash.update(`${worktree}\0${gitDir}\0${ignoredDirs.join('\0')}\n`);
  for (const name of STATUS_ENV) hash.update(`${name}=${context.env[name] ?? ''}\n`);
  // HEAD, and the ref it names (loose, or in packed-refs).
  const head = readOrNull(join(gitDir, 'HEAD'));
  hash.update(`HEAD\0${head ?? '-'}\n`);
  note('HEAD', lstatOrNull(join(gitDir, 'HEAD')));
  const symref = head === null ? null : /^ref: (refs\/\S+)/.exec(head);
  if (symref) {
    const loose = join(context.commonDir, symref[1]!);
    hash.update(`ref\0${readOrNull(loose) ?? '-'}\n`);
    note('ref', lstatOrNull(loose));
  }
  note('packed-refs', lstatOrNull(join(context.commonDir, 'packed-refs')));
  note('index', lstatOrNull(join(gitDir, 'index')));
  for (const file of outsideFiles(context, gitDir)) note(file, lstatOrNull(file));

  const skip = new Set(ignoredDirs);
  const pending = [''];
  while (pending.length) {
    const dir = pending.pop()!;
    let entries: Dirent[];
    try {
      entries = readdirSync(dir === '' ? worktree : join(worktree, dir), { withFileTypes: true });
    } catch {
      return null;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const name = entry.name;
      if (name === '.git') {
        if (dir === '') continue;
        // A nested repository or a submodule: its status lives outside this walk.
        return null;
      }
      const path = dir === '' ? name : `${dir}/${name}`;
      if (entry.isDirectory()) {
        // A folder counts by its name and what it holds: git status never reads
        // a folder's own stamps, and an entry added, removed or renamed in it
        // shows by its name. No lstat, so a folder costs one readdir.
        if (skip.has(path)) {
          // Ignored as a whole: only that it is still a folder counts, not what happens inside.
          hash.update(`${path}\0ignored folder\n`);
          continue;
        }
        hash.update(`${path}\0folder\n`);
        pending.push(path);
        continue;
      }
      note(path, lstatOrNull(join(worktree, path)));
    }
  }
  return { key: hash.digest('hex'), racy: newest >= started - RACY_NS };
}
