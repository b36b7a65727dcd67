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
