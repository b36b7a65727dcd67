import { firstParentChain, type GraphCommit } from './commit-graph.js';

export interface AttributionInput<C extends GraphCommit> {
  /** Every commit since the plan's base commit reachable from the tips below. */
  graph: ReadonlyMap<string, C>;
  /** Each worker's tip, in plan order (workers without commits may be left out). */
  tips: ReadonlyMap<string, string>;
  /** The base branch's tip, or null when it is gone. */
  baseTip: string | null;
  /** Whether a commit's header follows the protocol: only a worker writes those. */
  isProtocol: (commit: C) => boolean;
  /** The worker a commit's NEEDS header names, if any. */
  needsTarget: (commit: C) => string | null;
  /** Each worker's declared dependencies. */
  dependsOn: ReadonlyMap<string, readonly string[]>;
}

/**
 * Each worker's own commits, oldest first: its first-parent chain since the
 * base commit, minus two things that are not its work.
 *
 * - Base commits it rebased onto. A run of commits at the bottom of the chain
 *   that sit on the base branch's first-parent chain and carry no protocol
 *   header came from the base. (A base fast-forwarded onto a worker's commits
 *   keeps them with the worker: those carry protocol headers.)
 * - Another worker's commits it fast-forwarded to (merging a provider's branch
 *   before its own first commit), or rebased onto. A commit on several chains
 *   goes to the provider (by dependsOn, or by a NEEDS header on the other
 *   worker's own commits), then to the worker whose tip is nearest. Where
 *   neither decides (two branches hold the same commit at the same place,
 *   e.g. a byte-identical empty COMPLETE), it is each worker's own: a
 *   worker's history is its own branch's line.
 */
export function attributeWorkerCommits<C extends GraphCommit>(
  input: AttributionInput<C>,
): Map<string, C[]> {
  const chains = workerChains(input);

  // Who provides for whom matters only when chains share commits, which is rare: computed then.
  let providers: Map<string, Set<string>> | null = null;
  // Each commit's owners: one, or several the rule cannot tell apart.
  const owner = new Map<string, { worker: string; distance: number }[]>();
  for (const [worker, chain] of chains) {
    chain.forEach((commit, distance) => {
      const claim = { worker, distance };
      const current = owner.get(commit.sha);
      if (!current) {
        owner.set(commit.sha, [claim]);
        return;
      }
      providers ??= providerClosure(input, chains);
      const verdicts = current.map((c) => compareClaims(claim, c, providers!));
      if (verdicts.every((v) => v > 0)) owner.set(commit.sha, [claim]);
      else if (verdicts.every((v) => v === 0)) current.push(claim);
    });
  }

  const own = new Map<string, C[]>();
  for (const [worker, chain] of chains) {
    own.set(
      worker,
      chain.filter((commit) => owner.get(commit.sha)?.some((c) => c.worker === worker)).reverse(),
    );
  }
  return own;
}

/**
 * Each worker's first-parent chain since the base commit, newest first, less
 * the run at its bottom that came from the base (see attributeWorkerCommits).
 */
export function workerChains<C extends GraphCommit>(
  input: Pick<AttributionInput<C>, 'graph' | 'tips' | 'baseTip' | 'isProtocol'>,
): Map<string, C[]> {
  const baseChain = new Set(firstParentChain(input.graph, input.baseTip).map((c) => c.sha));
  const chains = new Map<string, C[]>();
  for (const [worker, tip] of input.tips) {
    const chain = firstParentChain(input.graph, tip);
    while (chain.length) {
      const oldest = chain[chain.length - 1]!;
      if (!baseChain.has(oldest.sha) || input.isProtocol(oldest)) break;
      chain.pop();
    }
    chains.set(worker, chain);
  }
  return chains;
}

/**
 * True when no commit lies on two workers' chains: then every worker's own
 * commits are its whole chain, and no worker's new commits can change whose
 * another's are (nearest tip, providers) as long as they stay on its chain alone.
 */
export function chainsAreDisjoint<C extends GraphCommit>(
  chains: ReadonlyMap<string, readonly C[]>,
): boolean {
  const seen = new Set<string>();
  for (const chain of chains.values()) {
    for (const commit of chain) {
      if (seen.has(commit.sha)) return false;
      seen.add(commit.sha);
    }
  }
  return true;
}

/**
 * Which of two workers a commit on both chains belongs to: 1 for `a`, -1 for
 * `b`, 0 for both. The provider wins, then the nearer tip. Otherwise it is on
 * both branches' lines alike (two workers made a byte-identical commit, e.g. an
 * empty COMPLETE from the same base in the same second): each keeps it.
 */
function compareClaims(
  a: { worker: string; distance: number },
  b: { worker: string; distance: number },
  providers: ReadonlyMap<string, ReadonlySet<string>>,
): number {
  const aProvidesB = providers.get(b.worker)?.has(a.worker) ?? false;
  const bProvidesA = providers.get(a.worker)?.has(b.worker) ?? false;
  if (aProvidesB && !bProvidesA) return 1;
  if (bProvidesA && !aProvidesB) return -1;
  if (a.distance !== b.distance) return a.distance < b.distance ? 1 : -1;
  return 0;
}

/** Who each worker depends on, directly or not: dependsOn plus the workers its NEEDS headers name. */
function providerClosure<C extends GraphCommit>(
  input: AttributionInput<C>,
  chains: ReadonlyMap<string, readonly C[]>,
): Map<string, Set<string>> {
  const order = [...input.tips.keys()];
  // Only a commit on one chain alone says who wrote it; a shared one may name anybody.
  const seen = new Map<string, number>();
  for (const chain of chains.values())
    for (const commit of chain) seen.set(commit.sha, (seen.get(commit.sha) ?? 0) + 1);
  const direct = new Map<string, Set<string>>();
  for (const worker of order) {
    const set = new Set(input.dependsOn.get(worker) ?? []);
    for (const commit of chains.get(worker) ?? []) {
      if (seen.get(commit.sha) !== 1) continue;
      const target = input.needsTarget(commit);
      if (target !== null && target !== worker) set.add(target);
    }
    direct.set(worker, set);
  }
  const closure = new Map<string, Set<string>>();
  for (const worker of order) {
    const seen = new Set<string>();
    const stack = [...(direct.get(worker) ?? [])];
    while (stack.length) {
      const next = stack.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      stack.push(...(direct.get(next) ?? []));
    }
    closure.set(worker, seen);
  }
  return closure;
}
