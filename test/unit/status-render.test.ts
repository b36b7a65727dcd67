import { describe, expect, it } from 'vitest';
import { parseSince } from '../../src/commands/status/index.js';
import { computePlanStatus } from '../../src/domain/status/plan-status.js';
import type { StatusCommit } from '../../src/domain/status/summarize-worker-history.js';
import { splitStatusOutputs } from '../../src/git/worktree-status.js';
import { createLiveView } from '../../src/render/status/live-view.js';
import { renderStatusTable, truncate } from '../../src/render/status/table.js';
import { visibleLength } from '../../src/render/table.js';
import { c, makePlan, MIN, T0 } from '../helpers/status-fixture.js';

const longId = 'a-very-long-worker-name-that-goes-on';
const plan = makePlan([
  { id: 'api' },
  { id: 'web', dependsOn: ['api'] },
  { id: 'db' },
  { id: longId },
  { id: 'docs', dependsOn: ['web'] },
]);

function render(histories: Record<string, StatusCommit[]>, color = false) {
  const status = computePlanStatus({
    plan,
    now: T0 + 50 * MIN,
    histories: new Map(Object.entries(histories)),
    worktrees: new Map([['db', { uncommitted: 3, newestEditAt: T0 + 48 * MIN, hooksOff: true }]]),
  });
  return { status, text: renderStatusTable(status, { color }) };
}

const busy = {
  api: [c(1, '[COMPLETE] the api, with a subject far longer than any terminal column could hold')],
  web: [
    c(10, '[NEEDS:api/user-model] need the model'),
    c(
      45,
      `[BLOCKED:${'the staging database is down and nobody answers the pager '.repeat(2)}] parked`,
    ),
  ],
  db: [c(0, '[CHECKPOINT] tables'), c(2, 'oops no prefix'), c(3, '[NEEDS:ghost/x] hooks bypassed')],
  [longId]: [c(0, '[CHECKPOINT] started long ago')],
};

describe('renderStatusTable', () => {
  it('past two violations of a worker, says how many more and where they are listed', () => {
    const { text } = render({
      db: [c(0, 'no prefix one'), c(1, 'no prefix two'), c(2, 'no prefix three'), c(3, 'four')],
    });
    expect(text).toContain('violation: db has 2 more (pw check --worker db lists them)\n');
  });

  it('says an agent runs for a pending worker pw run has started, where git shows no commit yet', () => {
    const status = computePlanStatus({
      plan,
      now: T0 + 3 * MIN,
      histories: new Map(Object.entries({ api: [c(1, '[COMPLETE] the api')] })),
      worktrees: new Map(),
    });
    const text = renderStatusTable(status, {
      color: false,
      width: 120,
      agentsRunning: new Map([['web', 2]]),
    });
    const line = (id: string) => text.split('\n').find((l) => l.trimStart().startsWith(`${id} `));
    expect(line('web')).toMatch(/pending .* agent running \(attempt 2\), no commits yet$/);
    // Without a running agent: git's view alone.
    expect(line('db')).toMatch(/pending .* no commits yet$/);
    expect(line('db')).not.toContain('agent running');
  });

  it('fits 80 columns, whatever the ids, reasons and subjects', () => {
    const { text } = render(busy);
    for (const line of text.split('\n')) expect(visibleLength(line)).toBeLessThanOrEqual(80);
    expect(text).toMatchInlineSnapshot(`
      "demo: 1/5 complete · 1 working · 1 blocked · 1 stalled · 1 pending
        WORKER            STATE         IDLE  COMMITS  NOTE
        api               complete       49m        1  [COMPLETE] the api, with a sub…
        web               blocked         5m        2  blocked 5m: the staging databa…
        db                working         2m        3  2 violations · hooks off · 3 u…
        a-very-long-wor…  stalled        50m        1  no activity for 50m (limit 30m)
        docs              pending          -        0  waits for web

      can resume: web, api is complete (needed user-model)
      violation: db 00000000 the first line does not start with [CHECKPOINT], [BLOCKE…
      violation: db 00000000 "ghost" is not a worker of this plan (workers: api, web,…
      hooks off: db (pw hooks install turns them on)
      "
    `);
  });

  it('colours the state only when asked; the width ignores colour codes', () => {
    const plain = render(busy).text;
    const coloured = render(busy, true).text;
    expect(plain).not.toContain('\x1b[');
    expect(coloured).toContain('\x1b[32mcomplete');
    expect(coloured.replace(/\x1b\[[0-9;]*m/g, '')).toBe(plain);
    for (const line of coloured.split('\n')) expect(visibleLength(line)).toBeLessThanOrEqual(80);
  });

  it('names deadlocks, reopened workers and readiness below the table', () => {
    const cycle = render({
      api: [c(1, '[NEEDS:web/ui] ui')],
      web: [c(2, '[NEEDS:api/endpoint] endpoint')],
    }).text;
    expect(cycle).toContain('deadlock: api → web → api (each needs the next)');
    const all = Object.fromEntries(plan.workers.map((w, i) => [w.id, [c(i, '[COMPLETE] done')]]));
    all.api = [c(1, '[COMPLETE] done'), c(2, '[CHECKPOINT] more'), c(3, '[COMPLETE] done')];
    const ready = render(all).text;
    expect(ready).toContain('5/5 complete · ready to integrate');
    // COMPLETE, CHECKPOINT, COMPLETE: complete again, not reopened.
    expect(ready).not.toContain('reopened');
    expect(ready).toMatch(/^ {2}api +complete .* \[COMPLETE\] done$/m);
    expect(ready).toContain('ready to integrate: pw integrate');

    const reopened = render({ ...all, api: [c(1, '[COMPLETE] done'), c(45, '[CHECKPOINT] more')] });
    expect(reopened.text).toContain('reopened (work after COMPLETE): api');
    expect(reopened.text).toMatch(/^ {2}api +working .* reopened$/m);
    expect(reopened.text).not.toContain('ready to integrate');
  });

  it('an order cycle integrate would refuse replaces "ready to integrate"; a NEEDS the declared order overrides is noted', () => {
    const all = Object.fromEntries(plan.workers.map((w, i) => [w.id, [c(i, '[COMPLETE] done')]]));
    // api and db need each other (both delivered): no order.
    all.api = [c(1, '[NEEDS:db/table] t'), c(2, '[COMPLETE] done')];
    all.db = [c(1, '[NEEDS:api/route] r'), c(3, '[COMPLETE] done')];
    const cycle = render(all);
    expect(cycle.status.readyToIntegrate).toBe(false);
    expect(cycle.text).toContain('5/5 complete · integrate order has a cycle');
    expect(cycle.text).toContain(
      'integrate order has a cycle: api -(NEEDS:db/table)-> db -(NEEDS:api/route)-> api',
    );
    expect(cycle.text).not.toContain('ready to integrate');

    // web dependsOn api; api asked web for an item: the declared order wins, integrate can go.
    all.db = [c(3, '[COMPLETE] done')];
    all.api = [c(1, '[NEEDS:web/page-url] u'), c(2, '[COMPLETE] done')];
    const declared = render(all);
    expect(declared.status.readyToIntegrate).toBe(true);
    expect(declared.text).toContain(
      "order: web after api as declared, despite api's NEEDS:web/page-url",
    );
    expect(declared.text).toContain('ready to integrate: pw integrate');
  });

  it('truncate keeps colour codes and counts terminal columns', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
    expect(truncate('\x1b[31mabcdef\x1b[0m', 4)).toBe('\x1b[31mabc…\x1b[0m');
    expect(truncate('ünïcödé', 4)).toBe('ünï…');
    // Wide characters take two columns; combining marks none.
    expect(truncate('日本語のテキスト', 7)).toBe('日本語…');
    expect(truncate('e\u0301e\u0301e\u0301e\u0301e\u0301', 4)).toBe('e\u0301e\u0301e\u0301…');
  });
});

