import { asRecord, num, toolDetail } from './agent-json.js';

/**
 * An agent's stored output read back for a person: what it said, which tools
 * it called and how they ended, and its final result. Claude Code's
 * `stream-json` and Codex's `exec --json` lines are understood; any other line
 * is output as it came. Pure.
 */
export type TranscriptEntry =
  | { type: 'note'; text: string }
  | { type: 'session'; id: string; model: string | null }
  | { type: 'text'; text: string }
  | { type: 'tool'; id: string | null; name: string; detail: string }
  | { type: 'tool-result'; id: string | null; ok: boolean; exitCode: number | null; output: string }
  | {
      type: 'result';
      ok: boolean;
      turns: number | null;
      inputTokens: number | null;
      outputTokens: number | null;
      costUsd: number | null;
      text: string;
    }
  | { type: 'output'; text: string };

/** A tool result's content: a string, or text blocks. */
function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((block) => {
      const b = asRecord(block);
      return b && typeof b.text === 'string' ? b.text : '';
    })
    .filter(Boolean)
    .join('\n');
}

function claudeEntries(data: Record<string, unknown>): TranscriptEntry[] | null {
  const type = data.type;
  if (type === 'system') {
    if (data.subtype === 'init' && typeof data.session_id === 'string')
      return [
        {
          type: 'session',
          id: data.session_id,
          model: typeof data.model === 'string' ? data.model : null,
        },
      ];
    return [];
  }
  if (type === 'assistant' || type === 'user') {
    const message = asRecord(data.message);
    const content = message?.content;
    if (type === 'user' && typeof content === 'string') return [];
    if (!Array.isArray(content)) return [];
    const out: TranscriptEntry[] = [];
    for (const block of content) {
      const b = asRecord(block);
      if (!b) continue;
      if (b.type === 'text' && typeof b.text === 'string' && type === 'assistant')
        out.push({ type: 'text', text: b.text });
      else if (b.type === 'tool_use')
        out.push({
          type: 'tool',
          id: typeof b.id === 'string' ? b.id : null,
          name: String(b.name ?? 'tool'),
          detail: toolDetail(b.input),
        });
      else if (b.type === 'tool_result')
        out.push({
          type: 'tool-result',
          id: typeof b.tool_use_id === 'string' ? b.tool_use_id : null,
          ok: b.is_error !== true,
          exitCode: null,
          output: resultText(b.content),
        });
    }
    return out;
  }
  if (type === 'result') {
    const usage = asRecord(data.usage);
    return [
      {
        type: 'result',
        ok: data.is_error !== true,
        turns: num(data.num_turns),
        inputTokens: usage ? num(usage.input_tokens) : null,
        outputTokens: usage ? num(usage.output_tokens) : null,
        costUsd: num(data.total_cost_usd),
        text: typeof data.result === 'string' ? data.result : '',
      },
    ];
  }
  return null;
}

function codexEntries(data: Record<string, unknown>): TranscriptEntry[] | null {
  const type = data.type;
  if (typeof type !== 'string') return null;
  if (type === 'thread.started' && typeof data.thread_id === 'string')
    return [{ type: 'session', id: data.thread_id, model: null }];
  const item = asRecord(data.item);
  if (type === 'item.started' && item?.type === 'command_execution')
    return [
      {
        type: 'tool',
        id: typeof item.id === 'string' ? item.id : null,
        name: 'exec',
        detail: String(item.command ?? ''),
      },
    ];
  if (type === 'item.completed' && item) {
    if (item.type === 'agent_message' && typeof item.text === 'string')
      return [{ type: 'text', text: item.text }];
    if (item.type === 'command_execution') {
      const exitCode = num(item.exit_code);
      return [
        {
          type: 'tool-result',
          id: typeof item.id === 'string' ? item.id : null,
          ok: exitCode === 0,
          exitCode,
          output: typeof item.aggregated_output === 'string' ? item.aggregated_output : '',
        },
      ];
    }
    return [];
  }
  if (type === 'turn.completed') {
    const usage = asRecord(data.usage);
    return [
      {
        type: 'result',
        ok: true,
        turns: null,
        inputTokens: usage ? num(usage.input_tokens) : null,
        outputTokens: usage ? num(usage.output_tokens) : null,
        costUsd: null,
        text: '',
      },
    ];
  }
  if (type === 'turn.failed' || type === 'error') {
    const error = asRecord(data.error);
    return [
      {
        type: 'result',
        ok: false,
        turns: null,
        inputTokens: null,
        outputTokens: null,
        costUsd: null,
        text: String(error?.message ?? data.message ?? 'error'),
      },
    ];
  }
  if (type.includes('.')) return [];
  return null;
}

/** The entries of one stored attempt log (`# ` lines are pw's own notes). */
export function parseTranscript(log: string): TranscriptEntry[] {
  const out: TranscriptEntry[] = [];
  for (const line of log.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('# ')) {
      out.push({ type: 'note', text: line.slice(2) });
      continue;
    }
    const trimmed = line.trim();
    let data: Record<string, unknown> | null = null;
    if (trimmed.startsWith('{')) {
      try {
        data = asRecord(JSON.parse(trimmed));
      } catch {
        data = null;
      }
    }
    const entries = data ? (claudeEntries(data) ?? codexEntries(data)) : null;
    if (entries) out.push(...entries);
    else out.push({ type: 'output', text: line });
  }
  return out;
}
