import { describeUnknownWorkers } from '../plan/unknown-workers.js';
import {
  collectOrderEdges,
  describeOverridden,
  orderCycleHints,
  planIntegrateOrder,
  type OrderEdge,
} from './order.js';
import type { IntegrateStrategy } from '../plan/plan.js';
import type { WorkerState } from '../status/plan-status.js';
import { parseCommitMessage } from '../protocol/protocol.js';
import { parseTrailers, trailerValue } from '../protocol/trailers.js';

/** A worker's derived state, as `pw status` derives it (DESIGN.md section 4). */
export type IntegrateWorkerState = WorkerState;

export interface IntegrateWorkerSnapshot {
  id: string;
  branch: string;
  dependsOn: readonly string[];
  task: string;
  /** Tip of the worker branch; null when the branch is gone. */
  tip: string | null;
  state: IntegrateWorkerState;
  /** Open NEEDS of this worker, for saying why it is not complete. */
  openNeeds: readonly { worker: string; item: string }[];
  /** The worker's own commits (first parents since the plan's base), oldest first. */
  history: readonly { sha: string; message: string }[];
  /** The target already holds this tip: reachable from it, or recorded by a pw squash commit on it. */
  inTarget: boolean;
}

/** Everything integrate decides from, read once from git. */
export interface IntegrateSnapshot {
  plan: string;
  target: string;
  /** Workers in plan order. */
  workers: readonly IntegrateWorkerSnapshot[];
}

export interface IntegrateRequest {
  /** `--only`: these workers (plan order is kept); null means every worker. */
  only: readonly string[] | null;
  /** Also merge workers that are not complete (their commits so far). */
  allowIncomplete: boolean;
  /** Merge a selected worker even when a provider it needs is neither in this run nor in the target. */
  allowMissingProviders: boolean;
  strategy: IntegrateStrategy;
}

export interface IntegrationStep {
  worker: string;
  branch: string;
  tip: string;
  /** The COMPLETE subject, or the latest subject of a worker integrated incomplete. */
  subject: string;
  state: IntegrateWorkerState;
  /** Number of the worker's own commits. */
  commits: number;
  message: string;
}

export interface IntegrationProgram {
  plan: string;
  target: string;
  strategy: IntegrateStrategy;
  steps: IntegrationStep[];
  /** The ordering edges between the workers of this run. */
  edges: OrderEdge[];
  skipped: { worker: string; reason: string }[];
  warnings: string[];
}

export interface IntegrationRefusal {
  /** `usage` exits 2 (bad arguments); `failed` exits 1 (the workers are not ready). */
  kind: 'usage' | 'failed';
  message: string;
  details: string[];
}

export type PlannedIntegration =
  { ok: true; program: IntegrationProgram } | { ok: false; refusal: IntegrationRefusal };

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function headerOf(message: string): string {
  return message.split('\n', 1)[0]!.trim();
}

/** Why a worker is not complete, in one line. */
export function describeNotComplete(worker: IntegrateWorkerSnapshot): string {
  const latest = [...worker.history]
    .reverse()
    .find((c) => parseCommitMessage(c.message).type === 'protocol');
  const parts: string[] = [worker.state];
  if (worker.history.length === 0) parts.push('no commits of its own yet');
  else if (latest) parts.push(`latest: ${headerOf(latest.message)}`);
  if (worker.openNeeds.length) {
    parts.push(`waiting on ${worker.openNeeds.map((n) => `${n.worker}/${n.item}`).join(', ')}`);
  }
  return parts.join('; ');
}

/** The subject a step is named by: the latest COMPLETE, else the latest protocol subject, else the latest header. */
export function stepSubject(history: readonly { message: string }[]): string {
  let fallback: string | null = null;
  for (const commit of [...history].reverse()) {
    const parsed = parseCommitMessage(commit.message);
    if (parsed.type === 'protocol') {
      if (parsed.header.kind === 'COMPLETE') return parsed.header.subject;
      fallback ??= parsed.header.subject;
    }
  }
  return (
    fallback ?? (history.length ? headerOf(history[history.length - 1]!.message) : '(no commits)')
  );
}

