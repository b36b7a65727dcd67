import { describe, expect, it } from 'vitest';
import {
  composeStepMessage,
  noteResolvedConflicts,
  parseIntegrationTrailers,
  planIntegration,
  stepSubject,
  type IntegrateSnapshot,
  type IntegrateWorkerSnapshot,
} from '../../src/domain/integrate/plan-integration.js';
import { parseCommitMessage } from '../../src/domain/protocol/protocol.js';

const sha = (n: number): string => n.toString(16).padStart(40, '0');

function worker(
  id: string,
  overrides: Partial<IntegrateWorkerSnapshot> = {},
): IntegrateWorkerSnapshot {
  return {
    id,
    branch: `pw/p/${id}`,
    dependsOn: [],
    task: `do ${id}\nmore detail`,
    tip: sha(id.charCodeAt(0)),
    state: 'complete',
    openNeeds: [],
    history: [
      { sha: sha(1000 + id.charCodeAt(0)), message: `[CHECKPOINT] start ${id}` },
      { sha: sha(2000 + id.charCodeAt(0)), message: `[COMPLETE] ${id} done\n\nbody` },
    ],
    inTarget: false,
    ...overrides,
  };
}

function snapshot(workers: IntegrateWorkerSnapshot[]): IntegrateSnapshot {
  return { plan: 'p', target: 'main', workers };
}

const all = {
  only: null,
  allowIncomplete: false,
  allowMissingProviders: false,
  strategy: 'merge' as const,
};