describe('createLiveView', () => {
  it('on a terminal: alternate screen once, repaint in place only when the frame changed, restore on close', () => {
    const out: string[] = [];
    const view = createLiveView((t) => out.push(t), true);
    view.show('a\nb\n');
    view.show('a\nb\n');
    view.show('a\nc\n');
    view.close();
    expect(out).toEqual([
      '\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J',
      '\x1b[Ha\x1b[K\nb\x1b[K\n\x1b[J',
      '\x1b[Ha\x1b[K\nc\x1b[K\n\x1b[J',
      '\x1b[?25h\x1b[?1049l',
      'a\nc\n',
    ]);
  });

  it('elsewhere: each changed frame once, no escape codes', () => {
    const out: string[] = [];
    const view = createLiveView((t) => out.push(t), false);
    view.show('x\n');
    view.show('x\n');
    view.show('y\n');
    view.close();
    expect(out).toEqual(['x\n', '\ny\n']);
  });
});

describe('splitStatusOutputs', () => {
  it('splits for-each-repo output per worktree at the ## headers, renames included', () => {
    const output = [
      '## pw/demo/api',
      ' M src/api/a.ts',
      '?? src/api/new.ts',
      '## pw/demo/web',
      '## pw/demo/db',
      'R  src/db/new.ts',
      '## looks like a header but is the old path',
      'D  src/db/gone.ts',
      '',
    ].join('\0');
    expect(splitStatusOutputs(output)).toEqual([
      [' M src/api/a.ts', '?? src/api/new.ts'],
      [],
      ['R  src/db/new.ts', 'D  src/db/gone.ts'],
    ]);
  });
});

describe('parseSince', () => {
  const now = Date.parse('2030-01-01T12:00:00Z');
  it('takes a duration back from now, a date, or start', () => {
    expect(parseSince('90m', now)).toBe(now - 90 * MIN);
    expect(parseSince('2030-01-01T10:00:00Z', now)).toBe(Date.parse('2030-01-01T10:00:00Z'));
    expect(parseSince('start', now)).toBe(-Infinity);
    expect(() => parseSince('yesterday-ish', now)).toThrow(/neither a duration nor a date/);
  });
});
