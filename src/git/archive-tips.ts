import { archivePrefix, archiveRef } from './archive.js';
import { updateRefs, type RefUpdate } from './ref-transaction.js';
import { isAncestor } from './refs.js';
import { listRefs } from './repo.js';

export interface ArchivedTip {
  worker: string;
  ref: string;
  tip: string;
  /** Where an older archive not contained in the new tip was kept (`<ref>@<sha7>`), or null. */
  kept: string | null;
  /** False when the archive already held this tip. */
  changed: boolean;
}

/**
 * The ref updates that archive worker tips under refs/pw/archive/<plan>/<worker>,
 * with the rule of keepRef: an older archive the new tip does not contain is
 * kept as `<ref>@<sha7>`, never dropped. `existing` holds the current archive
 * refs (from one for-each-ref). Archives that already hold the tip need nothing.
 */
export async function planArchiveUpdates(
  cwd: string,
  plan: string,
  tips: readonly { worker: string; tip: string }[],
  existing: ReadonlyMap<string, string>,
): Promise<{ archived: ArchivedTip[]; updates: RefUpdate[] }> {
  const updates: RefUpdate[] = [];
  const archived: ArchivedTip[] = [];
  for (const { worker, tip } of tips) {
    const ref = archiveRef(plan, worker);
    const old = existing.get(ref) ?? null;
    let kept: string | null = null;
    if (old !== tip) {
      if (old && !(await isAncestor(cwd, old, tip))) {
        kept = `${ref}@${old.slice(0, 7)}`;
        updates.push({ ref: kept, to: old });
      }
      updates.push({ ref, to: tip, expected: old });
    }
    archived.push({ worker, ref, tip, kept, changed: old !== tip });
  }
  return { archived, updates };
}

/** Archives worker tips in one ref transaction (see planArchiveUpdates). */
export async function archiveTips(
  cwd: string,
  plan: string,
  tips: readonly { worker: string; tip: string }[],
  message: string,
): Promise<ArchivedTip[]> {
  const existing = await listRefs(cwd, archivePrefix(plan));
  const { archived, updates } = await planArchiveUpdates(cwd, plan, tips, existing);
  await updateRefs(cwd, updates, message);
  return archived;
}
