import { join } from 'node:path';
import type { CompiledPlan } from '../domain/plan/plan.js';
import { FailedError, UsageError } from '../errors.js';
import { readConfig, unsetConfig } from '../git/config.js';
import { uninstallHubHooks } from '../git/hooks/index.js';
import {
  assertHubName,
  fetchFromHub,
  hubNamespace,
  listRemoteNames,
  locateHub,
  publishedPlanRef,
} from '../git/hub-remote.js';
import { updateRefs } from '../git/ref-transaction.js';
import { deleteRef, isAncestor } from '../git/refs.js';
import { listRefs, resolveCommit, type RepoInfo } from '../git/repo.js';
import {
  hubRecordPath,
  readHubRecord,
  removePushFolder,
  type HubRecord,
} from '../store/hub-record.js';
import { removePath } from '../store/trusted-store.js';
import { readWorkerStates, type WorkerState } from './teardown.js';

/**
 * The hub's part of `pw teardown`: on a machine that joined a plan, the one
 * worker's work is judged against the hub (never against a target this
 * machine does not integrate), and what join recorded goes; with `--hub`, on
 * the machine that set the hub up, the plan's branches, plan ref and
 * `pw/<plan>/` folder leave the hub, each branch only once the target has
 * its work.
 */

export interface HubCleanup {
  /** The hub's bare repository on this machine. */
  path: string;
  plan: string;
  /** Refs to delete in the hub, each only if it still holds this commit. */
  refs: { ref: string; commit: string }[];
}

export interface HubSide {
  /** What join or publish recorded here; null when neither ran. */
  record: HubRecord | null;
  /** Set when this machine joined the plan (pw join). */
  joined: HubRecord | null;
  /** With --hub: what to remove from the hub. */
  cleanup: HubCleanup | null;
}

/** Reads the hub's side of a teardown; throws (nothing changed yet) when --hub must refuse. */
export async function readHubSide(
  repo: RepoInfo,
  plan: CompiledPlan,
  hubOption: string | true | undefined,
): Promise<HubSide> {
  const record = await readHubRecord(repo.commonDir, plan.name);
  const joined = record?.role === 'joined' ? record : null;
  if (hubOption === undefined || plan.tornDownAt) return { record, joined, cleanup: null };
  if (joined) {
    throw new UsageError(
      `plan "${plan.name}" was joined here (pw join): teardown --hub belongs to the machine that set the plan up`,
      ['Here, pw teardown removes what join made.'],
    );
  }
  const name =
    hubOption === true
      ? (record?.hub ?? (await readConfig(repo.mainWorktree, 'pw.hub')))
      : hubOption;
  if (name === null) {
    throw new UsageError('teardown --hub: no hub is recorded in this repository', [
      'Name it: pw teardown --hub <path of the bare repository>.',
    ]);
  }
  assertHubName(name, 'teardown --hub');
  const hub = await locateHub(repo.mainWorktree, name);
  if (!hub.localPath) {
    throw new UsageError(
      `teardown --hub: the hub ${name} is not a bare repository on this machine`,
      [
        "Its pw/<plan>/ folder can only be removed where the hub is a folder: run pw teardown --hub <path> on the hub's machine.",
      ],
    );
  }
  return { record, joined, cleanup: await planHubCleanup(repo, plan, hub.localPath) };
}

/** Which of the plan's refs to delete in the hub; refuses for a branch whose work the target lacks. */
async function planHubCleanup(
  repo: RepoInfo,
  plan: CompiledPlan,
  hub: string,
): Promise<HubCleanup> {
  const cwd = repo.mainWorktree;
  const ref = publishedPlanRef(plan.name);
  const branches = plan.workers.map((w) => `refs/heads/${w.branch}`);
  const found = await listRefs(hub, [...branches, ref, `refs/heads/${plan.target}`]);
  const hubTarget = found.get(`refs/heads/${plan.target}`) ?? null;
  const localTarget = await resolveCommit(cwd, `refs/heads/${plan.target}`);
  const refs: HubCleanup['refs'] = [];
  const lacking: string[] = [];
  for (const worker of plan.workers) {
    const tip = found.get(`refs/heads/${worker.branch}`);
    if (!tip) continue;
    // In the target as the hub has it, or as this machine has it (integrated here, not pushed yet).
    const safe =
      tip === plan.baseCommit ||
      (hubTarget !== null && (await isAncestor(hub, tip, hubTarget))) ||
      (localTarget !== null &&
        (await resolveCommit(cwd, tip)) !== null &&
        (await isAncestor(cwd, tip, localTarget)));
    if (safe) refs.push({ ref: `refs/heads/${worker.branch}`, commit: tip });
    else
      lacking.push(
        `${worker.id}: the hub's ${worker.branch} (${tip.slice(0, 12)}) has work ${plan.target} lacks`,
      );
  }
  if (lacking.length) {
    throw new FailedError(
      `refusing to remove plan "${plan.name}" from the hub ${hub}: work would be lost`,
      [
        ...lacking,
        `Integrate that work into ${plan.target} first (pw integrate, after pw status --fetch shows it), then run pw teardown --hub again. Nothing was changed.`,
      ],
    );
  }
  const planCommit = found.get(ref);
  if (planCommit) refs.push({ ref, commit: planCommit });
  return { path: hub, plan: plan.name, refs };
}

