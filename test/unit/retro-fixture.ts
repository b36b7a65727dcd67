/** A scripted three-worker history with exact times, shared by the retro unit tests. */
import type {
  RetroCommit,
  RetroEvent,
  RetroInput,
  RetroPlanSpec,
} from '../../src/domain/retro/retro.js';

export const T0 = Date.parse('2026-01-05T09:00:00Z');
export const MIN = 60_000;
export const at = (minutes: number): number => T0 + minutes * MIN;

let counter = 0;
export function commit(minutes: number, message: string): RetroCommit {
  counter += 1;
  return {
    sha: `c${counter.toString(16).padStart(6, '0')}`.padEnd(40, '0'),
    commitTime: at(minutes),
    message,
  };
}

export const plan: RetroPlanSpec = {
  name: 'demo',
  base: 'main',
  target: 'main',
  baseCommit: 'f'.repeat(40),
  stallAfterMs: 30 * MIN,
  workers: [
    { id: 'api', dependsOn: [], owns: ['src/api/'], stallAfterMs: 30 * MIN },
    { id: 'web', dependsOn: ['api'], owns: ['src/web/'], stallAfterMs: 30 * MIN },
    { id: 'docs', dependsOn: [], owns: ['docs/'], stallAfterMs: 30 * MIN },
  ],
};

export function histories(options: { docsComplete: boolean }): Map<string, RetroCommit[]> {
  return new Map([
    [
      'api',
      [
        commit(10, '[CHECKPOINT] schema'),
        commit(25, '[CHECKPOINT] model'),
        commit(40, '[CHECKPOINT] user model\n\nProvides: user-model'),
        commit(120, '[COMPLETE] api done'),
      ],
    ],
    [
      'web',
      [
        commit(5, '[CHECKPOINT] scaffold'),
        commit(15, '[NEEDS:api/user-model] need the model'),
        commit(20, '[BLOCKED:no user model] waiting for api'),
        commit(45, '[CHECKPOINT] got the model'),
        commit(60, '[NEEDS:api/session] need sessions'),
        commit(70, '[CHECKPOINT] forms'),
        commit(140, '[COMPLETE] web done'),
        commit(150, '[CHECKPOINT] fix after complete'),
        commit(155, '[COMPLETE] web done again'),
      ],
    ],
    [
      'docs',
      [
        commit(50, 'wip docs'),
        commit(60, '[CHECKPOINT] docs'),
        ...(options.docsComplete ? [commit(90, '[COMPLETE] docs done')] : []),
      ],
    ],
  ]);
}

export const setupEvent: RetroEvent = {
  time: new Date(T0 + 400).toISOString(),
  type: 'setup',
  plan: 'demo',
};

export function input(overrides: Partial<RetroInput> = {}): RetroInput {
  return {
    plan,
    histories: histories({ docsComplete: false }),
    events: [setupEvent],
    now: at(180),
    ...overrides,
  };
}
