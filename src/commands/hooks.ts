import { resolve } from 'node:path';
import type { CommandDeps, CommandResult } from '../cli/deps.js';
import type { CompiledPlan } from '../domain/plan/plan.js';
import { FailedError, UsageError } from '../errors.js';
import {
  inspectHubHooks,
  inspectPlanHooks,
  installHubHooks,
  installWorkerHooks,
  readHubPlans,
  uninstallHubHooks,
  uninstallPlanHooks,
  type HooksHealth,
} from '../git/hooks/index.js';
import { isBareRepository } from '../git/repo.js';
import { renderColumns } from '../render/table.js';
import { readActivePlans } from '../store/trusted-store.js';
import { loadActivePlan } from './active-plan.js';
import { readRepoInfo, type RepoInfo } from '../git/repo.js';
import { withRepoLock } from '../store/repo-lock.js';
import { repairTrustedFiles } from './trust.js';
import { readHubRecord } from '../store/hub-record.js';

export interface HooksOptions {
  action: 'install' | 'uninstall' | 'status';
  plan?: string;
  worker?: string;
  hub?: string;
  json?: boolean;
}

function selectWorkers(plan: CompiledPlan, worker: string | undefined): string[] {
  if (worker === undefined) return plan.workers.map((w) => w.id);
  if (!plan.workers.some((w) => w.id === worker)) {
    throw new UsageError(`plan "${plan.name}" has no worker "${worker}"`, [
      `Workers: ${plan.workers.map((w) => w.id).join(', ')}`,
    ]);
  }
  return [worker];
}

const CHAIN_FOUND_IN: Record<NonNullable<HooksHealth['chainFoundIn']>, string> = {
  worktree: '',
  'main-worktree': " (the main worktree's)",
  missing: ' (missing in this worktree)',
};

/** One row per hooks folder, then each problem with what to do (none after an uninstall). */
function renderHealth(entries: readonly HooksHealth[], problems: readonly string[]): string {
  const rows = [['WHERE', 'HOOKS', 'core.hooksPath', 'HANDS OVER TO']];
  for (const entry of entries) {
    rows.push([
      entry.worker ?? entry.role,
      entry.state,
      entry.hooksPath ?? '(unset)',
      entry.chain === null
        ? '-'
        : `${entry.chain}${entry.chainFoundIn ? CHAIN_FOUND_IN[entry.chainFoundIn] : ''}`,
    ]);
  }
  return `${renderColumns(rows, '')}\n${problems.map((p) => `  ${p}\n`).join('')}`;
}

/** The plans this repository has set up (for --hub without --plan: all of them). */
async function readSetUpPlans(cwd: string, name: string | undefined): Promise<CompiledPlan[]> {
  if (name) return [(await loadActivePlan(cwd, name)).plan];
  const repo = await readRepoInfo(cwd);
  const plans = await readActivePlans(repo.commonDir);
  if (plans.length === 0) {
    throw new UsageError('no plan is set up in this repository', [
      'Run pw setup <plan-file> first; pw hooks install --hub then copies its plan to the hub.',
    ]);
  }
  return plans;
}

async function assertHub(path: string): Promise<void> {
  if (!(await isBareRepository(path))) {
    throw new UsageError(`--hub ${path} is not a bare git repository`, [
      'Give the path of the bare repository the workers push to (created with git init --bare).',
    ]);
  }
}

