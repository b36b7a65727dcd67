import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CommandDeps, CommandResult } from '../cli/deps.js';
import { ownersOfPaths } from '../domain/scope/ownership.js';
import type { CompiledPlan, CompiledWorker } from '../domain/plan/plan.js';
import { parseCommitMessage, stripMessage } from '../domain/protocol/protocol.js';
import { scopeExcludePathspecs } from '../domain/scope/excludes.js';
import type { Violation } from '../domain/scope/violations.js';
import { isFile } from '../store/fs.js';
import { UsageError } from '../errors.js';
import { findViolations } from '../git/find-violations.js';
import { ZERO_SHA } from '../git/refs.js';
import { resolveCommit } from '../git/repo.js';
import {
  readMessageCleanup,
  readHookRepo,
  readMergeHeads,
  isCommitOfIndex,
  readStagedPathsOutside,
  writeStagedMerge,
  type HookRepo,
} from '../git/staged-changes.js';
import {
  renderMessageRefusal,
  renderPushRefusal,
  renderForeignBranchRefusal,
  renderRefUpdateRefusal,
  renderStagedRefusal,
  type PathOwner,
  type WorkerScope,
} from '../render/hooks/messages.js';
import { renderTrustHookRefusal } from '../render/check/trust.js';
import { appendEvent } from '../store/trusted-store.js';
import { recordEventsMark } from '../git/trust-refs.js';
import { readTrustState } from './trust.js';

/**
 * `pw explain <hook> -- <plan> <worker> [hook arguments...]`: what the sh
 * hooks call once their fast check found something. It judges precisely,
 * prints what to do, appends one event per refusal and exits 1; or exits 0
 * when the change is fine after all (a merge of the base, a git merge
 * message, ...). Hidden: only the hooks call it.
 */
export interface ExplainOptions {
  hook: string;
  args: string[];
}

interface HookContext {
  repo: HookRepo;
  deps: CommandDeps;
  hook: string;
  /** The worker whose hook runs ('' in the main worktree and a hub). */
  worker: string;
  /** The plans loaded whose trusted copy setup recorded (whose events log pw marks). */
  recorded: Set<string>;
}

const REFUSED: CommandResult = { exitCode: 1 };
const PASSED: CommandResult = { exitCode: 0 };

/** Thrown by loadPlan: the trusted copies were edited, so the hook refuses whatever it checks. */
class TrustRefused extends Error {}

/**
 * The plan as setup recorded it, never a plan.json edited since: when the
 * trusted copies differ from that record, the hook refuses (TrustRefused).
 */
async function loadPlan(context: HookContext, name: string): Promise<CompiledPlan | null> {
  const { plan, recorded, problems } = name
    ? await readTrustState(context.deps.cwd, context.repo.commonDir, name)
    : { plan: null, recorded: false, problems: [] };
  if (recorded) context.recorded.add(name);
  if (problems.length) {
    context.deps.stderr(renderTrustHookRefusal(context.hook, name, problems));
    await appendEvent(context.repo.commonDir, {
      time: context.deps.now().toISOString(),
      type: 'hook-rejected',
      plan: name,
      hook: context.hook,
      worker: context.worker,
      kind: 'trust',
      files: problems.map((p) => p.file),
      message: `trusted files edited: ${problems.map((p) => p.file).join(', ')}`,
    }).catch(() => undefined);
    throw new TrustRefused();
  }
  if (!plan || plan.tornDownAt) {
    context.deps.stderr(
      `pw: the ${context.hook} hook belongs to plan "${name}", which is not set up any more; it checks nothing.\n` +
        '  Remove the left-over hooks with: pw hooks uninstall\n',
    );
    return null;
  }
  return plan;
}

function findWorker(plan: CompiledPlan, id: string): CompiledWorker {
  const worker = plan.workers.find((w) => w.id === id);
  if (!worker) {
    throw new UsageError(
      `the pw hooks name worker "${id}", which plan "${plan.name}" does not have`,
      [`Reinstall them: pw hooks install --plan ${plan.name}`],
    );
  }
  return worker;
}

function scopeOf(plan: CompiledPlan, worker: CompiledWorker): WorkerScope {
  return { plan: plan.name, worker: worker.id, owns: worker.owns };
}

function ownersOf(plan: CompiledPlan, paths: readonly string[]): PathOwner[] {
  return ownersOfPaths(paths, plan.workers);
}

async function logRefusal(
  context: HookContext,
  plan: CompiledPlan,
  fields: Record<string, unknown> & { worker: string; kind: string },
): Promise<void> {
  await appendEvent(context.repo.commonDir, {
    time: context.deps.now().toISOString(),
    type: 'hook-rejected',
    plan: plan.name,
    hook: context.hook,
    ...fields,
  });
  // The log passed the trust check when the plan was loaded: this much of it must stay.
  if (context.recorded.has(plan.name))
    await recordEventsMark(context.deps.cwd, context.repo.commonDir, plan.name).catch(
      () => undefined,
    );
}

