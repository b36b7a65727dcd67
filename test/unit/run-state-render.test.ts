import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/domain/run/run-record.js';
import { buildRunReport, renderRunReportMarkdown } from '../../src/render/run/run-report.js';
import { renderRunState } from '../../src/render/run/run-state.js';

describe('renderRunState', () => {
  it('shows a short reason whole, and cuts a long one with "…", never inside a character', () => {
    const long = `transient: gave up after 2 failed attempts (--retries 1) (last output: ${'🚀'.repeat(200)})`;
    const text = renderRunState('0123456789abcdef', [
      { worker: 'api', state: 'failed', attempt: 2, detail: 'permanent: exit 127' },
      { worker: 'web', state: 'failed', attempt: 2, detail: long },
    ]);
    const [, header, api, web] = text.split('\n');
    expect(header).toBe('pw run 01234567:');
    expect(api).toBe('  api  failed, attempt 2 (permanent: exit 127)');
    const shown = web!.slice(web!.indexOf('(') + 1, -1);
    expect(Array.from(shown)).toHaveLength(160);
    expect(shown.endsWith('🚀…')).toBe(true);
    expect(long.startsWith(shown.slice(0, -1))).toBe(true);
  });
});

describe('renderRunReportMarkdown', () => {
  const attempt = (
    usage: { inputTokens: number; outputTokens: number; costUsd: number } | null,
  ) => ({
    n: 1,
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: '2026-01-01T00:00:02.000Z',
    resume: false,
    exitCode: 0,
    signal: null,
    category: 'complete' as const,
    inputTokens: usage?.inputTokens ?? null,
    outputTokens: usage?.outputTokens ?? null,
    costUsd: usage?.costUsd ?? null,
    log: 'attempt-1.log',
  });
  const worker = (usage: Parameters<typeof attempt>[0]) => ({
    phase: 'complete' as const,
    reason: null,
    sessionId: null,
    pid: null,
    attempts: [attempt(usage)],
  });

  it('shows tokens and cost an agent reported, and "-" where none did (unknown, not 0)', () => {
    const record = {
      version: 1 as const,
      runId: 'r1',
      plan: 'demo',
      startedAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:02.000Z',
      workers: {
        api: worker({ inputTokens: 10, outputTokens: 5, costUsd: 0.01 }),
        web: worker(null),
      },
    } as unknown as RunRecord;
    const text = renderRunReportMarkdown(
      buildRunReport(
        record,
        'complete',
        new Map([
          ['api', 1],
          ['web', 1],
        ]),
        new Set(['api', 'web']),
      ),
    );
    expect(text).toContain('| api | complete | 1 | - | 2s | 1 | 15 | $0.0100 |');
    expect(text).toContain('| web | complete | 1 | - | 2s | 1 | - | - |');
    expect(text).toContain('| **total** | | 2 | 0 retries | 4s | | 15 | $0.0100 |');
    const none = { ...record, workers: { web: worker(null) } } as unknown as RunRecord;
    expect(
      renderRunReportMarkdown(buildRunReport(none, 'complete', new Map(), new Set(['web']))),
    ).toContain('| **total** | | 1 | 0 retries | 2s | | - | - |');
  });
});
