import { parseDuration } from '../plan/duration.js';

/** How `pw run` runs agents: from the config's and the plan's `run` key, then the flags. */
export interface RunSettings {
  /** At most this many agents at once; null: all. */
  maxWorkers: number | null;
  /** Restarts after the first attempt, per worker. */
  retries: number;
  /** Kill an attempt after this long; null: never. */
  timeoutMs: number | null;
  /** Kill an attempt with no output, commit or file change for this long; null: never. */
  idleTimeoutMs: number | null;
  /** First retry delay of a transient failure; doubles each time, with jitter. */
  backoffMs: number;
  /** Between SIGINT and SIGKILL when stopping an agent. */
  killGraceMs: number;
  /** Concurrency group -> at most this many of its workers at once. */
  concurrencyLimits: Record<string, number>;
  /** Worker id -> its concurrency group. */
  groups: Record<string, string>;
  /** Extra arguments per agent profile (permission flags, model, sandbox). */
  agentArgs: Record<'claude' | 'codex' | 'aider', string[]>;
  /**
   * How `pw attach` opens a `command` agent interactively: a command line
   * (split like sh quoting, never run through a shell) or an argv list, with
   * `{worktree}` and `{session}` placeholders; null: no way is known.
   */
  attach: string | string[] | null;
  /** The same, per worker (a plan worker's `attach:`), over `attach`. */
  workerAttach: Record<string, string | string[]>;
  /**
   * Messages pw writes to workers by itself: a NEEDS resolved, a hint to a
   * BLOCKED worker, a path the hooks refused twice (run.autoNotify).
   */
  autoNotify: boolean;
}

/** Claude Code's default permissions: work as root (which refuses --dangerously-skip-permissions) and as a user. */
export const DEFAULT_CLAUDE_ARGS = [
  '--permission-mode',
  'acceptEdits',
  '--allowedTools',
  'Bash,Edit,Write,Read,Glob,Grep',
];

export const DEFAULT_RUN_SETTINGS: RunSettings = {
  maxWorkers: null,
  retries: 2,
  timeoutMs: null,
  idleTimeoutMs: 15 * 60_000,
  backoffMs: 5_000,
  killGraceMs: 10_000,
  concurrencyLimits: {},
  groups: {},
  agentArgs: {
    claude: DEFAULT_CLAUDE_ARGS,
    codex: ['--sandbox', 'workspace-write'],
    aider: [],
  },
  attach: null,
  workerAttach: {},
  autoNotify: true,
};

const RUN_KEYS = [
  'maxWorkers',
  'retries',
  'timeout',
  'idleTimeout',
  'backoff',
  'killGrace',
  'concurrencyLimits',
  'agents',
  'attach',
  'autoNotify',
];

/** An attach command: a non-empty command line or a non-empty list of strings. */
function readAttach(value: unknown, path: string, problems: string[]): string | string[] | null {
  if (typeof value === 'string' && value.trim() !== '') return value;
  if (Array.isArray(value) && value.length > 0 && value.every((a) => typeof a === 'string'))
    return value as string[];
  problems.push(
    `${path}: must be a command line or a list of strings, e.g. "my-agent --resume {session}"`,
  );
  return null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A duration key: `30m`, `2h`, `0`/`off`/null for none (where `allowNone`). */
function readDuration(
  raw: Record<string, unknown>,
  key: string,
  path: string,
  problems: string[],
  allowNone: boolean,
): number | null | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  if (allowNone && (value === null || value === 0 || value === 'off' || value === '0')) return null;
  const ms =
    typeof value === 'number'
      ? value * 1000
      : typeof value === 'string'
        ? parseDuration(value)
        : null;
  if (ms === null || !(ms >= 0)) {
    problems.push(`${path}.${key}: "${String(value)}" is not a duration; write e.g. 90s, 30m, 2h`);
    return undefined;
  }
  return ms;
}

function readCount(
  value: unknown,
  path: string,
  problems: string[],
  min: number,
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    problems.push(
      `${path}: must be a whole number of at least ${min}, found ${JSON.stringify(value)}`,
    );
    return undefined;
  }
  return value;
}

/**
 * Reads the `run` mappings (config first, then the plan over it) and each
 * worker's `concurrencyGroup`. Collects every problem, each named by file and key.
 */
