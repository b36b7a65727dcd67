import { describe, expect, it } from 'vitest';
import { computeRetro, type RetroInput } from '../../src/domain/retro/retro.js';
import { MIN, T0, at, commit, histories, input, plan, setupEvent } from './retro-fixture.js';

const iso = (minutes: number): string => new Date(at(minutes)).toISOString();
const worker = (retro: ReturnType<typeof computeRetro>, id: string) =>
  retro.workers.find((w) => w.id === id)!;

describe('computeRetro, mid-flight (docs not complete, now = +3h)', () => {
  const retro = computeRetro(input());

  it('starts at the setup event, cut to the second, and ends now', () => {
    expect(retro.startedAt).toBe(new Date(T0).toISOString());
    expect(retro.startSource).toBe('setup');
    expect(retro.status).toBe('in-flight');
    expect(retro.endedAt).toBe(iso(180));
    expect(retro.wallMs).toBe(180 * MIN);
  });

  it('api: first commit, COMPLETE, active time, silence, stall, provided item', () => {
    const api = worker(retro, 'api');
    expect(api.state).toBe('complete');
    expect(api.commits).toBe(4);
    expect(api.checkpoints).toBe(3);
    expect(api.timeToFirstCommitMs).toBe(10 * MIN);
    expect(api.timeToCompleteMs).toBe(120 * MIN);
    expect(api.durationMs).toBe(120 * MIN);
    // 0→10, 10→25, 25→40 are active; 40→120 is longer than 30m: a stall, not active.
    expect(api.activeMs).toBe(40 * MIN);
    expect(api.longestSilence).toEqual({ from: iso(40), to: iso(120), ms: 80 * MIN });
    expect(api.stalls).toEqual([{ from: iso(40), to: iso(120), ms: 80 * MIN }]);
    expect(api.blockedMs).toBe(0);
    expect(api.provided).toEqual([{ item: 'user-model', at: iso(40), sha: expect.any(String) }]);
    expect(api.reopened).toBe(0);
  });

  it('web: blocked span, NEEDS resolved by Provides and by COMPLETE, reopened', () => {
    const web = worker(retro, 'web');
    expect(web.state).toBe('complete');
    expect(web.commits).toBe(9);
    expect(web.timeToFirstCommitMs).toBe(5 * MIN);
    // The COMPLETE that ended the work is the second one, after the reopening.
    expect(web.timeToCompleteMs).toBe(155 * MIN);
    expect(web.reopened).toBe(1);
    expect(web.blocked).toEqual([
      { reason: 'no user model', from: iso(20), to: iso(45), ms: 25 * MIN, open: false },
    ]);
    expect(web.blockedMs).toBe(25 * MIN);
    // 5 + 10 + 5 (to the BLOCKED) + 15 + 10 + 5 (after reopening); 20→45 is blocked, 70→140 a stall, 140→150 after COMPLETE.
    expect(web.activeMs).toBe(50 * MIN);
    expect(web.longestSilence?.ms).toBe(70 * MIN);
    expect(web.stalls.map((s) => s.ms)).toEqual([70 * MIN]);
    expect(web.needs).toEqual([
      {
        provider: 'api',
        item: 'user-model',
        sha: expect.any(String),
        raisedAt: iso(15),
        resolvedAt: iso(40),
        resolvedBy: 'provides',
        waitedMs: 25 * MIN,
        open: false,
      },
      {
        provider: 'api',
        item: 'session',
        sha: expect.any(String),
        raisedAt: iso(60),
        resolvedAt: iso(120),
        resolvedBy: 'complete',
        waitedMs: 60 * MIN,
        open: false,
      },
    ]);
  });

  it('docs: unprefixed commit, stalled now, the open silence counted as a stall but not as active', () => {
    const docs = worker(retro, 'docs');
    expect(docs.state).toBe('stalled');
    expect(docs.timeToFirstCommitMs).toBe(50 * MIN);
    expect(docs.timeToCompleteMs).toBeNull();
    expect(docs.durationMs).toBe(180 * MIN);
    expect(docs.activeMs).toBe(10 * MIN);
    expect(docs.stalls.map((s) => s.ms)).toEqual([50 * MIN, 120 * MIN]);
    expect(docs.longestSilence).toEqual({ from: iso(60), to: iso(180), ms: 120 * MIN });
    expect(docs.unprefixed).toEqual([{ sha: expect.any(String), header: 'wip docs' }]);
    expect(docs.byKind.invalid).toBe(1);
  });

  it('plan figures: speed-up, blocked ratio, balance, critical path', () => {
    expect(retro.totals.activeMs).toBe(100 * MIN);
    expect(retro.speedUp).toBeCloseTo(100 / 180, 10);
    expect(retro.totals.blockedMs).toBe(25 * MIN);
    expect(retro.totals.workerMs).toBe((120 + 155 + 180) * MIN);
    expect(retro.blockedRatio).toBeCloseTo(25 / 455, 10);
    expect(retro.balance.longest).toEqual({ worker: 'docs', ms: 180 * MIN });
    expect(retro.balance.shortest).toEqual({ worker: 'api', ms: 120 * MIN });
    expect(retro.balance.spreadMs).toBe(60 * MIN);
    expect(retro.balance.meanMs).toBeCloseTo((455 / 3) * MIN, 6);
    expect(retro.totals.needs).toBe(2);
    expect(retro.totals.needsWaitMs).toBe(85 * MIN);
    expect(retro.hygiene.unprefixed).toBe(1);
    expect(retro.hygiene.reopened).toBe(1);
    // docs is still going and waits for nobody: it is the whole critical path so far.
    expect(retro.criticalPath.steps.map((s) => s.worker)).toEqual(['docs']);
  });

  it('gives three to six findings, each with evidence and a suggestion', () => {
    expect(retro.findings.length).toBeGreaterThanOrEqual(3);
    expect(retro.findings.length).toBeLessThanOrEqual(6);
    for (const finding of retro.findings) {
      expect(finding.title).not.toBe('');
      expect(finding.evidence.length).toBeGreaterThan(0);
      expect(finding.suggestion).not.toBe('');
    }
    const weights = retro.findings.map((f) => f.weight);
    expect(weights).toEqual([...weights].sort((a, b) => b - a));
    expect(retro.findings.map((f) => f.title)).toContain(
      'docs went silent 2 times for longer than 30m (longest 2h)',
    );
  });
});

