import type { CompiledPlan } from '../../src/domain/plan/plan.js';
import type { StatusCommit } from '../../src/domain/status/summarize-worker-history.js';

/** Synthetic plans and commits for the pure status code (no git). */
export const MIN = 60_000;
export const T0 = Date.parse('2030-01-01T10:00:00Z');
export const STALL = 30 * MIN;

/** A compiled plan with these workers (30m stall limit unless given). */
export function makePlan(
  workers: { id: string; dependsOn?: string[]; stallAfterMs?: number }[],
): CompiledPlan {
  return {
    version: 1,
    name: 'demo',
    base: 'main',
    baseCommit: 'b'.repeat(40),
    target: 'main',
    repoRoot: '/repo',
    source: '/repo/plan.yaml',
    context: '',
    stallAfterMs: STALL,
    integrate: { target: 'main', verify: null, verifyMode: 'end', strategy: 'merge' },
    workers: workers.map((w) => ({
      id: w.id,
      branch: `pw/demo/${w.id}`,
      worktree: `/repo.pw/demo/${w.id}`,
      owns: [`/${w.id}/`],
      pathspecs: [`:(top,glob)${w.id}/**`],
      task: `do ${w.id}`,
      dependsOn: w.dependsOn ?? [],
      agentCommand: 'claude',
      stallAfterMs: w.stallAfterMs ?? STALL,
    })),
  };
}

let counter = 0;
/** A commit `minutes` after T0 (both dates the same, as git writes them by default). */
export function c(minutes: number, message: string, parents = 1): StatusCommit {
  const sha = (++counter).toString(16).padStart(40, '0');
  const time = T0 + minutes * MIN;
  return {
    sha,
    parents: Array.from({ length: parents }, (_, i) => `${i}`.repeat(40)),
    authorTime: time,
    commitTime: time,
    message,
  };
}
