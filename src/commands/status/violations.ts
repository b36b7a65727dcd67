import { join } from 'node:path';
import { isAncestorInGraph } from '../../domain/history/commit-graph.js';
import type { CompiledPlan } from '../../domain/plan/plan.js';
import type { StatusViolation } from '../../domain/status/plan-status.js';
import { findViolations, type Violation } from '../../git/find-violations.js';
import type { HistoryCommit } from '../../git/worker-history.js';
import { statusCacheKey } from '../../store/status-cache.js';
import { planDir, readTextIfExists, writeFileAtomic } from '../../store/trusted-store.js';

export interface ViolationsCache {
  key: string;
  workers: Record<string, { tip: string; violations: StatusViolation[] }>;
}

export interface ViolationsInput {
  cwd: string;
  commonDir: string;
  plan: CompiledPlan;
  graph: ReadonlyMap<string, HistoryCommit>;
  /** The tip each worker's history was read from. */
  tips: ReadonlyMap<string, { ref: string; sha: string }>;
  /** Refs the check judges against: base and target tips. */
  baseTip: string | null;
  targetTip: string | null;
}

/** The judgement cache as read before the history, and a whole-plan check already running. */
export interface ViolationsPrefetch {
  cached: ViolationsCache | null;
  /** findViolations over the plan, started early; null when not started. */
  all: Promise<Violation[]> | null;
}

function cachePath(commonDir: string, plan: string): string {
  return join(planDir(commonDir, plan), 'cache', 'violations.json');
}

function cacheKey(plan: CompiledPlan, baseTip: string | null, targetTip: string | null): string {
  return statusCacheKey({
    workers: plan.workers.map((w) => [w.id, w.branch, w.pathspecs]),
    baseCommit: plan.baseCommit,
    base: baseTip,
    target: targetTip,
  });
}

/**
 * Reads the judgement cache before the history is read and, when nothing in
 * it can be reused and every worker will be read from its own branch (so
 * readViolations checks the whole plan in one findViolations), starts that
 * check at once: its git reads then run while the history is read and parsed.
 */
export async function prefetchViolations(input: {
  cwd: string;
  commonDir: string;
  plan: CompiledPlan;
  baseTip: string | null;
  targetTip: string | null;
  /**
   * How many workers have a branch, when every worker's history will come
   * from its local branch (no archive or hub ref to choose from); else null.
   */
  branches: number | null;
}): Promise<ViolationsPrefetch> {
  const { plan } = input;
  const cached = await readCache(cachePath(input.commonDir, plan.name));
  const usable = cached?.key === cacheKey(plan, input.baseTip, input.targetTip);
  if (usable || input.branches === null || input.branches < 2) return { cached, all: null };
  const all = findViolations(input.cwd, plan);
  // Used only if readViolations checks the whole plan; a failure is reported there.
  all.catch(() => undefined);
  return { cached, all };
}

/** The tip each worker's cached judgement covers, when the cache is for these base and target tips. */
export async function readJudgedTips(
  commonDir: string,
  plan: CompiledPlan,
  baseTip: string | null,
  targetTip: string | null,
): Promise<Map<string, string>> {
  const cached = await readCache(cachePath(commonDir, plan.name));
  if (cached?.key !== cacheKey(plan, baseTip, targetTip)) return new Map();
  return new Map(Object.entries(cached.workers).map(([id, entry]) => [id, entry.tip]));
}

/**
 * Out-of-scope changes and protocol breaks in the workers' histories, from
 * the one check (`findViolations`, as `pw check` runs it), grouped per
 * worker, commit and kind.
 *
 * A commit is judged once: the result is kept per worker with the tip it
 * covered (cache/violations.json, keyed by the plan's scopes and the base and
 * target tips, which decide what counts as a worker's own). When a worker's
 * tip moves forward only the new commits are checked (`--range old..new`);
 * when it moved any other way, all of its commits are. A failing check is
 * reported as a warning, not a crash: status still shows the rest.
 */
