import { describe, expect, it } from 'vitest';
import { planRunStep, type StepWorker } from '../../src/domain/run/plan-run-step.js';

const worker = (id: string, extra: Partial<StepWorker> = {}): StepWorker => ({
  id,
  dependsOn: [],
  git: 'pending',
  blockedReason: null,
  phase: { kind: 'waiting' },
  selected: true,
  group: null,
  ...extra,
});

const step = (workers: StepWorker[], maxWorkers: number | null = null) =>
  planRunStep({ workers, maxWorkers, concurrencyLimits: {}, now: 1000 });

describe('planRunStep with attached workers (pw attach)', () => {
  it('does not start an attached worker; it becomes attached and the run keeps waiting for it', () => {
    const d = step([worker('a', { attachedBy: 4242 }), worker('b')]);
    expect(d.start.map((s) => s.id)).toEqual(['b']);
    expect(d.settle).toEqual([{ id: 'a', phase: { kind: 'attached', pid: 4242 } }]);
    expect(d.finished).toBeNull();
  });

  it('a worker waiting for a retry is not restarted while attached, even when the retry is due', () => {
    const d = step([worker('a', { phase: { kind: 'retry', at: 500, attempt: 2 }, attachedBy: 7 })]);
    expect(d.start).toEqual([]);
    expect(d.settle).toEqual([{ id: 'a', phase: { kind: 'attached', pid: 7 } }]);
    expect(d.wakeAt).toBeNull();
    // Nothing else runs, yet the run is not finished: the attach will end.
    expect(d.finished).toBeNull();
  });

  it('stays attached on later steps without settling again; its dependents wait', () => {
    const d = step([
      worker('a', { phase: { kind: 'attached', pid: 7 }, attachedBy: 7 }),
      worker('b', { dependsOn: ['a'] }),
    ]);
    expect(d.settle).toEqual([]);
    expect(d.start).toEqual([]);
    expect(d.skip).toEqual([]);
    expect(d.finished).toBeNull();
  });

  it('starts the worker again (its session resumed by the engine) once the attach has ended', () => {
    const d = step([worker('a', { phase: { kind: 'attached', pid: 7 }, attachedBy: null })]);
    expect(d.settle).toEqual([{ id: 'a', phase: { kind: 'waiting' } }]);
    expect(d.start).toEqual([{ id: 'a', providers: [], attempt: 1 }]);
  });

  it('a running agent is left to the engine, which stops it for --take-over', () => {
    const d = step([worker('a', { phase: { kind: 'running', attempt: 1 }, attachedBy: 7 })]);
    expect(d.settle).toEqual([]);
    expect(d.start).toEqual([]);
  });

  it('git wins: a worker completed during the attach is complete, and the run can finish', () => {
    const d = step([
      worker('a', { git: 'complete', phase: { kind: 'attached', pid: 7 }, attachedBy: 7 }),
    ]);
    expect(d.settle).toEqual([{ id: 'a', phase: { kind: 'complete' } }]);
    expect(d.finished).toEqual({ allComplete: true });
  });

  it('an attached worker does not count against --max-workers', () => {
    const d = step([worker('a', { attachedBy: 7 }), worker('b'), worker('c')], 1);
    expect(d.start.map((s) => s.id)).toEqual(['b']);
    expect(d.queued).toEqual(['c']);
  });
});
