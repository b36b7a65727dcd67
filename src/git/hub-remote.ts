import { isAbsolute, resolve } from 'node:path';
import { EnvironmentError, GitError, UsageError } from '../errors.js';
import { isBareRepository } from './repo.js';
import { gitOutput, runGit } from './run-git.js';

/**
 * The hub seen from a machine: the plan published there under
 * `refs/pw/<plan>/plan` (a commit whose tree holds the trusted `plan.json`
 * setup wrote, with the plan's base commit as parent, so fetching it brings
 * the base along), the worker branches, and pushing to it. Hub names are
 * hostile input: a remote name, a URL or a path, never an option.
 */

export function publishedPlanRef(plan: string): string {
  return `refs/pw/${plan}/plan`;
}

/** The file the plan commit's tree holds. */
export const PUBLISHED_PLAN_FILE = 'plan.json';

/** Never prompt for credentials: a command that waits on a hidden prompt looks hung. */
export const NETWORK_ENV = { GIT_TERMINAL_PROMPT: '0' };

/** A hub as given: refused when git could read it as an option. */
export function assertHubName(hub: string, flag: string): void {
  if (hub === '' || hub.startsWith('-') || /[\0\n]/.test(hub)) {
    throw new UsageError(`${flag}: ${JSON.stringify(hub)} is not a remote, URL or path`, [
      'Name the hub as a configured remote (e.g. origin), a URL, or the path of a bare repository.',
    ]);
  }
}

/** The remotes configured in the repository, by name. */
export async function listRemoteNames(cwd: string): Promise<string[]> {
  return (await gitOutput(['remote'], { cwd })).split('\n').filter(Boolean);
}

/**
 * Where the hub's branches land here, `refs/remotes/<namespace>/`: a
 * configured remote's own name; a URL or path has none of its own and gets
 * `pw-hub`.
 */
export function hubNamespace(remotes: readonly string[], hub: string): string {
  return remotes.includes(hub) ? hub : 'pw-hub';
}

export interface HubLocation {
  /** What git is given to fetch from and push to: a remote name, a URL or an absolute path. */
  remote: string;
  /** The hub's bare repository on this machine, when it is reachable as a path; else null. */
  localPath: string | null;
}

/**
 * Where `hub` points: a configured remote (its URL read for a local path), or
 * a URL, or a path (made absolute against `cwd`, so the recorded `pw.hub`
 * works from every worktree).
 */
export async function locateHub(cwd: string, hub: string): Promise<HubLocation> {
  const remotes = await listRemoteNames(cwd);
  let url = hub;
  let remote = hub;
  if (remotes.includes(hub)) {
    url = await gitOutput(['remote', 'get-url', '--', hub], { cwd });
  } else if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(hub) && !/^[^/]+@[^/]+:/.test(hub)) {
    remote = isAbsolute(hub) ? hub : resolve(cwd, hub);
    url = remote;
  }
  const path = url.startsWith('file://') ? url.slice('file://'.length) : url;
  // A URL or scp-like `host:path` is another machine; anything else is a path here.
  const localPath = isAbsolute(path) ? path : path.includes(':') ? null : resolve(cwd, path);
  return {
    remote,
    localPath: localPath !== null && (await isBareRepository(localPath)) ? localPath : null,
  };
}

function lastLine(error: GitError): string {
  return error.stderr.trim().split('\n').pop() ?? '';
}

/**
 * The plans published on the hub, with each plan commit (one `git ls-remote`).
 * Throws EnvironmentError when the hub cannot be read.
 */
export async function listPublishedPlans(cwd: string, hub: string): Promise<Map<string, string>> {
  try {
    const out = await gitOutput(['ls-remote', '--refs', '--end-of-options', hub, 'refs/pw/*'], {
      cwd,
      env: NETWORK_ENV,
    });
    const plans = new Map<string, string>();
    for (const line of out.split('\n')) {
      const match = /^([0-9a-f]{40,64})\trefs\/pw\/([^/]+)\/plan$/.exec(line);
      if (match) plans.set(match[2]!, match[1]!);
    }
    return plans;
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    throw new EnvironmentError(`cannot read the hub ${hub}: ${lastLine(error)}`, [
      'Check that it is reachable (git ls-remote <hub>) and that you may read it, then try again.',
    ]);
  }
}

