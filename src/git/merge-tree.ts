import { GitError } from '../errors.js';
import { startGitSession, type GitSession } from './git-session.js';
import { runGit, splitNul } from './run-git.js';

import type { MergeMessage } from '../domain/integrate/merge-message.js';

export type { MergeMessage } from '../domain/integrate/merge-message.js';

export interface MergeTreeResult {
  /** True only when merge-tree exited 0. */
  clean: boolean;
  /** The merged tree; with conflicts it holds the conflict markers. */
  tree: string;
  /** Paths with conflicts, from git's list and, when that is empty, from its conflict messages. */
  conflictedPaths: string[];
  messages: MergeMessage[];
}

/**
 * Parses `git merge-tree --write-tree -z --name-only --messages` output
 * (git-merge-tree(1), "OUTPUT"): the tree, NUL; the conflicted paths, each
 * NUL-terminated; an empty field; then per message `<n>NUL<path>NUL...<type>NUL<text>NUL`.
 * Cleanliness comes from the exit status (0 clean, 1 conflicts), not from an
 * empty path list: some conflicts (e.g. a rename/rename) need not list a path.
 */
export function parseMergeTree(stdout: string, exitCode: number): MergeTreeResult {
  const fields = stdout.split('\0');
  const tree = fields[0]!.trim();
  let i = 1;
  const paths: string[] = [];
  while (i < fields.length && fields[i] !== '') paths.push(fields[i++]!);
  i++;
  const messages: MergeMessage[] = [];
  while (i < fields.length && fields[i] !== '') {
    const count = Number(fields[i++]);
    if (!Number.isInteger(count) || count < 0) break;
    const messagePaths = fields.slice(i, i + count);
    i += count;
    const type = fields[i++] ?? '';
    const text = (fields[i++] ?? '').replace(/\n$/, '');
    messages.push({ paths: messagePaths, type, text });
  }
  const clean = exitCode === 0;
  let conflictedPaths = [...new Set(paths)];
  if (!clean && conflictedPaths.length === 0) {
    conflictedPaths = [
      ...new Set(messages.filter((m) => m.type.startsWith('CONFLICT')).flatMap((m) => m.paths)),
    ];
  }
  return { clean, tree, conflictedPaths, messages };
}

/**
 * Merges two commits in memory (`git merge-tree --write-tree`, git 2.38+):
 * writes the result tree to the object database and touches no worktree,
 * index or ref. The merge base is the one git computes from the two commits.
 */
export async function mergeTree(
  cwd: string,
  ours: string,
  theirs: string,
): Promise<MergeTreeResult> {
  const { stdout, exitCode } = await runGit(
    ['merge-tree', '--write-tree', '-z', '--name-only', '--messages', ours, theirs],
    // Exit 1 means "conflicts", an answer; anything else is an error (git-merge-tree(1), "EXIT STATUS").
    { cwd, okExitCodes: [1] },
  );
  const result = parseMergeTree(stdout, exitCode);
  if (!/^[0-9a-f]{40,64}$/.test(result.tree)) {
    throw new GitError(
      ['merge-tree', '--write-tree', ours, theirs],
      exitCode,
      `unexpected output: ${splitNul(stdout)[0] ?? ''}`,
    );
  }
  return result;
}

/** A merge of a session: the tree when clean; everything, as mergeTree gives it, when not. */
export type SessionMerge =
  { clean: true; tree: string } | { clean: false; result: MergeTreeResult };

export interface MergeTreeSession {
  /** mergeTree(cwd, ours, theirs), through the session's git. */
  merge(ours: string, theirs: string): Promise<SessionMerge>;
  close(): Promise<void>;
}

/**
 * Merges one after another through ONE `git merge-tree --write-tree --stdin`
 * (git 2.39+; git-merge-tree(1), "--stdin"): one line per merge, the answers
 * in order, each `<1 clean, 0 conflicts>NUL<tree>NUL<paths>NUL...NUL<messages>NUL`.
 * A chain of merges where each merges onto the last result's commit saves a
 * git start per merge.
 *
 * git writes an answer when it flushes its output, which it does after the
 * messages of each merge (with --messages; not a documented promise), except
 * the answer's last NUL. So a clean answer is taken as soon as its status
 * and tree came, and the rest of it read before the next one; a conflicted
 * one after closing git's input, which makes git finish and flush. When an
 * answer does not come within `waitMs` (a slow merge, or a git that does not
 * flush), git's input is closed the same way, and the merges after it run
 * one `git merge-tree` each, as they do when the session fails (git 2.38).
 * Either way each merge gets the answer mergeTree gives.
 */
export function openMergeTreeSession(
  cwd: string,
  options: { waitMs?: number } = {},
): MergeTreeSession {
  const waitMs = options.waitMs ?? 1000;
  let session: GitSession | null = null;
  /** The session still takes merges. */
  let open = true;
  /** After a clean answer: the fields of it not read yet (its paths, messages and last NUL). */
  let tail = false;
  let queue: Promise<unknown> = Promise.resolve();

  const alone = async (ours: string, theirs: string): Promise<SessionMerge> => {
    const result = await mergeTree(cwd, ours, theirs);
    return result.clean ? { clean: true, tree: result.tree } : { clean: false, result };
  };
  const finish = async (): Promise<void> => {
    open = false;
    await session?.end();
  };
  /** The next field; on a timeout, closes git's input (it finishes, flushes and exits) and reads on. */
  const next = async (): Promise<string | null> => {
    const field = await session!.nextField(waitMs);
    if (field !== 'timeout') return field;
    await finish();
    const late = await session!.nextField(0);
    return late === 'timeout' ? null : late;
  };
  /** Fields up to the next empty one (a list of paths, or of messages); null at the end of output. */
  const list = async (): Promise<string[] | null> => {
    const out: string[] = [];
    for (let field = await next(); field !== ''; field = await next()) {
      if (field === null) return null;
      out.push(field);
    }
    return out;
  };

  const merge = async (ours: string, theirs: string): Promise<SessionMerge> => {
    if (!open) return alone(ours, theirs);
    session ??= startGitSession(
      ['merge-tree', '--write-tree', '--stdin', '-z', '--name-only', '--messages'],
      { cwd },
    );
    session.write(`${ours} ${theirs}\n`);
    if (tail) {
      tail = false;
      if ((await list()) === null || (await list()) === null) {
        await finish();
        return alone(ours, theirs);
      }
    }
    const status = await next();
    const tree = status === null ? null : await next();
    if ((status !== '0' && status !== '1') || tree === null || !/^[0-9a-f]{40,64}$/.test(tree)) {
      // No answer: git failed (no --stdin before 2.39, a bad commit). Alone, the merge says why.
      await finish();
      return alone(ours, theirs);
    }
    if (status === '1') {
      tail = true;
      return { clean: true, tree };
    }
    await finish();
    const paths = await list();
    const messages = paths === null ? null : await list();
    if (messages === null) return alone(ours, theirs);
    return {
      clean: false,
      result: parseMergeTree([tree, ...paths!, '', ...messages, ''].join('\0'), 1),
    };
  };

  return {
    merge(ours, theirs) {
      const result = queue.then(() => merge(ours, theirs));
      queue = result.catch(() => undefined);
      return result;
    },
    async close() {
      await queue;
      await finish();
    },
  };
}
