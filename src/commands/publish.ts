import type { CommandDeps, CommandResult } from '../cli/deps.js';
import type { CompiledPlan } from '../domain/plan/plan.js';
import { EnvironmentError, FailedError, UsageError } from '../errors.js';
import { readConfig, writeConfig } from '../git/config.js';
import { installHubHooks, installPushHooks } from '../git/hooks/index.js';
import {
  assertHubName,
  locateHub,
  publishedPlanRef,
  pushToHub,
  writePlanCommit,
} from '../git/hub-remote.js';
import { readRepoInfo, type RepoInfo } from '../git/repo.js';
import { readTrustedPlanText } from '../git/trust-refs.js';
import { pushPaths, readHubRecord, writeHubRecord, writePushConf } from '../store/hub-record.js';
import { withRepoLock } from '../store/repo-lock.js';
import { planPaths, readTextIfExists, removePath } from '../store/trusted-store.js';
import { listWorktrees } from '../git/repo.js';
import { loadActivePlan } from './active-plan.js';

/**
 * `pw publish` (and `pw setup --hub`, `pw hooks install --hub`): puts the
 * trusted plan on the hub as `refs/pw/<plan>/plan`, where `pw join` on
 * another machine reads it, and records the hub (`git config pw.hub`). A
 * hub that is a bare repository on this machine gets its pre-receive and its
 * copy of the plan first, so it accepts that ref and no other.
 */

export interface PublishReport {
  plan: string;
  hub: string;
  ref: string;
  commit: string;
  /** Whether the hub's pre-receive and plan copy were installed (a hub on this machine). */
  hubHooks: boolean;
  /** Workers whose commits this machine now pushes to the hub after each commit. */
  pushing: string[];
}

export interface PublishOptions {
  plan?: string;
  hub?: string;
  json?: boolean;
}

/** The hub to use: the one given, else `pw.hub`; a usage error when neither is there. */
export async function chooseHub(
  cwd: string,
  given: string | undefined,
  flag: string,
): Promise<string> {
  const hub = given ?? (await readConfig(cwd, 'pw.hub'));
  if (hub === null) {
    throw new UsageError(`${flag}: no hub is recorded in this repository`, [
      'Name it: --hub <remote|url|path> (it is then recorded as git config pw.hub).',
    ]);
  }
  assertHubName(hub, flag);
  return hub;
}

/** Publishes one plan to the hub. Runs under the caller's repository lock. */
export async function publishPlan(
  repo: RepoInfo,
  plan: CompiledPlan,
  hubName: string,
  deps: CommandDeps,
  options: { installHub?: boolean; pushWorkers?: boolean } = {},
): Promise<PublishReport> {
  const cwd = repo.mainWorktree;
  const hub = await locateHub(cwd, hubName);
  const text =
    (await readTrustedPlanText(cwd, plan.name)) ??
    (await readTextIfExists(planPaths(repo.commonDir, plan.name).plan));
  if (text === null) {
    throw new UsageError(`plan "${plan.name}" has no trusted copy to publish`, [
      'Run pw setup <plan-file> first.',
    ]);
  }
  let hubHooks = false;
  if (hub.localPath && options.installHub !== false) {
    await installHubHooks(hub.localPath, [plan]);
    hubHooks = true;
  }
  const commit = await writePlanCommit(cwd, text, plan.baseCommit, plan.name);
  const ref = publishedPlanRef(plan.name);
  const refusal = await pushToHub(cwd, hub.remote, [`+${commit}:${ref}`], { noVerify: true });
  if (refusal) {
    const lines = refusal.message.split('\n').filter(Boolean).slice(-6);
    if (refusal.unreachable) {
      throw new EnvironmentError(`could not publish plan "${plan.name}" to the hub ${hub.remote}`, [
        ...lines,
        'Check that the hub is reachable and writable (git ls-remote <hub>), then run pw publish.',
      ]);
    }
    throw new FailedError(`the hub ${hub.remote} refused the plan "${plan.name}"`, [
      ...lines,
      'A hub with pw hooks accepts only the plan it holds: run pw hooks install --hub <path> on the machine where the hub is a folder, then pw publish.',
    ]);
  }
  const previousHub = await readConfig(cwd, 'pw.hub', 'local');
  // The same hub under another name (origin, and the path origin points to) keeps its recorded name.
  let name = hub.remote;
  if (previousHub !== null && previousHub !== name) {
    const before = await locateHub(cwd, previousHub).catch(() => null);
    if (before?.localPath && before.localPath === hub.localPath) name = previousHub;
  }
  if (previousHub !== name) await writeConfig(cwd, 'pw.hub', name, 'local');
  const record = await readHubRecord(repo.commonDir, plan.name);
  if (record?.role !== 'joined') {
    await writeHubRecord(repo.commonDir, plan.name, {
      hub: name,
      role: 'published',
      setHubConfig: record?.setHubConfig ?? previousHub === null,
    });
  }
  // The workers set up here push their commits too, so the hub sees every worker.
  const worktrees = new Set(
    (await listWorktrees(cwd)).filter((w) => !w.prunable).map((w) => w.path),
  );
  const pushing: string[] = [];
  for (const worker of options.pushWorkers === false ? [] : plan.workers) {
    if (record?.role === 'joined' && record.worker !== worker.id) continue;
    if (!worktrees.has(worker.worktree)) continue;
    await writePushConf(repo.commonDir, plan.name, worker.id, {
      hub: name,
      branch: worker.branch,
      from: cwd,
    });
    // Its post-commit and post-merge hooks push: a worker that pushes has them. Without
    // them, no push.conf either: it would say the worker pushes while nothing does.
    await installPushHooks({ commonDir: repo.commonDir, plan, worker }).catch(async (error) => {
      await removePath(pushPaths(repo.commonDir, plan.name, worker.id).conf);
      throw error;
    });
    pushing.push(worker.id);
  }
  return { plan: plan.name, hub: name, ref, commit, hubHooks, pushing };
}

export function renderPublishReport(report: PublishReport): string {
  return [
    `Published plan "${report.plan}" to the hub ${report.hub} as ${report.ref} (${report.commit.slice(0, 12)})${report.hubHooks ? '; the hub holds its copy and refuses any other' : ''}.`,
    report.pushing.length
      ? `Commits of ${report.pushing.join(', ')} made here are pushed to the hub after each commit (pw push sends them by hand).`
      : '',
    `On another machine, in a clone of the hub: pw join <hub> ${report.plan} <worker>`,
    '',
  ]
    .filter((line, i, all) => line !== '' || i === all.length - 1)
    .join('\n');
}

export async function runPublish(
  options: PublishOptions,
  deps: CommandDeps,
): Promise<CommandResult> {
  const repoInfo = await readRepoInfo(deps.cwd);
  return withRepoLock(repoInfo.commonDir, 'publish', deps, async () => {
    const { repo, plan } = await loadActivePlan(deps.cwd, options.plan, { repo: repoInfo });
    const record = await readHubRecord(repo.commonDir, plan.name);
    if (record?.role === 'joined') {
      throw new UsageError(
        `plan "${plan.name}" was joined here (pw join), not set up: it is published from the machine that set it up`,
        [`This machine pushes ${record.worker ?? 'its worker'}'s commits only: pw push.`],
      );
    }
    const hub = await chooseHub(repo.mainWorktree, options.hub, 'pw publish');
    const report = await publishPlan(repo, plan, hub, deps);
    deps.stdout(
      options.json ? `${JSON.stringify(report, null, 2)}\n` : renderPublishReport(report),
    );
    return { exitCode: 0 };
  });
}
