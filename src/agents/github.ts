/** The GitHub CLI (`gh`), for `pw pr` and `pw teardown --merged`: argument arrays, never a shell. */
import {
  choosePullRequest,
  parsePullRequests,
  PR_FIELDS,
  type PullRequest,
} from '../domain/pr/pull-requests.js';
import { EnvironmentError, FailedError } from '../errors.js';
import { captureProgram } from './process.js';

export interface GhContext {
  /** The main worktree: gh finds the hosted repository from its remotes. */
  cwd: string;
  env: NodeJS.ProcessEnv;
}

async function gh(context: GhContext, args: readonly string[]): Promise<string> {
  const run = await captureProgram('gh', args, context);
  if (run.missing) throw ghMissing();
  if (run.exitCode !== 0) {
    throw new FailedError(`gh ${args.slice(0, 2).join(' ')} failed (exit ${run.exitCode})`, [
      ...run.stderr.trim().split('\n').filter(Boolean).slice(-5),
      'Check gh auth status and that the remote is a GitHub repository.',
    ]);
  }
  return run.stdout;
}

function ghMissing(): EnvironmentError {
  return new EnvironmentError('gh (the GitHub CLI) is not on PATH; nothing was pushed', [
    'Install it (https://cli.github.com), run gh auth login, then run the command again.',
  ]);
}

/** Refuses (exit 3) when gh is not installed: asked before anything is pushed. */
export async function assertGhAvailable(context: GhContext): Promise<void> {
  const run = await captureProgram('gh', ['--version'], context);
  if (run.missing || run.exitCode !== 0) throw ghMissing();
}

/** The pull request that stands for a branch (choosePullRequest), or null. */
export async function findPullRequest(
  context: GhContext,
  branch: string,
): Promise<PullRequest | null> {
  const output = await gh(context, [
    'pr',
    'list',
    '--head',
    branch,
    '--state',
    'all',
    '--limit',
    '50',
    '--json',
    PR_FIELDS.join(','),
  ]);
  let list: PullRequest[];
  try {
    list = parsePullRequests(output);
  } catch (error) {
    throw new FailedError(`gh pr list printed what pw cannot read: ${(error as Error).message}`, [
      'Update gh (gh --version; pw needs --json output).',
    ]);
  }
  return choosePullRequest(list.filter((p) => p.headRefName === branch || !p.headRefName));
}

export interface NewPullRequest {
  head: string;
  base: string;
  title: string;
  /** A file holding the description: gh reads it, no shell ever sees it. */
  bodyFile: string;
  draft: boolean;
}

/** Opens a pull request; returns its URL (what `gh pr create` prints). */
export async function createPullRequest(
  context: GhContext,
  request: NewPullRequest,
): Promise<string> {
  const output = await gh(context, [
    'pr',
    'create',
    '--head',
    request.head,
    '--base',
    request.base,
    `--title=${request.title}`,
    '--body-file',
    request.bodyFile,
    ...(request.draft ? ['--draft'] : []),
  ]);
  return (
    output
      .trim()
      .split('\n')
      .findLast((l) => /^https?:\/\//.test(l.trim()))
      ?.trim() ?? output.trim()
  );
}