export const TRAILER = {
  plan: 'Pw-Plan',
  worker: 'Pw-Worker',
  tip: 'Pw-Worker-Tip',
  strategy: 'Pw-Strategy',
} as const;

export interface StepMessageInput {
  plan: string;
  target: string;
  strategy: IntegrateStrategy;
  worker: string;
  branch: string;
  tip: string;
  task: string;
  subject: string;
  state: IntegrateWorkerState;
  /** Headers of the worker's own commits, oldest first (listed by squash commits). */
  headers: readonly string[];
}

/**
 * The message of one step. A merge commit starts with "Merge branch", which
 * git users read at a glance and the protocol parser exempts; a squash commit
 * is named after the worker and lists its checkpoints. Trailers let a later
 * run see what a squash commit already holds.
 */
export function composeStepMessage(input: StepMessageInput): string {
  const lines: string[] = [];
  const incomplete = input.state === 'complete' ? '' : ` (integrated while ${input.state})`;
  if (input.strategy === 'merge') {
    lines.push(`Merge branch '${input.branch}' into ${input.target}: ${input.subject}`, '');
    lines.push(`Worker ${input.worker} of plan ${input.plan}${incomplete}.`);
  } else {
    lines.push(`${input.worker}: ${input.subject}`, '');
    lines.push(
      `Squashed from branch '${input.branch}' (${plural(input.headers.length, 'commit')}), worker ${input.worker} of plan ${input.plan}${incomplete}.`,
    );
  }
  const task = input.task.trim().split('\n', 1)[0]!.trim();
  if (task) lines.push(`Task: ${task}`);
  if (input.strategy === 'squash' && input.headers.length) {
    lines.push('', 'Checkpoints:', ...input.headers.map((h) => `- ${h}`));
  }
  lines.push(
    '',
    `${TRAILER.plan}: ${input.plan}`,
    `${TRAILER.worker}: ${input.worker}`,
    `${TRAILER.tip}: ${input.tip}`,
    `${TRAILER.strategy}: ${input.strategy}`,
  );
  return `${lines.join('\n')}\n`;
}

/** The step message with a note of the paths resolved by hand, placed above the trailers. */
export function noteResolvedConflicts(message: string, paths: readonly string[]): string {
  const body = message.replace(/\n+$/, '');
  const cut = body.lastIndexOf('\n\n');
  const note = `Conflicts resolved by hand in: ${paths.length ? paths.join(', ') : '(no path named)'}`;
  if (cut === -1) return `${body}\n\n${note}\n`;
  return `${body.slice(0, cut)}\n\n${note}${body.slice(cut)}\n`;
}

export interface IntegrationTrailers {
  plan: string;
  worker: string;
  tip: string;
  strategy: IntegrateStrategy;
}

/** The pw trailers of a step commit, or null for any other commit. */
export function parseIntegrationTrailers(message: string): IntegrationTrailers | null {
  const trailers = parseTrailers(message);
  const value = (key: string): string | null => {
    const last = trailerValue(trailers, key);
    return last && !/\s/.test(last) ? last : null;
  };
  const plan = value(TRAILER.plan);
  const worker = value(TRAILER.worker);
  const tip = value(TRAILER.tip);
  const strategy = value(TRAILER.strategy);
  if (!plan || !worker || !tip || !/^[0-9a-f]{40,64}$/.test(tip)) return null;
  return { plan, worker, tip, strategy: strategy === 'squash' ? 'squash' : 'merge' };
}

/**
 * Decides what integrate will do: which workers, in which order, with which
 * messages, and what it skips. Pure: the snapshot holds every fact from git.
 */
