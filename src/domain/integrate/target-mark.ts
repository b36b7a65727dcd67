/**
 * How a conflict report names the target's own changes among those that
 * touched a conflicted path: "<target> (since <worker> branched)". Integrate
 * writes it; the retro tells it from a worker (events written before integrate
 * recorded `targetChanged` carry only this mark).
 */
export function targetMark(target: string, worker: string): string {
  return `${target} (since ${worker} branched)`;
}

export function isTargetMark(by: string): boolean {
  return / \(since .+ branched\)$/.test(by);
}
