import { runShellCommand, type ProcessExit } from '../../agents/process.js';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { CompiledPlan } from '../../domain/plan/plan.js';
import { listWorktreeIncludeFiles } from '../../git/repo.js';
import type { DetachedGitWatch } from '../../git/detached-git-watch.js';
import type { VerifyRunReport } from '../../render/integrate/report.js';
import { addScratchWorktree, removeScratchWorktree } from '../../git/scratch-worktree.js';
import { copyIncludedFile, exists } from '../../store/fs.js';
import { integratePaths, integrateWorktrees } from '../../store/integrate-state.js';

/** One verify run: what was verified (a worker id, `start` or `result`), its exit and saved log. */
export type VerifyRun = VerifyRunReport;

export interface VerifyContext {
  cwd: string;
  commonDir: string;
  plan: CompiledPlan;
  command: string;
  env: NodeJS.ProcessEnv;
  now: () => Date;
  /** Told about the detached git that adds the verify worktree. */
  watch: DetachedGitWatch | null;
}

/** The `.worktreeinclude` files (e.g. `.env`), copied as setup copies them for workers. */
async function copyIncludeFiles(mainWorktree: string, worktree: string): Promise<void> {
  const includeFile = join(mainWorktree, '.worktreeinclude');
  if (!(await exists(includeFile))) return;
  for (const path of await listWorktreeIncludeFiles(mainWorktree, includeFile))
    await copyIncludedFile(mainWorktree, worktree, path);
}

/** The environment minus variables that would point git at another repository or index. */
function withoutGitLocation(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const key of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_PREFIX'])
    delete out[key];
  return out;
}

/**
 * Runs `integrate.verify` on one commit, in a fresh detached worktree that is
 * removed afterwards; the output is saved under the trusted integrate dir.
 */
export async function runVerify(
  context: VerifyContext,
  commit: string,
  label: string,
): Promise<VerifyRun> {
  const worktree = integrateWorktrees(context.plan).verify;
  const logs = integratePaths(context.commonDir, context.plan.name).logs;
  const started = context.now();
  const log = join(
    logs,
    `${started.toISOString().replace(/[:.]/g, '-')}-${label}-${commit.slice(0, 12)}.log`,
  );
  await mkdir(logs, { recursive: true });
  await removeScratchWorktree(context.cwd, worktree);
  try {
    await addScratchWorktree(context.cwd, worktree, commit, context.watch);
    await copyIncludeFiles(context.plan.repoRoot, worktree);
    // Output goes straight to the log file (stdout and stderr interleaved, nothing held in memory).
    const handle = await open(log, 'w');
    let exit: ProcessExit;
    try {
      await handle.write(`$ ${context.command}\n# commit ${commit} (${label}), in ${worktree}\n`);
      exit = await runShellCommand(context.command, {
        cwd: worktree,
        env: {
          ...withoutGitLocation(context.env),
          PW_PLAN: context.plan.name,
          PW_INTEGRATE_COMMIT: commit,
          PW_INTEGRATE_STEP: label,
        },
        outputFd: handle.fd,
      });
      await handle.write(`\n# exit ${exit.code ?? exit.signal ?? 'unknown'}\n`);
    } finally {
      await handle.close();
    }
    return {
      label,
      commit,
      ok: exit.code === 0,
      exitCode: exit.code,
      log,
      durationMs: context.now().getTime() - started.getTime(),
    };
  } finally {
    await removeScratchWorktree(context.cwd, worktree);
  }
}
