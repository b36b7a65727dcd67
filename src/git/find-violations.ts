/**
 * CONTRACT: the one function that says whether worker branches stay inside
 * their scopes and the commit protocol. `pw check`, the hooks' slow path,
 * `pw status` and `pw integrate` all call it.
 *
 *   findViolations(
 *     cwd: string,                  // any directory of the repository (a worktree, or a bare hub)
 *     plan: CompiledPlan,           // the trusted plan (readCompiledPlan / loadActivePlan)
 *     options?: {
 *       worker?: string;            // only this worker's own commits
 *       range?: string;             // 'A..B', or 'B' alone: only commits B has and A (the base) lacks;
 *                                   // with `worker`, B also counts as that worker's tip
 *       kinds?: ViolationKind[];    // default ['scope', 'protocol']
 *     },
 *   ): Promise<Violation[]>         // in plan order, oldest commit first; [] when clean
 *
 *   Violation = { worker, commit, kind: 'scope' | 'protocol', path?, owner?, header?, problem }
 *     (src/domain/violations.ts; `owner` null = owned by nobody)
 *
 * Own commits: reachable from the worker's branch (local, else a remote-
 * tracking copy, as in CI) and not from the base, the target or the plan's
 * base commit; see attributeCommits for commits several branches share. Each
 * own commit is judged on its diff to its parent, a merge on what differs
 * from every parent (dense combined diff), so syncing from the base or
 * merging a provider is not a violation. Renames count as both paths.
 * Throws UsageError for an unknown worker or a range git cannot resolve.
 * Within a worker, commits come in git's date order (ties in its walk order).
 *
 * What it reads (the same answer either way, test/integration/find-
 * violations-agreement.test.ts): with `worker` and `range`, only that range
 * (`rev-list A..B`), unless another worker's tip reaches a commit of it (it
 * may be shared: then the whole history, as without them). The scope of a
 * worker's commits: one `git log` limited to the paths outside the scope,
 * which lists only the commits that leave it; merges by `diff-tree -c --cc`.
 */
import { createLimiter } from '../limit.js';
import { availableParallelism } from 'node:os';
import { attributeCommits } from '../domain/history/own-commits.js';
import {
  judgeCommits,
  parseDenseCombinedPaths,
  parseRange,
  type CommitDag,
  type DagCommit,
  type Violation,
  type ViolationKind,
} from '../domain/scope/violations.js';
import type { CompiledPlan } from '../domain/plan/plan.js';
import { scopeExcludePathspecs } from '../domain/scope/excludes.js';
import { UsageError } from '../errors.js';
import { logFormat, parseLogRecords } from './log-records.js';
import { listRefs, resolveCommit } from './repo.js';
import { runGit, splitNul } from './run-git.js';

export type { Violation, ViolationKind } from '../domain/scope/violations.js';

/**
 * Environment for every git call that judges scopes. Pathspec variables in
 * the caller's environment would change what the compiled pathspecs mean
 * (GIT_LITERAL_PATHSPECS=1 turns every exclude into a literal name), and
 * replace refs could show git a different history than the one pushed
 * (git(1), ENVIRONMENT; git-replace(1)).
 */
export const GATE_ENV: Record<string, string> = {
  GIT_LITERAL_PATHSPECS: '0',
  GIT_GLOB_PATHSPECS: '0',
  GIT_NOGLOB_PATHSPECS: '0',
  GIT_ICASE_PATHSPECS: '0',
  GIT_NO_REPLACE_OBJECTS: '1',
};

export interface FindViolationsOptions {
  worker?: string;
  range?: string;
  kinds?: readonly ViolationKind[];
  /**
   * The namespace of a hub's copies (`refs/remotes/<hub>/<branch>`): each
   * worker's copy there counts as a tip too, so work the hub has and the
   * local branch lacks is judged.
   */
  hub?: string;
}

/** Parses `git log -z --format=%H%x1f%P%x1f%B`. Pure. */
export function parseDagLog(output: string): Map<string, DagCommit> {
  const dag = new Map<string, DagCommit>();
  for (const [sha = '', parents = '', message = ''] of parseLogRecords(output, 3)) {
    if (!/^[0-9a-f]{40,64}$/.test(sha)) continue;
    dag.set(sha, {
      sha,
      parents: parents.split(' ').filter(Boolean),
      message: message.replace(/\n$/, ''),
    });
  }
  return dag;
}

/**
 * Splits `git diff-tree --stdin --always -z --name-only` output: each commit
 * header (in the order the commits were given) followed by its paths.
 */
