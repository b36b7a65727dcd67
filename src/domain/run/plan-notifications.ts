/**
 * run.autoNotify: the messages pw writes to workers by itself, decided from
 * the status and the hooks' refusals. Pure; each message has a key, and a
 * key already used is never used again.
 */

export interface NotifyWorker {
  id: string;
  branch: string;
  state: string;
  /** Time (ISO) of the worker's latest commit, or null. */
  lastCommitAt: string | null;
  resolvedNeeds: readonly {
    worker: string;
    item: string;
    resolvedAt: string;
    by: 'provides' | 'complete';
    resolvedBy: string;
    /** The ask: the worker's [NEEDS:...] commit. */
    sha: string;
  }[];
  blocked: { reason: string; sha: string } | null;
}

/** One refusal of the scope hooks, from the events log. */
export interface ScopeRefusal {
  worker: string;
  path: string;
  owner: string | null;
}

export interface Notification {
  worker: string;
  key: string;
  reason: 'needs-resolved' | 'blocked' | 'scope-refused';
  text: string;
  /** False for the hint to a BLOCKED worker: it goes with the next message a person sends. */
  wakes: boolean;
  /** For the retro: when what it reports happened (a Provides commit). */
  about: {
    provider?: string;
    item?: string;
    commit?: string;
    resolvedAt?: string;
    /** The worker's [NEEDS:...] commit that asked for it. */
    asked?: string;
    path?: string;
  };
}

export function planNotifications(input: {
  workers: readonly NotifyWorker[];
  /** Workers this run serves: only they get messages. */
  selected: ReadonlySet<string>;
  refusals: readonly ScopeRefusal[];
  sent: ReadonlySet<string>;
}): Notification[] {
  const out: Notification[] = [];
  const byId = new Map(input.workers.map((w) => [w.id, w]));
  const add = (n: Notification): void => {
    if (!input.sent.has(n.key) && !out.some((o) => o.key === n.key)) out.push(n);
  };
  for (const w of input.workers) {
    if (!input.selected.has(w.id) || w.state === 'complete') continue;
    // (a) A NEEDS of w was resolved, and w has not committed since: tell it how to bring it in.
    for (const need of w.resolvedNeeds) {
      if (w.lastCommitAt !== null && Date.parse(w.lastCommitAt) > Date.parse(need.resolvedAt))
        continue;
      const provider = byId.get(need.worker);
      if (!provider) continue;
      const how =
        need.by === 'provides'
          ? `committed "Provides: ${need.item}"`
          : 'reached [COMPLETE], which provides everything it was asked for';
      add({
        worker: w.id,
        key: `needs-resolved:${need.worker}/${need.item}:${need.resolvedBy}`,
        reason: 'needs-resolved',
        // A BLOCKED worker stays stopped until a person answers; the news goes with the answer.
        wakes: w.state !== 'blocked',
        text: [
          `Your [NEEDS:${need.worker}/${need.item}] is resolved: worker ${need.worker} ${how} in commit ${need.resolvedBy.slice(0, 12)} on branch ${provider.branch}.`,
          `To bring it into your branch: git merge ${provider.branch}`,
          "(merging a provider's branch for a NEEDS item is allowed by pw's rules; do not edit its files).",
        ].join('\n'),
        about: {
          provider: need.worker,
          item: need.item,
          commit: need.resolvedBy,
          resolvedAt: need.resolvedAt,
          asked: need.sha,
        },
      });
    }
    // (b) BLOCKED: pw keeps it stopped; a hint that a NEEDS may do, delivered with the answer.
    if (w.state === 'blocked' && w.blocked) {
      const others = input.workers.filter((o) => o.id !== w.id).map((o) => o.id);
      add({
        worker: w.id,
        key: `blocked:${w.blocked.sha}`,
        reason: 'blocked',
        wakes: false,
        text: [
          `Your branch says [BLOCKED:${w.blocked.reason}]; pw run keeps your agent stopped until someone answers with pw send.`,
          `If another worker of this plan (${others.join(', ') || 'none'}) can provide what you need, commit`,
          '[NEEDS:<worker>/<item>] <what you need> instead (git commit --allow-empty -m "..."), and carry on with what you can do meanwhile.',
        ].join('\n'),
        about: {},
      });
    }
  }
  // (c) The hooks refused the same out-of-scope path twice: name its owner and the NEEDS to write.
  const counts = new Map<string, { refusal: ScopeRefusal; n: number }>();
  for (const r of input.refusals) {
    const k = `${r.worker}\0${r.path}`;
    const entry = counts.get(k) ?? { refusal: r, n: 0 };
    entry.n++;
    counts.set(k, entry);
  }
  for (const { refusal, n } of counts.values()) {
    const w = byId.get(refusal.worker);
    if (n < 2 || !w || !input.selected.has(w.id) || w.state === 'complete') continue;
    const text = refusal.owner
      ? [
          `pw's hooks refused your commit of ${refusal.path} twice: that file belongs to worker ${refusal.owner}, not to you.`,
          'Do not commit it. Unstage it (git restore --staged <path>; git checkout -- <path>) and ask its owner instead:',
          `git commit --allow-empty -m "[NEEDS:${refusal.owner}/<item>] <the change you need in ${refusal.path}>"`,
          'then carry on with your own files; pw tells you when it is provided.',
        ]
      : [
          `pw's hooks refused your commit of ${refusal.path} twice: no worker owns it, so it is read-only for every worker.`,
          'Unstage it (git restore --staged <path>; git checkout -- <path>) and carry on with your own files; if the task cannot be done without it, commit [BLOCKED:<reason>] <subject>.',
        ];
    add({
      worker: w.id,
      key: `scope-refused:${refusal.path}`,
      reason: 'scope-refused',
      wakes: true,
      text: text.join('\n'),
      about: { path: refusal.path },
    });
  }
  return out;
}

/** The scope refusals of the hooks in the events log (pre-commit, reference-transaction). */
export function parseScopeRefusals(
  events: readonly { type: string; worker?: string; [key: string]: unknown }[],
): ScopeRefusal[] {
  const out: ScopeRefusal[] = [];
  for (const e of events) {
    if (e.type !== 'hook-rejected' || e.kind !== 'scope' || typeof e.worker !== 'string') continue;
    if (!Array.isArray(e.paths)) continue;
    const seen = new Set<string>();
    for (const p of e.paths as { path?: unknown; owner?: unknown }[]) {
      if (typeof p?.path !== 'string' || seen.has(p.path)) continue;
      seen.add(p.path);
      out.push({
        worker: e.worker,
        path: p.path,
        owner: typeof p.owner === 'string' ? p.owner : null,
      });
    }
  }
  return out;
}
