import { describe, expect, it } from 'vitest';
import {
  parseScopeRefusals,
  planNotifications,
  type NotifyWorker,
} from '../../src/domain/run/plan-notifications.js';
import { renderRetroMessages, summarizeMessages } from '../../src/domain/retro/messages.js';
import { parseRunSettings } from '../../src/domain/run/run-settings.js';

const worker = (id: string, extra: Partial<NotifyWorker> = {}): NotifyWorker => ({
  id,
  branch: `pw/demo/${id}`,
  state: 'working',
  lastCommitAt: '2026-01-01T10:00:00Z',
  resolvedNeeds: [],
  blocked: null,
  ...extra,
});

const all = new Set(['api', 'web', 'db']);

describe('planNotifications', () => {
  it('tells a waiting worker its NEEDS is resolved: which commit, and git merge of the provider branch', () => {
    const need = {
      worker: 'api',
      item: 'schema',
      resolvedAt: '2026-01-01T10:05:00Z',
      by: 'provides' as const,
      resolvedBy: 'a'.repeat(40),
      sha: 'b'.repeat(40),
    };
    const [n, ...rest] = planNotifications({
      workers: [worker('api'), worker('web', { resolvedNeeds: [need] })],
      selected: all,
      refusals: [],
      sent: new Set(),
    });
    expect(rest).toEqual([]);
    expect(n).toMatchObject({ worker: 'web', reason: 'needs-resolved', wakes: true });
    // The retro pairs the answer with the ask by its commit.
    expect(n!.about).toMatchObject({ commit: 'a'.repeat(40), asked: 'b'.repeat(40) });
    expect(n!.text).toContain('Your [NEEDS:api/schema] is resolved');
    expect(n!.text).toContain('aaaaaaaaaaaa on branch pw/demo/api');
    expect(n!.text).toContain('git merge pw/demo/api');
    // Once per key; not when the worker committed since; not to a COMPLETE one.
    expect(
      planNotifications({
        workers: [worker('api'), worker('web', { resolvedNeeds: [need] })],
        selected: all,
        refusals: [],
        sent: new Set([n!.key]),
      }),
    ).toEqual([]);
    const blocked = planNotifications({
      workers: [worker('api'), worker('web', { resolvedNeeds: [need], state: 'blocked' })],
      selected: all,
      refusals: [],
      sent: new Set(),
    });
    expect(blocked.map((b) => [b.reason, b.wakes])).toEqual([['needs-resolved', false]]);
    for (const extra of [{ lastCommitAt: '2026-01-01T10:06:00Z' }, { state: 'complete' }])
      expect(
        planNotifications({
          workers: [worker('api'), worker('web', { resolvedNeeds: [need], ...extra })],
          selected: all,
          refusals: [],
          sent: new Set(),
        }),
      ).toEqual([]);
  });

  it('hints a BLOCKED worker that a NEEDS may do, without waking it', () => {
    const [n] = planNotifications({
      workers: [
        worker('api', { state: 'blocked', blocked: { reason: 'schema', sha: 'b'.repeat(40) } }),
        worker('web'),
      ],
      selected: all,
      refusals: [],
      sent: new Set(),
    });
    expect(n).toMatchObject({ worker: 'api', reason: 'blocked', wakes: false });
    expect(n!.text).toContain('[NEEDS:<worker>/<item>]');
    expect(n!.text).toContain('(web)');
  });

  it('names the owner and the NEEDS to write after the second refusal of the same path', () => {
    const refusal = { worker: 'api', path: 'src/web/w.ts', owner: 'web' };
    const input = {
      workers: [worker('api'), worker('web')],
      selected: all,
      sent: new Set<string>(),
    };
    expect(planNotifications({ ...input, refusals: [refusal] })).toEqual([]);
    const [n] = planNotifications({ ...input, refusals: [refusal, refusal] });
    expect(n).toMatchObject({ worker: 'api', reason: 'scope-refused', wakes: true });
    expect(n!.text).toContain('belongs to worker web');
    expect(n!.text).toContain('[NEEDS:web/<item>]');
    expect(
      planNotifications({ ...input, selected: new Set(['web']), refusals: [refusal, refusal] }),
    ).toEqual([]);
  });

  it('reads scope refusals from the events log, one per path and event', () => {
    expect(
      parseScopeRefusals([
        {
          type: 'hook-rejected',
          kind: 'scope',
          worker: 'api',
          paths: [
            { path: 'a', owner: 'web' },
            { path: 'a', owner: 'web', commit: 'x' },
            { path: 'b', owner: null },
          ],
        },
        { type: 'hook-rejected', kind: 'protocol', worker: 'api' },
        { type: 'setup' },
      ]),
    ).toEqual([
      { worker: 'api', path: 'a', owner: 'web' },
      { worker: 'api', path: 'b', owner: null },
    ]);
  });
});

