import type { AttemptRecord } from '../../domain/run/run-record.js';
import type { TranscriptEntry } from '../../domain/run/transcript.js';
import { neutralize } from './run-view.js';

export interface TranscriptView {
  worker: string;
  attempt: AttemptRecord;
  attemptCount: number;
  entries: readonly TranscriptEntry[];
  /** The worker's commits made while the attempt ran, oldest first; null when unknown. */
  commits: readonly { sha: string; subject: string }[] | null;
}

const OUTPUT_LINES = 4;

function lines(text: string, indent: string, max = Infinity): string[] {
  const all = text.replace(/\n+$/, '').split('\n');
  const shown = all.slice(0, max).map((line) => `${indent}${neutralize(line)}`);
  if (all.length > max) shown.push(`${indent}… ${all.length - max} more lines (pw logs --raw)`);
  return shown;
}

/** Longer arguments (the brief or a prompt, often kilobytes) are cut in the view; --raw has them whole. */
const ARG_SHOWN = 120;

/** The `argv: [...]` note with each long argument cut to its start and its length. */
function shortArgv(text: string): string {
  let argv: unknown;
  try {
    argv = JSON.parse(text.slice('argv: '.length));
  } catch {
    return text;
  }
  if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) return text;
  const shown = (argv as string[]).map((arg) =>
    arg.length > ARG_SHOWN + 40
      ? `${arg.slice(0, ARG_SHOWN)}… (${arg.length.toLocaleString('en-US')} characters; pw logs --raw shows it whole)`
      : arg,
  );
  return `argv: ${JSON.stringify(shown)}`;
}

function clock(iso: string | null): string {
  return iso ? iso.slice(11, 19) : '…';
}

function heading(view: TranscriptView): string {
  const a = view.attempt;
  const parts = [
    `${view.worker} · attempt ${a.n} of ${view.attemptCount}${a.resume ? ' (resumed)' : ''}`,
    `${a.startedAt.slice(0, 10)} ${clock(a.startedAt)} → ${a.endedAt ? clock(a.endedAt) : 'still running'}`,
  ];
  if (a.exitCode !== null) parts.push(`exit ${a.exitCode}`);
  if (a.signal) parts.push(`signal ${a.signal}`);
  if (a.category) parts.push(a.category);
  return parts.join(' · ');
}

function resultLine(entry: Extract<TranscriptEntry, { type: 'result' }>): string {
  const parts = [entry.ok ? 'result: ok' : 'result: error'];
  if (entry.turns !== null) parts.push(`${entry.turns} turns`);
  if (entry.inputTokens !== null || entry.outputTokens !== null)
    parts.push(
      `${(entry.inputTokens ?? 0).toLocaleString('en-US')} in / ${(entry.outputTokens ?? 0).toLocaleString('en-US')} out tokens`,
    );
  if (entry.costUsd !== null) parts.push(`$${entry.costUsd.toFixed(4)}`);
  return parts.join(' · ');
}

/** One attempt of an agent, for a person: every agent-made string is shown with control characters escaped. */
export function renderTranscript(view: TranscriptView): string {
  return `${[heading(view), ...renderEntries(view.entries), ...renderCommits(view.commits)].join('\n')}\n`;
}

/** Transcript entries as lines (also for `pw logs --follow`, a few at a time). */
export function renderEntries(entries: readonly TranscriptEntry[]): string[] {
  const out: string[] = [];
  for (const entry of entries) {
    switch (entry.type) {
      case 'note':
        if (entry.text.startsWith('argv: ')) out.push(...lines(shortArgv(entry.text), '  '));
        break;
      case 'session':
        out.push(
          `  session ${neutralize(entry.id)}${entry.model ? ` (${neutralize(entry.model)})` : ''}`,
        );
        break;
      case 'text':
        out.push('  said:', ...lines(entry.text, '    '));
        break;
      case 'tool':
        out.push(`  ran ${neutralize(entry.name)}: ${neutralize(entry.detail)}`.trimEnd());
        break;
      case 'tool-result':
        out.push(
          `    → ${entry.ok ? 'ok' : 'failed'}${entry.exitCode !== null ? ` (exit ${entry.exitCode})` : ''}`,
          ...lines(entry.output, '      ', OUTPUT_LINES),
        );
        break;
      case 'result':
        out.push(`  ${resultLine(entry)}`, ...(entry.text ? lines(entry.text, '    ', 6) : []));
        break;
      case 'output':
        out.push(...lines(entry.text, '  | '));
        break;
    }
  }
  return out;
}

export function renderCommits(commits: TranscriptView['commits']): string[] {
  if (commits === null) return ['commits: unknown (the worker branch is gone)'];
  if (commits.length === 0) return ['commits during this attempt: none'];
  return [
    'commits during this attempt:',
    ...commits.map((c) => `  ${c.sha.slice(0, 10)} ${neutralize(c.subject)}`),
  ];
}
