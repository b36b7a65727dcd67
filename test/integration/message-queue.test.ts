import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  claimQueuedMessages,
  enqueueMessage,
  readMessageKeys,
  markMessagesDelivered,
  messagePaths,
  readDeliveredMessages,
  readMessageSummary,
  readQueuedMessages,
  recoverDeliveringMessages,
} from '../../src/store/run/message-queue.js';

const now = new Date('2026-01-02T03:04:05Z');
let dir: string | null = null;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});
const commonDir = (): string => (dir = mkdtempSync(join(tmpdir(), 'pw-queue-')));

describe('message queue store', () => {
  it('gives 20 concurrent senders 20 distinct sequence numbers; none is lost', async () => {
    const common = commonDir();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        enqueueMessage(common, 'demo', { worker: 'api', text: `m${i}`, source: 'send', now }),
      ),
    );
    const queued = await readQueuedMessages(common, 'demo', 'api');
    expect(queued.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(new Set(queued.map((m) => m.text)).size).toBe(20);
    // No temporary file is left beside the queue.
    expect(
      readdirSync(messagePaths(common, 'demo', 'api').dir).filter((n) => n.startsWith('.')),
    ).toEqual([]);
  });

  it('claims in order, once; delivered messages keep their numbers taken', async () => {
    const common = commonDir();
    for (const text of ['one', 'two'])
      await enqueueMessage(common, 'demo', { worker: 'api', text, source: 'send', now });
    const claimed = await claimQueuedMessages(common, 'demo', 'api');
    expect(claimed.map((m) => m.text)).toEqual(['one', 'two']);
    expect(await claimQueuedMessages(common, 'demo', 'api')).toEqual([]);
    await markMessagesDelivered(common, 'demo', 'api', claimed, 3, now);
    const next = await enqueueMessage(common, 'demo', {
      worker: 'api',
      text: 'three',
      source: 'send',
      now,
    });
    expect(next.seq).toBe(3);
    expect((await readDeliveredMessages(common, 'demo', 'api')).map((m) => m.attempt)).toEqual([
      3, 3,
    ]);
    expect(await readMessageSummary(common, 'demo', 'api')).toEqual({
      queued: 1,
      held: 0,
      delivered: 2,
      lastDeliveredAt: now.toISOString(),
    });
    // For a COMPLETE worker, a message sent without --reopen is held, not queued.
    expect(await readMessageSummary(common, 'demo', 'api', true)).toMatchObject({
      queued: 0,
      held: 1,
    });
  });

  it('after a crash mid-delivery: what an attempt carried counts as delivered, the rest is queued again', async () => {
    const common = commonDir();
    for (const text of ['carried', 'not carried'])
      await enqueueMessage(common, 'demo', {
        worker: 'api',
        text,
        source: 'auto',
        key: `k-${text}`,
        now,
      });
    await claimQueuedMessages(common, 'demo', 'api');
    await recoverDeliveringMessages(common, 'demo', 'api', (id) =>
      id === 'api-1' ? { attempt: 2, at: now.toISOString() } : null,
    );
    expect((await readDeliveredMessages(common, 'demo', 'api')).map((m) => m.id)).toEqual([
      'api-1',
    ]);
    expect((await readQueuedMessages(common, 'demo', 'api')).map((m) => m.id)).toEqual(['api-2']);
    expect(readdirSync(messagePaths(common, 'demo', 'api').delivering)).toEqual([]);
    expect([...(await readMessageKeys(common, 'demo', 'api'))].sort()).toEqual([
      'k-carried',
      'k-not carried',
    ]);
  });
});
