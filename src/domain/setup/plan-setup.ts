import type { CompiledPlan, CompiledWorker } from '../plan/plan.js';

/** What exists already, per worker, as far as setup is concerned. */
export interface WorkerSnapshot {
  /** The commit the worker's branch points to, or null when there is no such branch. */
  branchCommit: string | null;
  /** Path of the worktree that has the branch checked out, or null. */
  branchCheckedOutAt: string | null;
  /** Whether something exists at the intended worktree path. */
  pathExists: boolean;
  /** The branch checked out in a registered worktree at the intended path ('' when detached), or null when none is registered there. */
  worktreeAtPath: string | null;
  /** `pw.worker` in the worktree's own config, or null. */
  configuredWorker: string | null;
  hooksInstalled: boolean;
  briefContent: string | null;
  launchContent: string | null;
  /** `.worktreeinclude` files not yet in the worktree. */
  missingIncludes: string[];
}

export interface SetupSnapshot {
  desired: CompiledPlan;
  /** The trusted copy from an earlier setup of this plan, or null. */
  previous: CompiledPlan | null;
  workers: ReadonlyMap<string, WorkerSnapshot>;
  worktreeConfigEnabled: boolean;
  trustedFiles: ReadonlyMap<string, string | null>;
  desiredTrustedFiles: ReadonlyMap<string, string>;
  briefExcluded: boolean;
  briefs: ReadonlyMap<string, { path: string; content: string }>;
  launchers: ReadonlyMap<string, { path: string; content: string }>;
  /** pw join: the only workers set up here (the others run on other machines). */
  only?: ReadonlySet<string>;
  /** pw join: where a new branch starts (the hub's copy of it), instead of the base commit. */
  startCommits?: ReadonlyMap<string, string>;
}

export type SetupAction =
  | { kind: 'enable-worktree-config' }
  | { kind: 'write-trusted'; files: string[] }
  | { kind: 'exclude-brief' }
  | { kind: 'create-branches'; branches: BranchToCreate[] }
  | { kind: 'add-worktree'; worker: string; path: string; branch: string }
  | { kind: 'configure-worktree'; worker: string; path: string }
  | { kind: 'install-hooks'; worker: string; path: string }
  | { kind: 'copy-includes'; worker: string; path: string; files: string[] }
  | { kind: 'write-brief'; worker: string; path: string; content: string; update: boolean }
  | { kind: 'write-launch'; worker: string; path: string; content: string; update: boolean }
  | { kind: 'track-hub'; worker: string; branch: string; hub: string };

/** A worker branch setup creates (all of a run's in one ref transaction). */
export interface BranchToCreate {
  worker: string;
  branch: string;
  commit: string;
}

/** The workers an action is about (none for the repository-wide ones). */
export function actionWorkers(action: SetupAction): string[] {
  if (action.kind === 'create-branches') return action.branches.map((b) => b.worker);
  return 'worker' in action ? [action.worker] : [];
}

export interface SetupDecision {
  actions: SetupAction[];
  /** Things in the way that setup must not touch; each a full sentence. */
  conflicts: string[];
  /** Workers that need nothing done. */
  unchanged: string[];
}

function isOurs(previous: CompiledPlan | null, worker: CompiledWorker): boolean {
  return Boolean(previous?.workers.some((w) => w.id === worker.id && w.branch === worker.branch));
}

