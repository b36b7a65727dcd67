import { describeChecks, type PullRequest } from '../../domain/pr/pull-requests.js';
import { escapeTerminal } from '../../domain/text/terminal-text.js';
import { renderColumns } from '../table.js';

export type PrAction = 'created' | 'exists' | 'merged' | 'skipped' | 'failed' | 'would-open';

export interface PrEntry {
  /** A worker id, or `(integrated)` for the integration result. */
  worker: string;
  branch: string;
  tip: string | null;
  action: PrAction;
  /** Why it was skipped or failed; in a dry run, what would be pushed and the title. */
  reason: string | null;
  number: number | null;
  url: string | null;
  draft: boolean;
}

export interface PrReport {
  plan: string;
  remote: string;
  base: string;
  /** `--dry-run`: nothing was pushed or opened. */
  dryRun: boolean;
  pullRequests: PrEntry[];
}

const ACTION_TEXT: Record<PrAction, string> = {
  created: 'opened',
  exists: 'open already',
  merged: 'merged already',
  skipped: 'skipped',
  failed: 'FAILED',
  'would-open': 'would open',
};

export function renderPrReport(report: PrReport): string {
  const rows = report.pullRequests.map((entry) => [
    entry.worker,
    ACTION_TEXT[entry.action],
    entry.number === null ? '' : `#${entry.number}`,
    [entry.url, entry.reason]
      .filter(Boolean)
      .map((text) => escapeTerminal(text!))
      .join(' · '),
    entry.draft ? '(draft: not complete yet)' : '',
  ]);
  const failed = report.pullRequests.filter((e) => e.action === 'failed');
  return [
    `Pull requests of plan "${report.plan}" on ${report.remote} (into ${report.base})${report.dryRun ? ', dry run: nothing was pushed or opened' : ''}:`,
    renderColumns(rows),
    ...failed.map((e) => `${e.worker}: ${escapeTerminal(e.reason ?? '')}`),
    report.dryRun
      ? 'pw pr (without --dry-run) pushes the branches and opens the pull requests.'
      : 'pw pr status shows their state and checks; pw teardown --merged removes the workers whose pull request is merged.',
    '',
  ].join('\n');
}

export interface PrStatusEntry {
  worker: string;
  branch: string;
  pullRequest: PullRequest | null;
}

export function renderPrStatus(plan: string, entries: readonly PrStatusEntry[]): string {
  const rows = entries.map(({ worker, pullRequest: pr }) =>
    pr
      ? [
          worker,
          `#${pr.number}`,
          `${pr.state.toLowerCase()}${pr.isDraft ? ' (draft)' : ''}`,
          describeChecks(pr.checks),
          pr.url,
        ]
      : [worker, '', 'no pull request', '', ''],
  );
  return [
    `Pull requests of plan "${plan}":`,
    renderColumns([['WORKER', 'PR', 'STATE', 'CHECKS', 'URL'], ...rows]),
    '',
  ].join('\n');
}
