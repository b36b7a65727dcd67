import {
  attributeWorkerCommits,
  chainsAreDisjoint,
  workerChains,
} from '../domain/history/own-commits.js';
import type { CompiledPlan } from '../domain/plan/plan.js';
import { parseCommitMessage, type ParsedMessage } from '../domain/protocol/protocol.js';
import { logFormat, parseLogRecords } from './log-records.js';
import { listRefs } from './repo.js';
import { runGit } from './run-git.js';

/** One commit on a worker's own line of history (first parents since the plan's base commit). */
export interface HistoryCommit {
  sha: string;
  parents: string[];
  /** Author time, ms since the epoch. */
  authorTime: number;
  /** Committer time, ms since the epoch. */
  commitTime: number;
  /** The full raw message. */
  message: string;
  /**
   * The message parsed without plan context (`parseCommitMessage(message)`),
   * when a reader already has it (the status cache does); parse it when absent.
   */
  parsed?: ParsedMessage;
}

const LOG_FORMAT = logFormat(['%H', '%P', '%at', '%ct', '%B']);

/** Parses `git log -z --source --format=%H%x1f%P%x1f%at%x1f%ct%x1f%S%x1f%B`. Pure. */
export function parseHistoryLog(output: string): { ref: string; commit: HistoryCommit }[] {
  return parseLogRecords(output, 6).map(([sha, parents, at, ct, ref, message]) => ({
    ref: ref!,
    commit: toCommit(sha!, parents!, at!, ct!, message!),
  }));
}

/** Parses `git log -z --format=%H%x1f%P%x1f%at%x1f%ct%x1f%B`. Pure. */
export function parseCommitLog(output: string): HistoryCommit[] {
  return parseLogRecords(output, 5).map(([sha, parents, at, ct, message]) =>
    toCommit(sha!, parents!, at!, ct!, message!),
  );
}

function toCommit(
  sha: string,
  parents: string,
  at: string,
  ct: string,
  message: string,
): HistoryCommit {
  return {
    sha,
    parents: parents ? parents.split(' ').filter(Boolean) : [],
    authorTime: Number(at) * 1000,
    commitTime: Number(ct) * 1000,
    message: message.replace(/\n$/, ''),
  };
}

/**
 * Every commit reachable from `tips` and not from `exclude`, all parents,
 * with its full message: ONE `git log`. Order is git's; callers walk parents.
 */
export async function readCommitGraph(
  cwd: string,
  tips: readonly string[],
  exclude: readonly string[],
): Promise<Map<string, HistoryCommit>> {
  const graph = new Map<string, HistoryCommit>();
  const include = [...new Set(tips)];
  if (include.length === 0) return graph;
  // log.showSignature would add gpg output to each record (git-config(1), log.showSignature).
  const { stdout } = await runGit(
    [
      '-c',
      'log.showSignature=false',
      'log',
      '-z',
      LOG_FORMAT,
      ...include,
      '--not',
      ...new Set(exclude),
      '--',
    ],
    { cwd },
  );
  for (const commit of parseCommitLog(stdout)) graph.set(commit.sha, commit);
  return graph;
}

/** The context-free parse of a commit, memoised on the commit. */
export function parsedMessage(commit: HistoryCommit): ParsedMessage {
  commit.parsed ??= parseCommitMessage(commit.message);
  return commit.parsed;
}

/**
 * Splits the graph into each worker's own commits, oldest first (see
 * attributeWorkerCommits: base commits rebased onto, and a provider's commits
 * fast-forwarded to, are not a worker's own). Workers without commits get [].
 */
export function attributeHistories(
  plan: CompiledPlan,
  graph: ReadonlyMap<string, HistoryCommit>,
  tips: ReadonlyMap<string, string>,
  baseTip: string | null,
): Map<string, HistoryCommit[]> {
  const own = attributeWorkerCommits(attributionInput(plan, graph, tips, baseTip));
  return new Map(plan.workers.map((w) => [w.id, own.get(w.id) ?? []]));
}

