import { describe, expect, it } from 'vitest';
import {
  hasWakingMessage,
  messageFileName,
  messagePrompt,
  parseMessage,
  parseMessageFileName,
} from '../../src/domain/run/message-queue.js';
import { planRunStep, type StepWorker } from '../../src/domain/run/plan-run-step.js';
import { listMessageEvents, mergeEventsByTime } from '../../src/domain/status/events.js';

const worker = (id: string, extra: Partial<StepWorker> = {}): StepWorker => ({
  id,
  dependsOn: [],
  git: 'working',
  blockedReason: null,
  phase: { kind: 'waiting' },
  selected: true,
  group: null,
  ...extra,
});

describe('message queue names and prompts', () => {
  it('names files by sequence number so that names sort as numbers', () => {
    expect(messageFileName(7)).toBe('0000000007.json');
    expect([messageFileName(10), messageFileName(9)].sort()).toEqual([
      messageFileName(9),
      messageFileName(10),
    ]);
    expect(parseMessageFileName('0000000012.json')).toBe(12);
    expect(parseMessageFileName('.tmp-1-abc')).toBeNull();
  });

  it('parses a stored message with defaults, and refuses what is not one', () => {
    expect(parseMessage('{"id":"a-1","worker":"a","seq":1,"text":"hi"}')).toMatchObject({
      source: 'send',
      wakes: true,
      reopen: false,
      key: null,
    });
    expect(parseMessage('{"id":"a-1"}')).toBeNull();
    expect(parseMessage('not json')).toBeNull();
  });

  it('puts the messages in order in the prompt, and asks a reopened worker for a new COMPLETE', () => {
    const prompt = messagePrompt({
      worker: 'api',
      plan: 'demo',
      messages: [
        { text: 'first', source: 'send', reopen: false },
        { text: 'second', source: 'auto', reopen: true },
      ],
    });
    expect(prompt.indexOf('first')).toBeLessThan(prompt.indexOf('second'));
    expect(prompt).toContain('2 messages were sent to you');
    expect(prompt).toContain('from pw (automatic)');
    expect(prompt).toContain('commit a new [COMPLETE]');
    const send = { source: 'send', wakes: true, reopen: false } as const;
    const auto = { source: 'auto', wakes: true, reopen: false } as const;
    expect(hasWakingMessage([{ ...send, wakes: false }])).toBe(false);
    expect(hasWakingMessage([{ ...send, wakes: false }, send])).toBe(true);
    // A COMPLETE worker is woken only by a message sent with --reopen.
    expect(hasWakingMessage([send], true)).toBe(false);
    expect(hasWakingMessage([{ ...send, reopen: true }], true)).toBe(true);
    // A worker the run gave up on: a person's message restarts it, pw's own does not.
    expect(hasWakingMessage([auto], false, true)).toBe(false);
    expect(hasWakingMessage([auto, send], false, true)).toBe(true);
    expect(hasWakingMessage([{ ...send, source: 'broadcast' }], false, true)).toBe(true);
    expect(hasWakingMessage([auto])).toBe(true);
  });
});

describe('planRunStep with messages', () => {
  it('delivers to a BLOCKED or COMPLETE worker with a session, not to one without, not twice', () => {
    const d = planRunStep({
      workers: [
        worker('a', {
          git: 'blocked',
          phase: { kind: 'blocked', reason: 'x' },
          messages: true,
          hasSession: true,
        }),
        worker('b', {
          git: 'complete',
          phase: { kind: 'complete' },
          messages: true,
          hasSession: true,
        }),
        worker('c', { messages: true, hasSession: false }),
        worker('d', { phase: { kind: 'running', attempt: 1 }, messages: true, hasSession: true }),
      ],
      maxWorkers: null,
      concurrencyLimits: {},
      now: 0,
    });
    expect(d.deliver).toEqual(['a', 'b']);
    expect(d.start.map((s) => s.id)).toEqual(['c']);
    expect(d.finished).toBeNull();
  });

  it('puts the skipped dependents of a BLOCKED worker answered by a message back to waiting', () => {
    const workers = [
      worker('a', {
        git: 'blocked',
        phase: { kind: 'blocked', reason: 'x' },
        messages: true,
        hasSession: true,
      }),
      worker('b', {
        dependsOn: ['a'],
        phase: { kind: 'skipped', reason: 'dependency a is blocked' },
      }),
    ];
    const d = planRunStep({ workers, maxWorkers: null, concurrencyLimits: {}, now: 0 });
    expect(d.deliver).toEqual(['a']);
    expect(d.unskip).toEqual(['b']);
    expect(d.start).toEqual([]);
    // Not answered: it stays skipped.
    const still = planRunStep({
      workers: [{ ...workers[0]!, messages: false }, workers[1]!],
      maxWorkers: null,
      concurrencyLimits: {},
      now: 0,
    });
    expect(still.unskip).toEqual([]);
  });

  it('delivers before a retry with a continuation prompt', () => {
    const d = planRunStep({
      workers: [
        worker('a', {
          phase: { kind: 'retry', at: 0, attempt: 2 },
          messages: true,
          hasSession: true,
        }),
      ],
      maxWorkers: null,
      concurrencyLimits: {},
      now: 0,
    });
    expect(d.deliver).toEqual(['a']);
    expect(d.start).toEqual([]);
  });

  it('only delivers in deliverOnly mode: starts nothing else, skips nothing, ends when idle', () => {
    const input = {
      workers: [
        worker('a', { git: 'blocked' as const, messages: true, hasSession: true }),
        worker('b'),
        worker('c', { dependsOn: ['a'] }),
      ],
      maxWorkers: null,
      concurrencyLimits: {},
      now: 0,
      deliverOnly: true,
    };
    const d = planRunStep(input);
    expect(d.deliver).toEqual(['a']);
    expect(d.start).toEqual([]);
    expect(d.skip).toEqual([]);
    const idle = planRunStep({
      ...input,
      workers: input.workers.map((w) => ({ ...w, messages: false })),
    });
    expect(idle.deliver).toEqual([]);
    expect(idle.finished).not.toBeNull();
  });
});

describe('message events in pw status --events', () => {
  it('turns the logged messages into status events with stable ids, merged by time', () => {
    const logged = [
      {
        time: '2026-01-01T10:00:02Z',
        type: 'message-queued',
        plan: 'demo',
        worker: 'api',
        message: 'api-1',
      },
      { time: '2026-01-01T10:00:03Z', type: 'hook-rejected', plan: 'demo', worker: 'api' },
      {
        time: '2026-01-01T10:00:04Z',
        type: 'message-delivered',
        plan: 'demo',
        worker: 'api',
        message: 'api-1',
      },
    ];
    const messages = listMessageEvents(logged);
    expect(messages.map((e) => e.id)).toEqual(['message-queued:api-1', 'message-delivered:api-1']);
    const merged = mergeEventsByTime(
      [
        { id: 'a', type: 'checkpoint', time: '2026-01-01T10:00:01Z', plan: 'demo' },
        { id: 'b', type: 'complete', time: '2026-01-01T10:00:05Z', plan: 'demo' },
      ],
      messages,
    );
    expect(merged.map((e) => e.id)).toEqual([
      'a',
      'message-queued:api-1',
      'message-delivered:api-1',
      'b',
    ]);
  });
});
