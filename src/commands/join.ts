import { join as joinPath } from 'node:path';
import type { CommandDeps, CommandResult } from '../cli/deps.js';
import { loadConfig } from '../config/load-config.js';
import { parsePublishedPlan, relocatePlan } from '../domain/plan/published-plan.js';
import { ID_PATTERN, type CompiledPlan } from '../domain/plan/plan.js';
import { BRIEF_FILE, MAX_BRIEF_BYTES } from '../domain/setup/brief.js';
import { planSetup, describeAction, type SetupAction } from '../domain/setup/plan-setup.js';
import { shQuote } from '../domain/setup/shell-quote.js';
import { FailedError, UsageError } from '../errors.js';
import {
  assertHubName,
  fetchFromHub,
  hubNamespace,
  listHubBranches,
  listRemoteNames,
  listPublishedPlans,
  locateHub,
  publishedPlanRef,
  readPlanCommitText,
} from '../git/hub-remote.js';
import { deleteRef } from '../git/refs.js';
import { listRefs, readRepoInfo, resolveCommit, type RepoInfo } from '../git/repo.js';
import { readHubRecord } from '../store/hub-record.js';
import { withRepoLock } from '../store/repo-lock.js';
import { appendEvent, planPaths, readCompiledPlan } from '../store/trusted-store.js';
import { failureInjector } from './setup/fault-injection.js';
import { readSetupSnapshot } from './setup/snapshot.js';
import { executeActions } from './setup/undo.js';
import { recordTrustedCopies } from './trust.js';

/**
 * `pw join <hub> <plan> <worker>`: on another machine (a clone of the hub),
 * sets up one worker of a plan published there: its branch (from the hub's
 * copy, else the plan's base), tracking the hub's; its worktree, hooks and
 * trusted scope, brief and launch script, as `pw setup` makes them; and the
 * post-commit push that sends each commit to the hub. All or nothing: what
 * it fetched and created goes again when a step fails.
 */

export interface JoinOptions {
  hub: string;
  plan: string;
  worker: string;
  json?: boolean;
}

export interface JoinReport {
  plan: string;
  worker: string;
  hub: string;
  branch: string;
  /** Where the branch started: the hub's copy of it, or the plan's base commit. */
  startedFrom: 'hub' | 'base';
  start: string;
  worktree: string;
  brief: string;
  launch: string;
  actions: string[];
}

function assertId(value: string, what: 'plan' | 'worker'): void {
  if (!ID_PATTERN.test(value)) {
    throw new UsageError(
      `${JSON.stringify(value)} is not a ${what} ${what === 'plan' ? 'name' : 'id'}`,
      [
        `${what === 'plan' ? 'Plan names' : 'Worker ids'} match [a-z0-9][a-z0-9_-]{0,39}; give one as the hub lists it.`,
      ],
    );
  }
}

export async function runJoin(options: JoinOptions, deps: CommandDeps): Promise<CommandResult> {
  assertHubName(options.hub, 'pw join');
  assertId(options.plan, 'plan');
  assertId(options.worker, 'worker');
  const repo = await readRepoInfo(deps.cwd);
  return withRepoLock(repo.commonDir, 'join', deps, () => joinPlan(options, deps, repo));
}

/** Refuses when this repository already has the plan in another form than this join. */
async function assertNotSetUpOtherwise(repo: RepoInfo, options: JoinOptions): Promise<boolean> {
  const recorded = await readCompiledPlan(repo.commonDir, options.plan);
  if (!recorded || recorded.tornDownAt) return false;
  const record = await readHubRecord(repo.commonDir, options.plan);
  if (record?.role !== 'joined') {
    throw new UsageError(
      `plan "${options.plan}" is set up in this repository already (pw setup): its worktrees are here, and there is nothing to join`,
      [
        'pw join is for another machine, in a clone of the hub. Here, use the worktrees setup made (pw status lists them).',
      ],
    );
  }
  if (record.worker !== options.worker) {
    throw new UsageError(
      `this repository joined plan "${options.plan}" as worker ${record.worker ?? '?'}; one clone holds one joined worker`,
      [
        `For ${options.worker}, clone the hub again and run pw join there, or pw teardown ${options.plan} here first.`,
      ],
    );
  }
  return true;
}

