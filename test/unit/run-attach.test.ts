import { describe, expect, it } from 'vitest';
import { buildAttachInvocation, resolveAgentSpec } from '../../src/agents/profiles.js';
import { planRunStep, type StepWorker } from '../../src/domain/run/plan-run-step.js';
import {
  DEFAULT_CLAUDE_ARGS,
  DEFAULT_RUN_SETTINGS,
  parseRunSettings,
} from '../../src/domain/run/run-settings.js';
import { shCommandLine } from '../../src/domain/setup/shell-quote.js';

const worker = (id: string, extra: Partial<StepWorker> = {}): StepWorker => ({
  id,
  dependsOn: [],
  git: 'pending',
  blockedReason: null,
  phase: { kind: 'waiting' },
  selected: true,
  group: null,
  ...extra,
});

const step = (workers: StepWorker[], maxWorkers: number | null = null) =>
  planRunStep({ workers, maxWorkers, concurrencyLimits: {}, now: 1000 });

describe('planRunStep with attached workers (pw attach)', () => {
  it('does not start an attached worker; it becomes attached and the run keeps waiting for it', () => {
    const d = step([worker('a', { attachedBy: 4242 }), worker('b')]);
    expect(d.start.map((s) => s.id)).toEqual(['b']);
    expect(d.settle).toEqual([{ id: 'a', phase: { kind: 'attached', pid: 4242 } }]);
    expect(d.finished).toBeNull();
  });

  it('delivers no message to an attached worker, blocked or waiting; a deliver-only run waits for the attach', () => {
    const blocked = worker('a', {
      git: 'blocked',
      blockedReason: 'which database?',
      phase: { kind: 'blocked', reason: 'which database?' },
      messages: true,
      hasSession: true,
      attachedBy: 7,
    });
    const waiting = worker('b', { messages: true, hasSession: true, attachedBy: 8 });
    expect(step([blocked, waiting]).deliver).toEqual([]);
    const only = planRunStep({
      workers: [waiting],
      maxWorkers: null,
      concurrencyLimits: {},
      now: 1000,
      deliverOnly: true,
    });
    expect(only.deliver).toEqual([]);
    expect(only.finished).toBeNull();
    const blockedOnly = planRunStep({
      workers: [blocked],
      maxWorkers: null,
      concurrencyLimits: {},
      now: 1000,
      deliverOnly: true,
    });
    expect(blockedOnly.deliver).toEqual([]);
    expect(blockedOnly.finished).toBeNull();
    // Once the attach ends, the message goes.
    expect(step([{ ...blocked, attachedBy: null }]).deliver).toEqual(['a']);
  });

  it('a worker waiting for a retry is not restarted while attached, even when the retry is due', () => {
    const d = step([worker('a', { phase: { kind: 'retry', at: 500, attempt: 2 }, attachedBy: 7 })]);
    expect(d.start).toEqual([]);
    expect(d.settle).toEqual([{ id: 'a', phase: { kind: 'attached', pid: 7 } }]);
    expect(d.wakeAt).toBeNull();
    // Nothing else runs, yet the run is not finished: the attach will end.
    expect(d.finished).toBeNull();
  });

  it('stays attached on later steps without settling again; its dependents wait', () => {
    const d = step([
      worker('a', { phase: { kind: 'attached', pid: 7 }, attachedBy: 7 }),
      worker('b', { dependsOn: ['a'] }),
    ]);
    expect(d.settle).toEqual([]);
    expect(d.start).toEqual([]);
    expect(d.skip).toEqual([]);
    expect(d.finished).toBeNull();
  });

  it('starts the worker again (its session resumed by the engine) once the attach has ended', () => {
    const d = step([worker('a', { phase: { kind: 'attached', pid: 7 }, attachedBy: null })]);
    expect(d.settle).toEqual([{ id: 'a', phase: { kind: 'waiting' } }]);
    expect(d.start).toEqual([{ id: 'a', providers: [], attempt: 1 }]);
  });

  it('a running agent is left to the engine, which stops it for --take-over', () => {
    const d = step([worker('a', { phase: { kind: 'running', attempt: 1 }, attachedBy: 7 })]);
    expect(d.settle).toEqual([]);
    expect(d.start).toEqual([]);
  });

  it('git wins: a worker completed during the attach is complete, and the run can finish', () => {
    const d = step([
      worker('a', { git: 'complete', phase: { kind: 'attached', pid: 7 }, attachedBy: 7 }),
    ]);
    expect(d.settle).toEqual([{ id: 'a', phase: { kind: 'complete' } }]);
    expect(d.finished).toEqual({ allComplete: true });
  });

  it('an attached worker does not count against --max-workers', () => {
    const d = step([worker('a', { attachedBy: 7 }), worker('b'), worker('c')], 1);
    expect(d.start.map((s) => s.id)).toEqual(['b']);
    expect(d.queued).toEqual(['c']);
  });
});

