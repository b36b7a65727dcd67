/**
 * The timeline picture: one lane per worker on a shared time axis. Commits are
 * ticks coloured by their prefix, blocked spans are hatched red, silences
 * longer than the stall threshold grey, NEEDS are arrows from the needing lane
 * (when raised) to the providing lane (when delivered), COMPLETE is a green
 * diamond and integrate a vertical line. Self-contained: no script, no
 * external font or image; hovering a mark shows its commit (SVG <title>).
 */
import { escapeHtml } from '../escape-html.js';
import { formatDuration } from '../../domain/plan/duration.js';
import type { Retro, TimelineKind, WorkerRetro } from '../../domain/retro/retro.js';

const WIDTH = 1280;
const LABEL_W = 200;
const RIGHT = 56;
const TITLE_H = 64;
const AXIS_H = 26;
const LANE_H = 46;
const BAR_H = 14;
const LEGEND_ROW = 22;
const FONT = 'system-ui, -apple-system, &quot;Segoe UI&quot;, Helvetica, Arial, sans-serif';

const COLOR: Record<TimelineKind, string> = {
  checkpoint: '#2563eb',
  needs: '#c2410c',
  blocked: '#dc2626',
  complete: '#15803d',
  exempt: '#6b7280',
  invalid: '#db2777',
};
const NEEDS_COLOR = '#c2410c';
const INTEGRATE_COLOR = '#7c3aed';

const STEPS_S = [
  1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800,
  604800,
];

const esc = escapeHtml;

const n = (value: number): string => String(Math.round(value * 10) / 10);

