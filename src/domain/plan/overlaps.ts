import type { Plan, WorkerSpec } from './plan.js';
import { findPatternOverlap } from '../scope/scope-overlap.js';
import { parseScopePattern, type ScopePattern } from '../scope/scope-pattern.js';
import type { Problem } from './validate-plan.js';

/**
 * Ownership must be exclusive on tracked files: no file owned by two workers.
 * `trackedByWorker` maps each worker id to the tracked files git matched for it.
 */
export function findTrackedOverlaps(
  plan: Plan,
  trackedByWorker: ReadonlyMap<string, readonly string[]>,
): Problem[] {
  const problems: Problem[] = [];
  const owners = new Map<string, string[]>();
  for (const worker of plan.workers) {
    for (const file of trackedByWorker.get(worker.id) ?? []) {
      const list = owners.get(file) ?? [];
      list.push(worker.id);
      owners.set(file, list);
    }
  }
  const trackedPairs = new Map<string, string[]>();
  for (const [file, ids] of owners) {
    if (ids.length < 2) continue;
    for (let i = 0; i < ids.length; i++) {
      for (let j = i + 1; j < ids.length; j++) {
        const key = `${ids[i]}\0${ids[j]}`;
        const files = trackedPairs.get(key) ?? [];
        files.push(file);
        trackedPairs.set(key, files);
      }
    }
  }
  for (const [key, files] of trackedPairs) {
    const [a, b] = key.split('\0');
    const shown =
      files.slice(0, 5).join(', ') + (files.length > 5 ? `, and ${files.length - 5} more` : '');
    problems.push({
      file: plan.source,
      path: 'workers',
      message: `"${a}" and "${b}" both own ${files.length} tracked file${files.length === 1 ? '' : 's'}: ${shown}; give each file to one worker`,
    });
  }

  return problems;
}

/** Tracked files no worker owns: read-only for every worker. */
export function findUnownedFiles(
  allFiles: readonly string[],
  trackedByWorker: ReadonlyMap<string, readonly string[]>,
): string[] {
  const owned = new Set<string>();
  for (const files of trackedByWorker.values()) for (const file of files) owned.add(file);
  return allFiles.filter((file) => !owned.has(file));
}

/** Whether a pattern matches at any depth (no `/` but a trailing one, or a leading `**` segment). */
function isFloating(source: string): boolean {
  return source.startsWith('**/') || !source.replace(/\/$/, '').includes('/');
}

/** A floating pattern anchored at the repository root: `docs/` -> `/docs/`, `**\/x` -> `/x`. */
function anchorAtRoot(source: string): string {
  return `/${source.replace(/^\*\*\//, '')}`;
}

/** Whether the two patterns would still overlap with their floating ones anchored (advice that would not help is not given). */
function anchoredStillOverlap(a: ScopePattern, b: ScopePattern): boolean {
  const anchor = (p: ScopePattern): ScopePattern | null => {
    if (!isFloating(p.source)) return p;
    const parsed = parseScopePattern(anchorAtRoot(p.source));
    return parsed.ok ? parsed.pattern : null;
  };
  const [x, y] = [anchor(a), anchor(b)];
  return x === null || y === null || findPatternOverlap(x, y) !== null;
}

/**
 * No two patterns of different workers may both own a path, existing or not
 * (conservative: an overlap is never missed). Pure; part of plan validation.
 */
export function findPatternOverlaps(workers: readonly WorkerSpec[], file: string): Problem[] {
  const problems: Problem[] = [];
  const compiled = workers.map((worker, index) => ({
    worker,
    index,
    patterns: worker.owns.map((source) => {
      const parsed = parseScopePattern(source);
      return parsed.ok ? parsed.pattern : null;
    }),
  }));
  for (let i = 0; i < compiled.length; i++) {
    for (let j = i + 1; j < compiled.length; j++) {
      const a = compiled[i]!;
      const b = compiled[j]!;
      if (!a.worker.id || !b.worker.id || a.worker.id === b.worker.id) continue;
      a.patterns.forEach((pa, ia) => {
        b.patterns.forEach((pb, ib) => {
          if (!pa || !pb) return;
          const example = findPatternOverlap(pa, pb);
          if (example === null) return;
          const floating = [pa.source, pb.source].filter(isFloating);
          const advice =
            floating.length && !anchoredStillOverlap(pa, pb)
              ? `anchor ${floating.map((p) => `"${p}"`).join(' and ')} at the root with a leading "/" (e.g. "${anchorAtRoot(floating[0]!)}"), or`
              : floating.includes('**')
                ? '"**" owns every path, so it overlaps any other pattern:'
                : 'one contains the other:';
          problems.push({
            file,
            path: `workers[${a.index}].owns[${ia}]`,
            message: `"${pa.source}" (${a.worker.id}) and workers[${b.index}].owns[${ib}] "${pb.source}" (${b.worker.id}) could both own a path such as ${JSON.stringify(example)}; ${advice} narrow one of them so no path is owned twice`,
          });
        });
      });
    }
  }
  return problems;
}

/**
 * Workers of another plan set up in the same repository that could own the
 * same paths: both plans' workers would edit them, and the second integrate
 * would conflict. A warning, not an error: the plans may run one after the other.
 */
export function findCrossPlanOverlaps(
  plan: Plan,
  others: readonly { name: string; workers: readonly { id: string; owns: readonly string[] }[] }[],
): string[] {
  const warnings: string[] = [];
  for (const other of others) {
    for (const worker of plan.workers) {
      for (const theirs of other.workers) {
        const example = worker.owns
          .flatMap((a) => theirs.owns.map((b) => [a, b] as const))
          .map(([a, b]) => {
            const pa = parseScopePattern(a);
            const pb = parseScopePattern(b);
            return pa.ok && pb.ok ? findPatternOverlap(pa.pattern, pb.pattern) : null;
          })
          .find((path) => path !== null);
        if (example) {
          warnings.push(
            `${plan.source}: worker "${worker.id}" and worker "${theirs.id}" of plan "${other.name}", also set up here, could both own a path such as ${JSON.stringify(example)}; their branches would conflict at integration (finish or tear down "${other.name}" first, or make the scopes disjoint)`,
          );
        }
      }
    }
  }
  return warnings;
}
