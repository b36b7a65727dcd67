/**
 * The previous findViolations (before the range fast path and the pathspec-
 * limited scope reads), kept as it was (only its git reads may be memoized)
 * as the oracle the agreement test
 * compares the current one against: it reads every worker's whole history,
 * attributes every commit and judges each with `diff-tree --stdin`.
 * Not used by pw itself.
 */
import { attributeCommits } from '../../src/domain/history/own-commits.js';
import {
  judgeCommits,
  parseDenseCombinedPaths,
  parseRange,
  type CommitDag,
  type DagCommit,
  type Violation,
  type ViolationKind,
} from '../../src/domain/scope/violations.js';
import type { CompiledPlan } from '../../src/domain/plan/plan.js';
import { scopeExcludePathspecs } from '../../src/domain/scope/excludes.js';
import { UsageError } from '../../src/errors.js';
import { listRefs as listRefsLive, resolveCommit as resolveLive } from '../../src/git/repo.js';
import { runGit as runGitLive, splitNul } from '../../src/git/run-git.js';

/**
 * The oracle reads the whole history on every call, so an agreement test that
 * asks it about a hundred ranges of one unchanging history would spend most
 * of its time re-reading the same answers. With a memo (`remember`), each
 * distinct git read runs once; without one, every call reads afresh.
 */
let memo: Map<string, Promise<unknown>> | null = null;
export function remember(history: Map<string, Promise<unknown>> | null): void {
  memo = history;
}
function once<T>(key: unknown[], read: () => Promise<T>): Promise<T> {
  if (!memo) return read();
  const id = JSON.stringify(key);
  let answer = memo.get(id) as Promise<T> | undefined;
  if (!answer) memo.set(id, (answer = read()));
  return answer;
}
const runGit: typeof runGitLive = (args, options) =>
  once(['git', args, options], () => runGitLive(args, options));
const listRefs = (cwd: string, prefix: string) =>
  once(['refs', cwd, prefix], () => listRefsLive(cwd, prefix));
const resolveCommit = (cwd: string, name: string) =>
  once(['resolve', cwd, name], () => resolveLive(cwd, name));

/**
 * Environment for every git call that judges scopes. Pathspec variables in
 * the caller's environment would change what the compiled pathspecs mean
 * (GIT_LITERAL_PATHSPECS=1 turns every exclude into a literal name), and
 * replace refs could show git a different history than the one pushed
 * (git(1), ENVIRONMENT; git-replace(1)).
 */
const GATE_ENV: Record<string, string> = {
  GIT_LITERAL_PATHSPECS: '0',
  GIT_GLOB_PATHSPECS: '0',
  GIT_NOGLOB_PATHSPECS: '0',
  GIT_ICASE_PATHSPECS: '0',
  GIT_NO_REPLACE_OBJECTS: '1',
};

interface FindViolationsOptions {
  worker?: string;
  range?: string;
  kinds?: readonly ViolationKind[];
}

const FIELD = '\x1f';

/** Parses `git log -z --format=%H%x1f%P%x1f%B`. Pure. */
function parseDagLog(output: string): Map<string, DagCommit> {
  const dag = new Map<string, DagCommit>();
  for (const record of output.split('\0')) {
    const trimmed = record.replace(/^\n/, '');
    if (!trimmed) continue;
    const [sha = '', parents = '', ...message] = trimmed.split(FIELD);
    if (!/^[0-9a-f]{40,64}$/.test(sha)) continue;
    dag.set(sha, {
      sha,
      parents: parents.split(' ').filter(Boolean),
      message: message.join(FIELD).replace(/\n$/, ''),
    });
  }
  return dag;
}

/**
 * Splits `git diff-tree --stdin --always -z --name-only` output: each commit
 * header (in the order the commits were given) followed by its paths.
 */
