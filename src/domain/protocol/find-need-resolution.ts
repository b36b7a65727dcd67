/** What resolved a NEEDS: a `Provides:` trailer of the item, or the provider's COMPLETE. */
export interface NeedResolution {
  by: 'provides' | 'complete';
  /** ms since the epoch */
  time: number;
  /** The provider's commit that resolved it. */
  sha: string;
}

/** What the rule reads of the provider's history (a `WorkerHistorySummary` is one). */
export interface ProviderDeliveries {
  provides: readonly { item: string; time: number; sha: string }[];
  completions: readonly { time: number; sha: string }[];
}

/**
 * The one rule for when a NEEDS is resolved, shared by `pw status` and
 * `pw retro`: the first `Provides:` of the item, or the first COMPLETE of the
 * provider, made at or after the NEEDS (a Provides on a tie). A delivery from
 * before the ask leaves it open: a COMPLETE the provider reopened after, or an
 * item the asker has not merged yet. Pure.
 */
export function findNeedResolution(
  need: { item: string; time: number },
  provider: ProviderDeliveries,
): NeedResolution | null {
  const byProvides = provider.provides.find((p) => p.item === need.item && p.time >= need.time);
  const byComplete = provider.completions.find((c) => c.time >= need.time);
  if (byProvides && (!byComplete || byProvides.time <= byComplete.time))
    return { by: 'provides', time: byProvides.time, sha: byProvides.sha };
  if (byComplete) return { by: 'complete', time: byComplete.time, sha: byComplete.sha };
  return null;
}
