import { describe, expect, it } from 'vitest';
import { renderIntegrateEnd, type IntegrateReport } from '../../src/render/integrate/report.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);

function report(overrides: Partial<IntegrateReport>): IntegrateReport {
  return {
    plan: 'p',
    target: 'main',
    action: 'integrate',
    outcome: 'published',
    ok: true,
    strategy: 'merge',
    from: A,
    start: A,
    order: [],
    edges: [],
    steps: [],
    skipped: [],
    warnings: [],
    notes: [],
    preflight: [],
    conflict: null,
    verify: null,
    publish: { method: 'update-ref', worktree: null, from: A, to: B },
    refusal: null,
    result: B,
    integrationRef: null,
    archived: [],
    teardown: null,
    push: null,
    matrix: null,
    next: [],
    ...overrides,
  };
}

describe('pw integrate --push, as printed', () => {
  it('a push that went through', () => {
    const text = renderIntegrateEnd(
      report({
        push: {
          remote: 'hub',
          branch: 'main',
          from: A,
          to: B,
          ok: true,
          pushed: true,
          current: B,
          message: null,
        },
      }),
    );
    expect(text).toContain(
      `Pushed: hub main ${A.slice(0, 12)} -> ${B.slice(0, 12)} (compare-and-swap).`,
    );
  });

  it('a refused push says the target here moved and the hub did not', () => {
    const text = renderIntegrateEnd(
      report({
        outcome: 'push-refused',
        ok: false,
        push: {
          remote: 'hub',
          branch: 'main',
          from: A,
          to: B,
          ok: false,
          pushed: false,
          current: C,
          message: '! refs/heads/main [rejected] (stale info)',
        },
        next: ['main here is kept at bbbbbbbbbbbb; nothing on hub was changed.'],
      }),
    );
    expect(text).toContain(`Published here: main ${A.slice(0, 12)} -> ${B.slice(0, 12)}.`);
    expect(text).toContain(
      `Not pushed: hub's main moved while integrate ran (it was ${A.slice(0, 12)}, it is ${C.slice(0, 12)}).`,
    );
    expect(text).toContain('  ! refs/heads/main [rejected] (stale info)');
    expect(text).not.toContain('was not moved');
  });
});