export function parseDiffTreeNames(
  output: string,
  commits: readonly string[],
): Map<string, string[]> {
  const result = new Map<string, string[]>(commits.map((sha) => [sha, []]));
  let index = -1;
  for (const field of splitNul(output)) {
    const next = commits[index + 1];
    if (field === next) {
      index++;
      continue;
    }
    if (index >= 0) result.get(commits[index]!)!.push(field);
  }
  return result;
}

/** A worker's tips: its local branch, else the first remote-tracking copy of it. */
function workerTip(refs: ReadonlyMap<string, string>, branch: string): string | null {
  const local = refs.get(`refs/heads/${branch}`);
  if (local) return local;
  for (const [ref, sha] of refs) {
    if (ref.startsWith('refs/remotes/') && ref.endsWith(`/${branch}`)) {
      const remote = ref.slice('refs/remotes/'.length, -branch.length - 1);
      if (remote && !remote.includes('/')) return sha;
    }
  }
  return null;
}

/** What is not any worker's own work: the base and target, local and remote-tracking, and the base commit. */
function readExclusions(
  plan: CompiledPlan,
  refs: ReadonlyMap<string, string>,
  baseCommitExists: boolean,
): string[] {
  const out = new Set<string>();
  for (const branch of new Set([plan.base, plan.target])) {
    for (const [ref, sha] of refs) {
      if (ref === `refs/heads/${branch}`) out.add(sha);
      else if (ref.startsWith('refs/remotes/') && ref.endsWith(`/${branch}`)) {
        const remote = ref.slice('refs/remotes/'.length, -branch.length - 1);
        if (remote && !remote.includes('/')) out.add(sha);
      }
    }
  }
  if (baseCommitExists) out.add(plan.baseCommit);
  return [...out];
}

/** Parents and message of every commit `include` reaches and `exclude` does not, in git's order. */
async function readDag(
  cwd: string,
  include: readonly string[],
  exclude: readonly string[],
): Promise<CommitDag> {
  const { stdout } = await runGit(
    [
      'log',
      '-z',
      '--no-show-signature',
      logFormat(['%H', '%P', '%B']),
      ...new Set(include),
      '--not',
      ...exclude,
      '--',
    ],
    { cwd, env: GATE_ENV },
  );
  return parseDagLog(stdout);
}

/** The commits `include` reaches and `exclude` does not, in git's order. */
async function listCommits(
  cwd: string,
  include: readonly string[],
  exclude: readonly string[],
): Promise<Set<string>> {
  const { stdout } = await runGit(['rev-list', ...new Set(include), '--not', ...exclude, '--'], {
    cwd,
    env: GATE_ENV,
  });
  return new Set(stdout.split('\n').filter(Boolean));
}

/**
 * Parses `git log -z --format=/%H --name-only`: each commit (the '/' marks it:
 * no path starts with one) with the paths listed after it. git puts a newline
 * between a commit's header and its first path. Pure.
 */
export function parseNameOnlyLog(output: string): Map<string, string[]> {
  const result = new Map<string, string[]>();
  let paths: string[] | null = null;
  let first = false;
  for (const field of splitNul(output)) {
    if (field.startsWith('/')) {
      paths = [];
      result.set(field.slice(1), paths);
      first = true;
      continue;
    }
    if (!paths) continue;
    paths.push(first && field.startsWith('\n') ? field.slice(1) : field);
    first = false;
  }
  return result;
}

/** Which commits the walk reaches: tips, and what it stops at. */
export interface HistoryWalk {
  include: readonly string[];
  exclude: readonly string[];
}

/**
 * Paths each commit changes outside a scope: its diff to its parent, for a
 * merge what differs from every parent, hunk by hunk; nothing for a root
 * commit (as `diff-tree` without `--root`). Commits with one parent come from
 * `listSingles` (readSinglesOutside over a walk that reaches them all); merges
 * take one `diff-tree --stdin -c`, and one more per merge that has candidates.
 */
export async function readPathsOutside(
  cwd: string,
  commits: readonly DagCommit[],
  excludes: readonly string[],
  listSingles: () => Promise<Map<string, string[]>>,
): Promise<Map<string, string[]>> {
  const outside = new Map<string, string[]>(commits.map((c) => [c.sha, []]));
  const singles = commits.filter((c) => c.parents.length === 1);
  const merges = commits.filter((c) => c.parents.length > 1);
  const [listed, merged] = await Promise.all([
    singles.length ? listSingles() : new Map<string, string[]>(),
    merges.length ? readMergesOutside(cwd, merges, excludes) : new Map<string, string[]>(),
  ]);
  for (const commit of singles) outside.set(commit.sha, listed.get(commit.sha) ?? []);
  for (const commit of merges) outside.set(commit.sha, merged.get(commit.sha) ?? []);
  return outside;
}

