import { isAbsolute, posix, relative, resolve, sep } from 'node:path';
import { matchesScopePattern } from './scope-match.js';
import { parseScopePattern, type ScopePattern } from './scope-pattern.js';

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
  /** For a directory: how many of its tracked files each worker owns (`null`: nobody). */
  directory?: { files: number; owners: { worker: string | null; files: number }[] };
}

/**
 * Who owns what is inside a directory: the owners of its tracked files, or,
 * when it has none, of a new file put there.
 */
export function findDirectoryOwners(
  answer: OwnerAnswer,
  trackedFiles: readonly string[],
  workers: readonly OwnerWorker[],
  place: { cwd: string; repoRoot: string },
): OwnerAnswer {
  if (answer.path === null) return answer;
  const dir = answer.path.replace(/\/+$/, '');
  const files = trackedFiles.filter((file) => file.startsWith(`${dir}/`));
  const probes = files.length ? files : [`${dir}/new-file`];
  const counts = new Map<string | null, number>();
  const owners = findOwners(probes, workers, { cwd: place.repoRoot, repoRoot: place.repoRoot });
  for (const owner of owners) counts.set(owner.owner, (counts.get(owner.owner) ?? 0) + 1);
  const list = [...counts]
    .map(([worker, count]) => ({ worker, files: count }))
    .sort((a, b) => b.files - a.files);
  const only = list.length === 1 ? list[0]!.worker : null;
  return {
    ...answer,
    path: `${dir}/`,
    owner: only,
    pattern: only !== null ? (owners[0]?.pattern ?? null) : null,
    directory: { files: files.length, owners: list },
  };
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

/** Each repository path (as git prints it, from the top) with the worker that owns it, or null. */
export function ownersOfPaths(
  paths: readonly string[],
  workers: readonly OwnerWorker[],
): { path: string; owner: string | null }[] {
  return findOwners(paths, workers, { cwd: '/', repoRoot: '/' }).map((answer, i) => ({
    path: paths[i]!,
    owner: answer.owner,
  }));
}
