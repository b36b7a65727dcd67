import { describe, expect, it } from 'vitest';
import { buildInvocation, resolveAgentSpec } from '../../src/agents/profiles.js';
import { splitCommandLine } from '../../src/domain/text/command-line.js';
import { parseAgentLine } from '../../src/agents/parse-agent-output.js';
import { classifyFailure } from '../../src/domain/run/classify-failure.js';
import { maskSecrets } from '../../src/domain/run/mask-secrets.js';
import { planRetry, seededRandom } from '../../src/domain/run/plan-retry.js';
import { planRunStep, type StepWorker } from '../../src/domain/run/plan-run-step.js';
import { DEFAULT_RUN_SETTINGS, parseRunSettings } from '../../src/domain/run/run-settings.js';
import { formatRunEventLine, neutralize, renderRunFrame } from '../../src/render/run/run-view.js';

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

describe('planRunStep', () => {
  it('starts what is ready within --max-workers, in plan order, and waits for dependencies', () => {
    const d = planRunStep({
      workers: [worker('a'), worker('b', { dependsOn: ['a'] }), worker('c'), worker('d')],
      maxWorkers: 2,
      concurrencyLimits: {},
      now: 0,
    });
    expect(d.start.map((s) => s.id)).toEqual(['a', 'c']);
    expect(d.queued).toEqual(['d']);
    expect(d.finished).toBeNull();
  });

  it('starts a dependent once git says its provider is COMPLETE, naming the providers to merge', () => {
    const d = planRunStep({
      workers: [worker('a', { git: 'complete' }), worker('b', { dependsOn: ['a'] })],
      maxWorkers: null,
      concurrencyLimits: {},
      now: 0,
    });
    expect(d.settle).toEqual([{ id: 'a', phase: { kind: 'complete' } }]);
    expect(d.start).toEqual([{ id: 'b', providers: ['a'], attempt: 1 }]);
  });

  it('skips dependents of a failed worker transitively; independent workers still run', () => {
    const d = planRunStep({
      workers: [
        worker('c', { dependsOn: ['b'] }),
        worker('b', { dependsOn: ['a'] }),
        worker('a', { phase: { kind: 'failed', category: 'permanent', reason: 'x' } }),
        worker('z'),
      ],
      maxWorkers: null,
      concurrencyLimits: {},
      now: 0,
    });
    expect(d.skip).toEqual([
      { id: 'b', reason: 'dependency a failed' },
      { id: 'c', reason: 'dependency b was skipped' },
    ]);
    expect(d.start.map((s) => s.id)).toEqual(['z']);
  });

  it('keeps a concurrency group to its limit and waits for a retry that is not due', () => {
    const d = planRunStep({
      workers: [
        worker('a', { group: 'g', phase: { kind: 'running', attempt: 1 } }),
        worker('b', { group: 'g' }),
        worker('c', { phase: { kind: 'retry', at: 500, attempt: 2 } }),
      ],
      maxWorkers: null,
      concurrencyLimits: { g: 1 },
      now: 100,
    });
    expect(d.start).toEqual([]);
    expect(d.queued).toEqual(['b']);
    expect(d.wakeAt).toBe(500);
  });

  it('ends when nothing can progress: a blocked worker is not restarted', () => {
    const d = planRunStep({
      workers: [
        worker('a', { git: 'blocked', blockedReason: 'schema' }),
        worker('b', { git: 'complete' }),
      ],
      maxWorkers: null,
      concurrencyLimits: {},
      now: 0,
    });
    expect(d.settle).toContainEqual({ id: 'a', phase: { kind: 'blocked', reason: 'schema' } });
    expect(d.finished).toEqual({ allComplete: false });
  });
});

