import { didYouMean } from './did-you-mean.js';
import { parseDuration } from './duration.js';
import {
  DEFAULT_SETTINGS,
  ID_PATTERN,
  type Plan,
  type PlanSettings,
  type WorkerSpec,
} from './plan.js';
import { findPatternOverlaps } from './overlaps.js';
import { compileGlobs, parseScopePattern, type ScopePattern } from '../scope/scope-pattern.js';
import { escapeTerminal } from '../text/terminal-text.js';

/** One problem, with the file and the key path it is about. */
export interface Problem {
  file: string;
  path: string;
  message: string;
}

export function formatProblem(problem: Problem): string {
  return `${problem.file}${problem.path ? `: ${problem.path}` : ''}: ${problem.message}`;
}

export interface Validated<T> {
  value: T | null;
  problems: Problem[];
  warnings: Problem[];
}

const SETTINGS_KEYS = ['branchPrefix', 'worktreeRoot', 'stallAfter', 'agent', 'integrate'];
// `run` is read by pw run (domain/run/run-settings.ts).
const PLAN_KEYS = ['name', 'base', 'workers', 'run', ...SETTINGS_KEYS];
export const CONFIG_KEYS = ['plan', 'run', ...SETTINGS_KEYS];
const WORKER_KEYS = [
  'id',
  'owns',
  'task',
  'dependsOn',
  'agent',
  'stallAfter',
  'concurrencyGroup',
  'attach',
];
const AGENT_KEYS = ['command'];
const INTEGRATE_KEYS = ['target', 'verify', 'verifyMode', 'strategy'];

class Collector {
  readonly problems: Problem[] = [];
  readonly warnings: Problem[] = [];
  constructor(readonly file: string) {}
  problem(path: string, message: string): void {
    this.problems.push({ file: this.file, path, message });
  }
  warn(path: string, message: string): void {
    this.warnings.push({ file: this.file, path, message });
  }
  unknownKeys(object: Record<string, unknown>, known: readonly string[], path: string): void {
    for (const key of Object.keys(object)) {
      if (known.includes(key)) continue;
      const hint = didYouMean(key, known);
      this.warn(
        join(path, key),
        `unknown key, ignored${hint ? ` (did you mean "${hint}"?)` : ''}; known keys: ${known.join(', ')}`,
      );
    }
  }
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : `${typeof value} ${JSON.stringify(value)}`;
}

/** Branch-name rules from git-check-ref-format(1), enough to reject what git would. */
export function branchNameProblem(name: string): string | null {
  if (name === '') return 'is empty';
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) {
    return 'contains a space, control character or one of ~ ^ : ? * [ \\';
  }
  if (name.startsWith('-')) return 'starts with "-"';
  if (name.includes('..') || name.includes('@{') || name.includes('//')) {
    return 'contains "..", "@{" or "//"';
  }
  if (name.split('/').some((part) => part.startsWith('.') || part.endsWith('.lock'))) {
    return 'has a component starting with "." or ending with ".lock"';
  }
  if (name.endsWith('.') || name.endsWith('/') || name.startsWith('/') || name === '@') {
    return 'ends with "." or "/", starts with "/", or is "@"';
  }
  return null;
}

function readString(
  c: Collector,
  object: Record<string, unknown>,
  key: string,
  path: string,
  options: { required?: boolean; nullable?: boolean } = {},
): string | null | undefined {
  const value = object[key];
  if (value === undefined || (value === null && options.nullable)) {
    if (options.required) c.problem(join(path, key), 'is required');
    return value === null ? null : undefined;
  }
  if (typeof value !== 'string') {
    c.problem(join(path, key), `must be a string, found ${describe(value)}`);
    return undefined;
  }
  return value;
}

