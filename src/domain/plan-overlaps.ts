import type { Plan } from './plan.js';
import { findPatternOverlap, parseScopePattern, type ScopePattern } from './scope-pattern.js';
import type { Problem } from './validate-plan.js';

/**
 * Ownership must be exclusive: no tracked file owned by two workers, and no
 * two patterns of different workers that could both own a future path.
 * `trackedByWorker` maps each worker id to the tracked files git matched for it.
 */
export function findOwnershipOverlaps(
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

  const compiled = plan.workers.map((worker, index) => ({
    worker,
    index,
    patterns: worker.owns
      .map((source) => parseScopePattern(source))
      .map((parsed) => (parsed.ok ? parsed.pattern : null)),
  }));
  for (let i = 0; i < compiled.length; i++) {
    for (let j = i + 1; j < compiled.length; j++) {
      const a = compiled[i]!;
      const b = compiled[j]!;
      a.patterns.forEach((pa, ia) => {
        b.patterns.forEach((pb, ib) => {
          if (!pa || !pb) return;
          const example = findPatternOverlap(pa as ScopePattern, pb as ScopePattern);
          if (example === null) return;
          problems.push({
            file: plan.source,
            path: `workers[${a.index}].owns[${ia}]`,
            message: `"${pa.source}" (${a.worker.id}) and workers[${b.index}].owns[${ib}] "${pb.source}" (${b.worker.id}) could both own a path such as ${JSON.stringify(example)}; make the patterns disjoint (e.g. anchor them with a leading "/" or name distinct folders)`,
          });
        });
      });
    }
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
