import { dirname } from 'node:path/posix';
import type { CompiledPlan } from '../domain/plan/plan.js';
import { EnvironmentError, UsageError } from '../errors.js';
import { readConfig, writeConfig } from './config.js';
import { fetchFromHub, hubNamespace, listRemoteNames } from './hub-remote.js';

export interface WorkerFetch {
  /** What was fetched from: a remote name, or a URL or path. */
  remote: string;
  /** Where the worker branches landed: `refs/remotes/<namespace>/<branch>`. */
  namespace: string;
}

/**
 * Which hub `--fetch` means: the remote (or URL, or path) given; else the
 * `pw.hub` setting; else `origin`; else the only remote.
 */
export async function resolveHub(cwd: string, requested: string | true): Promise<WorkerFetch> {
  const remotes = await listRemoteNames(cwd);
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
  return { remote, namespace: hubNamespace(remotes, remote) };
}

/**
 * What a read command (status, wait, check, integrate, retro) does about the
 * hub: `--fetch [remote]` (true or a name), `--no-fetch` (false), or neither
 * (undefined: fetch when `pw.hub` is set).
 */
export type FetchRequest = string | boolean | undefined;

export interface HubRead {
  /** The hub whose copies of the worker branches are read; null: none set or named. */
  hub: WorkerFetch | null;
  /** Fetch before reading. */
  fetch: boolean;
  /** Named on the command line: a failed fetch is an error (else a warning, and the last fetch is read). */
  explicit: boolean;
  /** pw.hub is not set: set it to this once a named fetch has worked, so every command reads that hub. */
  record: string | null;
}

/**
 * Which hub every read command reads, and whether it fetches first: the
 * remote `--fetch` names, else `pw.hub`. With `pw.hub` set, fetching is on
 * unless `--no-fetch`; the copies fetched last are read either way, so the
 * commands agree with each other whichever of them fetched.
 */
export async function resolveHubRead(cwd: string, request: FetchRequest): Promise<HubRead> {
  const configured = await readConfig(cwd, 'pw.hub');
  if (request === true || typeof request === 'string') {
    const hub = await resolveHub(cwd, request);
    return { hub, fetch: true, explicit: true, record: configured === null ? hub.remote : null };
  }
  if (configured === null) return { hub: null, fetch: false, explicit: false, record: null };
  const hub = await resolveHub(cwd, configured);
  return { hub, fetch: request !== false, explicit: false, record: null };
}

/**
 * Fetches as `read` says. Returns warnings (a default fetch that failed: the
 * copies fetched last are read) and notes (the hub recorded as pw.hub).
 */
export async function fetchForRead(
  cwd: string,
  plan: CompiledPlan,
  read: HubRead,
): Promise<{ warnings: string[]; notes: string[] }> {
  if (!read.fetch || !read.hub) return { warnings: [], notes: [] };
  try {
    await fetchWorkerBranches(cwd, plan, read.hub);
  } catch (error) {
    if (read.explicit || !(error instanceof EnvironmentError)) throw error;
    return {
      warnings: [
        `${error.message}; showing the worker branches as fetched last (--no-fetch not to try)`,
      ],
      notes: [],
    };
  }
  if (!read.record) return { warnings: [], notes: [] };
  await writeConfig(cwd, 'pw.hub', read.record, 'local');
  return {
    warnings: [],
    notes: [
      `pw: the hub is now ${read.record} (git config pw.hub ${read.record}): status, wait, check, integrate and retro fetch from it and read its copies; --no-fetch skips the fetch`,
    ],
  };
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
  await fetchFromHub(cwd, hub.remote, refspecs, {
    prune: true,
    failure: `could not fetch the worker branches of plan "${plan.name}" from ${hub.remote}`,
    hint: 'Check that the hub is reachable (git ls-remote <hub>), or run without --fetch to show the local branches.',
  });
}
