import { findOwners, type OwnerWorker } from './ownership.js';
import { parseCommitMessage } from '../protocol/protocol.js';

/**
 * The judgement behind `pw check`, the hooks' slow path and integrate's gate
 * (DESIGN.md section 5). Pure: `src/git/find-violations.ts` reads git and
 * hands the facts in.
 *
 * Whose commit is it? (domain/history/own-commits.ts names this notion and
 * the first-parent one status uses.) A commit is a worker's own when it is reachable from
 * that worker's branch and NOT from the base (or the target). A commit
 * reachable from several worker branches (a provider's branch merged in)
 * belongs to the worker(s) on whose first-parent line it lies; when that
 * leaves several (one fast-forwarded to the other's tip), the commit is
 * shared and a path counts as out of scope only if it is outside EVERY such
 * worker's scope. (Moving another worker's branch is refused by the hooks of
 * a worker worktree, so sharing cannot be forced from there.) Reachability, not first parents alone, decides, so a
 * commit hidden on the second-parent side of a worker's own merge is still
 * judged.
 */

export type ViolationKind = 'scope' | 'protocol';

export interface Violation {
  /** The worker whose own commit it is (the first in plan order when shared). */
  worker: string;
  commit: string;
  kind: ViolationKind;
  /** kind 'scope': the repository path outside the scope (renames count old and new path). */
  path?: string;
  /** kind 'scope': the worker owning `path`, or null when nobody owns it. */
  owner?: string | null;
  /** The commit's first line. */
  header?: string;
  /** One sentence: what is wrong. */
  problem: string;
}

export interface DagCommit {
  sha: string;
  parents: readonly string[];
  /** The full message as git stores it. */
  message: string;
}

/** Commits in the order git listed them; a parent outside the map is the boundary (the base). */
export type CommitDag = ReadonlyMap<string, DagCommit>;

export interface JudgeInput {
  dag: CommitDag;
  /** Owners of the commits to judge (from attributeCommits, narrowed to a worker or range). */
  owners: ReadonlyMap<string, readonly string[]>;
  /** Per worker, per commit: the paths the commit changes outside that worker's scope. */
  outside: ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;
  /** Every worker of the plan, in plan order, with its patterns (for owners of paths and NEEDS). */
  workers: readonly OwnerWorker[];
  kinds: readonly ViolationKind[];
}

/** The violations of the given commits, per worker in plan order, oldest commit first. */
export function judgeCommits(input: JudgeInput): Violation[] {
  const ids = input.workers.map((w) => w.id);
  const order = [...input.dag.keys()].reverse();
  const violations: Violation[] = [];
  // Owners are looked up once for every out-of-scope path (compiling the patterns is the costly part).
  const unowned: Violation[] = [];
  for (const sha of order) {
    const owners = input.owners.get(sha);
    if (!owners?.length) continue;
    const worker = owners[0]!;
    const commit = input.dag.get(sha)!;
    const header = commit.message.split('\n', 1)[0]!.trim();
    if (input.kinds.includes('scope')) {
      let paths: readonly string[] | null = null;
      for (const owner of owners) {
        const out = input.outside.get(owner)?.get(sha) ?? [];
        paths = paths === null ? out : paths.filter((p) => out.includes(p));
      }
      for (const path of paths ?? []) {
        const violation: Violation = {
          worker,
          commit: sha,
          kind: 'scope',
          path,
          owner: null,
          header,
          problem: '',
        };
        violations.push(violation);
        unowned.push(violation);
      }
    }
    if (input.kinds.includes('protocol')) {
      const parsed = parseCommitMessage(commit.message, { workers: ids, self: worker });
      if (parsed.type === 'invalid') {
        violations.push({ worker, commit: sha, kind: 'protocol', header, problem: parsed.problem });
      }
    }
  }
  if (unowned.length) {
    const paths = [...new Set(unowned.map((v) => v.path!))];
    const answers = findOwners(paths, input.workers, { cwd: '/', repoRoot: '/' });
    const ownerOf = new Map(paths.map((path, i) => [path, answers[i]?.owner ?? null]));
    for (const v of unowned) {
      const owner = ownerOf.get(v.path!) ?? null;
      v.owner = owner;
      v.problem = `changes ${v.path}, which ${owner ? `belongs to ${owner}` : 'is owned by nobody'}`;
    }
  }
  const rank = new Map(ids.map((id, i) => [id, i]));
  return violations.sort((a, b) => (rank.get(a.worker) ?? 0) - (rank.get(b.worker) ?? 0));
}

/**
 * Paths named by the `diff --cc <path>` headers of `git diff-tree --cc -p`:
 * the paths where a merge differs from every parent hunk by hunk (git-diff(1),
 * "COMBINED DIFF FORMAT"). A clean merge of two sides' edits is not listed.
 */
export function parseDenseCombinedPaths(patch: string): string[] {
  const paths: string[] = [];
  for (const line of patch.split('\n')) {
    if (line.startsWith('diff --cc ')) paths.push(unquoteGitPath(line.slice('diff --cc '.length)));
  }
  return paths;
}

const ESCAPES: Record<string, number> = {
  a: 7,
  b: 8,
  t: 9,
  n: 10,
  v: 11,
  f: 12,
  r: 13,
  '"': 34,
  '\\': 92,
};

/** A path as git prints it in a patch header: as is, or C-quoted with octal escapes for bytes (git-config(1), core.quotePath). */
export function unquoteGitPath(text: string): string {
  if (!text.startsWith('"') || !text.endsWith('"') || text.length < 2) return text;
  const bytes: number[] = [];
  const inner = text.slice(1, -1);
  for (let i = 0; i < inner.length; i++) {
    const char = inner[i]!;
    if (char !== '\\') {
      bytes.push(...Buffer.from(char, 'utf8'));
      continue;
    }
    const next = inner[i + 1] ?? '';
    if (/[0-7]/.test(next)) {
      bytes.push(parseInt(inner.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      bytes.push(ESCAPES[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** `A..B` (or a single revision B, meaning everything B has): the two ends, or null when malformed. */
export function parseRange(range: string): { from: string | null; to: string } | null {
  if (range.includes('...')) return null;
  const parts = range.split('..');
  if (parts.length === 1) return parts[0] ? { from: null, to: parts[0] } : null;
  if (parts.length !== 2) return null;
  const [from = '', to = ''] = parts;
  return { from: from || 'HEAD', to: to || 'HEAD' };
}