describe('computeRetro, after integrate', () => {
  const retro = computeRetro(
    input({
      histories: histories({ docsComplete: true }),
      events: [
        setupEvent,
        { time: iso(100), type: 'refusal', plan: 'demo', worker: 'web', hook: 'pre-commit' },
        { time: iso(101), type: 'refusal', plan: 'demo', worker: 'web', hook: 'pre-commit' },
        { time: iso(102), type: 'refusal', plan: 'demo', worker: 'docs', hook: 'commit-msg' },
        { time: iso(103), type: 'setup', plan: 'other' },
        {
          time: iso(160),
          type: 'integrate',
          plan: 'demo',
          conflicts: [{ workers: ['api', 'web'], paths: ['package.json'] }],
        },
        { time: iso(162), type: 'verify', plan: 'demo', ok: false, worker: 'web' },
        { time: iso(165), type: 'integrate', plan: 'demo', published: 'a'.repeat(40) },
      ],
      now: at(400),
    }),
  );

  it('ends at the publish, not now', () => {
    expect(retro.status).toBe('integrated');
    expect(retro.endedAt).toBe(iso(165));
    expect(retro.wallMs).toBe(165 * MIN);
    expect(retro.integrate.publishes).toEqual([{ at: iso(165), commit: 'a'.repeat(40) }]);
  });

  it('counts refusals by kind, conflicts and verify failures per worker', () => {
    const web = worker(retro, 'web');
    expect(web.refusals).toEqual({
      total: 2,
      byKind: { scope: 2 },
      list: [
        { at: iso(100), kind: 'scope', detail: null },
        { at: iso(101), kind: 'scope', detail: null },
      ],
    });
    expect(worker(retro, 'docs').refusals).toMatchObject({ total: 1, byKind: { protocol: 1 } });
    expect(retro.hygiene.refusalsByKind).toEqual({ scope: 2, protocol: 1 });
    expect(web.integrate).toEqual({
      conflicts: 1,
      conflictPaths: ['package.json'],
      verifyFailures: 1,
    });
    expect(worker(retro, 'api').integrate.conflicts).toBe(1);
    expect(worker(retro, 'docs').integrate).toEqual({
      conflicts: 0,
      conflictPaths: [],
      verifyFailures: 0,
    });
  });

  it('docs: COMPLETE at +1h30m ends its silence; active 0→50 is a stall', () => {
    const docs = worker(retro, 'docs');
    expect(docs.state).toBe('complete');
    expect(docs.timeToCompleteMs).toBe(90 * MIN);
    expect(docs.activeMs).toBe(40 * MIN);
    expect(docs.stalls.map((s) => s.ms)).toEqual([50 * MIN]);
  });

  it('finds the critical path through the NEEDS that gated web', () => {
    expect(retro.criticalPath.steps.map((s) => [s.worker, s.via, s.item])).toEqual([
      ['api', 'start', null],
      ['web', 'needs', 'session'],
    ]);
    expect(retro.criticalPath.lengthMs).toBe(155 * MIN);
    expect(retro.criticalPath.waitMs).toBe(60 * MIN);
  });

  it('lists the integrate conflict and the verify failure among the findings', () => {
    const kinds = retro.findings.map((f) => f.kind);
    expect(kinds).toContain('integrate-conflict');
    expect(kinds).toContain('verify-failed');
    const conflict = retro.findings.find((f) => f.kind === 'integrate-conflict')!;
    expect(conflict.suggestion).toContain('package.json');
  });
});

