import type { OrderEdge } from '../../domain/integrate/order.js';
import type { IntegrateStrategy, VerifyMode } from '../../domain/plan/plan.js';
import type { IntegrateWorkerState } from '../../domain/integrate/plan-integration.js';
import { escapeTerminal } from '../../domain/text/terminal-text.js';
import type { MergeMessage } from '../../domain/integrate/merge-message.js';
import { renderColumns } from '../table.js';

export type IntegrateOutcome =
  | 'published'
  | 'nothing-to-integrate'
  | 'conflict'
  | 'verify-failed'
  | 'target-moved'
  | 'target-dirty'
  | 'publish-refused'
  | 'push-refused'
  | 'dry-run'
  | 'aborted'
  | 'nothing-to-abort';

export type StepStatus = 'merged' | 'contained' | 'resolved' | 'conflict' | 'not-reached';

export interface StepReport {
  worker: string;
  branch: string;
  tip: string;
  subject: string;
  state: IntegrateWorkerState;
  status: StepStatus;
  /** The step's commit (the previous one's when contained). */
  commit: string | null;
}

export interface ConflictReport {
  worker: string;
  /** 1-based step number. */
  step: number;
  paths: string[];
  /** For each path, the workers (and the target) whose changes touch it. */
  touchedBy: { path: string; by: string[] }[];
  messages: MergeMessage[];
  /** Where the user resolves it; null in a dry run. */
  worktree: string | null;
}

export interface VerifyRunReport {
  /** What was verified: a worker id (the result after its step), `start` or `result`. */
  label: string;
  commit: string;
  ok: boolean;
  exitCode: number | null;
  /** The saved output (stdout and stderr, interleaved). */
  log: string;
  durationMs: number;
}

export interface VerifyReport {
  command: string;
  mode: VerifyMode;
  runs: VerifyRunReport[];
  passed: boolean;
  /** The worker whose step first fails; null when none (or the start already fails). */
  culprit: string | null;
  /** The start (the target before any step) fails already. */
  startFails: boolean;
  /** Set when verify did not run (reused result, --no-verify, dry run). */
  note: string | null;
}

export interface MatrixReport {
  participants: string[];
  pairs: { a: string; b: string; clean: boolean; paths: string[]; messages: MergeMessage[] }[];
}

export interface PushReport {
  remote: string;
  branch: string;
  /** The hub's target when integrate started: the lease (null: the hub had none). */
  from: string | null;
  /** What was pushed: the local target. */
  to: string;
  ok: boolean;
  /** False when the hub had it already. */
  pushed: boolean;
  /** The hub's target after the attempt (null: unknown or none). */
  current: string | null;
  /** git's words when it refused. */
  message: string | null;
}

export interface IntegrateReport {
  plan: string;
  target: string;
  action: 'integrate' | 'continue' | 'dry-run' | 'abort' | 'matrix';
  outcome: IntegrateOutcome | 'matrix';
  ok: boolean;
  strategy: IntegrateStrategy;
  /** The target's commit the run started from (null when the branch did not exist). */
  from: string | null;
  /** The commit the first step merges onto. */
  start: string | null;
  order: string[];
  edges: OrderEdge[];
  steps: StepReport[];
  skipped: { worker: string; reason: string }[];
  warnings: string[];
  /** Things worth knowing that need no action (where something is kept, a wait). */
  notes: string[];
  /** Preflight findings a dry run reports instead of stopping. */
  preflight: string[];
  conflict: ConflictReport | null;
  verify: VerifyReport | null;
  publish: { method: string; worktree: string | null; from: string | null; to: string } | null;
  refusal: { message: string; details: string[] } | null;
  result: string | null;
  integrationRef: string | null;
  archived: { worker: string; ref: string; tip: string }[];
  teardown: { ok: boolean; text: string } | null;
  /** With --push: the target pushed to the hub with a compare-and-swap. */
  push: PushReport | null;
  matrix: MatrixReport | null;
  next: string[];
}

