/**
 * `pw pr`: pushes the worker branches to a hosted remote and opens one pull
 * request per worker (or one for the integration result, `--integrated`)
 * with `gh`; `pw pr status` shows each one's state and checks.
 */
import type { CommandDeps, CommandResult } from '../cli/deps.js';
import {
  assertGhAvailable,
  createPullRequest,
  findPullRequest,
  type GhContext,
} from '../agents/github.js';
import type { PullRequest } from '../domain/pr/pull-requests.js';
import {
  integratedBody,
  integratedTitle,
  workerBody,
  workerTitle,
  type WorkerDescription,
} from '../domain/pr/describe.js';
import type { CompiledPlan } from '../domain/plan/plan.js';
import type { WorkerStatus } from '../domain/status/plan-status.js';
import { FailedError, UsageError } from '../errors.js';
import { resolveHub, type FetchRequest } from '../git/fetch-workers.js';
import { pushBranch, readRemoteBranch } from '../git/push-branch.js';
import { isAncestor } from '../git/refs.js';
import { resolveCommit } from '../git/repo.js';
import { parseCommitMessage } from '../domain/protocol/protocol.js';
import {
  renderPrReport,
  renderPrStatus,
  type PrEntry,
  type PrReport,
  type PrStatusEntry,
} from '../render/pr/report.js';
import { writePullRequestBody } from '../store/pr-body.js';
import { loadActivePlan } from './active-plan.js';
import { readPlanSnapshot } from './status/read-plan-status.js';

export interface PrOptions {
  /** `status`, or nothing: open the pull requests. */
  action?: string;
  plan?: string;
  remote?: string;
  base?: string;
  integrated?: boolean;
  only?: string[];
  fetch?: FetchRequest;
  json?: boolean;
  /** Say what would be pushed and opened; push and open nothing. */
  dryRun?: boolean;
}

/** The branch `pw pr --integrated` pushes the integration result to. */
export function integratedBranch(plan: string): string {
  return `pw-integrated/${plan}`;
}

export async function runPr(options: PrOptions, deps: CommandDeps): Promise<CommandResult> {
  if (options.action !== undefined && options.action !== 'status') {
    throw new UsageError(`pw pr ${options.action}: unknown action`, [
      'pw pr opens the pull requests; pw pr status shows them.',
    ]);
  }
  const { repo, plan } = await loadActivePlan(deps.cwd, options.plan);
  const gh: GhContext = { cwd: repo.mainWorktree, env: deps.env };
  // Before anything is pushed: without gh nothing can be opened.
  await assertGhAvailable(gh);
  if (options.action === 'status') return prStatus(options, deps, plan, gh);

  const remote = (await resolveHub(repo.mainWorktree, options.remote ?? true)).remote;
  const base = options.base ?? plan.target;
  const dryRun = Boolean(options.dryRun);
  const report: PrReport = { plan: plan.name, remote, base, dryRun, pullRequests: [] };
  const snapshot = await readPlanSnapshot(repo.mainWorktree, plan, deps.now(), {
    repo,
    fetch: options.fetch,
    withHistories: true,
  });
  for (const note of snapshot.notes) deps.stderr(`${note}\n`);
  const only = options.only?.flatMap((o) => o.split(',')).filter(Boolean) ?? [];
  const unknown = only.filter((id) => !plan.workers.some((w) => w.id === id));
  if (unknown.length) {
    throw new UsageError(`--only names workers not in plan "${plan.name}": ${unknown.join(', ')}`, [
      `Workers: ${plan.workers.map((w) => w.id).join(', ')}`,
    ]);
  }

  if (options.integrated) {
    report.pullRequests.push(
      await openIntegrated(repo.mainWorktree, repo.commonDir, plan, snapshot.status.workers, {
        remote,
        base,
        gh,
        dryRun,
      }),
    );
  } else {
    for (const worker of snapshot.status.workers) {
      if (only.length && !only.includes(worker.id)) continue;
      const headers = (snapshot.histories?.get(worker.id) ?? []).map(
        (c) => c.message.split('\n')[0]!,
      );
      const description: WorkerDescription = {
        plan: plan.name,
        worker: worker.id,
        task: plan.workers.find((w) => w.id === worker.id)?.task ?? '',
        state: worker.state,
        headers,
        findings: findingsOf(worker),
      };
      report.pullRequests.push(
        await openForBranch(repo.mainWorktree, repo.commonDir, plan.name, {
          worker: worker.id,
          branch: worker.branch,
          tip: headers.length ? (worker.tip?.sha ?? null) : null,
          skipReason: 'no commits of its own yet',
          title: workerTitle(description),
          body: workerBody(description),
          draft: worker.state !== 'complete',
          remote,
          base,
          gh,
          dryRun,
        }),
      );
    }
  }
  if (options.json) deps.stdout(`${JSON.stringify(report, null, 2)}\n`);
  else deps.stdout(renderPrReport(report));
  return { exitCode: report.pullRequests.some((p) => p.action === 'failed') ? 1 : 0 };
}

/** What pw status finds for a worker, as lines for the description. */
function findingsOf(worker: WorkerStatus): string[] {
  return [
    ...worker.violations.map(
      (v) =>
        `${v.kind === 'scope' ? 'out of scope' : 'protocol'}: ${v.sha?.slice(0, 12) ?? ''} ${v.paths.join(', ') || v.message}`,
    ),
    ...worker.needs.map((n) => `open NEEDS:${n.worker}/${n.item}`),
    ...(worker.blocked ? [`blocked: ${worker.blocked.reason}`] : []),
  ];
}

