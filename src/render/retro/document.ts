/**
 * The retrospective report as a small document (headings, paragraphs, lists,
 * tables), built once and written out as Markdown or HTML, so the two never
 * say different things. Inline text may hold `code` and **bold** only.
 */
import { formatDuration } from '../../domain/plan/duration.js';
import type { Retro, WorkerRetro } from '../../domain/retro/retro.js';

export type RetroBlock =
  | { type: 'heading'; level: 1 | 2 | 3; text: string }
  | { type: 'paragraph'; text: string }
  | { type: 'list'; ordered: boolean; items: { text: string; sub: string[] }[] }
  | { type: 'table'; head: string[]; rows: string[][]; numeric: boolean[] }
  | { type: 'image'; alt: string; src: string };

export interface RetroDocumentOptions {
  /** Where the SVG timeline was written, relative to the report; adds a picture to the report. */
  svgHref?: string | null;
}

const d = formatDuration;
const pct = (ratio: number): string =>
  ratio > 0 && ratio < 0.005 ? '<1%' : `${Math.round(ratio * 100)}%`;
const count = (n: number, word: string, plural = `${word}s`): string =>
  `${n} ${n === 1 ? word : plural}`;

/** `2026-01-05 09:00:00 UTC`: absolute times in UTC, so the report reads the same everywhere. */
export function formatUtc(at: string): string {
  return `${at.slice(0, 10)} ${at.slice(11, 19)} UTC`;
}

export function offsetLabel(retro: Pick<Retro, 'startedAt'>, at: string | null): string {
  if (at === null) return '–';
  return `+${d(Date.parse(at) - Date.parse(retro.startedAt))}`;
}

const STATUS: Record<Retro['status'], string> = {
  'in-flight': 'in flight',
  complete: 'every worker complete',
  integrated: 'integrated',
  'torn-down': 'torn down before every worker completed',
};

function lines(w: WorkerRetro): string {
  return `+${w.files.linesAdded} / -${w.files.linesDeleted}`;
}

function refusalText(byKind: Record<string, number>): string {
  const entries = Object.entries(byKind);
  if (entries.length === 0) return '0';
  return entries.map(([kind, n]) => `${n} ${kind}`).join(', ');
}

function needsText(w: WorkerRetro): string {
  if (w.needs.length === 0) return '0';
  const waited = w.needs.reduce((s, n) => s + n.waitedMs, 0);
  const open = w.needs.filter((n) => n.open).length;
  return `${w.needs.length} (waited ${d(waited)}${open ? `, ${open} open` : ''})`;
}