const short = (sha: string | null): string => (sha ? sha.slice(0, 12) : '(none)');

function describeEdges(edges: readonly OrderEdge[]): string {
  return edges.map((e) => `${e.from} after ${e.to} (${e.reason})`).join('; ');
}

/** What is printed before merging: where from, what is skipped, and the order. */
export function renderIntegrateStart(report: IntegrateReport): string {
  const lines: string[] = [];
  const verb =
    report.action === 'dry-run'
      ? 'Dry run: integrating'
      : report.action === 'continue'
        ? 'Continuing to integrate'
        : 'Integrating';
  lines.push(
    `${verb} plan "${report.plan}" into ${report.target} (${report.from ? `at ${short(report.from)}` : `new branch, from ${short(report.start)}`}), strategy ${report.strategy}.`,
  );
  for (const line of report.preflight) lines.push(`  would stop: ${line}`);
  for (const skip of report.skipped) lines.push(`  skip ${skip.worker}: ${skip.reason}`);
  for (const warning of report.warnings) lines.push(`  warning: ${warning}`);
  for (const note of report.notes) lines.push(`  note: ${note}`);
  if (report.order.length) {
    lines.push(`Order: ${report.order.join(' -> ')}`);
    if (report.edges.length) lines.push(`  because ${describeEdges(report.edges)}`);
  }
  return `${lines.join('\n')}\n`;
}

const STATUS_TEXT: Record<StepStatus, string> = {
  merged: 'merged',
  contained: 'already in',
  resolved: 'resolved',
  conflict: 'CONFLICT',
  'not-reached': 'not reached',
};

/** One line per step, printed as the step is done; columns line up across the steps. */
export function renderStepLine(report: IntegrateReport, index: number): string {
  const step = report.steps[index]!;
  const total = report.steps.length;
  const counter = `[${index + 1}/${total}]`.padEnd(`[${total}/${total}]`.length);
  const worker = step.worker.padEnd(Math.max(...report.steps.map((s) => s.worker.length)));
  const status = STATUS_TEXT[step.status].padEnd(
    Math.max(...Object.values(STATUS_TEXT).map((t) => t.length)),
  );
  const commit =
    step.status === 'conflict' || step.status === 'not-reached'
      ? ' '.repeat(12)
      : short(step.commit);
  const state = step.state === 'complete' ? '' : ` (${step.state})`;
  return `  ${counter}  ${worker}  ${status}  ${commit}  ${escapeTerminal(step.subject)}${state}\n`;
}

function renderConflict(report: IntegrateReport, conflict: ConflictReport): string[] {
  const lines: string[] = [];
  lines.push(
    `Conflict merging ${conflict.worker} (step ${conflict.step} of ${report.steps.length}): ${conflict.paths.length} path${conflict.paths.length === 1 ? '' : 's'}`,
  );
  lines.push(
    renderColumns(
      conflict.touchedBy.map((t) => [t.path, t.by.length ? `changed by ${t.by.join(', ')}` : '']),
    ),
  );
  const gitLines = conflict.messages.filter(
    (m) => m.type.startsWith('CONFLICT') || !conflict.paths.length,
  );
  if (gitLines.length) {
    lines.push('git says:');
    for (const message of gitLines) lines.push(...message.text.split('\n').map((l) => `  ${l}`));
  }
  return lines;
}

function renderVerify(verify: VerifyReport): string[] {
  const lines: string[] = [];
  if (verify.note) {
    lines.push(`Verify \`${verify.command}\`: ${verify.note}`);
    return lines;
  }
  for (const run of verify.runs) {
    lines.push(
      `Verify \`${verify.command}\` on ${run.label === 'result' ? 'the result' : run.label === 'start' ? 'the start (before any step)' : `the result after ${run.label}`} (${short(run.commit)}): ${run.ok ? 'passed' : `failed (exit ${run.exitCode ?? 'signal'})`}; log ${run.log}`,
    );
  }
  if (!verify.passed) {
    if (verify.startFails)
      lines.push('The target fails verify before any worker is merged; no worker is to blame.');
    else if (verify.culprit) lines.push(`First failing step: ${verify.culprit}.`);
  }
  return lines;
}