/** Validates the settings keys of a config or plan mapping, over `defaults`. */
function readSettings(
  c: Collector,
  object: Record<string, unknown>,
  path: string,
  defaults: PlanSettings,
): PlanSettings {
  const settings: PlanSettings = {
    ...defaults,
    agent: { ...defaults.agent },
    integrate: { ...defaults.integrate },
  };
  const prefix = readString(c, object, 'branchPrefix', path);
  if (typeof prefix === 'string') {
    const problem = branchNameProblem(`${prefix}plan/worker`);
    if (problem) c.problem(join(path, 'branchPrefix'), `makes invalid branch names: ${problem}`);
    else settings.branchPrefix = prefix;
  }
  const root = readString(c, object, 'worktreeRoot', path);
  if (typeof root === 'string') {
    if (root.trim() === '' || /[\x00-\x1f]/.test(root)) {
      c.problem(join(path, 'worktreeRoot'), 'must be a non-empty path without control characters');
    } else settings.worktreeRoot = root;
  }
  const stall = readString(c, object, 'stallAfter', path);
  if (typeof stall === 'string') {
    if (parseDuration(stall) === null || parseDuration(stall)! <= 0) {
      c.problem(join(path, 'stallAfter'), `"${stall}" is not a duration; write e.g. 30m, 2h, 90s`);
    } else settings.stallAfter = stall;
  }
  const agent = object.agent;
  if (agent !== undefined) {
    if (typeof agent === 'string') settings.agent.command = agent;
    else if (!isRecord(agent)) {
      c.problem(join(path, 'agent'), `must be a mapping with "command", found ${describe(agent)}`);
    } else {
      c.unknownKeys(agent, AGENT_KEYS, join(path, 'agent'));
      const command = readString(c, agent, 'command', join(path, 'agent'));
      if (typeof command === 'string') {
        if (command.trim() === '') c.problem(join(path, 'agent.command'), 'must not be empty');
        else settings.agent.command = command;
      }
    }
  }
  const integrate = object.integrate;
  if (integrate !== undefined) {
    if (!isRecord(integrate)) {
      c.problem(join(path, 'integrate'), `must be a mapping, found ${describe(integrate)}`);
    } else {
      const ipath = join(path, 'integrate');
      c.unknownKeys(integrate, INTEGRATE_KEYS, ipath);
      const target = readString(c, integrate, 'target', ipath, { nullable: true });
      if (typeof target === 'string') {
        const problem = branchNameProblem(target);
        if (problem) c.problem(join(ipath, 'target'), `is not a valid branch name: ${problem}`);
        else settings.integrate.target = target;
      } else if (target === null) settings.integrate.target = null;
      const verify = readString(c, integrate, 'verify', ipath, { nullable: true });
      if (typeof verify === 'string')
        settings.integrate.verify = verify.trim() === '' ? null : verify;
      else if (verify === null) settings.integrate.verify = null;
      const mode = readString(c, integrate, 'verifyMode', ipath);
      if (typeof mode === 'string') {
        if (mode === 'end' || mode === 'each') settings.integrate.verifyMode = mode;
        else c.problem(join(ipath, 'verifyMode'), `must be "end" or "each", found "${mode}"`);
      }
      const strategy = readString(c, integrate, 'strategy', ipath);
      if (typeof strategy === 'string') {
        if (strategy === 'merge' || strategy === 'squash') settings.integrate.strategy = strategy;
        else c.problem(join(ipath, 'strategy'), `must be "merge" or "squash", found "${strategy}"`);
      }
    }
  }
  return settings;
}

export interface RawConfig {
  settings: PlanSettings;
  /** The `plan` key: a path to a plan file, an inline plan, or nothing. */
  plan: string | Record<string, unknown> | null;
}

/** Validates a config file's contents (already parsed) over the built-in defaults. */
export function validateConfig(raw: unknown, file: string): Validated<RawConfig> {
  const c = new Collector(file);
  if (raw === null || raw === undefined) {
    return { value: { settings: DEFAULT_SETTINGS, plan: null }, problems: [], warnings: [] };
  }
  if (!isRecord(raw)) {
    c.problem('', `must be a mapping of settings, found ${describe(raw)}`);
    return { value: null, problems: c.problems, warnings: c.warnings };
  }
  c.unknownKeys(raw, CONFIG_KEYS, '');
  const settings = readSettings(c, raw, '', DEFAULT_SETTINGS);
  let plan: RawConfig['plan'] = null;
  if (typeof raw.plan === 'string' || isRecord(raw.plan)) plan = raw.plan;
  else if (raw.plan !== undefined && raw.plan !== null) {
    c.problem(
      'plan',
      `must be a plan file path or an inline plan mapping, found ${describe(raw.plan)}`,
    );
  }
  return {
    value: c.problems.length ? null : { settings, plan },
    problems: c.problems,
    warnings: c.warnings,
  };
}

function readStringList(
  c: Collector,
  object: Record<string, unknown>,
  key: string,
  path: string,
): string[] {
  const value = object[key];
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') {
    // One string is one entry; "a, b" is a list written as a string, which
    // would become one entry that matches nothing the writer meant.
    if (value.includes(',')) {
      const shown = escapeTerminal(value);
      const items = shown.split(',').map((item) => item.trim());
      c.problem(
        join(path, key),
        `is one string holding a comma ("${shown}"); write a list: [${items.join(', ')}] (a name with a comma in it: ["${shown}"])`,
      );
      return [];
    }
    return [value];
  }
  if (!Array.isArray(value)) {
    c.problem(join(path, key), `must be a list of strings, found ${describe(value)}`);
    return [];
  }
  const out: string[] = [];
  value.forEach((item, index) => {
    if (typeof item === 'string') out.push(item);
    else c.problem(join(join(path, key), index), `must be a string, found ${describe(item)}`);
  });
  return out;
}