export function buildRetroDocument(retro: Retro, options: RetroDocumentOptions = {}): RetroBlock[] {
  const blocks: RetroBlock[] = [];
  const off = (at: string | null): string => offsetLabel(retro, at);
  const sofar = retro.status === 'in-flight' ? ' so far' : '';

  blocks.push({ type: 'heading', level: 1, text: `Retrospective: ${retro.plan}` });
  blocks.push({
    type: 'paragraph',
    text:
      `Plan \`${retro.plan}\` on \`${retro.base}\`, ${STATUS[retro.status]}. ` +
      `Started ${formatUtc(retro.startedAt)}${retro.startSource === 'setup' ? '' : ` (${retro.startSource === 'first-commit' ? 'the first commit: the log has no setup event, or commits are dated before it' : 'no setup event and no commit yet'})`}, ` +
      `${d(retro.wallMs)} wall time${sofar} (to ${formatUtc(retro.endedAt)}).` +
      (retro.tornDownAt
        ? ` Torn down ${formatUtc(retro.tornDownAt)}; history read from archive refs.`
        : ''),
  });
  blocks.push({
    type: 'paragraph',
    text:
      `**Parallel speed-up ${retro.speedUp.toFixed(1)}×** (${d(retro.totals.activeMs)} active over ${d(retro.wallMs)} wall) · ` +
      `blocked ${pct(retro.blockedRatio)} of worker time · ${retro.totals.needs} NEEDS (${retro.totals.openNeeds} open) · ` +
      `${count(retro.totals.stalls, 'stall')} · ${count(retro.totals.refusals, 'hook refusal')} · ${count(retro.totals.commits, 'commit')}`,
  });

  blocks.push({ type: 'heading', level: 2, text: 'Findings' });
  blocks.push({
    type: 'list',
    ordered: true,
    items: retro.findings.map((f) => ({
      text: `**${f.title}**`,
      sub: [...f.evidence, `**Next time:** ${f.suggestion}`],
    })),
  });

  if (options.svgHref) {
    blocks.push({ type: 'heading', level: 2, text: 'Timeline' });
    blocks.push({ type: 'image', alt: `Timeline of plan ${retro.plan}`, src: options.svgHref });
  }

  blocks.push({ type: 'heading', level: 2, text: 'Workers: time' });
  blocks.push({
    type: 'paragraph',
    text: `Times are offsets from the start. Active: gaps between commits (the start counting as the first) no longer than the stall threshold, outside blocked spans. Blocked: from each BLOCKED to the next CHECKPOINT or COMPLETE.`,
  });
  blocks.push({
    type: 'table',
    head: [
      'worker',
      'state',
      'first commit',
      'COMPLETE',
      'duration',
      'active',
      'blocked',
      'longest silence',
      'stalls',
    ],
    numeric: [false, false, true, true, true, true, true, true, true],
    rows: retro.workers.map((w) => [
      `\`${w.id}\``,
      w.state,
      w.timeToFirstCommitMs === null ? '–' : `+${d(w.timeToFirstCommitMs)}`,
      w.timeToCompleteMs === null ? '–' : `+${d(w.timeToCompleteMs)}`,
      d(w.durationMs),
      d(w.activeMs),
      w.blockedMs ? d(w.blockedMs) : '0',
      w.longestSilence ? d(w.longestSilence.ms) : '–',
      `${w.stalls.length} (>${d(w.stallAfterMs)})`,
    ]),
  });

  blocks.push({ type: 'heading', level: 2, text: 'Workers: work' });
  blocks.push({
    type: 'table',
    head: [
      'worker',
      'commits',
      'checkpoints',
      'NEEDS raised',
      'provided',
      'refusals',
      'files',
      'lines',
      'out of scope',
      'unprefixed',
      'reopened',
      'conflicts',
      'verify failures',
    ],
    numeric: [false, true, true, false, false, false, true, true, true, true, true, true, true],
    rows: retro.workers.map((w) => [
      `\`${w.id}\``,
      String(w.commits),
      String(w.checkpoints),
      needsText(w),
      w.provided.length ? w.provided.map((p) => p.item).join(', ') : '–',
      refusalText(w.refusals.byKind),
      String(w.files.changed),
      lines(w),
      String(w.outOfScope.length),
      String(w.unprefixed.length),
      String(w.reopened),
      String(w.integrate.conflicts),
      String(w.integrate.verifyFailures),
    ]),
  });

  blocks.push({ type: 'heading', level: 2, text: 'Plan' });
  const cp = retro.criticalPath;
  const { balance, hygiene, integrate } = retro;
  blocks.push({
    type: 'list',
    ordered: false,
    items: [
      `**Wall time:** ${d(retro.wallMs)}${sofar}, from ${formatUtc(retro.startedAt)} to ${formatUtc(retro.endedAt)}.`,
      cp.steps.length
        ? `**Critical path** (through dependsOn and NEEDS): ${cp.steps.map((s) => `\`${s.worker}\``).join(' → ')}, ${d(cp.lengthMs)}, of which ${d(cp.waitMs)} waiting on NEEDS.`
        : '**Critical path:** none yet (no commits).',
      balance.longest && balance.shortest
        ? `**Balance:** longest \`${balance.longest.worker}\` ${d(balance.longest.ms)}, shortest \`${balance.shortest.worker}\` ${d(balance.shortest.ms)}, mean ${d(balance.meanMs)}, spread ${d(balance.spreadMs)} (longest is ${balance.ratio.toFixed(2)}× the mean).`
        : '**Balance:** no worker has committed yet.',
      `**Blocked ratio:** ${pct(retro.blockedRatio)} (${d(retro.totals.blockedMs)} blocked of ${d(retro.totals.workerMs)} worker time).`,
      `**Parallel speed-up:** ${retro.speedUp.toFixed(2)}× (${d(retro.totals.activeMs)} active time over ${d(retro.wallMs)} wall time).`,
      `**Protocol hygiene:** ${count(hygiene.unprefixed, 'unprefixed commit')} and ${count(hygiene.outOfScope, 'change')} outside the scopes as the plan stands now got in; ${count(retro.totals.refusals, 'hook refusal')}${retro.totals.refusals ? ` (${refusalText(hygiene.refusalsByKind)})` : ''}; ${count(hygiene.bypassesCaught.length, 'violation')} caught by check or integrate; work went on after a COMPLETE ${count(hygiene.reopened, 'time')}.`,
      `**Integrate:** ${integrate.publishes.length ? `published ${integrate.publishes.length}× (last ${off(integrate.publishes[integrate.publishes.length - 1]!.at)}${integrate.publishes[integrate.publishes.length - 1]!.commit ? `, \`${integrate.publishes[integrate.publishes.length - 1]!.commit!.slice(0, 12)}\`` : ''})` : 'not published'}; ${count(integrate.conflicts.length, 'conflict')}; ${count(integrate.verifyFailures.length, 'verify failure')}.`,
    ].map((text) => ({ text, sub: [] })),
  });

  const needs = retro.workers.flatMap((w) => w.needs.map((n) => ({ w, n })));
  if (needs.length) {
    blocks.push({ type: 'heading', level: 2, text: 'NEEDS' });
    blocks.push({
      type: 'table',
      head: ['worker', 'needs', 'raised', 'resolved', 'by', 'waited'],
      numeric: [false, false, true, true, false, true],
      rows: needs.map(({ w, n }) => [
        `\`${w.id}\``,
        `\`${n.provider}/${n.item}\``,
        off(n.raisedAt),
        n.open ? 'open' : off(n.resolvedAt),
        n.resolvedBy === 'provides'
          ? `\`Provides: ${n.item}\``
          : n.resolvedBy === 'complete'
            ? `${n.provider}'s COMPLETE`
            : '–',
        d(n.waitedMs),
      ]),
    });
  }
  const blocked = retro.workers.flatMap((w) => w.blocked.map((b) => ({ w, b })));
  if (blocked.length) {
    blocks.push({ type: 'heading', level: 2, text: 'Blocked' });
    blocks.push({
      type: 'table',
      head: ['worker', 'reason', 'from', 'to', 'for'],
      numeric: [false, false, true, true, true],
      rows: blocked.map(({ w, b }) => [
        `\`${w.id}\``,
        b.reason,
        off(b.from),
        b.open ? `${off(b.to)} (open)` : off(b.to),
        d(b.ms),
      ]),
    });
  }
  const sources = [...new Set(retro.workers.map((w) => w.source))];
  blocks.push({
    type: 'paragraph',
    text: `Computed by \`pw retro\` at ${formatUtc(retro.generatedAt)} from git history (${sources.map((s) => (s === 'archive' ? 'archive refs' : s === 'branch' ? 'worker branches' : 'no history for some workers')).join(', ')}) and the events log. \`pw retro --json\` prints every figure.`,
  });
  return blocks;
}