/** What is printed after merging: conflict, verify, publish, and what to do next. */
export function renderIntegrateEnd(report: IntegrateReport): string {
  const lines: string[] = [];
  if (report.conflict) lines.push(...renderConflict(report, report.conflict));
  if (report.verify) lines.push(...renderVerify(report.verify));
  if (report.refusal) {
    lines.push(report.refusal.message);
    for (const detail of report.refusal.details) lines.push(`  ${detail}`);
  }
  switch (report.outcome) {
    case 'published':
      lines.push(
        `Published: ${report.target} ${short(report.publish!.from)} -> ${short(report.publish!.to)} (${report.publish!.method}${report.publish!.worktree ? ` in ${report.publish!.worktree}` : ', compare-and-swap'}).`,
      );
      break;
    case 'nothing-to-integrate':
      lines.push(`Nothing to integrate: ${report.target} already holds every selected worker.`);
      break;
    case 'push-refused':
      // Published here (or nothing new to merge); only the push was refused.
      lines.push(
        report.publish
          ? `Published here: ${report.target} ${short(report.publish.from)} -> ${short(report.publish.to)}.`
          : `Nothing to integrate: ${report.target} already holds every selected worker.`,
      );
      break;
    case 'dry-run':
      lines.push(
        report.ok
          ? `Dry run: every step merges cleanly; ${report.target} would move to a new commit. No ref was written.`
          : 'Dry run: integrate would stop here. No ref was written.',
      );
      break;
    case 'aborted':
      lines.push(`Aborted: ${report.target} was not moved; the attempt is dropped.`);
      break;
    case 'nothing-to-abort':
      lines.push('No integration in progress; nothing to abort.');
      break;
    default:
      if (report.outcome !== 'matrix') lines.push(`${report.target} was not moved.`);
  }
  if (report.push) lines.push(...renderPush(report.push));
  if (report.archived.length) {
    lines.push(`Worker tips archived: ${report.archived.map((a) => a.ref).join(', ')}`);
  }
  if (report.teardown) lines.push(report.teardown.text.trimEnd());
  for (const next of report.next) lines.push(next);
  return lines.length ? `${lines.join('\n')}\n` : '';
}

function renderPush(push: PushReport): string[] {
  if (push.ok && !push.pushed)
    return [`${push.remote} has ${push.branch} at ${short(push.to)} already.`];
  if (push.ok)
    return [
      `Pushed: ${push.remote} ${push.branch} ${short(push.from)} -> ${short(push.to)} (compare-and-swap).`,
    ];
  return [
    `Not pushed: ${push.remote}'s ${push.branch} moved while integrate ran (it was ${short(push.from)}, it is ${short(push.current)}).`,
    ...(push.message ? push.message.split('\n').map((l) => `  ${l}`) : []),
  ];
}

export function renderMatrix(report: IntegrateReport): string {
  const matrix = report.matrix!;
  const lines: string[] = [];
  lines.push(
    `Conflict matrix for plan "${report.plan}": ${matrix.participants.length} participants (${matrix.participants.join(', ')}), ${matrix.pairs.length} pairs.`,
  );
  const conflicts = matrix.pairs.filter((p) => !p.clean);
  if (conflicts.length === 0) lines.push('No pair conflicts.');
  else {
    lines.push(`${conflicts.length} pair${conflicts.length === 1 ? '' : 's'} conflict:`);
    lines.push(
      renderColumns(
        conflicts.map((p) => [`${p.a} x ${p.b}`, p.paths.join(', ') || '(see git messages)']),
      ),
    );
  }
  for (const warning of report.warnings) lines.push(`warning: ${warning}`);
  return `${lines.join('\n')}\n`;
}
