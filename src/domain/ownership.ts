import { isAbsolute, posix, relative, resolve, sep } from 'node:path';
import { matchesScopePattern, parseScopePattern, type ScopePattern } from './scope-pattern.js';

export interface OwnerWorker {
  id: string;
  owns: readonly string[];
}

export interface OwnerAnswer {
  /** The path as given. */
  input: string;
  /** Repository-relative path, or null when it lies outside the repository. */
  path: string | null;
  /** Owning worker id, or null when nobody owns it. */
  owner: string | null;
  /** The pattern that matched. */
  pattern: string | null;
}

/**
 * Turns a path typed in `cwd` into a repository-relative one ('/' separators),
 * or null when it leaves the repository.
 */
export function toRepoPath(input: string, cwd: string, repoRoot: string): string | null {
  const absolute = isAbsolute(input) ? resolve(input) : resolve(cwd, input);
  const rel = relative(repoRoot, absolute);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return null;
  return rel.split(sep).join(posix.sep);
}

export function compileOwners(
  workers: readonly OwnerWorker[],
): { id: string; patterns: ScopePattern[] }[] {
  return workers.map((worker) => ({
    id: worker.id,
    patterns: worker.owns.flatMap((source) => {
      const parsed = parseScopePattern(source);
      return parsed.ok ? [parsed.pattern] : [];
    }),
  }));
}

/** Who owns each path; works for paths that do not exist yet. */
export function findOwners(
  inputs: readonly string[],
  workers: readonly OwnerWorker[],
  place: { cwd: string; repoRoot: string },
): OwnerAnswer[] {
  const compiled = compileOwners(workers);
  return inputs.map((input) => {
    const path = toRepoPath(input, place.cwd, place.repoRoot);
    if (path === null) return { input, path: null, owner: null, pattern: null };
    for (const worker of compiled) {
      const pattern = worker.patterns.find((p) => matchesScopePattern(p, path));
      if (pattern) return { input, path, owner: worker.id, pattern: pattern.source };
    }
    return { input, path, owner: null, pattern: null };
  });
}
