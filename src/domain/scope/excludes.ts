import { excludePathspecs, parseScopePattern } from './scope-pattern.js';

/**
 * The pathspecs that, after `:/`, leave exactly the paths OUTSIDE a worker's
 * scope: `git diff ... -- ':/' <these>` lists what the worker must not touch.
 * Compiled from the patterns themselves (not from a stored pathspec list), so
 * a hand-edited pathspec file cannot widen a scope. Throws on a pattern that
 * setup would have rejected: a trusted plan never holds one.
 */
export function scopeExcludePathspecs(owns: readonly string[]): string[] {
  return owns.flatMap((source) => {
    const parsed = parseScopePattern(source);
    if (!parsed.ok) throw new Error(`invalid scope pattern in a trusted plan: ${parsed.problem}`);
    return excludePathspecs(parsed.pattern);
  });
}