describe('summarizeMessages (pw retro)', () => {
  it('counts messages by source and reason, and the time from a Provides to the next commit', () => {
    const m = summarizeMessages(
      [
        { type: 'message-queued', worker: 'web', source: 'send' },
        {
          type: 'message-queued',
          worker: 'web',
          source: 'auto',
          reason: 'needs-resolved',
          resolvedAt: '2026-01-01T10:00:00Z',
        },
        { type: 'message-queued', worker: 'api', source: 'auto', reason: 'blocked' },
        { type: 'message-delivered', worker: 'web' },
      ],
      new Map([
        [
          'web',
          [
            {
              sha: 'x',
              parents: [],
              authorTime: 0,
              commitTime: Date.parse('2026-01-01T09:59:00Z'),
              message: 'a',
            },
            {
              sha: 'y',
              parents: [],
              authorTime: 0,
              commitTime: Date.parse('2026-01-01T10:00:30Z'),
              message: 'b',
            },
          ],
        ],
      ]),
    );
    expect(m).toEqual({
      sent: 3,
      automatic: 2,
      bySource: { send: 1, auto: 2 },
      byReason: { 'needs-resolved': 1, blocked: 1 },
      delivered: 1,
      providesToNextCommitMs: [30_000],
    });
    expect(renderRetroMessages(m)).toContain(
      'sent: 3 (1 by people, 2 by pw: needs-resolved 1, blocked 1)',
    );
    expect(renderRetroMessages(summarizeMessages([], new Map()))).toBe('');
  });

  it('counts a next commit in the same second as the resolution: the order after the ask decides', () => {
    const at = Date.parse('2026-01-01T10:00:00Z');
    const commit = (sha: string, message: string, after = 0) => ({
      sha,
      parents: [],
      authorTime: at + after,
      commitTime: at + after,
      message,
    });
    const resolved = {
      worker: 'web',
      source: 'auto',
      reason: 'needs-resolved',
      provider: 'api',
      item: 'schema',
      resolvedAt: '2026-01-01T10:00:00Z',
      asked: 'b',
    };
    // What the retro measures for one message, over web's line (oldest first).
    const nextCommitMs = (event: Record<string, string>, ...commits: ReturnType<typeof commit>[]) =>
      summarizeMessages([{ type: 'message-queued', ...event }], new Map([['web', commits]]))
        .providesToNextCommitMs;
    const start = commit('a', '[CHECKPOINT] start');
    const ask = commit('b', '[NEEDS:api/schema] the schema');
    const done = commit('d', '[COMPLETE] done');
    // All in one second: the ask, then the commit that follows the answer.
    expect(nextCommitMs(resolved, start, ask, done)).toEqual([0]);
    // The ask is its last commit: nothing since.
    expect(nextCommitMs(resolved, start, ask)).toEqual([]);
    // The same item asked twice in that second: the answer goes with the ask it names,
    // and the next commit after that one comes 5 s later.
    const again = commit('c', '[NEEDS: api / schema] again');
    const later = commit('e', '[COMPLETE] done', 5_000);
    expect(nextCommitMs({ ...resolved, asked: 'c' }, ask, again, later)).toEqual([5_000]);
    // Without the ask (an older events log): only a later second counts.
    const { asked: _asked, ...older } = resolved;
    expect(nextCommitMs(older, ask, done)).toEqual([]);
  });
});

describe('run.autoNotify setting', () => {
  it('is on by default, off with false, and refuses anything but a boolean', () => {
    expect(parseRunSettings([]).settings.autoNotify).toBe(true);
    expect(
      parseRunSettings([{ file: 'plan.yaml', run: { autoNotify: false } }]).settings.autoNotify,
    ).toBe(false);
    expect(parseRunSettings([{ file: 'plan.yaml', run: { autoNotify: 'yes' } }]).problems).toEqual([
      'plan.yaml: run.autoNotify: must be true or false',
    ]);
  });
});
