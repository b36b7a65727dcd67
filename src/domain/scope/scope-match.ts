import { compileGlobs, toBytes, type ScopePattern } from './scope-pattern.js';

/** True when `path` (repository-relative, '/'-separated, no leading '/') is owned by the pattern. */
export function matchesScopePattern(pattern: ScopePattern, path: string): boolean {
  const bytes = toBytes(path);
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