describe('computeRetro, edge cases', () => {
  const base = (overrides: Partial<RetroInput>): RetroInput => ({
    plan,
    histories: new Map(),
    events: [setupEvent],
    now: at(30),
    ...overrides,
  });

  it('works before any commit: pending workers, three findings', () => {
    const retro = computeRetro(base({}));
    expect(retro.workers.map((w) => w.state)).toEqual(['pending', 'pending', 'pending']);
    expect(retro.wallMs).toBe(30 * MIN);
    expect(retro.speedUp).toBe(0);
    expect(retro.criticalPath.steps).toEqual([]);
    expect(retro.findings.length).toBeGreaterThanOrEqual(3);
  });

  it('without a setup event starts at the first commit', () => {
    const retro = computeRetro(
      base({ events: [], histories: new Map([['api', [commit(10, '[CHECKPOINT] a')]]]) }),
    );
    expect(retro.startSource).toBe('first-commit');
    expect(retro.startedAt).toBe(iso(10));
    expect(worker(retro, 'api').timeToFirstCommitMs).toBe(0);
  });

  it('keeps an open NEEDS open, waits until now, and does not count a repeat twice', () => {
    const retro = computeRetro(
      base({
        now: at(100),
        histories: new Map([
          [
            'web',
            [
              commit(10, '[NEEDS:api/token] need a token'),
              commit(20, '[NEEDS:api/token] still need it'),
              commit(30, '[CHECKPOINT] carrying on'),
            ],
          ],
          ['api', [commit(5, '[CHECKPOINT] started')]],
        ]),
      }),
    );
    const web = worker(retro, 'web');
    expect(web.needs).toHaveLength(1);
    expect(web.needs[0]).toMatchObject({ open: true, resolvedAt: null, waitedMs: 90 * MIN });
    expect(retro.totals.openNeeds).toBe(1);
  });

  it('counts reopenings by the rule pw status uses: a second COMPLETE in a row is none', () => {
    const histories = new Map([
      ['api', [commit(10, '[COMPLETE] done'), commit(20, '[COMPLETE] really done')]],
      [
        'web',
        [
          commit(10, '[COMPLETE] done'),
          commit(20, '[CHECKPOINT] one more fix'),
          commit(30, '[COMPLETE] done again'),
        ],
      ],
    ]);
    const retro = computeRetro(base({ now: at(100), histories }));
    expect(worker(retro, 'api').reopened).toBe(0);
    expect(worker(retro, 'web').reopened).toBe(1);
    expect(worker(retro, 'web').state).toBe('complete');
    expect(retro.hygiene.reopened).toBe(1);
  });

  it('a COMPLETE from before a reopening does not resolve a later NEEDS (as in pw status)', () => {
    const retro = computeRetro(
      base({
        now: at(100),
        histories: new Map([
          [
            'api',
            [
              commit(10, '[COMPLETE] api done'),
              commit(20, '[CHECKPOINT] reopened'),
              commit(50, '[CHECKPOINT] thing\n\nProvides: thing'),
            ],
          ],
          ['web', [commit(30, '[NEEDS:api/thing] need the thing')]],
        ]),
      }),
    );
    expect(worker(retro, 'web').needs[0]).toMatchObject({
      resolvedAt: iso(50),
      resolvedBy: 'provides',
      waitedMs: 20 * MIN,
      open: false,
    });
  });

  it('a NEEDS raised after the item was provided stays open (status: can resume), and the finding says so', () => {
    const retro = computeRetro(
      base({
        now: at(100),
        histories: new Map([
          ['api', [commit(5, '[CHECKPOINT] token\n\nProvides: token')]],
          ['web', [commit(10, '[NEEDS:api/token] need a token')]],
        ]),
      }),
    );
    expect(worker(retro, 'web').needs[0]).toMatchObject({
      resolvedAt: null,
      resolvedBy: null,
      waitedMs: 90 * MIN,
      open: true,
    });
    const finding = retro.findings.find((f) => f.kind === 'needs-wait')!;
    expect(finding.evidence).toContain(
      'api had delivered token at +5m, before it was asked for: web can merge it and go on.',
    );
    expect(finding.suggestion).toMatch(/^Merge api's branch into web/);
  });

  it('an open BLOCKED lasts until the end and is not active time', () => {
    const retro = computeRetro(
      base({
        now: at(50),
        histories: new Map([
          ['api', [commit(10, '[CHECKPOINT] a'), commit(20, '[BLOCKED:no db] waiting')]],
        ]),
      }),
    );
    const api = worker(retro, 'api');
    expect(api.blocked).toEqual([
      { reason: 'no db', from: iso(20), to: iso(50), ms: 30 * MIN, open: true },
    ]);
    expect(api.activeMs).toBe(20 * MIN);
    expect(api.stalls).toEqual([]);
  });

  it('names a deadlock when open NEEDS wait on each other', () => {
    const retro = computeRetro(
      base({
        now: at(90),
        histories: new Map([
          ['api', [commit(10, '[NEEDS:web/forms] need forms')]],
          ['web', [commit(12, '[NEEDS:api/model] need the model')]],
        ]),
      }),
    );
    expect(retro.findings[0]!.kind).toBe('deadlock');
  });

  it('points out a NEEDS edge the plan did not declare', () => {
    const retro = computeRetro(
      base({
        now: at(40),
        histories: new Map([
          ['api', [commit(10, '[NEEDS:web/forms] need forms'), commit(15, '[CHECKPOINT] go on')]],
          ['web', [commit(12, '[CHECKPOINT] forms\n\nProvides: forms')]],
        ]),
      }),
    );
    // web → api is declared in the plan; api → web is not, and cannot be: it would close a cycle.
    const undeclared = retro.findings.find((f) => f.kind === 'undeclared-needs')!;
    expect(undeclared.title).toContain('api → web');
    expect(undeclared.suggestion).toBe(
      'For api → web, give forms to a worker of its own that finishes first, or agree its interface in the plan so api can start against a stub: `dependsOn: [web]` for api would close the cycle api -> web -> api.',
    );
    // No finding advises a dependsOn that plan validation would refuse.
    for (const finding of retro.findings) {
      const advice = finding.suggestion.replace(/`dependsOn: \[web\]` for api would close/g, '');
      expect(advice, finding.kind).not.toContain('dependsOn: [web]');
    }
    const wait = retro.findings.find((f) => f.kind === 'needs-wait')!;
    expect(wait.evidence).toContain(
      "web is not in api's dependsOn, and cannot be: the plan already has web -> api.",
    );
  });

  it('suggests each undeclared dependsOn that keeps the plan acyclic, and only those', () => {
    const retro = computeRetro(
      base({
        now: at(40),
        histories: new Map([
          ['docs', [commit(10, '[NEEDS:api/spec] need the spec'), commit(15, '[CHECKPOINT] go')]],
          ['api', [commit(11, '[NEEDS:docs/glossary] need words'), commit(16, '[CHECKPOINT] go')]],
          ['web', [commit(12, '[CHECKPOINT] x\n\nProvides: y')]],
        ]),
      }),
    );
    // api → docs can be declared; docs → api then would close api -> docs -> api.
    const undeclared = retro.findings.find((f) => f.kind === 'undeclared-needs')!;
    expect(undeclared.suggestion).toBe(
      'Add `dependsOn: [docs]` to api, so integrate orders them and the briefs say who waits for whom. ' +
        'For docs → api, give spec to a worker of its own that finishes first, or agree its interface in the plan so docs can start against a stub: `dependsOn: [api]` for docs would, with the dependsOn above, close the cycle docs -> api -> docs.',
    );
  });

  it('counts files, lines and out-of-scope paths from the per-commit stats', () => {
    const c1 = commit(10, '[CHECKPOINT] a');
    const c2 = commit(20, '[CHECKPOINT] b');
    const retro = computeRetro(
      base({
        histories: new Map([['api', [c1, c2]]]),
        fileStats: new Map([
          [
            c1.sha,
            [
              { path: 'src/api/a.ts', added: 10, deleted: 2 },
              { path: 'src/api/logo.png', added: null, deleted: null },
            ],
          ],
          [
            c2.sha,
            [
              { path: 'src/api/a.ts', added: 3, deleted: 1 },
              { path: 'package.json', added: 1, deleted: 0 },
            ],
          ],
        ]),
      }),
    );
    const api = worker(retro, 'api');
    expect(api.files).toEqual({ changed: 3, linesAdded: 14, linesDeleted: 3, binary: 1 });
    expect(api.outOfScope).toEqual([{ sha: c2.sha, path: 'package.json' }]);
    const finding = retro.findings.find((f) => f.kind === 'out-of-scope')!;
    // Judged with the plan as it is now: a bypass, or a scope narrowed after the commit.
    expect(finding.title).toBe('api changed 1 path outside its scope as the plan stands now');
    expect(finding.evidence).toContain(
      'api owns `src/api/` now; no hook refusal was logged for it: the hooks were off or bypassed, or its scope was narrowed after these commits.',
    );
  });

  it('words violations caught by check without asserting a bypass, each once', () => {
    const scope = (commit: string, path: string) => ({
      worker: 'web',
      commit,
      kind: 'scope',
      path,
    });
    const report = {
      type: 'check',
      plan: 'demo',
      violations: [
        scope('a'.repeat(40), 'src/api/x.ts'),
        scope('a'.repeat(40), 'src/api/y.ts'),
        scope('b'.repeat(40), 'src/api/x.ts'),
        scope('c'.repeat(40), 'README.md'),
        { worker: 'docs', commit: 'd'.repeat(40), kind: 'protocol', header: 'wip' },
      ],
    };
    const retro = computeRetro(
      base({
        now: at(40),
        histories: new Map([['web', [commit(10, '[CHECKPOINT] a')]]]),
        // check ran twice and reported the same violations both times.
        events: [setupEvent, { time: iso(20), ...report }, { time: iso(30), ...report }],
      }),
    );
    expect(retro.hygiene.bypassesCaught).toHaveLength(5);
    const finding = retro.findings.find((f) => f.kind === 'bypasses')!;
    expect(finding.title).toBe(
      "3 commits changed files outside their worker's scope as the plan stands now; 1 commit broke the protocol (caught by check)",
    );
    expect(finding.title).not.toMatch(/bypasss/);
    expect(finding.evidence[0]).toBe(
      'web: scope, src/api/x.ts in aaaaaaa, caught by check at +20m.',
    );
    expect(finding.evidence).toContain('docs: protocol, wip in ddddddd, caught by check at +20m.');
    expect(finding.suggestion).toBe(
      'Each change outside a scope is a bypass of the hooks (--no-verify, hooks off) or a scope narrowed after the fact: check and integrate judge history with the plan as it stands now. If the plan changed on purpose, nothing is wrong; otherwise find out why the hooks let them through (`pw hooks status` in those worktrees) and keep `pw check` in CI.',
    );
  });

  it('counts only violations in commits still on a branch, an archive or the target', () => {
    const kept = 'a'.repeat(40);
    const resetAway = 'b'.repeat(40);
    const retro = computeRetro(
      base({
        now: at(40),
        histories: new Map([['web', [commit(10, '[CHECKPOINT] a')]]]),
        events: [
          setupEvent,
          {
            time: iso(20),
            type: 'check',
            plan: 'demo',
            violations: [
              { worker: 'web', commit: kept, kind: 'scope', path: 'src/api/x.ts' },
              { worker: 'web', commit: resetAway, kind: 'scope', path: 'src/api/y.ts' },
            ],
          },
        ],
        reachable: new Set([kept]),
      }),
    );
    expect(retro.hygiene.bypassesCaught.map((b) => b.commit)).toEqual([kept]);
    expect(retro.hygiene.bypassesGone).toBe(1);
    expect(retro.findings.find((f) => f.kind === 'bypasses')!.title).toMatch(/^1 commit changed/);
  });

  it('does not blame a worker for a move of its branch made from the main worktree', () => {
    const refused = {
      type: 'hook-rejected',
      plan: 'demo',
      hook: 'reference-transaction',
      worker: 'web',
      kind: 'scope',
      message: 'refs/heads/pw/demo/web -> abc: src/api/x.ts',
    };
    const retro = computeRetro(
      base({
        now: at(40),
        histories: new Map([['web', [commit(10, '[CHECKPOINT] a')]]]),
        events: [
          setupEvent,
          { time: iso(20), ...refused, actor: null, worktree: '/repo' },
          { time: iso(21), ...refused, actor: 'web', worktree: '/repo.pw/demo/web' },
        ],
      }),
    );
    expect(worker(retro, 'web').refusals.total).toBe(1);
    expect(retro.totals.refusals).toBe(2);
  });

  it('tells a conflict with commits made on the target from one between workers', () => {
    const retro = computeRetro(
      base({
        now: at(40),
        histories: new Map([['web', [commit(10, '[COMPLETE] a')]]]),
        events: [
          setupEvent,
          {
            time: iso(20),
            type: 'integrate',
            phase: 'conflict',
            plan: 'demo',
            worker: 'web',
            paths: ['lib/help.js'],
            touchedBy: [{ path: 'lib/help.js', by: ['main (since web branched)', 'web'] }],
            targetChanged: ['lib/help.js'],
          },
        ],
      }),
    );
    const conflict = retro.findings.find((f) => f.kind === 'integrate-conflict')!;
    expect(conflict.title).toBe('Integrate hit 1 conflict (web)');
    expect(conflict.evidence).toEqual([
      'At +20m: web and commits made on main itself on lib/help.js.',
    ]);
    expect(conflict.suggestion).toContain(
      'lib/help.js conflicted with commits made directly on main while the plan ran',
    );
    expect(conflict.suggestion).not.toContain('exactly one worker');
  });

  it('gives hook refusals as evidence, with when and what was refused', () => {
    const retro = computeRetro(
      base({
        now: at(40),
        histories: new Map([['web', [commit(10, '[CHECKPOINT] a'), commit(25, '[CHECKPOINT] b')]]]),
        events: [
          setupEvent,
          {
            time: iso(20),
            type: 'hook-rejected',
            plan: 'demo',
            hook: 'pre-commit',
            worker: 'web',
            kind: 'scope',
            message: 'staged src/api/routes.ts (api)',
          },
        ],
      }),
    );
    const finding = retro.findings.find((f) => f.kind === 'scope-refusals')!;
    expect(finding.title).toBe('web tried 1 time to change files it does not own');
    expect(finding.evidence).toEqual([
      'web, +20m: scope refused (staged src/api/routes.ts (api)).',
    ]);
  });

  it('after teardown of an unfinished plan ends at the teardown', () => {
    const retro = computeRetro(
      base({
        now: at(500),
        events: [setupEvent, { time: iso(70), type: 'teardown', plan: 'demo' }],
        histories: new Map([['api', [commit(10, '[CHECKPOINT] a')]]]),
      }),
    );
    expect(retro.status).toBe('torn-down');
    expect(retro.endedAt).toBe(iso(70));
    expect(retro.tornDownAt).toBe(iso(70));
  });
});
