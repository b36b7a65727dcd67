import { describe, expect, it } from 'vitest';
import { formatSummary } from '../../src/domain/status/plan-status.js';
import { judgeReadiness } from '../../src/domain/status/readiness.js';

const complete = (id: string, violations: unknown[] = []) => ({
  id,
  state: 'complete' as const,
  violations,
});
const counts = { complete: 2, working: 0, blocked: 0, stalled: 0, pending: 0 };

describe('judgeReadiness', () => {
  it('ready: every worker complete, no violations, an orderable plan', () => {
    expect(judgeReadiness([complete('a'), complete('b')], true)).toEqual({
      ready: true,
      blockers: [],
    });
    expect(formatSummary(counts, 2, judgeReadiness([complete('a'), complete('b')], true))).toBe(
      '2/2 complete · ready to integrate',
    );
  });

  it('a violation on a complete worker is not ready, and the summary says why', () => {
    const verdict = judgeReadiness([complete('a'), complete('b', [{}])], true);
    expect(verdict.ready).toBe(false);
    expect(verdict.blockers).toEqual([{ kind: 'violations', worker: 'b', count: 1 }]);
    expect(formatSummary(counts, 2, verdict)).toBe(
      '2/2 complete · 1 with violations, which integrate refuses',
    );
  });

  it('an order cycle, an incomplete worker or no worker at all is not ready', () => {
    expect(judgeReadiness([complete('a')], false).ready).toBe(false);
    expect(judgeReadiness([{ id: 'a', state: 'working', violations: [] }], true).ready).toBe(false);
    expect(judgeReadiness([], true).ready).toBe(false);
  });
});