interface BranchRequest {
  worker: string;
  branch: string;
  /** What to push; null: nothing to propose (skipped with `skipReason`). */
  tip: string | null;
  skipReason: string;
  title: string;
  body: string;
  draft: boolean;
  remote: string;
  base: string;
  gh: GhContext;
  /** Push nothing and open nothing: report what would be done. */
  dryRun: boolean;
}

/**
 * Push, then the pull request: reported when one is open (or merged at this
 * tip), else opened. A dry run asks the remote and gh (reading only) and
 * reports what the real run would do.
 */
async function openForBranch(
  cwd: string,
  commonDir: string,
  plan: string,
  request: BranchRequest,
): Promise<PrEntry> {
  const entry: PrEntry = {
    worker: request.worker,
    branch: request.branch,
    tip: request.tip,
    action: 'skipped',
    reason: null,
    number: null,
    url: null,
    draft: false,
  };
  if (!request.tip) return { ...entry, reason: request.skipReason };
  if (request.dryRun) return dryRunEntry(cwd, request, entry, request.tip);
  const pushed = await pushBranch(cwd, request.remote, request.branch, request.tip);
  if (!pushed.ok) {
    return {
      ...entry,
      action: 'failed',
      reason: `push to ${request.remote} refused: ${pushed.message.split('\n').pop() ?? ''}`,
    };
  }
  const existing = reportExisting(
    entry,
    await findPullRequest(request.gh, request.branch),
    request.tip,
  );
  if (existing) return existing;
  const bodyFile = await writePullRequestBody(
    commonDir,
    plan,
    request.branch.replace(/[^A-Za-z0-9._-]+/g, '-'),
    request.body,
  );
  const url = await createPullRequest(request.gh, {
    head: request.branch,
    base: request.base,
    title: request.title,
    bodyFile,
    draft: request.draft,
  });
  const number = /\/pull\/(\d+)/.exec(url)?.[1];
  return {
    ...entry,
    action: 'created',
    url,
    number: number ? Number(number) : null,
    draft: request.draft,
  };
}

/** The entry for a pull request open for the branch, or merged at `tip`; null when one is to be opened. */
function reportExisting(entry: PrEntry, existing: PullRequest | null, tip: string): PrEntry | null {
  if (existing?.state !== 'OPEN' && !(existing?.state === 'MERGED' && existing.headRefOid === tip))
    return null;
  return {
    ...entry,
    action: existing.state === 'OPEN' ? 'exists' : 'merged',
    number: existing.number,
    url: existing.url,
    draft: existing.isDraft,
  };
}

/** What openForBranch would do for a branch with commits to propose, found out without changing anything. */
async function dryRunEntry(
  cwd: string,
  request: BranchRequest,
  entry: PrEntry,
  tip: string,
): Promise<PrEntry> {
  const onRemote = await readRemoteBranch(cwd, request.remote, request.branch);
  const push = onRemote === tip ? null : `would push ${tip.slice(0, 12)} to ${request.remote}`;
  const existing = reportExisting(entry, await findPullRequest(request.gh, request.branch), tip);
  if (existing) return { ...existing, reason: push };
  return {
    ...entry,
    action: 'would-open',
    reason: `${push ?? 'already pushed'}; title: ${request.title}`,
    draft: request.draft,
  };
}

/** The integration result (the local target, after pw integrate) as one pull request into the remote's target. */
async function openIntegrated(
  cwd: string,
  commonDir: string,
  plan: CompiledPlan,
  workers: readonly WorkerStatus[],
  where: { remote: string; base: string; gh: GhContext; dryRun: boolean },
): Promise<PrEntry> {
  const local = await resolveCommit(cwd, `refs/heads/${plan.target}`);
  const remoteTarget = await readRemoteBranch(cwd, where.remote, where.base);
  const nothingNew =
    !local ||
    local === remoteTarget ||
    (remoteTarget !== null &&
      (await resolveCommit(cwd, remoteTarget)) !== null &&
      (await isAncestor(cwd, local, remoteTarget)));
  if (nothingNew) {
    throw new FailedError(
      `${plan.target} here has nothing ${where.remote}'s ${where.base} lacks: there is no integration result to propose`,
      [
        'Run pw integrate first (it merges the workers into ' +
          plan.target +
          ' here), then pw pr --integrated.',
      ],
    );
  }
  const merged = workers.filter((w) => w.lastCommit !== null);
  const description = {
    plan: plan.name,
    target: where.base,
    workers: merged.map((w) => {
      const parsed = parseCommitMessage(w.lastCommit!.header);
      return {
        worker: w.id,
        subject: parsed.type === 'protocol' ? parsed.header.subject : w.lastCommit!.header,
      };
    }),
  };
  return openForBranch(cwd, commonDir, plan.name, {
    worker: '(integrated)',
    branch: integratedBranch(plan.name),
    tip: local,
    skipReason: '',
    title: integratedTitle(description),
    body: integratedBody(description),
    draft: false,
    ...where,
  });
}

async function prStatus(
  options: PrOptions,
  deps: CommandDeps,
  plan: CompiledPlan,
  gh: GhContext,
): Promise<CommandResult> {
  const entries: PrStatusEntry[] = [];
  for (const worker of plan.workers) {
    entries.push({
      worker: worker.id,
      branch: worker.branch,
      pullRequest: await findPullRequest(gh, worker.branch),
    });
  }
  const integrated = await findPullRequest(gh, integratedBranch(plan.name));
  if (integrated)
    entries.push({
      worker: '(integrated)',
      branch: integratedBranch(plan.name),
      pullRequest: integrated,
    });
  if (options.json)
    deps.stdout(`${JSON.stringify({ plan: plan.name, pullRequests: entries }, null, 2)}\n`);
  else deps.stdout(renderPrStatus(plan.name, entries));
  return { exitCode: 0 };
}
