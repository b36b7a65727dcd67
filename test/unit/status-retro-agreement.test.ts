import { describe, expect, it } from 'vitest';
import type { CompiledPlan } from '../../src/domain/plan/plan.js';
import { computeRetro, type RetroCommit, type RetroInput } from '../../src/domain/retro/retro.js';
import { computePlanStatus } from '../../src/domain/status/plan-status.js';
import { histories, input, plan as fixturePlan } from './retro-fixture.js';
import { tenWorkerInput } from './retro-ten-workers.js';
import { retroView, statusView, type AgreementView } from '../helpers/status-retro-agreement.js';

/**
 * pw status and pw retro read the same histories; they must agree on every
 * worker's state, every open NEEDS and every deadlock (one derivation each,
 * in domain/status).
 */

function compiledPlan(retro: RetroInput): CompiledPlan {
  return {
    version: 1,
    name: retro.plan.name,
    base: retro.plan.base,
    baseCommit: retro.plan.baseCommit,
    target: retro.plan.base,
    repoRoot: '/repo',
    source: '/repo/plan.yaml',
    context: '',
    stallAfterMs: retro.plan.stallAfterMs,
    integrate: { target: retro.plan.base, verify: null, verifyMode: 'end', strategy: 'merge' },
    workers: retro.plan.workers.map((w) => ({
      id: w.id,
      branch: `pw/${retro.plan.name}/${w.id}`,
      worktree: `/repo.pw/${retro.plan.name}/${w.id}`,
      owns: [...w.owns],
      pathspecs: [],
      task: '',
      dependsOn: [...w.dependsOn],
      agentCommand: 'claude',
      stallAfterMs: w.stallAfterMs,
    })),
  };
}

function agreement(retroInput: RetroInput) {
  const retro = computeRetro(retroInput);
  const setup = retroInput.events.find((e) => e.type === 'setup');
  const setupAt = setup ? Date.parse(setup.time) : null;
  const status = computePlanStatus({
    plan: compiledPlan(retroInput),
    now: Date.parse(retro.endedAt),
    histories: new Map(
      [...retroInput.histories].map(([id, commits]) => [
        id,
        commits.map((c) => ({
          sha: c.sha,
          parents: ['p'],
          authorTime: c.commitTime,
          commitTime: c.commitTime,
          message: c.message,
        })),
      ]),
    ),
    ...(setupAt === null
      ? {}
      : { setupAt: new Map(retroInput.plan.workers.map((w) => [w.id, setupAt])) }),
  });
  return { status: statusView(status), retro: retroView(retro) };
}

function expectAgreement(retroInput: RetroInput): AgreementView {
  const result = agreement(retroInput);
  expect(result.retro.states).toEqual(result.status.states);
  expect(result.retro.openNeeds).toEqual(result.status.openNeeds);
  expect(result.retro.deadlocks).toEqual(result.status.deadlocks);
  return result.status;
}

/**
 * The input as it stood at each moment a commit landed, just after the stall
 * limit passed with no further commit, and at the end: histories and events up
 * to then, `now` then.
 */
function momentsOf(retroInput: RetroInput): RetroInput[] {
  const times = [...retroInput.histories.values()].flat().map((c) => c.commitTime);
  const moments = [
    ...new Set([
      ...times,
      ...times.map((t) => t + retroInput.plan.stallAfterMs + MIN),
      retroInput.now,
    ]),
  ]
    .filter((t) => t <= retroInput.now)
    .sort((a, b) => a - b);
  return moments.map((now) => ({
    ...retroInput,
    now,
    histories: new Map(
      [...retroInput.histories].map(([id, commits]) => [
        id,
        commits.filter((c) => c.commitTime <= now),
      ]),
    ),
    events: retroInput.events.filter((e) => Date.parse(e.time) <= now),
  }));
}

/** Agreement at every moment of the history; returns how many moments were compared. */
function expectAgreementThroughout(retroInput: RetroInput): number {
  const moments = momentsOf(retroInput);
  for (const moment of moments) {
    const result = agreement(moment);
    const when = new Date(moment.now).toISOString();
    expect(result.retro.states, when).toEqual(result.status.states);
    expect(result.retro.openNeeds, when).toEqual(result.status.openNeeds);
    expect(result.retro.deadlocks, when).toEqual(result.status.deadlocks);
  }
  return moments.length;
}

let shaCounter = 0;
const T0 = Date.parse('2026-03-01T09:00:00Z');
const MIN = 60_000;
function commit(minutes: number, message: string): RetroCommit {
  shaCounter += 1;
  return {
    sha: shaCounter.toString(16).padStart(40, '0'),
    commitTime: T0 + minutes * MIN,
    message,
  };
}

/**
 * Ten workers: w0 and w1 wait on each other only through their second open
 * NEEDS (a deadlock that following each worker's first NEEDS misses), others
 * wait, finish, block, idle or never start.
 */
function tenWorkerRing(): RetroInput {
  const ids = Array.from({ length: 10 }, (_, i) => `w${i}`);
  const histories = new Map<string, RetroCommit[]>();
  ids.forEach((id, i) => {
    const next = i === 1 ? 'w0' : ids[(i + 1) % 10]!;
    const far = ids[(i + 5) % 10]!;
    if (i === 9) return; // never started
    const commits = [commit(i, `[CHECKPOINT] ${id} starts`)];
    if (i < 4) {
      commits.push(commit(20 + i, `[NEEDS:${far}/schema] ${id} waits on ${far}`));
      commits.push(commit(21 + i, `[NEEDS:${next}/api] ${id} waits on ${next}`));
    } else if (i === 6) {
      commits.push(commit(30, `[COMPLETE] ${id} done\n\nProvides: api`));
    } else if (i === 7) {
      commits.push(commit(31, `[BLOCKED:no credentials] ${id} stuck`));
    }
    histories.set(id, commits);
  });
  return {
    plan: {
      name: 'ring',
      base: 'main',
      baseCommit: 'a'.repeat(40),
      stallAfterMs: 30 * MIN,
      workers: ids.map((id) => ({ id, dependsOn: [], owns: [`/${id}/`], stallAfterMs: 30 * MIN })),
    },
    histories,
    events: [{ time: new Date(T0).toISOString(), type: 'setup', plan: 'ring' }],
    now: T0 + 50 * MIN,
  };
}

describe('pw status and pw retro agree', () => {
  it('on the retro fixture, in flight and with every worker done', () => {
    expectAgreement(input());
    expectAgreement(input({ histories: histories({ docsComplete: true }) }));
    expect(fixturePlan.workers.length).toBeGreaterThan(1);
  });

  it('on the ten-worker retro fixture', () => {
    expectAgreement(tenWorkerInput());
  });

  it('on ten workers where workers have two open NEEDS each', () => {
    const result = expectAgreement(tenWorkerRing());
    expect(result.deadlocks.length).toBeGreaterThan(0);
    expect(Object.values(result.states)).toContain('stalled');
  });

  it('at every moment of the retro fixtures and the ten-worker plans, not only at the end', () => {
    expect(expectAgreementThroughout(input())).toBeGreaterThan(10);
    expectAgreementThroughout(input({ histories: histories({ docsComplete: true }) }));
    expect(expectAgreementThroughout(tenWorkerInput())).toBeGreaterThan(50);
    expectAgreementThroughout(tenWorkerRing());
  });
});
