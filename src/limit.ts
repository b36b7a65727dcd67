/** Bounded concurrency, for git processes on a few cores. */

import { availableParallelism } from 'node:os';

/**
 * How many git processes side by side for work that waits mostly on the file
 * system (checkouts, `git status`): one per core, at least two, at most four.
 */
export const GIT_LANES = Math.max(2, Math.min(4, availableParallelism()));

/** Runs the functions given to it at most `lanes` at a time (git processes on a few cores). */
export function createLimiter(lanes: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    // A finished function hands its lane straight to the next one waiting.
    if (running < lanes) running++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

/** Runs `task` on every item with at most `limit` at a time; results in order. */
export function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const run = createLimiter(limit);
  return Promise.all(items.map((item) => run(() => task(item))));
}
