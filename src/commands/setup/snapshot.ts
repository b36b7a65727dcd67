import type { SetupOptions } from './index.js';
import { exists, whyNotCreatable } from '../../store/fs.js';
import { dirname, join, resolve } from 'node:path';
import type { CommandDeps } from '../../cli/deps.js';
import { loadConfig } from '../../config/load-config.js';
import { resolvePlan } from '../../config/read-plan.js';
import {
  BRIEF_FILE,
  MAX_BRIEF_BYTES,
  renderBrief,
  renderLaunchScript,
} from '../../domain/setup/brief.js';
import { findLikelyTypos, matchOwnedFiles } from '../../domain/scope/scope-match.js';
import { compilePlan } from '../../domain/plan/compile-plan.js';
import type { CompiledPlan } from '../../domain/plan/plan.js';
import {
  findCrossPlanOverlaps,
  findTrackedOverlaps,
  findUnownedFiles,
} from '../../domain/plan/overlaps.js';
import { type SetupSnapshot, type WorkerSnapshot } from '../../domain/setup/plan-setup.js';
import { formatProblem } from '../../domain/plan/validate-plan.js';
import { escapeTerminal } from '../../domain/text/terminal-text.js';
import { EnvironmentError, UsageError } from '../../errors.js';
import { readConfig } from '../../git/config.js';
import { areWorkerHooksInstalled } from '../../git/hooks/index.js';
import {
  listRefs,
  listRefsNotMergedInto,
  listTreeFilesByPathspecs,
  listWorktreeIncludeFiles,
  listWorktrees,
  readRepoInfo,
  removeStaleScratchIndexes,
  resolveCommit,
  type RepoInfo,
  type Worktree,
} from '../../git/repo.js';
import {
  planPaths,
  readCompiledPlan,
  readTextIfExists,
  readActivePlans,
  readEvents,
} from '../../store/trusted-store.js';
import { readTrustedPlanText } from '../../git/trust-refs.js';
import { parseRecordedPlan } from '../trust.js';
import { isBriefExcluded } from './repo-setup-state.js';
import { readTemplate } from '../templates.js';

export interface SetupContext {
  repo: RepoInfo;
  desired: CompiledPlan;
  snapshot: SetupSnapshot;
  unowned: string[];
  warnings: string[];
  includeFile: string;
}

/**
 * Why the base branch does not resolve, in the words that fit: a repository
 * without a commit has no branch yet (and `git branch` cannot make one there),
 * a tag of that name is not a branch, otherwise the branch is unknown.
 */
async function unknownBaseError(cwd: string, base: string, source: string): Promise<UsageError> {
  const [branches, tag] = await Promise.all([
    listRefs(cwd, 'refs/heads/'),
    resolveCommit(cwd, `refs/tags/${base}`),
  ]);
  if (branches.size === 0) {
    return new UsageError(
      `the repository has no commits yet, so there is no base branch "${base}" to start from (${source}: base)`,
      [
        'Make a first commit on it (git add <files> && git commit -m "initial commit"), then run pw setup again.',
      ],
    );
  }
  if (tag) {
    return new UsageError(
      `"${base}" is a tag, not a branch (${source}: base): a base must be a branch, which integrate moves`,
      [
        `Make a branch at the tag (git branch ${base}-base ${base}) and name it as base, or name another branch.`,
      ],
    );
  }
  return new UsageError(`unknown base branch "${base}" (${source}: base)`, [
    'Name an existing local branch as base, or create it first (git branch <name>).',
  ]);
}

/**
 * Every file of the base commit, and the ones each worker owns. Ownership is
 * matched in memory (one pass, not one git per worker), then checked against
 * git itself: the files git lists for all the workers' pathspecs together
 * must be exactly the files the matcher gave to some worker. Should they
 * ever differ, git's answer per worker is taken instead (DESIGN.md section 3:
 * git decides what a pathspec matches).
 */
