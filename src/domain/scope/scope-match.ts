import { didYouMean } from '../plan/did-you-mean.js';
import { compileGlobs, parseScopePattern, toBytes, type ScopePattern } from './scope-pattern.js';

/** True when `path` (repository-relative, '/'-separated, no leading '/') is owned by the pattern. */
export function matchesScopePattern(pattern: ScopePattern, path: string): boolean {
  return matchesPath(pattern, path, toBytes(path));
}

function matchesPath(pattern: ScopePattern, path: string, bytes: string): boolean {
  // git quirk: match_pathspec_item (git's dir.c) compares the pathspec's TEXT
  // with the path before running wildmatch, and a path equal to that text, or
  // inside a directory it names, matches even when the glob would not: so
  // `:(top,glob)docs/*` also owns `docs/*` + `/x`, and `:(top,glob)a[bc]` the
  // file `a[bc]`. Every glob text is a possible path, so no rewrite of the
  // glob avoids it; the matcher follows git so the two never disagree.
  return compileGlobs(pattern).some(
    ({ glob, regex }) => path === glob || path.startsWith(`${glob}/`) || regex.test(bytes),
  );
}

/**
 * The files of `files` each worker owns, in worker order: what
 * `git ls-files -- <the worker's pathspecs>` lists, computed in one pass
 * (each path converted once). A pattern that does not parse owns nothing.
 */
export function matchOwnedFiles(
  files: readonly string[],
  workers: readonly { owns: readonly string[] }[],
): string[][] {
  const patterns = workers.map((worker) =>
    worker.owns.flatMap((source) => {
      const parsed = parseScopePattern(source);
      return parsed.ok ? [parsed.pattern] : [];
    }),
  );
  const owned = workers.map((): string[] => []);
  for (const path of files) {
    const bytes = toBytes(path);
    patterns.forEach((list, i) => {
      if (list.some((pattern) => matchesPath(pattern, path, bytes))) owned[i]!.push(path);
    });
  }
  return owned;
}

/**
 * The patterns that own none of `files` (the tracked files of the base), by
 * worker and position in its `owns`: most often a typo (`/scr/api/`), or a
 * folder the worker is yet to create. Each file is tested only against the
 * patterns nothing has matched so far.
 */
export function findPatternsOwningNothing(
  files: readonly string[],
  workers: readonly { owns: readonly string[] }[],
): { worker: number; index: number; source: string }[] {
  let left = workers.flatMap((worker, w) =>
    worker.owns.flatMap((source, index) => {
      const parsed = parseScopePattern(source);
      return parsed.ok ? [{ worker: w, index, source, pattern: parsed.pattern }] : [];
    }),
  );
  for (const path of files) {
    if (left.length === 0) break;
    const bytes = toBytes(path);
    left = left.filter((p) => !matchesPath(p.pattern, path, bytes));
  }
  return left.map(({ worker, index, source }) => ({ worker, index, source }));
}

/**
 * The literal patterns that own no tracked file and are one typo away from a
 * path that exists (`/scr/api/` beside `src/api/`): a pattern for files the
 * worker will create is not one.
 */
export function findLikelyTypos(
  files: readonly string[],
  workers: readonly { owns: readonly string[] }[],
): { worker: number; index: number; source: string; near: string }[] {
  const empty = findPatternsOwningNothing(files, workers).filter(
    (p) => !/[*?[\]\\]/.test(p.source),
  );
  if (empty.length === 0) return [];
  const folders = new Set<string>();
  for (const file of files)
    for (let at = file.indexOf('/'); at !== -1; at = file.indexOf('/', at + 1))
      folders.add(file.slice(0, at));
  // Paths split once, by depth: a plan may name many files still to be written.
  const byDepth = (paths: Iterable<string>): Map<number, string[][]> => {
    const out = new Map<number, string[][]>();
    for (const path of paths) {
      const split = path.split('/');
      const list = out.get(split.length) ?? [];
      list.push(split);
      out.set(split.length, list);
    }
    return out;
  };
  const folderPaths = byDepth(folders);
  const filePaths = byDepth(files);
  return empty.flatMap((p) => {
    const folder = p.source.endsWith('/');
    const segments = p.source.replace(/^\//, '').replace(/\/$/, '').split('/');
    const candidates = [
      ...(folderPaths.get(segments.length) ?? []),
      ...(folder ? [] : (filePaths.get(segments.length) ?? [])),
    ];
    // One segment off by a typo, the others equal: "scr/core" for "src/core".
    const found = candidates.find((other) => {
      const differ = segments.flatMap((segment, i) => (segment === other[i] ? [] : [i]));
      return (
        differ.length === 1 && didYouMean(segments[differ[0]!]!, [other[differ[0]!]!]) !== null
      );
    });
    if (found === undefined) return [];
    const shown = `${p.source.startsWith('/') ? '/' : ''}${found.join('/')}${folder ? '/' : ''}`;
    return [{ ...p, near: shown }];
  });
}
