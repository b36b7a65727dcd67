/**
 * Reads the events log for the retrospective. The log is written by several
 * commands (setup, teardown, the hooks, check, integrate) and grows over
 * time, so this reader is tolerant: it recognises events by their `type` and
 * the fields it knows, skips what it does not, and never fails on a missing
 * field. docs/retro.md lists the shapes it understands.
 */
import { isTargetMark } from '../integrate/target-mark.js';

/** One line of `events.ndjson` (the shape of the trusted store's `PwEvent`). */
export interface RetroEvent {
  time: string;
  type: string;
  plan?: string;
  worker?: string;
  [key: string]: unknown;
}

export interface RefusalEvent {
  at: number;
  worker: string | null;
  /** What was refused: `scope`, `protocol`, `pre-push`, ... */
  kind: string;
  detail: string | null;
}

export interface ConflictEvent {
  at: number;
  workers: string[];
  paths: string[];
  /** Conflicted paths the target itself changed since the worker branched (commits made on it directly). */
  targetPaths: string[];
}

export interface VerifyFailureEvent {
  at: number;
  /** The worker whose merge first broke verify, when integrate found it. */
  worker: string | null;
  detail: string | null;
}

export interface BypassEvent {
  at: number;
  worker: string | null;
  /** Which gate caught it: `check`, `integrate`, ... */
  caughtBy: string;
  kind: string;
  /** The commit it is about, when the event says. */
  commit: string | null;
  detail: string | null;
}

export interface PlanEvents {
  /** The first setup of the plan: when the workers were started. */
  setupAt: number | null;
  tornDownAt: number | null;
  refusals: RefusalEvent[];
  conflicts: ConflictEvent[];
  verifyFailures: VerifyFailureEvent[];
  /** Every time integrate moved the target. */
  publishes: { at: number; commit: string | null }[];
  /** Out-of-scope changes or protocol breaks that got past the hooks and were caught later. */
  bypasses: BypassEvent[];
}

const str = (value: unknown): string | null =>
  typeof value === 'string' && value.trim() !== '' ? value : null;

const strings = (value: unknown): string[] => {
  if (typeof value === 'string') return value.trim() ? [value] : [];
  if (!Array.isArray(value)) return [];
  return value.flatMap((item) => {
    if (typeof item === 'string') return item.trim() ? [item] : [];
    if (item && typeof item === 'object') {
      const path = str((item as Record<string, unknown>).path);
      return path ? [path] : [];
    }
    return [];
  });
};

const record = (value: unknown): Record<string, unknown> | null =>
  value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;

function isFailed(value: Record<string, unknown>): boolean {
  if (value.ok === false || value.passed === false || value.success === false) return true;
  const status = str(value.status) ?? str(value.result) ?? str(value.outcome);
  if (status && /^(fail|failed|failure|error|broken)$/i.test(status)) return true;
  return typeof value.exitCode === 'number' && value.exitCode !== 0;
}

function culprit(value: Record<string, unknown>): string | null {
  return (
    str(value.worker) ??
    str(value.culprit) ??
    str(value.brokenBy) ??
    str(value.firstBad) ??
    str(value.breaking) ??
    str(value.step)
  );
}

function conflictFrom(at: number, value: Record<string, unknown>): ConflictEvent {
  // integrate's conflict event: the worker being merged, and `touchedBy: [{path, by: [workers]}]`.
  const touched = Array.isArray(value.touchedBy)
    ? value.touchedBy.map((t) => ({ path: str(record(t)?.path), by: strings(record(t)?.by) }))
    : [];
  const touchedBy = touched.flatMap((t) => t.by.filter((by) => !isTargetMark(by)));
  const targetPaths = [
    ...strings(value.targetChanged),
    ...touched.flatMap((t) => (t.path && t.by.some(isTargetMark) ? [t.path] : [])),
  ];
  const workers = [
    ...strings(value.workers),
    ...strings(value.worker),
    ...strings(value.with),
    ...strings(value.between),
    ...touchedBy,
  ];
  return {
    at,
    workers: [...new Set(workers)],
    paths: [...new Set([...strings(value.paths), ...strings(value.files)])],
    targetPaths: [...new Set(targetPaths)],
  };
}

function refusalKind(event: RetroEvent): string {
  const kind = str(event.kind) ?? str(event.reason) ?? str(event.check);
  if (kind) return kind;
  const hook = str(event.hook);
  if (hook === 'pre-commit') return 'scope';
  if (hook === 'commit-msg') return 'protocol';
  if (hook) return hook;
  return event.type;
}

/**
 * Where the plan's current lifetime begins in its log: after the last
 * teardown that a setup followed (the plan set up again under the same name).
 * What came before belongs to the earlier lifetime, which the archive refs
 * keep. 0: one lifetime only.
 */
