/** Pull requests on a hosted remote, as `gh pr list --json` reports them. Pure. */

export type PullRequestState = 'OPEN' | 'CLOSED' | 'MERGED';

export interface PullRequest {
  number: number;
  url: string;
  state: PullRequestState;
  title: string;
  isDraft: boolean;
  headRefName: string;
  /** The commit the pull request's branch was at (for a merged one: when it was merged). */
  headRefOid: string;
  mergedAt: string | null;
  checks: CheckSummary;
}

export interface CheckSummary {
  passing: number;
  failing: number;
  pending: number;
  /** Names of the failing checks. */
  failed: string[];
}

/** The fields pw asks `gh pr list --json` for. */
export const PR_FIELDS = [
  'number',
  'url',
  'state',
  'title',
  'isDraft',
  'headRefName',
  'headRefOid',
  'mergedAt',
  'statusCheckRollup',
] as const;

interface RawCheck {
  __typename?: string;
  name?: string;
  context?: string;
  status?: string;
  conclusion?: string;
  state?: string;
}

const PASSING = new Set(['SUCCESS', 'NEUTRAL', 'SKIPPED']);
const FAILING = new Set([
  'FAILURE',
  'ERROR',
  'CANCELLED',
  'TIMED_OUT',
  'ACTION_REQUIRED',
  'STARTUP_FAILURE',
]);

/** One verdict per check: a check run by its conclusion once completed, a status context by its state. */
export function summarizeChecks(rollup: readonly RawCheck[]): CheckSummary {
  const summary: CheckSummary = { passing: 0, failing: 0, pending: 0, failed: [] };
  for (const check of rollup) {
    const verdict =
      check.__typename === 'StatusContext' || (check.state && !check.status)
        ? (check.state ?? '')
        : check.status === 'COMPLETED'
          ? (check.conclusion ?? '')
          : 'PENDING';
    if (PASSING.has(verdict)) summary.passing++;
    else if (FAILING.has(verdict)) {
      summary.failing++;
      summary.failed.push(check.name ?? check.context ?? '?');
    } else summary.pending++;
  }
  return summary;
}

/** Parses `gh pr list --json <PR_FIELDS>`; throws on output that is not such a list. */
export function parsePullRequests(output: string): PullRequest[] {
  const data: unknown = JSON.parse(output);
  if (!Array.isArray(data)) throw new Error('not a JSON list');
  return data.map((raw: Record<string, unknown>) => ({
    number: Number(raw.number),
    url: String(raw.url ?? ''),
    state: (['OPEN', 'CLOSED', 'MERGED'].includes(String(raw.state))
      ? raw.state
      : 'OPEN') as PullRequestState,
    title: String(raw.title ?? ''),
    isDraft: raw.isDraft === true,
    headRefName: String(raw.headRefName ?? ''),
    headRefOid: String(raw.headRefOid ?? ''),
    mergedAt: typeof raw.mergedAt === 'string' && raw.mergedAt ? raw.mergedAt : null,
    checks: summarizeChecks(Array.isArray(raw.statusCheckRollup) ? raw.statusCheckRollup : []),
  }));
}

/**
 * The pull request that stands for a branch: the open one, else the newest
 * merged, else the newest closed; null when there is none.
 */
export function choosePullRequest(list: readonly PullRequest[]): PullRequest | null {
  const newest = (state: PullRequestState): PullRequest | null =>
    list.filter((p) => p.state === state).sort((a, b) => b.number - a.number)[0] ?? null;
  return newest('OPEN') ?? newest('MERGED') ?? newest('CLOSED');
}

/** `3 passing, 1 failing (pw-check)`, or `no checks`. */
export function describeChecks(checks: CheckSummary): string {
  const parts = [
    checks.passing ? `${checks.passing} passing` : null,
    checks.failing ? `${checks.failing} failing (${checks.failed.join(', ')})` : null,
    checks.pending ? `${checks.pending} pending` : null,
  ].filter((p): p is string => p !== null);
  return parts.length ? parts.join(', ') : 'no checks';
}