describe('classifyFailure and planRetry', () => {
  const end = (
    exitCode: number | null,
    outputTail = '',
    stoppedFor: 'timeout' | 'idle' | null = null,
  ) => classifyFailure({ exitCode, signal: null, outputTail, stoppedFor });
  it('names the category', () => {
    expect(end(127)).toBe('permanent');
    expect(end(126)).toBe('permanent');
    expect(end(1, '{"type":"authentication_error"}')).toBe('permanent');
    expect(end(1, 'Your credit balance is too low')).toBe('permanent');
    expect(end(1, 'HTTP 429 Too Many Requests')).toBe('rate-limited');
    expect(end(1, 'overloaded_error')).toBe('rate-limited');
    expect(end(null, '', 'timeout')).toBe('timeout');
    expect(end(null, '', 'idle')).toBe('idle');
    expect(end(0)).toBe('incomplete');
    expect(end(1, 'ECONNRESET')).toBe('transient');
  });

  it('backs off exponentially with seeded jitter, longer for rate limits, never for permanent', () => {
    const delays = (category: 'transient' | 'rate-limited') => {
      const random = seededRandom(42);
      return [1, 2, 3].map((n) => {
        const d = planRetry({
          category,
          countedFailures: n,
          idleStops: 0,
          retries: 5,
          backoffMs: 1000,
          random,
        });
        return d.retry ? d.delayMs : -1;
      });
    };
    const transient = delays('transient');
    expect(transient).toEqual(delays('transient'));
    transient.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(1000 * 2 ** i);
      expect(ms).toBeLessThanOrEqual(1500 * 2 ** i);
    });
    expect(delays('rate-limited')[0]).toBeGreaterThanOrEqual(6000);
    const random = seededRandom(1);
    expect(
      planRetry({
        category: 'permanent',
        countedFailures: 1,
        idleStops: 0,
        retries: 5,
        backoffMs: 1,
        random,
      }).retry,
    ).toBe(false);
    expect(
      planRetry({
        category: 'idle',
        countedFailures: 0,
        idleStops: 1,
        retries: 0,
        backoffMs: 1,
        random,
      }),
    ).toEqual({
      retry: true,
      delayMs: 0,
      counted: false,
    });
    expect(
      planRetry({
        category: 'transient',
        countedFailures: 3,
        idleStops: 0,
        retries: 2,
        backoffMs: 1,
        random,
      }).retry,
    ).toBe(false);
  });
});

describe('agent profiles', () => {
  const settings = DEFAULT_RUN_SETTINGS;
  const input = {
    prompt: 'do it; rm -rf / $(x)',
    worktree: '/w t',
    sessionId: 'abc',
    resume: false,
    promptFilePath: '/p.md',
  };
  it('claude: the brief as one argument, a session id, stream-json, and the permission flags', () => {
    expect(buildInvocation(resolveAgentSpec('claude', settings), input).argv).toEqual([
      'claude',
      '-p',
      input.prompt,
      '--session-id',
      'abc',
      '--output-format',
      'stream-json',
      '--verbose',
      '--permission-mode',
      'acceptEdits',
      '--allowedTools',
      'Bash,Edit,Write,Read,Glob,Grep',
    ]);
    expect(
      buildInvocation(resolveAgentSpec('claude --model opus', settings), {
        ...input,
        resume: true,
      }).argv.slice(0, 5),
    ).toEqual(['claude', '-p', input.prompt, '--resume', 'abc']);
  });
  it('codex, aider and command', () => {
    expect(
      buildInvocation(resolveAgentSpec('codex', settings), { ...input, resume: true }).argv,
    ).toEqual([
      'codex',
      'exec',
      '--json',
      '--sandbox',
      'workspace-write',
      'resume',
      'abc',
      input.prompt,
    ]);
    const aider = buildInvocation(resolveAgentSpec('aider', settings), input);
    expect(aider.argv).toEqual(['aider', '--message-file', '/p.md', '--yes']);
    expect(aider.promptFile).toEqual({ path: '/p.md', content: input.prompt });
    const command = buildInvocation(
      resolveAgentSpec(`node "my agent.mjs" --in {worktree} {brief}`, settings),
      input,
    );
    expect(command).toMatchObject({
      argv: ['node', 'my agent.mjs', '--in', '/w t', input.prompt],
      stdin: null,
    });
    expect(buildInvocation(resolveAgentSpec('./agent.sh', settings), input)).toMatchObject({
      argv: ['./agent.sh'],
      stdin: input.prompt,
    });
  });
  it('splits a command line like sh quoting, without expanding anything', () => {
    expect(splitCommandLine(`a 'b c' "d \\"e\\"" f\\ g $HOME`)).toEqual([
      'a',
      'b c',
      'd "e"',
      'f g',
      '$HOME',
    ]);
    expect(() => splitCommandLine(`a 'b`)).toThrow(/unterminated/);
  });
});

