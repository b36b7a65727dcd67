import { ID_PATTERN } from './plan.js';
import type { Problem } from './validate-plan.js';

/**
 * A pw plan from a parallel-orchestra manifest (`po_plan_version: "0.1"`).
 * Each task becomes a worker: `writes` become the patterns it owns (each path
 * anchored at the repository root), a `read_only` task a worker that owns
 * nothing, `depends_on` its dependsOn, `concurrency_group` and
 * `concurrency_limits` pw run's groups, `defaults.max_retries` pw run's
 * retries, and the task's Claude Code agent `claude --agent <name>`. What has
 * no pw counterpart is named in `notes`, one line each.
 */
export interface ImportedPlan {
  /** The pw plan, ready to write as YAML; null when the manifest has problems. */
  plan: Record<string, unknown> | null;
  notes: string[];
  problems: Problem[];
}

const MANIFEST_KEYS = [
  'po_plan_version',
  'name',
  'cwd',
  'tasks',
  'defaults',
  'concurrency_limits',
  'on_complete',
  'on_failure',
];
const TASK_KEYS = [
  'id',
  'agent',
  'read_only',
  'prompt',
  'depends_on',
  'writes',
  'max_retries',
  'concurrency_group',
];
// A Claude Code agent name goes into an argv word of the worker's agent
// command; anything else is left out and named.
const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/** A parallel-orchestra name as a pw plan or worker id: lower case, other characters as "-". */
export function toPwId(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+/, '')
    .replace(/-+$/, '')
    .slice(0, 40);
}

/** A `writes` entry as a pw pattern: anchored at the root; null for a path outside the repository. */
function ownsPattern(path: string): string | null {
  const trimmed = path.trim().replace(/^(\.\/)+/, '');
  if (trimmed === '' || trimmed.startsWith('/') || trimmed.split('/').includes('..')) return null;
  return `/${trimmed}`;
}