/**
 * The commits with one parent that `walk` reaches and that change paths
 * outside a scope, with those paths: ONE `git log` limited to the paths
 * outside (`:/` and the scope's excludes), so git prunes the scope's subtrees
 * and lists only the commits that leave it.
 */
export async function readSinglesOutside(
  cwd: string,
  walk: HistoryWalk,
  excludes: readonly string[],
): Promise<Map<string, string[]>> {
  // --full-history: without it git follows one TREESAME parent of a merge and
  // skips the other side, which may hold the worker's own commits
  // (git-log(1), "History Simplification"). --no-relative and
  // --ignore-submodules=none: diff.relative and diff.ignoreSubmodules would
  // otherwise narrow what this porcelain command lists (git-config(1)).
  const { stdout } = await runGit(
    [
      '-c',
      'log.showRoot=false',
      'log',
      '-z',
      '--no-show-signature',
      '--format=/%H',
      '--full-history',
      '--no-merges',
      '--name-only',
      '--no-renames',
      '--no-relative',
      '--ignore-submodules=none',
      ...new Set(walk.include),
      '--not',
      ...walk.exclude,
      '--',
      ':/',
      ...excludes,
    ],
    { cwd, env: GATE_ENV },
  );
  return parseNameOnlyLog(stdout);
}

/** Of the merges: the paths outside the scope where each differs from every parent, hunk by hunk. */
async function readMergesOutside(
  cwd: string,
  merges: readonly DagCommit[],
  excludes: readonly string[],
): Promise<Map<string, string[]>> {
  const shas = merges.map((c) => c.sha);
  const { stdout } = await runGit(
    [
      'diff-tree',
      '--stdin',
      '--always',
      '-r',
      '-c',
      '--no-renames',
      '--name-only',
      '-z',
      '--',
      ':/',
      ...excludes,
    ],
    { cwd, env: GATE_ENV, input: `${shas.join('\n')}\n` },
  );
  const outside = parseDiffTreeNames(stdout, shas);
  for (const merge of merges) {
    const paths = outside.get(merge.sha)!;
    const dense = paths.length ? await readDenseMergePaths(cwd, merge.sha, paths) : [];
    const unbrought = await readPathsNoParentBrought(cwd, merge, excludes);
    outside.set(merge.sha, [...new Set([...dense, ...unbrought])]);
  }
  return outside;
}

/** Git's empty tree: what an unrelated parent's changes are measured from. */
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/** Paths outside the scope that differ between two tree-ishes. */
async function changedOutside(
  cwd: string,
  from: string,
  to: string,
  excludes: readonly string[],
): Promise<string[]> {
  const { stdout } = await runGit(
    ['diff-tree', '-r', '-z', '--no-renames', '--name-only', from, to, '--', ':/', ...excludes],
    { cwd, env: GATE_ENV },
  );
  return splitNul(stdout);
}

/**
 * Of the paths outside the scope where a merge differs from its first parent,
 * those no other parent brought: changed by none of them since its line and
 * the first parted. A merge with an old commit (an ancestor of the first
 * parent brings nothing) whose tree drops or reverts files outside the scope
 * shows in no combined diff, since the merge takes them from that parent.
 */
async function readPathsNoParentBrought(
  cwd: string,
  merge: DagCommit,
  excludes: readonly string[],
): Promise<string[]> {
  const [first, ...others] = merge.parents;
  const took = await changedOutside(cwd, first!, merge.sha, excludes);
  if (!took.length) return [];
  const brought = new Set<string>();
  for (const other of others) {
    const { stdout, exitCode } = await runGit(['merge-base', first!, other], {
      cwd,
      env: GATE_ENV,
      okExitCodes: [1],
    });
    const since = exitCode === 0 ? stdout.trim() : EMPTY_TREE;
    for (const path of await changedOutside(cwd, since, other, excludes)) brought.add(path);
  }
  return took.filter((path) => !brought.has(path));
}