/** Decides what setup must do to reach the desired plan from what exists. Pure. */
export function planSetup(snapshot: SetupSnapshot): SetupDecision {
  const { desired, previous } = snapshot;
  const actions: SetupAction[] = [];
  const conflicts: string[] = [];
  const unchanged: string[] = [];

  for (const old of previous?.workers ?? []) {
    if (!desired.workers.some((w) => w.id === old.id)) {
      conflicts.push(
        `worker "${old.id}" is set up (branch ${old.branch}) but no longer in the plan; put it back, or run pw teardown ${desired.name} first`,
      );
    }
  }

  if (!snapshot.worktreeConfigEnabled) actions.push({ kind: 'enable-worktree-config' });
  const staleTrusted = [...snapshot.desiredTrustedFiles]
    .filter(([path, content]) => snapshot.trustedFiles.get(path) !== content)
    .map(([path]) => path);
  if (staleTrusted.length) actions.push({ kind: 'write-trusted', files: staleTrusted });
  if (!snapshot.briefExcluded) actions.push({ kind: 'exclude-brief' });

  // In phases: every branch in one ref transaction, then every worktree, then
  // the rest per worker. The main worktree's hooks (installed with the first
  // worker's) are in place only after the last worktree is added, so no new
  // worktree copies their hooks path (git worktree add copies config.worktree).
  const branches: BranchToCreate[] = [];
  const worktrees: SetupAction[] = [];
  const rest: SetupAction[] = [];
  for (const worker of desired.workers) {
    if (snapshot.only && !snapshot.only.has(worker.id)) continue;
    const state = snapshot.workers.get(worker.id)!;
    const ours = isOurs(previous, worker);
    const own: SetupAction[] = [];
    const addsBranch = state.branchCommit === null;
    let addsWorktree = false;
    const expectedRef = `refs/heads/${worker.branch}`;

    if (state.branchCommit === null) {
      branches.push({
        worker: worker.id,
        branch: worker.branch,
        commit: snapshot.startCommits?.get(worker.id) ?? desired.baseCommit,
      });
    } else if (!ours) {
      conflicts.push(
        `branch ${worker.branch} already exists and was not created by pw setup for plan "${desired.name}"; rename or delete it, or set branchPrefix to another prefix`,
      );
      continue;
    }

    if (state.worktreeAtPath === expectedRef) {
      // Already there.
    } else if (state.worktreeAtPath !== null) {
      conflicts.push(
        `${worker.worktree} is already a worktree of ${state.worktreeAtPath || 'a detached HEAD'}; remove it (git worktree remove) or set worktreeRoot elsewhere`,
      );
      continue;
    } else if (state.pathExists) {
      conflicts.push(
        `${worker.worktree} already exists and is not this worker's worktree; move it away or set worktreeRoot elsewhere`,
      );
      continue;
    } else if (state.branchCheckedOutAt !== null) {
      conflicts.push(
        `branch ${worker.branch} is checked out in ${state.branchCheckedOutAt}; remove that worktree (git worktree remove) and run setup again`,
      );
      continue;
    } else {
      addsWorktree = true;
      worktrees.push({
        kind: 'add-worktree',
        worker: worker.id,
        path: worker.worktree,
        branch: worker.branch,
      });
    }

    const fresh = state.worktreeAtPath === null;
    if (fresh || state.configuredWorker !== worker.id) {
      own.push({ kind: 'configure-worktree', worker: worker.id, path: worker.worktree });
    }
    if (fresh || !state.hooksInstalled)
      own.push({ kind: 'install-hooks', worker: worker.id, path: worker.worktree });
    if (state.missingIncludes.length) {
      own.push({
        kind: 'copy-includes',
        worker: worker.id,
        path: worker.worktree,
        files: state.missingIncludes,
      });
    }
    const brief = snapshot.briefs.get(worker.id)!;
    if (fresh || state.briefContent !== brief.content) {
      own.push({
        kind: 'write-brief',
        worker: worker.id,
        path: brief.path,
        content: brief.content,
        update: !fresh && state.briefContent !== null,
      });
    }
    const launch = snapshot.launchers.get(worker.id)!;
    if (state.launchContent !== launch.content) {
      own.push({
        kind: 'write-launch',
        worker: worker.id,
        path: launch.path,
        content: launch.content,
        update: state.launchContent !== null,
      });
    }
    if (own.length === 0 && !addsWorktree && !addsBranch) unchanged.push(worker.id);
    rest.push(...own);
  }
  if (branches.length) actions.push({ kind: 'create-branches', branches });
  actions.push(...worktrees, ...rest);
  return { actions, conflicts, unchanged };
}

/** One line per action, for --dry-run and the report. */
export function describeAction(action: SetupAction): string {
  switch (action.kind) {
    case 'enable-worktree-config':
      return 'enable extensions.worktreeConfig in the repository config (restored by teardown)';
    case 'write-trusted':
      return `write the trusted plan and scopes (${action.files.length} file${action.files.length === 1 ? '' : 's'}) in the common git dir`;
    case 'exclude-brief':
      return 'keep WORKER.md out of git (a marked block in .git/info/exclude, removed by teardown)';
    case 'create-branches': {
      const names = action.branches.map((b) => b.branch);
      const at = [...new Set(action.branches.map((b) => b.commit.slice(0, 12)))].join(', ');
      return `create ${names.length === 1 ? 'branch' : `${names.length} branches`} ${names.slice(0, 3).join(', ')}${names.length > 3 ? ', ...' : ''} at ${at} (one ref transaction)`;
    }
    case 'add-worktree':
      return `${action.worker}: add worktree ${action.path}`;
    case 'configure-worktree':
      return `${action.worker}: set pw.plan and pw.worker in the worktree's own config`;
    case 'install-hooks':
      return `${action.worker}: install the pw hooks`;
    case 'copy-includes':
      return `${action.worker}: copy ${action.files.length} file${action.files.length === 1 ? '' : 's'} named in .worktreeinclude (${action.files.slice(0, 3).join(', ')}${action.files.length > 3 ? ', ...' : ''})`;
    case 'write-brief':
      return `${action.worker}: ${action.update ? 'update' : 'write'} brief ${action.path}`;
    case 'write-launch':
      return `${action.worker}: ${action.update ? 'update' : 'write'} launch script ${action.path}`;
    case 'track-hub':
      return `${action.worker}: track ${action.branch} on the hub ${action.hub} (upstream, pw.hub) and push every commit there`;
  }
}
