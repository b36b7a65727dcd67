import { relative } from 'node:path';
import { isFile } from '../store/fs.js';
import type { CommandDeps, CommandResult } from '../cli/deps.js';
import { loadConfig } from '../config/load-config.js';
import { readPlanFile, resolvePlan } from '../config/read-plan.js';
import { compilePlan } from '../domain/plan/compile-plan.js';
import type { CompiledPlan, Plan } from '../domain/plan/plan.js';
import { comparePlans, planToJudge, type TrustProblem } from '../domain/plan/trust-check.js';
import { UsageError } from '../errors.js';
import { fetchForRead, resolveHubRead, type FetchRequest } from '../git/fetch-workers.js';
import { judgeHistory } from '../git/find-violations.js';
import { inspectPlanHooks } from '../git/hooks/index.js';
import { listRefs, readOriginHead, readRepoInfo, type RepoInfo } from '../git/repo.js';
import type { TrustRecord } from '../git/trust-refs.js';
import { renderCheckReport, type CheckReport } from '../render/check/report.js';
import { appendEvent, planPaths } from '../store/trusted-store.js';
import { readSetUpPlanRecords, readTrustState } from './trust.js';
import { chooseDefaultPlan } from './active-plan.js';

export interface CheckOptions {
  plan?: string;
  worker?: string;
  range?: string;
  json?: boolean;
  fetch?: FetchRequest;
}

interface CheckPlan {
  /** The plan whose scopes judge the commits. */
  plan: CompiledPlan;
  planSource: 'trusted' | 'file';
  trust: TrustProblem[];
  /** The trusted copy (set up here), for the events log. */
  trusted: CompiledPlan | null;
}

/** The plan file a trusted plan was set up from, compiled now; null when it cannot be read. */
async function compileSource(repo: RepoInfo, trusted: CompiledPlan): Promise<CompiledPlan | null> {
  try {
    const config = await loadConfig(repo.mainWorktree);
    const { plan } = trusted.source.endsWith('#plan')
      ? await resolvePlan(undefined, repo.mainWorktree, config)
      : await readPlanFile(trusted.source, repo.mainWorktree, config);
    if (plan.name !== trusted.name) return null;
    return compilePlan(plan, {
      mainWorktree: trusted.repoRoot,
      base: trusted.base,
      baseCommit: trusted.baseCommit,
    });
  } catch {
    return null;
  }
}

/** Every trusted file that differs from what setup wrote, or from the plan file it came from. */
async function verifyTrustedFiles(
  cwd: string,
  repo: RepoInfo,
  trusted: CompiledPlan,
  fromFile: CompiledPlan | null,
  record: TrustRecord | undefined,
): Promise<TrustProblem[]> {
  const paths = planPaths(repo.commonDir, trusted.name);
  const shown = (path: string): string => relative(repo.commonDir, path) || path;
  const problems = [
    ...(await readTrustState(cwd, repo.commonDir, trusted.name, record)).problems,
    ...comparePlans(trusted, fromFile, { plan: shown(paths.plan), source: trusted.source }),
  ];
  const { main } = await inspectPlanHooks(repo.commonDir, trusted, { workers: [] });
  for (const problem of main?.state === 'outdated' ? main.problems : []) {
    if (/differs? from what pw writes/.test(problem))
      problems.push({ file: shown(main!.dir), worker: null, problem });
  }
  return problems;
}

/** The base branch for a plan read from a file (CI): its `base`, else the remote's default branch. */
async function readBase(cwd: string, plan: Plan): Promise<{ base: string; baseCommit: string }> {
  let base = plan.base;
  if (!base) {
    base = await readOriginHead(cwd);
  }
  base ??= 'main';
  const refs = new Map([
    ...(await listRefs(cwd, 'refs/heads/')),
    ...(await listRefs(cwd, 'refs/remotes/')),
  ]);
  const sha =
    refs.get(`refs/heads/${base}`) ??
    [...refs].find(([ref]) => ref.startsWith('refs/remotes/') && ref.endsWith(`/${base}`))?.[1];
  if (!sha) {
    throw new UsageError(`the base branch "${base}" of plan "${plan.name}" is not here`, [
      'Fetch it (in CI: actions/checkout with fetch-depth: 0), or set "base:" in the plan file.',
    ]);
  }
  return { base, baseCommit: sha };
}

