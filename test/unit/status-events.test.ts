import { describe, expect, it } from 'vitest';
import { computePlanStatus } from '../../src/domain/status/plan-status.js';
import { planWaitOutcome } from '../../src/domain/status/plan-wait.js';
import { listStatusEvents, takeNewEvents } from '../../src/domain/status/events.js';
import type { StatusCommit } from '../../src/domain/status/summarize-worker-history.js';
import { c, makePlan, MIN, T0 } from '../helpers/status-fixture.js';

const plan = makePlan([{ id: 'api' }, { id: 'web', dependsOn: ['api'] }, { id: 'db' }]);

function snapshot(histories: Record<string, StatusCommit[]>, nowMinutes: number) {
  const map = new Map(Object.entries(histories));
  const status = computePlanStatus({ plan, now: T0 + nowMinutes * MIN, histories: map });
  return { status, events: listStatusEvents(plan, map, status) };
}

describe('listStatusEvents', () => {
  const api = [
    c(1, '[CHECKPOINT] schema'),
    c(5, '[CHECKPOINT] model\n\nProvides: user-model'),
    c(9, '[COMPLETE] api done'),
    c(11, '[CHECKPOINT] one more fix'),
  ];
  const web = [
    c(2, '[NEEDS:api/user-model] need the model'),
    c(3, '[BLOCKED:no model yet] parked'),
    c(6, '[CHECKPOINT] got it'),
  ];
  const db = [c(4, 'no prefix at all')];

  it('one event per protocol commit, the first commit, work after COMPLETE, resolutions and violations, in time order', () => {
    const { events } = snapshot({ api, web, db }, 12);
    expect(events.map((e) => [e.type, e.worker, Date.parse(e.time) - T0])).toEqual([
      ['started', 'api', 1 * MIN],
      ['checkpoint', 'api', 1 * MIN],
      ['started', 'web', 2 * MIN],
      ['needs', 'web', 2 * MIN],
      ['blocked', 'web', 3 * MIN],
      ['started', 'db', 4 * MIN],
      ['violation', 'db', 4 * MIN],
      ['checkpoint', 'api', 5 * MIN],
      ['needs-resolved', 'web', 5 * MIN],
      ['checkpoint', 'web', 6 * MIN],
      ['complete', 'api', 9 * MIN],
      ['reopened', 'api', 11 * MIN],
      ['checkpoint', 'api', 11 * MIN],
    ]);
    const needs = events.find((e) => e.type === 'needs')!;
    expect(needs.needs).toEqual({ worker: 'api', item: 'user-model' });
    expect(events.find((e) => e.type === 'blocked')!.reason).toBe('no model yet');
    expect(events.find((e) => e.type === 'checkpoint' && e.provides)!.provides).toEqual([
      'user-model',
    ]);
    expect(events.find((e) => e.type === 'needs-resolved')).toMatchObject({
      worker: 'web',
      needs: { worker: 'api', item: 'user-model' },
      by: 'provides',
      sha: api[1]!.sha,
    });
    expect(events.every((e) => e.plan === 'demo')).toBe(true);
  });

  it('ids are stable across runs, so a follower prints each happening once', () => {
    const first = snapshot({ api: api.slice(0, 2), web: web.slice(0, 1) }, 6);
    const seen = new Set<string>();
    expect(takeNewEvents(first.events, seen).map((e) => e.type)).toEqual([
      'started',
      'checkpoint',
      'started',
      'needs',
      'checkpoint',
      'needs-resolved',
    ]);
    const later = snapshot({ api, web, db }, 12);
    expect(takeNewEvents(later.events, seen).map((e) => e.type)).toEqual([
      'blocked',
      'started',
      'violation',
      'checkpoint',
      'complete',
      'reopened',
      'checkpoint',
    ]);
    expect(takeNewEvents(later.events, seen)).toEqual([]);
  });

  it('conditions: stalled (from when it began), deadlock, can-resume, ready', () => {
    const stalled = snapshot({ db: [c(0, '[CHECKPOINT] start')] }, 45).events;
    const stall = stalled.find((e) => e.type === 'stalled')!;
    expect(stall.worker).toBe('db');
    expect(Date.parse(stall.time)).toBe(T0 + 30 * MIN);
    // A new stall after new activity is a new event.
    const again = snapshot(
      { db: [c(0, '[CHECKPOINT] start'), c(50, '[CHECKPOINT] x')] },
      90,
    ).events;
    expect(again.find((e) => e.type === 'stalled')!.id).not.toBe(stall.id);

    const cycle = snapshot(
      {
        api: [c(1, '[NEEDS:web/ui] ui')],
        web: [c(2, '[NEEDS:db/table] table')],
        db: [c(3, '[NEEDS:api/endpoint] endpoint')],
      },
      5,
    ).events;
    expect(cycle.find((e) => e.type === 'deadlock')).toMatchObject({
      cycle: ['api', 'web', 'db'],
      time: new Date(T0 + 3 * MIN).toISOString(),
    });

    const resume = snapshot(
      { api: [c(1, '[COMPLETE] done')], web: [c(2, '[BLOCKED:waiting] parked')] },
      5,
    ).events;
    expect(resume.find((e) => e.type === 'can-resume')).toMatchObject({
      worker: 'web',
      waitingOn: 'api',
      because: 'complete',
    });

    const done = snapshot(
      { api: [c(1, '[COMPLETE] a')], web: [c(2, '[COMPLETE] w')], db: [c(3, '[COMPLETE] d')] },
      5,
    ).events;
    expect(done[done.length - 1]).toMatchObject({
      type: 'ready',
      time: new Date(T0 + 3 * MIN).toISOString(),
    });
  });

  it('all complete, but the integrate order has a cycle: order-cycle, not ready', () => {
    const { events } = snapshot(
      {
        api: [c(1, '[NEEDS:db/table] t'), c(3, '[COMPLETE] a')],
        web: [c(2, '[COMPLETE] w')],
        db: [c(2, '[NEEDS:api/route] r'), c(4, '[COMPLETE] d')],
      },
      5,
    );
    expect(events.some((e) => e.type === 'ready')).toBe(false);
    expect(events[events.length - 1]).toMatchObject({
      type: 'order-cycle',
      time: new Date(T0 + 4 * MIN).toISOString(),
      text: 'api -(NEEDS:db/table)-> db -(NEEDS:api/route)-> api',
    });
  });
});

