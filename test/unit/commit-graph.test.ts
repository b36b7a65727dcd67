import { describe, expect, it } from 'vitest';
import { attributeWorkerCommits } from '../../src/domain/history/attribute-commits.js';
import { chooseWorkerTip } from '../../src/domain/status/choose-worker-tip.js';
import {
  countAheadBehind,
  firstParentChain,
  isAncestorInGraph,
  reachableFrom,
} from '../../src/domain/history/commit-graph.js';

interface Node {
  sha: string;
  parents: string[];
  header: string;
}

/** A graph from `child: parent1 parent2 | header` lines; parents outside the graph are the base. */
function graph(lines: string[]): Map<string, Node> {
  const map = new Map<string, Node>();
  for (const line of lines) {
    const [left, header = ''] = line.split('|').map((s) => s.trim());
    const [sha, ...parents] = left!.split(/[:\s]+/).filter(Boolean);
    map.set(sha!, { sha: sha!, parents, header: header! });
  }
  return map;
}

const attribute = (
  g: Map<string, Node>,
  tips: Record<string, string>,
  baseTip: string | null,
  dependsOn: Record<string, string[]> = {},
) =>
  Object.fromEntries(
    [
      ...attributeWorkerCommits({
        graph: g,
        tips: new Map(Object.entries(tips)),
        baseTip,
        isProtocol: (c) => c.header.startsWith('['),
        needsTarget: (c) => /^\[NEEDS:([^/]+)\//.exec(c.header)?.[1] ?? null,
        dependsOn: new Map(Object.entries(dependsOn)),
      }),
    ].map(([id, list]) => [id, list.map((c) => c.sha)]),
  );

describe('commit graph walks', () => {
  // base <- m1 <- m2 (main); base <- a1 <- a2 <- merge(a2, m2) (worker)
  const g = graph([
    'm1: base | base change 1',
    'm2: m1 | base change 2',
    'a1: base | [CHECKPOINT] a1',
    'a2: a1 | [CHECKPOINT] a2',
    'am: a2 m2 | Merge branch main',
  ]);

  it('first parents only, newest first', () => {
    expect(firstParentChain(g, 'am').map((c) => c.sha)).toEqual(['am', 'a2', 'a1']);
    expect(firstParentChain(g, null)).toEqual([]);
  });

  it('reachability and ahead/behind count every parent, like rev-list --left-right --count', () => {
    expect([...reachableFrom(g, ['am'])].sort()).toEqual(['a1', 'a2', 'am', 'm1', 'm2']);
    const base = reachableFrom(g, ['m2']);
    expect(countAheadBehind(g, 'am', base)).toEqual({ ahead: 3, behind: 0 });
    expect(countAheadBehind(g, 'a2', base)).toEqual({ ahead: 2, behind: 2 });
    expect(countAheadBehind(g, 'base', base)).toEqual({ ahead: 0, behind: 2 });
  });

  it('ancestry: commits outside the graph are ancestors of everything in it', () => {
    expect(isAncestorInGraph(g, 'a1', 'am')).toBe(true);
    expect(isAncestorInGraph(g, 'am', 'a1')).toBe(false);
    expect(isAncestorInGraph(g, 'base', 'a1')).toBe(true);
    expect(isAncestorInGraph(g, 'm2', 'a2')).toBe(false);
  });
});

describe('attributeWorkerCommits', () => {
  it("a worker's own commits are its first-parent chain: a merged base is not its work", () => {
    const g = graph([
      'm1: base | base change',
      'a1: base | [CHECKPOINT] a1',
      'am: a1 m1 | Merge branch main',
    ]);
    expect(attribute(g, { a: 'am' }, 'm1')).toEqual({ a: ['a1', 'am'] });
  });

  it('base commits a worker rebased onto are left out', () => {
    const g = graph([
      'm1: base | base change 1',
      'm2: m1 | base change 2',
      "a1: m2 | [CHECKPOINT] a1'",
      "a2: a1 | [CHECKPOINT] a2'",
    ]);
    expect(attribute(g, { a: 'a2' }, 'm2')).toEqual({ a: ['a1', 'a2'] });
  });

  it('a base fast-forwarded onto a worker keeps the commits with the worker', () => {
    const g = graph(['a1: base | [CHECKPOINT] a1', 'a2: a1 | [COMPLETE] a2']);
    expect(attribute(g, { a: 'a2' }, 'a2')).toEqual({ a: ['a1', 'a2'] });
  });

  it("a provider's commits that a dependent fast-forwarded to stay the provider's", () => {
    const g = graph(['p1: base | [CHECKPOINT] p1', 'p2: p1 | [COMPLETE] p2']);
    // web has no commits of its own: `git merge pw/demo/api` fast-forwarded it.
    expect(attribute(g, { api: 'p2', web: 'p2' }, null, { web: ['api'] })).toEqual({
      api: ['p1', 'p2'],
      web: [],
    });
    // Plan order does not matter: the dependency decides.
    expect(attribute(g, { web: 'p2', api: 'p2' }, null, { web: ['api'] })).toEqual({
      web: [],
      api: ['p1', 'p2'],
    });
  });

  it("work on top of a provider's tip is the dependent's; the provider keeps its commits even after moving on", () => {
    const g = graph([
      'p1: base | [CHECKPOINT] p1',
      'p2: p1 | [CHECKPOINT] p2',
      'p3: p2 | [CHECKPOINT] p3',
      'p4: p3 | [COMPLETE] p4',
      'w1: p2 | [NEEDS:api/x] need x',
    ]);
    expect(attribute(g, { api: 'p4', web: 'w1' }, null)).toEqual({
      api: ['p1', 'p2', 'p3', 'p4'],
      web: ['w1'],
    });
  });

  it("without a dependency, the nearest tip wins; an equal place on both lines is both workers' own", () => {
    const g = graph([
      'x1: base | [CHECKPOINT] x1',
      'x2: x1 | [CHECKPOINT] x2',
      'y1: x2 | [CHECKPOINT] y1',
    ]);
    expect(attribute(g, { x: 'x2', y: 'y1' }, null)).toEqual({ x: ['x1', 'x2'], y: ['y1'] });
    expect(attribute(g, { x: 'x2', y: 'x2' }, null)).toEqual({
      x: ['x1', 'x2'],
      y: ['x1', 'x2'],
    });
  });

  it('two workers that made a byte-identical commit each own it', () => {
    // `git commit --allow-empty -m "[COMPLETE] done"` from the same base, same second, same identity.
    const g = graph(['c: base | [COMPLETE] done', 'm: base | base change']);
    expect(attribute(g, { api: 'c', web: 'c', db: 'c' }, 'm')).toEqual({
      api: ['c'],
      web: ['c'],
      db: ['c'],
    });
    // A declared dependency still reads it as a fast-forward to the provider.
    expect(attribute(g, { api: 'c', web: 'c' }, 'm', { web: ['api'] })).toEqual({
      api: ['c'],
      web: [],
    });
  });
});

describe('chooseWorkerTip', () => {
  const g = new Map([
    ['a1', { sha: 'a1', parents: ['base'] }],
    ['a2', { sha: 'a2', parents: ['a1'] }],
    ['b1', { sha: 'b1', parents: ['a1'] }],
  ]);
  const tip = (ref: string, sha: string, commitTime = 0) => ({ ref, sha, commitTime });

  it('the one that contains the others wins; equal ones keep the preferred ref', () => {
    expect(chooseWorkerTip(g, [tip('local', 'a1'), tip('hub', 'a2')]).tip!.ref).toBe('hub');
    expect(chooseWorkerTip(g, [tip('local', 'a2'), tip('hub', 'a1')]).tip!.ref).toBe('local');
    expect(chooseWorkerTip(g, [tip('local', 'a2'), tip('hub', 'a2')]).tip!.ref).toBe('local');
    expect(chooseWorkerTip(g, [tip('local', 'base'), tip('hub', 'a1')]).tip!.ref).toBe('hub');
    expect(chooseWorkerTip(g, []).tip).toBeNull();
  });

  it('diverged: the newer commit wins and the other is reported', () => {
    const result = chooseWorkerTip(g, [tip('local', 'a2', 1), tip('hub', 'b1', 2)]);
    expect(result.tip!.ref).toBe('hub');
    expect(result.diverged.map((t) => t.ref)).toEqual(['local']);
  });
});
