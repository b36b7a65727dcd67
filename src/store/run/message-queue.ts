import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  isHeld,
  messageFileName,
  parseMessage,
  parseMessageFileName,
  type DeliveredMessage,
  type MessageSource,
  type QueuedMessage,
} from '../../domain/run/message-queue.js';
import { planDir, writeFileAtomic } from '../trusted-store.js';

export type { DeliveredMessage, QueuedMessage } from '../../domain/run/message-queue.js';

/**
 * A worker's messages, `<common-dir>/pw/<plan>/messages/<worker>/`:
 * `seq/<n>` claims a sequence number (created exclusively, never moved, so
 * two senders never both take one), `queued/<n>.json` waits for delivery,
 * `delivering/<n>.json` is on its way into an attempt, `delivered/<n>.json`
 * was delivered (with when and by which attempt). Each move is one rename.
 */
export function messagePaths(commonDir: string, plan: string, worker: string) {
  const dir = join(planDir(commonDir, plan), 'messages', worker);
  return {
    dir,
    seq: join(dir, 'seq'),
    queued: join(dir, 'queued'),
    delivering: join(dir, 'delivering'),
    delivered: join(dir, 'delivered'),
  };
}

/** The folder every worker's queue lives under (watched by a running `pw run`). */
export function messagesRoot(commonDir: string, plan: string): string {
  return join(planDir(commonDir, plan), 'messages');
}

async function listSeqs(dir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names
    .map((name) => (/^\d+$/.test(name) ? Number(name) : parseMessageFileName(name)))
    .filter((n): n is number => n !== null)
    .sort((a, b) => a - b);
}

export interface EnqueueInput {
  worker: string;
  text: string;
  source: MessageSource;
  reason?: string | null;
  key?: string | null;
  wakes?: boolean;
  reopen?: boolean;
  now: Date;
}

/**
 * Queues a message: claims the next sequence number with an exclusive create
 * (a concurrent sender that loses the race takes the next one), writes the
 * message beside the queue and renames it in, so a reader sees all of it or
 * nothing.
 */
