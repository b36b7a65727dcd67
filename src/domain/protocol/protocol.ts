import { CommitParser } from 'conventional-commits-parser';
import { trailerValues } from './trailers.js';
import {
  describeTerminalControl,
  findTerminalControl,
  stripTerminalControls,
} from '../text/terminal-text.js';

/** The four status keywords of the commit protocol (DESIGN.md section 4). */
export type ProtocolKind = 'CHECKPOINT' | 'BLOCKED' | 'NEEDS' | 'COMPLETE';

export type ProtocolHeader =
  | { kind: 'CHECKPOINT'; subject: string }
  | { kind: 'BLOCKED'; reason: string; subject: string }
  | { kind: 'NEEDS'; worker: string; item: string; subject: string }
  | { kind: 'COMPLETE'; subject: string };

/** Messages git writes itself, or that rewrite other commits, pass without a prefix. */
export type ExemptKind = 'merge' | 'fixup' | 'squash' | 'amend' | 'revert';

export type ParsedMessage =
  | { type: 'protocol'; header: ProtocolHeader; provides: string[] }
  | { type: 'exempt'; exempt: ExemptKind }
  | { type: 'invalid'; header: string; problem: string; suggestion: string | null };

// Keyword, then the bracket argument, then the subject. Loose on purpose (any
// case, any spacing): the parser only splits, validateHeader decides.
const HEADER_PATTERN = /^\s*\[\s*([A-Za-z]+)\s*(?::([^\]]*))?\]\s*(.*)$/;
const parser = new CommitParser({
  headerPattern: HEADER_PATTERN,
  headerCorrespondence: ['type', 'scope', 'subject'],
  // Our trailers are read below; the parser's note and reference detection is not used.
  noteKeywords: [],
  issuePrefixes: ['(?!)'],
  referenceActions: [],
});

export const PROTOCOL_GRAMMAR = [
  '[CHECKPOINT] <subject>            progress; carry on',
  '[BLOCKED:<reason>] <subject>      cannot go on until <reason> is resolved',
  '[NEEDS:<worker>/<item>] <subject> needs <item> from <worker>; may carry on',
  '[COMPLETE] <subject>              the task is done',
];

const KEYWORDS: readonly ProtocolKind[] = ['CHECKPOINT', 'BLOCKED', 'NEEDS', 'COMPLETE'];

/** The lines git keeps of a message: comments (with `commentChar`) and everything below the scissors line removed. */
export function stripMessage(raw: string, commentChar = '#'): string {
  const lines = raw.replace(/\r\n/g, '\n').split('\n');
  const kept: string[] = [];
  const scissors = `${commentChar} ------------------------ >8 ------------------------`;
  for (const line of lines) {
    if (line === scissors) break;
    if (commentChar !== '' && line.startsWith(commentChar)) continue;
    kept.push(line);
  }
  return kept
    .join('\n')
    .replace(/^\s*\n/, '')
    .trimEnd();
}

function exemptKind(header: string): ExemptKind | null {
  if (
    /^Merge (branch|branches|remote-tracking branch|tag|commit|pull request|[0-9a-f]{7,40}\b)/.test(
      header,
    )
  )
    return 'merge';
  if (header.startsWith('fixup! ')) return 'fixup';
  if (header.startsWith('squash! ')) return 'squash';
  if (header.startsWith('amend! ')) return 'amend';
  if (/^Revert ".*"$/.test(header) || header.startsWith('Revert "')) return 'revert';
  return null;
}

