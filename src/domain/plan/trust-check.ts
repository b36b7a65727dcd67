import type { CompiledPlan } from './plan.js';
import { parseScopePattern } from '../scope/scope-pattern.js';

/**
 * Whether the trusted copies of a plan still say what setup wrote. They live
 * in the common git dir, out of every worktree, but any process of the same
 * user can edit them; `pw check` compares them with what pw derives from the
 * plan file, and judges with the plan file's scopes when they differ. Pure.
 */

export interface TrustProblem {
  /** The file that differs. */
  file: string;
  worker: string | null;
  problem: string;
}

function same(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

/** Pathspecs the patterns compile to (as setup compiles them). */
export function compilePathspecs(owns: readonly string[]): string[] | null {
  const out: string[] = [];
  for (const source of owns) {
    const parsed = parseScopePattern(source);
    if (!parsed.ok) return null;
    out.push(...parsed.pattern.pathspecs);
  }
  return out;
}

/**
 * Differences between the trusted plan and the plan file it came from
 * (`fromFile`, compiled now; null when the file cannot be read), and between
 * each worker's stored pathspecs and its patterns.
 */
export function comparePlans(
  trusted: CompiledPlan,
  fromFile: CompiledPlan | null,
  files: { plan: string; source: string },
): TrustProblem[] {
  const problems: TrustProblem[] = [];
  for (const worker of trusted.workers) {
    const compiled = compilePathspecs(worker.owns);
    if (!compiled || !same(compiled, worker.pathspecs)) {
      problems.push({
        file: files.plan,
        worker: worker.id,
        problem: `the pathspecs stored for ${worker.id} do not match its patterns (${worker.owns.join(', ')}): the file was edited`,
      });
    }
  }
  if (!fromFile) return problems;
  for (const worker of fromFile.workers) {
    const stored = trusted.workers.find((w) => w.id === worker.id);
    if (!stored) {
      problems.push({
        file: files.plan,
        worker: worker.id,
        problem: `${files.source} has worker ${worker.id}, the trusted plan does not`,
      });
    } else if (!same(stored.owns, worker.owns) || stored.branch !== worker.branch) {
      problems.push({
        file: files.plan,
        worker: worker.id,
        problem: `${worker.id} owns ${stored.owns.join(', ')} in the trusted plan but ${worker.owns.join(', ')} in ${files.source}`,
      });
    }
  }
  for (const stored of trusted.workers) {
    if (!fromFile.workers.some((w) => w.id === stored.id)) {
      problems.push({
        file: files.plan,
        worker: stored.id,
        problem: `the trusted plan has worker ${stored.id}, ${files.source} does not`,
      });
    }
  }
  return problems;
}

/**
 * The plan to judge with: the trusted one, with each worker's patterns taken
 * from the plan file where the two disagree (an edit of the trusted copy must
 * not widen a scope). Workers only the file knows are not judged: they have
 * no branch yet.
 */
export function planToJudge(trusted: CompiledPlan, fromFile: CompiledPlan | null): CompiledPlan {
  if (!fromFile) return trusted;
  return {
    ...trusted,
    workers: trusted.workers.map((worker) => {
      const file = fromFile.workers.find((w) => w.id === worker.id);
      return file ? { ...worker, owns: file.owns, pathspecs: file.pathspecs } : worker;
    }),
  };
}
