import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const builtBin = join(projectRoot, 'dist', 'cli', 'bin.js');

/** An isolated HOME with a pinned identity, so tests do not read the author's git config. */
export function hermeticEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Test Author',
    GIT_AUTHOR_EMAIL: 'author@example.com',
    GIT_COMMITTER_NAME: 'Test Committer',
    GIT_COMMITTER_EMAIL: 'committer@example.com',
    NO_COLOR: '1',
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    TZ: 'UTC',
    ...extra,
  };
  return env;
}

export interface TempRepo {
  /** The main worktree. */
  dir: string;
  /** Parent of the main worktree; pw's default worktrees go next to `dir`. */
  root: string;
  env: NodeJS.ProcessEnv;
  git(
    args: string[],
    options?: { cwd?: string; input?: string; env?: Record<string, string> },
  ): string;
  /** Runs git and returns status and output without throwing. */
  gitResult(
    args: string[],
    options?: { cwd?: string; input?: string; env?: Record<string, string> },
  ): { status: number; stdout: string; stderr: string };
  write(path: string, content: string, cwd?: string): void;
  commitAll(message: string, cwd?: string): string;
  /** Runs the built `pw` binary. */
  pw(
    args: string[],
    options?: { cwd?: string; input?: string; env?: Record<string, string> },
  ): { status: number; stdout: string; stderr: string };
  cleanup(): void;
}

/** A fresh repository (`git init -b main`, local identity, no signing, no automatic gc or maintenance) in a temp dir. */
export function createTempRepo(options: { files?: Record<string, string> } = {}): TempRepo {
  const root = mkdtempSync(join(tmpdir(), 'pw-test-'));
  mkdirSync(join(root, 'home'), { recursive: true });
  mkdirSync(join(root, 'repo'), { recursive: true });
  const repo = openTempRepo(root);
  const { write, commitAll } = repo;
  // What `git init` and the config calls make, copied: seven git processes fewer per repository.
  cpSync(initializedGitDir(repo.env), join(repo.dir, '.git'), { recursive: true });
  const files = options.files ?? { 'README.md': '# test\n' };
  for (const [path, content] of Object.entries(files)) write(path, content);
  commitAll('initial commit');
  return repo;
}

let gitDirTemplate: string | null = null;

/**
 * The `.git` folder of `git init -q -b main` with the test identity and
 * settings, made once per test process (it holds no absolute path).
 */
function initializedGitDir(env: NodeJS.ProcessEnv): string {
  if (gitDirTemplate) return gitDirTemplate;
  const folder = mkdtempSync(join(tmpdir(), 'pw-git-template-'));
  process.on('exit', () => rmSync(folder, { recursive: true, force: true }));
  execFileSync('git', ['init', '-q', '-b', 'main', folder], { env });
  for (const [key, value] of [
    ['user.name', 'Test User'],
    ['user.email', 'test@example.com'],
    ['commit.gpgSign', 'false'],
    ['tag.gpgSign', 'false'],
    ['gc.auto', '0'],
    ['core.autocrlf', 'false'],
    // No `git maintenance run --auto` process after every commit (gc.auto=0 only stops gc).
    ['maintenance.auto', 'false'],
  ] as const) {
    execFileSync('git', ['config', key, value], { cwd: folder, env });
  }
  gitDirTemplate = join(folder, '.git');
  return gitDirTemplate;
}

/** The helpers for a temp repository made by createTempRepo (or a copy of one at the same root). */
export function openTempRepo(root: string): TempRepo {
  const home = join(root, 'home');
  const dir = join(root, 'repo');
  const env = hermeticEnv(home);

  const gitResult: TempRepo['gitResult'] = (args, opts = {}) => {
    const result = spawnSync('git', args, {
      cwd: opts.cwd ?? dir,
      env: { ...env, ...opts.env },
      input: opts.input,
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
  };
  const git: TempRepo['git'] = (args, opts = {}) => {
    const result = gitResult(args, opts);
    if (result.status !== 0) {
      throw new Error(`git ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
    }
    return result.stdout.replace(/\n$/, '');
  };
  const write: TempRepo['write'] = (path, content, cwd = dir) => {
    const full = join(cwd, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  };
  const commitAll: TempRepo['commitAll'] = (message, cwd = dir) => {
    git(['add', '-A'], { cwd });
    git(['commit', '-q', '--allow-empty', '-m', message], { cwd });
    return git(['rev-parse', 'HEAD'], { cwd });
  };
  const pw: TempRepo['pw'] = (args, opts = {}) => {
    const result = spawnSync(process.execPath, [builtBin, ...args], {
      cwd: opts.cwd ?? dir,
      env: { ...env, ...opts.env },
      input: opts.input,
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
  };

  return {
    dir,
    root,
    env,
    git,
    gitResult,
    write,
    commitAll,
    pw,
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