/** The worker branches the hub has, by full ref name (one `git ls-remote`). */
export async function listHubBranches(
  cwd: string,
  hub: string,
  branches: readonly string[],
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  if (branches.length === 0) return found;
  try {
    const out = await gitOutput(
      ['ls-remote', '--heads', '--end-of-options', hub, ...branches.map((b) => `refs/heads/${b}`)],
      { cwd, env: NETWORK_ENV },
    );
    for (const line of out.split('\n')) {
      const [sha, ref] = line.split('\t');
      if (sha && ref && branches.includes(ref.replace(/^refs\/heads\//, ''))) found.set(ref, sha);
    }
    return found;
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    throw new EnvironmentError(`cannot read the hub ${hub}: ${lastLine(error)}`, [
      'Check that it is reachable (git ls-remote <hub>), then try again.',
    ]);
  }
}

/**
 * Fetches refs from the hub (`src:dst` refspecs, forced), without tags or
 * FETCH_HEAD; `prune` drops destination refs the hub no longer has. A
 * failure is an EnvironmentError worded by `failure` and `hint`.
 */
export async function fetchFromHub(
  cwd: string,
  hub: string,
  refspecs: readonly string[],
  options: { prune?: boolean; failure?: string; hint?: string } = {},
): Promise<void> {
  try {
    await runGit(
      [
        'fetch',
        '--quiet',
        '--no-tags',
        ...(options.prune ? ['--prune'] : []),
        '--no-write-fetch-head',
        '--no-auto-maintenance',
        '--end-of-options',
        hub,
        ...refspecs,
      ],
      // The reference-transaction hook of a worker's worktree guards refs/pw/; this is pw's own record.
      { cwd, env: NETWORK_ENV },
    );
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    throw new EnvironmentError(
      `${options.failure ?? `could not fetch from the hub ${hub}`}: ${lastLine(error)}`,
      [options.hint ?? 'Check that the hub is reachable (git ls-remote <hub>), then try again.'],
    );
  }
}

/** The text of `plan.json` in a plan commit; null when it has none. */
export async function readPlanCommitText(cwd: string, commit: string): Promise<string | null> {
  const result = await runGit(['cat-file', 'blob', `${commit}^{commit}:${PUBLISHED_PLAN_FILE}`], {
    cwd,
    okExitCodes: [128],
  });
  return result.exitCode === 0 ? result.stdout : null;
}

/**
 * Records the plan text as a commit (tree: `plan.json`; parent: the base
 * commit) without touching any ref. pw's own identity and the base commit's
 * time, so publishing never depends on the user's identity or signing setup,
 * and the same plan is always the same commit (publishing again moves nothing).
 */
export async function writePlanCommit(
  cwd: string,
  planText: string,
  baseCommit: string,
  plan: string,
): Promise<string> {
  const blob = await gitOutput(['hash-object', '-w', '--stdin'], { cwd, input: planText });
  const tree = await gitOutput(['mktree'], {
    cwd,
    input: `100644 blob ${blob}\t${PUBLISHED_PLAN_FILE}\n`,
  });
  const seconds = await gitOutput(['show', '-s', '--format=%ct', baseCommit, '--'], { cwd });
  const date = `${seconds} +0000`;
  return gitOutput(
    ['-c', 'commit.gpgSign=false', 'commit-tree', '-p', baseCommit, '-F', '-', tree],
    {
      cwd,
      input: `pw plan ${plan}\n\nThe trusted plan pw setup wrote; pw join reads it.\n`,
      env: {
        GIT_AUTHOR_NAME: 'pw',
        GIT_AUTHOR_EMAIL: 'pw@localhost',
        GIT_COMMITTER_NAME: 'pw',
        GIT_COMMITTER_EMAIL: 'pw@localhost',
        GIT_AUTHOR_DATE: date,
        GIT_COMMITTER_DATE: date,
      },
    },
  );
}

export interface PushRefusal {
  /** git's last lines (the hub's pre-receive message among them). */
  message: string;
  /** Whether the hub could not be reached at all (offline), as against refusing. */
  unreachable: boolean;
}

/** Pushes refspecs to the hub; returns null when done, or why not. */
export async function pushToHub(
  cwd: string,
  hub: string,
  refspecs: readonly string[],
  options: { noVerify?: boolean } = {},
): Promise<PushRefusal | null> {
  const result = await runGit(
    [
      'push',
      '--porcelain',
      ...(options.noVerify ? ['--no-verify'] : []),
      '--end-of-options',
      hub,
      ...refspecs,
    ],
    { cwd, env: NETWORK_ENV, okExitCodes: [1, 128] },
  );
  if (result.exitCode === 0) return null;
  const text = `${result.stderr}\n${result.stdout}`.trim();
  // git's words when it never got to talk to the hub (a refusal by a hook on either side says more).
  const unreachable =
    !/^!\t/m.test(result.stdout) &&
    /could not read from remote|unable to access|does not appear to be a git repository|could not resolve|connection (refused|timed out)|no route to host|network is unreachable/i.test(
      text,
    );
  return { message: text, unreachable };
}