/** Of `paths`, those where the merge has a hunk matching no parent (`diff-tree --cc -p`). */
async function readDenseMergePaths(
  cwd: string,
  merge: string,
  paths: readonly string[],
): Promise<string[]> {
  const dense = new Set<string>();
  for (let i = 0; i < paths.length; i += 500) {
    const chunk = paths.slice(i, i + 500);
    const { stdout } = await runGit(
      [
        '-c',
        'core.quotePath=false',
        'diff-tree',
        '--cc',
        '-p',
        '-r',
        '--no-renames',
        '--no-ext-diff',
        '--no-textconv',
        merge,
        '--',
        ...chunk.map((path) => `:(top,literal)${path}`),
      ],
      { cwd, env: GATE_ENV },
    );
    for (const path of parseDenseCombinedPaths(stdout)) dense.add(path);
  }
  return paths.filter((path) => dense.has(path));
}

export async function findViolations(
  cwd: string,
  plan: CompiledPlan,
  options: FindViolationsOptions = {},
): Promise<Violation[]> {
  return (await judgeHistory(cwd, plan, options)).violations;
}

export interface HistoryJudgement {
  violations: Violation[];
  /** How many own commits were judged. */
  judged: number;
  /** Commits of the range that no worker branch reaches (so nobody's, and not judged). */
  unattributed: string[];
}

/** The commits to judge, whose they are, and where each worker's lie. */
interface HistoryRead {
  /** Every commit to judge (and maybe more), in git's order. */
  dag: CommitDag;
  /** The commits to judge and their owners (attributeCommits). */
  judged: Map<string, string[]>;
  unattributed: string[];
  /** A walk that reaches every commit judged for the worker. */
  walk: (worker: string) => HistoryWalk;
}

/** findViolations, with what `pw check` reports besides: how much it judged and what it could not attribute. */
export async function judgeHistory(
  cwd: string,
  plan: CompiledPlan,
  options: FindViolationsOptions = {},
): Promise<HistoryJudgement> {
  const kinds = options.kinds ?? ['scope', 'protocol'];
  if (options.worker !== undefined && !plan.workers.some((w) => w.id === options.worker)) {
    throw new UsageError(`plan "${plan.name}" has no worker "${options.worker}"`, [
      `Workers: ${plan.workers.map((w) => w.id).join(', ')}`,
    ]);
  }
  const parsed = options.range === undefined ? null : parseRange(options.range);
  if (options.range !== undefined && !parsed) {
    throw new UsageError(`cannot read the range "${options.range}"`, [
      'Write it as A..B (the commits B has and A lacks), e.g. --range origin/main..HEAD.',
    ]);
  }
  const [refs, baseCommit, from, to] = await Promise.all([
    listRefs(cwd, ['refs/heads/', 'refs/remotes/']),
    resolveCommit(cwd, plan.baseCommit),
    parsed?.from ? resolveCommit(cwd, parsed.from) : null,
    parsed ? resolveCommit(cwd, parsed.to) : null,
  ]);
  const tips = new Map<string, string[]>();
  for (const worker of plan.workers) {
    const tip = workerTip(refs, worker.branch);
    const hubTip =
      options.hub === undefined
        ? undefined
        : refs.get(`refs/remotes/${options.hub}/${worker.branch}`);
    tips.set(worker.id, [...new Set([tip, hubTip].filter((t) => t !== null && t !== undefined))]);
  }
  const exclusions = readExclusions(plan, refs, baseCommit !== null);

  let range: { from: string | null; to: string } | null = null;
  if (parsed) {
    const unknown = [parsed.from !== null && !from ? parsed.from : null, to ? null : parsed.to];
    if (unknown.some(Boolean)) {
      throw new UsageError(
        `the range "${options.range}" names no commit: ${unknown.filter(Boolean).join(', ')}`,
        [
          'Fetch the branches first (in CI: actions/checkout with fetch-depth: 0), or fix the names.',
        ],
      );
    }
    range = { from, to: to! };
    if (options.worker !== undefined) tips.get(options.worker)!.push(range.to);
  }

  const limit = createLimiter(Math.max(2, availableParallelism()));
  const excludes = new Map<string, string[]>();
  const excludesOf = (worker: CompiledPlan['workers'][number]): string[] => {
    let list = excludes.get(worker.id);
    if (!list) excludes.set(worker.id, (list = scopeExcludePathspecs(worker.owns)));
    return list;
  };
  // Without a range every worker with a tip has commits to judge, over a walk
  // known already: its out-of-scope commits are read while the history is.
  const early = new Map<string, Promise<Map<string, string[]>>>();
  if (!range && kinds.includes('scope')) {
    for (const worker of plan.workers) {
      const include = tips.get(worker.id)!;
      if (include.length === 0) continue;
      if (options.worker !== undefined && worker.id !== options.worker) continue;
      const read = limit(() =>
        readSinglesOutside(cwd, { include, exclude: exclusions }, excludesOf(worker)),
      );
      // Awaited below if the worker has commits to judge; a failure is not unhandled meanwhile.
      read.catch(() => undefined);
      early.set(worker.id, read);
    }
  }

  const history =
    (range && options.worker !== undefined
      ? await readWorkerRange(cwd, options.worker, range, tips, exclusions)
      : null) ?? (await readAllHistory(cwd, tips, exclusions, range, options.worker));

  const outside = new Map<string, Map<string, string[]>>();
  if (kinds.includes('scope')) {
    const commitsOf = new Map<string, DagCommit[]>();
    for (const [sha, owners] of history.judged) {
      for (const id of owners) {
        const list = commitsOf.get(id);
        if (list) list.push(history.dag.get(sha)!);
        else commitsOf.set(id, [history.dag.get(sha)!]);
      }
    }
    await Promise.all(
      plan.workers
        .filter((w) => commitsOf.has(w.id))
        .map(async (worker) => {
          const listSingles = (): Promise<Map<string, string[]>> =>
            early.get(worker.id) ??
            limit(() => readSinglesOutside(cwd, history.walk(worker.id), excludesOf(worker)));
          outside.set(
            worker.id,
            await readPathsOutside(cwd, commitsOf.get(worker.id)!, excludesOf(worker), listSingles),
          );
        }),
    );
  }
  return {
    violations: judgeCommits({
      dag: history.dag,
      owners: history.judged,
      outside,
      workers: plan.workers,
      kinds,
    }),
    judged: history.judged.size,
    unattributed: history.unattributed,
  };
}