function lifetimeStart(events: readonly RetroEvent[], plan: string): number {
  let teardown: number | null = null;
  let start = 0;
  events.forEach((event, i) => {
    if (!event || typeof event !== 'object' || typeof event.type !== 'string') return;
    if (event.plan !== undefined && event.plan !== plan) return;
    if (Number.isNaN(Date.parse(event.time))) return;
    const type = event.type.toLowerCase();
    if (type === 'teardown') teardown = i;
    else if (type === 'setup' && teardown !== null) {
      start = teardown + 1;
      teardown = null;
    }
  });
  return start;
}

/**
 * Sorts the plan's events into what the retrospective counts: those of its
 * current lifetime (see lifetimeStart). Pure.
 */
export function classifyRetroEvents(events: readonly RetroEvent[], plan: string): PlanEvents {
  const out: PlanEvents = {
    setupAt: null,
    tornDownAt: null,
    refusals: [],
    conflicts: [],
    verifyFailures: [],
    publishes: [],
    bypasses: [],
  };
  for (const event of events.slice(lifetimeStart(events, plan))) {
    if (!event || typeof event !== 'object' || typeof event.type !== 'string') continue;
    if (event.plan !== undefined && event.plan !== plan) continue;
    const at = Date.parse(event.time);
    if (Number.isNaN(at)) continue;
    const type = event.type.toLowerCase();
    const worker = str(event.worker);
    const detail = str(event.message) ?? str(event.detail) ?? str(event.path) ?? null;

    if (type === 'setup') {
      if (out.setupAt === null || at < out.setupAt) out.setupAt = at;
      continue;
    }
    if (type === 'teardown') {
      if (out.tornDownAt === null || at > out.tornDownAt) out.tornDownAt = at;
      continue;
    }
    if (/refus|reject|denied/.test(type) || (str(event.hook) && !/integrate|check/.test(type))) {
      // A refused move of a worker's branch is the mover's, recorded as `actor` (null: the
      // main worktree), not the branch owner's.
      const actor = 'actor' in event ? str(event.actor) : worker;
      const where = 'actor' in event && actor === null ? 'from the main worktree' : null;
      out.refusals.push({
        at,
        worker: actor,
        kind: refusalKind(event),
        detail: where ? `${where}${detail ? `: ${detail}` : ''}` : detail,
      });
      continue;
    }

    const fromIntegrate = /integrat|publish|verify|conflict|merge/.test(type);
    // integrate writes `type: 'integrate'` with a `phase` (start, conflict, verify, refused, published, ...).
    const phase = str(event.phase)?.toLowerCase() ?? null;
    if (fromIntegrate) {
      if (/conflict/.test(type) || phase === 'conflict')
        out.conflicts.push(conflictFrom(at, event));
      for (const item of Array.isArray(event.conflicts) ? event.conflicts : []) {
        const value = record(item);
        if (value) out.conflicts.push(conflictFrom(at, value));
        else if (typeof item === 'string')
          out.conflicts.push({ at, workers: [], paths: [item], targetPaths: [] });
      }
      const verify = record(event.verify);
      if ((/verify/.test(type) || phase === 'verify') && (isFailed(event) || /fail/.test(type))) {
        out.verifyFailures.push({
          at,
          worker: culprit(event),
          detail: str(event.command) ?? detail,
        });
      } else if (verify && isFailed(verify)) {
        out.verifyFailures.push({
          at,
          worker: culprit(verify) ?? worker,
          detail: str(verify.command) ?? detail,
        });
      }
      const published =
        phase === 'published' ||
        /publish/.test(type) ||
        event.published === true ||
        typeof event.published === 'string' ||
        (phase === null &&
          /^integrate(d)?$|integrate-(done|success|finished|complete)/.test(type) &&
          !isFailed(event) &&
          event.dryRun !== true &&
          !(Array.isArray(event.conflicts) && event.conflicts.length > 0) &&
          (str(event.commit) ?? str(event.result) ?? str(event.to)) !== null);
      if (published && !/fail/.test(type)) {
        out.publishes.push({
          at,
          commit:
            (typeof event.published === 'string' ? event.published : null) ??
            str(event.to) ??
            str(event.commit) ??
            str(event.result) ??
            str(event.to),
        });
      }
    }

    const violations = Array.isArray(event.violations) ? event.violations : [];
    if (violations.length || /violation|bypass|out-of-scope/.test(type)) {
      const caughtBy = fromIntegrate ? 'integrate' : /check/.test(type) ? 'check' : type;
      if (violations.length === 0)
        out.bypasses.push({
          at,
          worker,
          caughtBy,
          kind: str(event.kind) ?? type,
          commit: str(event.commit) ?? str(event.sha),
          detail,
        });
      for (const item of violations) {
        const value = record(item) ?? {};
        out.bypasses.push({
          at,
          worker: str(value.worker) ?? worker,
          caughtBy,
          kind: str(value.kind) ?? str(value.type) ?? 'violation',
          commit: str(value.commit) ?? str(value.sha),
          // check writes `path` for a scope violation and `header` for a protocol one.
          detail: str(value.path) ?? str(value.header) ?? str(value.message),
        });
      }
    }
  }
  out.publishes.sort((a, b) => a.at - b.at);
  return out;
}