export function parseRunSettings(
  layers: readonly { file: string; run: unknown; workers?: unknown }[],
): { settings: RunSettings; problems: string[]; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  const settings: RunSettings = {
    ...DEFAULT_RUN_SETTINGS,
    concurrencyLimits: {},
    groups: {},
    agentArgs: { ...DEFAULT_RUN_SETTINGS.agentArgs },
    workerAttach: {},
  };
  for (const layer of layers) {
    const path = `${layer.file}: run`;
    if (layer.run !== undefined && layer.run !== null) {
      if (!isRecord(layer.run)) problems.push(`${path}: must be a mapping`);
      else {
        const raw = layer.run;
        for (const key of Object.keys(raw))
          if (!RUN_KEYS.includes(key))
            warnings.push(
              `${path}.${key}: unknown key, ignored; known keys: ${RUN_KEYS.join(', ')}`,
            );
        if (raw.maxWorkers === null || raw.maxWorkers === 'all') settings.maxWorkers = null;
        else {
          const max = readCount(raw.maxWorkers, `${path}.maxWorkers`, problems, 1);
          if (max !== undefined) settings.maxWorkers = max;
        }
        const retries = readCount(raw.retries, `${path}.retries`, problems, 0);
        if (retries !== undefined) settings.retries = retries;
        const timeout = readDuration(raw, 'timeout', path, problems, true);
        if (timeout !== undefined) settings.timeoutMs = timeout;
        const idle = readDuration(raw, 'idleTimeout', path, problems, true);
        if (idle !== undefined) settings.idleTimeoutMs = idle;
        const backoff = readDuration(raw, 'backoff', path, problems, false);
        if (backoff !== undefined && backoff !== null) settings.backoffMs = backoff;
        const grace = readDuration(raw, 'killGrace', path, problems, false);
        if (grace !== undefined && grace !== null) settings.killGraceMs = grace;
        if (raw.autoNotify !== undefined) {
          if (typeof raw.autoNotify !== 'boolean')
            problems.push(`${path}.autoNotify: must be true or false`);
          else settings.autoNotify = raw.autoNotify;
        }
        if (raw.concurrencyLimits !== undefined) {
          if (!isRecord(raw.concurrencyLimits))
            problems.push(`${path}.concurrencyLimits: must be a mapping of group name to a number`);
          else
            for (const [group, limit] of Object.entries(raw.concurrencyLimits)) {
              const value = readCount(limit, `${path}.concurrencyLimits.${group}`, problems, 1);
              if (value !== undefined) settings.concurrencyLimits[group] = value;
            }
        }
        if (raw.attach === null) settings.attach = null;
        else if (raw.attach !== undefined) {
          const attach = readAttach(raw.attach, `${path}.attach`, problems);
          if (attach !== null) settings.attach = attach;
        }
        if (raw.agents !== undefined) {
          if (!isRecord(raw.agents)) problems.push(`${path}.agents: must be a mapping`);
          else
            for (const [name, profile] of Object.entries(raw.agents)) {
              if (name !== 'claude' && name !== 'codex' && name !== 'aider') {
                problems.push(
                  `${path}.agents.${name}: unknown agent profile; use claude, codex or aider`,
                );
                continue;
              }
              const args = isRecord(profile) ? profile.args : undefined;
              if (!Array.isArray(args) || !args.every((a) => typeof a === 'string'))
                problems.push(`${path}.agents.${name}.args: must be a list of strings`);
              else settings.agentArgs[name] = args as string[];
            }
        }
      }
    }
    if (Array.isArray(layer.workers)) {
      layer.workers.forEach((worker, index) => {
        if (!isRecord(worker) || typeof worker.id !== 'string') return;
        if (worker.attach !== undefined && worker.attach !== null) {
          const attach = readAttach(
            worker.attach,
            `${layer.file}: workers[${index}].attach`,
            problems,
          );
          if (attach !== null) settings.workerAttach[worker.id] = attach;
        }
        const group = worker.concurrencyGroup;
        if (group === undefined || group === null) return;
        if (typeof group !== 'string' || group.trim() === '')
          problems.push(
            `${layer.file}: workers[${index}].concurrencyGroup: must be a non-empty string`,
          );
        else settings.groups[worker.id] = group;
      });
    }
  }
  for (const [worker, group] of Object.entries(settings.groups))
    if (settings.concurrencyLimits[group] === undefined)
      warnings.push(
        `worker ${worker}: concurrency group "${group}" has no limit in run.concurrencyLimits; only --max-workers applies`,
      );
  return { settings, problems, warnings };
}