export async function readViolations(
  input: ViolationsInput,
  prefetch?: ViolationsPrefetch,
): Promise<{ violations: StatusViolation[]; warnings: string[] }> {
  const { plan, graph, tips } = input;
  const path = cachePath(input.commonDir, plan.name);
  const key = cacheKey(plan, input.baseTip, input.targetTip);
  const cached = prefetch ? prefetch.cached : await readCache(path);
  const known = cached?.key === key ? cached.workers : {};
  const timeOf = (sha: string): number | null => graph.get(sha)?.commitTime ?? null;
  const result = new Map<string, StatusViolation[]>();
  const full: string[] = [];
  const warnings: string[] = [];
  const check = async (
    options: { worker?: string; range?: string },
    started?: Promise<Violation[]> | null,
  ): Promise<Violation[]> => {
    try {
      return await (started ?? findViolations(input.cwd, plan, options));
    } catch (error) {
      warnings.push(
        `the scope check failed${options.worker ? ` for ${options.worker}` : ''}, so violations may be missing: ${(error as Error).message.split('\n')[0]}`,
      );
      return [];
    }
  };

  for (const worker of plan.workers) {
    const tip = tips.get(worker.id);
    const before = known[worker.id];
    if (!tip) result.set(worker.id, []);
    else if (before?.tip === tip.sha) result.set(worker.id, before.violations);
    else if (before && graph.has(before.tip) && isAncestorInGraph(graph, before.tip, tip.sha)) {
      const fresh = await check({ worker: worker.id, range: `${before.tip}..${tip.sha}` });
      result.set(worker.id, [...before.violations, ...groupFindings(fresh, timeOf)]);
    } else full.push(worker.id);
  }
  const onBranches = full.every((id) => tips.get(id)!.ref === `refs/heads/${branchOf(plan, id)}`);
  if (full.length > 1 && onBranches) {
    const all = groupFindings(await check({}, prefetch?.all), timeOf);
    for (const id of full)
      result.set(
        id,
        all.filter((v) => v.worker === id),
      );
  } else {
    for (const id of full) {
      const tip = tips.get(id)!;
      result.set(id, groupFindings(await check({ worker: id, range: tip.sha }), timeOf));
    }
  }

  if (warnings.length === 0) {
    const next: ViolationsCache = { key, workers: {} };
    for (const [id, violations] of result) {
      const tip = tips.get(id);
      if (tip) next.workers[id] = { tip: tip.sha, violations };
    }
    await writeFileAtomic(path, JSON.stringify(next)).catch(() => undefined);
  }
  return {
    violations: plan.workers.flatMap((w) => result.get(w.id) ?? []),
    warnings,
  };
}

function branchOf(plan: CompiledPlan, id: string): string {
  return plan.workers.find((w) => w.id === id)!.branch;
}

async function readCache(path: string): Promise<ViolationsCache | null> {
  const text = await readTextIfExists(path).catch(() => null);
  if (text === null) return null;
  try {
    return JSON.parse(text) as ViolationsCache;
  } catch {
    return null;
  }
}

/** One violation per worker, commit and kind, with every path it touched. Pure. */
export function groupFindings(
  findings: readonly Violation[],
  timeOf: (sha: string) => number | null,
): StatusViolation[] {
  const grouped = new Map<string, StatusViolation>();
  for (const f of findings) {
    const key = `${f.worker}\0${f.commit}\0${f.kind}`;
    let v = grouped.get(key);
    if (!v) {
      v = {
        worker: f.worker,
        kind: f.kind,
        sha: f.commit,
        paths: [],
        message: f.kind === 'protocol' && f.header ? `${f.problem}: "${f.header}"` : f.problem,
        time: timeOf(f.commit),
      };
      grouped.set(key, v);
    }
    if (f.path && !v.paths.includes(f.path)) v.paths.push(f.path);
  }
  for (const v of grouped.values()) {
    if (v.kind === 'scope' && v.paths.length > 1)
      v.message = `${v.paths.length} paths outside the scope: ${v.paths.slice(0, 3).join(', ')}${v.paths.length > 3 ? ', ...' : ''}`;
  }
  return [...grouped.values()];
}
