import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CompiledPlan, IntegrateStrategy, VerifyMode } from '../domain/plan/plan.js';
import type { IntegrationStep } from '../domain/integrate/plan-integration.js';
import type { MergeMessage } from '../domain/integrate/merge-message.js';
import { planDir, readTextIfExists, writeFileAtomic } from './trusted-store.js';

/** Where integrate keeps its state, beside the trusted plan: `<common>/pw/<plan>/integrate/`. */
export function integratePaths(commonDir: string, plan: string) {
  const dir = join(planDir(commonDir, plan), 'integrate');
  return {
    dir,
    state: join(dir, 'state.json'),
    logs: join(dir, 'verify-logs'),
    /** One record per detached git a run started, while it runs (store/detached-git.ts). */
    running: join(dir, 'running'),
  };
}

/**
 * The worktrees integrate makes for itself, beside the worker worktrees (outside
 * the main worktree, so its test runners and watchers do not see them). The
 * leading "_" keeps them apart from worker ids, which start with a letter or digit.
 */
export function integrateWorktrees(plan: CompiledPlan): { verify: string; conflict: string } {
  const root = plan.workers.length ? dirname(plan.workers[0]!.worktree) : join(plan.repoRoot, '..');
  return { verify: join(root, '_integrate-verify'), conflict: join(root, '_integrate-conflict') };
}

/** The private ref the merged steps are recorded on (never a branch, never checked out). */
export function integrationRef(plan: string): string {
  return `refs/pw/${plan}/integration`;
}

/** Where a hand-made conflict resolution commit is kept after `--continue` used its tree. */
export function resolutionRef(plan: string, worker: string): string {
  return `refs/pw/${plan}/resolved/${worker}`;
}

/** A planned step as the state file keeps it, with what became of it. */
export interface IntegrateStepRecord extends IntegrationStep {
  /** The step's commit once merged (the previous step's, when `contained`). */
  result: string | null;
  /** An earlier step already brought this worker's work in; no commit was made. */
  contained?: boolean;
  /** Paths resolved by hand with `--continue`. */
  resolved?: string[];
}

export interface ConflictRecord {
  /** Index into `steps`. */
  step: number;
  /** The worktree pw prepared for the resolution. */
  worktree: string;
  /** The commit the conflicted step merges onto (the worktree's starting HEAD). */
  onto: string;
  /** The worktree's files as pw left them (conflict markers included): anything else is the user's work. */
  preparedTree: string | null;
  paths: string[];
  messages: MergeMessage[];
  touchedBy: { path: string; by: string[] }[];
}

export interface IntegrateState {
  version: 1;
  plan: string;
  /**
   * `conflict`: waiting for the user's resolution; `merging`: the resolution is
   * recorded and `--continue` merges the rest; `ready`: merged (and verified)
   * but not published, kept so a refused publish can be retried without redoing it.
   */
  phase: 'conflict' | 'merging' | 'ready';
  startedAt: string;
  target: string;
  /** The target's commit when the attempt started; null when the branch did not exist yet. */
  targetOld: string | null;
  /** The commit the first step merges onto. */
  start: string;
  strategy: IntegrateStrategy;
  verify: { command: string; mode: VerifyMode } | null;
  steps: IntegrateStepRecord[];
  /** Tips earlier pw squash commits on the target hold (see mergeSteps). */
  squashedTips: string[];
  skipped: { worker: string; reason: string }[];
  warnings: string[];
  conflict: ConflictRecord | null;
  /** Phase `ready`: the result and whether verify passed on it (null when verify was off). */
  result: string | null;
  verified: boolean | null;
}

export async function readIntegrateState(
  commonDir: string,
  plan: string,
): Promise<IntegrateState | null> {
  const text = await readTextIfExists(integratePaths(commonDir, plan).state);
  if (text === null) return null;
  try {
    const state = JSON.parse(text) as IntegrateState;
    return state.version === 1 ? state : null;
  } catch {
    return null;
  }
}

/** Written with a rename, so a pw killed mid-write leaves the old state or the new one. */
export async function writeIntegrateState(commonDir: string, state: IntegrateState): Promise<void> {
  await writeFileAtomic(
    integratePaths(commonDir, state.plan).state,
    `${JSON.stringify(state, null, 2)}\n`,
  );
}

export async function clearIntegrateState(commonDir: string, plan: string): Promise<void> {
  await rm(integratePaths(commonDir, plan).state, { force: true });
}
