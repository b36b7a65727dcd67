/**
 * Titles and descriptions of the pull requests `pw pr` opens. Commit
 * messages and paths are written by workers (agents): they are shown as text
 * only, inside code fences no backtick run can close, with control and bidi
 * characters escaped, so they cannot mention people, link, embed HTML or
 * reorder what a reviewer reads. Pure.
 */
import { escapeTerminal } from '../text/terminal-text.js';

export interface WorkerDescription {
  plan: string;
  worker: string;
  task: string;
  state: string;
  /** The worker's own commits, oldest first: first lines only. */
  headers: string[];
  /** What pw check and pw status find: out-of-scope changes, protocol breaks, open NEEDS, a block. */
  findings: string[];
}

export interface IntegratedDescription {
  plan: string;
  target: string;
  /** The workers merged into the target since the hub's target, with their last subject. */
  workers: { worker: string; subject: string }[];
}

const TITLE_MAX = 200;

/** One line of worker text, safe for a title: no controls, no line breaks, bounded length. */
function oneLine(text: string): string {
  const flat = escapeTerminal(text.replace(/[\r\n]+/g, ' ')).trim();
  return flat.length > TITLE_MAX ? `${flat.slice(0, TITLE_MAX - 1)}…` : flat;
}

/** The subject of a protocol header without its `[KEYWORD]` prefix. */
function subjectOf(header: string): string {
  return header.replace(/^\[[A-Z]+(:[^\]]*)?\]\s*/, '');
}

/** A fenced block of plain text that nothing in `lines` can close. */
export function fence(lines: readonly string[]): string {
  const text = lines.map((l) => escapeTerminal(l)).join('\n');
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const marks = '`'.repeat(Math.max(3, longest + 1));
  return `${marks}text\n${text}\n${marks}`;
}

export function workerTitle(description: WorkerDescription): string {
  const last = description.headers.at(-1);
  return oneLine(`${description.worker}: ${last ? subjectOf(last) : description.task}`);
}

export function workerBody(description: WorkerDescription): string {
  return [
    `Worker \`${description.worker}\` of plan \`${description.plan}\`: ${description.state}, ${description.headers.length} commit${description.headers.length === 1 ? '' : 's'} of its own.`,
    '',
    '### Task',
    '',
    fence(description.task.split('\n')),
    '',
    '### Commits (oldest first)',
    '',
    fence(description.headers),
    '',
    '### Findings',
    '',
    description.findings.length
      ? fence(description.findings)
      : 'None: every commit stays inside the worker’s files and follows the commit protocol.',
    '',
    '<sub>Opened by pw pr. Commit messages are quoted as written by the worker.</sub>',
    '',
  ].join('\n');
}

export function integratedTitle(description: IntegratedDescription): string {
  return oneLine(
    `${description.plan}: integrate ${description.workers.map((w) => w.worker).join(', ')}`,
  );
}

export function integratedBody(description: IntegratedDescription): string {
  return [
    `The workers of plan \`${description.plan}\`, merged in dependency order by pw integrate, for \`${description.target}\`.`,
    '',
    fence(description.workers.map((w) => `${w.worker}: ${w.subject}`)),
    '',
    '<sub>Opened by pw pr --integrated. Subjects are quoted as written by the workers.</sub>',
    '',
  ].join('\n');
}
