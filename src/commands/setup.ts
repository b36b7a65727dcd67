import {
  chmod,
  copyFile,
  lstat,
  mkdir,
  readdir,
  readlink,
  rmdir,
  stat,
  symlink,
} from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { CommandDeps, CommandResult } from '../cli/deps.js';
import { loadConfig } from '../config/load-config.js';
import { resolvePlan } from '../config/read-plan.js';
import { BRIEF_FILE, renderBrief, renderLaunchScript } from '../domain/brief.js';
import { compilePlan } from '../domain/compile-plan.js';
import type { CompiledPlan } from '../domain/plan.js';
import {
  findCrossPlanOverlaps,
  findTrackedOverlaps,
  findUnownedFiles,
} from '../domain/plan-overlaps.js';
import {
  describeAction,
  planSetup,
  type SetupAction,
  type SetupSnapshot,
  type WorkerSnapshot,
} from '../domain/plan-setup.js';
import { formatProblem } from '../domain/validate-plan.js';
import { EnvironmentError, ExitCode, PwError, UsageError } from '../errors.js';
import { readConfig, unsetConfig, writeConfig } from '../git/config.js';
import { areWorkerHooksInstalled, installWorkerHooks } from '../git/hooks.js';
import { createBranch, deleteRef } from '../git/refs.js';
import {
  listRefs,
  listTreeFilesByPathspecs,
  listWorktreeIncludeFiles,
  listWorktrees,
  readRepoInfo,
  resolveCommit,
  type RepoInfo,
} from '../git/repo.js';
import { addWorktree, pruneWorktrees, removeWorktree } from '../git/worktree.js';
import { renderSetupReport } from '../render/setup-report.js';
import {
  appendEvent,
  listPlanNames,
  planPaths,
  readCompiledPlan,
  readTextIfExists,
  removePath,
  writeFileAtomic,
} from '../store/trusted-store.js';
import {
  addExcludeBlock,
  enableWorktreeConfig,
  isBriefExcluded,
  readRepoSnapshot,
  recordRepoSnapshot,
  removeExcludeBlock,
  restoreWorktreeConfig,
} from './repo-setup-state.js';
import { readTemplate } from './templates.js';

export interface SetupOptions {
  plan?: string;
  dryRun?: boolean;
  json?: boolean;
  tmux?: boolean;
}

export interface SetupWorkerReport {
  id: string;
  branch: string;
  worktree: string;
  brief: string;
  launch: string;
  owns: string[];
  dependsOn: string[];
  status: 'created' | 'updated' | 'unchanged';
}

export interface SetupReport {
  plan: string;
  base: string;
  baseCommit: string;
  dryRun: boolean;
  actions: string[];
  workers: SetupWorkerReport[];
  unowned: { count: number; sample: string[] };
  warnings: string[];
  tmux: { session: string; attach: string; alreadyOpen: string[] } | null;
  /** Other plans set up in this repository (commands then need --plan). */
  otherPlans: string[];
}

