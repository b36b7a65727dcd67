import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ID_PATTERN, type CompiledPlan } from '../domain/plan/plan.js';
import { UsageError } from '../errors.js';
import { describeUnknownWorkers } from '../domain/plan/unknown-workers.js';
import { readRepoInfo, type RepoInfo } from '../git/repo.js';
import type { TrustRecord } from '../git/trust-refs.js';
import { readSetUpPlanRecords } from './trust.js';

export interface ActivePlan {
  repo: RepoInfo;
  plan: CompiledPlan;
  /** What setup recorded for the plan, as read with it (for assertPlanTrusted). */
  trust: TrustRecord | undefined;
}

/** The `name` key of a plan file, without validating the rest. */
async function readPlanName(path: string): Promise<string | null> {
  try {
    const text = await readFile(path, 'utf8');
    // Loaded here, not at the top: YAML costs every command tens of ms, and only a plan file needs it.
    const [{ parse: parseYaml }, { splitFrontMatter }] = await Promise.all([
      import('yaml'),
      import('../config/read-plan.js'),
    ]);
    const data = parseYaml(splitFrontMatter(text, path).yaml) as { name?: unknown } | null;
    return typeof data?.name === 'string' ? data.name : null;
  } catch {
    return null;
  }
}

/**
 * The trusted plan a command works on, as setup recorded it: the one named (by name or
 * plan file), else the only plan set up in this repository.
 * `includeTornDown` also finds plans whose record teardown kept (for retro).
 */
export async function loadActivePlan(
  cwd: string,
  planArg: string | undefined,
  options: {
    includeTornDown?: boolean;
    repo?: RepoInfo;
    /** A command that removes things (teardown): no guess; several plans, and it asks. */
    strict?: boolean;
  } = {},
): Promise<ActivePlan> {
  const repo = options.repo ?? (await readRepoInfo(cwd));
  const { plans, records } = await readSetUpPlanRecords(cwd, repo.commonDir, options);
  let name: string | null = null;
  if (planArg) {
    if (ID_PATTERN.test(planArg) && plans.some((p) => p.name === planArg)) name = planArg;
    else name = (await readPlanName(resolve(cwd, planArg))) ?? planArg;
  } else if (plans.length === 0) {
    throw new UsageError('no plan is set up in this repository', [
      'Run pw setup <plan-file> first (pw init writes an example plan).',
    ]);
  } else {
    name = chooseDefaultPlan(plans, repo, { strict: options.strict }).name;
  }
  const plan = plans.find((p) => p.name === name);
  if (!plan && planArg && !ID_PATTERN.test(planArg) && !existsSync(resolve(cwd, planArg))) {
    throw new UsageError(`there is no plan file ${resolve(cwd, planArg)}`, [
      plans.length
        ? `Give a plan file that exists, or a plan set up here by name: ${plans.map((p) => p.name).join(', ')}`
        : 'Give a plan file that exists (pw init writes an example plan).',
    ]);
  }
  if (!plan) {
    throw new UsageError(`plan "${planArg}" is not set up in this repository`, [
      plans.length
        ? `Plans set up here: ${plans.map((p) => p.name).join(', ')}`
        : 'No plan is set up here; run pw setup <plan-file> first.',
    ]);
  }
  return { repo, plan, trust: records.get(plan.name) };
}

/**
 * The plan a command given none works on, the same for every command: the
 * plan whose worker's worktree (or branch) this is, else the only plan set up
 * (not torn down), else the only plan at all (a torn-down plan's record, for
 * retro and logs). Several left to choose from: a usage error naming them.
 * `strict` (teardown) takes no such guess: one plan, or the question.
 * `plans` is not empty.
 */
export function chooseDefaultPlan<P extends Pick<CompiledPlan, 'name' | 'tornDownAt' | 'workers'>>(
  plans: readonly P[],
  repo: Pick<RepoInfo, 'topLevel' | 'currentBranch'>,
  /** Only the only plan there is: for commands that remove things. */
  options: { strict?: boolean } = {},
): P {
  if (options.strict && plans.length === 1) return plans[0]!;
  const here = plans.filter(
    (p) =>
      !p.tornDownAt &&
      p.workers.some(
        (w) =>
          resolve(w.worktree) === resolve(repo.topLevel) ||
          (repo.currentBranch !== null && w.branch === repo.currentBranch),
      ),
  );
  const live = plans.filter((p) => !p.tornDownAt);
  const chosen = options.strict ? null : [here, live, plans].find((list) => list.length === 1);
  if (chosen) return chosen[0]!;
  const tornDown = plans.filter((p) => p.tornDownAt).map((p) => p.name);
  const records = `${tornDown.length} torn-down plan${tornDown.length === 1 ? ' has a record' : 's have records'}`;
  throw new UsageError(
    `${
      live.length > 1
        ? `${live.length} plans are set up here`
        : live.length === 1
          ? `plan ${live[0]!.name} is set up here and ${records}`
          : `no plan is set up here, and ${records}`
    }; say which one with --plan`,
    [
      ...(live.length ? [`Plans: ${live.map((p) => p.name).join(', ')}`] : []),
      ...(tornDown.length ? [`Torn down, records kept: ${tornDown.join(', ')}`] : []),
    ],
  );
}

/**
 * The error for worker ids a command was given that the plan does not have:
 * each escaped for the terminal, with a "did you mean" where one is close, and
 * the plan's workers. `given` names where the ids came from ("--only", or null
 * for a command's worker argument).
 */
export function unknownWorkersError(
  plan: CompiledPlan,
  unknown: readonly string[],
  given: string | null = null,
): UsageError {
  const { message, details } = describeUnknownWorkers(
    plan.name,
    plan.workers.map((w) => w.id),
    unknown,
    given,
  );
  return new UsageError(message, details);
}