describe('planIntegration', () => {
  it('plans every complete worker in dependency order with its COMPLETE subject', () => {
    const planned = planIntegration(
      snapshot([worker('web', { dependsOn: ['api'] }), worker('api'), worker('docs')]),
      all,
    );
    expect(planned.ok).toBe(true);
    if (!planned.ok) return;
    expect(planned.program.steps.map((s) => [s.worker, s.subject, s.commits])).toEqual([
      ['api', 'api done', 2],
      ['web', 'web done', 2],
      ['docs', 'docs done', 2],
    ]);
    expect(planned.program.edges).toEqual([{ from: 'web', to: 'api', reason: 'dependsOn' }]);
    expect(planned.program.skipped).toEqual([]);
  });

  it('refuses when a worker is not complete, saying who and why', () => {
    const planned = planIntegration(
      snapshot([
        worker('api'),
        worker('web', {
          state: 'blocked',
          history: [{ sha: sha(5), message: '[BLOCKED:no token] waiting' }],
        }),
        worker('docs', {
          state: 'pending',
          history: [],
          openNeeds: [{ worker: 'api', item: 'x' }],
        }),
      ]),
      all,
    );
    expect(planned.ok).toBe(false);
    if (planned.ok) return;
    expect(planned.refusal.kind).toBe('failed');
    expect(planned.refusal.message).toBe('2 workers of plan "p" are not complete');
    expect(planned.refusal.details).toEqual([
      'web: blocked; latest: [BLOCKED:no token] waiting',
      'docs: pending; no commits of its own yet; waiting on api/x',
      expect.stringContaining('pw integrate --only api'),
    ]);
  });

  it('--allow-incomplete integrates what is there and skips who has nothing', () => {
    const planned = planIntegration(
      snapshot([
        worker('api', {
          state: 'working',
          history: [{ sha: sha(7), message: '[CHECKPOINT] half' }],
        }),
        worker('docs', { state: 'pending', history: [] }),
      ]),
      { ...all, allowIncomplete: true },
    );
    expect(planned.ok).toBe(true);
    if (!planned.ok) return;
    expect(planned.program.steps.map((s) => [s.worker, s.subject, s.state])).toEqual([
      ['api', 'half', 'working'],
    ]);
    expect(planned.program.skipped).toEqual([
      { worker: 'docs', reason: 'pending: no commits of its own yet' },
    ]);
    expect(planned.program.warnings[0]).toMatch(
      /^api is not complete \(working; latest: \[CHECKPOINT\] half\)/,
    );
    expect(planned.program.steps[0]!.message).toContain('(integrated while working)');
  });

  it('skips workers the target already holds and workers whose branch is gone', () => {
    const planned = planIntegration(
      snapshot([worker('api', { inTarget: true }), worker('web', { tip: null }), worker('docs')]),
      all,
    );
    expect(planned.ok).toBe(true);
    if (!planned.ok) return;
    expect(planned.program.steps.map((s) => s.worker)).toEqual(['docs']);
    expect(planned.program.skipped.map((s) => s.reason)).toEqual([
      `already integrated: main holds ${sha(97).slice(0, 12)}`,
      'branch pw/p/web is gone',
    ]);
  });

  it('--only takes a subset, keeps plan order, and rejects unknown ids with a hint', () => {
    const workers = [worker('api'), worker('web'), worker('docs', { state: 'working' })];
    const planned = planIntegration(snapshot(workers), { ...all, only: ['web', 'api'] });
    expect(planned.ok && planned.program.steps.map((s) => s.worker)).toEqual(['api', 'web']);
    const unknown = planIntegration(snapshot(workers), { ...all, only: ['wbe'] });
    expect(unknown.ok).toBe(false);
    if (unknown.ok) return;
    expect(unknown.refusal.kind).toBe('usage');
    expect(unknown.refusal.details).toContain('wbe: did you mean "web"?');
  });

  it('refuses --only without a provider that is not integrated yet, unless --allow-missing-providers', () => {
    const workers = [worker('api'), worker('web', { dependsOn: ['api'] })];
    const planned = planIntegration(snapshot(workers), { ...all, only: ['web'] });
    expect(planned.ok).toBe(false);
    if (planned.ok) return;
    expect(planned.refusal.details[0]).toBe(
      'web needs api first (dependsOn), and api is not integrated yet',
    );
    expect(planned.refusal.details[1]).toContain('pw integrate --only web api');
    const provided = planIntegration(
      snapshot([worker('api', { inTarget: true }), worker('web', { dependsOn: ['api'] })]),
      { ...all, only: ['web'] },
    );
    expect(provided.ok).toBe(true);
    expect(planned.refusal.details[1]).toContain('--allow-missing-providers');
    // --allow-incomplete is about workers that are not complete, not about providers.
    const incomplete = planIntegration(snapshot(workers), {
      ...all,
      only: ['web'],
      allowIncomplete: true,
    });
    expect(incomplete.ok).toBe(false);
    const lenient = planIntegration(snapshot(workers), {
      ...all,
      only: ['web'],
      allowMissingProviders: true,
    });
    expect(lenient.ok && lenient.program.warnings).toEqual([
      'web needs api first (dependsOn), and api is not integrated yet',
    ]);
  });

  it('refuses a NEEDS cycle, naming it and how to break it', () => {
    const planned = planIntegration(
      snapshot([
        worker('a', {
          history: [
            { sha: sha(1), message: '[NEEDS:b/x] need x' },
            { sha: sha(2), message: '[COMPLETE] a' },
          ],
        }),
        worker('b', {
          history: [
            { sha: sha(3), message: '[NEEDS:a/y] need y' },
            { sha: sha(4), message: '[COMPLETE] b' },
          ],
        }),
      ]),
      all,
    );
    expect(planned.ok).toBe(false);
    if (planned.ok) return;
    expect(planned.refusal.message).toBe(
      'the workers depend on each other in a cycle: a -(NEEDS:b/x)-> b -(NEEDS:a/y)-> a',
    );
    expect(planned.refusal.details).toEqual([
      'Integrate merges a provider before the workers that need it, so a cycle has no order.',
      'Declare which goes first: add dependsOn to one of them in the plan and run pw setup with it again (the declared order wins over NEEDS), e.g. dependsOn: [b] for a.',
      'Or integrate one side first, without the other (pw integrate --only b --allow-missing-providers), then the rest.',
    ]);
  });

  it('a NEEDS against the declared dependsOn does not order the merge: the declared order wins, with a warning', () => {
    // web dependsOn api; api asked web for an item, which web delivered.
    const planned = planIntegration(
      snapshot([
        worker('api', {
          history: [
            { sha: sha(1), message: '[NEEDS:web/page-url] need the url' },
            { sha: sha(2), message: '[COMPLETE] api' },
          ],
        }),
        worker('web', {
          dependsOn: ['api'],
          history: [
            { sha: sha(3), message: '[CHECKPOINT] page\n\nProvides: page-url' },
            { sha: sha(4), message: '[COMPLETE] web' },
          ],
        }),
      ]),
      all,
    );
    expect(planned.ok).toBe(true);
    if (!planned.ok) return;
    expect(planned.program.steps.map((s) => s.worker)).toEqual(['api', 'web']);
    expect(planned.program.edges).toEqual([{ from: 'web', to: 'api', reason: 'dependsOn' }]);
    expect(planned.program.warnings).toEqual([
      "api's NEEDS:web/page-url does not order the merge: the plan declares web -(dependsOn)-> api, so api goes first (the declared order wins)",
    ]);
  });

  it('--only of one side of such a pair still needs the other: the NEEDS is a real dependency', () => {
    const workers = [
      worker('api', {
        history: [
          { sha: sha(1), message: '[NEEDS:web/page-url] need the url' },
          { sha: sha(2), message: '[COMPLETE] api' },
        ],
      }),
      worker('web', { dependsOn: ['api'] }),
    ];
    const onlyApi = planIntegration(snapshot(workers), { ...all, only: ['api'] });
    expect(onlyApi.ok).toBe(false);
    if (onlyApi.ok) return;
    expect(onlyApi.refusal.details[0]).toBe(
      'api needs web first (NEEDS:web/page-url), and web is not integrated yet',
    );
  });
});

