/**
 * Edit distance, for "did you mean" hints: insertions, deletions,
 * substitutions and swaps of two neighbouring letters (the optimal string
 * alignment distance), ignoring case.
 */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  // Three rows: the one before the previous is what a swap reaches back to.
  let before = new Array<number>(y.length + 1).fill(0);
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      let d = Math.min(
        previous[j]! + 1,
        row[j - 1]! + 1,
        previous[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1])
        d = Math.min(d, before[j - 2]! + 1);
      row.push(d);
    }
    before = previous;
    previous = row;
  }
  return previous[y.length]!;
}

/** The closest candidate, when it is close enough to be a likely typo. */
export function didYouMean(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // One edit is a typo in a short word; two edits are most of one ("nope" is
  // two from "core").
  const limit = word.length >= 5 ? Math.max(2, Math.floor(word.length / 3)) : 1;
  return best !== null && bestDistance <= limit ? best : null;
}