/** A tick step giving at most `max` intervals over `spanMs`. */
export function pickTickStep(spanMs: number, max = 10): number {
  for (const step of STEPS_S) if (spanMs / (step * 1000) <= max) return step * 1000;
  return Math.ceil(spanMs / max / 86_400_000) * 86_400_000;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The UTC clock under the axis: with the date once the plan spans days, with seconds for short plans. */
function clockLabel(t: number, step: number, spanMs: number): string {
  const text = new Date(t).toISOString().replace('T', ' ');
  if (step >= 86_400_000) return text.slice(5, 10);
  if (spanMs >= 86_400_000) return text.slice(5, 16);
  return text.slice(11, step < 60_000 ? 19 : 16);
}

interface LabelSpot {
  x: number;
  y: number;
  anchor: 'start' | 'end';
}

/**
 * Keeps labels from covering each other and the commit marks: each label
 * takes the first of its spots whose box misses every mark and every label
 * placed before it, or is left out (its mark stays, and hovering the mark
 * still names it). Widths are estimated generously (0.62em a character):
 * the SVG is written without text metrics.
 */
class LabelPlacer {
  private readonly boxes: { left: number; right: number; top: number; bottom: number }[] = [];
  constructor(
    private readonly minX: number,
    private readonly maxX: number,
  ) {}

  /** A mark no label may cover. */
  block(cx: number, cy: number, halfWidth: number, halfHeight: number): void {
    this.boxes.push({
      left: cx - halfWidth,
      right: cx + halfWidth,
      top: cy - halfHeight,
      bottom: cy + halfHeight,
    });
  }

  place(text: string, fontSize: number, spots: readonly LabelSpot[]): LabelSpot | null {
    const width = text.length * fontSize * 0.62;
    for (const spot of spots) {
      const left = spot.anchor === 'end' ? spot.x - width : spot.x;
      const box = {
        left: left - 1,
        right: left + width + 1,
        top: spot.y - fontSize * 0.8 - 1,
        bottom: spot.y + fontSize * 0.2 + 1,
      };
      if (box.left < this.minX || box.right > this.maxX) continue;
      const hit = this.boxes.some(
        (b) => box.left < b.right && b.left < box.right && box.top < b.bottom && b.top < box.bottom,
      );
      if (hit) continue;
      this.boxes.push(box);
      return spot;
    }
    return null;
  }
}

const STATE_COLOR: Record<WorkerRetro['state'], string> = {
  complete: '#15803d',
  working: '#2563eb',
  blocked: '#dc2626',
  stalled: '#b45309',
  pending: '#6b7280',
};

/** The timeline as a standalone SVG document. */
export function renderRetroSvg(retro: Retro): string {
  const start = Date.parse(retro.startedAt);
  // A plan with no time yet still gets an axis: one minute wide.
  const end = Date.parse(retro.endedAt) > start ? Date.parse(retro.endedAt) : start + 60_000;
  const plotLeft = LABEL_W;
  const plotRight = WIDTH - RIGHT;
  const plotW = plotRight - plotLeft;
  const x = (at: string | number): number => {
    const t = typeof at === 'number' ? at : Date.parse(at);
    return plotLeft + ((Math.min(Math.max(t, start), end) - start) / (end - start)) * plotW;
  };
  const lanesTop = TITLE_H + AXIS_H;
  const lanes = retro.workers.length;
  const lanesBottom = lanesTop + lanes * LANE_H;
  const laneOf = new Map(retro.workers.map((w, i) => [w.id, i]));
  const yc = (i: number): number => lanesTop + i * LANE_H + LANE_H / 2;
  const legendTop = lanesBottom + AXIS_H + 18;
  const height = legendTop + LEGEND_ROW * 3 + 12;
  const off = (at: string): string => `+${formatDuration(Date.parse(at) - start)}`;

  const out: string[] = [];
  out.push('<?xml version="1.0" encoding="UTF-8"?>');
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="${FONT}" font-size="12" role="img" aria-labelledby="pw-title">`,
  );
  out.push(`<title id="pw-title">Timeline of plan ${esc(retro.plan)}</title>`);
  out.push(
    '<defs>',
    '<pattern id="pw-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">',
    '<rect width="6" height="6" fill="#fee2e2"/><line x1="0" y1="0" x2="0" y2="6" stroke="#dc2626" stroke-width="2.5"/>',
    '</pattern>',
    `<marker id="pw-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${NEEDS_COLOR}"/></marker>`,
    '</defs>',
  );
  out.push(`<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`);

  // Title.
  const statusText: Record<Retro['status'], string> = {
    'in-flight': 'in flight',
    complete: 'all complete',
    integrated: 'integrated',
    'torn-down': 'torn down',
  };
  out.push(
    `<text x="16" y="28" font-size="19" font-weight="700" fill="#111827">Retrospective: ${esc(retro.plan)}</text>`,
    `<text x="16" y="50" font-size="13" fill="#374151">${esc(
      `${statusText[retro.status]} · started ${retro.startedAt.slice(0, 16).replace('T', ' ')} UTC · wall ${formatDuration(retro.wallMs)} · speed-up ${retro.speedUp.toFixed(1)}× · ${lanes} workers · ${retro.totals.commits} commits`,
    )}</text>`,
  );

  // Lanes (background and labels).
  out.push('<g class="lanes">');
  retro.workers.forEach((worker, i) => {
    const top = lanesTop + i * LANE_H;
    out.push(
      `<g class="lane" data-worker="${esc(worker.id)}">`,
      `<rect x="0" y="${top}" width="${WIDTH}" height="${LANE_H}" fill="${i % 2 ? '#ffffff' : '#f6f8fa'}"/>`,
      `<text x="14" y="${n(yc(i) - 3)}" font-size="14" font-weight="600" fill="#111827">${esc(truncate(worker.id, 22))}<title>${esc(worker.id)}</title></text>`,
      `<text x="14" y="${n(yc(i) + 13)}" font-size="11.5" fill="${STATE_COLOR[worker.state]}">${esc(`${worker.state} · ${formatDuration(worker.durationMs)} · ${worker.commits} commit${worker.commits === 1 ? '' : 's'}`)}</text>`,
      '</g>',
    );
  });
  out.push('</g>');

  // Axis: grid lines, relative labels on top, UTC clock at the bottom.
  const step = pickTickStep(end - start);
  out.push('<g class="axis">');
  for (let t = start; t <= end + 1; t += step) {
    const tx = x(t);
    out.push(
      `<line x1="${n(tx)}" y1="${lanesTop}" x2="${n(tx)}" y2="${lanesBottom}" stroke="#d0d7de" stroke-width="1"/>`,
      `<text class="tick-label" x="${n(tx)}" y="${lanesTop - 8}" text-anchor="middle" font-size="12" fill="#374151">${t === start ? '0' : `+${formatDuration(t - start)}`}</text>`,
      `<text x="${n(tx)}" y="${lanesBottom + 17}" text-anchor="middle" font-size="11.5" fill="#6b7280">${clockLabel(t, step, end - start)}</text>`,
    );
  }
  out.push(
    `<line x1="${plotLeft}" y1="${lanesBottom}" x2="${plotRight}" y2="${lanesBottom}" stroke="#9ca3af"/>`,
    `<text x="14" y="${lanesBottom + 17}" font-size="11" fill="#6b7280">clock (UTC)</text>`,
    '</g>',
  );

  // Labels are placed after every mark, and may cover none of them nor each other.
  const labels = new LabelPlacer(plotLeft - 4, WIDTH - 2);

  // Per worker: the lane bar, silences, blocked spans, NEEDS waits, commits.
  for (const [i, worker] of retro.workers.entries()) {
    const cy = yc(i);
    out.push(`<g class="worker" data-worker="${esc(worker.id)}">`);
    if (worker.commits === 0) {
      out.push(
        `<text x="${n(plotLeft + 8)}" y="${n(cy + 4)}" font-size="12" font-style="italic" fill="#6b7280">no commits</text>`,
      );
      out.push('</g>');
      continue;
    }
    const finish = worker.completedAt ?? retro.endedAt;
    out.push(
      `<rect class="bar" x="${n(x(start))}" y="${n(cy - BAR_H / 2)}" width="${n(Math.max(1, x(finish) - x(start)))}" height="${BAR_H}" rx="3" fill="#dbeafe"/>`,
    );
    for (const stall of worker.stalls) {
      out.push(
        `<rect class="stall" x="${n(x(stall.from))}" y="${n(cy - BAR_H / 2)}" width="${n(Math.max(1, x(stall.to) - x(stall.from)))}" height="${BAR_H}" fill="#e5e7eb"><title>${esc(`silent ${formatDuration(stall.ms)} (${off(stall.from)} to ${off(stall.to)}), longer than stallAfter ${formatDuration(worker.stallAfterMs)}`)}</title></rect>`,
      );
    }
    for (const span of worker.blocked) {
      out.push(
        `<rect class="blocked-span" x="${n(x(span.from))}" y="${n(cy - BAR_H / 2 - 3)}" width="${n(Math.max(2, x(span.to) - x(span.from)))}" height="${BAR_H + 6}" fill="url(#pw-hatch)" stroke="#dc2626" stroke-width="1"><title>${esc(`BLOCKED: ${span.reason}, ${formatDuration(span.ms)} (${off(span.from)} to ${off(span.to)}${span.open ? ', still open' : ''})`)}</title></rect>`,
      );
    }
    for (const need of worker.needs) {
      const to = need.resolvedAt ?? retro.endedAt;
      out.push(
        `<line class="need-wait" x1="${n(x(need.raisedAt))}" y1="${n(cy + BAR_H / 2 + 4)}" x2="${n(Math.max(x(to), x(need.raisedAt) + 1))}" y2="${n(cy + BAR_H / 2 + 4)}" stroke="${NEEDS_COLOR}" stroke-width="3" stroke-dasharray="${need.open ? '4 3' : 'none'}" stroke-linecap="round"><title>${esc(`waiting ${formatDuration(need.waitedMs)} for ${need.provider}/${need.item}`)}</title></line>`,
      );
    }
    const lastComplete = worker.completedAt;
    for (const mark of worker.timeline) {
      const mx = x(mark.at);
      labels.block(mx, cy, 8, 12);
      if (mark.provides.length) labels.block(mx, cy - 13, 4, 4);
      const title = `<title>${esc(`${off(mark.at)} ${mark.header} (${mark.sha.slice(0, 7)})${mark.provides.length ? ` · Provides: ${mark.provides.join(', ')}` : ''}`)}</title>`;
      if (mark.kind === 'complete') {
        const filled = mark.at === lastComplete;
        out.push(
          `<path class="mark complete" d="M${n(mx)},${n(cy - 10)} L${n(mx + 8)},${n(cy)} L${n(mx)},${n(cy + 10)} L${n(mx - 8)},${n(cy)} Z" fill="${filled ? COLOR.complete : '#ffffff'}" stroke="${COLOR.complete}" stroke-width="2">${title}</path>`,
        );
      } else if (mark.kind === 'invalid') {
        out.push(
          `<g class="mark invalid">${title}<rect x="${n(mx - 7)}" y="${n(cy - 7)}" width="14" height="14" rx="2" fill="#ffffff" stroke="${COLOR.invalid}" stroke-width="2"/><text x="${n(mx)}" y="${n(cy + 4.5)}" text-anchor="middle" font-size="12" font-weight="700" fill="${COLOR.invalid}">?</text></g>`,
        );
      } else {
        const h = mark.kind === 'checkpoint' || mark.kind === 'exempt' ? 9 : 12;
        out.push(
          `<line class="mark ${mark.kind}" x1="${n(mx)}" y1="${n(cy - h)}" x2="${n(mx)}" y2="${n(cy + h)}" stroke="${COLOR[mark.kind]}" stroke-width="${mark.kind === 'checkpoint' || mark.kind === 'exempt' ? 2 : 3}">${title}</line>`,
        );
      }
      if (mark.provides.length) {
        out.push(
          `<circle class="provides" cx="${n(mx)}" cy="${n(cy - 13)}" r="3.5" fill="${NEEDS_COLOR}">${title}</circle>`,
        );
      }
    }
    out.push('</g>');
  }

  for (const conflict of retro.integrate.conflicts)
    for (const w of conflict.workers) {
      const row = laneOf.get(w);
      if (row !== undefined) labels.block(x(conflict.at), yc(row), 7, 7);
    }
  for (const failure of retro.integrate.verifyFailures)
    labels.block(x(failure.at), yc(failure.worker ? (laneOf.get(failure.worker) ?? 0) : 0), 8, 8);

  // NEEDS arrows: from the needing lane when raised to the providing lane when delivered.
  out.push('<g class="needs">');
  for (const [i, worker] of retro.workers.entries()) {
    for (const need of worker.needs) {
      const j = laneOf.get(need.provider);
      if (j === undefined) continue;
      const x1 = x(need.raisedAt);
      const x2 = x(need.resolvedAt ?? retro.endedAt);
      const down = j > i;
      const y1 = yc(i) + (down ? 11 : -11);
      const y2 = yc(j) + (down ? -14 : 14);
      const bend = Math.max(24, Math.abs(y2 - y1) * 0.45);
      const path = `M${n(x1)},${n(y1)} C${n(x1)},${n(y1 + (down ? bend : -bend))} ${n(x2)},${n(y2 - (down ? bend : -bend))} ${n(x2)},${n(y2)}`;
      out.push(
        `<path class="need-arrow" data-from="${esc(worker.id)}" data-to="${esc(need.provider)}" d="${path}" fill="none" stroke="${NEEDS_COLOR}" stroke-width="1.8" stroke-dasharray="${need.open ? '5 4' : 'none'}" marker-end="url(#pw-arrow)"><title>${esc(`${worker.id} needs ${need.provider}/${need.item}: raised ${off(need.raisedAt)}, ${need.open ? 'still open' : `delivered ${off(need.resolvedAt!)}`} (waited ${formatDuration(need.waitedMs)})`)}</title></path>`,
      );
      // Beside the arrow's start; a label that would cover another moves further along the arrow, or to its other side.
      const text = truncate(need.item, 24);
      const ly = y1 + (down ? 14 : -6);
      const spot = labels.place(
        text,
        11,
        [0, 1, 2].flatMap((k) => [
          { x: x1 + 6, y: ly + (down ? 12 : -12) * k, anchor: 'start' as const },
          { x: x1 - 6, y: ly + (down ? 12 : -12) * k, anchor: 'end' as const },
        ]),
      );
      if (spot)
        out.push(
          `<text class="need-label" x="${n(spot.x)}" y="${n(spot.y)}"${spot.anchor === 'end' ? ' text-anchor="end"' : ''} font-size="11" fill="${NEEDS_COLOR}" stroke="#ffffff" stroke-width="3" paint-order="stroke">${esc(text)}</text>`,
        );
    }
  }
  out.push('</g>');

  // Integrate, teardown and now: vertical lines over every lane.
  out.push('<g class="plan-events">');
  const vline = (cls: string, at: string, color: string, label: string, dash: string): void => {
    const vx = x(at);
    // Left of the line, else right of it, a row lower each time; left out when every spot is taken.
    const rows: number[] = [];
    for (let dy = 12; lanesTop + dy <= lanesBottom - 2; dy += 14) rows.push(dy);
    const spot = labels.place(
      label,
      11.5,
      rows.flatMap((dy) => [
        { x: vx - 4, y: lanesTop + dy, anchor: 'end' as const },
        { x: vx + 4, y: lanesTop + dy, anchor: 'start' as const },
      ]),
    );
    out.push(
      `<g class="${cls}"><line x1="${n(vx)}" y1="${lanesTop - 2}" x2="${n(vx)}" y2="${lanesBottom}" stroke="${color}" stroke-width="2" stroke-dasharray="${dash}"><title>${esc(`${label} ${off(at)}`)}</title></line>`,
      spot
        ? `<text x="${n(spot.x)}" y="${n(spot.y)}" text-anchor="${spot.anchor}" font-size="11.5" font-weight="600" fill="${color}" stroke="#ffffff" stroke-width="3" paint-order="stroke">${esc(label)}</text></g>`
        : '</g>',
    );
  };
  for (const publish of retro.integrate.publishes)
    vline('integrate', publish.at, INTEGRATE_COLOR, 'integrated', 'none');
  if (retro.tornDownAt) vline('teardown', retro.tornDownAt, '#6b7280', 'torn down', '6 4');
  if (retro.status === 'in-flight') vline('now', retro.endedAt, '#111827', 'now', '2 3');
  for (const conflict of retro.integrate.conflicts) {
    const rows = conflict.workers
      .map((w) => laneOf.get(w))
      .filter((i): i is number => i !== undefined);
    for (const row of rows.length ? rows : [0]) {
      const cx = x(conflict.at);
      const cy = yc(row);
      out.push(
        `<g class="conflict" stroke="${INTEGRATE_COLOR}" stroke-width="3"><title>${esc(`integrate conflict ${off(conflict.at)}: ${conflict.workers.join(', ')} ${conflict.paths.join(', ')}`)}</title><line x1="${n(cx - 6)}" y1="${n(cy - 6)}" x2="${n(cx + 6)}" y2="${n(cy + 6)}"/><line x1="${n(cx - 6)}" y1="${n(cy + 6)}" x2="${n(cx + 6)}" y2="${n(cy - 6)}"/></g>`,
      );
    }
  }
  for (const failure of retro.integrate.verifyFailures) {
    const row = failure.worker ? (laneOf.get(failure.worker) ?? 0) : 0;
    const cx = x(failure.at);
    const cy = yc(row);
    out.push(
      `<g class="verify-failure"><title>${esc(`verify failed ${off(failure.at)}${failure.worker ? ` after merging ${failure.worker}` : ''}`)}</title><circle cx="${n(cx)}" cy="${n(cy)}" r="8" fill="${INTEGRATE_COLOR}"/><text x="${n(cx)}" y="${n(cy + 4)}" text-anchor="middle" font-size="12" font-weight="700" fill="#ffffff">!</text></g>`,
    );
  }
  out.push('</g>');

  // Legend.
  out.push(`<g class="legend" font-size="12" fill="#374151">`);
  const items: { glyph: string; label: string }[] = [
    {
      glyph: `<line x1="6" y1="-8" x2="6" y2="8" stroke="${COLOR.checkpoint}" stroke-width="2"/>`,
      label: 'CHECKPOINT',
    },
    {
      glyph: `<line x1="6" y1="-9" x2="6" y2="9" stroke="${COLOR.needs}" stroke-width="3"/>`,
      label: 'NEEDS raised',
    },
    {
      glyph: `<line x1="6" y1="-9" x2="6" y2="9" stroke="${COLOR.blocked}" stroke-width="3"/>`,
      label: 'BLOCKED commit',
    },
    {
      glyph: `<path d="M6,-8 L13,0 L6,8 L-1,0 Z" fill="${COLOR.complete}"/>`,
      label: 'COMPLETE (hollow: reopened)',
    },
    {
      glyph: `<rect x="-1" y="-7" width="14" height="14" rx="2" fill="#ffffff" stroke="${COLOR.invalid}" stroke-width="2"/><text x="6" y="4.5" text-anchor="middle" font-size="12" font-weight="700" fill="${COLOR.invalid}">?</text>`,
      label: 'no status prefix',
    },
    {
      glyph: `<line x1="6" y1="-8" x2="6" y2="8" stroke="${COLOR.exempt}" stroke-width="2"/>`,
      label: 'merge / fixup',
    },
    {
      glyph: `<rect x="-2" y="-7" width="26" height="14" fill="#dbeafe"/>`,
      label: 'working (to COMPLETE)',
    },
    {
      glyph: `<rect x="-2" y="-8" width="26" height="16" fill="url(#pw-hatch)" stroke="#dc2626"/>`,
      label: 'blocked',
    },
    {
      glyph: `<rect x="-2" y="-7" width="26" height="14" fill="#e5e7eb"/>`,
      label: 'silent > stallAfter',
    },
    {
      glyph: `<line x1="-2" y1="0" x2="24" y2="0" stroke="${NEEDS_COLOR}" stroke-width="3"/>`,
      label: 'waiting on NEEDS',
    },
    {
      glyph: `<path d="M-2,6 C8,6 14,-6 22,-6" fill="none" stroke="${NEEDS_COLOR}" stroke-width="1.8" marker-end="url(#pw-arrow)"/>`,
      label: 'NEEDS → provider (at delivery)',
    },
    { glyph: `<circle cx="6" cy="0" r="3.5" fill="${NEEDS_COLOR}"/>`, label: 'Provides: trailer' },
    {
      glyph: `<line x1="6" y1="-9" x2="6" y2="9" stroke="${INTEGRATE_COLOR}" stroke-width="2"/>`,
      label: 'integrated',
    },
    {
      glyph: `<g stroke="${INTEGRATE_COLOR}" stroke-width="3"><line x1="0" y1="-6" x2="12" y2="6"/><line x1="0" y1="6" x2="12" y2="-6"/></g>`,
      label: 'integrate conflict',
    },
    { glyph: `<circle cx="6" cy="0" r="7" fill="${INTEGRATE_COLOR}"/>`, label: 'verify failed' },
  ];
  const perRow = 5;
  const colW = (WIDTH - 32) / perRow;
  items.forEach((item, k) => {
    const lx = 16 + (k % perRow) * colW;
    const ly = legendTop + Math.floor(k / perRow) * LEGEND_ROW;
    out.push(
      `<g class="legend-item" transform="translate(${n(lx)},${n(ly)})">${item.glyph}<text x="34" y="4">${esc(item.label)}</text></g>`,
    );
  });
  out.push('</g>');
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
