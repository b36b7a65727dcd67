import type { AgentKind } from './profiles.js';
import { asRecord, num, toolDetail } from '../domain/run/agent-json.js';

/** What pw reads from an agent's output stream, one signal at a time. */
export type AgentSignal =
  | { type: 'session'; id: string }
  | { type: 'tool'; name: string; detail: string }
  | {
      type: 'result';
      isError: boolean;
      numTurns: number | null;
      inputTokens: number | null;
      outputTokens: number | null;
      costUsd: number | null;
    }
  | { type: 'usage'; inputTokens: number | null; outputTokens: number | null }
  | { type: 'error'; message: string };

function tokens(usage: unknown): { input: number | null; output: number | null } {
  const u = asRecord(usage);
  if (!u) return { input: null, output: null };
  const input =
    (num(u.input_tokens) ?? 0) +
    (num(u.cache_creation_input_tokens) ?? 0) +
    (num(u.cache_read_input_tokens) ?? 0);
  return { input: num(u.input_tokens) === null ? null : input, output: num(u.output_tokens) };
}

/**
 * Parses one line of an agent's output: Claude Code's `--output-format
 * stream-json` (system/init, assistant tool_use, result) or Codex's `exec
 * --json` (thread.started, item.started, turn.completed, error). Other lines
 * (plain text, other agents) give nothing. Pure.
 */
export function parseAgentLine(kind: AgentKind, line: string): AgentSignal[] {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return [];
  let data: Record<string, unknown> | null;
  try {
    data = asRecord(JSON.parse(trimmed));
  } catch {
    return [];
  }
  if (!data) return [];
  const type = data.type;
  const signals: AgentSignal[] = [];
  if (kind === 'codex') {
    if (type === 'thread.started' && typeof data.thread_id === 'string')
      signals.push({ type: 'session', id: data.thread_id });
    const item = asRecord(data.item);
    if (type === 'item.started' && item?.type === 'command_execution')
      signals.push({ type: 'tool', name: 'exec', detail: String(item.command ?? '') });
    if (type === 'turn.completed') {
      const t = tokens(data.usage);
      signals.push({ type: 'usage', inputTokens: t.input, outputTokens: t.output });
    }
    if (type === 'turn.failed' || type === 'error') {
      const error = asRecord(data.error);
      signals.push({ type: 'error', message: String(error?.message ?? data.message ?? 'error') });
    }
    return signals;
  }
  if (type === 'system' && data.subtype === 'init' && typeof data.session_id === 'string')
    signals.push({ type: 'session', id: data.session_id });
  if (type === 'assistant') {
    const message = asRecord(data.message);
    const content = Array.isArray(message?.content) ? message.content : [];
    for (const block of content) {
      const b = asRecord(block);
      if (b?.type === 'tool_use' && typeof b.name === 'string')
        signals.push({ type: 'tool', name: b.name, detail: toolDetail(b.input) });
    }
  }
  if (type === 'result') {
    const t = tokens(data.usage);
    signals.push({
      type: 'result',
      isError: data.is_error === true,
      numTurns: num(data.num_turns),
      inputTokens: t.input,
      outputTokens: t.output,
      costUsd: num(data.total_cost_usd),
    });
  }
  return signals;
}
