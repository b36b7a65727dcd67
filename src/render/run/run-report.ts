import { formatDuration } from '../../domain/plan/duration.js';
import type { RunRecord } from '../../domain/run/run-record.js';

export interface RunReportWorker {
  id: string;
  status: string;
  reason: string | null;
  attempts: number;
  failures: string[];
  durationMs: number;
  commits: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** Whether any attempt reported tokens or cost (a `command` agent reports none: the figures are unknown, not 0). */
  usageKnown: boolean;
}

export interface RunReport {
  plan: string;
  runId: string;
  outcome: string;
  workers: RunReportWorker[];
  totals: {
    attempts: number;
    retries: number;
    durationMs: number;
    inputTokens: number;
    outputTokens: number;
    costUsd: number;
    usageKnown: boolean;
  };
}

/** The run report from the run record and the commit counts git gives. */
export function buildRunReport(
  record: RunRecord,
  outcome: string,
  commits: ReadonlyMap<string, number>,
  selected: ReadonlySet<string>,
): RunReport {
  const workers = Object.entries(record.workers)
    .filter(([id]) => selected.has(id))
    .map(([id, w]): RunReportWorker => {
      const sum = (pick: (a: (typeof w.attempts)[number]) => number | null): number =>
        w.attempts.reduce((total, a) => total + (pick(a) ?? 0), 0);
      return {
        id,
        status: w.phase,
        reason: w.reason,
        attempts: w.attempts.length,
        failures: w.attempts
          .map((a) => a.category)
          .filter((c): c is NonNullable<typeof c> => c !== null && c !== 'complete'),
        durationMs: sum((a) =>
          a.endedAt ? Date.parse(a.endedAt) - Date.parse(a.startedAt) : null,
        ),
        commits: commits.get(id) ?? 0,
        inputTokens: sum((a) => a.inputTokens),
        outputTokens: sum((a) => a.outputTokens),
        costUsd: Math.round(sum((a) => a.costUsd) * 1e6) / 1e6,
        usageKnown: w.attempts.some(
          (a) => a.inputTokens !== null || a.outputTokens !== null || a.costUsd !== null,
        ),
      };
    });
  const total = (pick: (w: RunReportWorker) => number): number =>
    workers.reduce((s, w) => s + pick(w), 0);
  return {
    plan: record.plan,
    runId: record.runId,
    outcome,
    workers,
    totals: {
      attempts: total((w) => w.attempts),
      retries: total((w) => Math.max(0, w.attempts - 1)),
      durationMs: total((w) => w.durationMs),
      inputTokens: total((w) => w.inputTokens),
      outputTokens: total((w) => w.outputTokens),
      costUsd: Math.round(total((w) => w.costUsd) * 1e6) / 1e6,
      usageKnown: workers.some((w) => w.usageKnown),
    },
  };
}

/** Tokens and cost as table cells: "-" where no attempt reported them. */
function usageCells(u: {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  usageKnown: boolean;
}): string {
  return u.usageKnown ? `${u.inputTokens + u.outputTokens} | $${u.costUsd.toFixed(4)}` : '- | -';
}

export function renderRunReportMarkdown(report: RunReport): string {
  const rows = report.workers.map(
    (w) =>
      `| ${w.id} | ${w.status} | ${w.attempts} | ${w.failures.join(', ') || '-'} | ${formatDuration(w.durationMs)} | ${w.commits} | ${usageCells(w)} |`,
  );
  const t = report.totals;
  return [
    `# pw run report: ${report.plan}`,
    '',
    `Run ${report.runId}: ${report.outcome}.`,
    '',
    '| worker | status | attempts | failures | agent time | commits | tokens | cost |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    `| **total** | | ${t.attempts} | ${t.retries} retries | ${formatDuration(t.durationMs)} | | ${usageCells(t)} |`,
    '',
    ...report.workers.filter((w) => w.reason).map((w) => `- ${w.id}: ${w.reason}`),
    '',
  ].join('\n');
}

/** The retrospective's section on agent runs. */
export function renderRunRetroSection(report: RunReport): string {
  const t = report.totals;
  return [
    '',
    '## Agent runs',
    '',
    `pw run ${report.runId.slice(0, 8)}: ${t.attempts} attempt${t.attempts === 1 ? '' : 's'}, ${t.retries} retr${t.retries === 1 ? 'y' : 'ies'}${t.usageKnown ? `, ${t.inputTokens + t.outputTokens} tokens, $${t.costUsd.toFixed(4)}` : ''}.`,
    '',
    '| worker | run state | attempts | retries | failures | tokens | cost |',
    '|---|---|---|---|---|---|---|',
    ...report.workers.map(
      (w) =>
        `| ${w.id} | ${w.status} | ${w.attempts} | ${Math.max(0, w.attempts - 1)} | ${w.failures.join(', ') || '-'} | ${usageCells(w)} |`,
    ),
    '',
    // Why a worker did not finish (failed, skipped, blocked): what to look at first.
    ...report.workers
      .filter((w) => w.reason)
      .map(
        (w) => `- ${w.id} (${w.status}): ${w.reason}; \`pw logs ${w.id}\` shows its last attempt.`,
      ),
    ...(report.workers.some((w) => w.reason) ? [''] : []),
  ].join('\n');
}
