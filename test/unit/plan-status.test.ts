import { describe, expect, it } from 'vitest';
import type { CompiledPlan } from '../../src/domain/plan/plan.js';
import {
  computePlanStatus,
  findNeedsCycles,
  type PlanStatusInput,
  type StatusViolation,
  type WorktreeInfo,
} from '../../src/domain/status/plan-status.js';
import type { StatusCommit } from '../../src/domain/status/summarize-worker-history.js';

import { c, makePlan, MIN, STALL, T0 } from '../helpers/status-fixture.js';
import { workerNote } from '../../src/render/status/table.js';

function status(
  plan: CompiledPlan,
  histories: Record<string, StatusCommit[]>,
  nowMinutes: number,
  extra: Partial<PlanStatusInput> = {},
) {
  return computePlanStatus({
    plan,
    now: T0 + nowMinutes * MIN,
    histories: new Map(Object.entries(histories)),
    ...extra,
  });
}

const tree = (uncommitted: number, newestEditMinutes: number | null): WorktreeInfo => ({
  uncommitted,
  newestEditAt: newestEditMinutes === null ? null : T0 + newestEditMinutes * MIN,
  hooksOff: false,
});

describe('computePlanStatus: the state of each worker', () => {
  const plan = makePlan([{ id: 'api' }, { id: 'web' }, { id: 'db' }]);

  it('a worker with no commits is pending', () => {
    const s = status(plan, {}, 1);
    expect(s.workers.map((w) => w.state)).toEqual(['pending', 'pending', 'pending']);
    expect(s.workers[0]!.lastCommit).toBeNull();
    expect(s.workers[0]!.counts.commits).toBe(0);
    expect(s.summary).toBe('0/3 complete · 3 pending');
    expect(s.readyToIntegrate).toBe(false);
  });

  it('CHECKPOINT is working, BLOCKED is blocked with reason and since, COMPLETE is complete', () => {
    const s = status(
      plan,
      {
        api: [c(1, '[CHECKPOINT] schema'), c(2, '[COMPLETE] api done')],
        web: [
          c(1, '[CHECKPOINT] scaffold'),
          c(3, '[BLOCKED:CI is red] cannot run tests'),
          c(4, '[BLOCKED:CI is still red] still waiting'),
        ],
        db: [c(2, '[CHECKPOINT] tables')],
      },
      10,
    );
    const [api, web, db] = s.workers;
    expect(api!.state).toBe('complete');
    expect(api!.completedAt).toBe(new Date(T0 + 2 * MIN).toISOString());
    expect(web!.state).toBe('blocked');
    // The reason of the latest BLOCKED, since the first of the run.
    expect(web!.blocked).toEqual({
      reason: 'CI is still red',
      since: new Date(T0 + 3 * MIN).toISOString(),
      ageMs: 7 * MIN,
      sha: web!.lastCommit!.sha,
    });
    expect(db!.state).toBe('working');
    expect(db!.counts).toEqual({
      commits: 1,
      checkpoint: 1,
      blocked: 0,
      needs: 0,
      complete: 0,
      exempt: 0,
      merges: 0,
      invalid: 0,
    });
    expect(s.summary).toBe('1/3 complete · 1 working · 1 blocked');
    expect(s.counts).toEqual({ complete: 1, working: 1, blocked: 1, stalled: 0, pending: 0 });
  });

  it('the latest protocol commit wins: BLOCKED then CHECKPOINT is working again', () => {
    const s = status(plan, { web: [c(1, '[BLOCKED:x] stuck'), c(2, '[CHECKPOINT] unstuck')] }, 3);
    expect(s.workers[1]!.state).toBe('working');
    expect(s.workers[1]!.blocked).toBeNull();
    expect(s.workers[1]!.counts.blocked).toBe(1);
  });

  it('COMPLETE followed by more commits is working and reopened; a new COMPLETE completes it again', () => {
    const reopened = status(
      plan,
      { api: [c(1, '[COMPLETE] done'), c(2, '[CHECKPOINT] one more fix')] },
      3,
    );
    expect(reopened.workers[0]!.state).toBe('working');
    expect(reopened.workers[0]!.reopened).toBe(true);
    expect(reopened.workers[0]!.reopenedTimes).toBe(1);
    expect(reopened.workers[0]!.completedAt).toBeNull();

    const again = status(
      plan,
      {
        api: [c(1, '[COMPLETE] done'), c(2, '[CHECKPOINT] fix'), c(3, '[COMPLETE] done again')],
      },
      4,
    );
    expect(again.workers[0]!.state).toBe('complete');
    // Complete again: no longer reopened; the history keeps the count.
    expect(again.workers[0]!.reopened).toBe(false);
    expect(again.workers[0]!.reopenedTimes).toBe(1);
    expect(again.workers[0]!.completedAt).toBe(new Date(T0 + 3 * MIN).toISOString());
  });

  it('a merge commit after COMPLETE is work after COMPLETE too', () => {
    const s = status(
      plan,
      { api: [c(1, '[COMPLETE] done'), c(2, "Merge branch 'main' into pw/demo/api", 2)] },
      3,
    );
    expect(s.workers[0]!.state).toBe('working');
    expect(s.workers[0]!.reopened).toBe(true);
  });

  it('two COMPLETEs in a row are not a reopening', () => {
    const s = status(plan, { api: [c(1, '[COMPLETE] done'), c(2, '[COMPLETE] really')] }, 3);
    expect(s.workers[0]!.state).toBe('complete');
    expect(s.workers[0]!.reopened).toBe(false);
    expect(s.workers[0]!.reopenedTimes).toBe(0);
  });

  it('COMPLETE, CHECKPOINT, COMPLETE, CHECKPOINT: reopened again, twice over its history', () => {
    const s = status(
      plan,
      {
        api: [
          c(1, '[COMPLETE] done'),
          c(2, '[CHECKPOINT] fix'),
          c(3, '[COMPLETE] done again'),
          c(4, '[CHECKPOINT] one more'),
        ],
      },
      5,
    );
    expect(s.workers[0]!.state).toBe('working');
    expect(s.workers[0]!.reopened).toBe(true);
    expect(s.workers[0]!.reopenedTimes).toBe(2);
  });

  it('empty status-only commits count like any other', () => {
    const s = status(plan, { db: [c(1, '[CHECKPOINT] thinking'), c(2, '[CHECKPOINT] still')] }, 3);
    expect(s.workers[2]!.counts.commits).toBe(2);
    expect(s.workers[2]!.lastCommit!.header).toBe('[CHECKPOINT] still');
  });

  it('merge, fixup! and revert commits are exempt: counted, state from the latest protocol commit', () => {
    const s = status(
      plan,
      {
        web: [
          c(1, '[BLOCKED:waiting for api] parked'),
          c(2, "Merge branch 'pw/demo/api' into pw/demo/web", 2),
          c(3, 'fixup! [BLOCKED:waiting for api] parked'),
          c(4, 'Revert "something"'),
        ],
      },
      5,
    );
    const web = s.workers[1]!;
    expect(web.state).toBe('blocked');
    expect(web.counts).toMatchObject({ commits: 4, blocked: 1, exempt: 3, invalid: 0 });
    expect(web.violations).toEqual([]);
    expect(web.lastCommit!.kind).toBe('exempt');
  });

  it('merges alone are no work of its own: pending (pw run merged a provider, the agent has not committed)', () => {
    const merged = status(
      plan,
      { web: [c(1, "Merge branch 'pw/demo/api' into pw/demo/web", 2)] },
      2,
    );
    const web = merged.workers[1]!;
    expect(web.state).toBe('pending');
    expect(web.counts).toMatchObject({ commits: 1, exempt: 1, merges: 1 });
    expect(merged.summary).toBe('0/3 complete · 3 pending');
    // Its first commit of its own makes it working; a fixup! (exempt, one parent) is its own too.
    const own = status(
      plan,
      {
        web: [c(1, "Merge branch 'pw/demo/api' into pw/demo/web", 2), c(2, 'fixup! something')],
      },
      3,
    );
    expect(own.workers[1]!.state).toBe('working');
    expect(own.workers[1]!.counts).toMatchObject({ commits: 2, exempt: 2, merges: 1 });
  });

  it('a prefix not at the start, or a lower-case keyword, is a protocol violation and does not set the state', () => {
    const s = status(
      plan,
      {
        db: [
          c(1, '[CHECKPOINT] tables'),
          c(2, 'fix typo [COMPLETE] all done'),
          c(3, '[complete] all done'),
        ],
      },
      4,
    );
    const db = s.workers[2]!;
    expect(db.state).toBe('working');
    expect(db.counts).toMatchObject({ commits: 3, checkpoint: 1, complete: 0, invalid: 2 });
    expect(db.violations.map((v) => v.kind)).toEqual(['protocol', 'protocol']);
    expect(db.violations[0]!.message).toContain('fix typo [COMPLETE] all done');
    expect(db.violations[1]!.message).toContain('upper case');
    expect(db.lastCommit!.kind).toBe('invalid');
  });

  it('a NEEDS naming an unknown worker (hooks bypassed) is a violation, not an open need', () => {
    const s = status(plan, { web: [c(1, '[NEEDS:ghost/api] need it')] }, 2);
    const web = s.workers[1]!;
    expect(web.needs).toEqual([]);
    expect(web.state).toBe('working');
    expect(web.violations).toHaveLength(1);
    expect(web.violations[0]!.message).toContain('"ghost" is not a worker of this plan');
    expect(s.deadlocks).toEqual([]);
  });

  it('a NEEDS naming the worker itself is a violation', () => {
    const s = status(plan, { web: [c(1, '[NEEDS:web/api] need it')] }, 2);
    expect(s.workers[1]!.needs).toEqual([]);
    expect(s.workers[1]!.violations[0]!.message).toContain('itself');
  });

  it('violations from the scope check are listed, and a protocol break it also found is not doubled', () => {
    const bad = c(1, 'no prefix');
    const found: StatusViolation[] = [
      {
        worker: 'db',
        kind: 'protocol',
        sha: bad.sha,
        paths: [],
        message: 'no prefix',
        time: bad.commitTime,
      },
      {
        worker: 'db',
        kind: 'scope',
        sha: bad.sha,
        paths: ['api/x.ts'],
        message: 'api/x.ts is outside the scope (owner: api)',
        time: bad.commitTime,
      },
    ];
    const s = status(plan, { db: [bad] }, 2, { violations: found });
    expect(s.workers[2]!.violations.map((v) => v.kind).sort()).toEqual(['protocol', 'scope']);
    expect(s.workers[0]!.violations).toEqual([]);
  });
});