describe('parseAgentLine', () => {
  it('reads Claude Code stream-json', () => {
    expect(
      parseAgentLine('claude', '{"type":"system","subtype":"init","session_id":"s1"}'),
    ).toEqual([{ type: 'session', id: 's1' }]);
    expect(
      parseAgentLine(
        'claude',
        '{"type":"assistant","message":{"content":[{"type":"tool_use","name":"Bash","input":{"command":"git status"}}]}}',
      ),
    ).toEqual([{ type: 'tool', name: 'Bash', detail: 'git status' }]);
    expect(
      parseAgentLine(
        'claude',
        '{"type":"result","is_error":false,"num_turns":3,"usage":{"input_tokens":10,"cache_read_input_tokens":5,"output_tokens":7},"total_cost_usd":0.01}',
      ),
    ).toEqual([
      {
        type: 'result',
        isError: false,
        numTurns: 3,
        inputTokens: 15,
        outputTokens: 7,
        costUsd: 0.01,
      },
    ]);
    expect(parseAgentLine('claude', 'not json')).toEqual([]);
  });
  it('reads codex exec --json', () => {
    expect(parseAgentLine('codex', '{"type":"thread.started","thread_id":"t1"}')).toEqual([
      { type: 'session', id: 't1' },
    ]);
    expect(
      parseAgentLine(
        'codex',
        '{"type":"item.started","item":{"type":"command_execution","command":"ls"}}',
      ),
    ).toEqual([{ type: 'tool', name: 'exec', detail: 'ls' }]);
  });
});

describe('secrets, settings and the view', () => {
  it('one plain line per event: an exit by code, by signal, or unknown (an adopted agent)', () => {
    const exited = (exitCode: number | null, signal: string | null): string | null =>
      formatRunEventLine({
        time: '2030-01-01T10:00:00.000Z',
        type: 'worker-exited',
        plan: 'demo',
        worker: 'api',
        exitCode,
        signal,
        state: 'working',
      });
    expect(exited(1, null)).toBe('10:00:00 api: agent exited (exit 1); branch says working');
    expect(exited(null, 'SIGKILL')).toBe(
      '10:00:00 api: agent exited (signal SIGKILL); branch says working',
    );
    expect(exited(null, null)).toBe(
      "10:00:00 api: agent exited (exit code unknown: an adopted agent is not pw's child); branch says working",
    );
  });

  it('masks keys and tokens', () => {
    const text = maskSecrets(
      'key MYSECRETVALUE sk-ant-0123456789abc Bearer abcdefghijkl api_key=zzzzzzzzzz',
      {
        ANTHROPIC_API_KEY: 'MYSECRETVALUE',
      },
    );
    expect(text).toBe('key ***ANTHROPIC_API_KEY*** sk-*** Bearer *** api_key=***');
  });
  it('reads run settings from layers and names every problem', () => {
    const { settings, problems } = parseRunSettings([
      { file: 'c.yaml', run: { maxWorkers: 3, concurrencyLimits: { g: 1 } } },
      {
        file: 'p.yaml',
        run: { retries: 'x', timeout: '2h' },
        workers: [{ id: 'a', concurrencyGroup: 'g' }],
      },
    ]);
    expect(settings).toMatchObject({
      maxWorkers: 3,
      timeoutMs: 7_200_000,
      concurrencyLimits: { g: 1 },
      groups: { a: 'g' },
    });
    expect(problems).toEqual([
      'p.yaml: run.retries: must be a whole number of at least 0, found "x"',
    ]);
  });
  it('neutralizes control characters and clips to the width', () => {
    expect(neutralize('a\x1b[2Jb\rc')).toBe('a\\x1b[2Jb\\x0dc');
    const frame = renderRunFrame(
      'p',
      [
        {
          id: 'api',
          phase: 'running',
          elapsedMs: 5000,
          attempts: 1,
          lastCommit: null,
          tool: 'Bash \x1b[31mls',
          tokens: 10,
          costUsd: 0.5,
        },
      ],
      { width: 30, color: false },
    );
    expect(frame).toBe('pw run p: 0/1 complete\napi  running   5s  #1  10 tok…\n');
  });
});