async function readOwnedFiles(
  repo: RepoInfo,
  baseCommit: string,
  desired: CompiledPlan,
): Promise<{ all: string[]; byWorker: string[][] }> {
  const [all = [], matchedByGit = []] = await listTreeFilesByPathspecs(
    repo.mainWorktree,
    baseCommit,
    [[':/'], desired.workers.flatMap((w) => w.pathspecs)],
    repo.gitDir,
  );
  const byWorker = matchOwnedFiles(all, desired.workers);
  const matched = new Set(byWorker.flat());
  if (matched.size === matchedByGit.length && matchedByGit.every((file) => matched.has(file)))
    return { all, byWorker };
  return {
    all,
    byWorker: await listTreeFilesByPathspecs(
      repo.mainWorktree,
      baseCommit,
      desired.workers.map((w) => w.pathspecs),
      repo.gitDir,
    ),
  };
}

/** Read: one snapshot of the repository, the plan and what an earlier setup left. */
export async function readSetupContext(
  options: SetupOptions,
  deps: CommandDeps,
  repo?: RepoInfo,
): Promise<SetupContext> {
  repo ??= await readRepoInfo(deps.cwd);
  await removeStaleScratchIndexes(repo.gitDir);
  const config = await loadConfig(repo.mainWorktree);
  const { plan, warnings } = await resolvePlan(options.plan, deps.cwd, config);
  const worktrees = await listWorktrees(repo.mainWorktree);
  const mainBranch = worktrees[0]?.branch?.replace(/^refs\/heads\//, '') ?? null;
  const base = plan.base ?? mainBranch;
  if (!base) {
    throw new UsageError(
      `the plan has no base and the main worktree (${repo.mainWorktree}) is on a detached HEAD`,
      [
        `Add "base: <branch>" to ${plan.source}, or check out the base branch in the main worktree.`,
      ],
    );
  }
  // A plan set up before keeps the commit its branches started from: the base
  // branch moving on (an integrate, other work) must not move it, or every
  // worker's own commits would be read as the base's.
  const baseCommit =
    (await readRecordedBaseCommit(repo, plan.name, base)) ??
    (await resolveCommit(repo.mainWorktree, `refs/heads/${base}`));
  if (!baseCommit) throw await unknownBaseError(repo.mainWorktree, base, plan.source);
  const desired = compilePlan(plan, { mainWorktree: repo.mainWorktree, base, baseCommit });
  // Checked before anything is created: a root that takes no folders fails here, with its reason.
  const worktreeParent = desired.workers[0] ? dirname(desired.workers[0].worktree) : null;
  const unusable = worktreeParent ? await whyNotCreatable(worktreeParent) : null;
  if (unusable) {
    throw new EnvironmentError(
      `the worktrees of plan "${desired.name}" cannot be created in ${worktreeParent}: ${unusable}`,
      [
        `Set worktreeRoot (now "${plan.settings.worktreeRoot}", in ${plan.source} or the config) to a folder you can write, or create that folder first.`,
      ],
    );
  }

  const owned = await readOwnedFiles(repo, baseCommit, desired);
  const allFiles = owned.all;
  const trackedByWorker = new Map(desired.workers.map((w, i) => [w.id, owned.byWorker[i] ?? []]));
  const overlaps = findTrackedOverlaps(plan, trackedByWorker);
  if (overlaps.length) {
    throw new UsageError(
      `workers of plan "${plan.name}" overlap (${overlaps.length} problem${overlaps.length === 1 ? '' : 's'})`,
      [
        ...overlaps.map(formatProblem),
        'Each file belongs to exactly one worker; make the owns patterns disjoint and run setup again.',
      ],
    );
  }
  if (allFiles.some((file) => file === BRIEF_FILE)) {
    throw new UsageError(
      `the base branch tracks a file named ${BRIEF_FILE}, where setup writes each worker's brief`,
      [`Rename or move ${BRIEF_FILE} in ${base}, then run setup again.`],
    );
  }

  const { snapshot, includeFile } = await readSetupSnapshot(repo, desired, { worktrees });
  const { briefs } = snapshot;
  const oversized = [...briefs].filter(
    ([, brief]) => Buffer.byteLength(brief.content) > MAX_BRIEF_BYTES,
  );
  if (oversized.length) {
    throw new UsageError(
      `the brief of ${oversized.map(([id]) => id).join(', ')} is over ${MAX_BRIEF_BYTES} bytes, the most one command-line argument can hold on Linux`,
      [
        ...oversized.map(
          ([id, brief]) => `${id}: ${Buffer.byteLength(brief.content)} bytes (${plan.source})`,
        ),
        "The launch script hands the brief to the agent as one argument. Shorten the worker's task or the plan's Markdown context, and put long material in files the task points to.",
      ],
    );
  }

  return {
    repo,
    desired,
    unowned: findUnownedFiles(allFiles, trackedByWorker),
    warnings: [
      ...warnings.map(formatProblem),
      ...findLikelyTypos(allFiles, desired.workers).map(
        ({ worker, index, source, near }) =>
          `${plan.source}: workers[${worker}].owns[${index}]: "${escapeTerminal(source)}" (${desired.workers[worker]!.id}) owns no file of ${base}; did you mean "${escapeTerminal(near)}"? (a path the worker will create is fine)`,
      ),
      ...findCrossPlanOverlaps(plan, await readUnfinishedOtherPlans(repo, plan.name)),
    ],
    includeFile,
    snapshot,
  };
}

/**
 * What exists already for a compiled plan: per worker (only those in `only`,
 * when given: pw join sets up one), the branch, the worktree, its config,
 * hooks, brief and launch script; and the trusted files. Shared by pw setup
 * and pw join.
 */
export async function readSetupSnapshot(
  repo: RepoInfo,
  desired: CompiledPlan,
  options: {
    only?: ReadonlySet<string>;
    startCommits?: ReadonlyMap<string, string>;
    /** The worktrees, when the caller listed them already (one git process fewer). */
    worktrees?: readonly Worktree[];
  } = {},
): Promise<{ snapshot: SetupSnapshot; includeFile: string }> {
  const selected = desired.workers.filter((w) => !options.only || options.only.has(w.id));
  const worktrees = options.worktrees ?? (await listWorktrees(repo.mainWorktree));
  const recorded = await readCompiledPlan(repo.commonDir, desired.name);
  // A torn-down plan's record is history, not a claim on branch names.
  const previous = recorded?.tornDownAt ? null : recorded;
  const heads = await listRefs(repo.mainWorktree, 'refs/heads/');
  const paths = planPaths(repo.commonDir, desired.name);
  const includeFile = join(repo.mainWorktree, '.worktreeinclude');
  const includes = (await exists(includeFile))
    ? await listWorktreeIncludeFiles(repo.mainWorktree, includeFile)
    : [];
  const [briefTemplate, launchTemplate] = await Promise.all([
    readTemplate('brief.md'),
    readTemplate('launch.sh'),
  ]);

  const workers = new Map<string, WorkerSnapshot>();
  const briefs = new Map<string, { path: string; content: string }>();
  const launchers = new Map<string, { path: string; content: string }>();
  for (const worker of selected) {
    const at = worktrees.find((w) => resolve(w.path) === resolve(worker.worktree));
    const checkedOut = worktrees.find((w) => w.branch === `refs/heads/${worker.branch}`);
    const registered = at !== undefined && !at.prunable;
    const briefPath = join(worker.worktree, BRIEF_FILE);
    const missingIncludes: string[] = [];
    for (const file of includes) {
      if (!registered || !(await exists(join(worker.worktree, file)))) missingIncludes.push(file);
    }
    workers.set(worker.id, {
      branchCommit: heads.get(`refs/heads/${worker.branch}`) ?? null,
      branchCheckedOutAt: checkedOut && !checkedOut.prunable ? checkedOut.path : null,
      pathExists: await exists(worker.worktree),
      worktreeAtPath: registered ? (at.branch ?? '') : null,
      configuredWorker: registered
        ? await readConfig(worker.worktree, 'pw.worker', 'worktree').catch(() => null)
        : null,
      hooksInstalled: registered
        ? await areWorkerHooksInstalled({ commonDir: repo.commonDir, plan: desired, worker })
        : false,
      briefContent: registered ? await readTextIfExists(briefPath) : null,
      launchContent: await readTextIfExists(paths.launch(worker.id)),
      missingIncludes,
    });
    briefs.set(worker.id, {
      path: briefPath,
      content: renderBrief(briefTemplate, desired, worker),
    });
    launchers.set(worker.id, {
      path: paths.launch(worker.id),
      content: renderLaunchScript(launchTemplate, desired, worker, briefPath),
    });
  }

  const desiredTrustedFiles = new Map<string, string>([
    [paths.plan, `${JSON.stringify(desired, null, 2)}\n`],
  ]);
  for (const worker of desired.workers)
    desiredTrustedFiles.set(paths.scope(worker.id), `${worker.pathspecs.join('\n')}\n`);
  const trustedFiles = new Map<string, string | null>();
  for (const path of desiredTrustedFiles.keys())
    trustedFiles.set(path, await readTextIfExists(path));

  return {
    includeFile,
    snapshot: {
      desired,
      previous,
      workers,
      worktreeConfigEnabled:
        (await readConfig(repo.commonDir, 'extensions.worktreeConfig', 'local')) === 'true',
      trustedFiles,
      desiredTrustedFiles,
      briefExcluded: await isBriefExcluded(repo.commonDir),
      briefs,
      launchers,
      ...(options.only ? { only: options.only } : {}),
      ...(options.startCommits ? { startCommits: options.startCommits } : {}),
    },
  };
}

export async function readOtherActivePlans(
  commonDir: string,
  name: string,
): Promise<CompiledPlan[]> {
  return (await readActivePlans(commonDir)).filter((plan) => plan.name !== name);
}

/**
 * The base commit plan `name`, set up here before, started its worker
 * branches from, as setup recorded it (refs/pw/<plan>/trust/plan, which no
 * worker can move): null for a plan not set up, torn down, now naming another
 * base branch, or whose recorded commit no longer exists.
 */
async function readRecordedBaseCommit(
  repo: RepoInfo,
  name: string,
  base: string,
): Promise<string | null> {
  const recorded = parseRecordedPlan(
    await readTrustedPlanText(repo.mainWorktree, name).catch(() => null),
  );
  if (!recorded || recorded.tornDownAt || recorded.base !== base) return null;
  if (typeof recorded.baseCommit !== 'string') return null;
  return resolveCommit(repo.mainWorktree, recorded.baseCommit);
}

/**
 * The other plans set up here whose workers may still edit what they own. A
 * plan integrate published, whose worker branches its target holds every
 * commit of since, is done with its paths, though its worktrees stay until
 * teardown: no warning about it.
 */
async function readUnfinishedOtherPlans(repo: RepoInfo, name: string): Promise<CompiledPlan[]> {
  const unfinished: CompiledPlan[] = [];
  for (const other of await readOtherActivePlans(repo.commonDir, name)) {
    const events = await readEvents(repo.commonDir, other.name).catch(() => []);
    if (events.some((e) => e.type === 'integrate' && e.phase === 'published')) {
      const notMerged = await listRefsNotMergedInto(
        repo.mainWorktree,
        `refs/heads/${other.integrate.target}`,
        other.workers.map((w) => `refs/heads/${w.branch}`),
      ).catch(() => null);
      if (notMerged?.size === 0) continue;
    }
    unfinished.push(other);
  }
  return unfinished;
}
