import { describe, expect, it } from 'vitest';
import {
  collectOrderEdges,
  describeCycle,
  orderEdgesFromNeeds,
  planIntegrateOrder,
} from '../../src/domain/integrate/order.js';

const workers = [
  { id: 'web', dependsOn: ['api'] },
  { id: 'docs', dependsOn: [] },
  { id: 'api', dependsOn: ['db'] },
  { id: 'db', dependsOn: [] },
];

describe('collectOrderEdges', () => {
  it('takes every dependsOn and every NEEDS ever committed, resolved or not', () => {
    const edges = collectOrderEdges(
      workers,
      new Map([
        ['docs', ['[NEEDS:api/health] need the endpoint', '[COMPLETE] documented']],
        ['web', ['[NEEDS:api/health] again', '[CHECKPOINT] x']],
        ['db', ['[CHECKPOINT] no needs here', "Merge branch 'pw/p/api'"]],
      ]),
    );
    expect(edges).toEqual([
      { from: 'web', to: 'api', reason: 'dependsOn' },
      { from: 'api', to: 'db', reason: 'dependsOn' },
      { from: 'docs', to: 'api', reason: 'NEEDS:api/health' },
    ]);
  });

  it('ignores NEEDS on unknown workers and on itself, and malformed headers', () => {
    const edges = collectOrderEdges(
      [
        { id: 'a', dependsOn: [] },
        { id: 'b', dependsOn: [] },
      ],
      new Map([
        ['a', ['[NEEDS:zz/x] unknown', '[NEEDS:a/x] self', '[needs:b/x] lower case', 'plain']],
      ]),
    );
    expect(edges).toEqual([]);
  });
});

describe('planIntegrateOrder', () => {
  it('puts providers first and breaks ties by plan order', () => {
    const edges = collectOrderEdges(workers, new Map());
    const order = planIntegrateOrder(['web', 'docs', 'api', 'db'], edges);
    expect(order).toEqual({ ok: true, order: ['docs', 'db', 'api', 'web'], overridden: [] });
  });

  it('keeps plan order when nothing depends on anything', () => {
    expect(planIntegrateOrder(['c', 'a', 'b'], [])).toEqual({
      ok: true,
      order: ['c', 'a', 'b'],
      overridden: [],
    });
  });

  it('lets a NEEDS edge reorder workers with no dependsOn', () => {
    const edges = collectOrderEdges(
      [
        { id: 'ui', dependsOn: [] },
        { id: 'lib', dependsOn: [] },
      ],
      new Map([['ui', ['[NEEDS:lib/button] need a button']]]),
    );
    expect(planIntegrateOrder(['ui', 'lib'], edges)).toEqual({
      ok: true,
      order: ['lib', 'ui'],
      overridden: [],
    });
  });

  it('ignores edges to workers outside this run (integrated already, or not selected)', () => {
    const edges = collectOrderEdges(workers, new Map());
    expect(planIntegrateOrder(['web', 'docs'], edges)).toEqual({
      ok: true,
      order: ['web', 'docs'],
      overridden: [],
    });
  });

  it('lets the declared dependsOn win over a NEEDS against it, and returns that NEEDS', () => {
    const edges = collectOrderEdges(
      [
        { id: 'a', dependsOn: [] },
        { id: 'b', dependsOn: ['a'] },
        { id: 'c', dependsOn: [] },
      ],
      new Map([['a', ['[NEEDS:b/token] need the token']]]),
    );
    expect(planIntegrateOrder(['a', 'b', 'c'], edges)).toEqual({
      ok: true,
      order: ['a', 'b', 'c'],
      overridden: [
        {
          edge: { from: 'a', to: 'b', reason: 'NEEDS:b/token' },
          declared: [{ from: 'b', to: 'a', reason: 'dependsOn' }],
        },
      ],
    });
  });

  it('follows a declared path of several dependsOn, also through workers outside this run', () => {
    const edges = collectOrderEdges(
      [
        { id: 'ui', dependsOn: ['api'] },
        { id: 'api', dependsOn: ['db'] },
        { id: 'db', dependsOn: [] },
      ],
      new Map([['db', ['[NEEDS:ui/label] need a label']]]),
    );
    const order = planIntegrateOrder(['ui', 'db'], edges);
    expect(order.ok && order.order).toEqual(['db', 'ui']);
    expect(order.overridden.map((o) => describeCycle(o.declared))).toEqual([
      'ui -(dependsOn)-> api -(dependsOn)-> db',
    ]);
  });

  it('names a cycle NEEDS alone make, with the reason of each edge', () => {
    const edges = collectOrderEdges(
      [
        { id: 'a', dependsOn: [] },
        { id: 'b', dependsOn: [] },
        { id: 'c', dependsOn: [] },
      ],
      new Map([
        ['a', ['[NEEDS:b/token] need the token']],
        ['b', ['[NEEDS:a/client] need the client']],
      ]),
    );
    const order = planIntegrateOrder(['a', 'b', 'c'], edges);
    expect(order.ok).toBe(false);
    if (order.ok) return;
    expect(order.text).toBe('a -(NEEDS:b/token)-> b -(NEEDS:a/client)-> a');
    expect(order.cycle.map((e) => e.from)).toEqual(['a', 'b']);
  });

  it('a cycle dependsOn does not settle (two NEEDS against one dependsOn) stays an error', () => {
    const edges = collectOrderEdges(
      [
        { id: 'a', dependsOn: [] },
        { id: 'b', dependsOn: [] },
        { id: 'c', dependsOn: ['a'] },
      ],
      new Map([
        ['a', ['[NEEDS:b/x] x']],
        ['b', ['[NEEDS:c/y] y']],
      ]),
    );
    const order = planIntegrateOrder(['a', 'b', 'c'], edges);
    expect(order.ok).toBe(false);
    if (order.ok) return;
    expect(order.text).toBe('a -(NEEDS:b/x)-> b -(NEEDS:c/y)-> c -(dependsOn)-> a');
  });

  it('orderEdgesFromNeeds (status, from history summaries) gives the edges collectOrderEdges reads from messages', () => {
    const plan = [
      { id: 'a', dependsOn: [] },
      { id: 'b', dependsOn: ['a'] },
    ];
    expect(orderEdgesFromNeeds(plan, new Map([['a', [{ worker: 'b', item: 'token' }]]]))).toEqual(
      collectOrderEdges(plan, new Map([['a', ['[NEEDS:b/token] need it']]])),
    );
  });

  it('describes an empty cycle without crashing', () => {
    expect(describeCycle([])).toBe('(no cycle)');
  });
});
