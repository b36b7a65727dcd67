import { describe, expect, it } from 'vitest';
import type { CompiledPlan } from '../../src/domain/plan/plan.js';
import { computeRetro, type RetroCommit, type RetroInput } from '../../src/domain/retro/retro.js';
import { computePlanStatus } from '../../src/domain/status/plan-status.js';
import { histories, input, plan as fixturePlan } from './retro-fixture.js';
import { tenWorkerInput } from './retro-ten-workers.js';

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
  return {
    states: {
      status: Object.fromEntries(status.workers.map((w) => [w.id, w.state])),
      retro: Object.fromEntries(retro.workers.map((w) => [w.id, w.state])),
    },
    openNeeds: {
      status: status.workers.flatMap((w) =>
        w.needs.map((n) => `${w.id} -> ${n.worker}/${n.item}`).sort(),
      ),
      retro: retro.workers.flatMap((w) =>
        w.needs
          .filter((n) => n.open)
          .map((n) => `${w.id} -> ${n.provider}/${n.item}`)
          .sort(),
      ),
    },
    deadlocks: {
      status: status.deadlocks.map((cycle) => [...cycle].sort().join(',')).sort(),
      retro: retro.findings
        .filter((f) => f.kind === 'deadlock')
        .map((f) =>
          f.title
            .replace(/^Deadlock: /, '')
            .replace(/ wait for each other$/, '')
            .split(' → ')
            .slice(0, -1)
            .sort()
            .join(','),
        )
        .sort(),
    },
  };
}

function expectAgreement(retroInput: RetroInput): ReturnType<typeof agreement> {
  const result = agreement(retroInput);
  expect(result.states.retro).toEqual(result.states.status);
  expect(result.openNeeds.retro).toEqual(result.openNeeds.status);
  expect(result.deadlocks.retro).toEqual(result.deadlocks.status);
  return result;
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
    expect(result.deadlocks.status.length).toBeGreaterThan(0);
    expect(Object.values(result.states.status)).toContain('stalled');
  });
});
