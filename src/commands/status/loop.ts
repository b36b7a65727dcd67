import type { CommandDeps } from '../../cli/deps.js';
import { parseDuration } from '../../domain/plan/duration.js';
import type { CompiledPlan } from '../../domain/plan/plan.js';
import { UsageError } from '../../errors.js';
import { resolveHubRead, type FetchRequest } from '../../git/fetch-workers.js';
import { watchRefs } from '../../git/ref-watcher.js';
import { readPlanSnapshot, statusWatchTargets, type PlanSnapshot } from './read-plan-status.js';

export interface FollowOptions {
  cwd: string;
  plan: CompiledPlan;
  commonDir: string;
  fetch?: FetchRequest;
  intervalMs: number;
  withHistories?: boolean;
  /** The longest the next wait may last (e.g. until a timeout); default the interval. */
  nextWaitMs?: () => number;
}

/** `--interval`: a duration of at least 100ms. */
export function parseInterval(text: string | undefined): number {
  const ms = parseDuration(text ?? '2s');
  if (ms === null || ms < 100) {
    throw new UsageError(`--interval "${text}" is not a duration of at least 100ms`, [
      'Use e.g. --interval 500ms, --interval 2s or --interval 1m.',
    ]);
  }
  return ms;
}

/**
 * Reads the status now, then again whenever a worker ref moves or the
 * interval passes, handing each snapshot to `onSnapshot`, until it returns
 * true (done) or the user interrupts. A failed read after the first (git
 * caught mid-write) is reported and retried.
 */
export async function followPlanStatus(
  options: FollowOptions,
  deps: CommandDeps,
  onSnapshot: (snapshot: PlanSnapshot) => boolean | Promise<boolean>,
): Promise<'done' | 'interrupted'> {
  let interrupted = false;
  void deps.interrupted.then(() => {
    interrupted = true;
  });
  const hubRead = await resolveHubRead(options.cwd, options.fetch);
  const read = async (previous: PlanSnapshot | null): Promise<PlanSnapshot> => {
    const snapshot = await readPlanSnapshot(options.cwd, options.plan, deps.now(), {
      repo: { commonDir: options.commonDir },
      hubRead,
      withHistories: options.withHistories,
      previous,
    });
    for (const note of snapshot.notes) deps.stderr(`${note}\n`);
    return snapshot;
  };
  // Watch before the first read, so a ref that moves while it runs still wakes the loop.
  const watcher = watchRefs(statusWatchTargets(options.commonDir, options.plan, hubRead.hub));
  let reported = false;
  try {
    // A first read of a large plan with no cache can take seconds: Ctrl-C need not wait for it.
    const first = await Promise.race([read(null), deps.interrupted.then(() => null)]);
    if (first === null || interrupted) return 'interrupted';
    let previous = first;
    if (await onSnapshot(previous)) return 'done';
    for (;;) {
      const wait = Math.max(0, Math.min(options.intervalMs, options.nextWaitMs?.() ?? Infinity));
      await Promise.race([watcher.next(wait), deps.interrupted]);
      if (interrupted) return 'interrupted';
      let snapshot: PlanSnapshot;
      try {
        snapshot = await read(previous);
        reported = false;
      } catch (error) {
        if (!reported)
          deps.stderr(`pw: reading the status failed, retrying: ${(error as Error).message}\n`);
        reported = true;
        continue;
      }
      if (interrupted) return 'interrupted';
      previous = snapshot;
      if (await onSnapshot(snapshot)) return 'done';
    }
  } finally {
    watcher.close();
  }
}