/**
 * One worker's range, read alone: the commits `to` has and `from` and the
 * exclusions lack (what attribution would give that worker anyway, as `to`
 * counts as its tip), unless another worker's tip reaches one of them. Then
 * the commit may be shared or another's, which only the whole history says:
 * null, and the caller reads it all.
 */
async function readWorkerRange(
  cwd: string,
  worker: string,
  range: { from: string | null; to: string },
  tips: ReadonlyMap<string, readonly string[]>,
  exclusions: readonly string[],
): Promise<HistoryRead | null> {
  const stop = [...(range.from ? [range.from] : []), ...exclusions];
  const others = [...tips].filter(([id]) => id !== worker).flatMap(([, list]) => list);
  const [dag, inRange, unshared] = await Promise.all([
    readDag(cwd, [range.to], stop),
    range.from ? listCommits(cwd, [range.to], [range.from]) : null,
    others.length ? listCommits(cwd, [range.to], [...stop, ...new Set(others)]) : null,
  ]);
  if (unshared && unshared.size !== dag.size) return null;
  return {
    dag,
    judged: new Map([...dag.keys()].map((sha) => [sha, [worker]])),
    unattributed: inRange ? [...inRange].filter((sha) => !dag.has(sha)) : [],
    walk: () => ({ include: [range.to], exclude: stop }),
  };
}

/** Every worker's history, attributed (attributeCommits), then narrowed to the range and the worker. */
async function readAllHistory(
  cwd: string,
  tips: ReadonlyMap<string, readonly string[]>,
  exclusions: readonly string[],
  range: { from: string | null; to: string } | null,
  worker: string | undefined,
): Promise<HistoryRead> {
  const allTips = [...tips.values()].flat();
  const [dag, inRange] = await Promise.all([
    allTips.length ? readDag(cwd, allTips, exclusions) : new Map<string, DagCommit>(),
    range ? listCommits(cwd, [range.to], range.from ? [range.from] : exclusions) : null,
  ]);
  const owners = attributeCommits(dag, tips);
  const judged = new Map<string, string[]>();
  for (const [sha, list] of owners) {
    if (inRange && !inRange.has(sha)) continue;
    if (worker !== undefined && !list.includes(worker)) continue;
    judged.set(sha, list);
  }
  const stop = [...(range?.from ? [range.from] : []), ...exclusions];
  return {
    dag,
    judged,
    unattributed: inRange ? [...inRange].filter((sha) => !owners.has(sha)) : [],
    walk: (id) => ({ include: tips.get(id) ?? [], exclude: stop }),
  };
}