export async function enqueueMessage(
  commonDir: string,
  plan: string,
  input: EnqueueInput,
): Promise<QueuedMessage> {
  const paths = messagePaths(commonDir, plan, input.worker);
  await mkdir(paths.seq, { recursive: true, mode: 0o700 });
  await mkdir(paths.queued, { recursive: true, mode: 0o700 });
  let seq = ((await listSeqs(paths.seq)).at(-1) ?? 0) + 1;
  for (;;) {
    try {
      const handle = await open(join(paths.seq, String(seq)), 'wx', 0o600);
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      seq++;
    }
  }
  const message: QueuedMessage = {
    id: `${input.worker}-${seq}`,
    worker: input.worker,
    seq,
    text: input.text,
    source: input.source,
    reason: input.reason ?? null,
    key: input.key ?? null,
    wakes: input.wakes ?? true,
    reopen: input.reopen ?? false,
    queuedAt: input.now.toISOString(),
  };
  const temp = join(paths.dir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  await writeFile(temp, `${JSON.stringify(message, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, join(paths.queued, messageFileName(seq)));
  return message;
}

async function readMessagesIn<T extends QueuedMessage>(dir: string): Promise<T[]> {
  const messages: T[] = [];
  for (const seq of await listSeqs(dir)) {
    const text = await readFile(join(dir, messageFileName(seq)), 'utf8').catch(() => null);
    const message = text === null ? null : parseMessage(text);
    if (!message) continue;
    const extra = text ? (JSON.parse(text) as Partial<DeliveredMessage>) : {};
    messages.push({ ...message, ...extra } as T);
  }
  return messages;
}

/** The messages waiting for a worker, oldest first. */
export function readQueuedMessages(
  commonDir: string,
  plan: string,
  worker: string,
): Promise<QueuedMessage[]> {
  return readMessagesIn(messagePaths(commonDir, plan, worker).queued);
}

/** The messages delivered to a worker, oldest first. */
export function readDeliveredMessages(
  commonDir: string,
  plan: string,
  worker: string,
): Promise<DeliveredMessage[]> {
  return readMessagesIn(messagePaths(commonDir, plan, worker).delivered);
}

/**
 * Takes every queued message of a worker for one delivery: each moves to
 * `delivering/` (one rename, so it is taken once), oldest first.
 */
export async function claimQueuedMessages(
  commonDir: string,
  plan: string,
  worker: string,
): Promise<QueuedMessage[]> {
  const paths = messagePaths(commonDir, plan, worker);
  await mkdir(paths.delivering, { recursive: true, mode: 0o700 });
  const claimed: QueuedMessage[] = [];
  for (const message of await readQueuedMessages(commonDir, plan, worker)) {
    const name = messageFileName(message.seq);
    try {
      await rename(join(paths.queued, name), join(paths.delivering, name));
      claimed.push(message);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return claimed;
}

/** Records messages as delivered by an attempt: `delivering/` to `delivered/`. */
export async function markMessagesDelivered(
  commonDir: string,
  plan: string,
  worker: string,
  messages: readonly QueuedMessage[],
  attempt: number,
  now: Date,
): Promise<void> {
  const paths = messagePaths(commonDir, plan, worker);
  await mkdir(paths.delivered, { recursive: true, mode: 0o700 });
  for (const message of messages) {
    const delivered: DeliveredMessage = { ...message, deliveredAt: now.toISOString(), attempt };
    const name = messageFileName(message.seq);
    await writeFileAtomic(
      join(paths.delivered, name),
      `${JSON.stringify(delivered, null, 2)}\n`,
      0o600,
    );
    await unlink(join(paths.delivering, name)).catch(() => undefined);
  }
}

/**
 * After a `pw run` that died mid-delivery: a message an attempt of the run
 * record carries was delivered (at most once: it is not sent again); any
 * other goes back to the queue, in its place.
 */
export async function recoverDeliveringMessages(
  commonDir: string,
  plan: string,
  worker: string,
  carriedBy: (id: string) => { attempt: number; at: string } | null,
): Promise<void> {
  const paths = messagePaths(commonDir, plan, worker);
  const stuck = await readMessagesIn(paths.delivering);
  for (const message of stuck) {
    const carrier = carriedBy(message.id);
    if (carrier)
      await markMessagesDelivered(
        commonDir,
        plan,
        worker,
        [message],
        carrier.attempt,
        new Date(carrier.at),
      );
    else {
      const name = messageFileName(message.seq);
      await mkdir(paths.queued, { recursive: true, mode: 0o700 });
      await rename(join(paths.delivering, name), join(paths.queued, name)).catch(() => undefined);
    }
  }
}

/** The keys of the automatic messages pw wrote to a worker (queued or delivered): never twice. */
export async function readMessageKeys(
  commonDir: string,
  plan: string,
  worker: string,
): Promise<Set<string>> {
  const paths = messagePaths(commonDir, plan, worker);
  const keys = new Set<string>();
  for (const dir of [paths.queued, paths.delivering, paths.delivered])
    for (const m of await readMessagesIn(dir)) if (m.key) keys.add(m.key);
  return keys;
}

export interface MessageSummary {
  queued: number;
  /** Queued for a worker that is COMPLETE, without --reopen: never delivered unless it reopens. */
  held: number;
  delivered: number;
  lastDeliveredAt: string | null;
}

/** What `pw status` shows of a worker's messages. */
export async function readMessageSummary(
  commonDir: string,
  plan: string,
  worker: string,
  complete = false,
): Promise<MessageSummary> {
  const all = await readQueuedMessages(commonDir, plan, worker);
  // pw's own news for a worker that completed meanwhile never reopens it: held, not waiting.
  const held = all.filter((m) => isHeld(m, complete)).length;
  const delivered = await readDeliveredMessages(commonDir, plan, worker);
  const last =
    delivered
      .map((m) => m.deliveredAt)
      .sort()
      .at(-1) ?? null;
  return { queued: all.length - held, held, delivered: delivered.length, lastDeliveredAt: last };
}
