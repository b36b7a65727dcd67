/**
 * Bisects a sequence of results 0..count, where result `count` is known to
 * fail and result 0 is the starting point: the smallest index whose result
 * fails, assuming a step once broken stays broken. Returns 0 when the start
 * itself fails. `passes` is asked about as few results as a binary search needs
 * (about log2(count) + 1).
 */
export async function findFirstFailing(
  count: number,
  passes: (index: number) => Promise<boolean>,
): Promise<number> {
  let good = 0;
  let bad = count;
  while (bad - good > 1) {
    const mid = Math.floor((good + bad) / 2);
    if (await passes(mid)) good = mid;
    else bad = mid;
  }
  // Index 0 was never asked about unless a later result passed; a broken start blames no worker.
  if (good === 0 && !(await passes(0))) return 0;
  return bad;
}