describe('computePlanStatus: stalls', () => {
  const plan = makePlan([{ id: 'api' }, { id: 'web', stallAfterMs: 5 * MIN }]);

  it('exactly at the threshold is not stalled; one second past it is', () => {
    const histories = { api: [c(0, '[CHECKPOINT] start')] };
    const at = computePlanStatus({
      plan,
      now: T0 + STALL,
      histories: new Map(Object.entries(histories)),
    });
    expect(at.workers[0]!.state).toBe('working');
    expect(at.workers[0]!.idleMs).toBe(STALL);
    const past = computePlanStatus({
      plan,
      now: T0 + STALL + 1000,
      histories: new Map(Object.entries(histories)),
    });
    expect(past.workers[0]!.state).toBe('stalled');
    expect(past.summary).toBe('0/2 complete · 1 stalled · 1 pending');
  });

  it('uses the per-worker stallAfter', () => {
    const s = status(plan, { web: [c(0, '[CHECKPOINT] start')] }, 6);
    expect(s.workers[1]!.state).toBe('stalled');
    expect(s.workers[1]!.stallAfterMs).toBe(5 * MIN);
  });

  it('a recent uncommitted edit keeps a worker alive; an old one does not', () => {
    const histories = { api: [c(0, '[CHECKPOINT] start')] };
    const alive = status(plan, histories, 60, { worktrees: new Map([['api', tree(2, 50)]]) });
    expect(alive.workers[0]!.state).toBe('working');
    expect(alive.workers[0]!.lastActivityAt).toBe(new Date(T0 + 50 * MIN).toISOString());
    expect(alive.workers[0]!.uncommitted).toEqual({
      count: 2,
      newestEditAt: new Date(T0 + 50 * MIN).toISOString(),
    });
    const dead = status(plan, histories, 60, { worktrees: new Map([['api', tree(2, 20)]]) });
    expect(dead.workers[0]!.state).toBe('stalled');
  });

  it('blocked workers stall too, keeping their reason', () => {
    const s = status(plan, { api: [c(0, '[BLOCKED:need keys] waiting')] }, 31);
    expect(s.workers[0]!.state).toBe('stalled');
    expect(s.workers[0]!.blocked!.reason).toBe('need keys');
  });

  it('complete workers never stall', () => {
    const s = status(plan, { api: [c(0, '[COMPLETE] done')] }, 600);
    expect(s.workers[0]!.state).toBe('complete');
  });

  it('a worker with no commits stalls counting from its setup, or not at all while a dependency works', () => {
    const deps = makePlan([{ id: 'api' }, { id: 'web', dependsOn: ['api'] }]);
    const setupAt = new Map([
      ['api', T0],
      ['web', T0],
    ]);
    const early = status(deps, {}, 31, { setupAt });
    expect(early.workers.map((w) => w.state)).toEqual(['stalled', 'pending']);
    expect(early.workers[1]!.idleMs).toBeNull();
    const apiDone = status(deps, { api: [c(40, '[COMPLETE] done')] }, 60, { setupAt });
    // web's clock starts when api completed, 20 minutes ago.
    expect(apiDone.workers[1]!.state).toBe('pending');
    expect(apiDone.workers[1]!.idleMs).toBe(20 * MIN);
    const late = status(deps, { api: [c(40, '[COMPLETE] done')] }, 71, { setupAt });
    expect(late.workers[1]!.state).toBe('stalled');
  });
});