async function runHub(options: HooksOptions, deps: CommandDeps): Promise<CommandResult> {
  const hub = resolve(deps.cwd, options.hub!);
  await assertHub(hub);
  const published: string[] = [];
  if (options.action === 'install') {
    const plans = await readSetUpPlans(deps.cwd, options.plan);
    await installHubHooks(hub, plans);
    // The hub now holds each plan: publish it there for pw join, and record the hub here.
    const { publishPlan } = await import('./publish.js');
    const repo = await readRepoInfo(deps.cwd);
    for (const plan of plans) {
      published.push(
        (await publishPlan(repo, plan, hub, deps, { installHub: false, pushWorkers: false })).ref,
      );
    }
  } else if (options.action === 'uninstall') {
    const names = options.plan ? [options.plan] : (await readHubPlans(hub)).map((p) => p.name);
    await uninstallHubHooks(hub, names);
  }
  const health = await inspectHubHooks(hub);
  const plans = (await readHubPlans(hub)).map((p) => p.name);
  if (options.json)
    deps.stdout(`${JSON.stringify({ hub, plans, published, hooks: health }, null, 2)}\n`);
  else {
    const verb = { install: 'Installed', uninstall: 'Removed', status: 'Hooks of' }[options.action];
    deps.stdout(
      `${verb} the pw pre-receive hook ${options.action === 'status' ? 'in' : options.action === 'install' ? 'in' : 'from'} hub ${hub}${plans.length ? ` (plans: ${plans.join(', ')})` : ''}.\n`,
    );
    if (published.length)
      deps.stdout(
        `Published ${published.join(', ')} there for pw join; recorded the hub as git config pw.hub.\n`,
      );
    deps.stdout(renderHealth([health], options.action === 'uninstall' ? [] : health.problems));
  }
  const wanted = options.action === 'uninstall' ? 'not-installed' : 'active';
  return { exitCode: health.state === wanted ? 0 : 1 };
}

export async function runHooks(options: HooksOptions, deps: CommandDeps): Promise<CommandResult> {
  if (options.hub !== undefined) return runHub(options, deps);
  const repo = await readRepoInfo(deps.cwd);
  if (options.action === 'status') return runWorktreeHooks(options, deps, repo);
  return withRepoLock(repo.commonDir, `hooks ${options.action}`, deps, () =>
    runWorktreeHooks(options, deps, repo),
  );
}

async function runWorktreeHooks(
  options: HooksOptions,
  deps: CommandDeps,
  repoInfo: RepoInfo,
): Promise<CommandResult> {
  const { repo, plan } = await loadActivePlan(deps.cwd, options.plan, { repo: repoInfo });
  // A machine that joined the plan (pw join) has that one worker's worktree; the others are elsewhere.
  const joined = options.worker ? null : await readHubRecord(repo.commonDir, plan.name);
  const ids = selectWorkers(
    plan,
    joined?.role === 'joined' && joined.worker ? joined.worker : options.worker,
  );
  const missing: string[] = [];
  // The trusted files the hooks read, put back as setup recorded them before the hooks are rewritten.
  const repaired =
    options.action === 'install'
      ? await repairTrustedFiles(deps.cwd, repo.commonDir, plan.name)
      : [];
  if (options.action === 'install') {
    for (const id of ids) {
      const worker = plan.workers.find((w) => w.id === id)!;
      const health = (await inspectPlanHooks(repo.commonDir, plan, { workers: [id] })).workers[0];
      if (health?.state === 'no-worktree') {
        missing.push(id);
        continue;
      }
      await installWorkerHooks({ commonDir: repo.commonDir, plan, worker });
    }
  } else if (options.action === 'uninstall') {
    await uninstallPlanHooks(repo.commonDir, plan, options.worker ? ids : undefined);
  }
  const { workers, main, guard } = await inspectPlanHooks(repo.commonDir, plan, { workers: ids });
  const entries = main ? [...workers, main] : workers;
  if (options.json) {
    deps.stdout(
      `${JSON.stringify({ plan: plan.name, workers, main, guard, repaired }, null, 2)}\n`,
    );
  } else {
    if (repaired.length)
      deps.stdout(`Put back as setup recorded them: ${[...new Set(repaired)].join(', ')}\n`);
    const head = {
      install: `Installed the pw hooks of plan ${plan.name}:`,
      uninstall: `Removed the pw hooks of plan ${plan.name}; core.hooksPath is back as it was:`,
      status: `pw hooks of plan ${plan.name}:`,
    }[options.action];
    deps.stdout(
      `${head}\n${renderHealth(
        entries,
        options.action === 'uninstall'
          ? []
          : [...entries.flatMap((e) => e.problems), ...guard.problems],
      )}`,
    );
  }
  if (missing.length) {
    throw new FailedError(
      `no worktree for ${missing.join(', ')}: its hooks could not be installed`,
      ['Run pw setup again to recreate the worktrees (it installs their hooks too).'],
    );
  }
  if (options.action === 'uninstall') {
    return { exitCode: workers.every((w) => w.state === 'not-installed') ? 0 : 1 };
  }
  return {
    exitCode: entries.every((e) => e.state === 'active') && guard.state === 'current' ? 0 : 1,
  };
}
