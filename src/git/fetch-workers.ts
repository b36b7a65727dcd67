import { dirname } from 'node:path/posix';
import type { CompiledPlan } from '../domain/plan/plan.js';
import { EnvironmentError, GitError, UsageError } from '../errors.js';
import { readConfig } from './config.js';
import { runGit } from './run-git.js';

export interface WorkerFetch {
  /** What was fetched from: a remote name, or a URL or path. */
  remote: string;
  /** Where the worker branches landed: `refs/remotes/<namespace>/<branch>`. */
  namespace: string;
}

/** Remote names configured in the repository. */
async function listRemotes(cwd: string): Promise<string[]> {
  const { stdout } = await runGit(['remote'], { cwd });
  return stdout.split('\n').filter(Boolean);
}

/**
 * Which hub `--fetch` means: the remote (or URL, or path) given; else the
 * `pw.hub` setting; else `origin`; else the only remote.
 */
export async function resolveHub(cwd: string, requested: string | true): Promise<WorkerFetch> {
  const remotes = await listRemotes(cwd);
  let remote: string | null = typeof requested === 'string' ? requested : null;
  remote ??= await readConfig(cwd, 'pw.hub');
  if (remote === null) {
    if (remotes.includes('origin')) remote = 'origin';
    else if (remotes.length === 1) remote = remotes[0]!;
    else {
      throw new UsageError(
        remotes.length === 0
          ? '--fetch: this repository has no remote to fetch the worker branches from'
          : `--fetch: ${remotes.length} remotes and none is named origin; say which (${remotes.join(', ')})`,
        [
          'Name the hub: pw status --fetch <remote|url|path>, or set it once with git config pw.hub <remote>.',
        ],
      );
    }
  }
  // A URL or path has no remote-tracking namespace of its own; it gets one.
  return { remote, namespace: remotes.includes(remote) ? remote : 'pw-hub' };
}

/**
 * Fetches every worker branch of the plan from the hub into
 * `refs/remotes/<namespace>/`, never into the local branches (those are
 * checked out in worktrees). Branches the hub lacks are simply not there.
 */
export async function fetchWorkerBranches(
  cwd: string,
  plan: CompiledPlan,
  hub: WorkerFetch,
): Promise<void> {
  const folders = [...new Set(plan.workers.map((w) => dirname(w.branch)))];
  const refspecs = folders.map(
    (folder) => `+refs/heads/${folder}/*:refs/remotes/${hub.namespace}/${folder}/*`,
  );
  try {
    await runGit(
      [
        'fetch',
        '--quiet',
        '--no-tags',
        '--prune',
        '--no-write-fetch-head',
        '--no-auto-maintenance',
        '--end-of-options',
        hub.remote,
        ...refspecs,
      ],
      { cwd, env: { GIT_TERMINAL_PROMPT: '0' } },
    );
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    throw new EnvironmentError(
      `could not fetch the worker branches of plan "${plan.name}" from ${hub.remote}: ${error.stderr.trim().split('\n').pop() ?? ''}`,
      [
        'Check that the hub is reachable (git ls-remote <hub>), or run without --fetch to show the local branches.',
      ],
    );
  }
}