async function joinPlan(
  options: JoinOptions,
  deps: CommandDeps,
  repo: RepoInfo,
): Promise<CommandResult> {
  const cwd = repo.mainWorktree;
  const joinedBefore = await assertNotSetUpOtherwise(repo, options);
  const hub = await locateHub(cwd, options.hub);
  const published = await listPublishedPlans(cwd, hub.remote);
  if (!published.has(options.plan)) {
    throw new UsageError(
      `the hub ${hub.remote} has no plan "${options.plan}" (no ${publishedPlanRef(options.plan)} there)`,
      [
        published.size
          ? `Plans published there: ${[...published.keys()].sort().join(', ')}`
          : 'No plan is published there.',
        'On the machine that set the plan up: pw publish --hub <hub> (or pw setup <plan-file> --hub <hub>).',
      ],
    );
  }

  const ref = publishedPlanRef(options.plan);
  const remotes = await listRemoteNames(cwd);
  const namespace = hubNamespace(remotes, hub.remote);
  // Refs this run creates by fetching (one that existed was only brought up to date).
  const created: string[] = [];
  const fetchRef = async (from: string, to: string): Promise<void> => {
    if ((await listRefs(cwd, [to])).size === 0) created.push(to);
    await fetchFromHub(cwd, hub.remote, [`+${from}:${to}`]);
  };
  const dropCreated = async (): Promise<void> => {
    for (const name of created) {
      const at = await resolveCommit(cwd, name);
      if (at) await deleteRef(cwd, name, at).catch(() => undefined);
    }
  };
  try {
    await fetchRef(ref, ref);
    const text = await readPlanCommitText(cwd, ref);
    const parsed = text === null ? null : parsePublishedPlan(text, options.plan);
    if (!parsed?.ok) {
      throw new FailedError(`${ref} on the hub ${hub.remote} is not a plan pw can set up`, [
        ...(parsed?.problems ?? ['it holds no plan.json']),
        'On the machine that set the plan up, run pw publish again.',
      ]);
    }
    const hubPlan = parsed.plan;
    const worker = hubPlan.workers.find((w) => w.id === options.worker);
    if (!worker) {
      throw new UsageError(`plan "${options.plan}" has no worker "${options.worker}"`, [
        `Workers: ${hubPlan.workers.map((w) => w.id).join(', ')}`,
      ]);
    }
    if (!(await resolveCommit(cwd, hubPlan.baseCommit))) {
      throw new FailedError(
        `the plan's base commit ${hubPlan.baseCommit.slice(0, 12)} did not come with ${ref}`,
        ['On the machine that set the plan up, run pw publish again.'],
      );
    }
    const config = await loadConfig(cwd);
    const desired = relocatePlan(hubPlan, {
      mainWorktree: cwd,
      worktreeRoot: config.settings.worktreeRoot,
    });
    const branchRef = `refs/heads/${worker.branch}`;
    const hubTip = (await listHubBranches(cwd, hub.remote, [worker.branch])).get(branchRef);
    if (hubTip) {
      await fetchRef(branchRef, `refs/remotes/${namespace}/${worker.branch}`);
    }
    const report = await setUpWorker(repo, desired, worker.id, {
      hub: hub.remote,
      start: hubTip ?? desired.baseCommit,
      track: !joinedBefore,
      deps,
    });
    report.startedFrom = hubTip ? 'hub' : 'base';
    deps.stdout(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderJoinReport(report));
    return { exitCode: 0 };
  } catch (error) {
    if (!joinedBefore) await dropCreated();
    throw error;
  }
}

async function setUpWorker(
  repo: RepoInfo,
  desired: CompiledPlan,
  id: string,
  options: { hub: string; start: string; track: boolean; deps: CommandDeps },
): Promise<JoinReport> {
  const worker = desired.workers.find((w) => w.id === id)!;
  const { snapshot, includeFile } = await readSetupSnapshot(repo, desired, {
    only: new Set([id]),
    startCommits: new Map([[id, options.start]]),
  });
  const brief = snapshot.briefs.get(id)!;
  if (Buffer.byteLength(brief.content) > MAX_BRIEF_BYTES) {
    throw new UsageError(`the brief of ${id} is over ${MAX_BRIEF_BYTES} bytes`, [
      'The plan that setup accepted makes a longer brief here; shorten the task on the machine that set the plan up and publish again.',
    ]);
  }
  const decision = planSetup(snapshot);
  if (decision.conflicts.length) {
    throw new UsageError(
      `cannot join plan "${desired.name}" as ${id}: ${decision.conflicts.length} thing${decision.conflicts.length === 1 ? '' : 's'} in the way`,
      decision.conflicts,
    );
  }
  const actions: SetupAction[] = [...decision.actions];
  if (options.track)
    actions.push({ kind: 'track-hub', worker: id, branch: worker.branch, hub: options.hub });
  const { deps } = options;
  if (actions.length) {
    let interrupted = false;
    void deps.interrupted.then(() => {
      interrupted = true;
    });
    await executeActions(
      { repo, desired, snapshot, unowned: [], warnings: [], includeFile },
      actions,
      failureInjector(deps.env, deps.interrupted),
      () => interrupted,
    );
    await appendEvent(repo.commonDir, {
      time: deps.now().toISOString(),
      type: 'join',
      plan: desired.name,
      worker: id,
      hub: options.hub,
    });
  }
  await recordTrustedCopies(repo.mainWorktree, repo.commonDir, desired.name, {
    events: actions.length > 0,
  });
  return {
    plan: desired.name,
    worker: id,
    hub: options.hub,
    branch: worker.branch,
    startedFrom: 'base',
    start: options.start,
    worktree: worker.worktree,
    brief: joinPath(worker.worktree, BRIEF_FILE),
    launch: planPaths(repo.commonDir, desired.name).launch(id),
    actions: actions.map(describeAction),
  };
}

export function renderJoinReport(report: JoinReport): string {
  const lines = [
    report.actions.length
      ? `Joined plan "${report.plan}" as worker ${report.worker}, from the hub ${report.hub}:`
      : `Plan "${report.plan}" is joined here as worker ${report.worker} already; nothing was changed.`,
    `  branch    ${report.branch} (from ${report.startedFrom === 'hub' ? "the hub's copy" : "the plan's base"}, ${report.start.slice(0, 12)}; tracks the hub's)`,
    `  worktree  ${report.worktree}`,
    `  brief     ${report.brief}`,
    '',
    'Start the worker in its own terminal:',
    `  sh ${shQuote(report.launch)}        (or headless: pw run --only ${report.worker})`,
    'Every commit on its branch is pushed to the hub in the background (pw push sends it by hand);',
    'pw status --fetch on any machine shows it. When done here: pw teardown (removes only what join made).',
    '',
  ];
  return lines.join('\n');
}