/** Finds a cycle in `dependsOn`, returned as `a -> b -> a`, or null. */
export function findCycle(edges: ReadonlyMap<string, readonly string[]>): string[] | null {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    if (state.get(node) === 'done') return null;
    if (state.get(node) === 'visiting') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (!edges.has(next)) continue;
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of edges.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return null;
}

/**
 * Validates a plan (already parsed from YAML) over the config's settings.
 * Collects every problem; overlap between workers needs the tracked files and
 * is checked separately (see plan-overlaps.ts).
 */
export function validatePlan(
  raw: unknown,
  file: string,
  context: string,
  defaults: PlanSettings,
): Validated<Plan> {
  const c = new Collector(file);
  if (!isRecord(raw)) {
    c.problem('', `a plan must be a mapping with name and workers, found ${describe(raw)}`);
    return { value: null, problems: c.problems, warnings: c.warnings };
  }
  c.unknownKeys(raw, PLAN_KEYS, '');
  const name = readString(c, raw, 'name', '', { required: true });
  if (typeof name === 'string' && !ID_PATTERN.test(name)) {
    c.problem(
      'name',
      `"${escapeTerminal(name)}" is not a valid plan name: use 1-40 of a-z, 0-9, "_" and "-", starting with a letter or digit`,
    );
  }
  const base = readString(c, raw, 'base', '', { nullable: true });
  if (typeof base === 'string') {
    const problem = branchNameProblem(base);
    if (problem) c.problem('base', `is not a valid branch name: ${problem}`);
  }
  const settings = readSettings(c, raw, '', defaults);

  const workers: WorkerSpec[] = [];
  const rawWorkers = raw.workers;
  if (rawWorkers === undefined || rawWorkers === null)
    c.problem('workers', 'is required: list at least one worker');
  else if (!Array.isArray(rawWorkers))
    c.problem('workers', `must be a list, found ${describe(rawWorkers)}`);
  else if (rawWorkers.length === 0) c.problem('workers', 'is empty: list at least one worker');
  else {
    rawWorkers.forEach((item, index) => {
      const path = join('workers', index);
      if (!isRecord(item)) {
        c.problem(path, `must be a mapping with id, owns and task, found ${describe(item)}`);
        return;
      }
      c.unknownKeys(item, WORKER_KEYS, path);
      const id = readString(c, item, 'id', path, { required: true });
      if (typeof id === 'string' && !ID_PATTERN.test(id)) {
        c.problem(
          join(path, 'id'),
          `"${escapeTerminal(id)}" is not a valid worker id: use 1-40 of a-z, 0-9, "_" and "-", starting with a letter or digit`,
        );
      }
      const owns = readStringList(c, item, 'owns', path);
      // `owns: []`, written out, is a worker that only reads and reports
      // (a reviewer): its hooks refuse every file and accept status commits.
      if (item.owns === undefined || item.owns === null) {
        c.problem(
          join(path, 'owns'),
          'is required: list the path patterns this worker owns, or write `owns: []` for a worker that only reads and reports',
        );
      }
      owns.forEach((pattern, patternIndex) => {
        const parsed = parseScopePattern(pattern);
        if (!parsed.ok)
          c.problem(
            join(join(path, 'owns'), patternIndex),
            `"${escapeTerminal(pattern)}": ${parsed.problem}`,
          );
        else {
          const empty = whyPatternMatchesNothing(parsed.pattern);
          if (empty) c.warn(join(join(path, 'owns'), patternIndex), empty);
        }
      });
      const task = readString(c, item, 'task', path, { required: true });
      if (typeof task === 'string' && task.trim() === '')
        c.problem(join(path, 'task'), 'is empty: say what this worker should do');
      const dependsOn = readStringList(c, item, 'dependsOn', path);
      let agent: string | null = null;
      if (typeof item.agent === 'string') agent = item.agent;
      else if (isRecord(item.agent) && typeof item.agent.command === 'string')
        agent = item.agent.command;
      else if (item.agent !== undefined && item.agent !== null) {
        c.problem(join(path, 'agent'), `must be a command string, found ${describe(item.agent)}`);
      }
      if (agent !== null && agent.trim() === '')
        c.problem(join(path, 'agent'), 'must not be empty');
      const stallAfter = readString(c, item, 'stallAfter', path);
      if (typeof stallAfter === 'string' && !(parseDuration(stallAfter)! > 0)) {
        c.problem(
          join(path, 'stallAfter'),
          `"${stallAfter}" is not a duration; write e.g. 30m, 2h, 90s`,
        );
      }
      workers.push({
        id: typeof id === 'string' ? id : '',
        owns,
        task: typeof task === 'string' ? task : '',
        dependsOn,
        agent,
        stallAfter: typeof stallAfter === 'string' ? stallAfter : null,
      });
    });
  }

  const seen = new Map<string, number>();
  workers.forEach((worker, index) => {
    if (!worker.id) return;
    const first = seen.get(worker.id);
    if (first !== undefined) {
      c.problem(
        join(join('workers', index), 'id'),
        `"${worker.id}" is already used by workers[${first}]; ids must be unique`,
      );
    } else seen.set(worker.id, index);
  });
  const ids = [...seen.keys()];
  workers.forEach((worker, index) => {
    worker.dependsOn.forEach((dep, depIndex) => {
      const path = join(join(join('workers', index), 'dependsOn'), depIndex);
      if (dep === worker.id) c.problem(path, `"${dep}" depends on itself`);
      else if (!seen.has(dep)) {
        const hint = didYouMean(dep, ids);
        c.problem(
          path,
          `"${escapeTerminal(dep)}" is not a worker of this plan${hint ? ` (did you mean "${hint}"?)` : ''}; workers: ${ids.join(', ')}`,
        );
      }
    });
  });
  c.problems.push(...findPatternOverlaps(workers, file));

  const cycle = findCycle(new Map(workers.filter((w) => w.id).map((w) => [w.id, w.dependsOn])));
  if (cycle && cycle.length > 2) {
    c.problem(
      'workers',
      `dependsOn has a cycle: ${cycle.join(' -> ')}; remove one of these dependencies`,
    );
  }

  const value: Plan | null =
    c.problems.length === 0
      ? {
          name: name as string,
          base: typeof base === 'string' ? base : null,
          workers,
          context,
          settings,
          source: file,
        }
      : null;
  return { value, problems: c.problems, warnings: c.warnings };
}