async function readCheckPlan(options: CheckOptions, deps: CommandDeps): Promise<CheckPlan> {
  const repo = await readRepoInfo(deps.cwd);
  const { plans, records } = await readSetUpPlanRecords(deps.cwd, repo.commonDir);
  const named = options.plan ? plans.find((p) => p.name === options.plan) : undefined;
  const fileGiven = options.plan !== undefined && !named && (await isFile(options.plan));
  let trusted: CompiledPlan | null = named ?? null;
  if (!trusted && !options.plan && plans.length) trusted = chooseDefaultPlan(plans, repo);
  if (!trusted && fileGiven) {
    // A plan file given: the trusted copy of the same plan when it is set up here.
    const config = await loadConfig(repo.mainWorktree);
    const { plan } = await readPlanFile(options.plan!, deps.cwd, config);
    trusted = plans.find((p) => p.name === plan.name) ?? null;
    if (!trusted) {
      const { base, baseCommit } = await readBase(deps.cwd, plan);
      return {
        plan: compilePlan(plan, { mainWorktree: repo.mainWorktree, base, baseCommit }),
        planSource: 'file',
        trust: [],
        trusted: null,
      };
    }
  }
  if (!trusted && !options.plan) {
    // Nothing set up here (CI): the plan named by the config.
    const config = await loadConfig(repo.mainWorktree);
    const { plan } = await resolvePlan(undefined, deps.cwd, config);
    const { base, baseCommit } = await readBase(deps.cwd, plan);
    return {
      plan: compilePlan(plan, { mainWorktree: repo.mainWorktree, base, baseCommit }),
      planSource: 'file',
      trust: [],
      trusted: null,
    };
  }
  if (!trusted) {
    throw new UsageError(`plan "${options.plan}" is not set up here and is not a plan file`, [
      plans.length
        ? `Plans set up here: ${plans.map((p) => p.name).join(', ')}`
        : 'In CI, pass the plan file: pw check --plan plans/<name>.yaml --range origin/main..HEAD',
    ]);
  }
  const fromFile = await compileSource(repo, trusted);
  return {
    plan: planToJudge(trusted, fromFile),
    planSource: 'trusted',
    trust: await verifyTrustedFiles(deps.cwd, repo, trusted, fromFile, records.get(trusted.name)),
    trusted,
  };
}

export async function runCheck(options: CheckOptions, deps: CommandDeps): Promise<CommandResult> {
  const { plan, planSource, trust, trusted } = await readCheckPlan(options, deps);
  const hubRead = await resolveHubRead(deps.cwd, options.fetch);
  const fetched = await fetchForRead(deps.cwd, plan, hubRead);
  for (const note of fetched.notes) deps.stderr(`${note}\n`);
  const { violations, judged, unattributed } = await judgeHistory(deps.cwd, plan, {
    ...(options.worker !== undefined ? { worker: options.worker } : {}),
    ...(options.range !== undefined ? { range: options.range } : {}),
    ...(hubRead.hub ? { hub: hubRead.hub.namespace } : {}),
  });
  const notes: string[] = [...fetched.warnings];
  if (unattributed.length) {
    notes.push(
      `${unattributed.length} commit${unattributed.length === 1 ? '' : 's'} of the range ${unattributed.length === 1 ? 'is' : 'are'} on no worker branch and ${unattributed.length === 1 ? 'was' : 'were'} not judged; name the worker with --worker if ${unattributed.length === 1 ? 'it is' : 'they are'} one's work`,
    );
  }
  if (options.range === undefined || options.worker === undefined) {
    const refs = [
      ...(await listRefs(deps.cwd, 'refs/heads/')).keys(),
      ...(await listRefs(deps.cwd, 'refs/remotes/')).keys(),
    ];
    for (const worker of plan.workers) {
      if (options.worker !== undefined && worker.id !== options.worker) continue;
      const here = refs.some(
        (ref) =>
          ref === `refs/heads/${worker.branch}` ||
          (ref.startsWith('refs/remotes/') && ref.endsWith(`/${worker.branch}`)),
      );
      if (!here)
        notes.push(`${worker.id}: no branch ${worker.branch} here, so nothing of it was checked`);
    }
  }
  const report: CheckReport = {
    plan: plan.name,
    planSource,
    worker: options.worker ?? null,
    range: options.range ?? null,
    commitsJudged: judged,
    violations,
    trust,
    notes,
  };
  if (trusted && (violations.length || trust.length)) {
    // For the retrospective: what got past the hooks. A log that cannot be written does not fail the check.
    const repo = await readRepoInfo(deps.cwd);
    await appendEvent(repo.commonDir, {
      time: deps.now().toISOString(),
      type: 'check',
      plan: trusted.name,
      violations: violations.map((v) => ({
        worker: v.worker,
        commit: v.commit,
        kind: v.kind,
        ...(v.kind === 'scope' ? { path: v.path, owner: v.owner ?? null } : { header: v.header }),
      })),
      trust: trust.map((t) => t.file),
    }).catch(() => undefined);
  }
  if (options.json) deps.stdout(`${JSON.stringify(report, null, 2)}\n`);
  else deps.stdout(renderCheckReport(report));
  return { exitCode: violations.length || trust.length ? 1 : 0 };
}