interface SetupContext {
  repo: RepoInfo;
  desired: CompiledPlan;
  snapshot: SetupSnapshot;
  unowned: string[];
  warnings: string[];
  includeFile: string;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Read: one snapshot of the repository, the plan and what an earlier setup left. */
async function readSetupContext(options: SetupOptions, deps: CommandDeps): Promise<SetupContext> {
  const repo = await readRepoInfo(deps.cwd);
  const config = await loadConfig(repo.mainWorktree);
  const { plan, warnings } = await resolvePlan(options.plan, deps.cwd, config);
  const worktrees = await listWorktrees(repo.mainWorktree);
  const mainBranch = worktrees[0]?.branch?.replace(/^refs\/heads\//, '') ?? null;
  const base = plan.base ?? mainBranch;
  if (!base) {
    throw new UsageError(
      `the plan has no base and the main worktree (${repo.mainWorktree}) is on a detached HEAD`,
      [
        `Add "base: <branch>" to ${plan.source}, or check out the base branch in the main worktree.`,
      ],
    );
  }
  const baseCommit = await resolveCommit(repo.mainWorktree, `refs/heads/${base}`);
  if (!baseCommit) {
    throw new UsageError(`unknown base branch "${base}" (${plan.source}: base)`, [
      'Name an existing local branch as base, or create it first (git branch <name>).',
    ]);
  }
  const desired = compilePlan(plan, { mainWorktree: repo.mainWorktree, base, baseCommit });

  const [allFiles = [], ...owned] = await listTreeFilesByPathspecs(
    repo.mainWorktree,
    baseCommit,
    [[], ...desired.workers.map((w) => w.pathspecs)],
    repo.gitDir,
  );
  const trackedByWorker = new Map(desired.workers.map((w, i) => [w.id, owned[i] ?? []]));
  const overlaps = findTrackedOverlaps(plan, trackedByWorker);
  if (overlaps.length) {
    throw new UsageError(
      `workers of plan "${plan.name}" overlap (${overlaps.length} problem${overlaps.length === 1 ? '' : 's'})`,
      [
        ...overlaps.map(formatProblem),
        'Each file belongs to exactly one worker; make the owns patterns disjoint and run setup again.',
      ],
    );
  }
  if (allFiles.some((file) => file === BRIEF_FILE)) {
    throw new UsageError(
      `the base branch tracks a file named ${BRIEF_FILE}, where setup writes each worker's brief`,
      [`Rename or move ${BRIEF_FILE} in ${base}, then run setup again.`],
    );
  }

  const recorded = await readCompiledPlan(repo.commonDir, plan.name);
  // A torn-down plan's record is history, not a claim on branch names.
  const previous = recorded?.tornDownAt ? null : recorded;
  const heads = await listRefs(repo.mainWorktree, 'refs/heads/');
  const paths = planPaths(repo.commonDir, plan.name);
  const includeFile = join(repo.mainWorktree, '.worktreeinclude');
  const includes = (await exists(includeFile))
    ? await listWorktreeIncludeFiles(repo.mainWorktree, includeFile)
    : [];
  const [briefTemplate, launchTemplate] = await Promise.all([
    readTemplate('brief.md'),
    readTemplate('launch.sh'),
  ]);

  const workers = new Map<string, WorkerSnapshot>();
  const briefs = new Map<string, { path: string; content: string }>();
  const launchers = new Map<string, { path: string; content: string }>();
  for (const worker of desired.workers) {
    const at = worktrees.find((w) => resolve(w.path) === resolve(worker.worktree));
    const checkedOut = worktrees.find((w) => w.branch === `refs/heads/${worker.branch}`);
    const registered = at !== undefined && !at.prunable;
    const briefPath = join(worker.worktree, BRIEF_FILE);
    const missingIncludes: string[] = [];
    for (const file of includes) {
      if (!registered || !(await exists(join(worker.worktree, file)))) missingIncludes.push(file);
    }
    workers.set(worker.id, {
      branchCommit: heads.get(`refs/heads/${worker.branch}`) ?? null,
      branchCheckedOutAt: checkedOut && !checkedOut.prunable ? checkedOut.path : null,
      pathExists: await exists(worker.worktree),
      worktreeAtPath: registered ? (at.branch ?? '') : null,
      configuredWorker: registered
        ? await readConfig(worker.worktree, 'pw.worker', 'worktree').catch(() => null)
        : null,
      hooksInstalled: registered
        ? await areWorkerHooksInstalled({ commonDir: repo.commonDir, plan: desired, worker })
        : false,
      briefContent: registered ? await readTextIfExists(briefPath) : null,
      launchContent: await readTextIfExists(paths.launch(worker.id)),
      missingIncludes,
    });
    briefs.set(worker.id, {
      path: briefPath,
      content: renderBrief(briefTemplate, desired, worker),
    });
    launchers.set(worker.id, {
      path: paths.launch(worker.id),
      content: renderLaunchScript(launchTemplate, desired, worker, briefPath),
    });
  }

  const desiredTrustedFiles = new Map<string, string>([
    [paths.plan, `${JSON.stringify(desired, null, 2)}\n`],
  ]);
  for (const worker of desired.workers)
    desiredTrustedFiles.set(paths.scope(worker.id), `${worker.pathspecs.join('\n')}\n`);
  const trustedFiles = new Map<string, string | null>();
  for (const path of desiredTrustedFiles.keys())
    trustedFiles.set(path, await readTextIfExists(path));

  return {
    repo,
    desired,
    unowned: findUnownedFiles(allFiles, trackedByWorker),
    warnings: [
      ...warnings.map(formatProblem),
      ...findCrossPlanOverlaps(plan, await readOtherActivePlans(repo.commonDir, plan.name)),
    ],
    includeFile,
    snapshot: {
      desired,
      previous,
      workers,
      worktreeConfigEnabled:
        (await readConfig(repo.commonDir, 'extensions.worktreeConfig', 'local')) === 'true',
      trustedFiles,
      desiredTrustedFiles,
      briefExcluded: await isBriefExcluded(repo.commonDir),
      briefs,
      launchers,
    },
  };
}

type Undo = () => Promise<void>;

/** Act: runs each action, remembering how to undo it, so a failure leaves nothing behind. */
async function executeActions(
  context: SetupContext,
  actions: readonly SetupAction[],
  deps: CommandDeps,
): Promise<void> {
  const { repo, desired } = context;
  const undo: Undo[] = [];
  const failAt = deps.env.PW_TEST_FAIL_AT;
  const workerOf = (id: string) => desired.workers.find((w) => w.id === id)!;
  let current: SetupAction | null = null;
  // Folders this run creates, so rolling back removes them too once emptied.
  const ensureParent = async (path: string): Promise<void> => {
    const created = await mkdir(dirname(path), { recursive: true });
    if (created) undo.push(() => removeEmptyTree(created));
  };
  try {
    if (await recordRepoSnapshot(repo.commonDir)) {
      undo.push(async () => removePath(join(repo.commonDir, 'pw', 'repo-config.json')));
    }
    for (const action of actions) {
      current = action;
      if (
        failAt &&
        (failAt === action.kind ||
          failAt === `${action.kind}:${'worker' in action ? action.worker : ''}`)
      ) {
        throw new Error(`injected failure at ${failAt} (PW_TEST_FAIL_AT)`);
      }
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
            const before = context.snapshot.trustedFiles.get(path) ?? null;
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
        case 'create-branch': {
          await createBranch(repo.mainWorktree, action.branch, action.commit);
          undo.push(() =>
            deleteRef(repo.mainWorktree, `refs/heads/${action.branch}`, action.commit),
          );
          break;
        }
        case 'add-worktree': {
          await ensureParent(action.path);
          await addWorktree(repo.mainWorktree, action.path, action.branch);
          undo.push(async () => {
            await removeWorktree(repo.mainWorktree, action.path, true).catch(() =>
              removePath(action.path),
            );
            await pruneWorktrees(repo.mainWorktree);
          });
          break;
        }
        case 'configure-worktree': {
          const before = {
            plan: await readConfig(action.path, 'pw.plan', 'worktree').catch(() => null),
            worker: await readConfig(action.path, 'pw.worker', 'worktree').catch(() => null),
          };
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
            }),
          );
          break;
        }
        case 'copy-includes': {
          for (const file of action.files) {
            const target = resolve(action.path, file);
            if (!target.startsWith(resolve(action.path) + sep)) continue;
            await ensureParent(target);
            await copyInto(join(repo.mainWorktree, file), target);
            undo.push(() => removePath(target));
          }
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
  } catch (error) {
    const failures: string[] = [];
    for (const step of undo.reverse()) {
      await step().catch((undoError: unknown) => failures.push((undoError as Error).message));
    }
    const where = current ? describeAction(current) : 'preparing';
    const reason = error instanceof PwError ? error.message : (error as Error).message;
    throw new PwError(
      `setup failed at "${where}": ${reason.split('\n')[0]}`,
      error instanceof EnvironmentError ? ExitCode.environment : ExitCode.failed,
      [
        failures.length
          ? `Rolling back left ${failures.length} problem${failures.length === 1 ? '' : 's'}: ${failures.join('; ')}`
          : `Everything this run had done was undone (${undo.length} step${undo.length === 1 ? '' : 's'}); the repository is as it was.`,
        'Fix the cause above and run pw setup again.',
      ],
    );
  }
}

async function readOtherActivePlans(commonDir: string, name: string): Promise<CompiledPlan[]> {
  const others: CompiledPlan[] = [];
  for (const other of await listPlanNames(commonDir)) {
    if (other === name) continue;
    const plan = await readCompiledPlan(commonDir, other);
    if (plan && !plan.tornDownAt) others.push(plan);
  }
  return others;
}

/** Removes a folder tree that holds no files (only empty folders); leaves it alone otherwise. */
async function removeEmptyTree(dir: string): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries)
    if (entry.isDirectory()) await removeEmptyTree(join(dir, entry.name));
  await rmdir(dir).catch(() => undefined);
}

