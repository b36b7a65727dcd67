import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { UsageError } from '../errors.js';
import type { Plan } from '../domain/plan/plan.js';
import {
  formatProblem,
  validatePlan,
  type Problem,
  type Validated,
} from '../domain/plan/validate-plan.js';
import type { LoadedConfig } from './load-config.js';

export interface PlanText {
  /** The YAML part. */
  yaml: string;
  /** Markdown prose after the front matter ('' for a YAML plan). */
  context: string;
  /** Lines before the YAML starts, to report YAML errors at the right line. */
  lineOffset: number;
}

/** Splits a Markdown plan into its YAML front matter and the prose below; YAML plans pass through. */
export function splitFrontMatter(
  text: string,
  file: string,
  isMarkdown = /\.(md|markdown)$/i.test(file),
): PlanText {
  const normalized = text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
  if (!isMarkdown) return { yaml: normalized, context: '', lineOffset: 0 };
  const match = /^---[ \t]*\n([\s\S]*?)\n?^---[ \t]*$\n?([\s\S]*)$/m.exec(normalized);
  if ((!match || match.index !== 0) && /^---[ \t]*\n/.test(normalized)) {
    throw new UsageError(
      `${file}: the YAML front matter opened by "---" on line 1 has no closing "---" line`,
      [
        'End the plan keys (name, workers) with a line holding only "---"; prose for the workers goes below it.',
      ],
    );
  }
  if (!match || match.index !== 0) {
    throw new UsageError(
      `${file}: a Markdown plan must start with YAML front matter between "---" lines`,
      [
        'Put the plan keys (name, workers) between two "---" lines at the top; prose for the workers goes below.',
      ],
    );
  }
  return { yaml: match[1] ?? '', context: (match[2] ?? '').trim(), lineOffset: 1 };
}

/** The largest plan file read: a plan names workers, files and tasks, not their material. */
export const MAX_PLAN_BYTES = 1024 * 1024;
/** How many alias expansions a plan may make (yaml's maxAliasCount). */
export const MAX_PLAN_ALIASES = 100;

/** Parses YAML, turning syntax errors into problems with line numbers. */
export function parsePlanYaml(
  planText: PlanText,
  file: string,
): { data: unknown; problems: Problem[] } {
  const document = parseDocument(planText.yaml, { prettyErrors: true, uniqueKeys: true });
  const problems: Problem[] = document.errors.map((error) => ({
    file,
    path: error.linePos ? `line ${error.linePos[0].line + planText.lineOffset}` : '',
    // yaml's first line ends "at line L, column C:" before a code frame: the line is in `path`.
    message: `YAML: ${error.message.split('\n')[0]!.replace(/ at line \d+, column (\d+):?$/, ' (column $1)')}`,
  }));
  if (problems.length) return { data: null, problems };
  try {
    return { data: document.toJS({ maxAliasCount: MAX_PLAN_ALIASES }), problems };
  } catch (error) {
    // The yaml library refuses to expand aliases past the cap (a "billion laughs" plan) with a ReferenceError.
    return {
      data: null,
      problems: [
        {
          file,
          path: '',
          message: `YAML: aliases expand too far (over ${MAX_PLAN_ALIASES} expansions): ${(error as Error).message}; write the values out instead of nesting aliases`,
        },
      ],
    };
  }
}

function throwIfInvalid<T>(validated: Validated<T>, file: string): T {
  if (validated.value) return validated.value;
  throw new UsageError(
    `invalid plan ${file} (${validated.problems.length} problem${validated.problems.length === 1 ? '' : 's'})`,
    [
      ...validated.problems.map(formatProblem),
      ...validated.warnings.map((warning) => `warning: ${formatProblem(warning)}`),
      'Fix every line above and run the command again (pw setup --dry-run checks without changing anything).',
    ],
  );
}

/** Reads and validates a plan file over the config's settings. */
export async function readPlanFile(
  path: string,
  cwd: string,
  config: LoadedConfig,
): Promise<{ plan: Plan; warnings: Problem[] }> {
  const file = resolve(cwd, path);
  let text: string;
  try {
    const size = (await stat(file)).size;
    if (size > MAX_PLAN_BYTES) {
      throw new UsageError(
        `plan file ${file} is ${size} bytes, over the limit of ${MAX_PLAN_BYTES} bytes (1 MiB)`,
        [
          'A plan names the workers, the files each owns and their tasks; put long material in files the tasks point to.',
        ],
      );
    }
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT'
        ? `plan file not found: ${file}`
        : code === 'EISDIR'
          ? `${file} is a folder, not a plan file`
          : `cannot read plan file ${file}: ${(error as Error).message}`,
      [
        'Pass the path of a plan file (YAML or Markdown with front matter); pw init writes an example.',
      ],
    );
  }
  const planText = splitFrontMatter(text, file);
  const parsed = parsePlanYaml(planText, file);
  if (parsed.problems.length)
    throwIfInvalid({ value: null, problems: parsed.problems, warnings: [] }, file);
  const validated = validatePlan(parsed.data, file, planText.context, config.settings);
  return {
    plan: throwIfInvalid(
      { ...validated, warnings: [...config.warnings, ...validated.warnings] },
      file,
    ),
    warnings: [...config.warnings, ...validated.warnings],
  };
}

/**
 * The plan to set up: the file given, else the config's `plan` key (a path
 * relative to the config file, or an inline plan).
 */
export async function resolvePlan(
  planArg: string | undefined,
  cwd: string,
  config: LoadedConfig,
): Promise<{ plan: Plan; warnings: Problem[] }> {
  if (planArg) return readPlanFile(planArg, cwd, config);
  if (typeof config.plan === 'string' && config.file) {
    return readPlanFile(config.plan, dirname(config.file), config);
  }
  if (config.plan && typeof config.plan === 'object' && config.file) {
    const validated = validatePlan(config.plan, `${config.file}#plan`, '', config.settings);
    return {
      plan: throwIfInvalid(validated, config.file),
      warnings: [...config.warnings, ...validated.warnings],
    };
  }
  throw new UsageError('no plan given and the config has none', [
    'Pass a plan file (pw setup plans/feature.yaml), or add "plan: <file>" to .parallelrc.yaml.',
    'pw init writes a commented config and an example plan.',
  ]);
}
