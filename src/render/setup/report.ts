import type { SetupReport } from '../../domain/setup/report.js';
import { shQuote } from '../../domain/setup/shell-quote.js';
import { renderColumns } from '../table.js';

export function renderSetupReport(report: SetupReport, _options: { cwd: string }): string {
  const lines: string[] = [];
  const count = `${report.workers.length} worker${report.workers.length === 1 ? '' : 's'}`;
  lines.push(
    `Plan "${report.plan}" from ${report.base} (${report.baseCommit.slice(0, 12)}): ${count}`,
  );
  lines.push('');
  lines.push(
    renderColumns([
      ['worker', 'branch', 'worktree', ''],
      ...report.workers.map((w) => [w.id, w.branch, w.worktree, report.dryRun ? '' : w.status]),
    ]),
  );
  lines.push('');
  if (report.actions.length === 0) {
    lines.push(`Nothing to do: plan "${report.plan}" is already set up; nothing was changed.`);
  } else {
    lines.push(
      report.dryRun
        ? `Dry run: setup would do ${report.actions.length} things (nothing was changed):`
        : `Done (${report.actions.length} steps):`,
    );
    for (const action of report.actions) lines.push(`  - ${action}`);
  }
  if (report.unowned.count > 0) {
    lines.push('');
    lines.push(
      `${report.unowned.count} tracked file${report.unowned.count === 1 ? ' is' : 's are'} owned by no worker and read-only for all: ${report.unowned.sample.join(', ')}${report.unowned.count > report.unowned.sample.length ? ', ...' : ''}`,
    );
  }
  for (const missing of report.agentsMissing) {
    lines.push('');
    lines.push(
      `Agent program "${missing.program}" is not on PATH (${missing.workers.join(', ')}): the launch scripts and pw run fail until it is installed, or until the plan's "agent" (per worker) or agent.command in .parallelrc names a program that exists.`,
    );
  }
  if (!report.dryRun && report.integratedInto) {
    lines.push('');
    lines.push(
      `Plan "${report.plan}" is integrated into ${report.integratedInto} already: no worker is left to open.`,
      `pw teardown${report.otherPlans.length ? ` --plan ${report.plan}` : ''} removes its worktrees and branches; pw retro${report.otherPlans.length ? ` --plan ${report.plan}` : ''} looks back on it.`,
    );
  } else if (!report.dryRun) {
    lines.push('');
    if (report.tmux) {
      const opened = report.workers.length - report.tmux.alreadyOpen.length;
      lines.push(
        opened === report.workers.length
          ? `Opened one tmux window per worker in session ${report.tmux.session}: ${report.tmux.attach}`
          : `Opened ${opened} tmux window${opened === 1 ? '' : 's'} in session ${report.tmux.session}; already open, not started again: ${report.tmux.alreadyOpen.join(', ')}. ${report.tmux.attach}`,
      );
    } else {
      lines.push('Open each worker in its own terminal:');
      for (const worker of report.workers) lines.push(`  sh ${shQuote(worker.launch)}`);
      lines.push(
        '(or pw setup --tmux to open them all in tmux). Each brief is WORKER.md in its worktree.',
      );
    }
    lines.push(
      `Then follow them with: pw status${report.otherPlans.length ? ` --plan ${report.plan}` : ''}`,
    );
    if (report.hub) {
      lines.push(
        `Published to the hub ${report.hub.hub} as ${report.hub.ref} (recorded as git config pw.hub).`,
        `On another machine, in a clone of the hub, one worker there: pw join ${shQuote(report.hub.hub)} ${report.plan} <worker>`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