export function describeHubCleanup(cleanup: HubCleanup): string[] {
  return [
    ...cleanup.refs.map((r) => r.ref.replace(/^refs\/heads\//, '')),
    join(cleanup.path, 'pw', cleanup.plan),
  ];
}

/** Deletes the refs in the hub (one transaction, each only at its commit) and the plan's folder there. */
export async function cleanUpHub(cleanup: HubCleanup): Promise<void> {
  await updateRefs(
    cleanup.path,
    cleanup.refs.map((r) => ({ ref: r.ref, to: null, expected: r.commit })),
    'pw teardown --hub',
  );
  await uninstallHubHooks(cleanup.path, [cleanup.plan]);
  await removePath(join(cleanup.path, 'pw', cleanup.plan));
}

/**
 * The hub's copy of a joined worker's branch, fetched now; null when the hub
 * has none or is out of reach (then every commit of the branch counts as one
 * the hub lacks, and teardown refuses unless --force archives them).
 */
export async function readJoinedHubTip(
  repo: RepoInfo,
  plan: CompiledPlan,
  record: HubRecord,
): Promise<string | null> {
  const worker = plan.workers.find((w) => w.id === record.worker);
  if (!worker) return null;
  const cwd = repo.mainWorktree;
  const remotes = await listRemoteNames(cwd);
  const tracking = `refs/remotes/${hubNamespace(remotes, record.hub)}/${worker.branch}`;
  // Only what the hub says now counts: when it cannot be read, or no longer has the branch,
  // a remote-tracking ref left by an earlier fetch vouches for nothing (the next prune drops it).
  const fetched = await fetchFromHub(cwd, record.hub, [
    `+refs/heads/${worker.branch}:${tracking}`,
  ]).then(
    () => true,
    () => false,
  );
  return fetched ? resolveCommit(cwd, tracking) : null;
}

/** A joined machine's one worker, with the commits the hub's copy of its branch lacks. */
export async function readJoinedStates(
  repo: RepoInfo,
  plan: CompiledPlan,
  record: HubRecord,
  hubTip: string | null,
): Promise<WorkerState[]> {
  const worker = plan.workers.find((w) => w.id === record.worker);
  if (!worker) return [];
  return readWorkerStates(
    { ...plan, workers: [worker] },
    repo.mainWorktree,
    hubTip ?? plan.baseCommit,
  );
}

/**
 * Removes what join (or publish) recorded in this repository: the branch's
 * upstream, `pw.hub` when pw set it, the local copy of the plan ref, the
 * post-commit pushes and the hub record.
 */
export async function forgetHub(
  repo: RepoInfo,
  plan: CompiledPlan,
  record: HubRecord | null,
): Promise<void> {
  const cwd = repo.mainWorktree;
  if (record?.role === 'joined') {
    const worker = plan.workers.find((w) => w.id === record.worker);
    if (worker) {
      for (const key of ['remote', 'merge'])
        await unsetConfig(cwd, `branch.${worker.branch}.${key}`, 'local');
    }
  }
  if (record?.setHubConfig && (await readConfig(cwd, 'pw.hub', 'local')) === record.hub)
    await unsetConfig(cwd, 'pw.hub', 'local');
  const planRef = publishedPlanRef(plan.name);
  const at = await resolveCommit(cwd, planRef);
  if (at) await deleteRef(cwd, planRef, at);
  await removePushFolder(repo.commonDir, plan.name);
  await removePath(hubRecordPath(repo.commonDir, plan.name));
}
