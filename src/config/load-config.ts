import { cosmiconfig } from 'cosmiconfig';
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../errors.js';
import { formatProblem, validateConfig, type RawConfig } from '../domain/plan/validate-plan.js';
import type { Problem } from '../domain/plan/validate-plan.js';

/** Where the config may live, in the order they are tried (cosmiconfig, module name `parallel`). */
export const CONFIG_SEARCH_PLACES = [
  'package.json',
  '.parallelrc',
  '.parallelrc.yaml',
  '.parallelrc.yml',
  '.parallelrc.json',
  'parallel.config.js',
  'parallel.config.mjs',
  'parallel.config.cjs',
];

export interface LoadedConfig extends RawConfig {
  /** The config file, or null when there is none and the defaults apply. */
  file: string | null;
  warnings: Problem[];
}

/**
 * Reads the config from the main worktree only: a worker's worktree holds a
 * copy the worker may edit, so it is never where settings come from.
 */
export async function loadConfig(repoRoot: string): Promise<LoadedConfig> {
  const explorer = cosmiconfig('parallel', {
    searchPlaces: CONFIG_SEARCH_PLACES,
    searchStrategy: 'none',
    packageProp: 'parallel',
    cache: false,
    loaders: {
      noExt: (_path: string, content: string) => parseYaml(content) as unknown,
      '.yaml': (_path: string, content: string) => parseYaml(content) as unknown,
      '.yml': (_path: string, content: string) => parseYaml(content) as unknown,
    },
  });
  let result;
  try {
    result = await explorer.search(repoRoot);
  } catch (error) {
    const file = (error as { filepath?: string }).filepath ?? 'the config file';
    throw new UsageError(`cannot read ${file}: ${(error as Error).message.split('\n')[0]}`, [
      'Fix the syntax (see .parallelrc.example), or move the file away to use the defaults.',
    ]);
  }
  if (!result || result.isEmpty) {
    const validated = validateConfig(null, result?.filepath ?? '(defaults)');
    return { ...validated.value!, file: result?.filepath ?? null, warnings: [] };
  }
  const validated = validateConfig(result.config, result.filepath);
  if (!validated.value) {
    throw new UsageError(`invalid config in ${result.filepath}`, [
      ...validated.problems.map(formatProblem),
      'Fix these keys (every key and its default is in .parallelrc.example).',
    ]);
  }
  return { ...validated.value, file: result.filepath, warnings: validated.warnings };
}
