import type { TrustProblem } from '../../domain/plan/trust-check.js';
import { escapeTerminal } from '../../domain/text/terminal-text.js';
import type { Violation } from '../../domain/scope/violations.js';
import { renderColumns } from '../table.js';

export interface CheckReport {
  plan: string;
  /** Where the scopes came from: the trusted copy set up here, or a plan file (CI). */
  planSource: 'trusted' | 'file';
  worker: string | null;
  range: string | null;
  /** How many of the workers' own commits were judged. */
  commitsJudged: number;
  violations: Violation[];
  trust: TrustProblem[];
  /** Not findings: e.g. a worker branch that does not exist (yet). */
  notes: string[];
}

/** `pw check`'s human report: one row per finding, then what to do. */
export function renderCheckReport(report: CheckReport): string {
  const where = [
    `plan ${report.plan}`,
    report.worker ? `worker ${report.worker}` : null,
    report.range ? `range ${report.range}` : null,
  ]
    .filter(Boolean)
    .join(', ');
  const lines: string[] = [];
  const count = report.violations.length + report.trust.length;
  if (count === 0) {
    lines.push(
      `pw check (${where}): clean: ${report.commitsJudged} commit${report.commitsJudged === 1 ? '' : 's'} of the workers, no change outside a scope, no protocol break.`,
    );
    for (const note of report.notes) lines.push(`  note: ${note}`);
    return `${lines.join('\n')}\n`;
  }
  lines.push(
    `pw check (${where}): ${count} finding${count === 1 ? '' : 's'} (${report.commitsJudged} commit${report.commitsJudged === 1 ? '' : 's'} of the workers judged).`,
  );
  if (report.violations.length) {
    const rows = [['WORKER', 'COMMIT', 'KIND', 'FINDING']];
    for (const v of report.violations) {
      rows.push([
        v.worker,
        v.commit.slice(0, 12),
        v.kind,
        v.kind === 'scope'
          ? `${escapeTerminal(v.path ?? '')}  (${v.owner ? `owned by ${v.owner}` : 'owned by nobody'})`
          : `"${escapeTerminal(v.header ?? '').slice(0, 60)}": ${v.problem}`,
      ]);
    }
    lines.push(renderColumns(rows));
  }
  if (report.trust.length) {
    lines.push('Trusted files that differ from what pw wrote (judged with the plan file instead):');
    for (const t of report.trust) lines.push(`  ${t.file}: ${t.problem}`);
  }
  for (const note of report.notes) lines.push(`  note: ${note}`);
  lines.push('What to do:');
  if (report.violations.some((v) => v.kind === 'scope')) {
    lines.push(
      "  - scope: rewrite the worker branch so those commits leave other workers' files alone",
      '    (git rebase -i, drop or edit them); a change a worker needs elsewhere is asked for with',
      '    [NEEDS:<owner>/<item>], and files owned by nobody change only outside the plan.',
    );
  }
  if (report.violations.some((v) => v.kind === 'protocol')) {
    lines.push(
      '  - protocol: reword those commits (git rebase -i, "reword") so the first line starts with',
      '    [CHECKPOINT], [BLOCKED:<reason>], [NEEDS:<worker>/<item>] or [COMPLETE].',
    );
  }
  if (report.trust.length) {
    lines.push(
      '  - trusted files: if you changed the plan file on purpose, run pw setup <plan-file> again;',
      '    otherwise someone edited .git/pw/ by hand: run pw setup again to rewrite it, and pw hooks install.',
    );
  }
  lines.push(
    '  - the hooks of each worktree: pw hooks status (they refuse such commits as they happen).',
  );
  return `${lines.join('\n')}\n`;
}
