import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One model turn: some text and/or one Bash tool call. */
export interface ScriptedTurn {
  text?: string;
  bash?: string;
}

export interface ScriptedModelServer {
  url: string;
  /**
   * Each streamed request: which worker, which step was answered, and for a
   * resumed session (a prompt after the brief) the text of that prompt.
   */
  log: { worker: string | null; step: number; followUp?: string }[];
  close(): Promise<void>;
}

type Message = { role: string; content: string | { type: string; text?: string }[] };

function textOf(message: Message | undefined): string {
  if (!message) return '';
  if (typeof message.content === 'string') return message.content;
  return message.content.map((block) => block.text ?? '').join('\n');
}

/**
 * A scripted Anthropic Messages API on 127.0.0.1 for driving the real Claude
 * Code CLI offline. Stateless: the worker is read from its brief (the first
 * user message, `# Worker \`<id>\``), the step from the number of tool results
 * in the conversation so far, so a resumed session carries on where it was.
 * Side requests (no tools, or no streaming) get a short plain answer.
 */
export async function startScriptedModelServer(
  scripts: Record<string, ScriptedTurn[]>,
  /**
   * The turns after a session is resumed with a new prompt (pw send): the
   * step counts the tool results since that prompt. Without it, a resumed
   * session goes on with `scripts`.
   */
  followUps: Record<string, ScriptedTurn[]> = {},
): Promise<ScriptedModelServer> {
  const log: ScriptedModelServer['log'] = [];
  let ids = 0;
  const handle = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    const url = req.url ?? '';
    if (req.method !== 'POST' || !url.startsWith('/v1/messages')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: url } }));
      return;
    }
    let request: { model?: string; stream?: boolean; tools?: unknown[]; messages?: Message[] };
    try {
      request = JSON.parse(body) as typeof request;
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (url.startsWith('/v1/messages/count_tokens')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ input_tokens: 10 }));
      return;
    }
    const model = request.model ?? 'claude-scripted';
    const messages = request.messages ?? [];
    const firstUser = messages.find((m) => m.role === 'user');
    const worker = /# Worker `([^`]+)`/.exec(textOf(firstUser))?.[1] ?? null;
    const isPrompt = (m: Message): boolean =>
      m.role === 'user' &&
      (typeof m.content === 'string' || m.content.every((block) => block.type !== 'tool_result'));
    const promptAt = messages.findLastIndex(isPrompt);
    const resumed =
      worker !== null && followUps[worker] !== undefined && promptAt > messages.indexOf(firstUser!);
    const step = (resumed ? messages.slice(promptAt) : messages)
      .flatMap((m) => (typeof m.content === 'string' ? [] : m.content))
      .filter((block) => block.type === 'tool_result').length;
    const hasTools = Array.isArray(request.tools) && request.tools.length > 0;
    const turns = resumed ? followUps[worker!] : worker ? scripts[worker] : undefined;
    const turn: ScriptedTurn =
      worker && hasTools ? (turns?.[step] ?? { text: 'Done.' }) : { text: 'ok' };
    const id = `msg_${++ids}`;
    const usage = { input_tokens: 100, output_tokens: 20 };
    if (!request.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id,
          type: 'message',
          role: 'assistant',
          model,
          content: [{ type: 'text', text: turn.text ?? 'ok' }],
          stop_reason: 'end_turn',
          stop_sequence: null,
          usage,
        }),
      );
      return;
    }
    if (worker && hasTools)
      log.push({ worker, step, ...(resumed ? { followUp: textOf(messages[promptAt]) } : {}) });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (event: string, data: unknown): void => {
      res.write(
        `event: ${event}\ndata: ${JSON.stringify({ type: event, ...(data as object) })}\n\n`,
      );
    };
    send('message_start', {
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: 1 },
      },
    });
    let index = 0;
    if (turn.text) {
      send('content_block_start', { index, content_block: { type: 'text', text: '' } });
      send('content_block_delta', { index, delta: { type: 'text_delta', text: turn.text } });
      send('content_block_stop', { index });
      index++;
    }
    if (turn.bash) {
      send('content_block_start', {
        index,
        content_block: { type: 'tool_use', id: `toolu_${ids}`, name: 'Bash', input: {} },
      });
      send('content_block_delta', {
        index,
        delta: {
          type: 'input_json_delta',
          partial_json: JSON.stringify({ command: turn.bash, description: 'scripted step' }),
        },
      });
      send('content_block_stop', { index });
    }
    send('message_delta', {
      delta: { stop_reason: turn.bash ? 'tool_use' : 'end_turn', stop_sequence: null },
      usage,
    });
    send('message_stop', {});
    res.end();
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
