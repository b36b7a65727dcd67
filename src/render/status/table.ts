import { formatDuration } from '../../domain/plan/duration.js';
import type { PlanStatus, WorkerState, WorkerStatus } from '../../domain/status/plan-status.js';
import { charWidth, visibleLength } from '../table.js';
import { escapeTerminal } from '../../domain/text/terminal-text.js';

export interface StatusTableOptions {
  color: boolean;
  /** Every line fits this many columns (default 80). */
  width?: number;
  /** Workers whose agent `pw run` runs now, with the attempt: git alone cannot tell. */
  agentsRunning?: ReadonlyMap<string, number>;
}

const STATE_COLOR: Record<WorkerState, string> = {
  complete: '32', // green
  working: '36', // cyan
  blocked: '33', // yellow
  stalled: '31', // red
  pending: '2', // dim
};

/**
 * The `pw status` table: a title with the summary, one line per worker (state,
 * idle time, commits, the one thing to know), then what needs attention.
 * Every line fits `width` columns; colour only when asked.
 */
export function renderStatusTable(status: PlanStatus, options: StatusTableOptions): string {
  const width = options.width ?? 80;
  const paint = (code: string, text: string): string =>
    options.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  const fit = (line: string): string => truncate(line, width);
  const lines: string[] = [];
  const title = `plan ${status.plan} · base ${status.base} · ${status.summary}`;
  lines.push(fit(visibleLength(title) <= width ? title : `${status.plan}: ${status.summary}`));
  if (status.workers.length === 0) return `${lines.join('\n')}\n`;

  const idWidth = Math.min(16, Math.max(6, ...status.workers.map((w) => w.id.length)));
  const head = ['WORKER'.padEnd(idWidth), 'STATE   ', '    IDLE', 'COMMITS', 'NOTE'];
  lines.push(fit(`  ${head.join('  ')}`));
  for (const w of status.workers) {
    const idle = w.idleMs === null ? '-' : formatDuration(Math.max(0, w.idleMs));
    const cells = [
      truncate(w.id, idWidth).padEnd(idWidth),
      paint(STATE_COLOR[w.state], w.state.padEnd(8)),
      idle.padStart(8),
      String(w.counts.commits).padStart(7),
    ];
    const prefix = `  ${cells.join('  ')}  `;
    const room = width - visibleLength(prefix);
    lines.push(
      `${prefix}${truncate(workerNote(w, status, options.agentsRunning), room)}`.trimEnd(),
    );
  }

  const notes: string[] = [];
  for (const cycle of status.deadlocks) {
    notes.push(paint('31', `deadlock: ${[...cycle, cycle[0]].join(' → ')} (each needs the next)`));
  }
  for (const c of status.canResume) {
    notes.push(
      escapeTerminal(
        `can resume: ${c.worker}, ${c.waitingOn} ${c.because === 'complete' ? `is complete${c.item ? ` (needed ${c.item})` : ''}` : `delivered ${c.item}`}`,
      ),
    );
  }
  for (const w of status.workers) {
    for (const v of w.violations.slice(0, 2)) {
      const where = v.sha ? `${v.sha.slice(0, 8)} ` : '';
      notes.push(paint('31', escapeTerminal(`violation: ${w.id} ${where}${v.message}`)));
    }
    if (w.violations.length > 2)
      notes.push(
        `violation: ${w.id} has ${w.violations.length - 2} more (pw check --worker ${w.id} lists them)`,
      );
  }
  const hooksOff = status.workers.filter((w) => w.hooksOff).map((w) => w.id);
  if (hooksOff.length)
    notes.push(paint('31', `hooks off: ${hooksOff.join(', ')} (pw hooks install turns them on)`));
  const reopened = status.workers.filter((w) => w.reopened).map((w) => w.id);
  if (reopened.length) notes.push(`reopened (work after COMPLETE): ${reopened.join(', ')}`);
  for (const { edge } of status.integrateOrder.overridden) {
    notes.push(
      escapeTerminal(
        `order: ${edge.to} after ${edge.from} as declared, despite ${edge.from}'s ${edge.reason}`,
      ),
    );
  }
  const { cycleText } = status.integrateOrder;
  if (cycleText && status.deadlocks.length === 0) {
    notes.push(paint('31', `integrate order has a cycle: ${cycleText}`));
    notes.push('  pw integrate refuses it; declare which goes first (dependsOn, then pw setup)');
  }
  for (const warning of status.warnings) notes.push(escapeTerminal(`warning: ${warning}`));
  if (status.integrated)
    notes.push(
      paint(
        '32',
        `integrated into ${status.target}: pw teardown removes the worktrees and branches`,
      ),
    );
  else if (status.readyToIntegrate) notes.push(paint('32', 'ready to integrate: pw integrate'));
  if (notes.length) lines.push('', ...notes.map(fit));
  return `${lines.join('\n')}\n`;
}

