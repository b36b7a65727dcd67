import { describe, expect, it } from 'vitest';
import {
  findMovedBranches,
  firstParentLineTo,
  type HistoryBasis,
} from '../../src/domain/status/increment.js';
import {
  extendWorkerSummary,
  summarizeWorkerHistory,
  type StatusCommit,
} from '../../src/domain/status/summarize-worker-history.js';

const basis = (refs: [string, string | null][][], base: string | null = 'b1'): HistoryBasis => ({
  pw: '0.1.0',
  plan: 'demo',
  baseCommit: 'b0',
  workers: [
    ['api', 'pw/demo/api', [':(top,glob)src/api/**'], []],
    ['web', 'pw/demo/web', [':(top,glob)src/web/**'], ['api']],
  ],
  base: ['main', base],
  target: ['main', base],
  refs,
});
const api = (sha: string | null, archive: string | null = null): [string, string | null][] => [
  ['refs/heads/pw/demo/api', sha],
  ['refs/pw/archive/demo/api', archive],
];
const web = (sha: string | null): [string, string | null][] => [
  ['refs/heads/pw/demo/web', sha],
  ['refs/pw/archive/demo/web', null],
];

describe('findMovedBranches', () => {
  it('names the branches that moved when nothing else did', () => {
    expect(findMovedBranches(basis([api('a1'), web('w1')]), basis([api('a2'), web('w1')]))).toEqual(
      [{ worker: 'api', ref: 'refs/heads/pw/demo/api', from: 'a1', to: 'a2' }],
    );
    expect(findMovedBranches(basis([api('a1'), web('w1')]), basis([api('a1'), web('w1')]))).toEqual(
      [],
    );
  });

  it('is null when the base moved, a branch appeared or went, an archive is there, or the plan changed', () => {
    const before = basis([api('a1'), web('w1')]);
    expect(findMovedBranches(before, basis([api('a2'), web('w1')], 'b2'))).toBeNull();
    expect(
      findMovedBranches(basis([api(null), web('w1')]), basis([api('a1'), web('w1')])),
    ).toBeNull();
    expect(findMovedBranches(before, basis([api(null), web('w1')]))).toBeNull();
    expect(
      findMovedBranches(basis([api('a1', 'x'), web('w1')]), basis([api('a2', 'x'), web('w1')])),
    ).toBeNull();
    expect(findMovedBranches(before, { ...basis([api('a2'), web('w1')]), pw: '0.2.0' })).toBeNull();
  });
});

describe('firstParentLineTo', () => {
  const graph = new Map(
    [
      { sha: 'c3', parents: ['m2'] },
      { sha: 'm2', parents: ['c1', 's1'] },
      { sha: 's1', parents: ['old'] },
      { sha: 'c1', parents: ['old'] },
    ].map((c) => [c.sha, c]),
  );
  it('walks first parents from the new tip down to the old one, oldest first', () => {
    expect(firstParentLineTo(graph, 'c3', 'old')!.map((c) => c.sha)).toEqual(['c1', 'm2', 'c3']);
  });
  it('is null when that line does not reach the old tip', () => {
    expect(firstParentLineTo(graph, 'c3', 'elsewhere')).toBeNull();
    expect(firstParentLineTo(graph, 'missing', 'old')).toBeNull();
  });
});

describe('extendWorkerSummary', () => {
  it('gives what summarising the whole history gives, at every split', () => {
    const messages = [
      '[CHECKPOINT] start',
      '[NEEDS:web/page] need the page',
      '[BLOCKED:review] parked',
      '[BLOCKED:still] parked again',
      'no prefix',
      '[COMPLETE] done\n\nProvides: api',
      '[CHECKPOINT] reopened',
      "Merge branch 'main'",
      '[NEEDS:nobody/x] bad target',
      '[COMPLETE] done again',
    ];
    const commits: StatusCommit[] = messages.map((message, i) => ({
      sha: `c${i}`,
      parents: i ? [`c${i - 1}`] : [],
      authorTime: i * 1000,
      commitTime: i * 1000,
      message,
    }));
    const context = { worker: 'api', workers: ['api', 'web'] };
    const whole = summarizeWorkerHistory(commits, context);
    for (let split = 0; split <= commits.length; split++) {
      const start = summarizeWorkerHistory(commits.slice(0, split), context);
      const copy = structuredClone(start);
      expect(extendWorkerSummary(start, commits.slice(split), context)).toEqual(whole);
      expect(start).toEqual(copy);
    }
  });
});
