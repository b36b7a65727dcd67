import { realpathSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { describeAction, type SetupAction } from '../../domain/setup/plan-setup.js';
import { EnvironmentError, ExitCode, GitError, PwError } from '../../errors.js';
import {
  appendWorktreeConfig,
  readConfig,
  readScopedConfig,
  unsetConfig,
  writeConfig,
  type ConfigLayers,
} from '../../git/config.js';
import { installPushHooks, installWorkerHooks } from '../../git/hooks/index.js';
import { createBranches, deleteBranchesAt } from '../../git/ref-transaction.js';
import { listWorktrees } from '../../git/repo.js';
import { addWorktree, pruneWorktrees, removeWorktree } from '../../git/worktree.js';
import {
  readTextIfExists,
  removeEmptyPwRoot,
  removePath,
  writeFileAtomic,
} from '../../store/trusted-store.js';
import {
  addExcludeBlock,
  enableWorktreeConfig,
  readRepoSnapshot,
  recordRepoSnapshot,
  removeExcludeBlock,
  restoreWorktreeConfig,
} from './repo-setup-state.js';

import { GIT_LANES } from '../../limit.js';
import { copyIncludedFile, exists, makeDirectory, removeEmptyTree } from '../../store/fs.js';
import type { BeforeAction } from './fault-injection.js';
import type { SetupContext } from './snapshot.js';
import { hubRecordPath, pushPaths, writeHubRecord, writePushConf } from '../../store/hub-record.js';

type Undo = () => Promise<void>;

const WORKTREE_KEYS = ['pw.plan', 'pw.worker', 'core.hooksPath'];

/**
 * Whether git lists `planned` at `listed`: git prints a worktree's real path,
 * so a planned path under a symlinked folder is compared through its parent's
 * real path (the parent exists: setup made it before the add).
 */
function isAt(listed: string, planned: string): boolean {
  if (listed === planned) return true;
  try {
    return listed === join(realpathSync(dirname(planned)), basename(planned));
  } catch {
    return false;
  }
}

type AddWorktree = Extract<SetupAction, { kind: 'add-worktree' }>;

/** Act: runs each action, remembering how to undo it, so a failure leaves nothing behind. */
export async function executeActions(
  context: SetupContext,
  actions: readonly SetupAction[],
  /** Called before each action; a throw there is treated like the action failing. */
  beforeAction: BeforeAction = () => {},
  /** Whether SIGINT or SIGTERM came: setup then stops before its next step and rolls back. */
  interrupted: () => boolean = () => false,
): Promise<void> {
  const { repo, desired } = context;
  const undo: Undo[] = [];
  const workerOf = (id: string) => desired.workers.find((w) => w.id === id)!;
  let current: SetupAction | null = null;
  // The main worktree's hooks are shared: the first worker's install puts them in place.
  let mainHooksInstalled = false;
  // core.hooksPath of each worktree as configure-worktree read it, so install-hooks need not.
  const hookLayers = new Map<string, ConfigLayers>();
  // Folders this run creates, so rolling back removes them too once emptied.
  const ensureParent = async (path: string): Promise<void> => {
    const created = await makeDirectory(dirname(path));
    if (created) undo.push(() => removeEmptyTree(created));
  };
  /**
   * `git worktree add` reads the admin folder of every worktree there is, and
   * one that an add beside it is writing can be caught half-written (git
   * 2.39: "failed to read .git/worktrees/<id>/commondir"). An add that failed
   * beside others and left nothing behind (no folder, nothing registered) is
   * tried once more, alone; what it says then is what counts.
   */
  const retryAlone = async (
    started: readonly { action: AddWorktree }[],
    outcomes: ({ ok: true } | { ok: false; error: unknown })[],
  ): Promise<void> => {
    if (outcomes.every((outcome) => outcome.ok)) return;
    // Never throws: the adds that worked get their undo steps after this.
    const listed = await listWorktrees(repo.mainWorktree).catch(() => null);
    if (listed === null) return;
    for (const [i, outcome] of outcomes.entries()) {
      const { action } = started[i]!;
      // Only an add git itself refused (an exit code): not one a signal ended, nor after a stop.
      if (outcome.ok || !(outcome.error instanceof GitError) || interrupted()) continue;
      if (listed.some((w) => isAt(w.path, action.path)) || (await exists(action.path))) continue;
      outcomes[i] = await addWorktree(repo.mainWorktree, action.path, action.branch).then(
        () => ({ ok: true }) as const,
        (error: unknown) => ({ ok: false, error }) as const,
      );
    }
  };
  /**
   * Adds a batch of worktrees side by side. Each one started is awaited and,
   * once added, undone by a rollback; the first failure (or a stop before an
   * add starts) is thrown once every started add has ended.
   */
  const addWorktrees = async (batch: readonly AddWorktree[]): Promise<void> => {
    type Added = { ok: true } | { ok: false; error: unknown };
    const started: { action: AddWorktree; added: Promise<Added> }[] = [];
    let stop: { action: SetupAction; error: unknown } | null = null;
    for (const action of batch) {
      try {
        await beforeAction(action);
        if (interrupted()) throw new Error('interrupted (SIGINT or SIGTERM)');
        await ensureParent(action.path);
      } catch (error) {
        stop = { action, error };
        break;
      }
      // Settled at once: an add that fails while the next one is prepared is no unhandled rejection.
      const added = addWorktree(repo.mainWorktree, action.path, action.branch).then(
        (): Added => ({ ok: true }),
        (error: unknown): Added => ({ ok: false, error }),
      );
      started.push({ action, added });
    }
    const outcomes = await Promise.all(started.map((s) => s.added));
    if (started.length > 1) await retryAlone(started, outcomes);
    for (const [i, outcome] of outcomes.entries()) {
      const { action } = started[i]!;
      if (outcome.ok) {
        undo.push(async () => {
          await removeWorktree(repo.mainWorktree, action.path, true).catch(() =>
            removePath(action.path),
          );
          await pruneWorktrees(repo.mainWorktree);
        });
        continue;
      }
      stop ??= { action, error: outcome.error };
      // A failed add can still have registered and checked out the worktree (a post-checkout
      // hook that failed, say): removed if git lists it there, on this run's branch.
      undo.push(async () => {
        const registered = (await listWorktrees(repo.mainWorktree)).some(
          (w) => w.branch === `refs/heads/${action.branch}` && isAt(w.path, action.path),
        );
        if (!registered) return;
        await removeWorktree(repo.mainWorktree, action.path, true);
        await pruneWorktrees(repo.mainWorktree);
      });
    }
    if (stop) {
      current = stop.action;
      throw stop.error;
    }
  };
  try {
    if (await recordRepoSnapshot(repo.commonDir)) {
      undo.push(async () => removePath(join(repo.commonDir, 'pw', 'repo-config.json')));
    }
    for (let index = 0; index < actions.length; index++) {
      const action = actions[index]!;
      if (action.kind === 'add-worktree') {
        // Checking worktrees out is most of setup's time, and mostly the file system's:
        // a few side by side (git names each worktree's admin folder with an exclusive mkdir).
        const batch: AddWorktree[] = [];
        for (let next = index; batch.length < GIT_LANES; next++) {
          const candidate = actions[next];
          if (candidate?.kind !== 'add-worktree') break;
          if (batch.length > 0 && beforeAction.targets?.(candidate)) break;
          batch.push(candidate);
        }
        index += batch.length - 1;
        await addWorktrees(batch);
        continue;
      }
      current = action;
      await beforeAction(action);
      if (interrupted()) throw new Error('interrupted (SIGINT or SIGTERM)');
      switch (action.kind) {
        case 'enable-worktree-config': {
          const before = await readConfig(repo.commonDir, 'extensions.worktreeConfig', 'local');
          await enableWorktreeConfig(repo.commonDir);
          undo.push(() =>
            restoreWorktreeConfig(repo.commonDir, {
              worktreeConfig: before,
              excludeExisted: true,
              excludeAddedNewline: false,
            }),
          );
          break;
        }
        case 'write-trusted': {
          for (const path of action.files) {
            await ensureParent(path);
            // What is there now, not what the snapshot saw: the rollback puts back only what this run replaced.
            const before = await readTextIfExists(path);
            await writeFileAtomic(path, context.snapshot.desiredTrustedFiles.get(path)!);
            undo.push(async () =>
              before === null ? removePath(path) : writeFileAtomic(path, before),
            );
          }
          break;
        }
        case 'exclude-brief': {
          await ensureParent(join(repo.commonDir, 'info', 'exclude'));
          await addExcludeBlock(repo.commonDir);
          undo.push(async () =>
            removeExcludeBlock(repo.commonDir, await readRepoSnapshot(repo.commonDir)),
          );
          break;
        }
        case 'create-branches': {
          // One ref transaction: all the branches or none (an all-zero old value refuses to
          // overwrite a branch that exists, git-update-ref(1)).
          await createBranches(repo.mainWorktree, action.branches, 'pw setup');
          undo.push(() => deleteBranchesAt(repo.mainWorktree, action.branches, 'pw setup: undo'));
          break;
        }
        case 'configure-worktree': {
          // One git reads pw.* and core.hooksPath at every scope; install-hooks reuses the latter.
          const config = await readScopedConfig(action.path, WORKTREE_KEYS).catch(() => null);
          if (config) hookLayers.set(action.worker, config.layers('core.hooksPath'));
          const before = {
            plan: config?.layers('pw.plan').at('worktree') ?? null,
            worker: config?.layers('pw.worker').at('worktree') ?? null,
          };
          if (config && before.plan === null && before.worker === null) {
            // Neither is set in the worktree's own config (a new worktree): appended to its
            // config.worktree without a git process; undone by putting the file back.
            undo.push(
              await appendWorktreeConfig(action.path, [
                ['pw.plan', desired.name],
                ['pw.worker', action.worker],
              ]),
            );
            break;
          }
          await writeConfig(action.path, 'pw.plan', desired.name, 'worktree');
          await writeConfig(action.path, 'pw.worker', action.worker, 'worktree');
          undo.push(async () => {
            for (const [key, value] of [
              ['pw.plan', before.plan],
              ['pw.worker', before.worker],
            ] as const) {
              if (value === null)
                await unsetConfig(action.path, key, 'worktree').catch(() => undefined);
              else await writeConfig(action.path, key, value, 'worktree').catch(() => undefined);
            }
          });
          break;
        }
        case 'install-hooks': {
          undo.push(
            await installWorkerHooks({
              commonDir: repo.commonDir,
              plan: desired,
              worker: workerOf(action.worker),
              withMain: !mainHooksInstalled,
              layers: hookLayers.get(action.worker),
            }),
          );
          mainHooksInstalled = true;
          break;
        }
        case 'copy-includes': {
          for (const file of action.files) {
            const target = resolve(action.path, file);
            if (!target.startsWith(resolve(action.path) + sep)) continue;
            await ensureParent(target);
            await copyIncludedFile(repo.mainWorktree, action.path, file);
            undo.push(() => removePath(target));
          }
          break;
        }
        case 'track-hub': {
          undo.push(await trackHub(context, action));
          break;
        }
        case 'write-brief':
        case 'write-launch': {
          const before = await readTextIfExists(action.path);
          await writeFileAtomic(
            action.path,
            action.content,
            action.kind === 'write-launch' ? 0o755 : 0o644,
          );
          if (action.kind === 'write-launch') await chmod(action.path, 0o755);
          undo.push(async () =>
            before === null ? removePath(action.path) : writeFileAtomic(action.path, before),
          );
          break;
        }
      }
    }
    current = null;
    if (interrupted()) throw new Error('interrupted (SIGINT or SIGTERM)');
  } catch (error) {
    // A Ctrl-C reaches the git pw is running too: let pw's own handler see the signal first,
    // so an interrupted setup ends as one (exit 1), not as a git that failed.
    await new Promise((resolve) => setImmediate(resolve));
    const stopped = interrupted();
    // A worktree git lists whose folder is gone makes git refuse to add one there: read from
    // git's list (whatever language git's own message is in) before the rollback, which has
    // git forget such a registration of a failed add.
    const workerPaths = new Set(desired.workers.map((w) => w.worktree));
    const listStaleWorktrees = async (): Promise<string[]> =>
      (await listWorktrees(repo.mainWorktree).catch(() => []))
        .filter((w) => w.prunable && workerPaths.has(w.path))
        .map((w) => w.path);
    const staleWorktrees = stopped ? [] : await listStaleWorktrees();
    const failures: string[] = [];
    for (const step of undo.reverse()) {
      await step().catch((undoError: unknown) => failures.push((undoError as Error).message));
    }
    await removeEmptyPwRoot(repo.commonDir);
    const where = current ? describeAction(current) : stopped ? 'its last step' : 'preparing';
    const stale = staleWorktrees.length > 0 ? await listStaleWorktrees() : [];
    const reason = error instanceof PwError ? error.message : (error as Error).message;
    throw new PwError(
      stopped
        ? `setup interrupted (SIGINT or SIGTERM) at "${where}"`
        : `setup failed at "${where}": ${reason.split('\n')[0]}`,
      error instanceof EnvironmentError && !stopped ? ExitCode.environment : ExitCode.failed,
      [
        failures.length
          ? `Rolling back left ${failures.length} problem${failures.length === 1 ? '' : 's'}: ${failures.join('; ')}`
          : `Everything this run had done was undone (${undo.length} step${undo.length === 1 ? '' : 's'}); the repository is as it was.`,
        ...(staleWorktrees.length
          ? [
              stale.length
                ? `A worktree folder was deleted, and git still lists it (${stale.join(', ')}): git worktree prune forgets it (its branch and commits stay).`
                : `A worktree folder was deleted, and git still listed it (${staleWorktrees.join(', ')}): git forgets it now (its branch and commits stay).`,
            ]
          : []),
        stopped
          ? 'Run pw setup again to set the plan up.'
          : 'Fix the cause above and run pw setup again.',
      ],
    );
  }
}

/**
 * pw join: the worker branch tracks the hub's (`branch.<name>.remote` and
 * `.merge`, as `git push -u` would set them), the hub is recorded as `pw.hub`
 * when none is, and the post-commit hook pushes every commit there. Returns
 * the undo, which puts each value back as it was.
 */
async function trackHub(
  context: SetupContext,
  action: Extract<SetupAction, { kind: 'track-hub' }>,
): Promise<Undo> {
  const { repo, desired } = context;
  const cwd = repo.mainWorktree;
  const keys = [
    [`branch.${action.branch}.remote`, action.hub],
    [`branch.${action.branch}.merge`, `refs/heads/${action.branch}`],
  ] as const;
  const hubBefore = await readConfig(cwd, 'pw.hub', 'local');
  const before = await Promise.all(keys.map(([key]) => readConfig(cwd, key, 'local')));
  let hooksUndo: Undo | null = null;
  const undo: Undo = async () => {
    await hooksUndo?.().catch(() => undefined);
    for (const [i, [key]] of keys.entries()) {
      const value = before[i] ?? null;
      if (value === null) await unsetConfig(cwd, key, 'local').catch(() => undefined);
      else await writeConfig(cwd, key, value, 'local').catch(() => undefined);
    }
    if (hubBefore === null) await unsetConfig(cwd, 'pw.hub', 'local').catch(() => undefined);
    await removePath(pushPaths(repo.commonDir, desired.name, action.worker).conf);
    await removePath(hubRecordPath(repo.commonDir, desired.name));
  };
  try {
    for (const [key, value] of keys) await writeConfig(cwd, key, value, 'local');
    if (hubBefore === null) await writeConfig(cwd, 'pw.hub', action.hub, 'local');
    await writeHubRecord(repo.commonDir, desired.name, {
      hub: action.hub,
      role: 'joined',
      worker: action.worker,
      setHubConfig: hubBefore === null,
    });
    await writePushConf(repo.commonDir, desired.name, action.worker, {
      hub: action.hub,
      branch: action.branch,
      from: cwd,
    });
    // Its post-commit and post-merge hooks push: a worker that pushes has them.
    const worker = desired.workers.find((w) => w.id === action.worker);
    if (worker)
      hooksUndo = await installPushHooks({ commonDir: repo.commonDir, plan: desired, worker });
  } catch (error) {
    await undo();
    throw error;
  }
  return undo;
}