describe('computePlanStatus: NEEDS, deadlocks and who can resume', () => {
  const plan = makePlan([{ id: 'api' }, { id: 'web', dependsOn: ['api'] }, { id: 'db' }]);

  it('an open NEEDS is listed with its age; a Provides: trailer resolves it', () => {
    const open = status(plan, { web: [c(1, '[NEEDS:api/user-model] need the model')] }, 5);
    expect(open.workers[1]!.needs).toEqual([
      {
        worker: 'api',
        item: 'user-model',
        since: new Date(T0 + MIN).toISOString(),
        ageMs: 4 * MIN,
        sha: open.workers[1]!.lastCommit!.sha,
      },
    ]);
    expect(open.workers[1]!.state).toBe('working');

    const resolved = status(
      plan,
      {
        web: [c(1, '[NEEDS:api/user-model] need the model')],
        api: [c(3, '[CHECKPOINT] the model\n\nProvides: user-model')],
      },
      5,
    );
    expect(resolved.workers[1]!.needs).toEqual([]);
    expect(resolved.workers[1]!.resolvedNeeds).toMatchObject([
      { worker: 'api', item: 'user-model', by: 'provides' },
    ]);
    expect(resolved.workers[1]!.resolvedNeeds[0]!.resolvedAt).toBe(
      new Date(T0 + 3 * MIN).toISOString(),
    );
    // The waiting worker has not committed since: it can resume, and its note says the need was met.
    expect(resolved.canResume).toEqual([
      { worker: 'web', waitingOn: 'api', item: 'user-model', because: 'provided' },
    ]);
    const note = workerNote(resolved.workers[1]!, resolved);
    expect(note).toMatch(/^need met: api provided user-model \([0-9a-f]{8}\)$/);
    expect(note).not.toContain('[NEEDS:');

    // Once it commits again it has moved on: nothing more to resume.
    const movedOn = status(
      plan,
      {
        web: [c(1, '[NEEDS:api/user-model] need the model'), c(4, '[CHECKPOINT] used it')],
        api: [c(3, '[CHECKPOINT] the model\n\nProvides: user-model')],
      },
      5,
    );
    expect(movedOn.canResume).toEqual([]);
    expect(workerNote(movedOn.workers[1]!, movedOn)).toBe('[CHECKPOINT] used it');
  });

  it('a Provides: for another item leaves it open', () => {
    const s = status(
      plan,
      {
        web: [c(1, '[NEEDS:api/user-model] need the model')],
        api: [c(3, '[CHECKPOINT] sessions\n\nProvides: sessions')],
      },
      5,
    );
    expect(s.workers[1]!.needs.map((n) => n.item)).toEqual(['user-model']);
  });

  it("the provider's COMPLETE resolves every open NEEDS on it", () => {
    const s = status(
      plan,
      {
        web: [c(1, '[NEEDS:api/a] need a'), c(2, '[NEEDS:api/b] need b')],
        api: [c(4, '[COMPLETE] all done')],
      },
      5,
    );
    expect(s.workers[1]!.needs).toEqual([]);
    expect(s.workers[1]!.resolvedNeeds.map((r) => [r.item, r.by])).toEqual([
      ['a', 'complete'],
      ['b', 'complete'],
    ]);
  });

  it('a NEEDS asked after the provider completed stays open, and the worker can resume', () => {
    const s = status(
      plan,
      { api: [c(1, '[COMPLETE] done')], web: [c(2, '[NEEDS:api/docs] need docs')] },
      5,
    );
    expect(s.workers[1]!.needs.map((n) => n.item)).toEqual(['docs']);
    expect(s.canResume).toEqual([
      { worker: 'web', waitingOn: 'api', item: 'docs', because: 'complete' },
    ]);
  });

  it('a NEEDS for an item delivered before it was asked for stays open, and the worker can resume', () => {
    const s = status(
      plan,
      {
        api: [c(1, '[CHECKPOINT] model\n\nProvides: user-model')],
        web: [c(2, '[NEEDS:api/user-model] need the model')],
      },
      5,
    );
    expect(s.workers[1]!.needs).toHaveLength(1);
    expect(s.canResume).toEqual([
      { worker: 'web', waitingOn: 'api', item: 'user-model', because: 'provided' },
    ]);
  });

  it('a blocked worker whose dependencies are all complete, or whose reason names a complete worker, can resume', () => {
    const byDeps = status(
      plan,
      { api: [c(1, '[COMPLETE] done')], web: [c(2, '[BLOCKED:waiting] parked')] },
      5,
    );
    expect(byDeps.canResume).toEqual([
      { worker: 'web', waitingOn: 'api', item: null, because: 'complete' },
    ]);
    const byName = status(
      plan,
      { db: [c(1, '[COMPLETE] done')], api: [c(2, '[BLOCKED:the db schema] parked')] },
      5,
    );
    expect(byName.canResume).toEqual([
      { worker: 'api', waitingOn: 'db', item: null, because: 'complete' },
    ]);
    const notYet = status(plan, { web: [c(2, '[BLOCKED:waiting] parked')] }, 5);
    expect(notYet.canResume).toEqual([]);
  });

  it('a NEEDS cycle of three is a deadlock, named in order', () => {
    const s = status(
      plan,
      {
        api: [c(1, '[NEEDS:web/ui] need the ui')],
        web: [c(2, '[NEEDS:db/table] need a table')],
        db: [c(3, '[NEEDS:api/endpoint] need an endpoint')],
      },
      5,
    );
    expect(s.deadlocks).toEqual([['api', 'web', 'db']]);
  });

  it('a resolved NEEDS breaks the cycle', () => {
    const s = status(
      plan,
      {
        api: [c(1, '[NEEDS:web/ui] need the ui')],
        web: [c(2, '[NEEDS:db/table] need a table')],
        db: [
          c(3, '[NEEDS:api/endpoint] need an endpoint'),
          c(4, '[CHECKPOINT] x\n\nProvides: table'),
        ],
      },
      5,
    );
    expect(s.deadlocks).toEqual([]);
  });

  it('a complete worker needs nothing', () => {
    const s = status(
      plan,
      { web: [c(1, '[NEEDS:api/x] need x'), c(2, '[COMPLETE] done without it')] },
      5,
    );
    expect(s.workers[1]!.needs).toEqual([]);
  });

  it('every worker complete: ready to integrate', () => {
    const s = status(
      plan,
      { api: [c(1, '[COMPLETE] a')], web: [c(2, '[COMPLETE] w')], db: [c(3, '[COMPLETE] d')] },
      5,
    );
    expect(s.readyToIntegrate).toBe(true);
    expect(s.summary).toBe('3/3 complete · ready to integrate');
    expect(s.integrateOrder).toMatchObject({ ok: true, order: ['api', 'web', 'db'] });
  });

  it('every worker complete but NEEDS alone order them in a cycle: not ready, the cycle is named', () => {
    const s = status(
      plan,
      {
        api: [c(1, '[NEEDS:db/table] table'), c(3, '[COMPLETE] a')],
        web: [c(3, '[COMPLETE] w')],
        db: [c(2, '[NEEDS:api/route] route'), c(4, '[COMPLETE] d')],
      },
      5,
    );
    expect(s.deadlocks).toEqual([]);
    expect(s.readyToIntegrate).toBe(false);
    expect(s.summary).toBe('3/3 complete · integrate order has a cycle');
    expect(s.integrateOrder).toMatchObject({
      ok: false,
      cycleText: 'api -(NEEDS:db/table)-> db -(NEEDS:api/route)-> api',
    });
  });

  it("a NEEDS against the plan's dependsOn does not stop readiness: the declared order wins", () => {
    const declared = makePlan([{ id: 'api' }, { id: 'web', dependsOn: ['api'] }]);
    const s = status(
      declared,
      {
        api: [c(1, '[NEEDS:web/page-url] url'), c(4, '[COMPLETE] a')],
        web: [c(2, '[CHECKPOINT] page\n\nProvides: page-url'), c(3, '[COMPLETE] w')],
      },
      5,
    );
    expect(s.readyToIntegrate).toBe(true);
    expect(s.integrateOrder.order).toEqual(['api', 'web']);
    expect(s.integrateOrder.overridden).toEqual([
      {
        edge: { from: 'api', to: 'web', reason: 'NEEDS:web/page-url' },
        declared: [{ from: 'web', to: 'api', reason: 'dependsOn' }],
      },
    ]);
  });
});

describe('findNeedsCycles', () => {
  const w = (id: string, ...needs: string[]) => ({
    id,
    needs: needs.map((worker) => ({ worker })),
  });

  it('finds each cycle once and ignores chains', () => {
    expect(findNeedsCycles([w('a', 'b'), w('b', 'c'), w('c')])).toEqual([]);
    expect(findNeedsCycles([w('a', 'b'), w('b', 'a'), w('c', 'd'), w('d', 'c')])).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(findNeedsCycles([w('a', 'b', 'c'), w('b', 'c'), w('c', 'a')])).toEqual([['a', 'c']]);
  });
});