/**
 * pre-commit and pre-merge-commit: the staged paths, judged as the commit they
 * would make. pw installs neither any more (the reference-transaction hook
 * judges the commit); hooks written by an older pw still call this.
 */
async function explainStaged(
  context: HookContext,
  plan: CompiledPlan,
  worker: CompiledWorker,
): Promise<CommandResult> {
  const { cwd, env } = context.deps;
  const mergeHeads = await readMergeHeads(context.repo.gitDir, env);
  const head = await resolveCommit(cwd, 'HEAD');
  let paths: string[];
  if (mergeHeads.length) {
    // A merge: only what differs from every parent is the worker's own change.
    const merge = await writeStagedMerge(cwd, [...(head ? [head] : []), ...mergeHeads]);
    const violations = await findViolations(cwd, plan, {
      worker: worker.id,
      range: head ? `${head}..${merge}` : merge,
      kinds: ['scope'],
    });
    paths = [...new Set(violations.map((v) => v.path!))];
  } else {
    paths = await readStagedPathsOutside(cwd, scopeExcludePathspecs(worker.owns), head);
  }
  if (paths.length === 0) return PASSED;
  return refuseStaged(context, plan, worker, paths);
}

/** Refuses a commit of staged paths outside the scope, naming each with its owner. */
async function refuseStaged(
  context: HookContext,
  plan: CompiledPlan,
  worker: CompiledWorker,
  paths: readonly string[],
  ref?: string,
  options: { commitAll?: boolean; stillStaged?: readonly string[] } = {},
): Promise<CommandResult> {
  const owned = ownersOf(plan, paths);
  context.deps.stderr(renderStagedRefusal(scopeOf(plan, worker), owned, ref, options));
  await logRefusal(context, plan, {
    worker: worker.id,
    kind: 'scope',
    // After `commit -a`, only what was staged before it stays staged.
    ...(ref
      ? { ref, staged: options.commitAll ? (options.stillStaged?.length ?? 0) > 0 : true }
      : {}),
    paths: owned,
    message: `staged ${owned.map((p) => `${p.path} (${p.owner ?? 'nobody'})`).join(', ')}`,
  });
  return REFUSED;
}

/** commit-msg: the message as git will store it (comments and scissors removed). */
async function explainMessage(
  context: HookContext,
  plan: CompiledPlan,
  worker: CompiledWorker,
  file: string | undefined,
): Promise<CommandResult> {
  if (!file)
    throw new UsageError('pw explain commit-msg needs the message file git passed the hook');
  const raw = await readFile(resolve(context.deps.cwd, file), 'utf8');
  const { commentChar } = await readMessageCleanup(context.deps.cwd, context.deps.env, raw);
  const message = stripMessage(raw, commentChar);
  const parsed = parseCommitMessage(message, {
    workers: plan.workers.map((w) => w.id),
    self: worker.id,
  });
  if (parsed.type !== 'invalid') return PASSED;
  context.deps.stderr(renderMessageRefusal(scopeOf(plan, worker), parsed));
  await logRefusal(context, plan, {
    worker: worker.id,
    kind: 'protocol',
    header: parsed.header,
    problem: parsed.problem,
    message: parsed.header,
  });
  return REFUSED;
}

/**
 * The commits a ref update or push brings: `old..new`; when old is not given
 * (update-ref without it) or not here (a remote's tip never fetched), what
 * `ref` holds here now, if `ref` is a local ref; else all of new's own.
 */
async function updateRange(
  cwd: string,
  ref: string | null,
  old: string,
  next: string,
): Promise<string> {
  let from = old !== ZERO_SHA ? await resolveCommit(cwd, old) : null;
  if (!from && ref !== null) from = await resolveCommit(cwd, ref);
  return from ? `${from}..${next}` : next;
}

