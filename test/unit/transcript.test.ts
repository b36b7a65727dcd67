import { describe, expect, it } from 'vitest';
import { parseTranscript } from '../../src/domain/run/transcript.js';
import { renderEntries } from '../../src/render/run/transcript.js';

describe('parseTranscript', () => {
  it('reads Codex exec --json: messages, commands with their exit codes, usage, failures', () => {
    const log = [
      '# pw run p/api attempt 1 at 2026-12-06T10:00:00.000Z',
      JSON.stringify({ type: 'thread.started', thread_id: 'th-9' }),
      JSON.stringify({
        type: 'item.started',
        item: { id: 'c1', type: 'command_execution', command: 'ls' },
      }),
      JSON.stringify({
        type: 'item.completed',
        item: {
          id: 'c1',
          type: 'command_execution',
          exit_code: 2,
          aggregated_output: 'no such file',
        },
      }),
      JSON.stringify({ type: 'item.completed', item: { type: 'agent_message', text: 'Done.' } }),
      JSON.stringify({ type: 'turn.completed', usage: { input_tokens: 10, output_tokens: 4 } }),
      JSON.stringify({ type: 'turn.failed', error: { message: 'rate limited' } }),
      '{not json',
      '',
    ].join('\n');
    expect(parseTranscript(log)).toEqual([
      { type: 'note', text: 'pw run p/api attempt 1 at 2026-12-06T10:00:00.000Z' },
      { type: 'session', id: 'th-9', model: null },
      { type: 'tool', id: 'c1', name: 'exec', detail: 'ls' },
      { type: 'tool-result', id: 'c1', ok: false, exitCode: 2, output: 'no such file' },
      { type: 'text', text: 'Done.' },
      {
        type: 'result',
        ok: true,
        turns: null,
        inputTokens: 10,
        outputTokens: 4,
        costUsd: null,
        text: '',
      },
      {
        type: 'result',
        ok: false,
        turns: null,
        inputTokens: null,
        outputTokens: null,
        costUsd: null,
        text: 'rate limited',
      },
      { type: 'output', text: '{not json' },
    ]);
  });

  it('reads Claude Code stream-json tool results given as text blocks, and skips the user prompt', () => {
    const log = [
      JSON.stringify({ type: 'user', message: { content: 'the prompt' } }),
      JSON.stringify({
        type: 'user',
        message: {
          content: [
            { type: 'tool_result', tool_use_id: 't', content: [{ type: 'text', text: 'ok 1' }] },
          ],
        },
      }),
      JSON.stringify({ type: 'system', subtype: 'hook_response' }),
    ].join('\n');
    expect(parseTranscript(log)).toEqual([
      { type: 'tool-result', id: 't', ok: true, exitCode: null, output: 'ok 1' },
    ]);
  });
});

describe('renderEntries', () => {
  it('cuts a long argument of the argv note (the brief) to its start and length; short ones stay', () => {
    const brief = `# Worker api\n${'Build the API. '.repeat(200)}`;
    const [line] = renderEntries([
      { type: 'note', text: `argv: ${JSON.stringify(['my-agent', '--flag', brief])}` },
    ]);
    expect(line).toContain('"my-agent","--flag","# Worker api\\nBuild the API.');
    expect(line).toContain(
      `… (${brief.length.toLocaleString('en-US')} characters; pw logs --raw shows it whole)"]`,
    );
    expect(line!.length).toBeLessThan(300);
    // Not a JSON list: shown as it is.
    expect(renderEntries([{ type: 'note', text: 'argv: [oops' }])).toEqual(['  argv: [oops']);
  });
});