export function planFromOrchestraManifest(
  data: unknown,
  file: string,
  options: { name?: string } = {},
): ImportedPlan {
  const problems: Problem[] = [];
  const notes: string[] = [];
  const problem = (path: string, message: string): void => {
    problems.push({ file, path, message });
  };
  if (!isRecord(data)) {
    problem('', 'is not a parallel-orchestra manifest: expected a mapping with po_plan_version');
    return { plan: null, notes, problems };
  }
  const version = data.po_plan_version;
  if (version === undefined) {
    problem(
      'po_plan_version',
      'is missing: this is not a parallel-orchestra manifest (pw plans are set up with pw setup)',
    );
  } else if (String(version) !== '0.1') {
    problem('po_plan_version', `"${String(version)}" is not supported; pw imports version "0.1"`);
  }
  for (const key of Object.keys(data)) {
    if (!MANIFEST_KEYS.includes(key)) notes.push(`${key}: not a parallel-orchestra key; ignored`);
  }

  const sourceName = typeof data.name === 'string' ? data.name : '';
  const name = options.name ?? toPwId(sourceName);
  if (!ID_PATTERN.test(name)) {
    problem(
      'name',
      sourceName
        ? `"${sourceName}" gives no usable pw plan name; pass one with --name (1-40 of a-z, 0-9, "_" and "-")`
        : 'is missing; pass a plan name with --name',
    );
  } else if (!options.name && name !== sourceName) {
    notes.push(`name: "${sourceName}" becomes the plan name "${name}"`);
  }
  if (typeof data.cwd === 'string' && data.cwd !== '.' && data.cwd !== '') {
    notes.push(
      `cwd: "${data.cwd}" is not used: pw works in the repository you run it in; run pw setup from the project root`,
    );
  }
  for (const key of ['on_complete', 'on_failure']) {
    if (data[key] !== undefined) {
      notes.push(
        `${key}: webhooks are not sent (pw makes no network calls); use pw run's exit code or its --report file`,
      );
    }
  }

  const defaults = isRecord(data.defaults) ? data.defaults : {};
  const defaultRetries = isCount(defaults.max_retries) ? defaults.max_retries : null;
  if (data.defaults !== undefined && !isRecord(data.defaults))
    problem('defaults', 'must be a mapping');
  if (defaults.max_retries !== undefined && defaultRetries === null)
    problem('defaults.max_retries', 'must be a whole number, 0 or more');

  const limits: Record<string, number> = {};
  if (data.concurrency_limits !== undefined) {
    if (!isRecord(data.concurrency_limits)) problem('concurrency_limits', 'must be a mapping');
    else {
      for (const [group, limit] of Object.entries(data.concurrency_limits)) {
        if (typeof limit === 'number' && Number.isInteger(limit) && limit >= 1)
          limits[group] = limit;
        else problem(`concurrency_limits.${group}`, 'must be a whole number, 1 or more');
      }
    }
  }

  const tasks = data.tasks;
  const workers: Record<string, unknown>[] = [];
  if (!Array.isArray(tasks) || tasks.length === 0) {
    problem('tasks', 'must be a list of at least one task');
    return { plan: null, notes, problems };
  }
  const idOf = new Map<string, string>();
  tasks.forEach((task, index) => {
    const at = `tasks[${index}]`;
    if (!isRecord(task)) {
      problem(at, 'must be a mapping with id, agent, read_only and prompt');
      return;
    }
    if (typeof task.id !== 'string' || task.id === '') {
      problem(`${at}.id`, 'is required');
      return;
    }
    const id = toPwId(task.id);
    if (!ID_PATTERN.test(id)) {
      problem(`${at}.id`, `"${task.id}" gives no usable worker id (1-40 of a-z, 0-9, "_", "-")`);
      return;
    }
    const clash = [...idOf.entries()].find(([, mapped]) => mapped === id);
    if (clash) {
      problem(`${at}.id`, `"${task.id}" and "${clash[0]}" both become the worker id "${id}"`);
      return;
    }
    idOf.set(task.id, id);
    if (id !== task.id) notes.push(`${at}: task "${task.id}" becomes the worker "${id}"`);
  });

  tasks.forEach((task, index) => {
    if (!isRecord(task) || typeof task.id !== 'string' || !idOf.has(task.id)) return;
    const at = `tasks[${index}]`;
    const id = idOf.get(task.id)!;
    for (const key of Object.keys(task)) {
      if (!TASK_KEYS.includes(key))
        notes.push(`${at}.${key}: not a parallel-orchestra key; ignored`);
    }
    const prompt = typeof task.prompt === 'string' ? task.prompt.trim() : '';
    if (prompt === '') problem(`${at}.prompt`, 'is required: it becomes the worker task');

    const writes = Array.isArray(task.writes) ? task.writes : [];
    if (task.writes !== undefined && !Array.isArray(task.writes))
      problem(`${at}.writes`, 'must be a list of paths');
    const owns: string[] = [];
    if (task.read_only === true) {
      if (writes.length)
        notes.push(`${at}.writes: ignored: the task is read_only, it owns nothing`);
    } else {
      if (task.read_only !== false)
        notes.push(`${at}.read_only: not given; read as false (the task writes)`);
      writes.forEach((path, pathIndex) => {
        const pattern = typeof path === 'string' ? ownsPattern(path) : null;
        if (pattern === null) {
          problem(
            `${at}.writes[${pathIndex}]`,
            `${JSON.stringify(path)} is not a path inside the repository`,
          );
        } else if (!owns.includes(pattern)) owns.push(pattern);
      });
      if (writes.length === 0) {
        notes.push(
          `${at}: task "${task.id}" writes but lists no writes: worker "${id}" owns nothing, so its hooks refuse every file; give it owns patterns before pw setup`,
        );
      }
    }

    const dependsOn: string[] = [];
    if (task.depends_on !== undefined) {
      if (!Array.isArray(task.depends_on))
        problem(`${at}.depends_on`, 'must be a list of task ids');
      else {
        task.depends_on.forEach((dep, depIndex) => {
          const mapped = typeof dep === 'string' ? idOf.get(dep) : undefined;
          if (mapped === undefined) {
            problem(
              `${at}.depends_on[${depIndex}]`,
              `${JSON.stringify(dep)} is not a task of this manifest`,
            );
          } else dependsOn.push(mapped);
        });
      }
    }

    let agent: string | null = null;
    if (typeof task.agent === 'string' && AGENT_NAME.test(task.agent)) {
      agent = `claude --agent ${task.agent}`;
    } else if (task.agent !== undefined) {
      notes.push(
        `${at}.agent: ${JSON.stringify(task.agent)} is not a Claude Code agent name; the worker uses the default agent`,
      );
    }
    if (task.max_retries !== undefined) {
      if (!isCount(task.max_retries))
        problem(`${at}.max_retries`, 'must be a whole number, 0 or more');
      else if (task.max_retries !== defaultRetries) {
        notes.push(
          `${at}.max_retries: ${task.max_retries} for one task is not kept: pw run's retries apply to every worker${defaultRetries === null ? '' : ` (run.retries: ${defaultRetries})`}`,
        );
      }
    }
    let group: string | null = null;
    if (task.concurrency_group !== undefined) {
      if (typeof task.concurrency_group !== 'string' || task.concurrency_group === '')
        problem(`${at}.concurrency_group`, 'must be a group name');
      else if (limits[task.concurrency_group] === undefined)
        problem(
          `${at}.concurrency_group`,
          `"${task.concurrency_group}" has no entry in concurrency_limits`,
        );
      else group = task.concurrency_group;
    }

    workers.push({
      id,
      owns,
      task: prompt,
      ...(dependsOn.length ? { dependsOn } : {}),
      ...(agent ? { agent } : {}),
      ...(group ? { concurrencyGroup: group } : {}),
    });
  });

  if (problems.length) return { plan: null, notes, problems };
  const run: Record<string, unknown> = {
    ...(defaultRetries !== null ? { retries: defaultRetries } : {}),
    ...(Object.keys(limits).length ? { concurrencyLimits: limits } : {}),
  };
  return {
    plan: { name, workers, ...(Object.keys(run).length ? { run } : {}) },
    notes,
    problems,
  };
}