describe('buildAttachInvocation', () => {
  const settings = { agentArgs: DEFAULT_RUN_SETTINGS.agentArgs };
  const input = { worktree: '/w/api', sessionId: 'sess-1', attach: null };

  it('claude resumes its session with the profile arguments; codex resumes with its own first', () => {
    expect(buildAttachInvocation(resolveAgentSpec('claude --model opus', settings), input)).toEqual(
      {
        kind: 'ok',
        argv: ['claude', '--resume', 'sess-1', '--model', 'opus', ...DEFAULT_CLAUDE_ARGS],
        resumes: true,
      },
    );
    expect(buildAttachInvocation(resolveAgentSpec('codex', settings), input)).toEqual({
      kind: 'ok',
      argv: ['codex', '--sandbox', 'workspace-write', 'resume', 'sess-1'],
      resumes: true,
    });
  });

  it('needs a recorded session for claude and codex, none for aider', () => {
    const none = { ...input, sessionId: null };
    expect(buildAttachInvocation(resolveAgentSpec('claude', settings), none)).toEqual({
      kind: 'no-session',
    });
    expect(buildAttachInvocation(resolveAgentSpec('codex', settings), none)).toEqual({
      kind: 'no-session',
    });
    expect(buildAttachInvocation(resolveAgentSpec('aider --model x', settings), none)).toEqual({
      kind: 'ok',
      argv: ['aider', '--model', 'x'],
      resumes: false,
    });
  });

  it('a command agent opens by its attach command, placeholders filled, or says none is set', () => {
    const spec = resolveAgentSpec('node agent.mjs {brief}', settings);
    expect(buildAttachInvocation(spec, input)).toEqual({ kind: 'no-attach-command' });
    expect(
      buildAttachInvocation(spec, {
        ...input,
        attach: `my-agent --resume {session} -C "{worktree}"`,
      }),
    ).toEqual({
      kind: 'ok',
      argv: ['my-agent', '--resume', 'sess-1', '-C', '/w/api'],
      resumes: true,
    });
    expect(
      buildAttachInvocation(spec, { ...input, attach: ['tool', 'a b', '{worktree}'] }),
    ).toEqual({ kind: 'ok', argv: ['tool', 'a b', '/w/api'], resumes: false });
    expect(
      buildAttachInvocation(spec, { ...input, sessionId: null, attach: 'my-agent {session}' }),
    ).toEqual({ kind: 'no-session' });
  });
});

describe('the attach settings and the printed command', () => {
  it('reads run.attach (a line or a list) and a worker attach:, and names a bad value', () => {
    const { settings, problems, warnings } = parseRunSettings([
      {
        file: 'c.yaml',
        run: { attach: 'agent --resume {session}' },
        workers: [
          { id: 'api', attach: ['x', '{worktree}'] },
          { id: 'web', attach: 3 },
        ],
      },
    ]);
    expect(settings.attach).toBe('agent --resume {session}');
    expect(settings.workerAttach).toEqual({ api: ['x', '{worktree}'] });
    expect(warnings).toEqual([]);
    expect(problems).toEqual([
      'c.yaml: workers[1].attach: must be a command line or a list of strings, e.g. "my-agent --resume {session}"',
    ]);
    expect(parseRunSettings([{ file: 'p', run: { attach: [] } }]).problems).toHaveLength(1);
  });

  it('quotes only the words that need it, so sh runs exactly the argv', () => {
    expect(shCommandLine(['claude', '--resume', 'abc-1', '--allowedTools', 'Bash,Edit'])).toBe(
      'claude --resume abc-1 --allowedTools Bash,Edit',
    );
    expect(shCommandLine(['my agent', "it's", '$HOME', '', 'a;b', '*'])).toBe(
      `'my agent' 'it'\\''s' '$HOME' '' 'a;b' '*'`,
    );
    expect(shCommandLine(['A=b', 'A=b'])).toBe(`'A=b' A=b`);
  });
});
