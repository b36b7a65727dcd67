/**
 * Messages to a worker's agent (`pw send`, `pw broadcast`, run.autoNotify):
 * the pure parts of the queue kept under the plan's trusted folder. One file
 * per message, named by its sequence number, so the order of a worker's
 * messages is the order of their names.
 */

/** Who wrote a message: a person with `pw send` / `pw broadcast`, or pw itself (run.autoNotify). */
export type MessageSource = 'send' | 'broadcast' | 'auto';

export interface QueuedMessage {
  /** `<worker>-<seq>`: unique within the plan. */
  id: string;
  worker: string;
  seq: number;
  text: string;
  source: MessageSource;
  /** For automatic messages: why pw wrote it (needs-resolved, blocked, scope-refused). */
  reason: string | null;
  /** Dedupes automatic messages: pw writes one message per key at most. */
  key: string | null;
  /**
   * Whether the message alone resumes the agent. An automatic hint to a
   * BLOCKED worker does not: it waits and goes with the next message a
   * person sends.
   */
  wakes: boolean;
  /** Set by `pw send --reopen`: the worker was COMPLETE and is asked to work again. */
  reopen: boolean;
  queuedAt: string;
}

export interface DeliveredMessage extends QueuedMessage {
  deliveredAt: string;
  /** The attempt whose prompt carried it. */
  attempt: number;
}

const SEQ_DIGITS = 10;

/** The file name of a message: its sequence number, zero-padded so names sort as numbers. */
export function messageFileName(seq: number): string {
  return `${String(seq).padStart(SEQ_DIGITS, '0')}.json`;
}

/** The sequence number of a message file name, or null for anything else (temporary files). */
export function parseMessageFileName(name: string): number | null {
  const match = /^(\d+)\.json$/.exec(name);
  return match ? Number(match[1]) : null;
}

/** Parses a stored message; null when it is not one (a damaged file is skipped, never fatal). */
export function parseMessage(text: string): QueuedMessage | null {
  try {
    const value = JSON.parse(text) as Partial<QueuedMessage>;
    if (
      typeof value.id !== 'string' ||
      typeof value.worker !== 'string' ||
      typeof value.seq !== 'number' ||
      typeof value.text !== 'string'
    )
      return null;
    return {
      id: value.id,
      worker: value.worker,
      seq: value.seq,
      text: value.text,
      source: value.source ?? 'send',
      reason: value.reason ?? null,
      key: value.key ?? null,
      wakes: value.wakes ?? true,
      reopen: value.reopen ?? false,
      queuedAt: value.queuedAt ?? '',
    };
  } catch {
    return null;
  }
}

/**
 * The prompt of an attempt that delivers messages: the messages in order,
 * then what the protocol asks (a COMPLETE worker asked to reopen is told a
 * new [COMPLETE] is needed).
 */
export function messagePrompt(input: {
  worker: string;
  plan: string;
  messages: readonly Pick<QueuedMessage, 'text' | 'source' | 'reopen'>[];
}): string {
  const many = input.messages.length > 1;
  const lines = [
    `You are worker "${input.worker}" of plan "${input.plan}". ${many ? `${input.messages.length} messages were` : 'A message was'} sent to you while your session was stopped:`,
    '',
  ];
  input.messages.forEach((m, i) => {
    const from = m.source === 'auto' ? 'pw (automatic)' : 'the person running pw';
    lines.push(`--- message ${many ? `${i + 1} ` : ''}from ${from} ---`, m.text.trimEnd(), '');
  });
  lines.push('--- end of messages ---', '');
  if (input.messages.some((m) => m.reopen))
    lines.push(
      'Your branch said [COMPLETE]; you are asked to work again. When you are done, commit a new [COMPLETE] <subject>.',
    );
  lines.push(
    'Act on the message, then carry on with the task in WORKER.md. Keep to the commit protocol:',
    '[CHECKPOINT] <subject> for progress, [NEEDS:<worker>/<item>] <subject> when you need something from another worker,',
    '[BLOCKED:<reason>] <subject> when you cannot go on, and [COMPLETE] <subject> when the task is done.',
  );
  return lines.join('\n');
}

/**
 * Whether a worker's queue holds a message that resumes its agent by itself:
 * one that wakes; for a COMPLETE worker, only one sent with `--reopen` (pw's
 * own news for a worker that completed meanwhile never reopens it).
 */
export function hasWakingMessage(
  messages: readonly Pick<QueuedMessage, 'wakes' | 'reopen' | 'source'>[],
  complete = false,
  /** The run gave up on the worker: only a person's message (pw send, broadcast) restarts it. */
  gaveUp = false,
): boolean {
  return messages.some((m) => m.wakes && !isHeld(m, complete) && !(gaveUp && m.source === 'auto'));
}

/** A message that waits for a COMPLETE worker to reopen: anything not sent with `--reopen`. */
export function isHeld(message: Pick<QueuedMessage, 'reopen'>, complete: boolean): boolean {
  return complete && !message.reopen;
}
