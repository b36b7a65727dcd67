import { describe, expect, it } from 'vitest';
import { classifyRetroEvents } from '../../src/domain/retro/events.js';
import { parseNumstatLog } from '../../src/git/commit-file-stats.js';

const t = (minute: number): string => new Date(Date.UTC(2026, 0, 5, 9, minute)).toISOString();

describe('classifyRetroEvents', () => {
  it('counts the current lifetime only, once a torn-down plan is set up again under its name', () => {
    const log = [
      { time: t(0), type: 'setup', plan: 'p' },
      { time: t(2), type: 'hook-rejected', plan: 'p', worker: 'a', kind: 'scope' },
      { time: t(3), type: 'teardown', plan: 'p' },
      { time: t(3), type: 'setup', plan: 'p' },
      { time: t(4), type: 'hook-rejected', plan: 'p', worker: 'b', kind: 'protocol' },
    ];
    const events = classifyRetroEvents(log, 'p');
    expect(events.setupAt).toBe(Date.parse(t(3)));
    expect(events.tornDownAt).toBeNull();
    expect(events.refusals.map((r) => r.worker)).toEqual(['b']);
    // Torn down and not set up again: that one lifetime, teardown included.
    const ended = classifyRetroEvents(log.slice(0, 3), 'p');
    expect(ended.tornDownAt).toBe(Date.parse(t(3)));
    expect(ended.refusals.map((r) => r.worker)).toEqual(['a']);
  });

  it('reads setup, teardown, refusals, conflicts, verify failures, publishes and bypasses', () => {
    const events = classifyRetroEvents(
      [
        { time: t(0), type: 'setup', plan: 'p' },
        { time: t(5), type: 'setup', plan: 'p' },
        { time: t(1), type: 'setup', plan: 'other' },
        { time: t(10), type: 'refused', plan: 'p', worker: 'a', hook: 'pre-commit', path: 'x' },
        { time: t(11), type: 'hook-refusal', plan: 'p', worker: 'a', hook: 'commit-msg' },
        { time: t(12), type: 'refusal', plan: 'p', worker: 'b', kind: 'ownership' },
        { time: t(13), type: 'rejected', plan: 'p', hook: 'reference-transaction' },
        { time: t(20), type: 'integrate-conflict', plan: 'p', workers: ['a', 'b'], paths: ['x'] },
        {
          time: t(21),
          type: 'integrate',
          plan: 'p',
          conflicts: [{ worker: 'c', with: 'a', files: [{ path: 'y' }] }],
        },
        { time: t(22), type: 'integrate-verify', plan: 'p', status: 'failed', culprit: 'b' },
        { time: t(23), type: 'integrate', plan: 'p', verify: { ok: false, worker: 'a' } },
        { time: t(24), type: 'integrate-published', plan: 'p', commit: 'abc' },
        { time: t(25), type: 'integrate', plan: 'p', dryRun: true, commit: 'def' },
        {
          time: t(26),
          type: 'check',
          plan: 'p',
          violations: [{ worker: 'a', kind: 'out-of-scope', path: 'z' }],
        },
        { time: t(30), type: 'teardown', plan: 'p' },
        { time: 'not a time', type: 'setup', plan: 'p' },
        { time: t(31), type: 'something-new', plan: 'p', worker: 'a' },
      ],
      'p',
    );
    expect(events.setupAt).toBe(Date.parse(t(0)));
    expect(events.tornDownAt).toBe(Date.parse(t(30)));
    expect(events.refusals.map((r) => [r.worker, r.kind])).toEqual([
      ['a', 'scope'],
      ['a', 'protocol'],
      ['b', 'ownership'],
      [null, 'reference-transaction'],
    ]);
    expect(events.conflicts.map((c) => [c.workers, c.paths])).toEqual([
      [['a', 'b'], ['x']],
      [['c', 'a'], ['y']],
    ]);
    expect(events.verifyFailures.map((v) => v.worker)).toEqual(['b', 'a']);
    expect(events.publishes).toEqual([{ at: Date.parse(t(24)), commit: 'abc' }]);
    expect(events.bypasses).toEqual([
      {
        at: Date.parse(t(26)),
        worker: 'a',
        caughtBy: 'check',
        kind: 'out-of-scope',
        commit: null,
        detail: 'z',
      },
    ]);
  });

  it('reads the events the hooks (pw explain) and pw integrate write', () => {
    const events = classifyRetroEvents(
      [
        {
          time: t(1),
          type: 'hook-rejected',
          plan: 'p',
          hook: 'pre-commit',
          worker: 'web',
          kind: 'scope',
          paths: [{ path: 'src/api/x.ts', owner: 'api' }],
          message: 'staged src/api/x.ts (api)',
        },
        {
          time: t(2),
          type: 'hook-rejected',
          plan: 'p',
          hook: 'commit-msg',
          worker: 'web',
          kind: 'protocol',
        },
        {
          time: t(3),
          type: 'integrate',
          plan: 'p',
          phase: 'start',
          target: 'main',
          from: 'a1',
          order: ['api', 'web'],
        },
        {
          time: t(4),
          type: 'integrate',
          plan: 'p',
          phase: 'conflict',
          worker: 'web',
          step: 2,
          paths: ['package.json'],
          touchedBy: [{ path: 'package.json', by: ['api', 'web'] }],
        },
        {
          time: t(5),
          type: 'integrate',
          plan: 'p',
          phase: 'resolved',
          worker: 'web',
          commit: 'c1',
          paths: ['package.json'],
        },
        {
          time: t(6),
          type: 'integrate',
          plan: 'p',
          phase: 'verify',
          command: 'npm test',
          passed: false,
          culprit: 'web',
        },
        {
          time: t(7),
          type: 'integrate',
          plan: 'p',
          phase: 'verify',
          command: 'npm test',
          passed: true,
          culprit: null,
        },
        {
          time: t(8),
          type: 'integrate',
          plan: 'p',
          phase: 'refused',
          reason: 'moved',
          result: 'c2',
        },
        {
          time: t(9),
          type: 'integrate',
          plan: 'p',
          phase: 'published',
          target: 'main',
          from: 'a1',
          to: 'c3',
        },
      ],
      'p',
    );
    expect(events.refusals.map((r) => [r.worker, r.kind, r.detail])).toEqual([
      ['web', 'scope', 'staged src/api/x.ts (api)'],
      ['web', 'protocol', null],
    ]);
    expect(events.conflicts).toEqual([
      { at: Date.parse(t(4)), workers: ['web', 'api'], paths: ['package.json'], targetPaths: [] },
    ]);
    expect(events.verifyFailures).toEqual([
      { at: Date.parse(t(6)), worker: 'web', detail: 'npm test' },
    ]);
    expect(events.publishes).toEqual([{ at: Date.parse(t(9)), commit: 'c3' }]);
  });

  it('tolerates an empty log', () => {
    expect(classifyRetroEvents([], 'p')).toMatchObject({ setupAt: null, publishes: [] });
  });
});

describe('parseNumstatLog', () => {
  it('reads paths and line counts per commit, binary files as null, merges as empty', () => {
    const output =
      '\x1e' +
      'a'.repeat(40) +
      '\0' +
      '\x1e' +
      'b'.repeat(40) +
      '\0\n-\t-\tbin/logo.png\0' +
      '\x1e' +
      'c'.repeat(40) +
      '\0\n1\t1\ta\0' +
      '2\t0\tdir/with space/b\0';
    const stats = parseNumstatLog(output);
    expect(stats.get('a'.repeat(40))).toEqual([]);
    expect(stats.get('b'.repeat(40))).toEqual([
      { path: 'bin/logo.png', added: null, deleted: null },
    ]);
    expect(stats.get('c'.repeat(40))).toEqual([
      { path: 'a', added: 1, deleted: 1 },
      { path: 'dir/with space/b', added: 2, deleted: 0 },
    ]);
  });
});