export function planIntegration(
  snapshot: IntegrateSnapshot,
  request: IntegrateRequest,
): PlannedIntegration {
  const refuse = (kind: IntegrationRefusal['kind'], message: string, details: string[]) =>
    ({ ok: false, refusal: { kind, message, details } }) as const;
  const ids = snapshot.workers.map((w) => w.id);
  if (request.only) {
    const unknown = request.only.filter((id) => !ids.includes(id));
    if (unknown.length) {
      const { message, details } = describeUnknownWorkers(snapshot.plan, ids, unknown, '--only');
      return refuse('usage', message, details);
    }
  }
  const selected = snapshot.workers.filter((w) => !request.only || request.only.includes(w.id));

  const notComplete = selected.filter((w) => w.state !== 'complete');
  if (notComplete.length && !request.allowIncomplete) {
    const complete = selected.filter((w) => w.state === 'complete').map((w) => w.id);
    return refuse(
      'failed',
      `${plural(notComplete.length, 'worker')} of plan "${snapshot.plan}" ${notComplete.length === 1 ? 'is' : 'are'} not complete`,
      [
        ...notComplete.map((w) => `${w.id}: ${describeNotComplete(w)}`),
        `Wait for them (pw wait), integrate only what is complete${complete.length ? ` (pw integrate --only ${complete.join(' ')})` : ' with --only'}, or take what is there with --allow-incomplete.`,
      ],
    );
  }

  const skipped: IntegrationProgram['skipped'] = [];
  const warnings: string[] = [];
  const merging: IntegrateWorkerSnapshot[] = [];
  for (const worker of selected) {
    if (worker.tip === null)
      skipped.push({ worker: worker.id, reason: `branch ${worker.branch} is gone` });
    else if (worker.history.length === 0)
      skipped.push({ worker: worker.id, reason: `${worker.state}: no commits of its own yet` });
    else if (worker.inTarget)
      skipped.push({
        worker: worker.id,
        reason: `already integrated: ${snapshot.target} holds ${worker.tip.slice(0, 12)}`,
      });
    else {
      merging.push(worker);
      if (worker.state !== 'complete') {
        warnings.push(
          `${worker.id} is not complete (${describeNotComplete(worker)}); integrating its commits so far`,
        );
      }
    }
  }

  const edges = collectOrderEdges(
    snapshot.workers,
    new Map(snapshot.workers.map((w) => [w.id, w.history.map((c) => c.message)])),
  );
  const mergingIds = merging.map((w) => w.id);
  const order = planIntegrateOrder(mergingIds, edges);
  if (!order.ok) {
    return refuse(
      'failed',
      `the workers depend on each other in a cycle: ${order.text}`,
      orderCycleHints(order.cycle),
    );
  }
  warnings.push(...order.overridden.map(describeOverridden));
  const overridden = new Set(order.overridden.map((o) => o.edge));

  const byId = new Map(snapshot.workers.map((w) => [w.id, w]));
  const missing: string[] = [];
  for (const edge of edges) {
    if (!mergingIds.includes(edge.from) || mergingIds.includes(edge.to)) continue;
    const provider = byId.get(edge.to)!;
    if (provider.inTarget || provider.tip === null) continue;
    missing.push(
      `${edge.from} needs ${edge.to} first (${edge.reason}), and ${edge.to} is not integrated yet`,
    );
  }
  if (missing.length && !request.allowMissingProviders) {
    const withProviders = [
      ...new Set([
        ...mergingIds,
        ...edges.filter((e) => mergingIds.includes(e.from)).map((e) => e.to),
      ]),
    ];
    return refuse(
      'failed',
      `${plural(missing.length, 'provider')} would be missing from ${snapshot.target}`,
      [
        ...missing,
        `Integrate the providers too (pw integrate --only ${withProviders.join(' ')}), or pass --allow-missing-providers to go without them.`,
      ],
    );
  }
  warnings.push(...missing);

  const steps = order.order.map((id): IntegrationStep => {
    const worker = byId.get(id)!;
    const subject = stepSubject(worker.history);
    return {
      worker: id,
      branch: worker.branch,
      tip: worker.tip!,
      subject,
      state: worker.state,
      commits: worker.history.length,
      message: composeStepMessage({
        plan: snapshot.plan,
        target: snapshot.target,
        strategy: request.strategy,
        worker: id,
        branch: worker.branch,
        tip: worker.tip!,
        task: worker.task,
        subject,
        state: worker.state,
        headers: worker.history.map((c) => headerOf(c.message)),
      }),
    };
  });
  return {
    ok: true,
    program: {
      plan: snapshot.plan,
      target: snapshot.target,
      strategy: request.strategy,
      steps,
      edges: edges.filter(
        (e) => mergingIds.includes(e.from) && mergingIds.includes(e.to) && !overridden.has(e),
      ),
      skipped,
      warnings,
    },
  };
}