/** The items of a message's `Provides:` trailers (git's trailer rules), comma-separated. */
export function parseProvides(message: string): string[] {
  return trailerValues(message, 'Provides')
    .flatMap((value) => value.split(','))
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/**
 * Parses and validates a commit message against the protocol. `workers` is the
 * plan's worker ids and `self` the committer, for the NEEDS rules; pass null
 * to skip those checks.
 */
export function parseCommitMessage(
  message: string,
  context: { workers: readonly string[] | null; self: string | null } = {
    workers: null,
    self: null,
  },
): ParsedMessage {
  const header = message.split('\n', 1)[0]!.trim();
  const control = findTerminalControl(header);
  if (control !== null) {
    const clean = stripTerminalControls(header).trim();
    const cleanParse = clean === '' ? null : parseCommitMessage(clean, context);
    return {
      type: 'invalid',
      header,
      problem: `the first line holds a control or bidi character (${describeTerminalControl(control)}), which would act on the terminal of whoever reads it: write plain text`,
      suggestion:
        cleanParse?.type === 'protocol'
          ? clean
          : cleanParse?.type === 'invalid'
            ? cleanParse.suggestion
            : suggestHeader(clean, context),
    };
  }
  const exempt = exemptKind(header);
  if (exempt) return { type: 'exempt', exempt };
  const invalid = (problem: string): ParsedMessage => ({
    type: 'invalid',
    header,
    problem,
    suggestion: suggestHeader(header, context),
  });
  if (header === '') return invalid('the message is empty');
  const commit = parser.parse(header);
  const keyword = commit.type;
  if (!keyword || !HEADER_PATTERN.test(header)) {
    return invalid(
      'the first line does not start with [CHECKPOINT], [BLOCKED:<reason>], [NEEDS:<worker>/<item>] or [COMPLETE]',
    );
  }
  if (!header.startsWith('['))
    return invalid('the status prefix must be the very first thing on the line');
  const upper = keyword.toUpperCase() as ProtocolKind;
  if (!KEYWORDS.includes(upper)) return invalid(`"${keyword}" is not a status keyword`);
  if (keyword !== upper) return invalid(`the keyword must be upper case: [${upper}...]`);
  const argument = commit.scope;
  const subject = (commit.subject ?? '').trim();
  if (subject === '')
    return invalid('the subject after the bracket is empty: say what this commit does');
  const provides = parseProvides(message);
  switch (upper) {
    case 'CHECKPOINT':
    case 'COMPLETE':
      if (argument !== null && argument !== undefined)
        return invalid(`[${upper}] takes no ":" argument`);
      return { type: 'protocol', header: { kind: upper, subject }, provides };
    case 'BLOCKED': {
      const reason = (argument ?? '').trim();
      if (reason === '') return invalid('[BLOCKED:<reason>] needs a reason after the colon');
      return { type: 'protocol', header: { kind: 'BLOCKED', reason, subject }, provides };
    }
    case 'NEEDS': {
      const text = (argument ?? '').trim();
      const slash = text.indexOf('/');
      const worker = slash === -1 ? '' : text.slice(0, slash).trim();
      const item = slash === -1 ? '' : text.slice(slash + 1).trim();
      if (slash === -1 || worker === '' || item === '') {
        return invalid('[NEEDS:<worker>/<item>] needs a worker id and an item, separated by "/"');
      }
      const problem = checkNeedsTarget(worker, context);
      if (problem) return invalid(problem);
      return { type: 'protocol', header: { kind: 'NEEDS', worker, item, subject }, provides };
    }
  }
}

/**
 * Why a NEEDS header may not name `worker` (not in the plan, or the committer
 * itself), or null when it may. Also used on headers parsed without context,
 * e.g. from a cache of context-free parses.
 */
export function checkNeedsTarget(
  worker: string,
  context: { workers: readonly string[] | null; self: string | null },
): string | null {
  if (context.workers && !context.workers.includes(worker)) {
    return `"${worker}" is not a worker of this plan (workers: ${context.workers.join(', ')})`;
  }
  if (context.self !== null && worker === context.self) {
    const others = context.workers?.filter((w) => w !== context.self) ?? [];
    return `a worker cannot need something from itself${others.length ? ` (other workers: ${others.join(', ')})` : ''}`;
  }
  return null;
}

/** A corrected header built from the attempted one, for the refusal message. */
export function suggestHeader(
  header: string,
  context: { workers: readonly string[] | null; self: string | null },
): string | null {
  const match = /^\s*\[\s*([A-Za-z]+)\s*(?::([^\]]*))?\]\s*(.*)$/.exec(header);
  if (!match) {
    const subject = header.replace(/^\s*\[[^\]]*\]\s*/, '').trim() || 'describe the change';
    const loose = /^\s*(checkpoint|blocked|needs|complete)\b[\s:-]*(.*)$/i.exec(header);
    if (loose)
      return suggestHeader(
        `[${loose[1]!.toUpperCase()}] ${loose[2] || 'describe the change'}`,
        context,
      );
    return `[CHECKPOINT] ${subject}`;
  }
  const keyword = match[1]!.toUpperCase();
  const argument = (match[2] ?? '').trim();
  const subject = match[3]!.trim() || 'describe the change';
  switch (keyword) {
    case 'BLOCKED':
      return `[BLOCKED:${argument || 'what is in the way'}] ${subject}`;
    case 'NEEDS': {
      const [worker = '', ...rest] = argument.split('/');
      // Never guess whom the writer needs something from: a placeholder, the workers named in the problem.
      const known = context.workers?.includes(worker.trim()) && worker.trim() !== context.self;
      return `[NEEDS:${known ? worker.trim() : '<worker>'}/${rest.join('/').trim() || 'item'}] ${subject}`;
    }
    case 'COMPLETE':
      return `[COMPLETE] ${subject}`;
    default:
      return `[CHECKPOINT] ${subject}`;
  }
}