/** Copies one file (or recreates one symlink) into a worktree, keeping its mode. */
async function copyInto(source: string, target: string): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const info = await lstat(source);
  if (info.isSymbolicLink()) await symlink(await readlink(source), target);
  else {
    await copyFile(source, target);
    await chmod(target, (await stat(source)).mode & 0o777);
  }
}

async function openTmux(
  context: SetupContext,
  deps: CommandDeps,
): Promise<{ session: string; attach: string; alreadyOpen: string[] }> {
  // Loaded here only: execa costs every process that imports it about 100 ms (bench/deps.mjs).
  const { execa } = await import('execa');
  const which = await execa('tmux', ['-V'], { reject: false });
  if (which.failed) {
    throw new EnvironmentError('--tmux needs tmux, which is not installed or not on PATH', [
      'Install tmux, or open the workers with the commands setup printed.',
    ]);
  }
  const session = `pw-${context.desired.name}`;
  const paths = planPaths(context.repo.commonDir, context.desired.name);
  const inside = Boolean(deps.env.TMUX);
  const hasSession = !(await execa('tmux', ['has-session', '-t', `=${session}`], { reject: false }))
    .failed;
  // In the user's own session, names carry the plan so they cannot be taken for other windows.
  const windowName = (id: string) => (inside ? `${context.desired.name}/${id}` : id);
  const listed =
    inside || hasSession
      ? await execa(
          'tmux',
          ['list-windows', ...(inside ? [] : ['-t', `=${session}`]), '-F', '#{window_name}'],
          {
            reject: false,
          },
        )
      : null;
  const open = new Set(listed && !listed.failed ? String(listed.stdout).split('\n') : []);
  const alreadyOpen: string[] = [];
  let sessionMade = hasSession;
  for (const worker of context.desired.workers) {
    // A second setup --tmux must not start a second agent in the same worktree.
    if (open.has(windowName(worker.id))) {
      alreadyOpen.push(worker.id);
      continue;
    }
    const launch = paths.launch(worker.id);
    if (!inside && !sessionMade) {
      await execa('tmux', [
        'new-session',
        '-d',
        '-s',
        session,
        '-n',
        worker.id,
        '-c',
        worker.worktree,
        launch,
      ]);
      sessionMade = true;
    } else {
      const target = inside ? [] : ['-t', `=${session}:`];
      await execa('tmux', [
        'new-window',
        ...target,
        '-n',
        windowName(worker.id),
        '-c',
        worker.worktree,
        launch,
      ]);
    }
  }
  return {
    session,
    attach: inside ? 'the windows are in this tmux session' : `tmux attach -t ${session}`,
    alreadyOpen,
  };
}