/** Whether no commit lies on two workers' chains (see chainsAreDisjoint). */
export function historiesAreDisjoint(
  plan: CompiledPlan,
  graph: ReadonlyMap<string, HistoryCommit>,
  tips: ReadonlyMap<string, string>,
  baseTip: string | null,
): boolean {
  return chainsAreDisjoint(workerChains(attributionInput(plan, graph, tips, baseTip)));
}

function attributionInput(
  plan: CompiledPlan,
  graph: ReadonlyMap<string, HistoryCommit>,
  tips: ReadonlyMap<string, string>,
  baseTip: string | null,
) {
  const ordered = new Map<string, string>();
  for (const worker of plan.workers) {
    const tip = tips.get(worker.id);
    if (tip) ordered.set(worker.id, tip);
  }
  return {
    graph,
    tips: ordered,
    baseTip,
    isProtocol: (commit: HistoryCommit) => parsedMessage(commit).type === 'protocol',
    needsTarget: (commit: HistoryCommit) => {
      const parsed = parsedMessage(commit);
      return parsed.type === 'protocol' && parsed.header.kind === 'NEEDS'
        ? parsed.header.worker
        : null;
    },
    dependsOn: new Map(plan.workers.map((w) => [w.id, w.dependsOn])),
  };
}

/**
 * The commits `tip` has that `exclude` lacks (all parents, git's order), and
 * the boundary: the excluded parents of those commits, e.g. the old tip a
 * branch moved on from. ONE `git log --boundary`.
 */
export async function readNewCommits(
  cwd: string,
  tip: string,
  exclude: readonly string[],
): Promise<{ commits: HistoryCommit[]; boundary: HistoryCommit[] }> {
  const { stdout } = await runGit(
    [
      '-c',
      'log.showSignature=false',
      'log',
      '-z',
      '--boundary',
      logFormat(['%m%H', '%P', '%at', '%ct', '%B']),
      tip,
      '--not',
      ...new Set(exclude),
      '--',
    ],
    { cwd },
  );
  const commits: HistoryCommit[] = [];
  const boundary: HistoryCommit[] = [];
  // %m marks each record: '-' a boundary commit, '>' (or '<') one of the walk.
  for (const [markedSha, parents, at, ct, message] of parseLogRecords(stdout, 5)) {
    const commit = toCommit(markedSha!.slice(1), parents!, at!, ct!, message!);
    (markedSha!.startsWith('-') ? boundary : commits).push(commit);
  }
  return { commits, boundary };
}

/** How many commits `include` reaches and `exclude` does not (`rev-list --count`). */
export async function countCommits(
  cwd: string,
  include: readonly string[],
  exclude: readonly string[],
): Promise<number> {
  const { stdout } = await runGit(
    ['rev-list', '--count', ...new Set(include), '--not', ...new Set(exclude), '--'],
    { cwd },
  );
  return Number(stdout.trim());
}

/**
 * Every worker's own commits, oldest first, from ONE `git log` over all worker
 * tips and the base branch (all parents, so merged-in commits are known and
 * left out). First parents only make a worker's own line: what it merged in
 * (the base, a provider's branch) is not its own history.
 */
export async function readWorkerHistories(
  cwd: string,
  plan: CompiledPlan,
  workerTips: ReadonlyMap<string, { ref: string; sha: string }>,
): Promise<Map<string, HistoryCommit[]>> {
  const baseTip = (await listRefs(cwd, `refs/heads/${plan.base}`)).get(`refs/heads/${plan.base}`);
  const tipShas = new Map([...workerTips].map(([id, tip]) => [id, tip.sha]));
  const graph = await readCommitGraph(
    cwd,
    [...tipShas.values(), ...(baseTip ? [baseTip] : [])],
    [plan.baseCommit],
  );
  return attributeHistories(plan, graph, tipShas, baseTip ?? null);
}