/** First segments of absolute file-system paths that a repository hardly ever has at its root (not bin/, lib/, src/, ...). */
const SYSTEM_ROOTS = new Set([
  'etc',
  'usr',
  'home',
  'Users',
  'Volumes',
  'proc',
  'sys',
  'boot',
  'private',
]);

/**
 * Why a valid pattern owns nothing, or null: a character class with no
 * member (`[z-a]`), or an absolute file-system path, which a leading "/"
 * reads as a path at the repository root. A warning: the plan still works,
 * but the worker can change none of the files it was meant to.
 */
export function whyPatternMatchesNothing(pattern: ScopePattern): string | null {
  const source = escapeTerminal(pattern.source);
  const emptyClass = compileGlobs(pattern).every((glob) =>
    glob.segments.some(
      (segment) =>
        !segment.globstar &&
        segment.tokens.some((token) => !token.star && token.bytes.every((b) => b === 0)),
    ),
  );
  if (emptyClass)
    return `"${source}" can match no path: a character class in it holds no character; the worker would own nothing through it`;
  const reversed = findReversedRange(pattern.source);
  if (reversed)
    return `"${source}" has the range "${escapeTerminal(reversed)}", which goes high to low: like git, pw reads it as its first character alone; write it low to high (e.g. "[a-z]")`;
  const first = /^\/([^/]+)\//.exec(pattern.source)?.[1];
  if (first !== undefined && SYSTEM_ROOTS.has(first))
    return `"${source}" looks like a file-system path, but a leading "/" means the repository root: it owns "${source.slice(1)}" inside the repository; write paths relative to the repository root`;
  return null;
}

/** The first `x-y` range of a `[...]` class with x after y (`[z-a]`), or null. */
function findReversedRange(source: string): string | null {
  for (const match of source.matchAll(/\[[!^]?(\]?(?:\\.|[^\]\\/])*)\]/g)) {
    const body = match[1]!;
    for (const range of body.matchAll(/([^\\])-([^\\\]])/g)) {
      if (range[1]!.charCodeAt(0) > range[2]!.charCodeAt(0)) return `${range[1]}-${range[2]}`;
    }
  }
  return null;
}