export async function runSetup(options: SetupOptions, deps: CommandDeps): Promise<CommandResult> {
  const context = await readSetupContext(options, deps);
  const decision = planSetup(context.snapshot);
  if (decision.conflicts.length) {
    throw new UsageError(
      `cannot set up plan "${context.desired.name}": ${decision.conflicts.length} thing${decision.conflicts.length === 1 ? '' : 's'} in the way`,
      decision.conflicts,
    );
  }
  const dryRun = Boolean(options.dryRun);
  if (!dryRun && decision.actions.length) {
    await executeActions(context, decision.actions, deps);
    await appendEvent(context.repo.commonDir, {
      time: deps.now().toISOString(),
      type: 'setup',
      plan: context.desired.name,
      workers: context.desired.workers.map((w) => w.id),
      created: [
        ...new Set(
          decision.actions
            .filter((a) => a.kind === 'add-worktree')
            .map((a) => (a as { worker: string }).worker),
        ),
      ],
    });
  }
  const paths = planPaths(context.repo.commonDir, context.desired.name);
  const touched = new Set(decision.actions.flatMap((a) => ('worker' in a ? [a.worker] : [])));
  const created = new Set(
    decision.actions
      .filter((a) => a.kind === 'add-worktree')
      .map((a) => (a as { worker: string }).worker),
  );
  const report: SetupReport = {
    plan: context.desired.name,
    base: context.desired.base,
    baseCommit: context.desired.baseCommit,
    dryRun,
    actions: decision.actions.map(describeAction),
    workers: context.desired.workers.map((worker) => ({
      id: worker.id,
      branch: worker.branch,
      worktree: worker.worktree,
      brief: join(worker.worktree, BRIEF_FILE),
      launch: paths.launch(worker.id),
      owns: worker.owns,
      dependsOn: worker.dependsOn,
      status: created.has(worker.id) ? 'created' : touched.has(worker.id) ? 'updated' : 'unchanged',
    })),
    unowned: { count: context.unowned.length, sample: context.unowned.slice(0, 8) },
    warnings: context.warnings,
    tmux: null,
    otherPlans: (await readOtherActivePlans(context.repo.commonDir, context.desired.name)).map(
      (plan) => plan.name,
    ),
  };
  if (options.tmux && !dryRun) report.tmux = await openTmux(context, deps);
  for (const warning of context.warnings) deps.stderr(`pw: warning: ${warning}\n`);
  if (options.json) deps.stdout(`${JSON.stringify(report, null, 2)}\n`);
  else
    deps.stdout(
      renderSetupReport(report, {
        cwd:
          relative(deps.cwd, context.repo.mainWorktree) === ''
            ? context.repo.mainWorktree
            : deps.cwd,
      }),
    );
  return { exitCode: 0 };
}