describe('planWaitOutcome', () => {
  it('waiting while workers work; complete when all are; attention wins over complete', () => {
    expect(planWaitOutcome(snapshot({ api: [c(1, '[CHECKPOINT] x')] }, 2).status)).toEqual({
      outcome: 'waiting',
    });
    const all = {
      api: [c(1, '[COMPLETE] a')],
      web: [c(2, '[COMPLETE] w')],
      db: [c(3, '[COMPLETE] d')],
    };
    expect(planWaitOutcome(snapshot(all, 5).status)).toEqual({ outcome: 'complete' });
    const withViolation = { ...all, db: [c(2, 'oops'), c(3, '[COMPLETE] d')] };
    const outcome = planWaitOutcome(snapshot(withViolation, 5).status);
    expect(outcome.outcome).toBe('attention');
    expect(outcome.outcome === 'attention' && outcome.reasons[0]).toMatchObject({
      worker: 'db',
      kind: 'violation',
    });
  });

  it('says who is blocked, stalled or deadlocked, and why', () => {
    const outcome = planWaitOutcome(
      snapshot(
        {
          api: [c(0, '[BLOCKED:need keys] parked')],
          web: [c(40, '[NEEDS:db/t] t')],
          db: [c(41, '[NEEDS:web/u] u')],
        },
        42,
      ).status,
    );
    expect(outcome.outcome === 'attention' && outcome.reasons.map((r) => r.message)).toEqual([
      'api has stalled: no activity for 42m (limit 30m), blocked: need keys',
      'deadlock: web → db → web (each NEEDS the next)',
    ]);
    const blocked = planWaitOutcome(
      snapshot({ api: [c(0, '[BLOCKED:need keys] parked')] }, 5).status,
    );
    expect(blocked.outcome === 'attention' && blocked.reasons).toEqual([
      { worker: 'api', kind: 'blocked', message: 'api is blocked: need keys (for 5m)' },
    ]);
  });

  it('names the workers the last pw run gave up on or skipped, unless they completed since', () => {
    const status = snapshot(
      { api: [c(1, '[CHECKPOINT] x')], db: [c(2, '[COMPLETE] d')] },
      5,
    ).status;
    const outcome = planWaitOutcome(status, [
      { worker: 'api', state: 'failed', detail: 'permanent: exit 127' },
      { worker: 'web', state: 'skipped', detail: 'dependency api failed' },
      { worker: 'db', state: 'failed', detail: 'an earlier attempt' },
    ]);
    expect(outcome.outcome === 'attention' && outcome.reasons).toEqual([
      {
        worker: 'api',
        kind: 'run-failed',
        message: 'api failed in pw run: permanent: exit 127 (pw logs api; pw run starts it again)',
      },
      {
        worker: 'web',
        kind: 'run-failed',
        message:
          'web was skipped in pw run: dependency api failed (pw logs web; pw run starts it again)',
      },
    ]);
    expect(planWaitOutcome(status, [])).toEqual({ outcome: 'waiting' });
  });

  it('all complete with an integrate order cycle: attention (exit 1), naming the cycle, not complete', () => {
    const outcome = planWaitOutcome(
      snapshot(
        {
          api: [c(1, '[NEEDS:db/table] t'), c(3, '[COMPLETE] a')],
          web: [c(2, '[COMPLETE] w')],
          db: [c(2, '[NEEDS:api/route] r'), c(4, '[COMPLETE] d')],
        },
        5,
      ).status,
    );
    expect(outcome.outcome === 'attention' && outcome.reasons).toEqual([
      {
        worker: null,
        kind: 'order-cycle',
        message:
          'all workers are complete, but the integrate order has a cycle: api -(NEEDS:db/table)-> db -(NEEDS:api/route)-> api; pw integrate refuses it (declare which goes first with dependsOn in the plan, then pw setup)',
      },
    ]);
  });
});