/** reference-transaction (prepared): the worker branch would move to `next`. */
async function explainRefUpdate(
  context: HookContext,
  plan: CompiledPlan,
  worker: CompiledWorker,
  args: readonly string[],
): Promise<CommandResult> {
  const [ref = '', old = ZERO_SHA, next = '', actingPlan = '', actingWorker = ''] = args;
  if (!next) throw new UsageError('pw explain reference-transaction needs <ref> <old> <new>');
  if (actingWorker && (actingPlan !== plan.name || actingWorker !== worker.id)) {
    context.deps.stderr(
      renderForeignBranchRefusal(
        { plan: actingPlan, worker: actingWorker },
        scopeOf(plan, worker),
        ref,
      ),
    );
    await logRefusal(context, plan, {
      worker: actingWorker,
      kind: 'foreign-branch',
      ref,
      message: `worker ${actingWorker} tried to move ${ref}`,
    });
    return REFUSED;
  }
  // `git commit` in the worker's own worktree (what a pre-commit hook would
  // see; on an unborn branch, against nothing): the paths are still staged, so
  // say which and how to unstage them.
  const parent = old === ZERO_SHA ? null : old;
  if (actingWorker === worker.id && (await isCommitOfIndex(context.deps.cwd, next, parent))) {
    const staged = await readStagedPathsOutside(
      context.deps.cwd,
      scopeExcludePathspecs(worker.owns),
      parent,
    );
    return staged.length ? refuseStaged(context, plan, worker, staged, ref) : PASSED;
  }
  // `git commit -a`: git commits the index it is writing (index.lock) and drops it when the
  // update is refused, so the paths are not staged afterwards: said so, not "still staged".
  const lock = join(context.repo.gitDir, 'index.lock');
  const commitAll =
    actingWorker === worker.id &&
    (await isFile(lock)) &&
    (await isCommitOfIndex(context.deps.cwd, next, parent, lock));
  const range = await updateRange(context.deps.cwd, ref, old, next);
  const violations = await findViolations(context.deps.cwd, plan, {
    worker: worker.id,
    range,
    kinds: ['scope'],
  });
  if (violations.length === 0) return PASSED;
  if (commitAll) {
    // What was staged outside the scope before `commit -a` stays staged after it.
    const stillStaged = await readStagedPathsOutside(
      context.deps.cwd,
      scopeExcludePathspecs(worker.owns),
      parent,
    );
    return refuseStaged(context, plan, worker, [...new Set(violations.map((v) => v.path!))], ref, {
      commitAll: true,
      stillStaged,
    });
  }
  context.deps.stderr(renderRefUpdateRefusal(scopeOf(plan, worker), ref, violations));
  await logRefusal(context, plan, {
    worker: worker.id,
    // Who moved the branch, and from where: the main worktree or a script is not the worker.
    actor: actingWorker || null,
    worktree: context.deps.cwd,
    kind: 'scope',
    ref,
    commits: [...new Set(violations.map((v) => v.commit))],
    paths: violations.map((v) => ({ path: v.path, owner: v.owner ?? null, commit: v.commit })),
    message: `${ref} -> ${next.slice(0, 12)}: ${violations.map((v) => v.path).join(', ')}`,
  });
  return REFUSED;
}

/** pre-push and pre-receive: `<plan> <worker> <ref> <old> <new>` for each pushed worker branch. */
async function explainPush(context: HookContext, args: readonly string[]): Promise<CommandResult> {
  const refused: {
    plan: CompiledPlan;
    scope: WorkerScope;
    ref: string;
    violations: Violation[];
  }[] = [];
  for (let i = 0; i + 4 < args.length; i += 5) {
    const [planName, workerId, ref, old, next] = args.slice(i, i + 5) as [
      string,
      string,
      string,
      string,
      string,
    ];
    const plan = await loadPlan(context, planName);
    if (!plan) continue;
    const worker = findWorker(plan, workerId);
    // pre-push: `ref` names the remote's branch, which means nothing here.
    const local = context.hook === 'pre-receive' ? ref : null;
    const violations = await findViolations(context.deps.cwd, plan, {
      worker: worker.id,
      range: await updateRange(context.deps.cwd, local, old, next),
    });
    if (violations.length) refused.push({ plan, scope: scopeOf(plan, worker), ref, violations });
  }
  if (refused.length === 0) return PASSED;
  context.deps.stderr(
    renderPushRefusal(context.hook === 'pre-receive' ? 'pre-receive' : 'pre-push', refused),
  );
  for (const item of refused) {
    const kinds = [...new Set(item.violations.map((v) => v.kind))];
    await logRefusal(context, item.plan, {
      worker: item.scope.worker,
      kind: kinds.includes('scope') ? 'scope' : 'protocol',
      kinds,
      ref: item.ref,
      commits: [...new Set(item.violations.map((v) => v.commit))],
      paths: item.violations
        .filter((v) => v.kind === 'scope')
        .map((v) => ({ path: v.path, owner: v.owner ?? null, commit: v.commit })),
      message: item.violations.map((v) => (v.kind === 'scope' ? v.path : v.header)).join(', '),
    });
  }
  return REFUSED;
}

export async function runExplain(
  options: ExplainOptions,
  deps: CommandDeps,
): Promise<CommandResult> {
  try {
    return await explainHook(options, deps);
  } catch (error) {
    if (error instanceof TrustRefused) return REFUSED;
    throw error;
  }
}

async function explainHook(options: ExplainOptions, deps: CommandDeps): Promise<CommandResult> {
  const [planName = '', workerId = '', ...rest] = options.args;
  const context: HookContext = {
    repo: await readHookRepo(deps.cwd),
    deps,
    hook: options.hook,
    worker: workerId,
    recorded: new Set(),
  };
  if (options.hook === 'pre-push' || options.hook === 'pre-receive')
    return explainPush(context, rest);
  const plan = await loadPlan(context, planName);
  if (!plan) return PASSED;
  const worker = findWorker(plan, workerId);
  switch (options.hook) {
    case 'pre-commit':
    case 'pre-merge-commit':
      return explainStaged(context, plan, worker);
    case 'commit-msg':
      return explainMessage(context, plan, worker, rest[0]);
    case 'reference-transaction':
      return explainRefUpdate(context, plan, worker, rest);
    default:
      throw new UsageError(`pw explain does not know the hook "${options.hook}"`, [
        'It is called by the pw hooks only; reinstall them with pw hooks install.',
      ]);
  }
}
