import { PROTOCOL_GRAMMAR } from '../../domain/protocol/protocol.js';
import { shQuote } from '../../domain/setup/shell-quote.js';
import { escapeTerminal } from '../../domain/text/terminal-text.js';
import type { Violation } from '../../domain/scope/violations.js';

/**
 * Every message the hooks print when they refuse something, and `pw check`'s
 * report. Each says what was refused, where, and what to do next, in words
 * an agent can act on.
 */

export interface WorkerScope {
  plan: string;
  worker: string;
  owns: readonly string[];
}

export interface PathOwner {
  path: string;
  owner: string | null;
}

function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`;
}

/** A path as a shell word: bare when safe, quoted otherwise; never taken for an option. */
function shellPath(path: string): string {
  return /^[A-Za-z0-9_./@%+=:,-]+$/.test(path) && !path.startsWith('-') ? path : shQuote(path);
}

function ownerText(owner: string | null): string {
  return owner ? `owned by ${owner}` : 'owned by nobody (read-only for every worker)';
}

function pathRows(paths: readonly PathOwner[], indent = '  '): string[] {
  const width = Math.min(60, Math.max(...paths.map((p) => escapeTerminal(p.path).length)));
  return paths.map((p) => `${indent}${escapeTerminal(p.path).padEnd(width)}  ${ownerText(p.owner)}`);
}

function ownsLine(scope: WorkerScope): string {
  if (scope.owns.length === 0)
    return `Worker ${scope.worker} owns nothing: it only reads and reports, with status commits (git commit --allow-empty -m "...")`;
  return `Worker ${scope.worker} owns: ${scope.owns.join(', ')}`;
}

/** What to do about paths outside the scope: ask the owners, leave unowned files alone. */
function askOwners(scope: WorkerScope, paths: readonly PathOwner[]): string[] {
  const owners = [...new Set(paths.map((p) => p.owner).filter((o): o is string => o !== null))];
  const lines: string[] = [];
  for (const owner of owners) {
    lines.push(
      `  - you need a change in ${owner}'s files: ask for it, then carry on with your own files:`,
      `      git commit --allow-empty -m "[NEEDS:${owner}/<item>] <what you need from ${owner}>"`,
    );
  }
  if (paths.some((p) => p.owner === null)) {
    lines.push(
      '  - files owned by nobody cannot be changed by any worker: if one must change, say so with',
      '      git commit --allow-empty -m "[BLOCKED:<file> must change] <why>"',
      '    and let the person running the plan decide.',
    );
  }
  lines.push(`  - who owns a path: pw owner <path>   (your brief WORKER.md lists your files)`);
  return lines;
}

/**
 * A commit of staged paths outside the scope (reference-transaction, or the
 * pre-commit of an older pw); `ref`: the branch whose update was refused.
 */
