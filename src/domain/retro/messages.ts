import type { StatusCommit } from '../status/summarize-worker-history.js';

/** What `pw retro` says of the messages sent to workers (pw send, pw broadcast, run.autoNotify). */
export interface RetroMessages {
  sent: number;
  automatic: number;
  bySource: Record<string, number>;
  /** Automatic messages by why pw wrote them (needs-resolved, blocked, scope-refused). */
  byReason: Record<string, number>;
  delivered: number;
  /**
   * For each automatic "your NEEDS is resolved" message: from the provider's
   * Provides (or COMPLETE) to the waiting worker's next commit after its ask,
   * in ms (whole seconds, as git records them); absent while it has not
   * committed since.
   */
  providesToNextCommitMs: number[];
}

/** Pure: from the events log and the worker histories. */
export function summarizeMessages(
  events: readonly { type: string; worker?: string; [key: string]: unknown }[],
  histories: ReadonlyMap<string, readonly StatusCommit[]>,
): RetroMessages {
  const queued = events.filter((e) => e.type === 'message-queued');
  const count = (key: string, list: typeof queued): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const e of list) {
      const value = String(e[key] ?? 'unknown');
      out[value] = (out[value] ?? 0) + 1;
    }
    return out;
  };
  const automatic = queued.filter((e) => e.source === 'auto');
  const providesToNextCommitMs: number[] = [];
  for (const e of automatic) {
    if (e.reason !== 'needs-resolved' || typeof e.resolvedAt !== 'string' || !e.worker) continue;
    const from = Date.parse(e.resolvedAt);
    const commits = histories.get(e.worker) ?? [];
    // Commit times are whole seconds: within the second of the resolution, the order of the
    // worker's own line decides. Its next commit is one after its ask (the NEEDS commit).
    const asked = commits.findIndex((c) => c.sha === e.asked);
    const next = commits
      .slice(asked + 1)
      .find((c) => (asked === -1 ? c.commitTime > from : c.commitTime >= from));
    if (next !== undefined) providesToNextCommitMs.push(next.commitTime - from);
  }
  return {
    sent: queued.length,
    automatic: automatic.length,
    bySource: count('source', queued),
    byReason: count('reason', automatic),
    delivered: events.filter((e) => e.type === 'message-delivered').length,
    providesToNextCommitMs,
  };
}

/** The retro's Markdown section, or '' when no message was sent. */
export function renderRetroMessages(m: RetroMessages): string {
  if (m.sent === 0) return '';
  const reasons = Object.entries(m.byReason)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  const lines = [
    '',
    '## Messages to workers',
    '',
    `- sent: ${m.sent} (${m.sent - m.automatic} by people, ${m.automatic} by pw${reasons ? `: ${reasons}` : ''}); delivered: ${m.delivered}`,
  ];
  if (m.providesToNextCommitMs.length) {
    const sorted = [...m.providesToNextCommitMs].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    lines.push(
      `- from a Provides to the waiting worker's next commit: median ${Math.round(median / 1000)} s over ${sorted.length}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
