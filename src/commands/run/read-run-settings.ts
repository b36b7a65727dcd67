import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { LoadedConfig } from '../../config/load-config.js';
import { splitFrontMatter } from '../../config/read-plan.js';
import type { CompiledPlan } from '../../domain/plan/plan.js';
import { parseRunSettings, type RunSettings } from '../../domain/run/run-settings.js';
import { UsageError } from '../../errors.js';

async function readRawConfig(file: string): Promise<Record<string, unknown> | null> {
  if (/\.(c|m)?js$/.test(file)) {
    const module = (await import(file)) as { default?: unknown };
    return (module.default ?? null) as Record<string, unknown> | null;
  }
  const text = await readFile(file, 'utf8');
  if (file.endsWith('package.json'))
    return (JSON.parse(text) as { parallel?: Record<string, unknown> }).parallel ?? null;
  return parseYaml(text) as Record<string, unknown> | null;
}

async function readRawPlan(source: string): Promise<Record<string, unknown> | null> {
  try {
    const text = await readFile(source, 'utf8');
    return parseYaml(splitFrontMatter(text, source).yaml) as Record<string, unknown> | null;
  } catch {
    return null;
  }
}

/**
 * The run settings: the config's `run` key, then the plan file's over it
 * (its `run` key and each worker's `concurrencyGroup`). Every problem at once.
 */
export async function readRunSettings(
  config: LoadedConfig,
  plan: CompiledPlan,
): Promise<{ settings: RunSettings; warnings: string[] }> {
  const layers: { file: string; run: unknown; workers?: unknown }[] = [];
  if (config.file) {
    const raw = await readRawConfig(config.file).catch(() => null);
    const inline =
      raw && typeof raw.plan === 'object' && raw.plan
        ? (raw.plan as Record<string, unknown>)
        : null;
    layers.push({ file: config.file, run: raw?.run, workers: inline?.workers });
    if (inline) layers.push({ file: `${config.file}#plan`, run: inline.run });
  }
  if (!plan.source.includes('#')) {
    const raw = await readRawPlan(plan.source);
    if (raw) layers.push({ file: plan.source, run: raw.run, workers: raw.workers });
  }
  const { settings, problems, warnings } = parseRunSettings(layers);
  if (problems.length)
    throw new UsageError(
      `invalid run settings (${problems.length} problem${problems.length === 1 ? '' : 's'})`,
      [...problems, 'Fix these keys (every run key and its default is in .parallelrc.example).'],
    );
  return { settings, warnings };
}