export function renderStagedRefusal(
  scope: WorkerScope,
  paths: readonly PathOwner[],
  ref?: string,
  /**
   * `git commit -a` staged the paths for the refused commit alone: they are not
   * staged now, except `stillStaged`, the ones staged before it.
   */
  options: { commitAll?: boolean; stillStaged?: readonly string[] } = {},
): string {
  const words = escapeTerminal(paths.map((p) => shellPath(p.path)).join(' '));
  const branch = ref ? escapeTerminal(ref.replace(/^refs\/heads\//, '')) : null;
  if (options.commitAll) {
    const staged = options.stillStaged ?? [];
    const stagedWords = escapeTerminal(staged.map(shellPath).join(' '));
    return [
      `pw: commit refused: git commit -a took ${plural(paths.length, 'path', 'paths')} outside the files of worker ${scope.worker} (plan ${scope.plan}).`,
      ...pathRows(paths),
      ownsLine(scope),
      'What to do:',
      ...(staged.length
        ? [`  - unstage what you had staged of them: git restore --staged -- ${stagedWords}`]
        : []),
      '  - commit without -a: git add only your own files, then git commit',
      '    (git restore -- <path> drops an edit from your files; a new file you do not keep is removed with rm)',
      ...askOwners(scope, paths),
      `The update of ${branch ?? 'the branch'} refused: nothing was committed, and your files and index are as they were before git commit -a: ${
        staged.length
          ? `${plural(staged.length, 'path', 'paths')} outside your files ${staged.length === 1 ? 'is' : 'are'} still staged (${stagedWords}).`
          : 'nothing outside your files is staged.'
      }`,
      '',
    ].join('\n');
  }
  return [
    `pw: commit refused: ${plural(paths.length, 'staged path is', 'staged paths are')} outside the files of worker ${scope.worker} (plan ${scope.plan}).`,
    ...pathRows(paths),
    ownsLine(scope),
    'What to do:',
    `  - take ${paths.length === 1 ? 'it' : 'them'} out of this commit: git restore --staged -- ${words}`,
    `    (git restore -- <path> also drops the edit from your files; a renamed file counts as both names)`,
    ...askOwners(scope, paths),
    branch
      ? `The update of ${branch} refused: nothing was committed; everything you staged is still staged.`
      : 'Nothing was committed; everything you staged is still staged.',
    '',
  ].join('\n');
}

/** commit-msg: a first line that breaks the protocol. */
export function renderMessageRefusal(
  scope: WorkerScope,
  refusal: { header: string; problem: string; suggestion: string | null },
): string {
  const example = refusal.suggestion ?? '[CHECKPOINT] <what this commit does>';
  return [
    `pw: commit refused: the message breaks the commit protocol of plan ${scope.plan} (worker ${scope.worker}).`,
    `  first line: ${refusal.header === '' ? '(empty)' : escapeTerminal(refusal.header)}`,
    `  problem:    ${refusal.problem}`,
    'The first line must start with one of:',
    ...PROTOCOL_GRAMMAR.map((line) => `  ${line}`),
    'Merge commits git writes, fixup!/squash!/amend! and Revert messages need no prefix.',
    'Your message, corrected:',
    `  ${escapeTerminal(example)}`,
    example.includes('<worker>')
      ? 'What to do: commit again with that first line, <worker> replaced by the worker you need it from (named above); your staged changes are still staged, e.g.'
      : 'What to do: commit again with that first line (your staged changes are still staged), e.g.',
    `  ${escapeTerminal(`git commit -m ${shQuote(example)}`)}`,
    '',
  ].join('\n');
}

/** One line per commit and path of a refused ref update or push. */
function violationRows(violations: readonly Violation[]): string[] {
  const rows: string[] = [];
  for (const v of violations) {
    const commit = v.commit.slice(0, 12);
    const header = v.header ? ` "${escapeTerminal(v.header).slice(0, 60)}"` : '';
    if (v.kind === 'scope')
      rows.push(`  ${commit}  ${escapeTerminal(v.path ?? '')}  ${ownerText(v.owner ?? null)}`);
    else rows.push(`  ${commit}${header}: ${v.problem}`);
  }
  return rows;
}

/** reference-transaction: a worker branch would take commits that leave the scope. */
export function renderRefUpdateRefusal(
  scope: WorkerScope,
  ref: string,
  violations: readonly Violation[],
): string {
  const commits = new Set(violations.map((v) => v.commit)).size;
  const paths: PathOwner[] = violations.map((v) => ({
    path: v.path ?? '',
    owner: v.owner ?? null,
  }));
  return [
    `pw: update of ${ref.replace(/^refs\/heads\//, '')} refused: ${plural(commits, 'new commit changes', 'new commits change')} files outside the scope of worker ${scope.worker} (plan ${scope.plan}).`,
    ...violationRows(violations),
    ownsLine(scope),
    'This check runs for every way of moving a worker branch (commit --no-verify, cherry-pick, rebase, reset, update-ref, another worktree).',
    'What to do:',
    '  - move the branch only to commits that change nothing outside the scope; if this was a commit,',
    `    unstage those paths (git restore --staged -- <path>) and commit again`,
    ...askOwners(scope, paths),
    'The branch was not moved.',
    '',
  ].join('\n');
}

/** reference-transaction in a worker worktree: it tried to move another worker's branch. */
export function renderForeignBranchRefusal(
  acting: { plan: string; worker: string },
  owner: WorkerScope,
  ref: string,
): string {
  const branch = ref.replace(/^refs\/heads\//, '');
  return [
    `pw: update of ${branch} refused: it is the branch of worker ${owner.worker} (plan ${owner.plan}), and this is the worktree of worker ${acting.worker}.`,
    "A worker commits only to its own branch; only the main worktree may move another worker's branch.",
    'What to do:',
    `  - if you need something from ${owner.worker}, ask for it: git commit --allow-empty -m "[NEEDS:${owner.worker}/<item>] <what you need>"`,
    `  - to use what ${owner.worker} has delivered, merge its branch into yours: git merge ${branch}`,
    `The branch was not moved.`,
    '',
  ].join('\n');
}

/** pre-push / pre-receive: pushed worker branches with violations. */
export function renderPushRefusal(
  where: 'pre-push' | 'pre-receive',
  refused: readonly { scope: WorkerScope; ref: string; violations: readonly Violation[] }[],
): string {
  const lines = [
    where === 'pre-push'
      ? `pw: push refused: ${plural(refused.length, 'worker branch breaks', 'worker branches break')} the plan's rules.`
      : `pw (hub): push refused: ${plural(refused.length, 'worker branch breaks', 'worker branches break')} the plan's rules.`,
  ];
  for (const item of refused) {
    lines.push(
      `${item.ref.replace(/^refs\/heads\//, '')} (worker ${item.scope.worker}, plan ${item.scope.plan}):`,
      ...violationRows(item.violations),
      `  ${ownsLine(item.scope)}`,
    );
  }
  lines.push(
    'What to do:',
    "  - rewrite those commits so they change only the worker's own files and follow the protocol",
    '    (git rebase -i <base>, then edit or reword them), and push again;',
    `  - pw check --plan ${refused[0]?.scope.plan ?? '<plan>'} lists every finding with its commit;`,
    "  - a change in another worker's files is asked for with [NEEDS:<owner>/<item>].",
    'Nothing was pushed.',
    '',
  );
  return lines.join('\n');
}