describe('step messages', () => {
  const input = {
    plan: 'p',
    target: 'main',
    worker: 'api',
    branch: 'pw/p/api',
    tip: sha(42),
    task: 'build the api\nin detail',
    subject: 'GET /health',
    state: 'complete' as const,
    headers: ['[CHECKPOINT] routes', '[NEEDS:db/schema] wait', '[COMPLETE] GET /health'],
  };

  it('a merge commit names the branch, target, worker and subject, and is exempt from the protocol', () => {
    const message = composeStepMessage({ ...input, strategy: 'merge' });
    expect(message).toBe(
      [
        "Merge branch 'pw/p/api' into main: GET /health",
        '',
        'Worker api of plan p.',
        'Task: build the api',
        '',
        'Pw-Plan: p',
        'Pw-Worker: api',
        `Pw-Worker-Tip: ${sha(42)}`,
        'Pw-Strategy: merge',
        '',
      ].join('\n'),
    );
    expect(parseCommitMessage(message)).toEqual({ type: 'exempt', exempt: 'merge' });
  });

  it('a squash commit lists the checkpoints above the trailers', () => {
    const message = composeStepMessage({ ...input, strategy: 'squash' });
    expect(message.split('\n').slice(0, 8)).toEqual([
      'api: GET /health',
      '',
      "Squashed from branch 'pw/p/api' (3 commits), worker api of plan p.",
      'Task: build the api',
      '',
      'Checkpoints:',
      '- [CHECKPOINT] routes',
      '- [NEEDS:db/schema] wait',
    ]);
    expect(parseIntegrationTrailers(message)).toEqual({
      plan: 'p',
      worker: 'api',
      tip: sha(42),
      strategy: 'squash',
    });
  });

  it('notes resolved conflicts above the trailers, which still parse', () => {
    const message = noteResolvedConflicts(composeStepMessage({ ...input, strategy: 'merge' }), [
      'a.ts',
      'b.ts',
    ]);
    expect(message).toContain(
      'Task: build the api\n\nConflicts resolved by hand in: a.ts, b.ts\n\nPw-Plan: p',
    );
    expect(parseIntegrationTrailers(message)?.worker).toBe('api');
  });

  it('reads no trailers from other commits', () => {
    expect(parseIntegrationTrailers('[COMPLETE] x\n\nProvides: y')).toBeNull();
    expect(
      parseIntegrationTrailers('x\n\nPw-Plan: p\nPw-Worker: a\nPw-Worker-Tip: nothex'),
    ).toBeNull();
  });

  it('names a step by its latest COMPLETE, else its latest protocol subject, else its last header', () => {
    expect(stepSubject([{ message: '[COMPLETE] first' }, { message: '[CHECKPOINT] after' }])).toBe(
      'first',
    );
    expect(stepSubject([{ message: '[CHECKPOINT] one' }, { message: 'fixup! one' }])).toBe('one');
    expect(stepSubject([{ message: 'Merge branch x' }])).toBe('Merge branch x');
    expect(stepSubject([])).toBe('(no commits)');
  });
});