/** The one thing to know about a worker, most urgent first; commit text escaped for the terminal. */
export function workerNote(
  w: WorkerStatus,
  status: PlanStatus,
  agentsRunning?: ReadonlyMap<string, number>,
): string {
  return escapeTerminal(rawWorkerNote(w, status, agentsRunning));
}

function rawWorkerNote(
  w: WorkerStatus,
  status: PlanStatus,
  agentsRunning?: ReadonlyMap<string, number>,
): string {
  const parts: string[] = [];
  const age = (ms: number): string => formatDuration(Math.max(0, ms));
  if (w.state === 'stalled' && w.idleMs !== null)
    parts.push(`no activity for ${age(w.idleMs)} (limit ${age(w.stallAfterMs)})`);
  if (w.blocked) parts.push(`blocked ${age(w.blocked.ageMs)}: ${w.blocked.reason}`);
  if (w.needs.length)
    parts.push(
      `needs ${w.needs.map((n) => `${n.worker}/${n.item}`).join(', ')} (${age(w.needs[0]!.ageMs)})`,
    );
  if (w.violations.length)
    parts.push(`${w.violations.length} violation${w.violations.length === 1 ? '' : 's'}`);
  if (w.hooksOff) parts.push('hooks off');
  if (w.reopened && w.state !== 'complete') parts.push('reopened');
  if (w.uncommitted && w.uncommitted.count > 0) parts.push(`${w.uncommitted.count} uncommitted`);
  const attempt = agentsRunning?.get(w.id);
  if (w.counts.commits === w.counts.merges && attempt !== undefined) {
    parts.push(`agent running (attempt ${attempt}), no commits yet`);
  } else if (w.counts.commits === w.counts.merges) {
    const waiting = w.dependsOn.filter(
      (d) => status.workers.find((o) => o.id === d)?.state !== 'complete',
    );
    parts.push(
      waiting.length
        ? `waits for ${waiting.join(', ')}`
        : w.counts.merges
          ? 'merged in, no commits of its own yet'
          : 'no commits yet',
    );
  }
  const met = w.lastCommit ? w.resolvedNeeds.filter((r) => r.sha === w.lastCommit!.sha) : [];
  if (parts.length === 0 && met.length)
    parts.push(
      `need met: ${met.map((r) => `${r.worker} ${r.by === 'provides' ? 'provided' : 'completed'} ${r.item} (${r.resolvedBy.slice(0, 8)})`).join(', ')}`,
    );
  if (parts.length === 0 && w.lastCommit) parts.push(w.lastCommit.header);
  return parts.join(' · ');
}

/** Cuts a line to `width` terminal columns, ending in "…" when cut. */
export function truncate(text: string, width: number): string {
  if (visibleLength(text) <= width) return text;
  if (width <= 0) return '';
  let out = '';
  let length = 0;
  // Walk code points, copying colour codes through without counting them.
  for (let i = 0; i < text.length;) {
    const escape = /^\x1b\[[0-9;]*m/.exec(text.slice(i));
    if (escape) {
      out += escape[0];
      i += escape[0].length;
      continue;
    }
    const char = String.fromCodePoint(text.codePointAt(i)!);
    if (length + charWidth(char) > width - 1) break;
    out += char;
    length += charWidth(char);
    i += char.length;
  }
  return `${out}…${text.includes('\x1b[') ? '\x1b[0m' : ''}`;
}