function parseDiffTreeNames(output: string, commits: readonly string[]): Map<string, string[]> {
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
async function readExclusions(
  cwd: string,
  plan: CompiledPlan,
  refs: ReadonlyMap<string, string>,
): Promise<string[]> {
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
  if (await resolveCommit(cwd, plan.baseCommit)) out.add(plan.baseCommit);
  return [...out];
}

async function readDag(
  cwd: string,
  tips: readonly string[],
  exclusions: readonly string[],
): Promise<CommitDag> {
  const { stdout } = await runGit(
    [
      'log',
      '-z',
      '--no-show-signature',
      `--format=%H${FIELD}%P${FIELD}%B`,
      ...new Set(tips),
      '--not',
      ...exclusions,
      '--',
    ],
    { cwd, env: GATE_ENV },
  );
  return parseDagLog(stdout);
}

async function readRangeCommits(
  cwd: string,
  from: string | null,
  to: string,
  exclusions: readonly string[],
): Promise<Set<string>> {
  const { stdout } = await runGit(
    ['rev-list', to, '--not', ...(from ? [from] : exclusions), '--'],
    {
      cwd,
      env: GATE_ENV,
    },
  );
  return new Set(stdout.split('\n').filter(Boolean));
}

/**
 * Paths each commit changes outside a scope: its diff to its parent, for a
 * merge what differs from every parent, hunk by hunk. One `diff-tree --stdin`
 * for all commits, one more per merge that has candidates.
 */
async function readPathsOutside(
  cwd: string,
  commits: readonly DagCommit[],
  excludes: readonly string[],
): Promise<Map<string, string[]>> {
  if (commits.length === 0) return new Map();
  const shas = commits.map((c) => c.sha);
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
  for (const commit of commits) {
    const paths = outside.get(commit.sha)!;
    if (commit.parents.length < 2 || paths.length === 0) continue;
    outside.set(commit.sha, await readDenseMergePaths(cwd, commit.sha, paths));
  }
  return outside;
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

interface HistoryJudgement {
  violations: Violation[];
  /** How many own commits were judged. */
  judged: number;
  /** Commits of the range that no worker branch reaches (so nobody's, and not judged). */
  unattributed: string[];
}

/** findViolations, with what `pw check` reports besides: how much it judged and what it could not attribute. */
export async function previousJudgeHistory(
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
  const refs = new Map([
    ...(await listRefs(cwd, 'refs/heads/')),
    ...(await listRefs(cwd, 'refs/remotes/')),
  ]);
  const tips = new Map<string, string[]>();
  for (const worker of plan.workers) {
    const tip = workerTip(refs, worker.branch);
    tips.set(worker.id, tip ? [tip] : []);
  }
  const exclusions = await readExclusions(cwd, plan, refs);

  let range: { from: string | null; to: string } | null = null;
  if (options.range !== undefined) {
    const parsed = parseRange(options.range);
    if (!parsed) {
      throw new UsageError(`cannot read the range "${options.range}"`, [
        'Write it as A..B (the commits B has and A lacks), e.g. --range origin/main..HEAD.',
      ]);
    }
    const from = parsed.from === null ? null : await resolveCommit(cwd, parsed.from);
    const to = await resolveCommit(cwd, parsed.to);
    const unknown = [
      parsed.from !== null && !from ? parsed.from : null,
      to ? null : parsed.to,
    ].filter(Boolean);
    if (unknown.length) {
      throw new UsageError(`the range "${options.range}" names no commit: ${unknown.join(', ')}`, [
        'Fetch the branches first (in CI: actions/checkout with fetch-depth: 0), or fix the names.',
      ]);
    }
    range = { from, to: to! };
    if (options.worker !== undefined) tips.get(options.worker)!.push(range.to);
  }

  const inRange = range ? await readRangeCommits(cwd, range.from, range.to, exclusions) : null;
  const allTips = [...tips.values()].flat();
  const dag = allTips.length
    ? await readDag(cwd, allTips, exclusions)
    : new Map<string, DagCommit>();
  const owners = attributeCommits(dag, tips);
  const judged = new Map<string, string[]>();
  for (const [sha, list] of owners) {
    if (inRange && !inRange.has(sha)) continue;
    if (options.worker !== undefined && !list.includes(options.worker)) continue;
    judged.set(sha, list);
  }

  const outside = new Map<string, Map<string, string[]>>();
  if (kinds.includes('scope')) {
    for (const worker of plan.workers) {
      const commits = [...judged]
        .filter(([, list]) => list.includes(worker.id))
        .map(([sha]) => dag.get(sha)!);
      if (commits.length === 0) continue;
      outside.set(
        worker.id,
        await readPathsOutside(cwd, commits, scopeExcludePathspecs(worker.owns)),
      );
    }
  }
  return {
    violations: judgeCommits({ dag, owners: judged, outside, workers: plan.workers, kinds }),
    judged: judged.size,
    unattributed: inRange ? [...inRange].filter((sha) => !owners.has(sha)) : [],
  };
}
